//! Import of the permission requests apps send into a [`SessionSpec`].
//!
//! Accepted shapes (one request, a one-element `params` array, or a whole JSON-RPC request
//! body whose `method` is one of the three below):
//!
//! | shape | fields |
//! |---|---|
//! | ERC-7715 `wallet_grantPermissions`, list form (first ERC text, viem's wire format, reown, Coinbase, Openfort) | `chainId?`, `address?`, `expiry`, `signer?`, `permissions[]`, `policies?` |
//! | ERC-7715 `wallet_grantPermissions`, one permission (later ERC text, MetaMask 0.x) | `chainId`, `address?`, `expiry`, `signer`, `permission`, `policies?`, `isAdjustmentAllowed?` |
//! | ERC-7715 `wallet_requestExecutionPermissions` | `chainId`, `from?`, `to`, `permission`, `rules?` (`expiry`), `expiry?` |
//! | Alchemy `wallet_createSession` | `account`, `chainId?`, `expirySec`, `key`, `permissions[]` |
//! | Coinbase/Base spend permission | `account`, `spender`, `token`, `allowance`, `period`, `start`, `end`, `salt?`, `extraData?`, `chainId?` |
//!
//! `chainId` may be a number, a decimal string or `0x` hex; a request without one takes the
//! caller's ([`ImportContext::chain_id`], the CLI's `--chain-id`), and one that names a
//! different chain is refused.
//!
//! Each permission maps to what its authors document, never wider:
//!
//! | type | session |
//! |---|---|
//! | `native-token-transfer`, `native-token-allowance` | plain value transfers (any target, empty call data) + `nativeAllowance` = `allowance` (or a `token-allowance` policy; neither = unlimited) |
//! | `erc20-token-transfer` | `transfer` on the token + `tokens[]` allowance; Alchemy's also grants `approve` (its docs: "transfer or approval", both counted) |
//! | `gas-limit` (permission, Alchemy) | `feeBudget` (wei) |
//! | `contract-access` | every function of one contract |
//! | `contract-call` | one contract: every function, or the `calls` signatures/selectors, or the `functions` named in `abi` (argument conditions are refused) |
//! | `allowed-contract-selector` | one function of one contract |
//! | `functions-on-contract`, `functions-on-all-contracts`, `account-functions`, `root` | as named |
//! | `rate-limit` | `rateLimit` ops per `interval` |
//! | `native-token-recurring-allowance`, `native-token-periodic` | periodic native + plain value transfers |
//! | `erc20-recurring-allowance`, `erc20-token-periodic` | periodic token + `transfer` on it |
//! | spend permission, native token | periodic native, value transfers to the spender only |
//!
//! Policies (on a permission or the whole request): `token-allowance` caps the permission it
//! is attached to; `spent-limit` caps native value; `gas-limit` is `gasBudget` (gas units);
//! `call-limit` is `maxUses`; `rate-limit` as above. A policy set on one permission becomes a
//! session-wide limit (narrower, never wider). Streams, NFT transfers, argument conditions,
//! ERC-20 spend permissions (the recipient cannot be pinned to the spender), multisig and
//! non-secp256k1 signers are refused with the reason.
//!
//! The request's signer (`signer` of type `account`/`key`/`keys` with one key, `to`,
//! Alchemy's `key.publicKey`, a spend permission's `spender`) becomes
//! [`ImportedGrant::signer`]: the session is granted to that key. A `wallet` signer, or none,
//! leaves it `None` (leash generates the key).
//!
//! Times: every timestamp that looks like milliseconds (≥ 10^11) is refused with the value
//! in seconds, an expiry that is not in the future is refused, and so is a period schedule
//! that starts after the window ends.

mod didkey;
mod mapping;
mod shape;
mod signer;

use alloy::primitives::{Address, B256};
use serde_json::Value;

pub use shape::Shape;

use super::checks::check_seconds;
use super::error::PermissionError;
use super::json::{Node, Obj};
use super::spec::{Asset, Selector, SessionSpec, Target};
use mapping::{Builder, PLAIN_TRANSFER, SPEND_NATIVE};

/// What the caller knows besides the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportContext {
    /// Now, in unix seconds: the default start of periodic permissions and the reference for
    /// a past expiry.
    pub now: u64,
    /// The chain the caller targets (`--chain-id`): used when the request names none,
    /// checked against the one it names.
    pub chain_id: Option<u64>,
}

/// What a request becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedGrant {
    /// The request's chain (or the caller's, when the request names none).
    pub chain_id: u64,
    /// The account the request names, when it names one.
    pub account: Option<Address>,
    /// The key the request grants the session to; `None` when leash is to generate it.
    pub signer: Option<Address>,
    /// The shape the request was read as.
    pub shape: Shape,
    /// The session, validated and time-checked, with `signer` still zero.
    pub spec: SessionSpec,
}

