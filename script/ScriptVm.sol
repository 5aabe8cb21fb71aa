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

    /// @notice The environment variable `name` read as an address (reverts when unset or malformed).
    function envAddress(string calldata name) external view returns (address value);

    /// @notice The environment variable `name` read as a uint256, decimal or 0x-hex (reverts when unset or malformed).
    function envUint(string calldata name) external view returns (uint256 value);
}

/// @dev The cheatcode handler, typed with the script-side interface.
ScriptVm constant SCRIPT_VM = ScriptVm(VM_ADDRESS);
