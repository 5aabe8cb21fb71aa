// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session, PeriodicAllowance, NATIVE_ASSET} from "../../contracts/session/SessionTypes.sol";
import {
    UsesExhausted,
    RateLimitExceeded,
    PeriodicAllowanceExceeded,
    PeriodIndexNotAllowed,
    WindowEmpty
} from "../../contracts/session/SessionErrors.sol";

/// @notice Window, use count, periodic allowances and rate limits (rules 8-9): time leaves the module only
///         through validAfter/validUntil, which the real EntryPoint enforces.
contract TimeAndLimitsTest is SessionTestBase {
    uint48 private constant DAY = 1 days;
    uint48 private constant START = 1_000_000;

    function _periodicSession() private view returns (Session memory s) {
        s = tokenSession(1000 ether);
        s.period = DAY;
        s.periodStart = START;
        s.periodic = new PeriodicAllowance[](2);
        s.periodic[0] = PeriodicAllowance(address(token), 10 ether);
        s.periodic[1] = PeriodicAllowance(NATIVE_ASSET, 1 ether);
        s.nativeAllowance = 100 ether;
        s.calls = grants(address(0), bytes4(0), 3); // ANY target, ANY selector
    }

    function _op(IEntryPoint ep, Session memory s, bytes memory callData, uint32 periodIndex)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(ep, callData, true);
        sign(ep, op, s, periodIndex, sessionKey);
    }

    /// @dev One plain native transfer of `amount` to `recipient`.
    function _pay(uint256 amount) private view returns (Execution[] memory calls) {
        calls = new Execution[](1);
        calls[0] = Execution(recipient, amount, "");
    }

    function test_window_enforcedByEntryPoint() public {
        Session memory s = tokenSession(100 ether);
        s.validAfter = 2000;
        s.validUntil = 3000;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            vm.warp(1999);
            PackedUserOperation memory op = sessionOp(ep, s, tokenTransfer(1 ether));
            expectEntryPointRevert(0, "AA22 expired or not due");
            submit(ep, op);
            vm.warp(3001);
            expectEntryPointRevert(0, "AA22 expired or not due");
            submit(ep, op);
            vm.warp(3000);
            submit(ep, op);
        }
    }

    function test_window_validationDataCarriesIntersection() public {
        Session memory s = _periodicSession();
        s.validAfter = START + DAY / 2;
        s.validUntil = START + 10 * DAY;
        create(accountV07, s);
        PackedUserOperation memory op = _op(entryPointV07, s, tokenTransfer(1 ether), 0);
        vm.prank(address(accountV07));
        uint256 data = module.validateUserOp(op, bytes32(0));
        assertEq(uint48(data >> 208), START + DAY / 2, "validAfter = session start");
        assertEq(uint48(data >> 160), START + DAY - 1, "validUntil = period end");
        assertEq(data & 1, 1, "wrong hash = signature failure");
        op = _op(entryPointV07, s, tokenTransfer(1 ether), 9);
        vm.prank(address(accountV07));
        data = module.validateUserOp(op, bytes32(0));
        assertEq(uint48(data >> 208), START + 9 * DAY);
        assertEq(uint48(data >> 160), START + 10 * DAY - 1, "validUntil = period end");
        op = _op(entryPointV07, s, tokenTransfer(1 ether), 10);
        vm.prank(address(accountV07));
        data = module.validateUserOp(op, bytes32(0));
        assertEq(uint48(data >> 208), START + 10 * DAY);
        assertEq(uint48(data >> 160), START + 10 * DAY, "validUntil = session end");
        op = _op(entryPointV07, s, tokenTransfer(1 ether), 11);
        vm.prank(address(accountV07));
        vm.expectRevert(abi.encodeWithSelector(WindowEmpty.selector, idOf(s), 11));
        module.validateUserOp(op, bytes32(0));
    }

    function test_window_noPeriodRejectsPeriodIndex() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = create(accountV08, s);
        PackedUserOperation memory op = _op(entryPointV08, s, tokenTransfer(1 ether), 1);
        expectModuleRevert(abi.encodeWithSelector(PeriodIndexNotAllowed.selector, id, 1));
        submit(entryPointV08, op);
    }

    function test_uses_limitEnforced() public {
        Session memory s = tokenSession(100 ether);
        s.maxUses = 2;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            submit(ep, sessionOp(ep, s, tokenTransfer(1 ether)));
            submit(ep, sessionOp(ep, s, tokenTransfer(1 ether)));
            PackedUserOperation memory op = sessionOp(ep, s, tokenTransfer(1 ether));
            expectModuleRevert(abi.encodeWithSelector(UsesExhausted.selector, id, 2));
            submit(ep, op);
        }
    }

    function test_periodic_tokenLimitPerPeriodNoCarryOver() public {
        Session memory s = _periodicSession();
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        vm.warp(START + 10);
        submit(ep, _op(ep, s, tokenTransfer(4 ether), 0));
        PackedUserOperation memory op = _op(ep, s, tokenTransfer(7 ether), 0);
        expectModuleRevert(
            abi.encodeWithSelector(
                PeriodicAllowanceExceeded.selector, id, address(token), 0, 7 ether, 6 ether
            )
        );
        submit(ep, op);
        // Next period: the full 10 again, not 16 (nothing carries over).
        vm.warp(START + DAY + 10);
        op = _op(ep, s, tokenTransfer(11 ether), 1);
        expectModuleRevert(
            abi.encodeWithSelector(
                PeriodicAllowanceExceeded.selector, id, address(token), 1, 11 ether, 10 ether
            )
        );
        submit(ep, op);
        submit(ep, _op(ep, s, tokenTransfer(10 ether), 1));
        // A period-0 op signed earlier cannot be replayed in period 1: its window has passed.
        op = _op(ep, s, tokenTransfer(1 ether), 0);
        expectEntryPointRevert(0, "AA22 expired or not due");
        submit(ep, op);
    }

    function test_periodic_nativeLimitPerPeriod() public {
        Session memory s = _periodicSession();
        IEntryPoint ep = entryPointV08;
        bytes32 id = create(accountFor(ep), s);
        // EntryPoint v0.8 treats validAfter as exclusive: the first second of a period is not usable there.
        vm.warp(START + 1);
        // The session limits a token and `recipient` is no token: native transfers are settled (rule 16).
        submit(ep, _op(ep, s, settledBatch(s, _pay(0.7 ether)), 0));
        PackedUserOperation memory op = _op(ep, s, settledBatch(s, _pay(0.4 ether)), 0);
        expectModuleRevert(
            abi.encodeWithSelector(
                PeriodicAllowanceExceeded.selector, id, NATIVE_ASSET, 0, 0.4 ether, 0.3 ether
            )
        );
        submit(ep, op);
    }

    function test_rate_limitPerPeriod() public {
        Session memory s = _periodicSession();
        s.rateLimit = 2;
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        vm.warp(START + 5 * DAY);
        submit(ep, _op(ep, s, tokenTransfer(1), 5));
        submit(ep, _op(ep, s, tokenTransfer(1), 5));
        PackedUserOperation memory op = _op(ep, s, tokenTransfer(1), 5);
        expectModuleRevert(abi.encodeWithSelector(RateLimitExceeded.selector, id, 5, 2));
        submit(ep, op);
        vm.warp(START + 6 * DAY);
        submit(ep, _op(ep, s, tokenTransfer(1), 6));
        assertEq(module.remainingOf(address(accountFor(ep)), s, 6).rateLeft, 1);
    }
}
