//! Rule 16: execution-time settlement. Which ops must carry the `settle` wrapper, the wrapper's
//! shape and arguments (validation), and what the module's `settle` charges when the op runs
//! (execution).
//!
//! Op format (docs/session-key-validator.md, "Settlement"): a settled op is `execute` in batch
//! mode with exec type default, whose first and last calls are both the module's
//! `settle(uint32 periodIndex, bytes packedSession)` with no value and exactly
//! `abi.encode(periodIndex, packedSession)` (the op's named period, the packed bytes its
//! envelope carries, zero-padded); no other call is a `settle` call.

use crate::{
    decode::{Call, CallType, Decoded, ExecType},
    permissions::{ERC20_APPROVE, ERC20_INCREASE_ALLOWANCE, ERC20_TRANSFER, ERC20_TRANSFER_FROM},
    Context, Rejection, Selector, Session, SessionState, NATIVE_ASSET,
};
use alloy_primitives::{keccak256, Address, B256, U256};
use std::ops::Range;

/// `settle(uint32,bytes)`.
pub const SETTLE: Selector = Selector::new([0x9e, 0xdb, 0x9b, 0xaf]);

/// True when `call` is the module's `settle` (target as encoded).
pub fn is_settle(call: &Call, ctx: &Context) -> bool {
    call.target == ctx.module && call.selector() == SETTLE
}

/// True when the op is settled: an `execute` whose first call is the module's `settle`.
pub fn is_settled(decoded: &Decoded, ctx: &Context) -> bool {
    match decoded {
        Decoded::Execute { calls, .. } => calls.first().is_some_and(|c| is_settle(c, ctx)),
        Decoded::Direct { .. } => false,
    }
}

/// The calls the per-call permission checks (rules 3-6) look at: all of them, or all but the
/// first and the last call of a settled op (those are checked by [`check_settlement`]).
pub fn inner_range(calls: &[Call], ctx: &Context) -> Range<usize> {
    match calls.first() {
        Some(first) if is_settle(first, ctx) => 1..calls.len() - 1,
        _ => 0..calls.len(),
    }
}

/// True when a call to `target` with `selector` needs settlement in `session`: the session
/// limits a token, the call is not to the account, and it is not an understood spending call
/// (transfer, approve, increaseAllowance, transferFrom) on a limited token.
pub fn needs_settlement(
    session: &Session,
    target: Address,
    selector: Selector,
    account: Address,
) -> bool {
    if !session.limits_any_token() || target == account {
        return false;
    }
    let limited = target != NATIVE_ASSET
        && (session.tokens.iter().any(|t| t.token == target)
            || session.periodic.iter().any(|p| p.asset == target));
    let understood = [
        ERC20_TRANSFER,
        ERC20_APPROVE,
        ERC20_INCREASE_ALLOWANCE,
        ERC20_TRANSFER_FROM,
    ]
    .contains(&selector);
    !(limited && understood)
}

/// The call data of the module's `settle` for `period` and `packed` session bytes.
pub fn settle_data(period: u32, packed: &[u8]) -> Vec<u8> {
    let mut data = SETTLE.to_vec();
    data.extend_from_slice(&U256::from(period).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(0x40).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(packed.len()).to_be_bytes::<32>());
    data.extend_from_slice(packed);
    let padded = 100 + packed.len().div_ceil(32) * 32;
    data.resize(padded, 0);
    data
}

fn word(data: &[u8], at: usize) -> Option<U256> {
    data.get(at..at + 32).map(U256::from_be_slice)
}

/// The module's `_binds`-equivalent: no value, and data `SETTLE ‖ period ‖ 0x40 ‖ length ‖
/// packed ‖ zero padding` with `keccak256(packed) == session_id`.
fn binds(call: &Call, period: u32, session_id: B256) -> bool {
    let data = &call.data;
    let (Some(p), Some(offset), Some(length)) = (word(data, 4), word(data, 36), word(data, 68))
    else {
        return false;
    };
    if !call.value.is_zero() || p != U256::from(period) || offset != U256::from(0x40) {
        return false;
    }
    let Ok(length) = usize::try_from(length) else {
        return false;
    };
    if length >= data.len() || data.len() != 100 + length.div_ceil(32) * 32 {
        return false;
    }
    keccak256(&data[100..100 + length]) == session_id
        && data[100 + length..].iter().all(|b| *b == 0)
}

