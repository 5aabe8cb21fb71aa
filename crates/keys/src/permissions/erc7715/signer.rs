//! Who a request grants the session to. A named key is honoured (the session is granted to
//! it and the app signs); `wallet` (or no signer) lets leash generate the key.

use alloy::primitives::Address;

use super::super::error::PermissionError;
use super::super::json::Node;
use super::didkey::key_address;

/// The signer's address, or `None` when the wallet (leash) is to hold the key.
pub(super) fn read(node: Node<'_>) -> Result<Option<Address>, PermissionError> {
    let obj = node.object(&["type", "data"])?;
    let kind_child = obj.req("type")?;
    let kind = kind_child.node().str()?;
    if kind == "wallet" {
        if let Some(data) = obj.get("data") {
            data.node().object(&[])?;
        }
        return Ok(None);
    }
    let data_child = obj.req("data")?;
    let data = data_child.node();
    match kind {
        "account" => {
            let d = data.object(&["address", "id"])?;
            let child = match (d.get("address"), d.get("id")) {
                (Some(_), Some(id)) => {
                    return Err(id
                        .node()
                        .err("both `address` and `id` are set; give the account once"))
                }
                (Some(c), None) | (None, Some(c)) => c,
                (None, None) => {
                    return Err(data.err("required field is missing: `address` (or viem's `id`)"))
                }
            };
            Ok(Some(child.node().address()?))
        }
        "key" => {
            let d = data.object(&["id", "type", "publicKey"])?;
            if let Some(t) = d.get("type") {
                key_type(t.node())?;
            }
            let child = match (d.get("id"), d.get("publicKey")) {
                (Some(_), Some(p)) => {
                    return Err(p
                        .node()
                        .err("both `id` and `publicKey` are set; give the key once"))
                }
                (Some(c), None) | (None, Some(c)) => c,
                (None, None) => {
                    return Err(data.err("required field is missing: `id` (or `publicKey`)"))
                }
            };
            let node = child.node();
            Ok(Some(key_address(node.str()?).map_err(|r| node.err(r))?))
        }
        "keys" => {
            let d = data.object(&["ids", "keys"])?;
            let list = d
                .get("ids")
                .or_else(|| d.get("keys"))
                .ok_or_else(|| data.err("required field is missing: `ids` (or `keys`)"))?;
            let items = list.node().array()?;
            if items.len() != 1 {
                return Err(list.node().err(format!(
                    "{} keys: a leash session has exactly one signer (no multisig); request \
                     one key",
                    items.len()
                )));
            }
            let item = items[0].node();
            let text = if item.value().is_object() {
                let k = item.object(&["type", "publicKey"])?;
                if let Some(t) = k.get("type") {
                    key_type(t.node())?;
                }
                let p = k.req("publicKey")?;
                let text = p.node().str()?;
                return Ok(Some(key_address(text).map_err(|r| p.node().err(r))?));
            } else {
                item.str()?
            };
            Ok(Some(key_address(text).map_err(|r| item.err(r))?))
        }
        other => Err(kind_child.node().err(format!(
            "signer type {other:?} is not supported (supported: wallet, account, key, keys)"
        ))),
    }
}

/// Alchemy's `key: { publicKey, type }`: the session key's address.
pub(super) fn alchemy_key(node: Node<'_>) -> Result<Address, PermissionError> {
    let obj = node.object(&["publicKey", "type"])?;
    let kind = obj.req("type")?;
    key_type(kind.node())?;
    let key = obj.req("publicKey")?;
    let text = key.node().str()?;
    key_address(text).map_err(|r| key.node().err(r))
}

fn key_type(node: Node<'_>) -> Result<(), PermissionError> {
    match node.str()? {
        "secp256k1" => Ok(()),
        "secp256r1" | "p256" | "webauthn-p256" | "webauthn" => Err(node.err(
            "a P-256 (passkey) key cannot sign for a leash session (its keys are secp256k1); \
             request the session for a secp256k1 key",
        )),
        "contract" => Err(node.err(
            "a contract signer (ERC-1271) cannot sign for a leash session; request it for a \
             secp256k1 key",
        )),
        other => Err(node.err(format!(
            "key type {other:?} is not supported (leash session keys are secp256k1)"
        ))),
    }
}
