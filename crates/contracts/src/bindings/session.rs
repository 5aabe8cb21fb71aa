//! The session-key validator module, generated from its compiled ABI
//! (`abi/SessionKeyValidator.json`): the `Session` struct and its parts
//! (contracts/session/SessionTypes.sol), `Remaining`, every external function, event and
//! custom error. The contract is the only definition; `tests/abi_fresh.rs` fails when the
//! committed ABI file no longer matches the compiled contract.

use alloy::{
    primitives::{address, Address},
    sol,
};

/// Sentinel asset that stands for the native token in periodic allowances
/// (`NATIVE_ASSET` in SessionTypes.sol).
pub const NATIVE_ASSET: Address = address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
/// `CallGrant.flags` bit: the grant matches any target (`GRANT_ANY_TARGET`).
pub const GRANT_ANY_TARGET: u8 = 0x01;
/// `CallGrant.flags` bit: the grant matches any selector (`GRANT_ANY_SELECTOR`).
pub const GRANT_ANY_SELECTOR: u8 = 0x02;
/// ERC-7579 module type of a validator.
pub const MODULE_TYPE_VALIDATOR: u64 = 1;

sol!(
    /// The session-key validator's external surface, generated from the compiled
    /// `SessionKeyValidator` ABI. `msg.sender` is the account for every state-changing call;
    /// `Session`, `CallGrant`, `TokenAllowance`, `PeriodicAllowance` and `Remaining` are the
    /// module's own structs.
    #[derive(Debug, PartialEq, Eq, Default)]
    ISessionKeyValidator,
    "abi/SessionKeyValidator.json"
);

pub use ISessionKeyValidator::{CallGrant, PeriodicAllowance, Session, TokenAllowance};
