//! The one error type of this crate.

use crate::DecodedRevert;
use alloy::primitives::Address;
use leash_userop::EntryPointVersion;

/// Why the harness could not do what was asked.
///
/// A transaction that runs and reverts is *not* an error for [`crate::Chain::call`] or
/// [`crate::Chain::handle_ops`] (their outcome carries the revert); it is one for calls whose
/// result the harness needs ([`crate::Chain::deploy`], [`crate::Chain::view`], the helpers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvmError {
    /// revm refused the transaction before running it (bad gas limit, balance, ...).
    #[error("transaction rejected by the EVM: {0}")]
    Rejected(String),
    /// A contract creation reverted or halted.
    #[error("deployment reverted: {0}")]
    DeployReverted(Box<DecodedRevert>),
    /// A call whose result was needed reverted or halted.
    #[error("call to {to} reverted: {revert}")]
    Reverted {
        /// The called contract.
        to: Address,
        /// What it reverted with.
        revert: Box<DecodedRevert>,
    },
    /// Deploying an EntryPoint through the deterministic deployer did not land it at its
    /// canonical address (wrong creation code or salt).
    #[error("EntryPoint {version} landed at {found}, expected {expected}")]
    EntryPointMisplaced {
        /// Which EntryPoint.
        version: EntryPointVersion,
        /// Its canonical address.
        expected: Address,
        /// Where it went (zero when the deployment failed).
        found: Address,
    },
    /// Return data did not decode as the called function's outputs.
    #[error("cannot decode the return data of `{function}`: {reason}")]
    BadReturnData {
        /// The Solidity function that was called.
        function: &'static str,
        /// What the decoder reported.
        reason: String,
    },
    /// A compiled artifact the harness needs is missing.
    #[error(transparent)]
    Contracts(#[from] leash_contracts::ContractsError),
    /// A user operation could not be built.
    #[error(transparent)]
    UserOp(#[from] leash_userop::UserOpError),
}
