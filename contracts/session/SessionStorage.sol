// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SessionStorage
/// @notice Storage layout of the session-key validator and the packing of its counters.
/// @dev Note:
///      - ERC-7562: every slot the module touches during validation is associated with the account.
///        Each map is `mapping(K key => mapping(address account => V))` or `mapping(address account => V)`,
///        so a slot is `keccak256(pad32(account) ‖ x) + n` with n < 128 (n = 0 for a uint256 value,
///        0 <= n <= MAX_LIVE_SESSIONS for the `AccountState` struct). Session records are stored at
///        `keccak256(pad32(account) ‖ sessionId ‖ LAYOUT_SLOT)` (one hash of 96 bytes; every mapping slot
///        hashes 64 bytes, so no record can share a slot with a mapping entry).
///      - Validation of a plain op reads no per-account word; only the enable path reads the install generation
///        (in the slot of `initialized`, which it reads anyway). Records and counters are keyed by
///        `(sessionId, account)`, and a record is never deleted: once a session ends (revoked, or killed by
///        an uninstall, which revokes every live session of the account) its id stays revoked, so its
///        counters can never come back. `AccountState.live` lists the live (active or paused) sessions so
///        that an uninstall can revoke them in a bounded loop (at most MAX_LIVE_SESSIONS).
///      - The record of a session packs `status (8) | uses (32) | live index (8) | fee spent (80) |
///        spent of tokens[0] (128)` so that the common op (one token, one use counter, sponsored or paying
///        its own fee) writes one slot. Other counters: lifetime `native` (128), `gas`, one per token after
///        the first, one per (period, periodic asset), one per (period) for the rate limit. All amounts are
///        capped at 2^128-1 when a session is created (the fee budget at 2^80-1), so no counter can exceed
///        its field.
library SessionStorage {
    /// @dev Session status values (as stored in the low byte of the record).
    uint8 internal constant STATUS_NONE = 0;
    uint8 internal constant STATUS_ACTIVE = 1;
    uint8 internal constant STATUS_PAUSED = 2;
    uint8 internal constant STATUS_REVOKED = 3;

    /// @dev Counter kinds, part of each counter key.
    uint256 internal constant KIND_LIFETIME = 1;
    uint256 internal constant KIND_GAS = 2;
    uint256 internal constant KIND_TOKEN = 3;
    uint256 internal constant KIND_PERIODIC = 4;
    uint256 internal constant KIND_RATE = 5;

    /// @dev ERC-7201 namespace: keccak256(abi.encode(uint256(keccak256("leash.session-key-validator.v1")) - 1)) & ~0xff
    bytes32 internal constant LAYOUT_SLOT =
        0xb1ee14ae08b0347e0d4fdfc5beaae4e8b548530be228ac379d93f09426a9f900;

    /// @dev Most live (active or paused) sessions an account may hold at once (bounds `onUninstall`).
    uint256 internal constant MAX_LIVE_SESSIONS = 64;

    /// @dev Per-account state: whether the module is installed, the ids of the live sessions, and the install
    ///      generation (how many times the module was uninstalled from the account; it names the install an
    ///      enable grant is for, see SessionAdmin). It shares the first slot with `initialized`, which the enable
    ///      path reads anyway.
    struct AccountState {
        bool initialized;
        uint8 liveCount;
        uint32 generation;
        bytes32[MAX_LIVE_SESSIONS] live;
    }

    /// @dev The module's whole storage (besides the session records, see `recordSlot`).
    struct Layout {
        mapping(address account => AccountState) accounts;
        mapping(bytes32 counterKey => mapping(address account => uint256)) counters;
        mapping(uint256 nonceWord => mapping(address account => uint256)) enableNonces;
    }

    /// @dev The storage layout at its namespaced slot.
    function layout() internal pure returns (Layout storage l) {
        bytes32 slot = LAYOUT_SLOT;
        assembly ("memory-safe") {
            l.slot := slot
        }
    }

    /// @dev The storage slot of the record of `sessionId` on `account`:
    ///      `keccak256(pad32(account) ‖ sessionId ‖ LAYOUT_SLOT)`, hashed in scratch memory at the free pointer
    ///      (not claimed).
    function recordSlot(bytes32 sessionId, address account) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(m, 0x20), sessionId)
            mstore(add(m, 0x40), LAYOUT_SLOT)
            slot := keccak256(m, 0x60)
        }
    }

    /// @dev The record of `sessionId` on `account` (0 when it was never created).
    function loadRecord(bytes32 sessionId, address account) internal view returns (uint256 record) {
        uint256 slot = recordSlot(sessionId, account);
        assembly ("memory-safe") {
            record := sload(slot)
        }
    }

    /// @dev Writes the record of `sessionId` on `account`.
    function storeRecord(bytes32 sessionId, address account, uint256 record) internal {
        uint256 slot = recordSlot(sessionId, account);
        assembly ("memory-safe") {
            sstore(slot, record)
        }
    }

    /// @dev The key of a counter: `kind` of session `sessionId`, for asset `a` (token or periodic asset, or 0)
    ///      and period `b` (or 0).
    function counterKey(uint256 kind, bytes32 sessionId, address a, uint256 b)
        internal
        pure
        returns (bytes32 key)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, kind)
            mstore(add(m, 0x20), sessionId)
            mstore(add(m, 0x40), and(a, 0xffffffffffffffffffffffffffffffffffffffff)) // cleaned: callers pass raw words
            mstore(add(m, 0x60), b)
            key := keccak256(m, 0x80)
        }
    }

    /// @dev The status byte of a record.
    function status(uint256 record) internal pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the status is the record's low byte
        return uint8(record);
    }

    /// @dev The use count of a record.
    function uses(uint256 record) internal pure returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the use count is bits 8..39 of the record
        return uint32(record >> 8);
    }

    /// @dev The position of a live session's id in `AccountState.live`.
    function liveIndex(uint256 record) internal pure returns (uint256) {
        return (record >> 40) & 0xff;
    }

    /// @dev The record with its live index replaced (`index` < MAX_LIVE_SESSIONS).
    function withLiveIndex(uint256 record, uint256 index) internal pure returns (uint256) {
        return (record & ~(uint256(0xff) << 40)) | (index << 40);
    }

    /// @dev The fee spent by a session's unsponsored ops, kept in its record (bits 48..127).
    function feeSpent(uint256 record) internal pure returns (uint256) {
        return (record >> 48) & type(uint80).max;
    }

    /// @dev The spent amount of `tokens[0]` kept in a record.
    function firstTokenSpent(uint256 record) internal pure returns (uint256) {
        return record >> 128;
    }

    /// @dev A new active record with no use and nothing spent, at position `index` of the live list.
    function newRecord(uint256 index) internal pure returns (uint256) {
        return uint256(STATUS_ACTIVE) | (index << 40);
    }

    /// @dev The record with its status replaced.
    function withStatus(uint256 record, uint8 status_) internal pure returns (uint256) {
        return (record & ~uint256(0xff)) | status_;
    }
}
