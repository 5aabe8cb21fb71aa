// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm, VM_ADDRESS} from "../tests/base/Vm.sol";

/// @title ScriptVm
/// @notice The cheatcodes leash's forge scripts use on top of the test-side `Vm` (the project has no forge-std).
/// @dev Note: signatures follow foundry's cheatcode reference (forge 1.7); a wrong one compiles but fails at run
///      time with "unknown cheatcode".
interface ScriptVm is Vm {
    /// @notice Every following call made by the script becomes a transaction signed by forge's sender
    ///         (`--private-key`, `--account`, or `--unlocked --sender`).
    function startBroadcast() external;

    /// @notice Ends a `startBroadcast`.
    function stopBroadcast() external;

    /// @notice `value` as 0x-prefixed hex text.
    function toString(bytes32 value) external pure returns (string memory text);
}

/// @dev The cheatcode handler, typed with the script-side interface.
ScriptVm constant SCRIPT_VM = ScriptVm(VM_ADDRESS);
