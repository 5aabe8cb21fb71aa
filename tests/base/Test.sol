// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @title Test
/// @notice Minimal base for forge tests: cheatcodes, assertions and a few helpers (no forge-std here).
/// @dev Note:
///      - forge runs every public `test*` function (fuzzed when it has parameters) after `setUp()`,
///        and `invariant*` functions as invariants. A test fails when it reverts.
///      - Every failing assertion reverts with `Error(string)` whose text names the assertion and shows
///        both values, followed by the caller's message when one is given:
///        `assertEq(uint256) failed: left=1 right=2; <message>`.
///      - Assertions are `internal`: a revert inside them is a revert of the test itself, so
///        `vm.expectRevert` cannot be used to check them from the same contract (see Test.t.sol for how
///        they are tested through an external harness).
abstract contract Test {
    /// @dev The cheatcode handler.
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @dev The secp256k1 group order: valid private keys are in [1, SECP256K1_ORDER - 1].
    uint256 private constant SECP256K1_ORDER =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    // ----- Failure -----

    /// @dev Fails the test with `message`.
    function fail(string memory message) internal pure {
        revert(message);
    }

    // ----- Booleans -----

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "");
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) _fail("assertTrue failed", message);
    }

    function assertFalse(bool condition) internal pure {
        assertFalse(condition, "");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) _fail("assertFalse failed", message);
    }

    // ----- Equality -----

    function assertEq(uint256 left, uint256 right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left != right) _failPair("assertEq(uint256)", _str(left), _str(right), message);
    }

    function assertEq(int256 left, int256 right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(int256 left, int256 right, string memory message) internal pure {
        if (left != right) _failPair("assertEq(int256)", _str(left), _str(right), message);
    }

    function assertEq(address left, address right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(address left, address right, string memory message) internal pure {
        if (left != right) _failPair("assertEq(address)", _str(left), _str(right), message);
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        if (left != right) _failPair("assertEq(bytes32)", _str(left), _str(right), message);
    }

    function assertEq(bool left, bool right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(bool left, bool right, string memory message) internal pure {
        if (left != right) _failPair("assertEq(bool)", _str(left), _str(right), message);
    }

    function assertEq(bytes memory left, bytes memory right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(bytes memory left, bytes memory right, string memory message) internal pure {
        if (keccak256(left) != keccak256(right)) {
            _failPair("assertEq(bytes)", _str(left), _str(right), message);
        }
    }

    function assertEq(string memory left, string memory right) internal pure {
        assertEq(left, right, "");
    }

    function assertEq(string memory left, string memory right, string memory message) internal pure {
        if (keccak256(bytes(left)) != keccak256(bytes(right))) {
            _failPair("assertEq(string)", _quote(left), _quote(right), message);
        }
    }

    // ----- Inequality -----

    function assertNotEq(uint256 left, uint256 right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left == right) _failPair("assertNotEq(uint256)", _str(left), _str(right), message);
    }

    function assertNotEq(address left, address right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(address left, address right, string memory message) internal pure {
        if (left == right) _failPair("assertNotEq(address)", _str(left), _str(right), message);
    }

    function assertNotEq(bytes32 left, bytes32 right) internal pure {
        assertNotEq(left, right, "");
    }

    function assertNotEq(bytes32 left, bytes32 right, string memory message) internal pure {
        if (left == right) _failPair("assertNotEq(bytes32)", _str(left), _str(right), message);
    }

    // ----- Ordering (uint256) -----

    function assertGt(uint256 left, uint256 right) internal pure {
        assertGt(left, right, "");
    }

    function assertGt(uint256 left, uint256 right, string memory message) internal pure {
        if (left <= right) _failPair("assertGt(uint256)", _str(left), _str(right), message);
    }

    function assertGe(uint256 left, uint256 right) internal pure {
        assertGe(left, right, "");
    }

    function assertGe(uint256 left, uint256 right, string memory message) internal pure {
        if (left < right) _failPair("assertGe(uint256)", _str(left), _str(right), message);
    }

    function assertLt(uint256 left, uint256 right) internal pure {
        assertLt(left, right, "");
    }

    function assertLt(uint256 left, uint256 right, string memory message) internal pure {
        if (left >= right) _failPair("assertLt(uint256)", _str(left), _str(right), message);
    }

    function assertLe(uint256 left, uint256 right) internal pure {
        assertLe(left, right, "");
    }

    function assertLe(uint256 left, uint256 right, string memory message) internal pure {
        if (left > right) _failPair("assertLe(uint256)", _str(left), _str(right), message);
    }

    // ----- Helpers -----

    /// @dev A deterministic secp256k1 key derived from `name`, its address, and a trace label.
    function makeAddrAndKey(string memory name) internal returns (address account, uint256 privateKey) {
        privateKey = uint256(keccak256(bytes(name))) % (SECP256K1_ORDER - 1) + 1;
        account = vm.addr(privateKey);
        vm.label(account, name);
    }

    /// @dev A deterministic address derived from `name` (no known key is intended to be used with it).
    function makeAddr(string memory name) internal returns (address account) {
        (account,) = makeAddrAndKey(name);
    }

    /// @dev Maps `x` into [min, max]: unchanged when already inside, otherwise `min + x % (max - min + 1)`.
    ///      Correct for every range, including [0, type(uint256).max]. Reverts when `min > max`.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        // Here the range is not the full uint256 domain (x would be inside it), so `max - min + 1` cannot overflow.
        return min + x % (max - min + 1);
    }

    // ----- Private formatting -----

    function _fail(string memory what, string memory message) private pure {
        if (bytes(message).length == 0) revert(what);
        revert(string.concat(what, "; ", message));
    }

    function _failPair(string memory what, string memory left, string memory right, string memory message)
        private
        pure
    {
        _fail(string.concat(what, " failed: left=", left, " right=", right), message);
    }

    function _str(uint256 value) private pure returns (string memory) {
        return Strings.toString(value);
    }

    function _str(int256 value) private pure returns (string memory) {
        return Strings.toStringSigned(value);
    }

    function _str(address value) private pure returns (string memory) {
        return Strings.toChecksumHexString(value);
    }

    function _str(bytes32 value) private pure returns (string memory) {
        return Strings.toHexString(uint256(value), 32);
    }

    function _str(bool value) private pure returns (string memory) {
        return value ? "true" : "false";
    }

    function _str(bytes memory value) private pure returns (string memory) {
        bytes16 digits = "0123456789abcdef";
        bytes memory out = new bytes(2 + value.length * 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i; i < value.length; ++i) {
            out[2 + 2 * i] = digits[uint8(value[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(value[i]) & 0x0f];
        }
        return string(out);
    }

    function _quote(string memory value) private pure returns (string memory) {
        return string.concat('"', value, '"');
    }
}
