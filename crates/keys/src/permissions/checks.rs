//! Checks for a session about to be created (as opposed to one read back from chain, which
//! [`SessionSpec::validate`] alone covers): times that are plausible seconds and still ahead,
//! and a way to pay for ops.

use alloy::primitives::{Address, U256};

use super::error::PermissionError;
use super::spec::SessionSpec;

/// Timestamps from here on are taken for milliseconds: 10^11 seconds is the year 5138,
/// while `Date.now()` has been above 10^12 since 2001.
pub const MILLISECONDS_FROM: u64 = 100_000_000_000;

/// Refuses a timestamp that looks like milliseconds, naming the value in seconds.
pub fn check_seconds(path: &str, value: u64) -> Result<(), PermissionError> {
    if value >= MILLISECONDS_FROM {
        return Err(PermissionError::new(
            path,
            format!(
                "{value} looks like milliseconds (Date.now()), leash reads unix seconds; write \
                 {} instead",
                value / 1000
            ),
        ));
    }
    Ok(())
}

/// How a session pays for its ops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payment {
    /// Unsponsored ops, up to this much in max fees (wei), and sponsored ops through these
    /// paymasters (either may be empty, not both).
    Pays {
        /// Cumulative max fee of unsponsored ops; 0 = none.
        fee_budget: U256,
        /// Paymasters that may sponsor its ops.
        paymasters: Vec<Address>,
    },
    /// Neither: the module rejects every op (`UnsponsoredNotAllowed`).
    CannotPay,
}

impl Payment {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Payment::CannotPay => {
                "cannot pay: no fee budget and no paymaster, every op is rejected".to_owned()
            }
            Payment::Pays {
                fee_budget,
                paymasters,
            } => {
                let mut parts = Vec::new();
                if !fee_budget.is_zero() {
                    let ether = alloy::primitives::utils::format_ether(*fee_budget);
                    let ether = ether.trim_end_matches('0').trim_end_matches('.');
                    parts.push(format!(
                        "its own ETH, up to {ether} ETH ({fee_budget} wei) in max fees"
                    ));
                }
                if !paymasters.is_empty() {
                    let list: Vec<String> =
                        paymasters.iter().map(|p| p.to_checksum(None)).collect();
                    parts.push(format!("sponsored by {}", list.join(", ")));
                }
                parts.join("; or ")
            }
        }
    }
}

impl SessionSpec {
    /// How this session pays for its ops.
    pub fn payment(&self) -> Payment {
        if self.fee_budget.is_zero() && self.paymasters.is_empty() {
            Payment::CannotPay
        } else {
            Payment::Pays {
                fee_budget: self.fee_budget,
                paymasters: self.paymasters.clone(),
            }
        }
    }

    /// Time sanity of a new session: no timestamp in milliseconds, an end still ahead of
    /// `now`, and a period schedule that starts before the window ends.
    pub fn check_times(&self, now: u64) -> Result<(), PermissionError> {
        check_seconds("validAfter", self.valid_after)?;
        check_seconds("validUntil", self.valid_until)?;
        check_seconds("period.start", self.period_start)?;
        if self.valid_until <= now {
            return Err(PermissionError::new(
                "validUntil",
                format!(
                    "{} is not in the future (now {now}); a session that has already ended can \
                     never be used: pick a later end",
                    self.valid_until
                ),
            ));
        }
        if self.period != 0 && self.period_start > self.valid_until {
            return Err(PermissionError::new(
                "period.start",
                format!(
                    "period 0 starts at {}, after the window ends ({}): no period would ever be \
                     usable; start it at or before validUntil",
                    self.period_start, self.valid_until
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a session that could never send an op: without a fee budget the module
    /// rejects unsponsored ops, without a paymaster it rejects sponsored ones.
    pub fn check_can_pay(&self) -> Result<(), PermissionError> {
        if self.payment() == Payment::CannotPay {
            return Err(PermissionError::new(
                "feeBudget",
                "the session could never send an op: it has no fee budget (for ops it pays \
                 itself) and no paymaster (for sponsored ops), so the module rejects every op \
                 (UnsponsoredNotAllowed); give it one: --fee-budget AMOUNT (e.g. 0.01ether) \
                 or --paymaster ADDR (in a permission file: \"feeBudget\" or \"paymasters\")",
            ));
        }
        Ok(())
    }

    /// Everything a new session must pass: [`Self::validate`], [`Self::check_times`] and
    /// [`Self::check_can_pay`].
    pub fn check_new(&self, now: u64) -> Result<(), PermissionError> {
        self.validate()?;
        self.check_times(now)?;
        self.check_can_pay()
    }
}
