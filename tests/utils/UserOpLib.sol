// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {IEntryPointExtra} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {Execution, IERC7579Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Vm, VM_ADDRESS} from "../base/Vm.sol";

/// @title UserOpLib
/// @notice Builds, signs and submits ERC-4337 v0.7/v0.8 packed user ops and ERC-7579 execution call data
///         in tests.
/// @dev Note:
///      - Packing follows ERC-4337 v0.7/v0.8: `accountGasLimits = verificationGasLimit(16) ‖ callGasLimit(16)`,
///        `gasFees = maxPriorityFeePerGas(16) ‖ maxFeePerGas(16)`,
///        `paymasterAndData = paymaster(20) ‖ pmVerificationGasLimit(16) ‖ pmPostOpGasLimit(16) ‖ data`.
///      - The nonce selects the validator on OpenZeppelin's AccountERC7579:
///        `validator(20) ‖ key(4) ‖ sequence(8)`; the EntryPoint's 192-bit key is `validator(20) ‖ key(4)`.
///      - The hash to sign is always the EntryPoint's own `getUserOpHash` (EIP-712 on v0.8), signed raw.
library UserOpLib {
    Vm private constant vm = Vm(VM_ADDRESS);

    /// @dev ERC-7579 modes (call type ‖ exec type ‖ 4 unused ‖ 4 selector ‖ 22 payload).
    bytes32 internal constant MODE_SINGLE = bytes32(0);
    bytes32 internal constant MODE_BATCH = bytes32(uint256(0x01) << 248);
    bytes32 internal constant MODE_TRY_SINGLE = bytes32(uint256(0x0001) << 240);
    bytes32 internal constant MODE_TRY_BATCH = bytes32(uint256(0x0101) << 240);
    bytes32 internal constant MODE_DELEGATECALL = bytes32(uint256(0xff) << 248);

    /// @dev Default gas values of `newOp`: generous, as tests run with a zero base fee.
    uint128 internal constant DEFAULT_VERIFICATION_GAS = 1_000_000;
    uint128 internal constant DEFAULT_CALL_GAS = 1_000_000;
    /// @dev Verification gas for an op whose initCode deploys a TestAccount (about 10 KB of runtime code).
    uint128 internal constant INITCODE_VERIFICATION_GAS = 5_000_000;
    uint256 internal constant DEFAULT_PRE_VERIFICATION_GAS = 60_000;
    uint128 internal constant DEFAULT_MAX_PRIORITY_FEE = 1 gwei;
    uint128 internal constant DEFAULT_MAX_FEE = 2 gwei;

    /// @dev Beneficiary used by `handleOne(ep, op)`.
    address payable internal constant DEFAULT_BENEFICIARY =
        payable(address(uint160(uint256(keccak256("leash.beneficiary")))));

    // ----- Building -----

    /// @dev An unsigned op with the default gas values, no initCode and no paymaster.
    function newOp(address sender, uint256 nonce, bytes memory callData)
        internal
        pure
        returns (PackedUserOperation memory op)
    {
        op.sender = sender;
        op.nonce = nonce;
        op.callData = callData;
        op.accountGasLimits = packGasLimits(DEFAULT_VERIFICATION_GAS, DEFAULT_CALL_GAS);
        op.preVerificationGas = DEFAULT_PRE_VERIFICATION_GAS;
        op.gasFees = packGasFees(DEFAULT_MAX_PRIORITY_FEE, DEFAULT_MAX_FEE);
    }

    /// @dev `verificationGasLimit(16) ‖ callGasLimit(16)`.
    function packGasLimits(uint128 verificationGasLimit, uint128 callGasLimit)
        internal
        pure
        returns (bytes32)
    {
        return bytes32(uint256(verificationGasLimit) << 128 | uint256(callGasLimit));
    }

    /// @dev `maxPriorityFeePerGas(16) ‖ maxFeePerGas(16)`.
    function packGasFees(uint128 maxPriorityFeePerGas, uint128 maxFeePerGas) internal pure returns (bytes32) {
        return bytes32(uint256(maxPriorityFeePerGas) << 128 | uint256(maxFeePerGas));
    }

    /// @dev `paymaster(20) ‖ verificationGasLimit(16) ‖ postOpGasLimit(16) ‖ data`.
    function packPaymasterAndData(
        address paymaster,
        uint128 verificationGasLimit,
        uint128 postOpGasLimit,
        bytes memory data
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(paymaster, verificationGasLimit, postOpGasLimit, data);
    }

    // ----- Nonces -----

    /// @dev The EntryPoint nonce key that selects `validator` on an OpenZeppelin ERC-7579 account.
    function validatorNonceKey(address validator, uint32 key) internal pure returns (uint192) {
        return uint192(uint160(validator)) << 32 | uint192(key);
    }

    /// @dev `validator(20) ‖ key(4) ‖ sequence(8)`.
    function validatorNonce(address validator, uint32 key, uint64 sequence) internal pure returns (uint256) {
        return uint256(uint160(validator)) << 96 | uint256(key) << 64 | uint256(sequence);
    }

    /// @dev The next valid nonce of `sender` for `validator` and `key`, as the EntryPoint reports it.
    function nextNonce(IEntryPoint ep, address sender, address validator, uint32 key)
        internal
        view
        returns (uint256)
    {
        return ep.getNonce(sender, validatorNonceKey(validator, key));
    }

    // ----- Hashing and signing -----

    /// @dev The EntryPoint's userOpHash of `op`.
    function hash(IEntryPoint ep, PackedUserOperation memory op) internal view returns (bytes32) {
        return IEntryPointExtra(address(ep)).getUserOpHash(op);
    }

    /// @dev `r ‖ s ‖ v` (65 bytes) over `digest`, no prefix.
    function signDigest(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev `r ‖ s ‖ v` over the EntryPoint's userOpHash of `op`.
    function signOp(IEntryPoint ep, PackedUserOperation memory op, uint256 privateKey)
        internal
        view
        returns (bytes memory)
    {
        return signDigest(privateKey, hash(ep, op));
    }

    // ----- ERC-7579 execution -----

    /// @dev Single-call execution data: `target(20) ‖ value(32) ‖ data`.
    function encodeSingle(address target, uint256 value, bytes memory data)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(target, value, data);
    }

    /// @dev Batch execution data: `abi.encode(Execution[])`.
    function encodeBatch(Execution[] memory executions) internal pure returns (bytes memory) {
        return abi.encode(executions);
    }

    /// @dev Account call data `execute(mode, executionCalldata)`.
    function execute(bytes32 mode, bytes memory executionCalldata) internal pure returns (bytes memory) {
        return abi.encodeCall(IERC7579Execution.execute, (mode, executionCalldata));
    }

    /// @dev Account call data for one call (single mode, default exec type).
    function executeSingle(address target, uint256 value, bytes memory data)
        internal
        pure
        returns (bytes memory)
    {
        return execute(MODE_SINGLE, encodeSingle(target, value, data));
    }

    /// @dev Account call data for a batch (batch mode, default exec type).
    function executeBatch(Execution[] memory executions) internal pure returns (bytes memory) {
        return execute(MODE_BATCH, encodeBatch(executions));
    }

    // ----- Submitting -----

    /// @dev `handleOps([op], DEFAULT_BENEFICIARY)`.
    function handleOne(IEntryPoint ep, PackedUserOperation memory op) internal {
        handleOne(ep, op, DEFAULT_BENEFICIARY);
    }

    /// @dev `handleOps([op], beneficiary)`.
    function handleOne(IEntryPoint ep, PackedUserOperation memory op, address payable beneficiary) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        ep.handleOps(ops, beneficiary);
    }
}
