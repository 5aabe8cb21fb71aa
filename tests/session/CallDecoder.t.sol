// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {ERC7579Utils} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {Test} from "../base/Test.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {CallDecoder} from "../../contracts/session/CallDecoder.sol";

/// @dev Exposes the module's decoder and, for comparison, the decoding an OpenZeppelin ERC-7579 account runs.
contract DecoderHarness {
    function decode(bytes calldata callData) external pure returns (Execution[] memory out) {
        (CallDecoder.Call[] memory calls,) = CallDecoder.decode(callData, address(0xacc));
        out = new Execution[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            out[i].target = calls[i].target;
            out[i].value = calls[i].value;
            out[i].callData = _slice(calls[i].dataOffset, calls[i].dataLength);
        }
    }

    /// @dev What `execute(bytes32,bytes)` on AccountERC7579 would run for `callData`.
    function accountDecode(bytes calldata callData) external view returns (Execution[] memory) {
        require(bytes4(callData[0:4]) == 0xe9ae5c53, "not execute");
        (bytes32 mode, bytes memory executionCalldata) = abi.decode(callData[4:], (bytes32, bytes));
        // Re-enter so the execution calldata is calldata again, as in the account.
        return this.accountExec(mode, executionCalldata);
    }

    function accountExec(bytes32 mode, bytes calldata executionCalldata)
        external
        pure
        returns (Execution[] memory out)
    {
        if (mode[0] == 0x00) {
            (address t, uint256 v, bytes calldata d) = ERC7579Utils.decodeSingle(executionCalldata);
            out = new Execution[](1);
            out[0] = Execution(t, v, d);
            return out;
        }
        Execution[] calldata batch = ERC7579Utils.decodeBatch(executionCalldata);
        out = new Execution[](batch.length);
        for (uint256 i; i < batch.length; ++i) {
            out[i] = Execution(batch[i].target, batch[i].value, batch[i].callData);
        }
    }

    function _slice(uint256 offset, uint256 length) private pure returns (bytes memory data) {
        data = new bytes(length);
        assembly {
            calldatacopy(add(data, 32), offset, length)
        }
    }
}

/// @notice Rule 2: the decoder accepts exactly the canonical encoding and decodes it as the account executes it.
contract CallDecoderTest is Test {
    DecoderHarness private harness;

    function setUp() public {
        harness = new DecoderHarness();
    }

    function _batch(uint256 seed, uint256 count) private pure returns (Execution[] memory calls) {
        calls = new Execution[](count);
        for (uint256 i; i < count; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            bytes memory data = new bytes(r % 3 == 0 ? 0 : 4 + (r >> 8) % 70);
            for (uint256 j; j < data.length; ++j) {
                data[j] = bytes1(uint8(r >> (j % 32)));
            }
            calls[i] = Execution(address(uint160(r >> 40)), r % 5, data);
        }
    }

    function _assertSame(Execution[] memory a, Execution[] memory b) private pure {
        assertEq(a.length, b.length, "count");
        for (uint256 i; i < a.length; ++i) {
            assertEq(a[i].target, b[i].target, "target");
            assertEq(a[i].value, b[i].value, "value");
            assertEq(a[i].callData, b[i].callData, "data");
        }
    }

    function testFuzz_decoder_canonicalBatchRoundTrips(uint256 seed, uint8 count) public view {
        Execution[] memory calls = _batch(seed, bound(count, 1, 8));
        _assertSame(harness.decode(UserOpLib.executeBatch(calls)), calls);
    }

    function testFuzz_decoder_canonicalSingleRoundTrips(address to, uint256 value, bytes memory data)
        public
        view
    {
        vm.assume(data.length == 0 || data.length >= 4);
        Execution[] memory out = harness.decode(UserOpLib.executeSingle(to, value, data));
        assertEq(out.length, 1);
        assertEq(out[0].target, to);
        assertEq(out[0].value, value);
        assertEq(out[0].callData, data);
    }

    /// @dev Any mutation of a canonical batch either reverts or decodes exactly as the account runs it.
    function testFuzz_decoder_mutatedBatchRejectedOrExact(
        uint256 seed,
        uint8 count,
        uint16 position,
        uint8 kind,
        bytes32 noise
    ) public view {
        bytes memory callData = UserOpLib.executeBatch(_batch(seed, bound(count, 1, 4)));
        callData = _mutate(callData, position, kind, noise);
        _checkMutation(callData);
    }

    /// @dev Same for single executions.
    function testFuzz_decoder_mutatedSingleRejectedOrExact(
        address to,
        bytes memory data,
        uint16 position,
        uint8 kind,
        bytes32 noise
    ) public view {
        bytes memory callData = UserOpLib.executeSingle(to, 0, data);
        callData = _mutate(callData, position, kind, noise);
        _checkMutation(callData);
    }

    function _checkMutation(bytes memory callData) private view {
        try harness.decode(callData) returns (Execution[] memory decoded) {
            Execution[] memory executed = harness.accountDecode(callData);
            _assertSame(decoded, executed);
        } catch {}
    }

    function test_decoder_rejectsKnownNonCanonicalForms() public {
        Execution[] memory calls = _batch(7, 2);
        bytes memory good = UserOpLib.executeBatch(calls);
        harness.decode(good);
        // Trailing word.
        vm.expectRevert();
        harness.decode(abi.encodePacked(good, bytes32(0)));
        // Trailing word inside the execution calldata of a batch (OpenZeppelin would ignore it).
        vm.expectRevert();
        harness.decode(
            UserOpLib.execute(UserOpLib.MODE_BATCH, abi.encodePacked(abi.encode(calls), bytes32(0)))
        );
        // Dirty upper bits in the first target word (position 4 + 32*3 + 64 + 64).
        bytes memory dirty = bytes.concat(good);
        dirty[4 + 32 * 3 + 32 * 4] = 0x01;
        vm.expectRevert();
        harness.decode(dirty);
        // Non-zero padding after the last data bytes.
        bytes memory single = UserOpLib.executeSingle(address(1), 0, hex"01020304");
        single[single.length - 1] = 0x01;
        vm.expectRevert();
        harness.decode(single);
        // Short single execution (no value word).
        vm.expectRevert();
        harness.decode(UserOpLib.execute(bytes32(0), abi.encodePacked(address(1))));
    }

    function _mutate(bytes memory b, uint16 position, uint8 kind, bytes32 noise)
        private
        pure
        returns (bytes memory)
    {
        uint256 p = 4 + uint256(position) % (b.length - 4);
        kind = kind % 5;
        if (kind == 0) {
            b[p] = bytes1(uint8(b[p]) ^ uint8(noise[0] | 0x01));
            return b;
        }
        if (kind == 1) return abi.encodePacked(b, noise);
        if (kind == 2) {
            bytes memory t = new bytes(p);
            for (uint256 i; i < p; ++i) {
                t[i] = b[i];
            }
            return t;
        }
        // Shift a word-aligned word by ±32 (offsets and lengths).
        uint256 w = 4 + ((p - 4) / 32) * 32;
        if (w + 32 > b.length) return b;
        uint256 word;
        assembly {
            word := mload(add(add(b, 32), w))
        }
        word = kind == 3 ? word + 32 : word - (word >= 32 ? 32 : word);
        assembly {
            mstore(add(add(b, 32), w), word)
        }
        return b;
    }
}
