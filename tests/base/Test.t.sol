// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./Test.sol";

/// @notice Exposes Test's internal assertions as external calls, so a failing one is a catchable revert.
contract AssertionHarness is Test {
    function assertTrue_(bool a, string memory m) external pure {
        assertTrue(a, m);
    }

    function assertTrueNoMsg(bool a) external pure {
        assertTrue(a);
    }

    function assertFalse_(bool a, string memory m) external pure {
        assertFalse(a, m);
    }

    function assertFalseNoMsg(bool a) external pure {
        assertFalse(a);
    }

    function eqUint(uint256 a, uint256 b, string memory m) external pure {
        assertEq(a, b, m);
    }

    function eqUintNoMsg(uint256 a, uint256 b) external pure {
        assertEq(a, b);
    }

    function eqInt(int256 a, int256 b) external pure {
        assertEq(a, b);
    }

    function eqAddress(address a, address b) external pure {
        assertEq(a, b);
    }

    function eqBytes32(bytes32 a, bytes32 b) external pure {
        assertEq(a, b);
    }

    function eqBytes(bytes memory a, bytes memory b) external pure {
        assertEq(a, b);
    }

    function eqBool(bool a, bool b) external pure {
        assertEq(a, b);
    }

    function eqString(string memory a, string memory b) external pure {
        assertEq(a, b);
    }

    function notEqUint(uint256 a, uint256 b) external pure {
        assertNotEq(a, b);
    }

    function notEqAddress(address a, address b) external pure {
        assertNotEq(a, b);
    }

    function notEqBytes32(bytes32 a, bytes32 b) external pure {
        assertNotEq(a, b);
    }

    function gt(uint256 a, uint256 b) external pure {
        assertGt(a, b);
    }

    function ge(uint256 a, uint256 b) external pure {
        assertGe(a, b);
    }

    function lt(uint256 a, uint256 b) external pure {
        assertLt(a, b);
    }

    function le(uint256 a, uint256 b, string memory m) external pure {
        assertLe(a, b, m);
    }

    function fail_(string memory m) external pure {
        fail(m);
    }

    function bound_(uint256 x, uint256 min, uint256 max) external pure returns (uint256) {
        return bound(x, min, max);
    }
}

