// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";
import {SessionListTooLong} from "./SessionErrors.sol";

/// @title SessionPacking
/// @notice The packed session encoding: the bytes a session id hashes and an op's envelope carries.
/// @dev Note:
///      - Layout (byte offsets, big-endian, no padding): 0 signer (20) | 20 validAfter (6) | 26 validUntil (6) |
///        32 period (6) | 38 periodStart (6) | 44 maxUses (4) | 48 rateLimit (4) | 52 flags (1: bit0 root,
///        bit1 nativeAllowance present, bit2 feeBudget present, bit3 gasBudget present) | 53..57 the lengths of
///        calls, tokens, periodic, paymasters, accountSelectors (1 byte each) | 58 calls (target 20, selector 4,
///        flags 1) | tokens (token 20, amount 32) | periodic (asset 20, amount 32) | paymasters (20) |
///        accountSelectors (4) | the present budgets (32 each: native, fee, gas) | salt (32).
///      - The lists come first, in the order validation reads them, so that their positions are a few
///        multiplications from the header; budgets are read only when something is charged to them.
///      - Canonical: a budget is carried iff it is non-zero, so every session has exactly one encoding and
///        `keccak256(pack(session))` commits to every field. A list longer than 255 entries has no encoding.
///      - About 7 words for a one-token session instead of 28 ABI words: each carried word costs an op ~35 gas.
library SessionPacking {
    /// @dev Bytes before the first list.
    uint256 internal constant HEADER_LENGTH = 58;
    /// @dev Header flag bits.
    uint256 internal constant FLAG_ROOT = 0x01;
    uint256 internal constant FLAG_NATIVE = 0x02;
    uint256 internal constant FLAG_FEE = 0x04;
    uint256 internal constant FLAG_GAS = 0x08;
    /// @dev Entry sizes.
    uint256 internal constant CALL_SIZE = 25;
    uint256 internal constant SELECTOR_SIZE = 4;
    uint256 internal constant ASSET_SIZE = 52;
    uint256 internal constant PAYMASTER_SIZE = 20;
    /// @dev Longest list a 1-byte length can describe.
    uint256 internal constant MAX_LIST_LENGTH = 255;

    /// @dev The session id: `keccak256(pack(session))`.
    function id(Session memory session) internal pure returns (bytes32) {
        return keccak256(pack(session));
    }

    /// @dev The packed encoding of `session`; reverts `SessionListTooLong(field, length, 255)` for a list
    ///      longer than 255 entries.
    function pack(Session memory session) internal pure returns (bytes memory packed) {
        _checkListLength(0, session.calls.length);
        _checkListLength(1, session.accountSelectors.length);
        _checkListLength(2, session.tokens.length);
        _checkListLength(3, session.periodic.length);
        _checkListLength(4, session.paymasters.length);
        uint256 flags = (session.root ? FLAG_ROOT : 0) | (session.nativeAllowance != 0 ? FLAG_NATIVE : 0)
            | (session.feeBudget != 0 ? FLAG_FEE : 0) | (session.gasBudget != 0 ? FLAG_GAS : 0);
        packed = abi.encodePacked(
            session.signer,
            session.validAfter,
            session.validUntil,
            session.period,
            session.periodStart,
            session.maxUses,
            session.rateLimit,
            // forge-lint: disable-next-line(unsafe-typecast) -- flags < 16; each length <= 255, checked above
            uint8(flags),
            uint8(session.calls.length),
            uint8(session.tokens.length),
            uint8(session.periodic.length),
            uint8(session.paymasters.length),
            uint8(session.accountSelectors.length)
        );
        packed = bytes.concat(packed, _packLists(session));
        if (session.nativeAllowance != 0) packed = bytes.concat(packed, bytes32(session.nativeAllowance));
        if (session.feeBudget != 0) packed = bytes.concat(packed, bytes32(session.feeBudget));
        if (session.gasBudget != 0) packed = bytes.concat(packed, bytes32(session.gasBudget));
        packed = bytes.concat(packed, session.salt);
    }

    /// @dev The five lists, packed back to back (calls, tokens, periodic, paymasters, accountSelectors).
    function _packLists(Session memory session) private pure returns (bytes memory lists) {
        uint256 size = session.calls.length * CALL_SIZE + session.accountSelectors.length * SELECTOR_SIZE
            + (session.tokens.length + session.periodic.length) * ASSET_SIZE + session.paymasters.length
            * PAYMASTER_SIZE;
        lists = new bytes(size);
        uint256 cursor;
        assembly ("memory-safe") {
            cursor := add(lists, 0x20)
        }
        for (uint256 i; i < session.calls.length; ++i) {
            cursor = _write(cursor, uint256(uint160(session.calls[i].target)), 20);
            cursor = _write(cursor, uint256(uint32(session.calls[i].selector)), 4);
            cursor = _write(cursor, session.calls[i].flags, 1);
        }
        for (uint256 i; i < session.tokens.length; ++i) {
            cursor = _write(cursor, uint256(uint160(session.tokens[i].token)), 20);
            cursor = _write(cursor, session.tokens[i].amount, 32);
        }
        for (uint256 i; i < session.periodic.length; ++i) {
            cursor = _write(cursor, uint256(uint160(session.periodic[i].asset)), 20);
            cursor = _write(cursor, session.periodic[i].amount, 32);
        }
        for (uint256 i; i < session.paymasters.length; ++i) {
            cursor = _write(cursor, uint256(uint160(session.paymasters[i])), 20);
        }
        for (uint256 i; i < session.accountSelectors.length; ++i) {
            cursor = _write(cursor, uint256(uint32(session.accountSelectors[i])), 4);
        }
    }

    /// @dev Writes the low `size` bytes of `value` big-endian at memory `cursor` (inside `lists`, whose
    ///      length was computed from the same sizes) and returns the next position.
    function _write(uint256 cursor, uint256 value, uint256 size) private pure returns (uint256 next) {
        assembly ("memory-safe") {
            // Keep the bytes after the written ones: merge with the word already there.
            let shift := shl(3, sub(32, size))
            let kept := and(mload(cursor), sub(shl(shift, 1), 1))
            mstore(cursor, or(shl(shift, value), kept))
            next := add(cursor, size)
        }
    }

    /// @dev Reverts when a list cannot be described by a 1-byte length.
    function _checkListLength(uint8 field, uint256 length) private pure {
        if (length > MAX_LIST_LENGTH) revert SessionListTooLong(field, length, MAX_LIST_LENGTH);
    }
}