/// Maps a request to a session. `now` (unix seconds) is the default start of periodic
/// permissions and the reference for a past expiry.
pub fn import_request(text: &str, now: u64) -> Result<ImportedGrant, PermissionError> {
    import_request_in(
        text,
        ImportContext {
            now,
            chain_id: None,
        },
    )
}

/// [`import_request`] with the caller's chain.
pub fn import_request_in(
    text: &str,
    context: ImportContext,
) -> Result<ImportedGrant, PermissionError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| PermissionError::new("", format!("not valid JSON: {e}")))?;
    import_value_in(&value, context)
}

/// [`import_request`] on a JSON value.
pub fn import_value(value: &Value, now: u64) -> Result<ImportedGrant, PermissionError> {
    import_value_in(
        value,
        ImportContext {
            now,
            chain_id: None,
        },
    )
}

/// [`import_request_in`] on a JSON value.
pub fn import_value_in(
    value: &Value,
    context: ImportContext,
) -> Result<ImportedGrant, PermissionError> {
    let request_child = shape::unwrap_request(Node::root(value))?;
    let request = shape::read(request_child.node())?;
    let now = context.now;

    let chain_id = match (request.chain_id.as_ref(), context.chain_id) {
        (Some((id, path)), Some(flag)) if *id != flag => {
            return Err(PermissionError::new(
                path.clone(),
                format!("{id} differs from the chain asked for ({flag}); make them agree"),
            ))
        }
        (Some((id, _)), _) => *id,
        (None, Some(flag)) => flag,
        (None, None) => {
            return Err(PermissionError::new(
                "chainId",
                format!(
                    "the request ({}) names no chain; pass --chain-id N",
                    request.shape.name()
                ),
            ))
        }
    };
    let expiry = request.expiry.as_ref().ok_or_else(|| {
        PermissionError::new(
            "expiry",
            format!(
                "the request ({}) has no expiry; leash grants no session without an end",
                request.shape.name()
            ),
        )
    })?;
    check_seconds(&expiry.path, expiry.value)?;
    if expiry.value <= now {
        return Err(PermissionError::new(
            expiry.path.clone(),
            format!(
                "{} is not in the future (now {now}); an expiry is a unix time in seconds, \
                 not a duration: ask for now + duration",
                expiry.value
            ),
        ));
    }

    let mut builder = Builder::new(request.shape, expiry.value, now);
    if let Some(spend) = &request.spend {
        spend_permission(&mut builder, spend, request.signer.unwrap_or_default())?;
    }
    for item in &request.permissions {
        builder.add_permission(item)?;
    }
    for policy in &request.policies {
        builder.add_session_policy(policy)?;
    }
    let spec = builder.finish();
    spec.validate()
        .map_err(|e| PermissionError::new(format!("(mapped session) {}", e.path), e.reason))?;
    spec.check_times(now)
        .map_err(|e| PermissionError::new(format!("(mapped session) {}", e.path), e.reason))?;
    Ok(ImportedGrant {
        chain_id,
        account: request.account,
        signer: request.signer,
        shape: request.shape,
        spec,
    })
}

/// A spend permission: `allowance` of `token` per `period` from `start` to `end`, paid to
/// the spender.
fn spend_permission(
    b: &mut Builder,
    obj: &Obj<'_>,
    spender: Address,
) -> Result<(), PermissionError> {
    let token_child = obj.req("token")?;
    let token = token_child.node().address()?;
    if token != SPEND_NATIVE {
        return Err(token_child.node().err(format!(
            "an ERC-20 spend permission pays the spender only; leash can grant `transfer` on \
             {token} but cannot pin its recipient to the spender, so the session would allow \
             more than the permission; ask for the native token, or for an \
             erc20-token-periodic permission (any recipient) if that is what is meant"
        )));
    }
    let start_child = obj.req("start")?;
    let start = start_child.node().uint(48)?;
    check_seconds(&start_child.path, start)?;
    let period_child = obj.req("period")?;
    let period = period_child.node().uint(48)?;
    let here = obj.path().to_owned();
    b.spec.valid_after = start;
    b.set_schedule(&period_child, period, start, &here)?;
    b.periodic_only(Asset::Native, obj.req("allowance")?.node().u256()?, &here)?;
    b.grant(Target::Exact(spender), Selector::Exact(PLAIN_TRANSFER));
    if let Some(salt) = obj.get("salt") {
        b.spec.salt = B256::from(salt.node().u256()?);
    }
    if let Some(extra) = obj.get("extraData") {
        let text = extra.node().str()?;
        if text != "0x" && !text.is_empty() {
            return Err(extra
                .node()
                .err("extraData carries conditions leash cannot read; it must be empty (0x)"));
        }
    }
    Ok(())
}
