// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title VmGas
/// @notice The cheatcode the gas benchmarks need beyond tests/base/Vm.sol.
/// @dev Note: forge 1.7 `cool(address)` (selector 0x40ff9f21) marks every loaded storage slot of `target` cold
///      and clears the account's "touched" mark. It does NOT reset a slot's original (start-of-transaction)
///      value, so an SSTORE to a slot written earlier in the same transaction is still priced as a dirty
///      write; the benchmarks therefore run their warm-up ops in `setUp` (a transaction of its own) and use
///      `cool` only for what building the measured op touched in the test's own transaction.
interface VmGas {
    /// @notice Marks the storage slots of `target` cold.
    function cool(address target) external;
}
