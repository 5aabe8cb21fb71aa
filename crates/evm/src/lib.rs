#![doc = include_str!("../README.md")]

mod accounts;
mod chain;
mod decode;
mod entry_point;
mod error;
mod fork;
pub mod inspect;
mod tokens;

pub use accounts::{OpGas, TestAccountHandle, OWNER_OP_GAS};
pub use chain::{CallOutcome, Chain, Snapshot, DEFAULT_CHAIN_ID, GENESIS_TIMESTAMP};
pub use decode::{format_revert_data, DecodedEvent, DecodedRevert, ErrorRegistry};
pub use entry_point::HandleOpsOutcome;
pub use error::EvmError;
pub use fork::{ForkCacheDb, ForkContext, ForkDb, ForkError, ForkedChain, FORK_SPEC};
