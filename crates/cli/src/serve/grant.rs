//! ERC-7715 on the server: `wallet_grantPermissions` (a request in, the permission and its
//! context out, with what the owner must do: execute `ownerOp`, or sign the enable grant),
//! `leash_submitGrantSignature` (the owner's signature handed back), `wallet_revokePermissions`
//! and `leash_listPermissions` (with what is left on-chain).

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_keys::enable::PendingEnable;
use leash_keys::envelope::enable_digest;
use leash_keys::permissions::erc7715::{self, ImportContext};
use leash_keys::permissions::SessionSpec;
use leash_rpc::CallRequest;
use leash_store::{NewServedSession, ServedSession, SessionState};
use leash_userop::account::AccountKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::context::PermissionContext;
use super::methods::Scope;
use super::params;
use super::rpc::Failure;
use super::Service;
use crate::commands::enable as chain_enable;
use crate::onchain;
use crate::output::Ui;
use crate::units::now;

/// ERC-1271 `isValidSignature` magic value.
const ERC1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];
/// Status the module reports for a session it has never seen.
const STATUS_NONE: u8 = 0;

/// An enable grant offered to the owner, kept until the signature comes back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnableOffer {
    nonce: U256,
    digest: B256,
    kind: String,
}

/// What `enable_grant` of a served session holds: an offer, or the signed grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "camelCase")]
enum EnableState {
    Offered(EnableOffer),
    Signed(PendingEnable),
}

fn internal(error: impl std::fmt::Display) -> Failure {
    Failure::internal(error.to_string())
}

/// The permission spec stored with a session.
pub(crate) fn spec_of(session: &ServedSession) -> Result<SessionSpec, Failure> {
    SessionSpec::from_json_str(&session.new.spec).map_err(|e| {
        internal(format!(
            "stored permission of {} unreadable: {e}",
            session.new.context
        ))
    })
}

/// The signed enable grant a session's next op carries, if any.
pub(crate) fn signed_grant(session: &ServedSession) -> Result<Option<PendingEnable>, Failure> {
    match session.enable_grant.as_deref() {
        None => Ok(None),
        Some(text) => match serde_json::from_str::<EnableState>(text).map_err(internal)? {
            EnableState::Signed(grant) => Ok(Some(grant)),
            EnableState::Offered(_) => Ok(None),
        },
    }
}

/// The account kind of `account`: `--account-kind`, else read through the node, else
/// OpenZeppelin's layout.
pub(crate) async fn account_kind(
    service: &Service,
    account: Address,
) -> Result<AccountKind, Failure> {
    if let Some(kind) = service.chain.account_kind {
        return Ok(kind);
    }
    match &service.chain.node {
        Some(node) => crate::account_kind::resolve(
            None,
            node,
            account,
            Ui {
                json: true,
                quiet: true,
            },
        )
        .await
        .map_err(|e| Failure::params(format!("account {account}: {e}"))),
        None => Ok(crate::account_kind::offline(None)),
    }
}

/// The EntryPoint nonce key of a session: its own lane under the module, drawn from the session
/// id within the bits the account kind leaves free (so two sessions of one account do not share
/// a sequence, where the account allows it).
fn nonce_key(kind: AccountKind, module: Address, session_id: B256) -> Result<U256, Failure> {
    let bits = kind.free_key_bits();
    let drawn = u32::from_be_bytes([session_id[0], session_id[1], session_id[2], session_id[3]]);
    let lane = match bits {
        0 => 0,
        b if b >= 32 => drawn,
        b => drawn & ((1u32 << b) - 1),
    };
    kind.nonce_key(module, lane, false).map_err(internal)
}

