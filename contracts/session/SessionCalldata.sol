// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";

/// @title SessionCalldata
/// @notice Reads a `Session` in place from calldata by fixed ABI offsets, without Solidity's per-access
///         offset and cleanliness checks, for the validation path.
/// @dev Note:
///      - Use ONLY on a session whose id was proven: validation reads a session after the record of
///        `keccak256(0x20 ‖ bytes)` was found active, and every stored id is `keccak256(abi.encode(s))` of a
///        checked session (created by the module from decoded calldata, or enabled after the envelope was
///        re-encoded and compared). So the bytes are the canonical encoding: every head offset points inside
///        the session, every value is clean, and a raw read equals what Solidity's accessor would return.
///      - `s` is the absolute calldata position of the session's head (17 words, in `Session` field order).
library SessionCalldata {
    /// @dev Head word indices of the `Session` fields.
    uint256 internal constant SIGNER = 0;
    uint256 internal constant VALID_AFTER = 1;
    uint256 internal constant VALID_UNTIL = 2;
    uint256 internal constant MAX_USES = 3;
    uint256 internal constant ROOT = 4;
    uint256 internal constant PERIOD = 5;
    uint256 internal constant PERIOD_START = 6;
    uint256 internal constant RATE_LIMIT = 7;
    uint256 internal constant NATIVE_ALLOWANCE = 8;
    uint256 internal constant FEE_BUDGET = 9;
    uint256 internal constant GAS_BUDGET = 10;
    uint256 internal constant CALLS = 11;
    uint256 internal constant ACCOUNT_SELECTORS = 12;
    uint256 internal constant TOKENS = 13;
    uint256 internal constant PERIODIC = 14;
    uint256 internal constant PAYMASTERS = 15;

    /// @dev The calldata position of `session`.
    function pointer(Session calldata session) internal pure returns (uint256 s) {
        assembly ("memory-safe") {
            s := session
        }
    }

    /// @dev Head word `field` of the session at `s` (a static field's value).
    function word(uint256 s, uint256 field) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(add(s, shl(5, field)))
        }
    }

    /// @dev The dynamic list `field` of the session at `s`: position of its first element and its length.
    ///      Elements are `CallGrant` (3 words: target, selector, flags), `bytes4` (1 word, left-aligned),
    ///      `TokenAllowance` / `PeriodicAllowance` (2 words: asset, amount) or `address` (1 word).
    function list(uint256 s, uint256 field) internal pure returns (uint256 start, uint256 length) {
        assembly ("memory-safe") {
            let p := add(s, calldataload(add(s, shl(5, field))))
            length := calldataload(p)
            start := add(p, 0x20)
        }
    }

    /// @dev The word at absolute calldata position `position`.
    function load(uint256 position) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(position)
        }
    }
}
