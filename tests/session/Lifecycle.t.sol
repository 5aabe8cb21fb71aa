// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {
    SessionNotFound,
    SessionIsPaused,
    SessionIsRevoked,
    SessionAlreadyExists,
    NotInitialized,
    SenderMismatch,
    SessionSignerZero,
    SessionListTooLong,
    SessionAmountTooLarge,
    SessionPeriodRequired,
    TooManyLiveSessions
} from "../../contracts/session/SessionErrors.sol";
import {AccountReset} from "../../contracts/session/SessionEvents.sol";

/// @notice Pause, resume, revoke, uninstall/reinstall (rule 12), isolation between accounts (rule 14) and
///         the session format checks at creation.
contract LifecycleTest is SessionTestBase {
    function test_lifecycle_pauseAndResume() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            bytes32 id = create(account, s);
            vm.prank(address(account));
            module.pauseSession(id);
            assertEq(module.statusOf(address(account), id), 2);
            PackedUserOperation memory op = sessionOp(ep, s, tokenTransfer(1 ether));
            expectModuleRevert(abi.encodeWithSelector(SessionIsPaused.selector, id));
            submit(ep, op);
            vm.prank(address(account));
            module.resumeSession(id);
            submit(ep, op);
        }
    }

    function test_lifecycle_revokeIsPermanent() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV07;
        TestAccount account = accountFor(ep);
        bytes32 id = create(account, s);
        vm.prank(address(account));
        module.revokeSession(id);
        PackedUserOperation memory op = sessionOp(ep, s, tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        submit(ep, op);
        vm.prank(address(account));
        vm.expectRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        module.grantSession(s);
        // Even across uninstall and reinstall.
        uninstall(account);
        install(account);
        assertEq(module.statusOf(address(account), id), 3);
        vm.prank(address(account));
        vm.expectRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        module.grantSession(s);
    }

    /// @dev Sessions passed to `onInstall` get the same id as `grantSession` and `computeSessionId` give
    ///      (`keccak256(pack(session))`), so their ops validate with the packed session in the envelope.
    function test_lifecycle_installWithSessionsUsesPackedIds() public {
        TestAccount account = accountV07;
        uninstall(account);
        Session[] memory sessions = new Session[](2);
        sessions[0] = tokenSession(100 ether);
        sessions[1] = nativeSession(1 ether);
        vm.prank(address(account));
        account.installModule(1, address(module), abi.encode(sessions));
        for (uint256 i; i < 2; ++i) {
            assertEq(module.computeSessionId(sessions[i]), keccak256(packOf(sessions[i])));
            assertEq(module.statusOf(address(account), idOf(sessions[i])), 1);
        }
        submit(entryPointV07, sessionOp(entryPointV07, sessions[0], tokenTransfer(1 ether)));
        submit(entryPointV07, sessionOp(entryPointV07, sessions[1], single(recipient, 1 ether, "")));
        assertEq(token.balanceOf(recipient), 1 ether);
        assertEq(recipient.balance, 1 ether);
    }

    function test_lifecycle_uninstallKillsSessionsAndCounters() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV08;
        TestAccount account = accountFor(ep);
        bytes32 id = create(account, s);
        Session memory paused = tokenSession(100 ether);
        paused.salt = keccak256("paused");
        bytes32 pausedId = create(account, paused);
        vm.prank(address(account));
        module.pauseSession(pausedId);
        submit(ep, sessionOp(ep, s, tokenTransfer(60 ether)));
        bytes32[] memory revokedSessions = new bytes32[](2);
        revokedSessions[0] = id;
        revokedSessions[1] = pausedId;
        vm.expectEmit(address(module));
        emit AccountReset(address(account), revokedSessions);
        uninstall(account);
        assertFalse(module.isInitialized(address(account)));
        install(account);
        // Every live session (active or paused) was revoked by the uninstall: nothing comes back.
        assertEq(module.statusOf(address(account), id), 3);
        assertEq(module.statusOf(address(account), pausedId), 3);
        PackedUserOperation memory op = sessionOp(ep, s, tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        submit(ep, op);
        vm.prank(address(account));
        vm.expectRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        module.grantSession(s);
        // The same permissions under a new salt are a new session with fresh counters.
        Session memory again = tokenSession(100 ether);
        again.salt = keccak256("after reinstall");
        create(account, again);
        assertEq(module.remainingOf(address(account), again, 0).tokensLeft[0], 100 ether);
        submit(ep, sessionOp(ep, again, tokenTransfer(100 ether)));
    }

    function test_lifecycle_liveSessionsAreBounded() public {
        TestAccount account = accountV07;
        uint256 max = 64;
        bytes32[] memory ids = new bytes32[](max);
        for (uint256 i; i < max; ++i) {
            ids[i] = create(account, _salted(i));
        }
        Session memory extra = _salted(max);
        vm.prank(address(account));
        vm.expectRevert(abi.encodeWithSelector(TooManyLiveSessions.selector, address(account), max));
        module.grantSession(extra);
        // Revoking a session frees its place; the last live id moves into it and keeps working.
        vm.prank(address(account));
        module.revokeSession(ids[3]);
        create(account, extra);
        submit(entryPointV07, sessionOp(entryPointV07, _salted(max - 1), tokenTransfer(1 ether)));
        // An uninstall revokes all 64 live ones (including the moved and the new one) within a bounded cost.
        vm.prank(address(account));
        module.pauseSession(ids[max - 1]);
        uint256 before = gasleft();
        uninstall(account);
        uint256 used = before - gasleft();
        assertLt(used, 1_000_000, "uninstall with 64 live sessions stays cheap");
        install(account);
        for (uint256 i; i < max; ++i) {
            assertEq(module.statusOf(address(account), ids[i]), 3);
        }
        assertEq(module.statusOf(address(account), idOf(extra)), 3);
        // After the reinstall the account has all its places again.
        for (uint256 i = max + 1; i < 2 * max + 1; ++i) {
            create(account, _salted(i));
        }
    }

    /// @dev Revoking moves the last live id into the freed place; the moved session's record must learn its new
    ///      place, or a later revoke would drop the wrong entry and an uninstall would leave a session alive.
    function test_lifecycle_revokeKeepsTheLiveListExact() public {
        TestAccount account = accountV08;
        bytes32 a = create(account, _salted(0));
        bytes32 b = create(account, _salted(1));
        bytes32 c = create(account, _salted(2));
        vm.startPrank(address(account));
        module.revokeSession(a); // c moves to a's place
        module.revokeSession(c); // b moves to c's new place
        vm.stopPrank();
        assertEq(module.statusOf(address(account), b), 1);
        bytes32[] memory revokedSessions = new bytes32[](1);
        revokedSessions[0] = b;
        vm.expectEmit(address(module));
        emit AccountReset(address(account), revokedSessions);
        uninstall(account);
        install(account);
        assertEq(module.statusOf(address(account), a), 3);
        assertEq(module.statusOf(address(account), b), 3);
        assertEq(module.statusOf(address(account), c), 3);
    }

    /// @dev A token session made distinct by its salt.
    function _salted(uint256 i) private view returns (Session memory s) {
        s = tokenSession(100 ether);
        s.salt = bytes32(i + 1);
    }

    function test_lifecycle_onlyAccountChangesItsSessions() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = create(accountV07, s);
        // Another caller acting on the same id touches only its own (absent) state.
        vm.expectRevert(abi.encodeWithSelector(NotInitialized.selector, address(this)));
        module.pauseSession(id);
        vm.prank(address(accountV08));
        vm.expectRevert(abi.encodeWithSelector(SessionNotFound.selector, id));
        module.pauseSession(id);
        vm.prank(address(accountV08));
        module.revokeSession(id);
        assertEq(module.statusOf(address(accountV07), id), 1);
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(1 ether)));
    }

    function test_isolation_sessionUselessOnOtherAccount() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = create(accountV07, s);
        PackedUserOperation memory op = sessionOp(entryPointV08, s, tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionNotFound.selector, id));
        submit(entryPointV08, op);
    }

    function test_isolation_callerMustBeTheOpSender() public {
        Session memory s = tokenSession(100 ether);
        create(accountV07, s);
        create(accountV08, s);
        PackedUserOperation memory op = sessionOp(entryPointV07, s, tokenTransfer(1 ether));
        // Another account validating an op of accountV07 would charge its own counters: rejected.
        vm.prank(address(accountV08));
        vm.expectRevert(
            abi.encodeWithSelector(SenderMismatch.selector, address(accountV07), address(accountV08))
        );
        module.validateUserOp(op, bytes32(0));
    }

    function test_isolation_countersPerAccount() public {
        Session memory s = tokenSession(100 ether);
        create(accountV07, s);
        create(accountV08, s);
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(100 ether)));
        submit(entryPointV08, sessionOp(entryPointV08, s, tokenTransfer(100 ether)));
        assertEq(module.remainingOf(address(accountV07), s, 0).tokensLeft[0], 0);
    }

    function test_isolation_signatureBoundToChainAndAccount() public {
        Session memory s = tokenSession(100 ether);
        create(accountV07, s);
        create(accountV08, s);
        // An op signed for the v0.7 account, replayed with the v0.8 account as sender, fails the signature.
        PackedUserOperation memory op = sessionOp(entryPointV07, s, tokenTransfer(1 ether));
        op.sender = address(accountV08);
        op.nonce = unsignedOp(entryPointV08, "", true).nonce;
        expectEntryPointRevert(0, "AA24 signature error");
        submit(entryPointV08, op);
        // Same op on another chain id: the userOpHash changes, the signature fails.
        op = sessionOp(entryPointV07, s, tokenTransfer(1 ether));
        vm.chainId(999);
        expectEntryPointRevert(0, "AA24 signature error");
        submit(entryPointV07, op);
    }

    function test_create_formatChecks() public {
        Session memory s = tokenSession(100 ether);
        s.signer = address(0);
        vm.startPrank(address(accountV07));
        vm.expectRevert(SessionSignerZero.selector);
        module.grantSession(s);
        s = tokenSession(uint256(type(uint128).max) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(SessionAmountTooLarge.selector, uint256(type(uint128).max) + 1)
        );
        module.grantSession(s);
        s = tokenSession(1);
        s.rateLimit = 1;
        vm.expectRevert(SessionPeriodRequired.selector);
        module.grantSession(s);
        s = tokenSession(1);
        s.paymasters = new address[](5);
        vm.expectRevert(abi.encodeWithSelector(SessionListTooLong.selector, 4, 5, 4));
        module.grantSession(s);
        s = tokenSession(1);
        module.grantSession(s);
        vm.expectRevert(abi.encodeWithSelector(SessionAlreadyExists.selector, idOf(s)));
        module.grantSession(s);
        vm.stopPrank();
    }
}
