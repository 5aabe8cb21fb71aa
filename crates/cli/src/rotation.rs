//! Rotation that never enlarges a budget: the new key is granted what the chain says is left
//! of the old session, in the same window.

use alloy::primitives::{B256, U256};
use leash_keys::permissions::TokenAllowance;
use leash_keys::SessionSpec;

use crate::onchain::Remaining;

/// The permissions of the session that replaces `old`, given what is left of it: the same
/// calls, window and schedule, and the unspent part of every cumulative budget.
///
/// Periodic allowances and rate limits are refused: what is left of them is known only for
/// one period, and granting the full per-period amount again would let the current period
/// be spent twice.
pub(crate) fn carry_over(
    old: &SessionSpec,
    left: &Remaining,
    salt: B256,
) -> Result<SessionSpec, String> {
    if !old.periodic.is_empty() || old.rate_limit != 0 {
        return Err(
            "rotation with periodic allowances or a rate limit would re-grant the current period; \
             create a new session starting at the next period instead"
                .to_owned(),
        );
    }
    if left.tokensLeft.len() != old.tokens.len() {
        return Err(format!(
            "the module reported {} token budgets for a session with {}",
            left.tokensLeft.len(),
            old.tokens.len()
        ));
    }
    // 0 means "no limit" for both fields: a spent limit must not turn into none.
    let max_uses = if old.max_uses == 0 {
        0
    } else if left.usesLeft.is_zero() {
        return Err("every use of the session is spent: nothing to rotate".to_owned());
    } else {
        u32::try_from(left.usesLeft).map_err(|_| "usesLeft does not fit uint32".to_owned())?
    };
    let tokens = old
        .tokens
        .iter()
        .zip(&left.tokensLeft)
        .map(|(token, amount)| TokenAllowance {
            token: token.token,
            amount: (*amount).min(token.amount),
        })
        .collect();
    let gas_budget = if old.gas_budget.is_zero() {
        U256::ZERO
    } else if left.gasLeft.is_zero() {
        return Err("the session's gas budget is spent: nothing to rotate".to_owned());
    } else {
        left.gasLeft.min(old.gas_budget)
    };
    Ok(SessionSpec {
        signer: alloy::primitives::Address::ZERO,
        max_uses,
        native_allowance: left.nativeLeft.min(old.native_allowance),
        fee_budget: left.feeLeft.min(old.fee_budget),
        gas_budget,
        tokens,
        salt,
        ..old.clone()
    })
}
