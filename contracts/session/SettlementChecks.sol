// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CallDecoder} from "./CallDecoder.sol";

/// @notice Call `index` may make a contract pull a limited token through an allowance the account gave earlier
///         (it is neither a call to the account nor an understood spending call on a limited token), and the op
///         is not settled. Fix: send a default-mode batch whose first and last calls are the module's
///         `settle(periodIndex, packedSession)` (docs/session-key-validator.md, "Settlement").
error SettlementRequired(bytes32 sessionId, uint256 index);
/// @notice A settled op (its first call is `settle`) is not a default-mode batch: a single call or a TRY batch
///         cannot be settled (a failed settlement would not revert the calls). Fix: mode 0x0100…00.
error SettlementModeInvalid(bytes32 mode);
/// @notice A settled op whose last call (`index`) is not the module's `settle` (or that has only one call).
///         Fix: end the batch with the same `settle` call it begins with.
error SettlementEndMissing(uint256 index);
/// @notice A `settle` call at `index`, neither the first nor the last call of a settled op. Fix: settle first
///         and last, nowhere else.
error SettlementCallMisplaced(uint256 index);
/// @notice The settle call at `index` carries native value, or arguments other than exactly
///         `abi.encode(periodIndex, packedSession)` of the op (its named period, the packed session it carries).
error SettlementArgumentsInvalid(uint256 index);

