// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";
import {SessionListTooLong} from "./SessionErrors.sol";

/// @title SessionPacking
/// @notice The packed session encoding: the bytes a session id hashes and an op's envelope carries.
/// @dev Note:
///      - Layout (byte offsets, big-endian, no padding): 0 signer (20) | 20 validAfter (6) | 26 validUntil (6) |
///        32 period (6) | 38 periodStart (6) | 44 maxUses (4) | 48 rateLimit (4) | 52 flags (1: bit0 root,
///        bit1 nativeAllowance present, bit2 feeBudget present, bit3 gasBudget present, bit4 salt present) |
///        53..57 the lengths of
///        calls, tokens, periodic, paymasters, accountSelectors (1 byte each) | 58 calls (target 20, selector 4,
///        flags 1) | tokens (token 20, amount 32) | periodic (asset 20, amount 32) | paymasters (20) |
///        accountSelectors (4) | the present budgets (32 each: native, fee, gas) | the salt if present (32).
///      - The lists come first, in the order validation reads them, so that their positions are a few
///        multiplications from the header; budgets are read only when something is charged to them.
///      - Canonical: a budget or the salt is carried iff it is non-zero, so every session has exactly one encoding and
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
    uint256 internal constant FLAG_SALT = 0x10;
    /// @dev Entry sizes.
    uint256 internal constant CALL_SIZE = 25;
    uint256 internal constant SELECTOR_SIZE = 4;
    uint256 internal constant ASSET_SIZE = 52;
    uint256 internal constant PAYMASTER_SIZE = 20;
    /// @dev Longest list a 1-byte length can describe.
    uint256 internal constant MAX_LIST_LENGTH = 255;

    /// @dev The packed encoding of a session in calldata, byte-identical to `pack` (which is the reference and
    ///      what tests compare this with), written in one pass without copying the session to memory: this is
    ///      what the module runs. Reverts without data, as Solidity's ABI decoder does, when the session is not
    ///      well-formed calldata (a list offset or length outside the calldata, a value with dirty high bits,
    ///      `root` other than 0 or 1); reverts `SessionListTooLong(field, length, 255)` for a list longer than 255
    ///      entries (fields checked in order 0 calls, 1 accountSelectors, 2 tokens, 3 periodic, 4 paymasters).
    function packCalldata(Session calldata session) internal pure returns (bytes memory packed) {
        uint256 tooLongField = type(uint256).max;
        uint256 tooLongLength;
        assembly ("memory-safe") {
            let p := session
            // The ABI list of head word `index` with `words`-word entries: position of its first entry and its
            // length, bounds-checked against the calldata (`bad` collects every malformation).
            function list(base, index, words) -> start, length, bad {
                let offset := calldataload(add(base, shl(5, index)))
                let at := add(base, offset)
                length := calldataload(at)
                start := add(at, 0x20)
                bad := or(gt(offset, 0xffffffff), gt(length, 0xffffffff))
                bad := or(bad, gt(add(start, mul(length, shl(5, words))), calldatasize()))
            }
            let bad := gt(add(p, 0x220), calldatasize())
            let signer := calldataload(p)
            let validAfter := calldataload(add(p, 0x20))
            let validUntil := calldataload(add(p, 0x40))
            let maxUses := calldataload(add(p, 0x60))
            let root := calldataload(add(p, 0x80))
            let period := calldataload(add(p, 0xa0))
            let periodStart := calldataload(add(p, 0xc0))
            let rateLimit := calldataload(add(p, 0xe0))
            let native := calldataload(add(p, 0x100))
            let fee := calldataload(add(p, 0x120))
            let gasBudget := calldataload(add(p, 0x140))
            let salt := calldataload(add(p, 0x200))
            bad := or(
                bad,
                or(or(shr(160, signer), shr(48, validAfter)), or(shr(48, validUntil), shr(32, maxUses)))
            )
            bad := or(bad, or(or(gt(root, 1), shr(48, period)), or(shr(48, periodStart), shr(32, rateLimit))))
            // Head words 11..15: calls (3-word entries), accountSelectors (1), tokens (2), periodic (2), paymasters (1).
            let calls, nCalls, b1 := list(p, 11, 3)
            let selectors, nSelectors, b2 := list(p, 12, 1)
            let tokens, nTokens, b3 := list(p, 13, 2)
            let periodic, nPeriodic, b4 := list(p, 14, 2)
            let paymasters, nPaymasters, b5 := list(p, 15, 1)
            bad := or(bad, or(or(b1, b2), or(or(b3, b4), b5)))
            if bad { revert(0, 0) }
            // The first list (in field order) that is too long wins: checked last.
            if gt(nPaymasters, 255) {
                tooLongField := 4
                tooLongLength := nPaymasters
            }
            if gt(nPeriodic, 255) {
                tooLongField := 3
                tooLongLength := nPeriodic
            }
            if gt(nTokens, 255) {
                tooLongField := 2
                tooLongLength := nTokens
            }
            if gt(nSelectors, 255) {
                tooLongField := 1
                tooLongLength := nSelectors
            }
            if gt(nCalls, 255) {
                tooLongField := 0
                tooLongLength := nCalls
            }
        }
        if (tooLongField != type(uint256).max) {
            // forge-lint: disable-next-line(unsafe-typecast) -- tooLongField is 0..4
            revert SessionListTooLong(uint8(tooLongField), tooLongLength, MAX_LIST_LENGTH);
        }
        assembly ("memory-safe") {
            let p := session
            function list(base, index) -> start, length {
                let at := add(base, calldataload(add(base, shl(5, index))))
                length := calldataload(at)
                start := add(at, 0x20)
            }
            let calls, nCalls := list(p, 11)
            let selectors, nSelectors := list(p, 12)
            let tokens, nTokens := list(p, 13)
            let periodic, nPeriodic := list(p, 14)
            let paymasters, nPaymasters := list(p, 15)
            let native := calldataload(add(p, 0x100))
            let fee := calldataload(add(p, 0x120))
            let gasBudget := calldataload(add(p, 0x140))
            let salt := calldataload(add(p, 0x200))
            let flags :=
                or(
                    or(calldataload(add(p, 0x80)), shl(1, iszero(iszero(native)))),
                    or(
                        or(shl(2, iszero(iszero(fee))), shl(3, iszero(iszero(gasBudget)))),
                        shl(4, iszero(iszero(salt)))
                    )
                )
            packed := mload(0x40)
            // Entries are written front to back with whole-word stores: each store's bytes past its entry are
            // overwritten by the next one, and those of the last lie past the end (the free pointer is moved past
            // them below).
            let q := add(packed, 0x20)
            mstore(
                q,
                or(
                    shl(96, calldataload(p)),
                    or(shl(48, calldataload(add(p, 0x20))), calldataload(add(p, 0x40)))
                )
            )
            mstore(
                add(q, 0x20),
                or(
                    or(
                        or(shl(208, calldataload(add(p, 0xa0))), shl(160, calldataload(add(p, 0xc0)))),
                        or(shl(128, calldataload(add(p, 0x60))), shl(96, calldataload(add(p, 0xe0))))
                    ),
                    or(
                        or(shl(88, flags), shl(80, nCalls)),
                        or(
                            or(shl(72, nTokens), shl(64, nPeriodic)),
                            or(shl(56, nPaymasters), shl(48, nSelectors))
                        )
                    )
                )
            )
            q := add(q, 58)
            let bad := 0
            for { let end := add(calls, mul(nCalls, 0x60)) } lt(calls, end) { calls := add(calls, 0x60) } {
                let target := calldataload(calls)
                let selector := calldataload(add(calls, 0x20))
                let grantFlags := calldataload(add(calls, 0x40))
                bad := or(bad, or(or(shr(160, target), shl(32, selector)), shr(8, grantFlags)))
                mstore(q, or(or(shl(96, target), shr(160, selector)), shl(56, grantFlags)))
                q := add(q, 25)
            }
            for { let end := add(tokens, mul(nTokens, 0x40)) } lt(tokens, end) { tokens := add(tokens, 0x40) }
            {
                let token := calldataload(tokens)
                bad := or(bad, shr(160, token))
                mstore(q, shl(96, token))
                mstore(add(q, 20), calldataload(add(tokens, 0x20)))
                q := add(q, 52)
            }
            for { let end := add(periodic, mul(nPeriodic, 0x40)) } lt(periodic, end) {
                periodic := add(periodic, 0x40)
            } {
                let asset := calldataload(periodic)
                bad := or(bad, shr(160, asset))
                mstore(q, shl(96, asset))
                mstore(add(q, 20), calldataload(add(periodic, 0x20)))
                q := add(q, 52)
            }
            for { let end := add(paymasters, shl(5, nPaymasters)) } lt(paymasters, end) {
                paymasters := add(paymasters, 0x20)
            } {
                let paymaster := calldataload(paymasters)
                bad := or(bad, shr(160, paymaster))
                mstore(q, shl(96, paymaster))
                q := add(q, 20)
            }
            for { let end := add(selectors, shl(5, nSelectors)) } lt(selectors, end) {
                selectors := add(selectors, 0x20)
            } {
                let selector := calldataload(selectors)
                bad := or(bad, shl(32, selector))
                mstore(q, selector)
                q := add(q, 4)
            }
            if bad { revert(0, 0) }
            if native {
                mstore(q, native)
                q := add(q, 32)
            }
            if fee {
                mstore(q, fee)
                q := add(q, 32)
            }
            if gasBudget {
                mstore(q, gasBudget)
                q := add(q, 32)
            }
            if salt {
                mstore(q, salt)
                q := add(q, 32)
            }
            mstore(packed, sub(q, add(packed, 0x20)))
            mstore(0x40, and(add(q, 0x3f), not(0x1f)))
        }
    }

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
            | (session.feeBudget != 0 ? FLAG_FEE : 0) | (session.gasBudget != 0 ? FLAG_GAS : 0)
            | (session.salt != 0 ? FLAG_SALT : 0);
        packed = abi.encodePacked(
            session.signer,
            session.validAfter,
            session.validUntil,
            session.period,
            session.periodStart,
            session.maxUses,
            session.rateLimit,
            // forge-lint: disable-next-line(unsafe-typecast) -- flags < 32; each length <= 255, checked above
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
        if (session.salt != 0) packed = bytes.concat(packed, session.salt);
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
