// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SessionStorage
/// @notice Storage layout of the session-key validator and the packing of its counters.
/// @dev Note:
///      - ERC-7562: every slot the module touches during validation is associated with the account.
///        Each map is `mapping(K key => mapping(address account => V))` or `mapping(address account => V)`,
///        so a slot is `keccak256(pad32(account) ‖ x) + n` with n < 128 (n = 0 for a uint256 value,
///        n = 0 for the one-slot `AccountState`).
///      - Generations: `AccountState.epoch` is bumped at uninstall. Session records and counters are
///        keyed by `(sessionId, epoch)`, so an uninstall kills them all in O(1) and a reinstall never
///        revives them. `revoked` and `enableNonces` are NOT keyed by epoch: a revoked id stays revoked
///        and a consumed enable grant stays consumed forever.
///      - The record of a session packs `status (8) | uses (32) | unused (88) | spent of tokens[0] (128)`
///        so that the common op (one token, one use counter) writes one slot. Other counters:
///        lifetime `native (128, low) | fee (128, high)`, `gas`, one per token after the first, one per
///        (period, periodic asset), one per (period) for the rate limit. All amounts are capped at
///        2^128-1 when a session is created, so no counter can exceed 128 bits.
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

    /// @dev Per-account state: the install generation and whether the module is installed.
    struct AccountState {
        uint32 epoch;
        bool initialized;
    }

    /// @dev The module's whole storage.
    struct Layout {
        mapping(address account => AccountState) accounts;
        mapping(bytes32 recordKey => mapping(address account => uint256)) records;
        mapping(bytes32 counterKey => mapping(address account => uint256)) counters;
        mapping(bytes32 sessionId => mapping(address account => bool)) revoked;
        mapping(uint256 nonceWord => mapping(address account => uint256)) enableNonces;
    }

    /// @dev The storage layout at its namespaced slot.
    function layout() internal pure returns (Layout storage l) {
        bytes32 slot = LAYOUT_SLOT;
        assembly ("memory-safe") {
            l.slot := slot
        }
    }

    /// @dev The key of a session's record in generation `epoch`.
    function recordKey(bytes32 sessionId, uint32 epoch) internal pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0x00, sessionId)
            mstore(0x20, and(epoch, 0xffffffff)) // cleaned: a uint32 on the stack may carry dirty upper bits
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev The key of a counter: `kind` of session `sessionId` in generation `epoch`, for asset `a`
    ///      (token or periodic asset, or 0) and period `b` (or 0).
    function counterKey(uint256 kind, bytes32 sessionId, uint32 epoch, address a, uint256 b)
        internal
        pure
        returns (bytes32 key)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, kind)
            mstore(add(m, 0x20), sessionId)
            mstore(add(m, 0x40), and(epoch, 0xffffffff)) // cleaned, as in recordKey
            mstore(add(m, 0x60), and(a, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(m, 0x80), b)
            key := keccak256(m, 0xa0)
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

    /// @dev The spent amount of `tokens[0]` kept in a record.
    function firstTokenSpent(uint256 record) internal pure returns (uint256) {
        return record >> 128;
    }

    /// @dev A record from its fields (`firstSpent` must fit 128 bits, checked by the caller).
    function packRecord(uint8 status_, uint32 uses_, uint256 firstSpent) internal pure returns (uint256) {
        return uint256(status_) | (uint256(uses_) << 8) | (firstSpent << 128);
    }

    /// @dev The record with its status replaced.
    function withStatus(uint256 record, uint8 status_) internal pure returns (uint256) {
        return (record & ~uint256(0xff)) | status_;
    }
}
