#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod association;
mod inspector;
mod opcodes;
mod phase;
mod rules;
mod violation;

pub use association::{address_word, Preimages, ASSOCIATED_SLOT_RANGE};
pub use inspector::Erc7562Inspector;
pub use phase::{CREATE_SENDER, DEPOSIT_TO, VALIDATE_PAYMASTER_USER_OP, VALIDATE_USER_OP};
pub use violation::{Phase, Site, StorageAccess, StorageOp, Violation};
