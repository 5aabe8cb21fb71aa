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

    /// @dev Body of `decode`, run unchecked.
    function _decodeUnchecked(bytes calldata callData, address account)
        private
        pure
        returns (Call[] memory calls, bool direct)
    {
        if (callData.length < 4) revert CallDataTooShort(callData.length);
        bytes4 selector = bytes4(bytes32(_word(callData, 0)));
        if (selector != EXECUTE_SELECTOR) {
            calls = new Call[](1);
            calls[0] = Call(account, 0, selector, _offset(callData), callData.length);
            return (calls, true);
        }
        if (callData.length < 100) revert NonCanonicalCallData(callData.length);
        uint256 mode = _word(callData, 4);
        uint8 callType = uint8(mode >> 248);
        uint8 execType = uint8(mode >> 240);
        if (callType > 1) revert UnsupportedCallType(callType);
        if (execType > 1) revert UnsupportedExecType(execType);
        if (mode & ((1 << 240) - 1) != 0) revert ModeNotDefault(bytes32(mode));
        if (_word(callData, 36) != 0x40) revert NonCanonicalCallData(36);
        uint256 length = _word(callData, 68);
        if (length > callData.length || callData.length != 100 + _ceil32(length)) {
            revert NonCanonicalCallData(68);
        }
        if (!_paddingIsZero(_offset(callData) + 100, length)) revert NonCanonicalCallData(callData.length);
        uint256 base = _offset(callData) + 100;
        calls = callType == 0 ? _decodeSingle(base, length) : _decodeBatch(base, length);
    }

    /// @dev `target (20) ‖ value (32) ‖ data` of `length` bytes at calldata position `base`.
    function _decodeSingle(uint256 base, uint256 length) private pure returns (Call[] memory calls) {
        if (length < 52) revert NonCanonicalCallData(100);
        address target;
        uint256 value;
        assembly ("memory-safe") {
            target := shr(96, calldataload(base))
            value := calldataload(add(base, 20))
        }
        uint256 dataLength = length - 52;
        calls = new Call[](1);
        calls[0] = Call(target, value, _selector(base + 52, dataLength, 0), base + 52, dataLength);
    }

    /// @dev Exactly `abi.encode(Execution[])` of `length` bytes at calldata position `base`.
    function _decodeBatch(uint256 base, uint256 length) private pure returns (Call[] memory calls) {
        // Every position below is bounded by `length`, itself bounded by the calldata size: no overflow.
        unchecked {
            calls = _decodeBatchUnchecked(base, length);
        }
    }

    /// @dev Body of `_decodeBatch`, run unchecked.
    function _decodeBatchUnchecked(uint256 base, uint256 length) private pure returns (Call[] memory calls) {
        if (length < 64) revert NonCanonicalCallData(100);
        if (_load(base) != 0x20) revert NonCanonicalCallData(100);
        uint256 count = _load(base + 32);
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH_CALLS) revert BatchTooLarge(count, MAX_BATCH_CALLS);
        uint256 heads = base + 64;
        uint256 expected = count * 32; // next element offset, relative to `heads`
        if (64 + expected > length) revert NonCanonicalCallData(132);
        calls = new Call[](count);
        for (uint256 i; i < count; ++i) {
            if (_load(heads + 32 * i) != expected) revert NonCanonicalCallData(164 + 32 * i);
            uint256 element = 64 + expected; // relative to `base`
            if (element + 128 > length) revert NonCanonicalCallData(100 + element);
            uint256 targetWord = _load(base + element);
            if (targetWord >> 160 != 0) revert NonCanonicalCallData(100 + element);
            if (_load(base + element + 64) != 0x60) revert NonCanonicalCallData(164 + element);
            uint256 dataLength = _load(base + element + 96);
            if (dataLength > length) revert NonCanonicalCallData(196 + element);
            uint256 size = 128 + _ceil32(dataLength);
            if (element + size > length) revert NonCanonicalCallData(196 + element);
            uint256 data = base + element + 128;
            if (!_paddingIsZero(data, dataLength)) revert NonCanonicalCallData(100 + element + size);
            calls[i] = Call(
                address(uint160(targetWord)),
                _load(base + element + 32),
                _selector(data, dataLength, i),
                data,
                dataLength
            );
            expected += size;
        }
        if (64 + expected != length) revert NonCanonicalCallData(100 + length);
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
