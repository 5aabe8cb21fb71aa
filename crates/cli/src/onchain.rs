//! The bridge from a registry session to the module's ABI: the `Session` struct, the
//! `remainingOf` view, the calls that manage sessions, and session user operations.

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolValue};
use anyhow::Context;
use leash_contracts::bindings::session::{ISessionKeyValidator, Session};
use leash_keys::SessionSpec;
use leash_userop::erc7579::{execute_batch, execute_single, Execution};
use leash_userop::UserOperation;
use serde_json::{json, Value};

use crate::tokens::TokenBook;
use crate::units::{format_ether, format_time, format_token, format_units};

/// What the module says is left of a session.
pub(crate) type Remaining = ISessionKeyValidator::Remaining;

/// The module's `Session` for `spec` (same ABI encoding, so the same session id).
pub(crate) fn session(spec: &SessionSpec) -> anyhow::Result<Session> {
    let encoded = spec.to_sol().context("permissions")?.abi_encode();
    Session::abi_decode(&encoded).context("re-encoding the session for the module")
}

/// `grantSession(session)` call data (the account calls the module with it).
pub(crate) fn create_session_call(spec: &SessionSpec) -> anyhow::Result<Bytes> {
    Ok(ISessionKeyValidator::grantSessionCall {
        session: session(spec)?,
    }
    .abi_encode()
    .into())
}

/// `remainingOf(account, session, periodIndex)` call data.
pub(crate) fn remaining_call(
    account: Address,
    spec: &SessionSpec,
    period_index: u32,
) -> anyhow::Result<Bytes> {
    Ok(ISessionKeyValidator::remainingOfCall {
        account,
        session: session(spec)?,
        periodIndex: period_index,
    }
    .abi_encode()
    .into())
}

/// Decodes the return data of `remainingOf`.
pub(crate) fn decode_remaining(output: &[u8]) -> anyhow::Result<Remaining> {
    ISessionKeyValidator::remainingOfCall::abi_decode_returns(output)
        .context("decoding the module's `remainingOf` answer")
}

/// Name of an on-chain session status.
pub(crate) fn status_name(status: u8) -> &'static str {
    match status {
        0 => "none",
        1 => "active",
        2 => "paused",
        3 => "revoked",
        _ => "unknown",
    }
}

/// `remainingOf` as JSON: amounts in base units (wei) as exact decimal strings; beside them,
/// for a token `book` knows, its `symbol`, `decimals` and `leftFormatted`, and the native and
/// fee amounts in ether (`nativeLeftEther`, `feeLeftEther`).
pub(crate) fn remaining_json(spec: &SessionSpec, left: &Remaining, book: &TokenBook) -> Value {
    json!({
        "status": status_name(left.status),
        "usesLeft": left.usesLeft.to_string(),
        "nativeLeft": left.nativeLeft.to_string(),
        "nativeLeftEther": format_units(left.nativeLeft, 18),
        "tokensLeft": spec.tokens.iter().zip(&left.tokensLeft)
            .map(|(t, l)| {
                let mut entry = json!({"token": t.token, "left": l.to_string()});
                if let Some(info) = book.get(&t.token) {
                    entry["symbol"] = json!(info.symbol);
                    entry["decimals"] = json!(info.decimals);
                    entry["leftFormatted"] = json!(format_units(*l, info.decimals));
                }
                entry
            }).collect::<Vec<_>>(),
        "periodicLeft": left.periodicLeft.iter().map(U256::to_string).collect::<Vec<_>>(),
        "rateLeft": left.rateLeft.to_string(),
        "feeLeft": left.feeLeft.to_string(),
        "feeLeftEther": format_units(left.feeLeft, 18),
        "gasLeft": left.gasLeft.to_string(),
        "validAfter": left.validAfter.to::<u64>(),
        "validUntil": left.validUntil.to::<u64>(),
    })
}

/// `remainingOf` as text lines: token amounts in the token's units when `book` knows it (else
/// base units), native amounts in ether with the wei beside them.
pub(crate) fn remaining_lines(
    spec: &SessionSpec,
    left: &Remaining,
    book: &TokenBook,
) -> Vec<String> {
    let uses = if left.usesLeft == U256::MAX {
        "unlimited".to_owned()
    } else {
        left.usesLeft.to_string()
    };
    let mut lines = vec![
        format!("status on-chain: {}", status_name(left.status)),
        format!("uses left:       {uses}"),
    ];
    for (token, amount) in spec.tokens.iter().zip(&left.tokensLeft) {
        let info = book.get(&token.token);
        lines.push(format!(
            "token left:      {} of {} ({})",
            format_token(*amount, info),
            format_token(token.amount, info),
            token.token
        ));
    }
    lines.push(format!(
        "native left:     {}",
        format_ether(left.nativeLeft)
    ));
    lines.push(format!("fee left:        {}", format_ether(left.feeLeft)));
    lines.push(format!(
        "window:          {} .. {}",
        format_time(left.validAfter.to::<u64>()),
        format_time(left.validUntil.to::<u64>())
    ));
    lines
}

/// The account call data for `calls`: `execute` single for one call, batch for more.
pub(crate) fn execute_call_data(calls: &[Execution]) -> anyhow::Result<Bytes> {
    match calls {
        [] => Err(crate::exit::usage(
            "an op needs at least one call",
            "pass --call TARGET,VALUE,DATA or --calls-file FILE",
        )),
        [call] => Ok(execute_single(call.target, call.value, &call.call_data)),
        many => Ok(execute_batch(many)),
    }
}

/// Gas and fee fields of a session op.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpGas {
    /// `callGasLimit`.
    pub(crate) call_gas_limit: u128,
    /// `verificationGasLimit`.
    pub(crate) verification_gas_limit: u128,
    /// `preVerificationGas`.
    pub(crate) pre_verification_gas: u64,
    /// `maxFeePerGas`.
    pub(crate) max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub(crate) max_priority_fee_per_gas: u128,
}

/// An optional paymaster of a session op.
#[derive(Clone, Debug)]
pub(crate) struct Sponsor {
    /// The paymaster.
    pub(crate) paymaster: Address,
    /// Its validation gas limit.
    pub(crate) verification_gas_limit: u128,
    /// Its `postOp` gas limit.
    pub(crate) post_op_gas_limit: u128,
    /// Its data.
    pub(crate) data: Bytes,
}

/// An unsigned op of `account` with `nonce` (the account profile's nonce that selects the
/// module).
pub(crate) fn session_user_op(
    account: Address,
    nonce: U256,
    call_data: Bytes,
    gas: OpGas,
    sponsor: Option<&Sponsor>,
) -> anyhow::Result<UserOperation> {
    let mut builder = UserOperation::builder()
        .sender(account)
        .nonce(nonce)
        .call_data(call_data)
        .call_gas_limit(gas.call_gas_limit)
        .verification_gas_limit(gas.verification_gas_limit)
        .pre_verification_gas(gas.pre_verification_gas)
        .max_fee_per_gas(gas.max_fee_per_gas)
        .max_priority_fee_per_gas(gas.max_priority_fee_per_gas);
    if let Some(sponsor) = sponsor {
        builder = builder
            .paymaster(sponsor.paymaster)
            .paymaster_verification_gas_limit(sponsor.verification_gas_limit)
            .paymaster_post_op_gas_limit(sponsor.post_op_gas_limit)
            .paymaster_data(sponsor.data.clone());
    }
    builder.build().context("building the user operation")
}
