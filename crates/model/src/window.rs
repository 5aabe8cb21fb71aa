//! Rule 9: the window an op of a period gets, and how an EntryPoint judges it.

use crate::{Rejection, Session};

/// Largest time a window carries: from 2^47 on EntryPoint v0.9 (and OpenZeppelin's
/// ERC4337Utils) read validAfter/validUntil as block numbers, so sessions are created only with
/// times below it and period windows are capped at it.
pub const MAX_TIME: u64 = (1 << 47) - 1;

/// The window `(valid_after, valid_until)` of an op of `session` in `period_index`
/// (`valid_until == 0` = no expiry).
///
/// # Errors
///
/// `PeriodIndexNotAllowed`, `PeriodOutOfRange` or `WindowEmpty`.
pub fn op_window(session: &Session, period_index: u32) -> Result<(u64, u64), Rejection> {
    let (mut after, mut until) = (session.valid_after, session.valid_until);
    if session.period == 0 {
        if period_index != 0 {
            return Err(Rejection::PeriodIndexNotAllowed(period_index));
        }
        return Ok((after, until));
    }
    let start =
        u128::from(session.period_start) + u128::from(period_index) * u128::from(session.period);
    if start > u128::from(MAX_TIME) {
        return Err(Rejection::PeriodOutOfRange(period_index));
    }
    let end = (start + u128::from(session.period) - 1).min(u128::from(MAX_TIME));
    let (start, end) = (start as u64, end as u64);
    after = after.max(start);
    if until == 0 || end < until {
        until = end;
    }
    if after > until {
        return Err(Rejection::WindowEmpty(period_index));
    }
    Ok((after, until))
}

/// Which EntryPoint judges the window (they differ on `validAfter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPointRules {
    /// v0.7: valid when `validAfter <= now <= validUntil`.
    V07,
    /// v0.8: valid when `validAfter < now <= validUntil`.
    V08,
}

/// True when an EntryPoint accepts the window at `now` (`AA22` otherwise).
pub fn in_window(rules: EntryPointRules, valid_after: u64, valid_until: u64, now: u64) -> bool {
    let until = if valid_until == 0 {
        MAX_TIME
    } else {
        valid_until
    };
    let after_ok = match rules {
        EntryPointRules::V07 => now >= valid_after,
        EntryPointRules::V08 => now > valid_after,
    };
    after_ok && now <= until
}

/// The period an op sent at `now` must name to get a window containing `now`
/// (`None` before period 0 or beyond `u32`).
pub fn period_at(session: &Session, now: u64) -> Option<u32> {
    if session.period == 0 {
        return Some(0);
    }
    let since = now.checked_sub(session.period_start)?;
    u32::try_from(since / session.period).ok()
}
