// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session, NATIVE_ASSET, GRANT_ANY_TARGET, GRANT_ANY_SELECTOR} from "./SessionTypes.sol";
import {ISessionKeyValidator} from "./interfaces/ISessionKeyValidator.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {SessionPacking} from "./SessionPacking.sol";
import {
    NotInitialized,
    SessionNotFound,
    SessionIsPaused,
    SessionIsRevoked,
    SessionNotPaused,
    SessionAlreadyExists,
    EnableNonceUsed,
    SessionSignerZero,
    SessionWindowInvalid,
    SessionListTooLong,
    SessionAmountTooLarge,
    SessionAssetInvalid,
    SessionPeriodRequired,
    SessionGrantFlagsInvalid,
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
///      - A session is checked against the documented caps when it is created (directly or by an
///        enable grant): <= 16 call grants, <= 8 account selectors, <= 8 tokens, <= 8 periodic
///        allowances, <= 4 paymasters, every amount <= 2^128-1, no duplicate asset.
abstract contract SessionAdmin is ISessionKeyValidator {
    /// @dev Caps on a session's lists (bounded loops; keep the largest op within ERC-7562's limits).
    uint256 internal constant MAX_CALL_GRANTS = 16;
    uint256 internal constant MAX_ACCOUNT_SELECTORS = 8;
    uint256 internal constant MAX_TOKENS = 8;
    uint256 internal constant MAX_PERIODIC = 8;
    uint256 internal constant MAX_PAYMASTERS = 4;

    /// @notice Creates `session` for the calling account and returns its id.
    /// @dev Reverts if the module is not installed, the id is revoked or live, the account already holds
    ///      MAX_LIVE_SESSIONS live sessions, or the session breaks a documented cap.
    function createSession(Session calldata session) external returns (bytes32 sessionId) {
        _requireInitialized(msg.sender);
        sessionId = SessionPacking.id(session);
        _createSession(msg.sender, sessionId, session, false);
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

    /// @dev Creates a checked session record for `account` (which has the module installed) and lists it
    ///      as live.
    function _createSession(address account, bytes32 sessionId, Session calldata session, bool enabled)
        internal
    {
        SessionStorage.Layout storage l = SessionStorage.layout();
        uint8 status = SessionStorage.status(SessionStorage.loadRecord(sessionId, account));
        if (status == SessionStorage.STATUS_REVOKED) revert SessionIsRevoked(sessionId);
        if (status != SessionStorage.STATUS_NONE) revert SessionAlreadyExists(sessionId);
        _checkFormat(session);
        SessionStorage.AccountState storage state = l.accounts[account];
        uint256 index = state.liveCount;
        if (index == SessionStorage.MAX_LIVE_SESSIONS) {
            revert TooManyLiveSessions(account, SessionStorage.MAX_LIVE_SESSIONS);
        }
        state.live[index] = sessionId;
        // forge-lint: disable-next-line(unsafe-typecast) -- index < MAX_LIVE_SESSIONS = 64, checked above
        state.liveCount = uint8(index + 1);
        SessionStorage.storeRecord(sessionId, account, SessionStorage.newRecord(index));
        emit SessionCreated(account, sessionId, enabled, session);
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

    /// @dev Checks a session against the documented format and caps.
    function _checkFormat(Session calldata session) private pure {
        if (session.signer == address(0)) revert SessionSignerZero();
        if (session.validUntil != 0 && session.validAfter > session.validUntil) {
            revert SessionWindowInvalid(session.validAfter, session.validUntil);
        }
        if (session.period == 0 && (session.periodic.length != 0 || session.rateLimit != 0)) {
            revert SessionPeriodRequired();
        }
        _checkLength(0, session.calls.length, MAX_CALL_GRANTS);
        _checkLength(1, session.accountSelectors.length, MAX_ACCOUNT_SELECTORS);
        _checkLength(2, session.tokens.length, MAX_TOKENS);
        _checkLength(3, session.periodic.length, MAX_PERIODIC);
        _checkLength(4, session.paymasters.length, MAX_PAYMASTERS);
        _checkAmount(session.nativeAllowance);
        _checkAmount(session.feeBudget);
        _checkAmount(session.gasBudget);
        for (uint256 i; i < session.calls.length; ++i) {
            uint8 flags = session.calls[i].flags;
            if (flags & ~(GRANT_ANY_TARGET | GRANT_ANY_SELECTOR) != 0) {
                revert SessionGrantFlagsInvalid(flags);
            }
        }
        for (uint256 i; i < session.tokens.length; ++i) {
            address token = session.tokens[i].token;
            _checkAmount(session.tokens[i].amount);
            if (token == NATIVE_ASSET) revert SessionAssetInvalid(token);
            for (uint256 j; j < i; ++j) {
                if (session.tokens[j].token == token) revert SessionAssetInvalid(token);
            }
        }
        for (uint256 i; i < session.periodic.length; ++i) {
            address asset = session.periodic[i].asset;
            _checkAmount(session.periodic[i].amount);
            for (uint256 j; j < i; ++j) {
                if (session.periodic[j].asset == asset) revert SessionAssetInvalid(asset);
            }
        }
    }

    /// @dev Reverts when a list is longer than its cap.
    function _checkLength(uint8 field, uint256 length, uint256 max) private pure {
        if (length > max) revert SessionListTooLong(field, length, max);
    }

    /// @dev Reverts when an amount does not fit the 128-bit counters.
    function _checkAmount(uint256 amount) private pure {
        if (amount > type(uint128).max) revert SessionAmountTooLarge(amount);
    }
}
