// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";

/// @title SessionEvents
/// @notice Every event of the session-key validator. Together they let an indexer rebuild each
///         session (contents, status and every counter) from logs alone.
/// @dev Note: `SessionUsed` is emitted once per validated op and is kept compact; its `charges`
///      bytes are packed (not ABI-encoded) as:
///        periodIndex (4) ‖ native (16) ‖ fee (16) ‖ gas (16) ‖ { token (20) ‖ amount (16) }*
///      amounts are big-endian uint128 (every allowance is capped at 2^128-1); `fee` is 0 for a sponsored op
///      and `gas` is 0 without a gas budget; one token record per
///      erc20/periodic token charged a non-zero amount, in the order of first appearance in
///      `session.tokens` then `session.periodic`. Each `SessionUsed` is one use (and one rate-limit
///      use in `periodIndex`).

/// @dev The module was installed on `account`; `epoch` is the install generation of its sessions.
event AccountInitialized(address indexed account, uint32 epoch);

/// @dev The module was uninstalled from `account`: every session and counter of `epoch` is dead.
event AccountReset(address indexed account, uint32 epoch);

/// @dev A session was created (`enabled` = by an owner enable grant carried in an op).
event SessionCreated(address indexed account, bytes32 indexed sessionId, bool enabled, Session session);

/// @dev The account paused a session.
event SessionPaused(address indexed account, bytes32 indexed sessionId);

/// @dev The account resumed a paused session.
event SessionResumed(address indexed account, bytes32 indexed sessionId);

/// @dev The account revoked a session id (permanent, survives uninstall and reinstall).
event SessionRevoked(address indexed account, bytes32 indexed sessionId);

/// @dev An enable nonce of the account was consumed or invalidated.
event EnableNonceConsumed(address indexed account, uint256 nonce);

/// @dev An op of the session was validated and charged (see the header for `charges`).
event SessionUsed(address indexed account, bytes32 indexed sessionId, bytes charges);
