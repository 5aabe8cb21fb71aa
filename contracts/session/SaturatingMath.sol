// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SaturatingMath
/// @notice Sums and products of amounts an op asks for, saturating at `type(uint256).max` instead of
///         reverting with Panic(0x11) (SPEC rules 8 and 10).
/// @dev Note:
///      - Used only for what an op asks (batch sums, gas sums, the fee). Every limit they are compared with
///        is at most 2^128-1 (SessionAdmin), so a saturated amount always exceeds its limit and the op is
///        rejected with the custom error that names the permission (e.g. `NativeAllowanceExceeded(id,
///        2^256-1, left)`); where no limit applies the amount is not charged at all.
///      - Never used for counters: a counter is written only after its new amount was proven to fit.
library SaturatingMath {
    /// @dev `a + b`, or `type(uint256).max` when the sum does not fit in 256 bits.
    function add(uint256 a, uint256 b) internal pure returns (uint256 c) {
        assembly ("memory-safe") {
            c := add(a, b)
            if lt(c, b) { c := not(0) }
        }
    }

    /// @dev `a * b`, or `type(uint256).max` when the product does not fit in 256 bits.
    function mul(uint256 a, uint256 b) internal pure returns (uint256 c) {
        assembly ("memory-safe") {
            c := mul(a, b)
            if iszero(or(iszero(a), eq(div(c, a), b))) { c := not(0) }
        }
    }
}
