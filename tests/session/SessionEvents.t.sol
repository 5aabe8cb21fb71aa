// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Vm} from "../base/Vm.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {
    SessionUsed,
    SessionUsedAndPaid,
    SessionUsedAndCharged,
    SessionCreated,
    EnableNonceConsumed
} from "../../contracts/session/SessionEvents.sol";

/// @notice The events carry what an indexer needs to rebuild each session and its counters (format in
///         SessionEvents): `SessionCreated` the session's packed bytes (whose hash is the id), the use events
///         the charges.
contract SessionEventsTest is SessionTestBase {
    /// @dev The one use event the module emitted during the last `handleOps`.
    function _useEvent() private returns (Vm.Log memory found) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 count;
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(module)
                    && (logs[i].topics[0] == SessionUsed.selector
                        || logs[i].topics[0] == SessionUsedAndPaid.selector
                        || logs[i].topics[0] == SessionUsedAndCharged.selector)
            ) {
                found = logs[i];
                ++count;
            }
        }
        assertEq(count, 1, "one use event per op");
    }

    function test_events_tokenOnlyOpEmitsUsage() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = create(accountV07, s);
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(3 ether)));
        vm.recordLogs();
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(5 ether)));
        Vm.Log memory log = _useEvent();
        assertEq(log.topics[0], SessionUsed.selector);
        assertEq(log.topics[1], bytes32(uint256(uint160(address(accountV07)))));
        assertEq(log.topics[2], id);
        assertEq(
            abi.decode(log.data, (uint256)), (uint256(2) << 192) | 5 ether, "uses 2, tokens[0] charged 5"
        );
    }

    function test_events_otherChargesGoToExtras() public {
        Session memory s = nativeSession(10 ether);
        s.period = 1 days;
        s.periodStart = 1;
        bytes32 id = create(accountV07, s);
        uint32 periodIndex = 3;
        vm.warp(1 + 3 days + 60);
        uint256 value = 0.25 ether;
        PackedUserOperation memory op = unsignedOp(entryPointV07, single(recipient, value, ""), true);
        sign(entryPointV07, op, s, periodIndex, sessionKey);
        vm.recordLogs();
        submit(entryPointV07, op);
        Vm.Log memory log = _useEvent();
        assertEq(log.topics[0], SessionUsedAndCharged.selector);
        assertEq(log.topics[2], id);
        (uint256 usage, uint256[] memory extras) = abi.decode(log.data, (uint256, uint256[]));
        assertEq(usage, (uint256(periodIndex) << 224) | (uint256(1) << 192), "period 3, uses 1, no token");
        assertEq(extras.length, 1);
        assertEq(extras[0], (uint256(1) << 248) | value, "kind 1 native, index 0");
    }

    /// @dev A self-paid op that charges `tokens[0]` and its fee, nothing else: `SessionUsedAndPaid` with the fee as
    ///      its second word, the amount the fee budget lost.
    function test_events_selfPaidTokenOpEmitsUsageAndFee() public {
        Session memory s = tokenSession(100 ether);
        s.feeBudget = 1 ether;
        bytes32 id = create(accountV07, s);
        address account = address(accountV07);
        PackedUserOperation memory op = signedSessionOp(entryPointV07, s, tokenTransfer(5 ether), false);
        uint256 feeLeftBefore = module.remainingOf(account, s, 0).feeLeft;
        vm.recordLogs();
        submit(entryPointV07, op);
        Vm.Log memory log = _useEvent();
        assertEq(log.topics[0], SessionUsedAndPaid.selector);
        assertEq(log.topics[1], bytes32(uint256(uint160(account))));
        assertEq(log.topics[2], id);
        (uint256 usage, uint256 fee) = abi.decode(log.data, (uint256, uint256));
        assertEq(usage, (uint256(1) << 192) | 5 ether, "uses 1, tokens[0] charged 5");
        assertEq(fee, feeLeftBefore - module.remainingOf(account, s, 0).feeLeft, "the fee the budget lost");
        assertGt(fee, 0);
    }

    /// @dev A fee beside another charge stays an `extras` word (kind 2), after the native value (charging order).
    function test_events_feeBesideOtherChargesGoesToExtras() public {
        Session memory s = nativeSession(10 ether);
        s.feeBudget = 1 ether;
        create(accountV07, s);
        uint256 value = 0.5 ether;
        PackedUserOperation memory op = signedSessionOp(entryPointV07, s, single(recipient, value, ""), false);
        vm.recordLogs();
        submit(entryPointV07, op);
        Vm.Log memory log = _useEvent();
        assertEq(log.topics[0], SessionUsedAndCharged.selector);
        (uint256 usage, uint256[] memory extras) = abi.decode(log.data, (uint256, uint256[]));
        assertEq(usage, uint256(1) << 192, "uses 1, no token");
        assertEq(extras.length, 2);
        assertEq(extras[0], (uint256(1) << 248) | value, "kind 1 native");
        assertEq(extras[1] >> 248, 2, "kind 2 fee");
        assertEq(uint128(extras[1]), 1 ether - module.remainingOf(address(accountV07), s, 0).feeLeft);
    }

    /// @dev `grantSession` emits the exact event: account, id, not enabled, and the packed session.
    function test_events_grantSessionEmitsPackedSession() public {
        Session memory s = tokenSession(100 ether);
        s.salt = keccak256("event");
        vm.expectEmit(address(module));
        emit SessionCreated(address(accountV07), keccak256(packOf(s)), false, packOf(s));
        vm.prank(address(accountV07));
        module.grantSession(s);
    }

    /// @dev `onInstall` emits one exact event per session, in order.
    function test_events_onInstallEmitsPackedSessions() public {
        uninstall(accountV07);
        Session[] memory sessions = new Session[](2);
        sessions[0] = tokenSession(100 ether);
        sessions[1] = nativeSession(1 ether);
        sessions[1].salt = keccak256("second");
        for (uint256 i; i < 2; ++i) {
            vm.expectEmit(address(module));
            emit SessionCreated(address(accountV07), idOf(sessions[i]), false, packOf(sessions[i]));
        }
        vm.prank(address(accountV07));
        accountV07.installModule(1, address(module), abi.encode(sessions));
    }

    /// @dev An enable grant emits the nonce consumption, then the exact creation event (enabled), then the use.
    function test_events_enableGrantEmitsPackedSession() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV08);
        bytes32 id = idOf(s);
        PackedUserOperation memory op = unsignedOp(entryPointV08, tokenTransfer(1 ether), true);
        signWith(entryPointV08, op, s, 0, sessionKey, FLAG_ENABLE, 5, ownerEnableSignature(account, id, 5));
        vm.expectEmit(address(module));
        emit EnableNonceConsumed(account, 5);
        vm.expectEmit(address(module));
        emit SessionCreated(account, id, true, packOf(s));
        vm.expectEmit(address(module));
        emit SessionUsed(account, id, (uint256(1) << 192) | 1 ether);
        submit(entryPointV08, op);
    }

    /// @dev The event's bytes rebuild the id an indexer keys counters by: the hash of the logged packed session.
    function test_events_loggedPackedSessionHashesToTheId() public {
        Session memory s = nativeSession(2 ether);
        s.feeBudget = 1 ether;
        s.salt = keccak256("logged");
        vm.recordLogs();
        bytes32 id = create(accountV07, s);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 count;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(module) && logs[i].topics[0] == SessionCreated.selector) {
                (bool enabled, bytes memory packed) = abi.decode(logs[i].data, (bool, bytes));
                assertFalse(enabled);
                assertEq(logs[i].topics[2], id);
                assertEq(keccak256(packed), id, "id is the hash of the logged bytes");
                assertEq(packed, module.toPackedSession(s));
                ++count;
            }
        }
        assertEq(count, 1);
    }
}
