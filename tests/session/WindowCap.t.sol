// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {PeriodOutOfRange, SessionWindowInvalid} from "../../contracts/session/SessionErrors.sol";

/// @notice Rule 9: every window stays in timestamp mode (issue 11 item 4). EntryPoint v0.9 and OpenZeppelin's
///         ERC4337Utils read a validAfter/validUntil with bit 47 set as a block-number range, so the module never
///         returns a time from 2^47 on.
contract WindowCapTest is SessionTestBase {
    uint256 private constant MAX_TIME = (1 << 47) - 1;
    uint32 private constant PERIOD = 1 days;

    function _scheduled() private view returns (Session memory s) {
        s = tokenSession(100 ether);
        s.period = PERIOD;
    }

    /// @dev The validation data of an op of `s` in `periodIndex`, as the module returns it to `ep`'s account.
    function _validate(IEntryPoint ep, Session memory s, uint32 periodIndex) private returns (uint256 data) {
        address account = address(accountFor(ep));
        PackedUserOperation memory op = unsignedOp(ep, tokenTransfer(1 ether), true);
        sign(ep, op, s, periodIndex, sessionKey);
        bytes32 opHash = UserOpLib.hash(ep, op);
        vm.prank(account);
        data = module.validateUserOp(op, opHash);
    }

    /// @dev The last period that starts below 2^47 ends past it: its window is capped at 2^47-1, and the next
    ///      period is out of range. Neither time of any returned window has bit 47 set.
    function test_windowCap_farPeriodStaysInTimestampMode() public {
        Session memory s = _scheduled();
        uint32 last = uint32(MAX_TIME / PERIOD);
        assertGt(uint256(last) * PERIOD + PERIOD - 1, MAX_TIME, "the period crosses 2^47");
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            uint256 data = _validate(ep, s, last);
            uint256 validUntil = (data >> 160) & type(uint48).max;
            uint256 validAfter = data >> 208;
            assertEq(data & 1, 0, "signature valid");
            assertEq(validAfter, uint256(last) * PERIOD, "validAfter is the period start");
            assertEq(validUntil, MAX_TIME, "validUntil capped below 2^47");
            assertEq((validAfter | validUntil) >> 47, 0, "no bit 47");

            PackedUserOperation memory op = unsignedOp(ep, tokenTransfer(1 ether), true);
            sign(ep, op, s, last + 1, sessionKey);
            expectModuleRevert(abi.encodeWithSelector(PeriodOutOfRange.selector, idOf(s), last + 1));
            submit(ep, op);
        }
    }

    /// @dev A session window with a time from 2^47 on is refused when the session is created.
    function test_windowCap_sessionTimesBelow2pow47() public {
        Session memory s = tokenSession(100 ether);
        s.validUntil = uint48(MAX_TIME + 1);
        vm.prank(address(accountV08));
        vm.expectRevert(abi.encodeWithSelector(SessionWindowInvalid.selector, 0, uint48(MAX_TIME + 1)));
        module.grantSession(s);
        s.validUntil = 0;
        s.validAfter = uint48(MAX_TIME + 1);
        vm.prank(address(accountV07));
        vm.expectRevert(abi.encodeWithSelector(SessionWindowInvalid.selector, uint48(MAX_TIME + 1), 0));
        module.grantSession(s);
        s.validAfter = uint48(MAX_TIME);
        create(accountV07, s);
    }
}
