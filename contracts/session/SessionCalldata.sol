// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SessionPacking} from "./SessionPacking.sol";

/// @title SessionCalldata
/// @notice Reads a packed session (SessionPacking) in place from calldata, for the validation path.
/// @dev Note:
///      - Use the field readers ONLY on a session whose id was proven: validation reads a session after the
///        record of `keccak256(bytes)` was found active, and every stored id is `SessionPacking.id` of a
///        checked session. So the bytes are the canonical packing of that session: every length and flag is
///        the session's and every list lies inside the bytes the id covers.
///      - `size` is the one reader used before that proof (to find where the session ends in the envelope);
///        it reads only the header, which the caller has bounds-checked, and its result is bounded (< 2^16).
///      - `s` is the absolute calldata position of the packed session's first byte.
library SessionCalldata {
    /// @dev Mask of a 32-bit field.
    uint256 private constant MASK_32 = 0xffffffff;

    /// @dev `rateLimit` (bytes 48..51).
    function rateLimit(uint256 s) internal pure returns (uint256 limit) {
        assembly ("memory-safe") {
            limit := and(shr(96, calldataload(add(s, 32))), MASK_32)
        }
    }

    /// @dev The flags byte (52): FLAG_ROOT and the FLAG_NATIVE / FLAG_FEE / FLAG_GAS presence bits of the budgets.
    function flags(uint256 s) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := byte(20, calldataload(add(s, 32)))
        }
    }

    /// @dev `nativeAllowance` (0 when its flag is clear).
    function nativeAllowance(uint256 s) internal pure returns (uint256 amount) {
        return _budget(s, SessionPacking.FLAG_NATIVE);
    }

    /// @dev `feeBudget` (0 when its flag is clear).
    function feeBudget(uint256 s) internal pure returns (uint256 amount) {
        return _budget(s, SessionPacking.FLAG_FEE);
    }

    /// @dev `gasBudget` (0 when its flag is clear).
    function gasBudget(uint256 s) internal pure returns (uint256 amount) {
        return _budget(s, SessionPacking.FLAG_GAS);
    }

    /// @dev The `calls` list: position of its first entry (target 20, selector 4, flags 1) and its length.
    function calls(uint256 s) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            start := add(s, 58) // HEADER_LENGTH
            length := byte(21, calldataload(add(s, 32)))
        }
    }

    /// @dev The `tokens` list: position of its first entry (token 20, amount 32) and its length.
    function tokens(uint256 s) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            let h := calldataload(add(s, 32))
            start := add(add(s, 58), mul(byte(21, h), 25))
            length := byte(22, h)
        }
    }

    /// @dev The `periodic` list: position of its first entry (asset 20, amount 32) and its length.
    function periodic(uint256 s) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            let h := calldataload(add(s, 32))
            start := add(add(add(s, 58), mul(byte(21, h), 25)), mul(byte(22, h), 52))
            length := byte(23, h)
        }
    }

    /// @dev The `accountSelectors` list: position of its first entry (4 bytes each) and its length.
    function accountSelectors(uint256 s) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            let h := calldataload(add(s, 32))
            start := add(
                add(add(add(s, 58), mul(byte(21, h), 25)), mul(add(byte(22, h), byte(23, h)), 52)),
                mul(byte(24, h), 20)
            )
            length := byte(25, h)
        }
    }

    /// @dev The length in bytes of the packed session whose header (58 bytes) is at `s`, computed from the
    ///      header alone: at most 58 + 255*(25 + 52 + 52 + 20 + 4) + 4*32 < 2^16.
    function size(uint256 s) internal pure returns (uint256 length) {
        (uint256 start, uint256 count) = accountSelectors(s);
        assembly ("memory-safe") {
            // One word per present budget or salt (flags bits 1..4 as a 4-bit number x; popcount(x) =
            // x - x/2 - x/4 - x/8).
            let x := and(shr(1, byte(20, calldataload(add(s, 32)))), 15)
            length := add(
                sub(add(start, shl(2, count)), s),
                shl(5, sub(sub(sub(x, shr(1, x)), shr(2, x)), shr(3, x)))
            )
        }
    }

    /// @dev The 20-byte address at calldata position `entry` (an entry of a list above).
    function addressAt(uint256 entry) internal pure returns (address a) {
        assembly ("memory-safe") {
            a := shr(96, calldataload(entry))
        }
    }

    /// @dev The amount of the (asset, amount) entry at `entry` (bytes 20..51).
    function amountAt(uint256 entry) internal pure returns (uint256 amount) {
        assembly ("memory-safe") {
            amount := calldataload(add(entry, 20))
        }
    }

    /// @dev The budget word of `flag` (FLAG_NATIVE, FLAG_FEE or FLAG_GAS), 0 when absent: after the lists, one
    ///      word per present budget in flag order.
    function _budget(uint256 s, uint256 flag) private pure returns (uint256 amount) {
        (uint256 start, uint256 count) = accountSelectors(s);
        assembly ("memory-safe") {
            let f := byte(20, calldataload(add(s, 32)))
            if and(f, flag) {
                // The present budgets before this one: their bits are below `flag` (and above bit 0).
                let x := and(shr(1, and(f, sub(flag, 1))), 7)
                amount := calldataload(
                    add(add(start, shl(2, count)), shl(5, sub(sub(x, shr(1, x)), shr(2, x))))
                )
            }
        }
    }
}