/// Rule 16 at validation, in the module's order (after the per-call checks, before fees and
/// counters).
///
/// # Errors
///
/// `SettlementModeInvalid`, `SettlementEndMissing`, then in call order
/// `SettlementArgumentsInvalid` / `SettlementCallMisplaced`, then `SettlementRequired` (first
/// call that needs settlement in an op that is not settled).
pub fn check_settlement(
    session: &Session,
    decoded: &Decoded,
    period: u32,
    session_id: B256,
    ctx: &Context,
) -> Result<(), Rejection> {
    let Decoded::Execute {
        call_type,
        exec_type,
        calls,
    } = decoded
    else {
        return Ok(());
    };
    let n = calls.len();
    let settled = is_settled(decoded, ctx);
    if settled {
        if *call_type != CallType::Batch || *exec_type != ExecType::Default {
            let mut mode = [0u8; 32];
            mode[0] = u8::from(*call_type == CallType::Batch);
            mode[1] = u8::from(*exec_type == ExecType::Try);
            return Err(Rejection::SettlementModeInvalid(B256::from(mode)));
        }
        if n < 2 || !is_settle(&calls[n - 1], ctx) {
            return Err(Rejection::SettlementEndMissing(n - 1));
        }
    }
    let mut required = None;
    for (i, call) in calls.iter().enumerate() {
        let target = if call.target == Address::ZERO {
            ctx.account
        } else {
            call.target
        };
        if settled && (i == 0 || i == n - 1) {
            if !binds(call, period, session_id) {
                return Err(Rejection::SettlementArgumentsInvalid(i));
            }
            continue;
        }
        if target == ctx.module && call.selector() == SETTLE {
            return Err(Rejection::SettlementCallMisplaced(i));
        }
        if required.is_none()
            && !settled
            && needs_settlement(session, target, call.selector(), ctx.account)
        {
            required = Some(i);
        }
    }
    match required {
        Some(i) => Err(Rejection::SettlementRequired(i)),
        None => Ok(()),
    }
}

/// The closing `settle` of an op exceeded an allowance: the op's calls revert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SettledAllowanceExceeded({asset}, index {index}, asked {asked}, left {left})")]
pub struct SettledAllowanceExceeded {
    /// The asset.
    pub asset: Address,
    /// Entry of `tokens ‖ periodic` (below `tokens.len()`: the erc20 allowance; from it: the
    /// periodic allowance in the op's period).
    pub index: usize,
    /// What the balance lost during the op.
    pub asked: U256,
    /// What was left of that allowance.
    pub left: U256,
}

/// What the module's closing `settle` does to a session's counters: `lost[e]` is what the
/// account's balance of entry `e`'s asset (entries: `tokens` then `periodic`) lost between
/// the two settle calls (0 when it did not fall; NATIVE_ASSET entries are ignored). Entries are
/// charged in order; the first one over what is left reverts the whole execution, so on error
/// nothing changes.
///
/// # Errors
///
/// [`SettledAllowanceExceeded`] for the first entry whose loss exceeds what is left.
pub fn settle(
    session: &Session,
    state: &SessionState,
    period: u32,
    lost: &[U256],
) -> Result<SessionState, SettledAllowanceExceeded> {
    let mut next = state.clone();
    let n_tokens = session.tokens.len();
    let entries = session
        .tokens
        .iter()
        .map(|t| (t.token, t.amount))
        .chain(session.periodic.iter().map(|p| (p.asset, p.amount)));
    for (index, ((asset, amount), lost)) in entries.zip(lost).enumerate() {
        if asset == NATIVE_ASSET || lost.is_zero() {
            continue;
        }
        let spent = if index < n_tokens {
            next.token(asset)
        } else {
            next.periodic(asset, period)
        };
        let left = amount.saturating_sub(spent);
        if *lost > left {
            return Err(SettledAllowanceExceeded {
                asset,
                index,
                asked: *lost,
                left,
            });
        }
        if index < n_tokens {
            next.token_spent.insert(asset, spent + lost);
        } else {
            next.periodic_spent.insert((asset, period), spent + lost);
        }
    }
    Ok(next)
}
