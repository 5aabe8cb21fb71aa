#![doc = include_str!("../README.md")]

pub mod decode;
mod lifecycle;
mod op;
pub mod permissions;
mod rejection;
mod session;
pub mod settlement;
mod state;
mod validate;
pub mod window;

pub use lifecycle::{
    check_format, AdminError, MAX_ACCOUNT_SELECTORS, MAX_CALL_GRANTS, MAX_FEE_BUDGET,
    MAX_LIVE_SESSIONS, MAX_PAYMASTERS, MAX_PERIODIC, MAX_TOKENS,
};
pub use op::{Context, Envelope, ModuleKind, OpInput, ParsedEnvelope};
pub use rejection::Rejection;
pub use session::{
    CallGrant, PeriodicAllowance, Selector, Session, TokenAllowance, GRANT_ANY_SELECTOR,
    GRANT_ANY_TARGET, NATIVE_ASSET,
};
pub use state::{AccountState, SessionState, Status};
pub use validate::{
    remaining, validate, Accepted, Charged, Remaining, Verdict, PAYMASTER_DATA_OFFSET,
};
