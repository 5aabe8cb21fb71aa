// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev The address forge's cheatcode handler answers at: `address(bytes20(uint160(uint256(keccak256("hevm cheat code")))))`.
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;

/// @title Vm
/// @notice The subset of forge's cheatcodes that leash's tests use (the project has no forge-std).
/// @dev Note: signatures follow foundry's cheatcode reference (forge 1.7). A wrong signature here does not
///      fail to compile: forge rejects the call at run time with "unknown cheatcode", so add cheatcodes only
///      after checking their exact ABI.
interface Vm {
    /// @notice One log captured by `recordLogs`.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // ----- Environment -----

    /// @notice Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;

    /// @notice Sets `block.number`.
    function roll(uint256 newHeight) external;

    /// @notice Sets `block.chainid`.
    function chainId(uint256 newChainId) external;

    /// @notice Sets `msg.sender` of the next call.
    function prank(address msgSender) external;

    /// @notice Sets `msg.sender` of every following call until `stopPrank`.
    function startPrank(address msgSender) external;

    /// @notice Ends a `startPrank`.
    function stopPrank() external;

    /// @notice Sets the native balance of `account`.
    function deal(address account, uint256 newBalance) external;

    /// @notice Sets the runtime code of `target`.
    function etch(address target, bytes calldata newRuntimeBytecode) external;

    /// @notice Writes one storage slot of `target`.
    function store(address target, bytes32 slot, bytes32 value) external;

    /// @notice Reads one storage slot of `target`.
    function load(address target, bytes32 slot) external view returns (bytes32 data);

    /// @notice Labels an address in traces.
    function label(address account, string calldata newLabel) external;

    // ----- Keys and signatures -----

    /// @notice Signs `digest` with `privateKey` (secp256k1, no prefix); `v` is 27 or 28.
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    /// @notice The address of `privateKey`.
    function addr(uint256 privateKey) external pure returns (address keyAddr);

    // ----- Expectations -----

    /// @notice The next call must revert (any data).
    function expectRevert() external;

    /// @notice The next call must revert with exactly `revertData`.
    function expectRevert(bytes calldata revertData) external;

    /// @notice The next call must revert with exactly these 4 bytes: a custom error WITHOUT arguments.
    ///         For an error with arguments, pass the full `abi.encodeWithSelector(...)` or use `expectPartialRevert`.
    function expectRevert(bytes4 revertData) external;

    /// @notice The next call must revert with data that starts with `revertData` (arguments not checked).
    function expectPartialRevert(bytes4 revertData) external;

    /// @notice The next emitted event must match the one emitted next by the test, on the chosen parts.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;

    /// @notice Like `expectEmit(true, true, true, true)`.
    function expectEmit() external;

    /// @notice Like `expectEmit()`, and the event must come from `emitter`.
    function expectEmit(address emitter) external;

    /// @notice The next call must be made with `msg.sender == msgSender` and `tx.origin == txOrigin`.
    function prank(address msgSender, address txOrigin) external;

    /// @notice Starts recording every emitted log.
    function recordLogs() external;

    /// @notice Returns and consumes the logs recorded since `recordLogs`.
    function getRecordedLogs() external returns (Log[] memory logs);

    /// @notice Skips the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    // ----- Files and environment -----

    /// @notice Reads a whole file (path relative to the project root; needs `fs_permissions`).
    function readFile(string calldata path) external view returns (string memory data);

    /// @notice Parses the JSON value at `key` (e.g. ".bytecode") as bytes.
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);

    /// @notice The absolute path of the project root.
    function projectRoot() external view returns (string memory path);

    /// @notice The creation code of an artifact (e.g. "TestAccount.sol:TestAccount").
    function getCode(string calldata artifactPath) external view returns (bytes memory creationBytecode);

    /// @notice The environment variable `name` as uint256, or `defaultValue` when unset.
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256 value);

    // ----- State and gas snapshots -----

    /// @notice Records the gas used by the last call (callee's view) as `name` in `snapshots/<Contract>.json`.
    function snapshotGasLastCall(string calldata name) external returns (uint256 gasUsed);

    /// @notice Snapshots the whole EVM state; returns its id.
    function snapshotState() external returns (uint256 snapshotId);

    /// @notice Restores the state of snapshot `snapshotId`; returns false if it does not exist.
    function revertToState(uint256 snapshotId) external returns (bool success);

    // ----- EVM version and EIP-7702 -----

    /// @notice Runs the rest of the test under EVM version `evm` (e.g. "prague", for EIP-7702 delegations).
    function setEvmVersion(string calldata evm) external;

    /// @notice The EVM version the test runs under.
    function getEvmVersion() external view returns (string memory evm);
}