/// `wallet_grantPermissions`.
pub(crate) async fn grant(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let chain = &service.chain;
    let now = now();
    let imported = erc7715::import_value_in(
        param,
        ImportContext {
            now,
            chain_id: chain.chain_id,
        },
    )
    .map_err(|e| Failure::params(format!("permission request: {e}")))?;
    let chain_id = chain.chain_for(Some(imported.chain_id))?;
    let account = imported.account.or_else(|| scope.only_account()).ok_or_else(|| {
        Failure::params(
            "the request names no account (\"address\") and the API key may use several: add \"address\": \"0x…\"",
        )
    })?;
    scope.account(account)?;
    let mut spec = imported.spec;
    if spec.salt.is_zero() {
        spec.salt = B256::from(rand::random::<[u8; 32]>());
    }
    let server_key = match imported.signer {
        Some(signer) => {
            spec.signer = signer;
            None
        }
        None => {
            let key = PrivateKeySigner::random();
            spec.signer = key.address();
            Some(key.to_bytes())
        }
    };
    spec.check_new(now)
        .map_err(|e| Failure::params(format!("the session would be unusable: {e}")))?;
    let session_id = spec.session_id().map_err(internal)?;
    let context = PermissionContext {
        chain_id,
        account,
        session_id,
    }
    .encode();
    let kind = account_kind(service, account).await?;
    let key = nonce_key(kind, chain.module, session_id)?;
    let sealed = server_key
        .map(|secret| service.sealer.seal(&secret, &context))
        .transpose()
        .map_err(internal)?;
    let offer = match &chain.node {
        Some(node) => Some(enable_offer(service, node, chain_id, account, session_id, kind).await?),
        None => None,
    };
    let owner_call = onchain::create_session_call(&spec).map_err(internal)?;
    let new = NewServedSession {
        context: context.clone(),
        session_id: format!("{session_id:#x}"),
        account: format!("{account:#x}"),
        chain_id,
        entry_point: format!("{:#x}", chain.entry_point),
        module: format!("{:#x}", chain.module),
        signer: format!("{:#x}", spec.signer),
        spec: spec.to_json().to_string(),
        request: param.to_string(),
        sealed_key: sealed,
        nonce_key: format!("{key:#x}"),
        created_by: scope.actor(),
    };
    let actor = scope.actor();
    let offer_json = offer
        .as_ref()
        .map(|o| serde_json::to_string(&EnableState::Offered(o.clone())))
        .transpose()
        .map_err(internal)?;
    let stored = {
        let context = context.clone();
        service
            .db(move |store| {
                let session = store.insert_session(new, &actor)?;
                match offer_json {
                    Some(offer) => store.set_enable_grant(&context, &offer, &actor),
                    None => Ok(session),
                }
            })
            .await?
    };
    let mut leash = json!({
        "sessionId": session_id,
        "module": chain.module,
        "entryPoint": chain.entry_point,
        "accountKind": kind.as_str(),
        "keyHolder": if stored.new.sealed_key.is_some() { "server" } else { "app" },
        "nonceKey": stored.new.nonce_key,
        "ownerOp": { "to": chain.module, "value": "0x0", "data": owner_call },
    });
    if let Some(offer) = &offer {
        leash["enableGrant"] = json!({
            "enableNonce": offer.nonce,
            "digest": offer.digest,
            "hashToSign": kind.erc1271_hash(account, chain_id, offer.digest),
            "typedData": typed_data(chain_id, chain.module, account, session_id, offer.nonce),
        });
    }
    let permissions = param.get("permissions").cloned().unwrap_or(Value::Null);
    Ok(json!({
        "chainId": format!("{chain_id:#x}"),
        "address": account,
        "expiry": spec.valid_until,
        "signer": { "type": "account", "data": { "id": spec.signer } },
        "permissions": permissions,
        "grantedPermissions": permissions,
        "context": context,
        "permissionsContext": context,
        "leash": leash,
    }))
}

/// A fresh enable nonce of the account's install generation and its digest, checked against
/// the module's own `enableDigest`.
async fn enable_offer(
    service: &Service,
    node: &leash_rpc::NodeClient,
    chain_id: u64,
    account: Address,
    session_id: B256,
    kind: AccountKind,
) -> Result<EnableOffer, Failure> {
    let module = service.chain.module;
    let status = chain_enable::session_status(node, module, account, session_id)
        .await
        .map_err(|e| Failure::params(e.to_string()))?;
    if status != STATUS_NONE {
        return Err(Failure::params(format!(
            "the module already knows session {session_id} of {account} ({})",
            onchain::status_name(status)
        )));
    }
    let generation = chain_enable::install_generation(node, module, account)
        .await
        .map_err(|e| Failure::params(e.to_string()))?;
    let nonce = chain_enable::fresh_nonce(node, module, account, generation)
        .await
        .map_err(internal)?;
    let digest = enable_digest(chain_id, module, account, session_id, nonce);
    let on_chain = chain_enable::module_digest(node, module, account, session_id, nonce)
        .await
        .map_err(internal)?;
    if on_chain != digest {
        return Err(internal(format!(
            "the module at {module} computes enable digest {on_chain}, leash {digest}: it is not the leash SessionKeyValidator"
        )));
    }
    Ok(EnableOffer {
        nonce,
        digest,
        kind: kind.as_str().to_owned(),
    })
}

