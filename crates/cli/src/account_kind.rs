//! Which account implementation an op is for (`--account-kind`, else the account's ERC-7579
//! `accountId()`), so nonces, install data and ERC-1271 grants take that account's formats.

use alloy::primitives::Address;
use alloy::sol;
use alloy::sol_types::SolCall;
use leash_rpc::{CallRequest, NodeClient};
use leash_userop::account::AccountKind;

use crate::exit::usage;
use crate::output::Ui;

sol! {
    /// ERC-7579 `accountId()`.
    function accountId() external view returns (string);
}

/// `--account-kind` parser for clap.
pub(crate) fn parse(text: &str) -> Result<AccountKind, String> {
    text.parse::<AccountKind>()
        .map_err(|error| error.to_string())
}

/// `explicit`, else the kind `account`'s `accountId()` names on `node` (OpenZeppelin's layout,
/// with a note, when the account has no code yet and so answers nothing). An OpenZeppelin
/// account whose code is an EIP-7702 designator (`0xef0100 ‖ delegate`) is an EOA delegated to
/// it: `eip7702`.
///
/// # Errors
///
/// A usage error naming `--account-kind` when the `accountId()` call reverts or answers an id
/// leash does not know.
pub(crate) async fn resolve(
    explicit: Option<AccountKind>,
    node: &NodeClient,
    account: Address,
    ui: Ui,
) -> anyhow::Result<AccountKind> {
    if let Some(kind) = explicit {
        return Ok(kind);
    }
    let output = node
        .call(&CallRequest::call(account, accountIdCall {}.abi_encode()))
        .await
        .map_err(|error| {
            usage(
                format!("{account} did not answer ERC-7579 accountId() ({error})"),
                "pass --account-kind openzeppelin|msa|nexus|safe7579|kernel|eip7702 (an account not deployed yet has no accountId)",
            )
        })?;
    if output.is_empty() {
        // No code yet (a counterfactual account) or no answer: nothing to read the kind from.
        ui.progress(&format!(
            "{account} answers no accountId() (not deployed yet?): using --account-kind openzeppelin"
        ));
        return Ok(AccountKind::OpenZeppelin);
    }
    let id = accountIdCall::abi_decode_returns(&output).map_err(|error| {
        usage(
            format!("{account}'s accountId() answer is not a string ({error})"),
            "pass --account-kind openzeppelin|msa|nexus|safe7579|kernel|eip7702",
        )
    })?;
    let kind = AccountKind::from_account_id(&id)
        .map_err(|error| usage(error.to_string(), "pass --account-kind explicitly"))?;
    let kind = if kind == AccountKind::OpenZeppelin {
        kind.for_code(&node.get_code(account).await?)
    } else {
        kind
    };
    ui.progress(&format!("account {account}: {id} → --account-kind {kind}"));
    Ok(kind)
}

/// `explicit`, else OpenZeppelin's layout when no node is at hand to ask (an offline
/// `op build`/`op sign`; documented with `--account-kind`).
pub(crate) fn offline(explicit: Option<AccountKind>) -> AccountKind {
    explicit.unwrap_or(AccountKind::OpenZeppelin)
}