/// @notice Proves every assertion of Test fails exactly when it should, with a message showing both values.
contract TestTest is Test {
    AssertionHarness private h;

    function setUp() public {
        h = new AssertionHarness();
    }

    /// @dev Asserts that the last external call reverted with `Error(expected)`.
    function _expectError(bool reverted, bytes memory revertData, string memory expected) private pure {
        if (!reverted) revert(string.concat("assertion did not fail; expected: ", expected));
        assertEq(revertData, abi.encodeWithSignature("Error(string)", expected), "revert data");
    }

    function _call(bytes memory data) private view returns (bool reverted, bytes memory revertData) {
        (bool ok, bytes memory ret) = address(h).staticcall(data);
        return (!ok, ret);
    }

    function test_assertTrue() public view {
        h.assertTrue_(true, "m");
        h.assertTrueNoMsg(true);
        (bool r, bytes memory d) = _call(abi.encodeCall(h.assertTrue_, (false, "why")));
        _expectError(r, d, "assertTrue failed; why");
        (r, d) = _call(abi.encodeCall(h.assertTrueNoMsg, (false)));
        _expectError(r, d, "assertTrue failed");
    }

    function test_assertFalse() public view {
        h.assertFalse_(false, "m");
        h.assertFalseNoMsg(false);
        (bool r, bytes memory d) = _call(abi.encodeCall(h.assertFalse_, (true, "why")));
        _expectError(r, d, "assertFalse failed; why");
        (r, d) = _call(abi.encodeCall(h.assertFalseNoMsg, (true)));
        _expectError(r, d, "assertFalse failed");
    }

    function test_assertEq_uint256() public view {
        h.eqUint(7, 7, "m");
        h.eqUintNoMsg(type(uint256).max, type(uint256).max);
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqUint, (1, 2, "balance")));
        _expectError(r, d, "assertEq(uint256) failed: left=1 right=2; balance");
        (r, d) = _call(abi.encodeCall(h.eqUintNoMsg, (0, 10)));
        _expectError(r, d, "assertEq(uint256) failed: left=0 right=10");
    }

    function test_assertEq_int256() public view {
        h.eqInt(-5, -5);
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqInt, (-1, 1)));
        _expectError(r, d, "assertEq(int256) failed: left=-1 right=1");
    }

    function test_assertEq_address() public view {
        h.eqAddress(address(this), address(this));
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqAddress, (address(0), address(0xdead))));
        _expectError(
            r,
            d,
            "assertEq(address) failed: left=0x0000000000000000000000000000000000000000 right=0x000000000000000000000000000000000000dEaD"
        );
    }

    function test_assertEq_bytes32() public view {
        h.eqBytes32(keccak256("a"), keccak256("a"));
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqBytes32, (bytes32(uint256(1)), bytes32(0))));
        _expectError(
            r,
            d,
            "assertEq(bytes32) failed: left=0x0000000000000000000000000000000000000000000000000000000000000001 right=0x0000000000000000000000000000000000000000000000000000000000000000"
        );
    }

    function test_assertEq_bytes() public view {
        h.eqBytes(hex"0102", hex"0102");
        h.eqBytes("", "");
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqBytes, (hex"00ff", hex"00fe")));
        _expectError(r, d, "assertEq(bytes) failed: left=0x00ff right=0x00fe");
        (r, d) = _call(abi.encodeCall(h.eqBytes, (hex"", hex"00")));
        _expectError(r, d, "assertEq(bytes) failed: left=0x right=0x00");
    }

    function test_assertEq_bool() public view {
        h.eqBool(true, true);
        h.eqBool(false, false);
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqBool, (true, false)));
        _expectError(r, d, "assertEq(bool) failed: left=true right=false");
    }

    function test_assertEq_string() public view {
        h.eqString("abc", "abc");
        (bool r, bytes memory d) = _call(abi.encodeCall(h.eqString, ("abc", "abd")));
        _expectError(r, d, 'assertEq(string) failed: left="abc" right="abd"');
    }

    function test_assertNotEq() public view {
        h.notEqUint(1, 2);
        h.notEqAddress(address(1), address(2));
        h.notEqBytes32(bytes32(0), bytes32(uint256(1)));
        (bool r, bytes memory d) = _call(abi.encodeCall(h.notEqUint, (3, 3)));
        _expectError(r, d, "assertNotEq(uint256) failed: left=3 right=3");
        (r, d) = _call(abi.encodeCall(h.notEqAddress, (address(0xdead), address(0xdead))));
        _expectError(
            r,
            d,
            "assertNotEq(address) failed: left=0x000000000000000000000000000000000000dEaD right=0x000000000000000000000000000000000000dEaD"
        );
        (r, d) = _call(abi.encodeCall(h.notEqBytes32, (bytes32(0), bytes32(0))));
        _expectError(
            r,
            d,
            "assertNotEq(bytes32) failed: left=0x0000000000000000000000000000000000000000000000000000000000000000 right=0x0000000000000000000000000000000000000000000000000000000000000000"
        );
    }

    function test_assertOrdering_boundaries() public view {
        h.gt(2, 1);
        h.ge(2, 2);
        h.ge(3, 2);
        h.lt(1, 2);
        h.le(2, 2, "m");
        h.le(1, 2, "m");

        (bool r, bytes memory d) = _call(abi.encodeCall(h.gt, (2, 2)));
        _expectError(r, d, "assertGt(uint256) failed: left=2 right=2");
        (r, d) = _call(abi.encodeCall(h.gt, (1, 2)));
        _expectError(r, d, "assertGt(uint256) failed: left=1 right=2");
        (r, d) = _call(abi.encodeCall(h.ge, (1, 2)));
        _expectError(r, d, "assertGe(uint256) failed: left=1 right=2");
        (r, d) = _call(abi.encodeCall(h.lt, (2, 2)));
        _expectError(r, d, "assertLt(uint256) failed: left=2 right=2");
        (r, d) = _call(abi.encodeCall(h.lt, (3, 2)));
        _expectError(r, d, "assertLt(uint256) failed: left=3 right=2");
        (r, d) = _call(abi.encodeCall(h.le, (3, 2, "cap")));
        _expectError(r, d, "assertLe(uint256) failed: left=3 right=2; cap");
    }

    function test_fail() public view {
        (bool r, bytes memory d) = _call(abi.encodeCall(h.fail_, ("stop here")));
        _expectError(r, d, "stop here");
    }

    function testFuzz_assertEq_uint256_failsIffDifferent(uint256 a, uint256 b) public view {
        (bool r,) = _call(abi.encodeCall(h.eqUintNoMsg, (a, b)));
        assertEq(r, a != b, "reverts exactly when different");
    }

    function testFuzz_assertEq_bytes_failsIffDifferent(bytes memory a, bytes memory b) public view {
        (bool r,) = _call(abi.encodeCall(h.eqBytes, (a, b)));
        assertEq(r, keccak256(a) != keccak256(b), "reverts exactly when different");
    }

    // ----- bound -----

    function testFuzz_bound_staysInRange(uint256 x, uint256 min, uint256 max) public view {
        if (min > max) (min, max) = (max, min);
        uint256 y = h.bound_(x, min, max);
        assertGe(y, min, "not below min");
        assertLe(y, max, "not above max");
        if (x >= min && x <= max) assertEq(y, x, "in-range input unchanged");
    }

    function test_bound_edges() public view {
        assertEq(h.bound_(type(uint256).max, 0, type(uint256).max), type(uint256).max, "full range keeps max");
        assertEq(h.bound_(0, 0, type(uint256).max), 0, "full range keeps 0");
        assertEq(h.bound_(12345, 7, 7), 7, "single point");
        assertEq(h.bound_(type(uint256).max, 1, type(uint256).max), type(uint256).max, "top range");
        assertEq(h.bound_(0, 1, type(uint256).max), 1, "0 maps into [1, max]");
        assertEq(h.bound_(10, 0, 9), 0, "10 mod 10");
        assertEq(h.bound_(25, 10, 12), 11, "10 + 25 mod 3");
    }

    function test_bound_minAboveMaxReverts() public view {
        (bool r, bytes memory d) = _call(abi.encodeCall(h.bound_, (1, 3, 2)));
        _expectError(r, d, "bound: min > max");
    }

    // ----- keys -----

    function test_makeAddrAndKey_deterministicAndConsistent() public {
        (address a, uint256 keyA) = makeAddrAndKey("alice");
        (address a2, uint256 keyA2) = makeAddrAndKey("alice");
        (address b,) = makeAddrAndKey("bob");
        assertEq(a, a2, "same name, same address");
        assertEq(keyA, keyA2, "same name, same key");
        assertNotEq(a, b, "different names differ");
        assertEq(vm.addr(keyA), a, "address matches key");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyA, keccak256("x"));
        assertEq(ecrecover(keccak256("x"), v, r, s), a, "key signs for the address");
    }
}