/// The EIP-712 typed data of an enable grant, as `eth_signTypedData_v4` takes it.
fn typed_data(
    chain_id: u64,
    module: Address,
    account: Address,
    session_id: B256,
    nonce: U256,
) -> Value {
    json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"}
            ],
            "EnableSession": [
                {"name": "account", "type": "address"},
                {"name": "sessionId", "type": "bytes32"},
                {"name": "nonce", "type": "uint256"}
            ]
        },
        "primaryType": "EnableSession",
        "domain": {
            "name": "LeashSessionKeyValidator",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": module
        },
        "message": { "account": account, "sessionId": session_id, "nonce": nonce.to_string() }
    })
}

/// A session the key may use, by the context in `value`.
pub(crate) async fn session_in_scope(
    service: &Service,
    scope: &Scope<'_>,
    context_text: &str,
) -> Result<ServedSession, Failure> {
    let context = PermissionContext::decode(context_text)?;
    scope.account(context.account)?;
    service.chain.chain_for(Some(context.chain_id))?;
    let key = context.encode();
    service.db(move |store| store.session(&key)).await
}

/// `leash_submitGrantSignature`.
pub(crate) async fn submit_signature(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(
        param,
        "leash_submitGrantSignature",
        &["context", "signature", "ownerValidator"],
    )?;
    let session = session_in_scope(service, scope, params::string(object, "context")?).await?;
    if session.state != SessionState::Active {
        return Err(Failure::rejected(format!(
            "permission {} is revoked",
            session.new.context
        )));
    }
    let offer = match session.enable_grant.as_deref().map(serde_json::from_str::<EnableState>) {
        Some(Ok(EnableState::Offered(offer))) => offer,
        Some(Ok(EnableState::Signed(_))) => {
            return Err(Failure::params("the owner's grant for this permission was already handed back"))
        }
        Some(Err(error)) => return Err(internal(error)),
        None => {
            return Err(Failure::params(
                "no enable grant was offered for this permission (the server had no node when it was granted): the owner executes leash.ownerOp instead",
            ))
        }
    };
    let kind = AccountKind::from_account_id(&offer.kind)
        .or_else(|_| offer.kind.parse())
        .map_err(|_| internal(format!("stored account kind {:?} unknown", offer.kind)))?;
    let raw = params::bytes(object.get("signature").unwrap_or(&Value::Null), "signature")?;
    if raw.len() != 65 {
        return Err(Failure::params(format!(
            "signature: {} bytes; the owner's raw ECDSA signature of leash.enableGrant.hashToSign is 65 bytes (r ‖ s ‖ v)",
            raw.len()
        )));
    }
    let validator = match (kind, object.get("ownerValidator")) {
        (AccountKind::Eip7702, _) => Address::ZERO,
        (_, Some(value)) => params::address(value, "ownerValidator")?,
        (_, None) => {
            return Err(Failure::params(format!(
                "ownerValidator is required for a {} account: the owner validator that checks the owner's signature",
                kind.as_str()
            )))
        }
    };
    let signature = kind.erc1271_signature(validator, true, &raw);
    let account: Address = session.new.account.parse().map_err(internal)?;
    let node = service.chain.node("checking the owner's signature")?;
    let data = isValidSignatureCall {
        hash: offer.digest,
        signature: signature.clone(),
    }
    .abi_encode();
    let answer = node.call(&CallRequest::call(account, data)).await;
    let valid = matches!(&answer, Ok(output) if output.len() >= 4 && output[..4] == ERC1271_MAGIC);
    if !valid {
        return Err(Failure::params(format!(
            "the account {account} does not accept this signature for the enable digest {} (its isValidSignature said {}): sign leash.enableGrant.hashToSign raw with the owner's key, and give the owner validator",
            offer.digest,
            match answer {
                Ok(output) => format!("0x{}", hex::encode(output)),
                Err(error) => error.to_string(),
            }
        )));
    }
    let session_id: B256 = session.new.session_id.parse().map_err(internal)?;
    let grant = PendingEnable {
        session_id,
        account,
        module: session.new.module.parse().map_err(internal)?,
        chain_id: session.new.chain_id,
        nonce: offer.nonce,
        digest: offer.digest,
        signature,
    };
    let text = serde_json::to_string(&EnableState::Signed(grant)).map_err(internal)?;
    let context = session.new.context.clone();
    let actor = scope.actor();
    service
        .db(move |store| store.set_enable_grant(&context, &text, &actor))
        .await?;
    Ok(
        json!({ "context": session.new.context, "status": "enable-in-first-op", "enableNonce": offer.nonce }),
    )
}

