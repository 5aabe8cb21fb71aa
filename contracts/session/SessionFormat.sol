// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {NATIVE_ASSET, GRANT_ANY_TARGET, GRANT_ANY_SELECTOR} from "./SessionTypes.sol";
import {SessionPacking} from "./SessionPacking.sol";
import {SessionWindow} from "./SessionWindow.sol";
import {
    SessionSignerZero,
    SessionWindowInvalid,
    SessionListTooLong,
    SessionAmountTooLarge,
    SessionAssetInvalid,
    SessionPeriodRequired,
    SessionGrantFlagsInvalid,
    SessionEncodingNotCanonical
} from "./SessionErrors.sol";

/// @title SessionFormat
/// @notice The checks a session passes when it is created, run on its packed encoding (SessionPacking).
/// @dev Note:
///      - Every session is created from packed bytes: `grantSession` and `onInstall` pack the session they are
///        given, and an enable grant copies the packed bytes its op carries. Validation later reads those same
///        bytes in place, so what is checked here is exactly what is enforced.
///      - Bytes that are not the canonical packing of any session (a flag bit above bit 4, a carried budget or
///        salt word equal to zero, a length that does not match the header) are rejected, so that every stored
///        id is `keccak256(pack(session))` of exactly one session. Only a hand-made enable envelope can carry
///        such bytes: the module's own packing is canonical.
///      - Window times (validAfter, validUntil) are below 2^47, so every window stays in timestamp mode
///        (SessionWindow).
///      - Caps: <= 16 call grants, <= 8 account selectors, <= 8 tokens, <= 8 periodic allowances, <= 4
///        paymasters; every amount <= 2^128-1 (the counters are 128 bits wide), the fee budget <= 2^80-1 wei
///        (about 1.2 million ether: its counter shares the session record, see SessionStorage); no duplicate asset;
///        `NATIVE_ASSET` not in `tokens`; call-grant flags only ANY_TARGET and ANY_SELECTOR; periodic
///        allowances and a rate limit need a period. Errors come in that documented order (signer, window,
///        period, lengths, budgets, grant flags, tokens, periodic).
library SessionFormat {
    /// @dev Caps on a session's lists (bounded loops; keep the largest op within ERC-7562's limits).
    uint256 internal constant MAX_CALL_GRANTS = 16;
    uint256 internal constant MAX_ACCOUNT_SELECTORS = 8;
    uint256 internal constant MAX_TOKENS = 8;
    uint256 internal constant MAX_PERIODIC = 8;
    uint256 internal constant MAX_PAYMASTERS = 4;

    /// @dev Largest amount a counter holds.
    uint256 private constant MAX_AMOUNT = type(uint128).max;
    /// @dev Largest fee budget: the fee spent is an 80-bit field of the session record (SessionStorage).
    uint256 internal constant MAX_FEE_BUDGET = type(uint80).max;

    /// @dev Reverts unless `packed` is the canonical packing of a session within the documented format.
    function check(bytes memory packed) internal pure {
        uint256 w0 = _word(packed, 0);
        uint256 w1 = _word(packed, 32);
        uint256 flags = (w1 >> 88) & 0xff;
        uint256 nCalls = (w1 >> 80) & 0xff;
        uint256 nTokens = (w1 >> 72) & 0xff;
        uint256 nPeriodic = (w1 >> 64) & 0xff;
        uint256 nPaymasters = (w1 >> 56) & 0xff;
        uint256 nSelectors = (w1 >> 48) & 0xff;
        uint256 lists = 58 + 25 * nCalls + 52 * (nTokens + nPeriodic) + 20 * nPaymasters + 4 * nSelectors;
        _checkCanonical(packed, flags, lists);

        if (w0 >> 96 == 0) revert SessionSignerZero();
        // forge-lint: disable-next-line(unsafe-typecast) -- both are 48-bit fields of the packing
        (uint48 validAfter, uint48 validUntil) = (uint48(w0 >> 48), uint48(w0));
        if (
            (validUntil != 0 && validAfter > validUntil) || (validAfter | validUntil) > SessionWindow.MAX_TIME
        ) {
            revert SessionWindowInvalid(validAfter, validUntil);
        }
        if (w1 >> 208 == 0 && (nPeriodic != 0 || (w1 >> 96) & 0xffffffff != 0)) {
            revert SessionPeriodRequired();
        }
        _checkLength(0, nCalls, MAX_CALL_GRANTS);
        _checkLength(1, nSelectors, MAX_ACCOUNT_SELECTORS);
        _checkLength(2, nTokens, MAX_TOKENS);
        _checkLength(3, nPeriodic, MAX_PERIODIC);
        _checkLength(4, nPaymasters, MAX_PAYMASTERS);
        // The carried budgets, in flag order (native, fee, gas), follow the lists.
        uint256 position = lists;
        for (uint256 bit = 2; bit <= 8; bit <<= 1) {
            if (flags & bit != 0) {
                uint256 budget = _word(packed, position);
                _checkAmount(budget);
                if (bit == SessionPacking.FLAG_FEE && budget > MAX_FEE_BUDGET) {
                    revert SessionAmountTooLarge(budget);
                }
                position += 32;
            }
        }
        uint256 entry = 58;
        for (uint256 i; i < nCalls; ++i) {
            uint256 grantFlags = (_word(packed, entry) >> 56) & 0xff;
            if (grantFlags & ~uint256(GRANT_ANY_TARGET | GRANT_ANY_SELECTOR) != 0) {
                // forge-lint: disable-next-line(unsafe-typecast) -- one byte
                revert SessionGrantFlagsInvalid(uint8(grantFlags));
            }
            entry += 25;
        }
        _checkAssets(packed, entry, nTokens, true);
        _checkAssets(packed, entry + 52 * nTokens, nPeriodic, false);
    }

    /// @dev The (asset, amount) list of `count` 52-byte entries at byte `start`: every amount within the counters,
    ///      no duplicate asset, and for `tokens` no NATIVE_ASSET.
    function _checkAssets(bytes memory packed, uint256 start, uint256 count, bool isTokens) private pure {
        for (uint256 i; i < count; ++i) {
            uint256 entry = start + 52 * i;
            address asset = address(uint160(_word(packed, entry) >> 96));
            _checkAmount(_word(packed, entry + 20));
            if (isTokens && asset == NATIVE_ASSET) revert SessionAssetInvalid(asset);
            for (uint256 j; j < i; ++j) {
                if (address(uint160(_word(packed, start + 52 * j) >> 96)) == asset) {
                    revert SessionAssetInvalid(asset);
                }
            }
        }
    }

    /// @dev Reverts `SessionEncodingNotCanonical` unless the flags use only bits 0-4, `packed` is exactly as long
    ///      as its header says, and every carried budget and salt word is non-zero.
    function _checkCanonical(bytes memory packed, uint256 flags, uint256 lists) private pure {
        if (flags >> 5 != 0) revert SessionEncodingNotCanonical();
        uint256 position = lists;
        for (uint256 bit = 2; bit <= 16; bit <<= 1) {
            if (flags & bit != 0) {
                if (position + 32 > packed.length || _word(packed, position) == 0) {
                    revert SessionEncodingNotCanonical();
                }
                position += 32;
            }
        }
        if (position != packed.length) revert SessionEncodingNotCanonical();
    }

    /// @dev The 32 bytes of `packed` at byte `offset` (zero-extended past its end: callers check lengths first).
    function _word(bytes memory packed, uint256 offset) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(packed, 0x20), offset))
        }
    }

    /// @dev Reverts when a list is longer than its cap.
    function _checkLength(uint8 field, uint256 length, uint256 max) private pure {
        if (length > max) revert SessionListTooLong(field, length, max);
    }

    /// @dev Reverts when an amount does not fit the 128-bit counters.
    function _checkAmount(uint256 amount) private pure {
        if (amount > MAX_AMOUNT) revert SessionAmountTooLarge(amount);
    }
}
