// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SessionEvents
/// @notice Every event of the session-key validator. Together they let an indexer rebuild each
///         session (contents, status and every counter) from logs alone.
/// @dev Note: exactly one of `SessionUsed` / `SessionUsedAndPaid` / `SessionUsedAndCharged` is emitted per
///      validated op (one use, and one rate-limit use in its period when the session has a rate limit). They are
///      kept small:
///        usage   = periodIndex (32, bits 224-255) ‖ uses after this op (32, bits 192-223) ‖ 64 zero bits ‖
///                  amount charged to `tokens[0]` (128, bits 0-127; 0 without tokens)
///        fee     = (`SessionUsedAndPaid`) the fee charged to the fee budget: the op charged `tokens[0]` (or
///                  nothing) and this fee, nothing else
///        extras  = (`SessionUsedAndCharged`) one word per other non-zero charge, in charging order:
///                  kind (8, bits 248-255) ‖ index (8, bits 240-247) ‖ 112 zero bits ‖ amount (128)
///                  kind 1 native value (index 0), 2 fee (index 0; unsponsored ops), 3 gas units (index 0;
///                  sessions with a gas budget), 4 `tokens[index]` (index >= 1), 5 `periodic[index]` in
///                  `periodIndex`.
///      An indexer rebuilds every counter from logs alone: `SessionCreated` gives the session (its lists
///      give the assets behind each index), each use event adds its amounts to the counters of
///      (account, sessionId), and `uses` is carried explicitly. An id is created at most once per account,
///      so (account, sessionId) names one session for ever. Amounts are at most 2^128-1 (every allowance is capped at creation).

/// @dev The module was installed on `account`.
event AccountInitialized(address indexed account);

/// @dev The module was uninstalled from `account`: the sessions `revokedSessions` (every live one) are now
///      revoked for ever, like every session the account revoked before.
event AccountReset(address indexed account, bytes32[] revokedSessions);

/// @dev A session was created (`enabled` = by an owner enable grant carried in an op). `packedSession` is its
///      packed encoding (SessionPacking; `sessionId == keccak256(packedSession)`), which gives every field.
event SessionCreated(address indexed account, bytes32 indexed sessionId, bool enabled, bytes packedSession);

/// @dev The account paused a session.
event SessionPaused(address indexed account, bytes32 indexed sessionId);

/// @dev The account resumed a paused session.
event SessionResumed(address indexed account, bytes32 indexed sessionId);

/// @dev The account revoked a session id (permanent, survives uninstall and reinstall).
event SessionRevoked(address indexed account, bytes32 indexed sessionId);

/// @dev An enable nonce of the account was consumed or invalidated.
event EnableNonceConsumed(address indexed account, uint256 nonce);

/// @dev An op of the session was validated and charged nothing but `tokens[0]` (see the header).
event SessionUsed(address indexed account, bytes32 indexed sessionId, uint256 usage);

/// @dev An op of the session was validated and charged `tokens[0]` (or nothing) and a fee, nothing else (see the
///      header): the common self-paid op, two data words instead of the four of `SessionUsedAndCharged`.
event SessionUsedAndPaid(address indexed account, bytes32 indexed sessionId, uint256 usage, uint256 fee);

/// @dev An op of the session was validated and charged more than `tokens[0]` and a fee (see the header).
event SessionUsedAndCharged(
    address indexed account, bytes32 indexed sessionId, uint256 usage, uint256[] extras
);
