// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {PermissionChecks} from "./PermissionChecks.sol";
import {SessionCalldata} from "./SessionCalldata.sol";
import {SaturatingMath} from "./SaturatingMath.sol";
import {
    UsesExhausted,
    TokenAllowanceExceeded,
    NativeAllowanceExceeded,
    PeriodicAllowanceExceeded,
    RateLimitExceeded,
    UnsponsoredNotAllowed,
    FeeBudgetExceeded,
    GasBudgetExceeded,
    PaymasterNotAllowed,
    PaymasterDataMalformed
} from "./SessionErrors.sol";

/// @title SessionCharging
/// @notice Fee and paymaster rules (rule 7) and the counters an op consumes (rules 5-8): checks
///         every limit against what is left and writes the new counters during validation.
/// @dev Note:
///      - Counters are written in validation, so the second of two ops in one bundle sees what the
///        first consumed. An op whose execution reverts keeps its charge (conservative). A bad
///        signature makes the EntryPoint revert the whole bundle, so its writes never persist.
///      - What an op asks (gas sum, fee, and the batch sums of PermissionChecks) saturates at 2^256-1
///        instead of overflowing (SaturatingMath); every limit is <= 2^128-1, so such an op reverts with
///        the error naming the limit (`GasBudgetExceeded`, `FeeBudgetExceeded`, ...), never Panic(0x11).
///        A counter is written only after its new value was proven to be within its limit.
///      - Fees: an op without paymaster is charged `(verificationGasLimit + callGasLimit +
///        preVerificationGas) * maxFeePerGas` (its two paymaster limits are zero); a sponsored op
///        charges no fee but must use a listed paymaster. Gas budget: the sum of all five limits.
///      - What an op consumed goes out in one event (format in SessionEvents): `usage` (period, uses,
///        charge of `tokens[0]`) and, when anything else was charged, one `extras` word per charge.
///      - The session is read in place at calldata position `s` (see SessionCalldata).
library SessionCharging {
    /// @dev `extras` word kinds (bits 248-255), see SessionEvents.
    uint256 internal constant EXTRA_NATIVE = 1;
    uint256 internal constant EXTRA_FEE = 2;
    uint256 internal constant EXTRA_GAS = 3;
    uint256 internal constant EXTRA_TOKEN = 4;
    uint256 internal constant EXTRA_PERIODIC = 5;

    /// @dev The op being charged.
    struct Op {
        address account;
        bytes32 sessionId;
        uint32 periodIndex;
        uint256 record;
        /// Storage slot of the record (`records[sessionId][account]`).
        uint256 recordSlot;
    }

    /// @dev Everything one op consumes.
    struct Bill {
        uint256 fee;
        uint256 gas;
        address paymaster;
    }

    /// @dev The op's fee and gas and its paymaster, checked against the session's fee rules.
    function bill(uint256 s, bytes32 sessionId, PackedUserOperation calldata userOp)
        internal
        pure
        returns (Bill memory b)
    {
        uint256 limits = uint256(userOp.accountGasLimits);
        // Both 128-bit limits: their sum fits; `preVerificationGas` is a full word (the EntryPoint bounds it,
        // a direct caller need not), so the rest saturates.
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast) -- the low 128 bits of accountGasLimits are callGasLimit (ERC-4337 packing)
            b.gas = SaturatingMath.add((limits >> 128) + uint128(limits), userOp.preVerificationGas);
        }
        bytes calldata paymasterAndData = userOp.paymasterAndData;
        if (paymasterAndData.length == 0) {
            if (SessionCalldata.word(s, SessionCalldata.FEE_BUDGET) == 0) {
                revert UnsponsoredNotAllowed(sessionId);
            }
            b.fee = SaturatingMath.mul(b.gas, uint128(uint256(userOp.gasFees)));
            return b;
        }
        if (paymasterAndData.length < 52) revert PaymasterDataMalformed(paymasterAndData.length);
        address paymaster;
        uint256 paymasterGas;
        assembly ("memory-safe") {
            let p := paymasterAndData.offset
            paymaster := shr(96, calldataload(p))
            paymasterGas := add(shr(128, calldataload(add(p, 20))), shr(128, calldataload(add(p, 36))))
        }
        b.paymaster = paymaster;
        b.gas = SaturatingMath.add(b.gas, paymasterGas);
        (uint256 start, uint256 length) = SessionCalldata.list(s, SessionCalldata.PAYMASTERS);
        bool listed;
        assembly ("memory-safe") {
            // address elements, one word each; the proven canonical session holds all `length` (<= 4) of
            // them: every read is in bounds. Compared on the low 160 bits, as `address(uint160(w))` does.
            let pm := and(paymaster, 0xffffffffffffffffffffffffffffffffffffffff)
            for { let p := start } lt(p, add(start, shl(5, length))) { p := add(p, 32) } {
                if eq(and(calldataload(p), 0xffffffffffffffffffffffffffffffffffffffff), pm) {
                    listed := 1
                    break
                }
            }
        }
        if (!listed) revert PaymasterNotAllowed(sessionId, paymaster);
        return b;
    }

    /// @dev Checks every counter the op consumes and writes them; returns the event's `usage` word and
    ///      its `extras` (empty when the op charged nothing but `tokens[0]`).
    function charge(Op memory op, uint256 s, PermissionChecks.Charges memory charges, Bill memory b)
        internal
        returns (uint256 usage, uint256[] memory extras)
    {
        SessionStorage.Layout storage l = SessionStorage.layout();
        usage = _chargeRecord(op, s, charges);
        uint256 tokenCount = charges.tokens.length;
        uint256 periodicCount = charges.periodic.length;
        assembly ("memory-safe") {
            // Room for every possible extra (native, fee, gas, tokens[1..], periodic[..]; the lists hold at
            // most 8 each), claimed at the free memory pointer with length 0 and filled by `_push`, which
            // writes each word before raising the length (so no word is read before it is written).
            extras := mload(0x40)
            mstore(extras, 0)
            mstore(0x40, add(extras, shl(5, add(4, add(tokenCount, periodicCount)))))
        }
        // Each charge below does nothing (and writes nothing) when its guard is false; the order of the
        // checks, and so the first error of an op breaking several limits, is unchanged.
        if (tokenCount > 1) _chargeTokens(l, op, s, charges.tokens, extras);
        if (charges.native != 0 || b.fee != 0) _chargeNativeAndFee(l, op, s, charges.native, b.fee, extras);
        if (SessionCalldata.word(s, SessionCalldata.GAS_BUDGET) != 0) _chargeGas(l, op, s, b.gas, extras);
        if (periodicCount != 0 || SessionCalldata.word(s, SessionCalldata.RATE_LIMIT) != 0) {
            _chargePeriodic(l, op, s, charges, extras);
        }
    }

    /// @dev The counters of `tokens[1..]` (the first token's is in the record).
    function _chargeTokens(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        uint256[] memory amounts,
        uint256[] memory extras
    ) private {
        (uint256 tokens,) = SessionCalldata.list(s, SessionCalldata.TOKENS);
        for (uint256 i = 1; i < amounts.length; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            address token = address(uint160(SessionCalldata.load(tokens + 64 * i)));
            bytes32 key =
                SessionStorage.counterKey(SessionStorage.KIND_TOKEN, op.sessionId, token, 0);
            mapping(address => uint256) storage counter = l.counters[key];
            uint256 spent = counter[op.account];
            uint256 left = SessionCalldata.load(tokens + 64 * i + 32) - spent;
            if (amount > left) revert TokenAllowanceExceeded(op.sessionId, token, amount, left);
            counter[op.account] = spent + amount;
            _push(extras, EXTRA_TOKEN, i, amount);
        }
    }

    /// @dev Appends `kind (8) ‖ index (8) ‖ 112 zero bits ‖ amount (128)` to `extras`, whose memory was
    ///      allocated for every possible extra by `charge` (so the write stays inside it).
    function _push(uint256[] memory extras, uint256 kind, uint256 index, uint256 amount) private pure {
        uint256 word = (kind << 248) | (index << 240) | amount;
        assembly ("memory-safe") {
            let n := add(mload(extras), 1)
            mstore(add(extras, shl(5, n)), word)
            mstore(extras, n)
        }
    }

    /// @dev The session record: status, uses and the spent amount of `tokens[0]`; returns `usage`.
    function _chargeRecord(Op memory op, uint256 s, PermissionChecks.Charges memory charges)
        private
        returns (uint256 usage)
    {
        (bytes32 sessionId, uint256 record) = (op.sessionId, op.record);
        uint32 used = SessionStorage.uses(record);
        uint32 maxUses = uint32(SessionCalldata.word(s, SessionCalldata.MAX_USES));
        if ((maxUses != 0 && used >= maxUses) || used == type(uint32).max) {
            revert UsesExhausted(sessionId, maxUses);
        }
        (uint256 amount, uint256 firstSpent) =
            _chargeFirstToken(sessionId, s, charges.tokens, SessionStorage.firstTokenSpent(record));
        uint32 usedAfter;
        unchecked {
            // used < type(uint32).max (checked above): no overflow.
            usedAfter = used + 1;
        }
        // The record stays active at its live index; uses + 1 (< 2^32, checked above) and the new spent amount
        // (<= the allowance < 2^128) replace their fields.
        uint256 packed = (record & ((1 << 128) - 1)) + (1 << 8) | (firstSpent << 128);
        uint256 slot = op.recordSlot;
        assembly ("memory-safe") {
            // `l.records[sessionId][account]`, computed when the record was read.
            sstore(slot, packed)
        }
        usage = (uint256(op.periodIndex) << 224) | (uint256(usedAfter) << 192) | amount;
    }

    /// @dev The charge of `tokens[0]` (0 without tokens) against its allowance; returns it and the new spent
    ///      amount kept in the record.
    function _chargeFirstToken(bytes32 sessionId, uint256 s, uint256[] memory tokenCharges, uint256 spent)
        private
        pure
        returns (uint256 amount, uint256 spentAfter)
    {
        if (tokenCharges.length == 0) return (0, spent);
        (uint256 tokens,) = SessionCalldata.list(s, SessionCalldata.TOKENS);
        assembly ("memory-safe") {
            // `tokenCharges` has at least one element (checked above).
            amount := mload(add(tokenCharges, 0x20))
        }
        uint256 left = SessionCalldata.load(tokens + 32) - spent;
        if (amount > left) {
            revert TokenAllowanceExceeded(
                sessionId, address(uint160(SessionCalldata.load(tokens))), amount, left
            );
        }
        // amount <= left = allowance - spent: the sum is at most the allowance, no overflow.
        unchecked {
            spentAfter = spent + amount;
        }
    }

    /// @dev Native allowance and fee budget (one slot).
    function _chargeNativeAndFee(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        uint256 native,
        uint256 fee,
        uint256[] memory extras
    ) private {
        if (native == 0 && fee == 0) return;
        bytes32 sessionId = op.sessionId;
        mapping(address => uint256) storage counter = l.counters[
            SessionStorage.counterKey(SessionStorage.KIND_LIFETIME, sessionId, address(0), 0)
        ];
        uint256 packed = counter[op.account];
        // forge-lint: disable-next-line(unsafe-typecast) -- the low 128 bits of the lifetime counter are the native amount spent (SessionStorage layout)
        uint256 nativeSpent = uint128(packed);
        uint256 feeSpent = packed >> 128;
        uint256 nativeLeft = SessionCalldata.word(s, SessionCalldata.NATIVE_ALLOWANCE) - nativeSpent;
        if (native > nativeLeft) revert NativeAllowanceExceeded(sessionId, native, nativeLeft);
        uint256 feeLeft = SessionCalldata.word(s, SessionCalldata.FEE_BUDGET) - feeSpent;
        if (fee > feeLeft) revert FeeBudgetExceeded(sessionId, fee, feeLeft);
        counter[op.account] = (nativeSpent + native) | ((feeSpent + fee) << 128);
        if (native != 0) _push(extras, EXTRA_NATIVE, 0, native);
        if (fee != 0) _push(extras, EXTRA_FEE, 0, fee);
    }

    /// @dev Gas budget (one slot).
    function _chargeGas(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        uint256 gas,
        uint256[] memory extras
    ) private {
        uint256 gasBudget = SessionCalldata.word(s, SessionCalldata.GAS_BUDGET);
        if (gasBudget == 0) return;
        mapping(address => uint256) storage counter = l.counters[
            SessionStorage.counterKey(SessionStorage.KIND_GAS, op.sessionId, address(0), 0)
        ];
        uint256 spent = counter[op.account];
        uint256 left = gasBudget - spent;
        if (gas > left) revert GasBudgetExceeded(op.sessionId, gas, left);
        counter[op.account] = spent + gas;
        _push(extras, EXTRA_GAS, 0, gas);
    }

    /// @dev Periodic allowances and the rate limit of period `periodIndex`.
    function _chargePeriodic(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        PermissionChecks.Charges memory charges,
        uint256[] memory extras
    ) private {
        (uint256 periodic,) = SessionCalldata.list(s, SessionCalldata.PERIODIC);
        for (uint256 i; i < charges.periodic.length; ++i) {
            uint256 amount = charges.periodic[i];
            if (amount == 0) continue;
            _chargePeriodicAsset(l, op, periodic + 64 * i, amount);
            _push(extras, EXTRA_PERIODIC, i, amount);
        }
        uint32 rateLimit = uint32(SessionCalldata.word(s, SessionCalldata.RATE_LIMIT));
        if (rateLimit != 0) {
            mapping(address => uint256) storage counter = l.counters[
                SessionStorage.counterKey(SessionStorage.KIND_RATE, op.sessionId, address(0), op.periodIndex)
            ];
            uint256 count = counter[op.account];
            if (count >= rateLimit) revert RateLimitExceeded(op.sessionId, op.periodIndex, rateLimit);
            counter[op.account] = count + 1;
        }
    }

    /// @dev One periodic allowance (`entry` = calldata position of its (asset, amount) element).
    function _chargePeriodicAsset(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 entry,
        uint256 amount
    ) private {
        address asset = address(uint160(SessionCalldata.load(entry)));
        mapping(address => uint256) storage counter = l.counters[
            SessionStorage.counterKey(SessionStorage.KIND_PERIODIC, op.sessionId, asset, op.periodIndex)
        ];
        uint256 spent = counter[op.account];
        uint256 left = SessionCalldata.load(entry + 32) - spent;
        if (amount > left) {
            revert PeriodicAllowanceExceeded(op.sessionId, asset, op.periodIndex, amount, left);
        }
        counter[op.account] = spent + amount;
    }
}
