// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {
    IERC7579ModuleConfig,
    MODULE_TYPE_VALIDATOR,
    MODULE_TYPE_EXECUTOR,
    MODULE_TYPE_FALLBACK,
    MODULE_TYPE_HOOK
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {NATIVE_ASSET, GRANT_ANY_TARGET, GRANT_ANY_SELECTOR} from "./SessionTypes.sol";
import {CallDecoder} from "./CallDecoder.sol";
import {SessionCalldata} from "./SessionCalldata.sol";
import {SaturatingMath} from "./SaturatingMath.sol";
import {
    WrapperSelectorDenied,
    CallDenied,
    CallNotGranted,
    CallToInstalledModule,
    TokenCallNotExplicit,
    TokenCallMalformed,
    Permit2BatchDenied,
    NativeValueNotAllowed
} from "./SessionErrors.sol";

/// @title PermissionChecks
/// @notice Decides whether each call of an op is allowed by a session and sums what it spends
///         (rules 3 to 6). Pure reads of the session plus, for ANY-target grants, the account's
///         `isModuleInstalled` answers; it writes nothing (see SessionCharging).
/// @dev Note:
///      - Target 0 is the account itself (OpenZeppelin's ERC7579Utils executes a call to address(0)
///        as a call to `address(this)`; other ERC-7579 accounts do the same).
///      - Calls to the account are matched only by `accountSelectors`; `call` grants (exact or ANY
///        target) never match the account.
///      - Hard denials (unless `root`): the module itself; the canonical EntryPoints v0.6, v0.7 and
///        v0.8 (the module cannot learn which EntryPoint the account trusts, so it denies all three;
///        an account on another EntryPoint must not grant ANY-target calls); self-calls to
///        `execute`, `executeFromExecutor`, `executeUserOp`; a call matched only by an ANY-target
///        grant whose target the account reports as an installed validator, executor or hook. A
///        fallback handler (type 3) is installed per selector; the module asks with the call's own
///        selector as context, which catches exactly the handler that selector would reach.
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

    /// @dev Index meaning "not in the list".
    uint256 internal constant NONE = type(uint256).max;

    /// @dev What an op spends: native value, and per entry of `session.tokens` / `session.periodic`.
    struct Charges {
        uint256 native;
        uint256[] tokens;
        uint256[] periodic;
        /// Last target the account reported as not an installed module (saves repeated queries in a batch).
        address notModule;
    }

    /// @dev Checks every call of the op against the session at `s` and returns the summed amounts.
    function check(
        uint256 s,
        bytes32 sessionId,
        CallDecoder.Call[] memory calls,
        bool direct,
        address account
    ) internal view returns (Charges memory charges) {
        (, uint256 tokenCount) = SessionCalldata.list(s, SessionCalldata.TOKENS);
        (, uint256 periodicCount) = SessionCalldata.list(s, SessionCalldata.PERIODIC);
        charges.tokens = new uint256[](tokenCount);
        charges.periodic = new uint256[](periodicCount);
        bool root = SessionCalldata.word(s, SessionCalldata.ROOT) != 0;
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
        for (uint256 i; i < calls.length;) {
            _checkCall(s, root, sessionId, calls[i], i, account, charges);
            unchecked {
                ++i; // i < calls.length <= 8
            }
        }
    }

    /// @dev Checks one call of an `execute` and adds what it spends to `charges`.
    function _checkCall(
        uint256 s,
        bool root,
        bytes32 sessionId,
        CallDecoder.Call memory call,
        uint256 index,
        address account,
        Charges memory charges
    ) private view {
        address target = call.target == address(0) ? account : call.target;
        bool self = target == account;
        bool explicit = root;
        if (!root) {
            bytes4 selector = call.selector;
            if (_isDenied(target, self, selector)) revert CallDenied(index, target, selector);
            if (self) {
                if (!_hasSelector(s, selector)) {
                    revert CallNotGranted(index, target, selector);
                }
            } else {
                (bool exact, bool anyTarget, bool named) = _matchGrants(s, target, selector);
                if (!exact) {
                    if (!anyTarget) revert CallNotGranted(index, target, selector);
                    if (target != charges.notModule) {
                        if (_isInstalledModule(account, target, selector)) {
                            revert CallToInstalledModule(index, target);
                        }
                        charges.notModule = target;
                    }
                }
                explicit = named;
            }
        }
        uint256 value = call.value;
        if (value != 0) {
            if (SessionCalldata.word(s, SessionCalldata.NATIVE_ALLOWANCE) == 0) {
                revert NativeValueNotAllowed(sessionId, value);
            }
            charges.native = SaturatingMath.add(charges.native, value);
            uint256 p = _periodicIndex(s, NATIVE_ASSET);
            if (p != NONE) charges.periodic[p] = SaturatingMath.add(charges.periodic[p], value);
        }
        if (self) return;
        _chargeToken(s, call, index, target, account, explicit, charges);
        if (target == PERMIT2) _chargePermit2(s, call, index, account, charges);
    }

    /// @dev Rule 6 on a limited token: understood spending calls are charged, others need a named grant.
    function _chargeToken(
        uint256 s,
        CallDecoder.Call memory call,
        uint256 index,
        address token,
        address account,
        bool explicit,
        Charges memory charges
    ) private pure {
        (uint256 t, uint256 p) = _assetIndices(s, token);
        if (t == NONE && p == NONE) return;
        (bool understood, uint256 amount) = _erc20Spending(call, index, token, account);
        if (!understood) {
            if (!explicit) revert TokenCallNotExplicit(index, token, call.selector);
            return;
        }
        _addCharges(charges, t, p, amount);
    }

    /// @dev Adds `amount` to `charges.tokens[t]` (unless t is NONE) and to `charges.periodic[p]` (unless p is
    ///      NONE), each sum saturating at 2^256-1 (see SaturatingMath).
    function _addCharges(Charges memory charges, uint256 t, uint256 p, uint256 amount) private pure {
        uint256[] memory tokens = charges.tokens;
        uint256[] memory periodic = charges.periodic;
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
        Charges memory charges
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

    /// @dev Decodes an ERC-20 spending call; `understood` is false for any other call.
    function _erc20Spending(CallDecoder.Call memory call, uint256 index, address token, address account)
        private
        pure
        returns (bool understood, uint256 amount)
    {
        bytes4 selector = call.selector;
        if (selector == ERC20_TRANSFER || selector == ERC20_APPROVE || selector == ERC20_INCREASE_ALLOWANCE) {
            if (call.dataLength != 4 + 64 || _arg(call, 0) >> 160 != 0) {
                revert TokenCallMalformed(index, token, selector);
            }
            return (true, _arg(call, 1));
        }
        if (selector == ERC20_TRANSFER_FROM) {
            if (call.dataLength != 4 + 96 || _arg(call, 0) >> 160 != 0 || _arg(call, 1) >> 160 != 0) {
                revert TokenCallMalformed(index, token, selector);
            }
            if (address(uint160(_arg(call, 0))) != account) return (false, 0);
            return (true, _arg(call, 2));
        }
        return (false, 0);
    }

    /// @dev Scans the call grants: `exact` = a grant names this target and matches the selector,
    ///      `anyTarget` = an ANY-target grant matches the selector, `named` = a grant names both.
    function _matchGrants(uint256 s, address target, bytes4 selector)
        private
        pure
        returns (bool exact, bool anyTarget, bool named)
    {
        (uint256 start, uint256 length) = SessionCalldata.list(s, SessionCalldata.CALLS);
        assembly ("memory-safe") {
            // CallGrant elements: target, selector (left-aligned), flags, 3 words each. The session is the
            // proven canonical encoding (SessionCalldata), so all `length` (<= 16) elements lie inside it:
            // every read is in bounds and no position overflows. Words are masked exactly as the Solidity
            // conversions `address(uint160(w))` / `bytes4(bytes32(w))` would (and the arguments cleaned).
            let sel := shr(224, selector)
            let tgt := and(target, 0xffffffffffffffffffffffffffffffffffffffff)
            for { let g := start } lt(g, add(start, mul(length, 96))) { g := add(g, 96) } {
                let flags := calldataload(add(g, 64))
                let anySelector := and(flags, GRANT_ANY_SELECTOR)
                if or(anySelector, eq(shr(224, calldataload(add(g, 32))), sel)) {
                    switch and(flags, GRANT_ANY_TARGET)
                    case 0 {
                        if eq(and(calldataload(g), 0xffffffffffffffffffffffffffffffffffffffff), tgt) {
                            exact := 1
                            if iszero(anySelector) { named := 1 }
                        }
                    }
                    default { anyTarget := 1 }
                }
            }
        }
    }

    /// @dev True when the account reports `target` as an installed validator, executor, hook, or as the
    ///      fallback handler of `selector`.
    function _isInstalledModule(address account, address target, bytes4 selector)
        private
        view
        returns (bool)
    {
        IERC7579ModuleConfig config = IERC7579ModuleConfig(account);
        return config.isModuleInstalled(MODULE_TYPE_VALIDATOR, target, "")
            || config.isModuleInstalled(MODULE_TYPE_EXECUTOR, target, "")
            || config.isModuleInstalled(MODULE_TYPE_HOOK, target, "")
            || config.isModuleInstalled(MODULE_TYPE_FALLBACK, target, abi.encodePacked(selector));
    }

    /// @dev Hard denial of a non-root call: the module itself, a canonical EntryPoint, or a self-call to a
    ///      wrapper (`execute`, `executeFromExecutor`, `executeUserOp`).
    function _isDenied(address target, bool self, bytes4 selector) private view returns (bool denied) {
        address v06 = ENTRY_POINT_V06;
        address v07 = ENTRY_POINT_V07;
        address v08 = ENTRY_POINT_V08;
        assembly ("memory-safe") {
            let t := and(target, 0xffffffffffffffffffffffffffffffffffffffff)
            let sel := shr(224, selector)
            let entryPoint := or(or(eq(t, v07), eq(t, v08)), eq(t, v06))
            // EXECUTE 0xe9ae5c53, EXECUTE_FROM_EXECUTOR 0xd691c964, EXECUTE_USER_OP 0x8dd7712f (constants above).
            let wrapper := or(or(eq(sel, 0xe9ae5c53), eq(sel, 0xd691c964)), eq(sel, 0x8dd7712f))
            denied := or(or(eq(t, address()), entryPoint), and(iszero(iszero(self)), wrapper))
        }
    }

    /// @dev True when `selector` is in the session's `accountSelectors`.
    function _hasSelector(uint256 s, bytes4 selector) private pure returns (bool) {
        (uint256 start, uint256 length) = SessionCalldata.list(s, SessionCalldata.ACCOUNT_SELECTORS);
        bool found;
        assembly ("memory-safe") {
            // bytes4 elements, one left-aligned clean word each; the proven canonical session holds all
            // `length` (<= 8) of them: every read is in bounds. Compared on the top 4 bytes, as
            // `bytes4(bytes32(w))` does.
            let sel := shr(224, selector)
            for { let p := start } lt(p, add(start, shl(5, length))) { p := add(p, 32) } {
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
        return
            (_assetIndex(s, SessionCalldata.TOKENS, asset), _assetIndex(s, SessionCalldata.PERIODIC, asset));
    }

    /// @dev Index of `asset` in the session's `periodic`, or NONE.
    function _periodicIndex(uint256 s, address asset) private pure returns (uint256) {
        return _assetIndex(s, SessionCalldata.PERIODIC, asset);
    }

    /// @dev Index of `asset` in the (asset, amount) list `field`, or NONE.
    function _assetIndex(uint256 s, uint256 field, address asset) private pure returns (uint256) {
        (uint256 start, uint256 length) = SessionCalldata.list(s, field);
        uint256 index = NONE;
        assembly ("memory-safe") {
            // (asset, amount) elements, 2 words each, asset a clean address word; the proven canonical
            // session holds all `length` (<= 8) of them: every read is in bounds. Compared on the low
            // 160 bits, as `address(uint160(w))` does.
            let a := and(asset, 0xffffffffffffffffffffffffffffffffffffffff)
            for { let i := 0 } lt(i, length) { i := add(i, 1) } {
                if eq(
                    and(calldataload(add(start, shl(6, i))), 0xffffffffffffffffffffffffffffffffffffffff),
                    a
                ) {
                    index := i
                    break
                }
            }
        }
        return index;
    }

    /// @dev True when the session limits at least one ERC-20 token.
    function _limitsAnyToken(uint256 s) private pure returns (bool) {
        (, uint256 tokenCount) = SessionCalldata.list(s, SessionCalldata.TOKENS);
        if (tokenCount != 0) return true;
        (uint256 start, uint256 length) = SessionCalldata.list(s, SessionCalldata.PERIODIC);
        for (uint256 i; i < length; ++i) {
            if (address(uint160(SessionCalldata.load(start + 64 * i))) != NATIVE_ASSET) return true;
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
