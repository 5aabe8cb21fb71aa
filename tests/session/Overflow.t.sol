// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {
    Session,
    CallGrant,
    PeriodicAllowance,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";
import {
    NativeAllowanceExceeded,
    TokenAllowanceExceeded,
    PeriodicAllowanceExceeded,
    FeeBudgetExceeded,
    GasBudgetExceeded
} from "../../contracts/session/SessionErrors.sol";

/// @notice Rules 8 and 10: a sum or product of what an op asks that does not fit in 256 bits is a rejection with
///         the custom error naming the permission (the asked amount saturates at 2^256-1), never Panic(0x11).
/// @dev Note: the EntryPoints reject any gas field above 2^120-1 (AA94) before the account validates, so a fee
///      or gas sum cannot overflow through them; those cases are driven by calling the module directly as the
///      account (any contract can), and the EntryPoint's own bound is asserted separately.
contract OverflowTest is SessionTestBase {
    uint256 private constant MAX = type(uint256).max;
    uint256 private constant HALF = 1 << 255;
    uint128 private constant EP_GAS_MAX = type(uint120).max;
    address private constant PERMIT2 = 0x000000000022D473030F116dDEE9F6B43aC78BA3;
    bytes4 private constant PERMIT2_APPROVE = 0x87517c45;

    // ----- Batch sums through the real EntryPoints -----

    function test_overflow_nativeBatchSumIsNativeAllowanceExceeded() public {
        Session memory s = nativeSession(1 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            Execution[] memory calls = new Execution[](2);
            calls[0] = Execution(recipient, HALF, "");
            calls[1] = Execution(recipient, HALF, "");
            PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(NativeAllowanceExceeded.selector, id, MAX, 1 ether));
            submit(ep, op);
        }
    }

    function test_overflow_tokenBatchSumIsTokenAllowanceExceeded() public {
        Session memory s = tokenSession(1000);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            PackedUserOperation memory op = sessionOp(ep, s, tokenTransfers(pair(MAX, 1)));
            expectModuleRevert(
                abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), MAX, 1000)
            );
            submit(ep, op);
        }
    }

    function test_overflow_tokenPlusPermit2SumIsTokenAllowanceExceeded() public {
        Session memory s = tokenSession(1000);
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.calls[1] = CallGrant(PERMIT2, PERMIT2_APPROVE, 0);
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(token), 0, abi.encodeCall(token.transfer, (recipient, MAX)));
        calls[1] = Execution(
            PERMIT2,
            0,
            abi.encodeWithSelector(PERMIT2_APPROVE, address(token), recipient, uint160(1), uint48(1 << 40))
        );
        // Permit2 may pull the limited token: the op is settled (rule 16), and validation still charges the approval.
        PackedUserOperation memory op = sessionOp(ep, s, settledBatch(s, calls));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), MAX, 1000)
        );
        submit(ep, op);
    }

    function test_overflow_periodicBatchSumIsPeriodicAllowanceExceeded() public {
        uint48 start = 1_000_000;
        Session memory s = baseSession();
        s.calls = grants(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.period = 1 days;
        s.periodStart = start;
        s.periodic = new PeriodicAllowance[](1);
        s.periodic[0] = PeriodicAllowance(address(token), 10 ether);
        IEntryPoint ep = entryPointV08;
        bytes32 id = create(accountFor(ep), s);
        vm.warp(start + 10);
        PackedUserOperation memory op = sessionOp(ep, s, tokenTransfers(pair(HALF, HALF)));
        expectModuleRevert(
            abi.encodeWithSelector(PeriodicAllowanceExceeded.selector, id, address(token), 0, MAX, 10 ether)
        );
        submit(ep, op);
    }

    // ----- Fee and gas: what the EntryPoints let through -----

    function test_overflow_entryPointRejectsGasFieldsAbove120Bits() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = 1 ether;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
            op.gasFees = UserOpLib.packGasFees(1, EP_GAS_MAX + 1);
            sign(ep, op, s, 0, sessionKey);
            _expectGasValuesOverflow(ep);
            submit(ep, op);
            op = unsignedOp(ep, single(recipient, 1, ""), false);
            op.preVerificationGas = MAX;
            sign(ep, op, s, 0, sessionKey);
            _expectGasValuesOverflow(ep);
            submit(ep, op);
        }
    }

    function test_overflow_largestEntryPointGasValuesGiveExactFee() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = 1 ether;
        uint256 fee = 3 * uint256(EP_GAS_MAX) * EP_GAS_MAX;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
            op.accountGasLimits = UserOpLib.packGasLimits(EP_GAS_MAX, EP_GAS_MAX);
            op.preVerificationGas = EP_GAS_MAX;
            op.gasFees = UserOpLib.packGasFees(1, EP_GAS_MAX);
            sign(ep, op, s, 0, sessionKey);
            expectModuleRevert(abi.encodeWithSelector(FeeBudgetExceeded.selector, id, fee, 1 ether));
            submit(ep, op);
        }
    }

    // ----- Fee and gas: a direct caller is not bounded by an EntryPoint -----

    function test_overflow_feeGasSumSaturatesForDirectCaller() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = 1 ether;
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
        op.preVerificationGas = MAX;
        _expectDirectRevert(ep, op, s, abi.encodeWithSelector(FeeBudgetExceeded.selector, id, MAX, 1 ether));
    }

    function test_overflow_feeProductSaturatesForDirectCaller() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = 1 ether;
        IEntryPoint ep = entryPointV08;
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
        op.accountGasLimits = UserOpLib.packGasLimits(type(uint128).max, type(uint128).max);
        op.preVerificationGas = 0;
        op.gasFees = UserOpLib.packGasFees(1, type(uint128).max);
        _expectDirectRevert(ep, op, s, abi.encodeWithSelector(FeeBudgetExceeded.selector, id, MAX, 1 ether));
    }

    function test_overflow_gasSumSaturatesForDirectCaller() public {
        Session memory s = nativeSession(1 ether);
        s.gasBudget = 10_000_000;
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        // Sponsored: the paymaster's two limits are added last, after the sum already saturated.
        PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), true);
        op.preVerificationGas = MAX - 10;
        _expectDirectRevert(
            ep, op, s, abi.encodeWithSelector(GasBudgetExceeded.selector, id, MAX, 10_000_000)
        );
    }

    function test_overflow_unchargedGasSumDoesNotRevert() public {
        Session memory s = nativeSession(1 ether);
        IEntryPoint ep = entryPointV08;
        create(accountFor(ep), s);
        // Sponsored, no gas budget: the saturated gas sum is charged to nothing and validation succeeds.
        PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), true);
        op.preVerificationGas = MAX;
        sign(ep, op, s, 0, sessionKey);
        bytes32 userOpHash = UserOpLib.hash(ep, op);
        vm.prank(address(accountFor(ep)));
        assertEq(module.validateUserOp(op, userOpHash), 0);
    }

    /// @dev Expects the EntryPoint's AA94 (v0.7: a `require` string, v0.8: `FailedOp`) for op 0.
    function _expectGasValuesOverflow(IEntryPoint ep) private {
        if (ep == entryPointV07) vm.expectRevert(bytes("AA94 gas values overflow"));
        else expectEntryPointRevert(0, "AA94 gas values overflow");
    }

    /// @dev Signs `op` for session `s` and expects the module, called directly by the account, to revert `inner`.
    function _expectDirectRevert(
        IEntryPoint ep,
        PackedUserOperation memory op,
        Session memory s,
        bytes memory inner
    ) private {
        sign(ep, op, s, 0, sessionKey);
        bytes32 userOpHash = UserOpLib.hash(ep, op);
        vm.expectRevert(inner);
        vm.prank(address(accountFor(ep)));
        module.validateUserOp(op, userOpHash);
    }
}
