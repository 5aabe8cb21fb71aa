// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PermissionChecks} from "./PermissionChecks.sol";

/// @title TokenCallFastPath
/// @notice Rules 3 to 6 for the most common session op, one ERC-20 `transfer`, `approve` or `increaseAllowance` of a
///         token the session limits, decided in one pass over calldata instead of decoding the op into memory and
///         running the general checks (CallDecoder, PermissionChecks).
/// @dev Note (security assumptions):
///      - It never denies: for anything outside its shape it returns 0 ("not taken") and the general path decides.
///        So it can only accept ops the general path accepts, and only with the charges the general path sums.
///      - Its shape is exactly one where each check of the general path reduces to one made here:
///        `userOp.callData` is byte-exact `execute(0x00…00, abi.encodePacked(target, 0, data))` (call type single,
///        exec type default, every mode byte zero, offset 0x40, length 120, zero padding: CallDecoder's canonical
///        single execution); value 0 (no native charge); `data` is exactly 68 bytes of an understood spending
///        selector with a clean address word (PermissionChecks `_chargeCall`: understood, not malformed); the
///        target is not 0, not the account (self-call rules), not a hard-denied target (the same
///        `PermissionChecks.isDeniedTarget`), not Permit2 and not NATIVE_ASSET; the session is not root, has no
///        periodic allowance and lists the target in `tokens` (its first entry for it is charged, as
///        `_chargeCall` finds it); a call grant names the target (not ANY-target) and the selector or ANY-selector
///        (an exact match: no installed-module question, which only an ANY-target match asks). The general path
///        then has nothing else to check for the op: no settlement (an understood call on a limited token), one
///        charged entry (below MAX_CHARGED_ENTRIES).
///      - What follows is shared with the general path: the fee and paymaster rules (SessionCharging.bill), every
///        counter and the use event (SessionCharging.charge), from the same `charges` block (PermissionChecks
///        `newCharges`).
///      - Equivalence is tested, not only argued: tests/session/TokenCallFastPath.t.sol runs both paths on the same
///        inputs (the shape and every way out of it) and requires equal charges whenever this one is taken; the
///        property suite (crates/audit) runs every op through the module, and its planted-bug check has mutants of
///        this path.
///      - The session at calldata position `s` was proven (SessionCalldata); `data` is `userOp.callData`.
library TokenCallFastPath {
    /// @dev Length of the only `userOp.callData` this path takes (see `charges`); the caller tests it first, so
    ///      that every other op pays one comparison for this path.
    uint256 internal constant CALL_DATA_LENGTH = 228;

    /// @dev The `charges` of the op (PermissionChecks layout) when it has this path's shape, else 0. `data` is the
    ///      calldata position of `userOp.callData`, whose length is CALL_DATA_LENGTH (checked by the caller).
    function charges(uint256 s, uint256 data, address account) internal view returns (uint256 result) {
        address target;
        uint256 tokenIndex;
        uint256 amount;
        bool taken;
        assembly ("memory-safe") {
            // callData: execute 0xe9ae5c53 ‖ mode (32) ‖ offset 0x40 (32) ‖ length 120 (32) ‖ target (20) ‖ value (32)
            // ‖ selector (4) ‖ address word (32) ‖ amount (32) ‖ 8 zero bytes of padding: 228 bytes.
            if eq(shr(224, calldataload(data)), 0xe9ae5c53) {
                let sel := shr(224, calldataload(add(data, 152)))
                taken := and(
                    and(
                        and(iszero(calldataload(add(data, 4))), eq(calldataload(add(data, 36)), 0x40)),
                        and(
                            eq(calldataload(add(data, 68)), 120),
                            iszero(shl(192, calldataload(add(data, 196))))
                        )
                    ),
                    and(
                        iszero(calldataload(add(data, 120))), // value
                        and(
                            // ERC20_TRANSFER 0xa9059cbb, ERC20_APPROVE 0x095ea7b3, ERC20_INCREASE_ALLOWANCE 0x39509351
                            or(or(eq(sel, 0xa9059cbb), eq(sel, 0x095ea7b3)), eq(sel, 0x39509351)),
                            iszero(shr(160, calldataload(add(data, 156))))
                        )
                    )
                )
                target := shr(96, calldataload(add(data, 100)))
                amount := calldataload(add(data, 188))
                // Session: not root (flags byte 20, bit 0), no periodic allowance (byte 23); PERMIT2 and NATIVE_ASSET
                // are never taken, nor the account or 0 (the account itself).
                let h := calldataload(add(s, 32))
                taken := and(
                    taken,
                    and(
                        and(iszero(and(byte(20, h), 1)), iszero(byte(23, h))),
                        and(
                            and(iszero(iszero(target)), iszero(eq(target, account))),
                            and(
                                iszero(eq(target, 0x000000000022D473030F116dDEE9F6B43aC78BA3)),
                                iszero(eq(target, 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE))
                            )
                        )
                    )
                )
                if taken {
                    // A call grant naming the target (flags bit 0, ANY_TARGET, clear) whose selector is `sel` or
                    // ANY (flags bit 1): target (20) ‖ selector (4) ‖ flags (1) from byte 58, count at byte 21.
                    let granted := 0
                    let grants := add(s, 58)
                    for { let g := grants } lt(g, add(grants, mul(byte(21, h), 25))) { g := add(g, 25) } {
                        let w := calldataload(g)
                        let flags := byte(24, w)
                        if and(
                            and(iszero(and(flags, 1)), eq(shr(96, w), target)),
                            or(iszero(iszero(and(flags, 2))), eq(and(shr(64, w), 0xffffffff), sel))
                        ) {
                            granted := 1
                            break
                        }
                    }
                    // The target's first entry in `tokens` (token (20) ‖ amount (32), after the calls).
                    tokenIndex := not(0)
                    let tokens := add(grants, mul(byte(21, h), 25))
                    for { let i := 0 } lt(i, byte(22, h)) { i := add(i, 1) } {
                        if eq(shr(96, calldataload(add(tokens, mul(i, 52)))), target) {
                            tokenIndex := i
                            break
                        }
                    }
                    taken := and(granted, iszero(eq(tokenIndex, not(0))))
                }
            }
        }
        if (!taken || PermissionChecks.isDeniedTarget(target)) return 0;
        result = PermissionChecks.newCharges(s);
        assembly ("memory-safe") {
            // charges.tokens[tokenIndex] = amount (the block was zeroed; tokenIndex < tokens.length).
            mstore(add(add(mload(add(result, 0x20)), 0x20), shl(5, tokenIndex)), amount)
        }
    }
}
