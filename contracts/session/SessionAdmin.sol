// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";
import {ISessionKeyValidator} from "./interfaces/ISessionKeyValidator.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {SessionPacking} from "./SessionPacking.sol";
import {SessionFormat} from "./SessionFormat.sol";
import {
    NotInitialized,
    SessionNotFound,
    SessionIsPaused,
    SessionIsRevoked,
    SessionNotPaused,
    SessionAlreadyExists,
    EnableNonceUsed,
    TooManyLiveSessions
} from "./SessionErrors.sol";
import {
    SessionCreated,
    SessionPaused,
    SessionResumed,
    SessionRevoked,
    EnableNonceConsumed
} from "./SessionEvents.sol";

/// @title SessionAdmin
/// @notice Session lifecycle: create, pause, resume, revoke, and enable nonces (rules 12-13).
/// @dev Note:
///      - Only the account changes its sessions: every function acts on `msg.sender`.
///      - `revoke` is permanent and survives uninstall/reinstall; it also works on an id that was
///        never created (to kill an outstanding enable grant). Uninstalling revokes every live session.
///      - An account holds at most MAX_LIVE_SESSIONS live (active or paused) sessions, so that
///        `onUninstall` revokes them all in a bounded loop; revoking one frees its place.
///      - A session is created from its packed encoding, checked by SessionFormat (documented caps and
///        canonical bytes) whether it was granted directly, at install, or by an enable grant.
abstract contract SessionAdmin is ISessionKeyValidator {
    /// @notice Creates `session` for the calling account and returns its id.
    /// @dev Reverts if the module is not installed, the id is revoked or live, the account already holds
    ///      MAX_LIVE_SESSIONS live sessions, or the session breaks a documented cap.
    function grantSession(Session calldata session) external returns (bytes32 sessionId) {
        _requireInitialized(msg.sender);
        bytes memory packed = SessionPacking.packCalldata(session);
        sessionId = keccak256(packed);
        _createSession(msg.sender, sessionId, packed, false);
    }

    /// @notice Pauses an active session of the calling account; ops fail until it is resumed.
    function pauseSession(bytes32 sessionId) external {
        uint256 record = _liveRecord(msg.sender, sessionId);
        if (SessionStorage.status(record) == SessionStorage.STATUS_PAUSED) revert SessionIsPaused(sessionId);
        SessionStorage.storeRecord(
            sessionId, msg.sender, SessionStorage.withStatus(record, SessionStorage.STATUS_PAUSED)
        );
        emit SessionPaused(msg.sender, sessionId);
    }

    /// @notice Resumes a paused session of the calling account.
    function resumeSession(bytes32 sessionId) external {
        uint256 record = _liveRecord(msg.sender, sessionId);
        if (SessionStorage.status(record) != SessionStorage.STATUS_PAUSED) {
            revert SessionNotPaused(sessionId);
        }
        SessionStorage.storeRecord(
            sessionId, msg.sender, SessionStorage.withStatus(record, SessionStorage.STATUS_ACTIVE)
        );
        emit SessionResumed(msg.sender, sessionId);
    }

    /// @notice Revokes a session id of the calling account forever; it can never be created,
    ///         enabled or used again, even after the module is reinstalled.
    function revokeSession(bytes32 sessionId) external {
        _requireInitialized(msg.sender);
        uint256 record = SessionStorage.loadRecord(sessionId, msg.sender);
        uint8 status = SessionStorage.status(record);
        if (status == SessionStorage.STATUS_REVOKED) revert SessionIsRevoked(sessionId);
        if (status != SessionStorage.STATUS_NONE) _removeLive(msg.sender, SessionStorage.liveIndex(record));
        SessionStorage.storeRecord(
            sessionId, msg.sender, SessionStorage.withStatus(record, SessionStorage.STATUS_REVOKED)
        );
        emit SessionRevoked(msg.sender, sessionId);
    }

    /// @notice Marks an enable nonce of the calling account as used, so no grant with it can work.
    function invalidateEnableNonce(uint256 nonce) external {
        _consumeEnableNonce(msg.sender, nonce);
    }

    /// @dev Creates a checked session record for `account` (which has the module installed) from the packed
    ///      session `packed` whose id is `sessionId`, and lists it as live.
    function _createSession(address account, bytes32 sessionId, bytes memory packed, bool enabled) internal {
        SessionStorage.Layout storage l = SessionStorage.layout();
        uint8 status = SessionStorage.status(SessionStorage.loadRecord(sessionId, account));
        if (status == SessionStorage.STATUS_REVOKED) revert SessionIsRevoked(sessionId);
        if (status != SessionStorage.STATUS_NONE) revert SessionAlreadyExists(sessionId);
        SessionFormat.check(packed);
        SessionStorage.AccountState storage state = l.accounts[account];
        uint256 index = state.liveCount;
        if (index == SessionStorage.MAX_LIVE_SESSIONS) {
            revert TooManyLiveSessions(account, SessionStorage.MAX_LIVE_SESSIONS);
        }
        state.live[index] = sessionId;
        // forge-lint: disable-next-line(unsafe-typecast) -- index < MAX_LIVE_SESSIONS = 64, checked above
        state.liveCount = uint8(index + 1);
        SessionStorage.storeRecord(sessionId, account, SessionStorage.newRecord(index));
        emit SessionCreated(account, sessionId, enabled, packed);
    }

    /// @dev Revokes every live session of `account` (uninstall) and returns their ids; at most
    ///      MAX_LIVE_SESSIONS iterations.
    function _revokeAllLive(address account) internal returns (bytes32[] memory ids) {
        SessionStorage.Layout storage l = SessionStorage.layout();
        SessionStorage.AccountState storage state = l.accounts[account];
        uint256 count = state.liveCount;
        ids = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            bytes32 sessionId = state.live[i];
            SessionStorage.storeRecord(
                sessionId,
                account,
                SessionStorage.withStatus(
                    SessionStorage.loadRecord(sessionId, account), SessionStorage.STATUS_REVOKED
                )
            );
            ids[i] = sessionId;
        }
        state.liveCount = 0;
    }

    /// @dev Removes entry `index` of the live list of `account`: the last entry moves into its place (and
    ///      its record learns its new index).
    function _removeLive(address account, uint256 index) private {
        SessionStorage.Layout storage l = SessionStorage.layout();
        SessionStorage.AccountState storage state = l.accounts[account];
        uint256 last = state.liveCount - 1;
        if (index != last) {
            bytes32 moved = state.live[last];
            state.live[index] = moved;
            SessionStorage.storeRecord(
                moved, account, SessionStorage.withLiveIndex(SessionStorage.loadRecord(moved, account), index)
            );
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- last < liveCount <= MAX_LIVE_SESSIONS = 64
        state.liveCount = uint8(last);
    }

    /// @dev Marks `nonce` of `account` used; reverts if it already was.
    function _consumeEnableNonce(address account, uint256 nonce) internal {
        mapping(address => uint256) storage word = SessionStorage.layout().enableNonces[nonce >> 8];
        // forge-lint: disable-next-line(incorrect-shift) -- `1 << bit` is intended: the bit of this nonce in its 256-nonce bitmap word
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = word[account];
        if (bits & bit != 0) revert EnableNonceUsed(account, nonce);
        word[account] = bits | bit;
        emit EnableNonceConsumed(account, nonce);
    }

    /// @dev Reverts unless the module is installed on `account`.
    function _requireInitialized(address account) internal view {
        if (!SessionStorage.layout().accounts[account].initialized) revert NotInitialized(account);
    }

    /// @dev The record of a live (active or paused) session of `account`.
    function _liveRecord(address account, bytes32 sessionId) private view returns (uint256 record) {
        _requireInitialized(account);
        record = SessionStorage.loadRecord(sessionId, account);
        uint8 status = SessionStorage.status(record);
        if (status == SessionStorage.STATUS_NONE) revert SessionNotFound(sessionId);
        if (status == SessionStorage.STATUS_REVOKED) revert SessionIsRevoked(sessionId);
    }
}
