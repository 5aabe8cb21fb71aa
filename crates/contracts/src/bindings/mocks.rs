//! Test fixtures that stand in for the outside world: a token, a call recorder, a paymaster.
//! Generated from their compiled ABIs (`abi/MockERC20.json`, `abi/RecordingTarget.json`,
//! `abi/AcceptAllPaymaster.json`).

use alloy::sol;

sol!(
    /// The `MockERC20` fixture: an OpenZeppelin ERC-20 (18 decimals) anyone can mint.
    #[derive(Debug, PartialEq, Eq)]
    MockERC20,
    "abi/MockERC20.json"
);

sol!(
    /// The `RecordingTarget` fixture: records every call it receives.
    #[derive(Debug, PartialEq, Eq)]
    RecordingTarget,
    "abi/RecordingTarget.json"
);

// In a module of its own only for `allow(missing_docs)`: `sol!` writes no doc comment on the
// user-defined value type it generates for the `IPaymaster.PostOpMode` enum.
#[allow(missing_docs)]
mod accept_all_paymaster {
    alloy::sol!(
        /// The `AcceptAllPaymaster` fixture: sponsors every op.
        #[derive(Debug, PartialEq, Eq)]
        AcceptAllPaymaster,
        "abi/AcceptAllPaymaster.json"
    );
}

pub use accept_all_paymaster::{AcceptAllPaymaster, IPaymaster};