/// @title SettlementChecks
/// @notice Validation half of execution-time settlement (rule 16): which ops must be settled, the wrapper's
///         shape and its arguments. The execution half is SessionSettlement.
/// @dev Note:
///      - A session *limits a token* when its `tokens` list is not empty or a periodic asset is not NATIVE_ASSET.
///        In such a session a call *needs settlement* unless it is a call to the account or an understood
///        spending call (transfer, approve, increaseAllowance, transferFrom) on a limited token: any other
///        contract may hold an allowance the account gave earlier (ERC-20 or Permit2) and pull through it,
///        which validation cannot see.
///      - An op is *settled* when it is an `execute` whose first call is this module's `settle`. Then it must be
///        a batch in default exec mode (in a TRY batch a reverting settle would not revert the calls), its last
///        call must be this module's `settle` too (n >= 2), no call in between may be one, and both carry no
///        value and exactly `abi.encode(uint32 periodIndex, bytes packedSession)`: the op's named period and the
///        packed session its envelope carries (keccak256 of which is the op's session id), zero-padded.
///      - PermissionChecks skips the first and last call of a settled op (they are checked here); every other
///        call to the module stays a hard denial for non-root sessions. PermissionChecks.check calls `check` only
///        for an op it flagged (SETTLEMENT_TO_CHECK: the op is settled, calls the module, or has a call that needs
///        settlement); for any other op this check cannot fail, so ops that need no settlement skip it.
///      - Validation only: the op is read from `validateUserOp`'s calldata (its first argument), the period from
///        the op's envelope.
///      - Reads calldata only (ERC-7562: no storage, no external call); loops are bounded by the batch (<= 8
///        calls) and the session's lists (<= 8 entries each).
library SettlementChecks {
    /// @dev settle(uint32,bytes)
    bytes4 internal constant SETTLE = 0x9edb9baf;

    /// @dev Rule 16 for the op's decoded `calls`; `s` is the proven packed session in the op's envelope.
    function check(uint256 s, bytes32 sessionId, CallDecoder.Call[] memory calls, address account)
        internal
        view
    {
        // Called by PermissionChecks.check only for an op it flagged (never a direct account-function op). The op's
        // period is read from its envelope (SignatureEnvelope: bytes 2..5, the packed session `s` from byte 71).
        uint256 periodIndex;
        assembly ("memory-safe") {
            periodIndex := shr(224, calldataload(sub(s, 69)))
        }
        uint256 n = calls.length;
        bool settled = _isSettle(calls[0]);
        if (settled) {
            uint256 mode;
            assembly ("memory-safe") {
                // validateUserOp(userOp, userOpHash) is the only caller: the op's offset is its first argument
                // word; userOp.callData (offset at op word 3) is `execute(mode, ...)`: the mode word follows the
                // length word and the selector.
                let userOp := add(4, calldataload(4))
                mode := calldataload(add(add(userOp, calldataload(add(userOp, 0x60))), 0x24))
            }
            // Call type batch (0x01) and exec type default (0x00); the decoder proved the other mode bytes zero.
            if (mode >> 240 != 0x0100) revert SettlementModeInvalid(bytes32(mode));
            if (n < 2 || !_isSettle(calls[n - 1])) revert SettlementEndMissing(n - 1);
        }
        uint256 failure; // 1 SettlementCallMisplaced, 2 SettlementArgumentsInvalid, 3 SettlementRequired
        uint256 at;
        assembly ("memory-safe") {
            // The proven session's `tokens` and `periodic` lists (SessionCalldata): asset (20) ‖ amount (32) entries,
            // contiguous after the 58-byte header and the calls (25 bytes each); lengths at header bytes 21..23.
            let h := calldataload(add(s, 32))
            let list := add(add(s, 58), mul(byte(21, h), 25))
            let tokenCount := byte(22, h)
            let end := add(list, mul(add(tokenCount, byte(23, h)), 52))
            let limits := iszero(iszero(tokenCount))
            for { let e := add(list, mul(tokenCount, 52)) } lt(e, end) { e := add(e, 52) } {
                // NATIVE_ASSET
                if iszero(eq(shr(96, calldataload(e)), 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE)) {
                    limits := 1
                }
            }
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let c := mload(add(calls, shl(5, add(i, 1))))
                let target := mload(c)
                if iszero(target) { target := account }
                let sel := shr(224, mload(add(c, 0x40)))
                switch and(settled, or(iszero(i), eq(i, sub(n, 1))))
                case 1 {
                    // The first or last call of a settled op (both are `settle`, checked above): no value, and data
                    // exactly SETTLE ‖ periodIndex ‖ 0x40 ‖ length ‖ packed ‖ zero padding, keccak256(packed) being
                    // the op's session id. The decoder proved the call's `size` data bytes inside the calldata;
                    // `length` < `size` (so no sum below wraps) is proven before anything is hashed.
                    let data := mload(add(c, 0x60))
                    let size := mload(add(c, 0x80))
                    let length := calldataload(add(data, 68))
                    let ok :=
                        and(
                            and(iszero(mload(add(c, 0x20))), eq(calldataload(add(data, 4)), periodIndex)),
                            and(
                                and(eq(calldataload(add(data, 36)), 0x40), gt(size, length)),
                                eq(size, add(100, and(add(length, 31), not(31))))
                            )
                        )
                    if ok {
                        let m := mload(0x40)
                        calldatacopy(m, add(data, 100), sub(size, 100))
                        // The padding (< 32 bytes after the packed bytes) is zero.
                        ok := and(
                            eq(keccak256(m, length), sessionId),
                            iszero(shr(sub(256, shl(3, sub(sub(size, 100), length))), mload(add(m, length))))
                        )
                    }
                    if iszero(ok) {
                        failure := 2
                        at := i
                        break
                    }
                }
                default {
                    // SETTLE 0x9edb9baf anywhere else.
                    if and(eq(target, address()), eq(sel, 0x9edb9baf)) {
                        failure := 1
                        at := i
                        break
                    }
                    if and(iszero(failure), and(limits, iszero(eq(target, account)))) {
                        let token := 0
                        for { let e := list } lt(e, end) { e := add(e, 52) } {
                            if eq(shr(96, calldataload(e)), target) { token := 1 }
                        }
                        // transfer 0xa9059cbb, approve 0x095ea7b3, increaseAllowance 0x39509351, transferFrom
                        // 0x23b872dd; NATIVE_ASSET (a periodic entry, no code) is never a token.
                        if iszero(
                            and(
                                and(token, iszero(eq(target, 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE))),
                                or(
                                    or(eq(sel, 0xa9059cbb), eq(sel, 0x095ea7b3)),
                                    or(eq(sel, 0x39509351), eq(sel, 0x23b872dd))
                                )
                            )
                        ) {
                            // Needs settlement: an error only if the op is not settled, and only if no later call is
                            // a misplaced settle call (checked first in call order).
                            failure := mul(3, iszero(settled))
                            at := i
                        }
                    }
                }
            }
        }
        if (failure == 1) revert SettlementCallMisplaced(at);
        if (failure == 2) revert SettlementArgumentsInvalid(at);
        if (failure == 3) revert SettlementRequired(sessionId, at);
    }

    /// @dev True when `c` is a call to this module's `settle`.
    function _isSettle(CallDecoder.Call memory c) private view returns (bool) {
        return c.target == address(this) && c.selector == SETTLE;
    }
}
