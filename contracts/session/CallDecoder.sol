// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {
    CallDataTooShort,
    UnsupportedCallType,
    UnsupportedExecType,
    ModeNotDefault,
    NonCanonicalCallData,
    EmptyBatch,
    BatchTooLarge,
    CallDataWithoutSelector
} from "./SessionErrors.sol";

/// @title CallDecoder
/// @notice Decodes `userOp.callData` into the calls the account will make, accepting only the
///         canonical ABI encoding so that what is validated is exactly what executes (rules 1-2).
/// @dev Note:
///      - Accepted shapes: `execute(bytes32 mode, bytes executionCalldata)` (0xe9ae5c53) with call type
///        single (0x00) or batch (0x01), exec type default (0x00) or try (0x01) and every other mode
///        byte zero; or any other top-level selector, decoded as one direct call to the account
///        itself with value 0 (the caller decides whether that selector is granted).
///      - Canonical means byte-exact with `abi.encodeWithSelector(execute, mode, executionCalldata)`:
///        offset 0x40, exact length, zero padding, no trailing bytes. Single executions are
///        `target (20) ‖ value (32) ‖ data` (ERC-7579); batches are exactly `abi.encode(Execution[])`:
///        each offset equal to the canonical one, address words with clean upper bits, callData
///        offset 0x60, zero padding, no trailing bytes. Anything else reverts.
///      - Targets are returned as encoded: the caller maps target 0 to the account (OpenZeppelin's
///        ERC7579Utils and other accounts execute a call to address(0) as a call to themselves).
///      - A call's selector is the first 4 bytes of its data, 0x00000000 for empty data; data of 1
///        to 3 bytes is rejected.
library CallDecoder {
    /// @dev `execute(bytes32,bytes)`.
    bytes4 internal constant EXECUTE_SELECTOR = 0xe9ae5c53;
    /// @dev Largest batch the module validates (keeps the largest op under ERC-7562's limits).
    uint256 internal constant MAX_BATCH_CALLS = 8;

    /// @dev One call the account will make. `dataOffset` is an absolute calldata position.
    struct Call {
        address target;
        uint256 value;
        bytes4 selector;
        uint256 dataOffset;
        uint256 dataLength;
    }

    /// @dev Decodes `callData`. `direct` is true when the op calls an account function directly
    ///      (not through `execute`); then `calls` holds one call with `target == account`.
    function decode(bytes calldata callData, address account)
        internal
        pure
        returns (Call[] memory calls, bool direct)
    {
        // Every sum below is of positions and lengths bounded by the calldata size: no overflow.
        unchecked {
            return _decodeUnchecked(callData, account);
        }
    }

    /// @dev Body of `decode`. `unchecked` does not reach into called functions, so the body opens its own
    ///      block: every sum is of positions and lengths bounded by the calldata size, and `length` is
    ///      compared with `callData.length` before `_ceil32(length)` is added: no overflow.
    function _decodeUnchecked(bytes calldata callData, address account)
        private
        pure
        returns (Call[] memory calls, bool direct)
    {
        unchecked {
            if (callData.length < 4) revert CallDataTooShort(callData.length);
            bytes4 selector = bytes4(bytes32(_word(callData, 0)));
            if (selector != EXECUTE_SELECTOR) {
                calls = _one(uint256(uint160(account)), 0, selector, _offset(callData), callData.length);
                return (calls, true);
            }
            if (callData.length < 100) revert NonCanonicalCallData(callData.length);
            uint256 mode = _word(callData, 4);
            // forge-lint: disable-next-line(unsafe-typecast) -- takes exactly the mode's first byte (call type)
            uint8 callType = uint8(mode >> 248);
            // forge-lint: disable-next-line(unsafe-typecast) -- takes exactly the mode's second byte (exec type)
            uint8 execType = uint8(mode >> 240);
            if (callType > 1) revert UnsupportedCallType(callType);
            if (execType > 1) revert UnsupportedExecType(execType);
            if (mode & ((1 << 240) - 1) != 0) revert ModeNotDefault(bytes32(mode));
            if (_word(callData, 36) != 0x40) revert NonCanonicalCallData(36);
            uint256 length = _word(callData, 68);
            if (length > callData.length || callData.length != 100 + _ceil32(length)) {
                revert NonCanonicalCallData(68);
            }
            if (!_paddingIsZero(_offset(callData) + 100, length)) {
                revert NonCanonicalCallData(callData.length);
            }
            uint256 base = _offset(callData) + 100;
            calls = callType == 0 ? _decodeSingle(base, length) : _decodeBatch(base, length);
        }
    }

    /// @dev `target (20) ‖ value (32) ‖ data` of `length` bytes at calldata position `base`.
    function _decodeSingle(uint256 base, uint256 length) private pure returns (Call[] memory calls) {
        if (length < 52) revert NonCanonicalCallData(100);
        uint256 dataLength;
        unchecked {
            // length >= 52 (checked above).
            dataLength = length - 52;
        }
        uint256 target;
        uint256 value;
        assembly ("memory-safe") {
            // `base` is the position of the execution calldata, whose `length` (>= 52) bytes lie inside the
            // calldata (checked by the caller): the target (20 bytes) and value (32) reads are in bounds.
            target := shr(96, calldataload(base))
            value := calldataload(add(base, 20))
        }
        unchecked {
            // `base` + 52 is inside the calldata (the execution calldata holds at least 52 bytes).
            uint256 data = base + 52;
            calls = _one(target, value, _selector(data, dataLength, 0), data, dataLength);
        }
    }

    /// @dev A one-element `Call[]`, built directly at the free memory pointer (array word, element
    ///      pointer, then the 5-word struct) without Solidity's zero-initialised struct allocation.
    function _one(uint256 target, uint256 value, bytes4 selector, uint256 data, uint256 dataLength)
        private
        pure
        returns (Call[] memory calls)
    {
        assembly ("memory-safe") {
            calls := mload(0x40)
            let c := add(calls, 0x40)
            mstore(calls, 1)
            mstore(add(calls, 0x20), c)
            mstore(c, target)
            mstore(add(c, 0x20), value)
            mstore(add(c, 0x40), selector)
            mstore(add(c, 0x60), data)
            mstore(add(c, 0x80), dataLength)
            mstore(0x40, add(c, 0xa0))
        }
    }

    /// @dev Exactly `abi.encode(Execution[])` of `length` bytes at calldata position `base`.
    function _decodeBatch(uint256 base, uint256 length) private pure returns (Call[] memory calls) {
        // Every position below is bounded by `length`, itself bounded by the calldata size: no overflow.
        unchecked {
            calls = _decodeBatchUnchecked(base, length);
        }
    }

    /// @dev Body of `_decodeBatch`, run unchecked. The element loop runs in assembly; it stops at the first
    ///      failed check and reports it as (`failure`, `failArg`), reverted with the same error and argument
    ///      and in the same order as the checks are listed.
    function _decodeBatchUnchecked(uint256 base, uint256 length) private pure returns (Call[] memory calls) {
        if (length < 64) revert NonCanonicalCallData(100);
        if (_load(base) != 0x20) revert NonCanonicalCallData(100);
        uint256 count;
        unchecked {
            // `base` is a calldata position whose `length` (>= 64) bytes lie in calldata.
            count = _load(base + 32);
        }
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH_CALLS) revert BatchTooLarge(count, MAX_BATCH_CALLS);
        unchecked {
            // count <= 8.
            if (64 + count * 32 > length) revert NonCanonicalCallData(132);
        }
        uint256 failure; // 0: none, 1: NonCanonicalCallData(failArg), 2: CallDataWithoutSelector(failArg)
        uint256 failArg;
        uint256 expected; // next element offset, relative to the heads (base + 64)
        assembly ("memory-safe") {
            // Memory: the array (length word + `count` pointers) then `count` 5-word `Call` structs, at the
            // free memory pointer, which is bumped past them (count <= 8: at most 1,568 bytes).
            calls := mload(0x40)
            mstore(calls, count)
            let structs := add(calls, shl(5, add(count, 1)))
            mstore(0x40, add(structs, mul(count, 0xa0)))
            expected := shl(5, count)
            // Calldata reads: 64 + 32 * count <= length was checked above, so every head word lies inside the
            // `length` bytes at `base`; each element's 4 head words are read only after
            // `element + 128 <= length`, and its data padding only after `element + size <= length`.
            // All sums are of values bounded by `length` (itself bounded by the calldata size): no overflow.
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                // Head i must be the canonical offset of element i.
                if iszero(eq(calldataload(add(base, add(64, shl(5, i)))), expected)) {
                    failure := 1
                    failArg := add(164, shl(5, i))
                    break
                }
                let element := add(64, expected) // relative to `base`
                if gt(add(element, 128), length) {
                    failure := 1
                    failArg := add(100, element)
                    break
                }
                let e := add(base, element)
                // Element words: target (clean address), value, callData offset (0x60), callData length.
                let targetWord := calldataload(e)
                if shr(160, targetWord) {
                    failure := 1
                    failArg := add(100, element)
                    break
                }
                if iszero(eq(calldataload(add(e, 64)), 0x60)) {
                    failure := 1
                    failArg := add(164, element)
                    break
                }
                let dataLength := calldataload(add(e, 96))
                if gt(dataLength, length) {
                    failure := 1
                    failArg := add(196, element)
                    break
                }
                let size := add(128, and(add(dataLength, 31), not(31)))
                if gt(add(element, size), length) {
                    failure := 1
                    failArg := add(196, element)
                    break
                }
                let data := add(e, 128)
                // Zero padding after the data, up to the next 32-byte boundary.
                let rest := and(dataLength, 31)
                if rest {
                    if shl(shl(3, rest), calldataload(sub(add(data, dataLength), rest))) {
                        failure := 1
                        failArg := add(add(100, element), size)
                        break
                    }
                }
                // Selector: the first 4 data bytes, 0 for empty data; 1 to 3 bytes are rejected.
                let selector := 0
                if dataLength {
                    if lt(dataLength, 4) {
                        failure := 2
                        failArg := i
                        break
                    }
                    selector := and(calldataload(data), shl(224, 0xffffffff))
                }
                let c := add(structs, mul(i, 0xa0))
                mstore(c, targetWord)
                mstore(add(c, 0x20), calldataload(add(e, 32)))
                mstore(add(c, 0x40), selector)
                mstore(add(c, 0x60), data)
                mstore(add(c, 0x80), dataLength)
                mstore(add(calls, shl(5, add(i, 1))), c)
                expected := add(expected, size)
            }
        }
        if (failure == 1) revert NonCanonicalCallData(failArg);
        if (failure == 2) revert CallDataWithoutSelector(failArg);
        unchecked {
            // `expected` and `length` are bounded by the calldata size.
            if (64 + expected != length) revert NonCanonicalCallData(100 + length);
        }
    }

    /// @dev The selector of `dataLength` bytes of call data at `data`.
    function _selector(uint256 data, uint256 dataLength, uint256 index)
        private
        pure
        returns (bytes4 selector)
    {
        if (dataLength == 0) return bytes4(0);
        if (dataLength < 4) revert CallDataWithoutSelector(index);
        assembly ("memory-safe") {
            selector := and(
                calldataload(data),
                0xffffffff00000000000000000000000000000000000000000000000000000000
            )
        }
    }

    /// @dev True when the bytes after `length` bytes at `data`, up to the next 32-byte boundary, are zero.
    function _paddingIsZero(uint256 data, uint256 length) private pure returns (bool) {
        unchecked {
            uint256 rest = length % 32;
            if (rest == 0) return true;
            return _load(data + length - rest) << (8 * rest) == 0;
        }
    }

    /// @dev `x` rounded up to a multiple of 32 (`x` is bounded by calldata size, no overflow).
    function _ceil32(uint256 x) private pure returns (uint256) {
        unchecked {
            return (x + 31) & ~uint256(31);
        }
    }

    /// @dev The 32-byte word at `offset` inside `data`.
    function _word(bytes calldata data, uint256 offset) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(add(data.offset, offset))
        }
    }

    /// @dev The 32-byte word at absolute calldata position `position`.
    function _load(uint256 position) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(position)
        }
    }

    /// @dev The absolute calldata position of `data`.
    function _offset(bytes calldata data) private pure returns (uint256 o) {
        assembly ("memory-safe") {
            o := data.offset
        }
    }
}
