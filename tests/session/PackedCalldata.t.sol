// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SessionTestBase} from "./SessionTestBase.sol";
import {Session, PeriodicAllowance, NATIVE_ASSET} from "../../contracts/session/SessionTypes.sol";

/// @notice The module packs the sessions it is given straight from calldata (SessionPacking.packCalldata). A
///         caller that hand-crafts the ABI encoding (dirty high bits, `root` = 2, list offsets or lengths
///         pointing outside the calldata) must get what Solidity's ABI decoder gives: a revert without data,
///         never a session packed from bits the typed struct cannot hold or from bytes past the calldata.
/// @dev Note: each malformed encoding is sent to `toPackedSession`, `computeSessionId` and `grantSession` (as
///      the account) with a low-level call; the same calldata, unmodified, works on all three.
contract PackedCalldataTest is SessionTestBase {
    /// @dev Calldata position of the Session tuple: selector (4) and its offset word (32).
    uint256 private constant TUPLE = 36;
    /// @dev Head words of the list offsets: calls, accountSelectors, tokens, periodic, paymasters.
    uint256 private constant CALLS = 11;
    uint256 private constant SELECTORS = 12;
    uint256 private constant TOKENS = 13;
    uint256 private constant PERIODIC = 14;
    uint256 private constant PAYMASTERS = 15;
    uint256 private constant MUTATIONS = 19;

    /// @dev A session with every scalar set and one entry in every list, valid for `grantSession`.
    function _session() private view returns (Session memory s) {
        s = tokenSession(100 ether);
        s.validAfter = 1;
        s.validUntil = 1000;
        s.maxUses = 10;
        s.period = 1 days;
        s.rateLimit = 5;
        s.nativeAllowance = 1 ether;
        s.feeBudget = 2;
        s.gasBudget = 3;
        s.accountSelectors = new bytes4[](1);
        s.accountSelectors[0] = 0x12345678;
        s.periodic = new PeriodicAllowance[](1);
        s.periodic[0] = PeriodicAllowance(NATIVE_ASSET, 1 ether);
        s.salt = keccak256("strict calldata");
    }

    function test_packCalldata_malformedCalldataRevertsWithoutData() public {
        Session memory s = _session();
        bytes[3] memory calls = [
            abi.encodeCall(module.toPackedSession, (s)),
            abi.encodeCall(module.computeSessionId, (s)),
            abi.encodeCall(module.grantSession, (s))
        ];
        for (uint256 m; m < MUTATIONS; ++m) {
            for (uint256 f; f < calls.length; ++f) {
                vm.prank(address(accountV07));
                (bool ok, bytes memory ret) = address(module).call(_mutated(calls[f], m));
                assertFalse(ok, "malformed calldata accepted");
                assertEq(ret.length, 0, "revert without data");
            }
        }
        // The clean encoding works on all three.
        (bool packedOk, bytes memory packed) = address(module).call(calls[0]);
        assertTrue(packedOk);
        assertEq(abi.decode(packed, (bytes)), packOf(s), "toPackedSession");
        (bool idOk, bytes memory id) = address(module).call(calls[1]);
        assertTrue(idOk);
        assertEq(abi.decode(id, (bytes32)), idOf(s), "computeSessionId");
        assertEq(module.statusOf(address(accountV07), idOf(s)), 0, "no malformed grant created it");
        vm.prank(address(accountV07));
        (bool grantOk, bytes memory granted) = address(module).call(calls[2]);
        assertTrue(grantOk);
        assertEq(abi.decode(granted, (bytes32)), idOf(s), "grantSession");
        assertEq(module.statusOf(address(accountV07), idOf(s)), 1);
    }

    /// @dev A copy of the calldata `data` with malformation `m`: 0-7 dirty high bits in signer, validAfter,
    ///      validUntil, maxUses, period, periodStart, rateLimit, and `root` = 2; 8 the calls offset pointing at
    ///      the end of the calldata; 9 the paymasters offset 2^32; 10 a tokens length of 1000; 11-13 a call
    ///      grant's target, selector (low bits) and flags (above 8 bits); 14 an account selector's low bits;
    ///      15 a token, 16 a periodic asset, 17 a paymaster with dirty high bits; 18 the last list entry cut off.
    function _mutated(bytes memory data, uint256 m) private pure returns (bytes memory out) {
        out = bytes.concat(data);
        if (m == 0) _or(out, _head(0), 1 << 160);
        if (m == 1) _or(out, _head(1), 1 << 48);
        if (m == 2) _or(out, _head(2), 1 << 255);
        if (m == 3) _or(out, _head(3), 1 << 32);
        if (m == 4) _or(out, _head(5), 1 << 48);
        if (m == 5) _or(out, _head(6), 1 << 200);
        if (m == 6) _or(out, _head(7), 1 << 32);
        if (m == 7) _set(out, _head(4), 2);
        if (m == 8) _set(out, _head(CALLS), out.length - TUPLE);
        if (m == 9) _set(out, _head(PAYMASTERS), 1 << 32);
        if (m == 10) _set(out, _list(out, TOKENS), 1000);
        if (m == 11) _or(out, _entry(out, CALLS, 0), 1 << 160);
        if (m == 12) _or(out, _entry(out, CALLS, 1), 1);
        if (m == 13) _or(out, _entry(out, CALLS, 2), 1 << 8);
        if (m == 14) _or(out, _entry(out, SELECTORS, 0), 1);
        if (m == 15) _or(out, _entry(out, TOKENS, 0), 1 << 160);
        if (m == 16) _or(out, _entry(out, PERIODIC, 0), 1 << 160);
        if (m == 17) _or(out, _entry(out, PAYMASTERS, 0), 1 << 255);
        if (m == 18) {
            // The paymasters list is the last in the ABI tail: its one entry is the last word.
            assertEq(_entry(out, PAYMASTERS, 0) + 32, out.length, "paymaster is the last word");
            assembly ("memory-safe") {
                mstore(out, sub(mload(out), 32))
            }
        }
    }

    /// @dev Calldata position of head word `index` of the Session tuple.
    function _head(uint256 index) private pure returns (uint256) {
        return TUPLE + 32 * index;
    }

    /// @dev Calldata position of the length word of the list whose offset is head word `index`.
    function _list(bytes memory data, uint256 index) private pure returns (uint256) {
        return TUPLE + _word(data, _head(index));
    }

    /// @dev Calldata position of word `w` of the first entry of the list at head word `index`.
    function _entry(bytes memory data, uint256 index, uint256 w) private pure returns (uint256) {
        return _list(data, index) + 32 + 32 * w;
    }

    function _word(bytes memory data, uint256 position) private pure returns (uint256 value) {
        require(position + 32 <= data.length, "word past the end");
        assembly ("memory-safe") {
            value := mload(add(add(data, 0x20), position))
        }
    }

    function _set(bytes memory data, uint256 position, uint256 value) private pure {
        require(position + 32 <= data.length, "word past the end");
        assembly ("memory-safe") {
            mstore(add(add(data, 0x20), position), value)
        }
    }

    function _or(bytes memory data, uint256 position, uint256 bits) private pure {
        _set(data, position, _word(data, position) | bits);
    }
}
