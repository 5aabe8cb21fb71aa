// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {NATIVE_ASSET, GRANT_ANY_TARGET, GRANT_ANY_SELECTOR} from "./SessionTypes.sol";
import {CallDecoder} from "./CallDecoder.sol";
import {SessionCalldata} from "./SessionCalldata.sol";
import {SessionPacking} from "./SessionPacking.sol";
import {SettlementChecks} from "./SettlementChecks.sol";
import {
    WrapperSelectorDenied,
    CallDenied,
    CallNotGranted,
    CallToInstalledModule,
    TokenCallNotExplicit,
    TokenCallMalformed,
    Permit2BatchDenied,
    NativeValueNotAllowed,
    TooManyAssetsCharged
} from "./SessionErrors.sol";

/// @title PermissionChecks
/// @notice Decides whether each call of an op is allowed by a session and sums what it spends
///         (rules 3 to 6). Pure reads of the session plus, for ANY-target grants, the account's
///         `isModuleInstalled` answers; it writes nothing (see SessionCharging).
/// @dev Note:
///      - Target 0 is judged as the account itself. OpenZeppelin's ERC7579Utils executes a call to
///        address(0) as a call to `address(this)`; MSA, Nexus, Safe7579 and Kernel call address(0) itself
///        (no code runs there: only its native value leaves, and value is charged whatever the target). So a
///        call to 0 is held to the stricter self-call rules on every account: it needs an `accountSelectors`
///        grant and is never matched by a `call` grant.
///      - Calls to the account are matched only by `accountSelectors`; `call` grants (exact or ANY
///        target) never match the account.
///      - Hard denials (unless `root`): the module itself; the canonical EntryPoints v0.6, v0.7, v0.8
///        and v0.9 (the module cannot learn which EntryPoint the account trusts, so it denies all four;
///        an account on another EntryPoint must not grant ANY-target calls); self-calls to
///        `execute`, `executeFromExecutor`, `executeUserOp`; a call matched only by an ANY-target
///        grant whose target the account reports installed as a module of any type it can report:
///        validator, executor, hook (1, 2, 4) and the ERC-7780 policy, signer and stateless validator
///        (5, 6, 7), asked once per target of the op; and fallback handler (3), which is installed per
///        selector, asked for every call with that call's own selector (an answer about one selector is
///        never reused for another). Contexts are encodings every known account decodes (see
///        `_isModuleInstalled`); a query that reverts denies the op (fail-closed). Safe7579's hooks are
///        asked in their global form: a hook installed for one account selector only cannot be named by a
///        query, so an account with such hooks must not grant ANY-target calls.
///      - `root` lifts call matching, the hard denials and rule 6's explicit-grant requirement, but
///        every amount is still charged (rules 5-7 apply to root exactly as to other sessions).
///        Root is not a spending boundary: a root session can reconfigure the account.
///      - A token is *limited* when it appears in `tokens` or as a periodic asset. On a limited
///        token the understood spending calls (transfer, approve, increaseAllowance, and
///        transferFrom from the account) must be exactly canonically encoded and are charged at
///        their full amount (approvals gross); any other call needs a grant naming the token and
///        the selector exactly. Permit2 `approve` and `transferFrom` (from the account) of a limited
///        token are charged to that token; a Permit2 batch transfer is denied when the session
///        limits any token.
///      - Sums over a batch saturate at 2^256-1 (SaturatingMath) instead of reverting with Panic(0x11):
///        every allowance is at most 2^128-1, so a saturated sum is rejected by SessionCharging with the
///        error naming the allowance (rules 8 and 10).
///      - The session is read in place at calldata position `s` (see SessionCalldata: only after its id
///        was proven).
library PermissionChecks {
    /// @dev Canonical EntryPoints.
    address internal constant ENTRY_POINT_V06 = 0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789;
    address internal constant ENTRY_POINT_V07 = 0x0000000071727De22E5E9d8BAf0edAc6f37da032;
    address internal constant ENTRY_POINT_V08 = 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108;
    address internal constant ENTRY_POINT_V09 = 0x433709009B8330FDa32311DF1C2AFA402eD8D009;
    /// @dev Uniswap's Permit2 (same address on every chain).
    address internal constant PERMIT2 = 0x000000000022D473030F116dDEE9F6B43aC78BA3;

    /// @dev Self-call wrappers.
    bytes4 internal constant EXECUTE = 0xe9ae5c53; // execute(bytes32,bytes)
    bytes4 internal constant EXECUTE_FROM_EXECUTOR = 0xd691c964; // executeFromExecutor(bytes32,bytes)
    bytes4 internal constant EXECUTE_USER_OP = 0x8dd7712f; // executeUserOp((...),bytes32)

    /// @dev ERC-20 spending selectors.
    bytes4 internal constant ERC20_TRANSFER = 0xa9059cbb; // transfer(address,uint256)
    bytes4 internal constant ERC20_APPROVE = 0x095ea7b3; // approve(address,uint256)
    bytes4 internal constant ERC20_INCREASE_ALLOWANCE = 0x39509351; // increaseAllowance(address,uint256)
    bytes4 internal constant ERC20_TRANSFER_FROM = 0x23b872dd; // transferFrom(address,address,uint256)

    /// @dev Permit2 selectors.
    bytes4 internal constant PERMIT2_APPROVE = 0x87517c45; // approve(address,address,uint160,uint48)
    bytes4 internal constant PERMIT2_TRANSFER_FROM = 0x36c78516; // transferFrom(address,address,uint160,address)
    bytes4 internal constant PERMIT2_TRANSFER_FROM_BATCH = 0x0d58b1db; // transferFrom((address,address,uint160,address)[])

    /// @dev ERC-7579 module types (1-4) and the ERC-7780 types (5-7) an account may report installed.
    uint256 internal constant MODULE_TYPE_VALIDATOR = 1;
    uint256 internal constant MODULE_TYPE_EXECUTOR = 2;
    uint256 internal constant MODULE_TYPE_FALLBACK = 3;
    uint256 internal constant MODULE_TYPE_HOOK = 4;
    uint256 internal constant MODULE_TYPE_POLICY = 5;
    uint256 internal constant MODULE_TYPE_SIGNER = 6;
    uint256 internal constant MODULE_TYPE_STATELESS_VALIDATOR = 7;

    /// @dev `isModuleInstalled` context lengths (see `_isModuleInstalled`).
    uint256 internal constant CONTEXT_NONE = 0;
    uint256 internal constant CONTEXT_SELECTOR = 32;
    uint256 internal constant CONTEXT_GLOBAL_HOOK = 64;

    /// @dev Most entries of `tokens` and `periodic` one op may charge (rule 15: each is a counter written during
    ///      validation, a fresh slot on its first use, so this bounds the verification gas of the largest op).
    uint256 internal constant MAX_CHARGED_ENTRIES = 6;

    /// @dev Index meaning "not in the list".
    uint256 internal constant NONE = type(uint256).max;

    /// @dev What an op spends, in a memory block of four words at `charges` (a raw pointer rather than a
    ///      struct: no zero-filled allocation on the validation path). Word 0: native value; word 1: pointer to
    ///      the `uint256[]` of sums per entry of `session.tokens`; word 2: pointer to the `uint256[]` of sums per
    ///      entry of `session.periodic`; word 3: the last target the account reported as no module of any
    ///      selector-free type (saves repeated queries in a batch; the fallback question is never cached);
    ///      word 4: the settlement flag (SETTLEMENT_TO_CHECK): SettlementChecks runs only for ops it can concern.
    uint256 internal constant CHARGES_TOKENS = 0x20;
    uint256 internal constant CHARGES_PERIODIC = 0x40;
    uint256 internal constant CHARGES_NOT_MODULE = 0x60;
    uint256 internal constant CHARGES_SETTLEMENT = 0x80;

    /// @dev Settlement flag (word 4 of `charges`): the op is settled (its first call is `settle`), calls the module,
    ///      or has a call that needs settlement (rule 16: in a session that limits a token, a call that is neither
    ///      to the account nor an understood spending call on a limited token); SettlementChecks must then run.
    ///      Without it SettlementChecks.check cannot fail (it fails only in these three cases), so the common op
    ///      skips it.
    uint256 internal constant SETTLEMENT_TO_CHECK = 1;

    /// @dev The native value an op spends (word 0 of `charges`).
    function nativeOf(uint256 charges) internal pure returns (uint256 native) {
        assembly ("memory-safe") {
            native := mload(charges)
        }
    }

    /// @dev The sums per entry of `session.tokens` (word 1 of `charges`).
    function tokensOf(uint256 charges) internal pure returns (uint256[] memory tokens) {
        assembly ("memory-safe") {
            tokens := mload(add(charges, CHARGES_TOKENS))
        }
    }

    /// @dev The sums per entry of `session.periodic` (word 2 of `charges`).
    function periodicOf(uint256 charges) internal pure returns (uint256[] memory periodic) {
        assembly ("memory-safe") {
            periodic := mload(add(charges, CHARGES_PERIODIC))
        }
    }

    /// @dev True when SettlementChecks must run for the op whose `charges` these are (see SETTLEMENT_TO_CHECK).
    function settlementToCheck(uint256 charges) internal pure returns (bool toCheck) {
        assembly ("memory-safe") {
            toCheck := and(mload(add(charges, CHARGES_SETTLEMENT)), SETTLEMENT_TO_CHECK)
        }
    }

    /// @dev A zeroed `charges` block for the session at `s` (see CHARGES_TOKENS): the four words, then its two
    ///      arrays sized from the proven session's `tokens` and `periodic` lists (at most 8 each), claimed at the
    ///      free memory pointer. Shared by `check` and TokenCallFastPath.
    function newCharges(uint256 s) internal pure returns (uint256 charges) {
        assembly ("memory-safe") {
            // Memory past the free pointer may be dirty: every word is written (calldatacopy from the end of
            // calldata writes zeros). Packed header word (bytes 32..63): bytes 22 and 23 the lengths of `tokens`
            // and `periodic` (SessionCalldata).
            let header := calldataload(add(s, 32))
            let tokenCount := byte(22, header)
            let periodicCount := byte(23, header)
            charges := mload(0x40)
            let tokens := add(charges, 0xa0)
            let periodic := add(tokens, shl(5, add(tokenCount, 1)))
            mstore(charges, 0)
            mstore(add(charges, 0x20), tokens)
            mstore(add(charges, 0x40), periodic)
            mstore(add(charges, 0x60), 0)
            mstore(add(charges, 0x80), 0)
            mstore(tokens, tokenCount)
            mstore(periodic, periodicCount)
            calldatacopy(add(tokens, 0x20), calldatasize(), shl(5, tokenCount))
            calldatacopy(add(periodic, 0x20), calldatasize(), shl(5, periodicCount))
            mstore(0x40, add(periodic, shl(5, add(periodicCount, 1))))
        }
    }

    /// @dev Checks every call of the op against the session at `s` and returns the summed amounts.
    function check(
        uint256 s,
        bytes32 sessionId,
        CallDecoder.Call[] memory calls,
        bool direct,
        address account
    ) internal view returns (uint256 charges) {
        charges = newCharges(s);
        bool root;
        assembly ("memory-safe") {
            // Packed header word (bytes 32..63): byte 20 flags, bit 0 root (SessionCalldata).
            root := and(byte(20, calldataload(add(s, 32))), 1)
        }
        if (direct) {
            bytes4 selector = calls[0].selector;
            if (selector == EXECUTE_FROM_EXECUTOR || selector == EXECUTE_USER_OP) {
                revert WrapperSelectorDenied(selector);
            }
            if (!root && !_hasSelector(s, selector)) {
                revert CallNotGranted(0, account, selector);
            }
            return charges;
        }
        // ----- settlement hook (rule 16): the first and last call of a settled op (both `settle`, 0x9edb9baf, to the
        // module) are SettlementChecks' to check; the decoder wrote clean words (target, then the selector at 0x40).
        uint256 i;
        uint256 end = calls.length;
        assembly ("memory-safe") {
            let first := mload(add(calls, 0x20))
            if and(eq(mload(first), address()), eq(shr(224, mload(add(first, 0x40))), 0x9edb9baf)) {
                i := 1
                end := sub(end, 1)
                let w := add(charges, 0x80)
                mstore(w, or(mload(w), 1))
            }
        }
        // ----- end settlement hook -----
        for (; i < end;) {
            _checkCall(s, root, sessionId, calls[i], i, account, charges);
            unchecked {
                ++i; // i < calls.length <= 8
            }
        }
        uint256 charged;
        assembly ("memory-safe") {
            // Entries of `tokens` and `periodic` the op charges: a non-zero sum, each a counter to write. Counted
            // only when the session has more entries than an op may charge (otherwise no op can exceed it).
            let tokens := mload(add(charges, CHARGES_TOKENS))
            let periodic := mload(add(charges, CHARGES_PERIODIC))
            if gt(add(mload(tokens), mload(periodic)), MAX_CHARGED_ENTRIES) {
                // The two arrays are adjacent (`check` laid them out): count over both in one pass, skipping
                // the periodic length word.
                for {
                    let p := add(tokens, 0x20)
                    let limit := add(periodic, shl(5, add(mload(periodic), 1)))
                } lt(p, limit) { p := add(p, 0x20) } {
                    if iszero(eq(p, periodic)) { charged := add(charged, iszero(iszero(mload(p)))) }
                }
            }
        }
        if (charged > MAX_CHARGED_ENTRIES) {
            revert TooManyAssetsCharged(sessionId, charged, MAX_CHARGED_ENTRIES);
        }
        // Rule 16, only for an op flagged above (for any other op its verdict cannot change).
        if (settlementToCheck(charges)) SettlementChecks.check(s, sessionId, calls, account);
    }

    /// @dev Checks one call of an `execute` and adds what it spends to `charges`: call matching and the hard
    ///      denials (`_matchCall`), the installed-module query of an ANY-target match, value and token charges
    ///      (`_chargeCall`), then Permit2. Failures revert in that order, each with its own error.
    function _checkCall(
        uint256 s,
        bool root,
        bytes32 sessionId,
        CallDecoder.Call memory call,
        uint256 index,
        address account,
        uint256 charges
    ) private view {
        (address target, uint256 failure, bool explicit, bool askModule) = _matchCall(s, root, call, account);
        if (failure != 0) {
            if (failure == 1) revert CallDenied(index, target, call.selector);
            revert CallNotGranted(index, target, call.selector);
        }
        if (askModule) {
            // Only answers that cannot depend on the call are reused: the selector-free types are asked once per
            // target (the last target cleared is remembered), the fallback type with every call's own selector.
            address notModule;
            assembly ("memory-safe") {
                notModule := mload(add(charges, CHARGES_NOT_MODULE))
            }
            if (target != notModule) {
                if (_isInstalledAnyType(account, target)) revert CallToInstalledModule(index, target);
                assembly ("memory-safe") {
                    mstore(add(charges, CHARGES_NOT_MODULE), target)
                }
            }
            if (_isFallbackFor(account, target, call.selector)) revert CallToInstalledModule(index, target);
        }
        failure = _chargeCall(s, call, target, explicit, account, charges);
        if (failure != 0) {
            if (failure == 1) revert NativeValueNotAllowed(sessionId, call.value);
            if (failure == 2) revert TokenCallNotExplicit(index, target, call.selector);
            revert TokenCallMalformed(index, target, call.selector);
        }
        if (target == PERMIT2 && target != account) _chargePermit2(s, call, index, account, charges);
    }

    /// @dev Whether `target` is denied to every non-root session whatever its grants: the module itself and the
    ///      canonical EntryPoints v0.9, v0.7, v0.8 and v0.6 (the constants above). Shared by `_matchCall` and
    ///      TokenCallFastPath.
    function isDeniedTarget(address target) internal view returns (bool denied) {
        assembly ("memory-safe") {
            denied := or(
                or(eq(target, address()), eq(target, 0x433709009B8330FDa32311DF1C2AFA402eD8D009)),
                or(
                    or(
                        eq(target, 0x0000000071727De22E5E9d8BAf0edAc6f37da032),
                        eq(target, 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108)
                    ),
                    eq(target, 0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789)
                )
            )
        }
    }

    /// @dev Matches a call against the session's grants (unless `root`) and applies the hard denials.
    ///      `explicit`: a grant names both the target and the selector (or root); `askModule`: only an
    ///      ANY-target grant matched, so the account must be asked whether the target is an installed module.
    ///      `failure`: 0 none, 1 a hard denial (CallDenied), 2 no grant matches (CallNotGranted).
    ///      One flat pass (no helper calls): the validation path's hottest code.
    function _matchCall(uint256 s, bool root, CallDecoder.Call memory c, address account)
        private
        view
        returns (address target, uint256 failure, bool explicit, bool askModule)
    {
        (uint256 grants, uint256 grantCount) = SessionCalldata.calls(s);
        assembly ("memory-safe") {
            // The decoder wrote clean words: target (160 bits; 0 is the account), selector (top 4 bytes).
            target := mload(c)
            if iszero(target) { target := account }
        }
        bool deniedTarget = isDeniedTarget(target);
        assembly ("memory-safe") {
            explicit := root
            if iszero(root) {
                let sel := shr(224, mload(add(c, 0x40)))
                let self := eq(target, account)
                // Hard denials: a denied target (`isDeniedTarget`); a self-call to EXECUTE 0xe9ae5c53,
                // EXECUTE_FROM_EXECUTOR 0xd691c964 or EXECUTE_USER_OP 0x8dd7712f.
                failure := or(
                    deniedTarget,
                    and(self, or(or(eq(sel, 0xe9ae5c53), eq(sel, 0xd691c964)), eq(sel, 0x8dd7712f)))
                )
                if iszero(failure) {
                    switch self
                    case 1 {
                        // accountSelectors: 4-byte entries after the calls (25 bytes each), tokens and periodic
                        // (52 each) and paymasters (20 each), lengths at header bytes 21..25; at most 8.
                        failure := 2
                        let h := calldataload(add(s, 32))
                        let p :=
                            add(
                                add(add(grants, mul(grantCount, 25)), mul(add(byte(22, h), byte(23, h)), 52)),
                                mul(byte(24, h), 20)
                            )
                        for { let end := add(p, shl(2, byte(25, h))) } lt(p, end) {
                            p := add(p, 4)
                        } {
                            if eq(shr(224, calldataload(p)), sel) {
                                failure := 0
                                break
                            }
                        }
                    }
                    default {
                        // Call grants: target (20) ‖ selector (4) ‖ flags (1), 25 bytes each (at most 16), read as
                        // one word. exact: a grant names the target and matches the selector; anyTarget: an
                        // ANY-target grant matches the selector; explicit: a grant names both.
                        let exact := 0
                        let anyTarget := 0
                        for {
                            let g := grants
                            let end := add(g, mul(grantCount, 25))
                        } lt(g, end) { g := add(g, 25) } {
                            let w := calldataload(g)
                            let flags := byte(24, w)
                            let anySelector := and(flags, 2) // GRANT_ANY_SELECTOR
                            if or(anySelector, eq(and(shr(64, w), 0xffffffff), sel)) {
                                switch and(flags, 1) // GRANT_ANY_TARGET
                                case 0 {
                                    if eq(shr(96, w), target) {
                                        exact := 1
                                        if iszero(anySelector) { explicit := 1 }
                                    }
                                }
                                default { anyTarget := 1 }
                            }
                        }
                        if iszero(exact) {
                            failure := iszero(anyTarget) // 1 -> 2 below
                            askModule := anyTarget
                        }
                        failure := shl(1, failure)
                    }
                }
            }
        }
    }

    /// @dev Rules 5 and 6 for one call: its native value (native allowance and the native periodic
    ///      allowance) and, unless the call is to the account, on a limited token the understood spending calls
    ///      (charged at their full amount) or the explicit grant any other call needs. `failure`: 0 none,
    ///      1 NativeValueNotAllowed, 2 TokenCallNotExplicit, 3 TokenCallMalformed. One flat pass (no helper
    ///      calls). Sums saturate at 2^256-1 (see SaturatingMath); every index written was found in the list
    ///      the sums array was sized from, so every write is inside it.
    function _chargeCall(
        uint256 s,
        CallDecoder.Call memory c,
        address target,
        bool explicit,
        address account,
        uint256 charges
    ) private view returns (uint256 failure) {
        assembly ("memory-safe") {
            // The packed session's `tokens` and `periodic` lists (SessionCalldata.tokens / .periodic): after the
            // 58-byte header and the calls (25 bytes each); lengths at header bytes 21, 22, 23.
            let h := calldataload(add(s, 32))
            let tokenList := add(add(s, 58), mul(byte(21, h), 25))
            let tokenCount := byte(22, h)
            let periodicList := add(tokenList, mul(tokenCount, 52))
            let periodicCount := byte(23, h)
            let value := mload(add(c, 0x20))
            if value {
                switch and(byte(20, h), 2) // FLAG_NATIVE: a native allowance is granted
                case 0 { failure := 1 }
                default {
                    let nativeSum := add(mload(charges), value)
                    if lt(nativeSum, value) { nativeSum := not(0) }
                    mstore(charges, nativeSum)
                    // The native periodic allowance (asset NATIVE_ASSET, SessionTypes), if any; entries are
                    // asset (20) ‖ amount (32).
                    for { let i := 0 } lt(i, periodicCount) { i := add(i, 1) } {
                        if eq(
                            shr(96, calldataload(add(periodicList, mul(i, 52)))),
                            0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE
                        ) {
                            let slot := add(add(mload(add(charges, 0x40)), 0x20), shl(5, i))
                            let nativePeriodicSum := add(mload(slot), value)
                            if lt(nativePeriodicSum, value) { nativePeriodicSum := not(0) }
                            mstore(slot, nativePeriodicSum)
                            break
                        }
                    }
                }
            }
            if and(iszero(failure), iszero(eq(target, account))) {
                // Indices of the target in `tokens` and in `periodic` (asset (20) ‖ amount (32) entries; at most 8
                // each), not(0) when absent.
                let t := not(0)
                for { let i := 0 } lt(i, tokenCount) { i := add(i, 1) } {
                    if eq(shr(96, calldataload(add(tokenList, mul(i, 52)))), target) {
                        t := i
                        break
                    }
                }
                let p := not(0)
                for { let i := 0 } lt(i, periodicCount) { i := add(i, 1) } {
                    if eq(shr(96, calldataload(add(periodicList, mul(i, 52)))), target) {
                        p := i
                        break
                    }
                }
                // Rule 16: in a session that limits a token (`tokens` not empty, or a periodic asset other than
                // NATIVE_ASSET), a call that is not one of the four spending selectors on a limited token other
                // than NATIVE_ASSET needs settlement (the target may pull through an allowance the account gave
                // earlier): SETTLEMENT_TO_CHECK is set, and SettlementChecks gives the verdict. Marked in the
                // branches below that such calls take, so a plain transfer pays nothing for it; whether the
                // session limits a token is looked at only then.
                function markNeedsSettlement(tokens, periodics, list, flags) {
                    let limits := iszero(iszero(tokens))
                    for { let i := 0 } and(iszero(limits), lt(i, periodics)) { i := add(i, 1) } {
                        limits := iszero(
                            eq(
                                shr(96, calldataload(add(list, mul(i, 52)))),
                                0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE
                            )
                        )
                    }
                    if limits { mstore(flags, or(mload(flags), 1))} // SETTLEMENT_TO_CHECK
                }
                switch and(eq(t, not(0)), eq(p, not(0)))
                case 1 {
                    // A call to the module (only a root session gets here with one: a hard denial otherwise) is
                    // flagged whatever the session limits: SettlementChecks decides whether it is a well-placed
                    // `settle`.
                    markNeedsSettlement(
                        or(tokenCount, eq(target, address())),
                        periodicCount,
                        periodicList,
                        add(charges, 0x80)
                    )
                }
                default {
                    // A limited token. Understood spending calls: transfer, approve, increaseAllowance (exactly
                    // `(address, uint256)`) and transferFrom (exactly `(address, address, uint256)`, understood only
                    // when it moves the account's tokens); `malformed` for an understood selector with any other
                    // encoding. The decoder checked that the call's `size` data bytes lie in calldata; a shorter
                    // call reads zeros past them and is rejected by its size.
                    // NATIVE_ASSET as a call target (a periodic entry; no code there) is never a token.
                    if eq(target, 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE) {
                        markNeedsSettlement(tokenCount, periodicCount, periodicList, add(charges, 0x80))
                    }
                    let sel := shr(224, mload(add(c, 0x40)))
                    let data := mload(add(c, 0x60))
                    let size := mload(add(c, 0x80))
                    let understood := 0
                    let amount := 0
                    // ERC20_TRANSFER 0xa9059cbb, ERC20_APPROVE 0x095ea7b3, ERC20_INCREASE_ALLOWANCE 0x39509351
                    switch or(or(eq(sel, 0xa9059cbb), eq(sel, 0x095ea7b3)), eq(sel, 0x39509351))
                    case 1 {
                        if or(iszero(eq(size, 68)), shr(160, calldataload(add(data, 4)))) {
                            failure := 3
                        }
                        understood := 1
                        amount := calldataload(add(data, 36))
                    }
                    default {
                        // ERC20_TRANSFER_FROM 0x23b872dd
                        switch eq(sel, 0x23b872dd)
                        case 0 {
                            markNeedsSettlement(tokenCount, periodicCount, periodicList, add(charges, 0x80))
                        }
                        default {
                            let owner := calldataload(add(data, 4))
                            if or(
                                iszero(eq(size, 100)),
                                or(shr(160, owner), shr(160, calldataload(add(data, 36))))
                            ) {
                                failure := 3
                            }
                            understood := eq(owner, account)
                            amount := calldataload(add(data, 68))
                        }
                    }
                    if iszero(failure) {
                        switch understood
                        case 0 { if iszero(explicit) { failure := 2 } }
                        default {
                            if iszero(eq(t, not(0))) {
                                let slot := add(add(mload(add(charges, 0x20)), 0x20), shl(5, t))
                                let tokenSum := add(mload(slot), amount)
                                if lt(tokenSum, amount) { tokenSum := not(0) }
                                mstore(slot, tokenSum)
                            }
                            if iszero(eq(p, not(0))) {
                                let slot := add(add(mload(add(charges, 0x40)), 0x20), shl(5, p))
                                let periodicSum := add(mload(slot), amount)
                                if lt(periodicSum, amount) { periodicSum := not(0) }
                                mstore(slot, periodicSum)
                            }
                        }
                    }
                }
            }
        }
    }

    /// @dev Adds `amount` to `charges.tokens[t]` (unless t is NONE) and to `charges.periodic[p]` (unless p is
    ///      NONE), each sum saturating at 2^256-1 (see SaturatingMath).
    function _addCharges(uint256 charges, uint256 t, uint256 p, uint256 amount) private pure {
        uint256[] memory tokens = tokensOf(charges);
        uint256[] memory periodic = periodicOf(charges);
        assembly ("memory-safe") {
            // `t` / `p` are indices found in the session's `tokens` / `periodic` lists, from whose lengths the
            // two arrays were sized (PermissionChecks.check): each slot written is inside its array.
            if iszero(eq(t, not(0))) {
                // t != NONE (type(uint256).max)
                let tokenSlot := add(add(tokens, 0x20), shl(5, t))
                let tokenSum := add(mload(tokenSlot), amount)
                if lt(tokenSum, amount) { tokenSum := not(0) }
                mstore(tokenSlot, tokenSum)
            }
            if iszero(eq(p, not(0))) {
                // p != NONE
                let periodicSlot := add(add(periodic, 0x20), shl(5, p))
                let periodicSum := add(mload(periodicSlot), amount)
                if lt(periodicSum, amount) { periodicSum := not(0) }
                mstore(periodicSlot, periodicSum)
            }
        }
    }

    /// @dev Permit2 approvals and transfers from the account of a limited token are charged to it.
    function _chargePermit2(
        uint256 s,
        CallDecoder.Call memory call,
        uint256 index,
        address account,
        uint256 charges
    ) private pure {
        bytes4 selector = call.selector;
        address token;
        uint256 amount;
        if (selector == PERMIT2_APPROVE || selector == PERMIT2_TRANSFER_FROM) {
            if (call.dataLength != 4 + 128) revert TokenCallMalformed(index, PERMIT2, selector);
            uint256 a0 = _arg(call, 0);
            uint256 a1 = _arg(call, 1);
            uint256 a2 = _arg(call, 2);
            uint256 a3 = _arg(call, 3);
            if (a0 >> 160 != 0 || a1 >> 160 != 0 || a2 >> 160 != 0) {
                revert TokenCallMalformed(index, PERMIT2, selector);
            }
            if (selector == PERMIT2_APPROVE) {
                if (a3 >> 48 != 0) revert TokenCallMalformed(index, PERMIT2, selector);
                // forge-lint: disable-next-line(unsafe-typecast) -- a0 >> 160 == 0 was checked above
                token = address(uint160(a0));
            } else {
                if (a3 >> 160 != 0) revert TokenCallMalformed(index, PERMIT2, selector);
                // forge-lint: disable-next-line(unsafe-typecast) -- a0 >> 160 == 0 was checked above
                if (address(uint160(a0)) != account) return;
                // forge-lint: disable-next-line(unsafe-typecast) -- a3 >> 160 == 0 was checked just above
                token = address(uint160(a3));
            }
            amount = a2;
        } else if (selector == PERMIT2_TRANSFER_FROM_BATCH) {
            if (_limitsAnyToken(s)) revert Permit2BatchDenied(index);
            return;
        } else {
            return;
        }
        (uint256 t, uint256 p) = _assetIndices(s, token);
        _addCharges(charges, t, p, amount);
    }

    /// @dev True when the account reports `target` installed as a module of a type whose question does not name
    ///      a selector: validator (1), executor (2), hook (4, asked in Safe7579's form for its global hook), and the
    ///      ERC-7780 policy (5), signer (6) and stateless validator (7). The answers cannot depend on the call, so
    ///      one clearance of a target serves every call of the op to it.
    function _isInstalledAnyType(address account, address target) private view returns (bool installed) {
        installed = _isModuleInstalled(account, MODULE_TYPE_VALIDATOR, target, CONTEXT_NONE, 0)
            || _isModuleInstalled(account, MODULE_TYPE_EXECUTOR, target, CONTEXT_NONE, 0)
            || _isModuleInstalled(account, MODULE_TYPE_HOOK, target, CONTEXT_GLOBAL_HOOK, 0)
            || _isModuleInstalled(account, MODULE_TYPE_POLICY, target, CONTEXT_NONE, 0)
            || _isModuleInstalled(account, MODULE_TYPE_SIGNER, target, CONTEXT_NONE, 0)
            || _isModuleInstalled(account, MODULE_TYPE_STATELESS_VALIDATOR, target, CONTEXT_NONE, 0);
    }

    /// @dev True when the account reports `target` as the fallback handler (type 3) of `selector`: the handler a
    ///      call with that selector reaches. The answer depends on the selector, so it is asked for every call.
    function _isFallbackFor(address account, address target, bytes4 selector) private view returns (bool) {
        return _isModuleInstalled(
            account, MODULE_TYPE_FALLBACK, target, CONTEXT_SELECTOR, uint256(bytes32(selector))
        );
    }

    /// @dev `account.isModuleInstalled(typeId, target, context)`, where `context` is empty (CONTEXT_NONE), the
    ///      32-byte `abi.encode(bytes4 selector)` (CONTEXT_SELECTOR, `word` = the selector left-aligned) or the
    ///      64-byte `abi.encode(uint8 0, bytes4 0)` of a global hook (CONTEXT_GLOBAL_HOOK): encodings every
    ///      account in docs decodes (OpenZeppelin and Nexus read the first 4 bytes, MSA and Safe7579
    ///      `abi.decode` them). Fail-closed: a revert of the query is bubbled up (the op is denied), and an
    ///      answer that is not an ABI `bool` reverts without data. The call asks for all gas (`not(0)`, capped by
    ///      the EVM at all but 1/64 of what is left, EIP-150) so that no `GAS` opcode stands apart from it
    ///      (ERC-7562 OP-012).
    function _isModuleInstalled(
        address account,
        uint256 typeId,
        address target,
        uint256 contextLength,
        uint256 word
    ) private view returns (bool installed) {
        assembly ("memory-safe") {
            // isModuleInstalled(uint256,address,bytes) 0x112d3a7d, encoded at the free pointer (not claimed).
            let m := mload(0x40)
            mstore(m, shl(224, 0x112d3a7d))
            mstore(add(m, 0x04), typeId)
            mstore(add(m, 0x24), and(target, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(m, 0x44), 0x60)
            mstore(add(m, 0x64), contextLength)
            mstore(add(m, 0x84), word)
            mstore(add(m, 0xa4), 0)
            if iszero(staticcall(not(0), account, m, add(0x84, contextLength), 0x00, 0x20)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            installed := mload(0x00)
            if or(lt(returndatasize(), 0x20), gt(installed, 1)) { revert(0, 0) }
        }
    }

    /// @dev True when `selector` is in the session's `accountSelectors`.
    function _hasSelector(uint256 s, bytes4 selector) private pure returns (bool) {
        (uint256 start, uint256 length) = SessionCalldata.accountSelectors(s);
        bool found;
        assembly ("memory-safe") {
            // 4-byte entries; the proven packed session holds all `length` (<= 8) of them.
            let sel := shr(224, selector)
            for { let p := start } lt(p, add(start, shl(2, length))) { p := add(p, 4) } {
                if eq(shr(224, calldataload(p)), sel) {
                    found := 1
                    break
                }
            }
        }
        return found;
    }

    /// @dev Index of `asset` in the session's `tokens` and in its `periodic`, each NONE when absent.
    function _assetIndices(uint256 s, address asset) private pure returns (uint256 t, uint256 p) {
        (uint256 tokenList, uint256 tokenCount) = SessionCalldata.tokens(s);
        (uint256 periodicList, uint256 periodicCount) = SessionCalldata.periodic(s);
        return (_assetIndex(tokenList, tokenCount, asset), _assetIndex(periodicList, periodicCount, asset));
    }

    /// @dev Index of `asset` in the (asset, amount) list of `length` entries at `start`, or NONE.
    function _assetIndex(uint256 start, uint256 length, address asset) private pure returns (uint256) {
        uint256 index = NONE;
        assembly ("memory-safe") {
            // asset (20) ‖ amount (32) entries; the proven packed session holds all `length` (<= 8) of them.
            let a := and(asset, 0xffffffffffffffffffffffffffffffffffffffff)
            for { let i := 0 } lt(i, length) { i := add(i, 1) } {
                if eq(shr(96, calldataload(add(start, mul(i, 52)))), a) {
                    index := i
                    break
                }
            }
        }
        return index;
    }

    /// @dev True when the session limits at least one ERC-20 token.
    function _limitsAnyToken(uint256 s) private pure returns (bool) {
        (, uint256 tokenCount) = SessionCalldata.tokens(s);
        if (tokenCount != 0) return true;
        (uint256 start, uint256 length) = SessionCalldata.periodic(s);
        for (uint256 i; i < length; ++i) {
            if (SessionCalldata.addressAt(start + SessionPacking.ASSET_SIZE * i) != NATIVE_ASSET) {
                return true;
            }
        }
        return false;
    }

    /// @dev The `n`-th ABI word after the selector of a call's data.
    function _arg(CallDecoder.Call memory call, uint256 n) private pure returns (uint256 w) {
        uint256 data = call.dataOffset;
        assembly ("memory-safe") {
            // `data` is a calldata position and n < 4: no overflow.
            w := calldataload(add(add(data, 4), shl(5, n)))
        }
    }
}
