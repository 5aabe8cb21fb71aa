// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {
    ERC7579Utils,
    Mode,
    CallType,
    ExecType,
    ModeSelector,
    ModePayload
} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {Execution, IERC7579Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "../base/Test.sol";
import {UserOpLib} from "./UserOpLib.sol";

/// @notice Decodes with OpenZeppelin's own (calldata) helpers: the independent reference for UserOpLib.
contract OpenZeppelinDecoder {
    function gas(PackedUserOperation calldata op)
        external
        pure
        returns (uint256 verification, uint256 call, uint256 priorityFee, uint256 maxFee)
    {
        return (
            ERC4337Utils.verificationGasLimit(op),
            ERC4337Utils.callGasLimit(op),
            ERC4337Utils.maxPriorityFeePerGas(op),
            ERC4337Utils.maxFeePerGas(op)
        );
    }

    function paymaster(PackedUserOperation calldata op)
        external
        pure
        returns (address pm, uint256 verification, uint256 postOp, bytes memory data)
    {
        return (
            ERC4337Utils.paymaster(op),
            ERC4337Utils.paymasterVerificationGasLimit(op),
            ERC4337Utils.paymasterPostOpGasLimit(op),
            ERC4337Utils.paymasterData(op)
        );
    }

    function single(bytes calldata executionCalldata)
        external
        pure
        returns (address target, uint256 value, bytes memory data)
    {
        return ERC7579Utils.decodeSingle(executionCalldata);
    }

    function batch(bytes calldata executionCalldata) external pure returns (Execution[] memory) {
        return ERC7579Utils.decodeBatch(executionCalldata);
    }

    function execute(bytes calldata accountCallData) external pure returns (bytes32 mode, bytes memory data) {
        require(bytes4(accountCallData[:4]) == IERC7579Execution.execute.selector, "not execute");
        return abi.decode(accountCallData[4:], (bytes32, bytes));
    }
}

contract UserOpLibTest is Test {
    OpenZeppelinDecoder private oz;

    function setUp() public {
        oz = new OpenZeppelinDecoder();
    }

    function testFuzz_packGas_matchesOpenZeppelin(uint128 vgl, uint128 cgl, uint128 prio, uint128 fee)
        public
        view
    {
        PackedUserOperation memory op = UserOpLib.newOp(address(1), 0, "");
        op.accountGasLimits = UserOpLib.packGasLimits(vgl, cgl);
        op.gasFees = UserOpLib.packGasFees(prio, fee);
        (uint256 v, uint256 c, uint256 p, uint256 f) = oz.gas(op);
        assertEq(v, vgl, "verificationGasLimit");
        assertEq(c, cgl, "callGasLimit");
        assertEq(p, prio, "maxPriorityFeePerGas");
        assertEq(f, fee, "maxFeePerGas");
    }

    function testFuzz_packPaymasterAndData_matchesOpenZeppelin(
        address pm,
        uint128 verification,
        uint128 postOp,
        bytes memory data
    ) public view {
        PackedUserOperation memory op = UserOpLib.newOp(address(1), 0, "");
        op.paymasterAndData = UserOpLib.packPaymasterAndData(pm, verification, postOp, data);
        assertEq(op.paymasterAndData.length, 52 + data.length, "length");
        (address p, uint256 v, uint256 o, bytes memory d) = oz.paymaster(op);
        assertEq(p, pm, "paymaster");
        assertEq(v, verification, "paymasterVerificationGasLimit");
        assertEq(o, postOp, "paymasterPostOpGasLimit");
        assertEq(d, data, "paymasterData");
    }

    function testFuzz_validatorNonce_layout(address validator, uint32 key, uint64 sequence) public pure {
        uint256 nonce = UserOpLib.validatorNonce(validator, key, sequence);
        // The truncating casts below are the point: each extracts one field of the packed nonce.
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(address(uint160(nonce >> 96)), validator, "validator in the top 20 bytes");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(uint32(nonce >> 64), key, "key in the next 4 bytes");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(uint64(nonce), sequence, "sequence in the low 8 bytes");
        // The EntryPoint's view of the same nonce: key = nonce >> 64, sequence = low 64 bits.
        assertEq(uint256(UserOpLib.validatorNonceKey(validator, key)), nonce >> 64, "EntryPoint key");
    }

    function testFuzz_encodeSingle_matchesOpenZeppelin(address target, uint256 value, bytes memory data)
        public
        view
    {
        bytes memory callData = UserOpLib.executeSingle(target, value, data);
        (bytes32 mode, bytes memory executionCalldata) = oz.execute(callData);
        assertEq(mode, _ozMode(ERC7579Utils.CALLTYPE_SINGLE, ERC7579Utils.EXECTYPE_DEFAULT), "mode");
        (address t, uint256 v, bytes memory d) = oz.single(executionCalldata);
        assertEq(t, target, "target");
        assertEq(v, value, "value");
        assertEq(d, data, "data");
    }

    function testFuzz_encodeBatch_matchesOpenZeppelin(
        address t0,
        uint256 v0,
        bytes memory d0,
        address t1,
        uint256 v1,
        bytes memory d1
    ) public view {
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(t0, v0, d0);
        calls[1] = Execution(t1, v1, d1);
        (bytes32 mode, bytes memory executionCalldata) = oz.execute(UserOpLib.executeBatch(calls));
        assertEq(mode, _ozMode(ERC7579Utils.CALLTYPE_BATCH, ERC7579Utils.EXECTYPE_DEFAULT), "mode");
        Execution[] memory decoded = oz.batch(executionCalldata);
        assertEq(decoded.length, 2, "length");
        for (uint256 i; i < 2; ++i) {
            assertEq(decoded[i].target, calls[i].target, "target");
            assertEq(decoded[i].value, calls[i].value, "value");
            assertEq(decoded[i].callData, calls[i].callData, "callData");
        }
    }

    function test_modes_matchOpenZeppelin() public pure {
        assertEq(UserOpLib.MODE_SINGLE, _ozMode(ERC7579Utils.CALLTYPE_SINGLE, ERC7579Utils.EXECTYPE_DEFAULT));
        assertEq(UserOpLib.MODE_BATCH, _ozMode(ERC7579Utils.CALLTYPE_BATCH, ERC7579Utils.EXECTYPE_DEFAULT));
        assertEq(UserOpLib.MODE_TRY_SINGLE, _ozMode(ERC7579Utils.CALLTYPE_SINGLE, ERC7579Utils.EXECTYPE_TRY));
        assertEq(UserOpLib.MODE_TRY_BATCH, _ozMode(ERC7579Utils.CALLTYPE_BATCH, ERC7579Utils.EXECTYPE_TRY));
        assertEq(
            UserOpLib.MODE_DELEGATECALL,
            _ozMode(ERC7579Utils.CALLTYPE_DELEGATECALL, ERC7579Utils.EXECTYPE_DEFAULT)
        );
    }

    function testFuzz_signDigest_recoversSigner(uint256 key, bytes32 digest) public pure {
        key = bound(key, 1, 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140);
        bytes memory sig = UserOpLib.signDigest(key, digest);
        assertEq(sig.length, 65, "r || s || v");
        bytes32 r;
        bytes32 s;
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
        }
        assertEq(ecrecover(digest, uint8(sig[64]), r, s), vm.addr(key), "recovers the key's address");
    }

    function _ozMode(CallType callType, ExecType execType) private pure returns (bytes32) {
        return Mode.unwrap(
            ERC7579Utils.encodeMode(
                callType, execType, ModeSelector.wrap(bytes4(0)), ModePayload.wrap(bytes22(0))
            )
        );
    }
}