alloy::sol! {
    /// ERC-1271.
    function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4);
}

/// `wallet_revokePermissions`.
pub(crate) async fn revoke(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(
        param,
        "wallet_revokePermissions",
        &[
            "permissionContext",
            "permissionsContext",
            "context",
            "reason",
        ],
    )?;
    let context = ["permissionContext", "permissionsContext", "context"]
        .iter()
        .find_map(|field| object.get(*field).and_then(Value::as_str))
        .ok_or_else(|| Failure::params("wallet_revokePermissions needs \"permissionContext\": the context wallet_grantPermissions returned"))?;
    let session = session_in_scope(service, scope, context).await?;
    let reason = object
        .get("reason")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("wallet_revokePermissions by API key {}", scope.key.id));
    let key = session.new.context.clone();
    let actor = scope.actor();
    let revoked = service
        .db(move |store| store.revoke_session(&key, &reason, &actor))
        .await?;
    let session_id: B256 = revoked.new.session_id.parse().map_err(internal)?;
    let call = Bytes::from(
        ISessionKeyValidator::revokeSessionCall {
            sessionId: session_id,
        }
        .abi_encode(),
    );
    Ok(json!({
        "context": revoked.new.context,
        "revoked": true,
        "note": "the server signs nothing more for it and refuses its ops; to end it on-chain too (an app-held key still works there), the owner executes ownerOp",
        "ownerOp": { "to": revoked.new.module, "value": "0x0", "data": call },
    }))
}

/// `leash_listPermissions`.
pub(crate) async fn list(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(param, "leash_listPermissions", &["address", "chainId"])?;
    let account = match object.get("address") {
        Some(value) => params::address(value, "address")?,
        None => scope
            .only_account()
            .ok_or_else(|| Failure::params("leash_listPermissions needs \"address\""))?,
    };
    scope.account(account)?;
    let asked = object
        .get("chainId")
        .map(|value| params::small(value, "chainId"))
        .transpose()?;
    let chain_id = service.chain.chain_for(asked)?;
    let key = format!("{account:#x}");
    let sessions = service
        .db(move |store| store.sessions_of(&key, chain_id))
        .await?;
    let mut out = Vec::with_capacity(sessions.len());
    for session in &sessions {
        let spec = spec_of(session)?;
        let remaining = match &service.chain.node {
            Some(node) => remaining(node, service.chain.module, account, &spec).await,
            None => Value::Null,
        };
        out.push(json!({
            "context": session.new.context,
            "sessionId": session.new.session_id,
            "state": session.state,
            "revokeReason": session.revoke_reason,
            "keyHolder": if session.new.sealed_key.is_some() { "server" } else { "app" },
            "signer": session.new.signer,
            "expiry": spec.valid_until,
            "expired": spec.valid_until < now(),
            "enableGrantPending": session.enable_grant.is_some(),
            "permissions": serde_json::from_str::<Value>(&session.new.request).ok().and_then(|r| r.get("permissions").cloned()),
            "remaining": remaining,
        }));
    }
    Ok(json!({ "address": account, "chainId": format!("{chain_id:#x}"), "permissions": out }))
}

/// What `remainingOf` says for the current period (null when the node cannot say).
async fn remaining(
    node: &leash_rpc::NodeClient,
    module: Address,
    account: Address,
    spec: &SessionSpec,
) -> Value {
    let period = spec.period_index_at(now()).unwrap_or(0);
    let Ok(data) = onchain::remaining_call(account, spec, period) else {
        return Value::Null;
    };
    match node.call(&CallRequest::call(module, data)).await {
        Ok(output) => match onchain::decode_remaining(&output) {
            Ok(left) => onchain::remaining_json(spec, &left, &crate::tokens::TokenBook::new()),
            Err(_) => Value::Null,
        },
        Err(_) => Value::Null,
    }
}
