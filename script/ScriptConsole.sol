// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ScriptConsole
/// @notice Prints lines in forge's script output (forge decodes static calls to the console address).
/// @dev Note: only the signatures used by leash's scripts; both exist in forge's console ABI, which is what
///      forge matches the selector against. A call to the console address does nothing on a real chain and is
///      never broadcast (it is a static call).
library ScriptConsole {
    /// @dev `address(bytes20(bytes("console.log")))` left-padded, where forge listens.
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    /// @dev Prints `message`.
    function log(string memory message) internal view {
        _send(abi.encodeWithSignature("log(string)", message));
    }

    /// @dev Prints `message` followed by `value`.
    function log(string memory message, string memory value) internal view {
        _send(abi.encodeWithSignature("log(string,string)", message, value));
    }

    /// @dev Prints `message` followed by `value`.
    function log(string memory message, address value) internal view {
        _send(abi.encodeWithSignature("log(string,address)", message, value));
    }

    function _send(bytes memory payload) private view {
        // The console has no code: the call succeeds and returns nothing; its result is irrelevant.
        (bool ignored,) = CONSOLE.staticcall(payload);
        ignored;
    }
}
