//! Permission files: leash's own JSON format, the on-chain `Session` it maps onto, the checks
//! a new session must pass, and import of the permission requests apps send (ERC-7715 and
//! the shapes around it).

mod checks;
mod error;
mod file;
mod json;
mod packed;
mod spec;

pub mod erc7715;
pub mod onchain;

pub use checks::{check_seconds, Payment, MILLISECONDS_FROM};
pub use error::PermissionError;
pub use spec::{
    Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target, TokenAllowance,
    MAX_ACCOUNT_SELECTORS, MAX_CALLS, MAX_PAYMASTERS, MAX_PERIODIC, MAX_TOKENS, MAX_UINT48,
};

/// Parses a function selector as permission files write it: `0x` + 8 hex digits or a
/// canonical signature such as `transfer(address,uint256)`.
pub fn parse_selector(text: &str) -> Result<alloy::primitives::FixedBytes<4>, PermissionError> {
    json::parse_selector(text).map_err(|reason| PermissionError::new("selector", reason))
}
