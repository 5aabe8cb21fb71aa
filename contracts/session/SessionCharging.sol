// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {PermissionChecks} from "./PermissionChecks.sol";
import {SessionCalldata} from "./SessionCalldata.sol";
import {SessionPacking} from "./SessionPacking.sol";
import {SaturatingMath} from "./SaturatingMath.sol";
import {SessionUsed, SessionUsedAndPaid, SessionUsedAndCharged} from "./SessionEvents.sol";
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
///        charge of `tokens[0]`), then the fee when it is the only other charge, or else one `extras` word per
///        other charge.
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
        /// Storage slot of the record (SessionStorage.recordSlot).
        uint256 recordSlot;
    }

    /// @dev The op's fee (0 when sponsored) and gas, checked against the session's fee and paymaster rules.
    ///      `gasUnits` (the sum of the op's five gas limits) is computed only where something is charged with it:
    ///      for the fee of an unsponsored op, or for a session with a gas budget; it is 0 otherwise.
    function bill(uint256 s, bytes32 sessionId, PackedUserOperation calldata userOp)
        internal
        pure
        returns (uint256 fee, uint256 gasUnits)
    {
        uint256 flags = SessionCalldata.flags(s);
        uint256 paymasterDataLength;
        address paymaster;
        assembly ("memory-safe") {
            // userOp.paymasterAndData: its offset is word 7 of the op (reads past the calldata give zeros):
            // paymaster (20) ‖ paymasterVerificationGasLimit (16) ‖ paymasterPostOpGasLimit (16) ‖ data.
            let pm := add(userOp, calldataload(add(userOp, 0xe0)))
            paymasterDataLength := calldataload(pm)
            paymaster := shr(96, calldataload(add(pm, 0x20)))
        }
        if (paymasterDataLength == 0) {
            if (flags & SessionPacking.FLAG_FEE == 0) revert UnsponsoredNotAllowed(sessionId);
            uint256 maxFeePerGas;
            (gasUnits, maxFeePerGas) = _accountGas(userOp);
            return (SaturatingMath.mul(gasUnits, maxFeePerGas), gasUnits);
        }
        if (paymasterDataLength < 52) revert PaymasterDataMalformed(paymasterDataLength);
        bool listed;
        assembly ("memory-safe") {
            // 20-byte address entries in the proven packed session (at most 4), after the calls (25 bytes each),
            // tokens and periodic (52 each); lengths at header bytes 21..24 (SessionPacking layout).
            let h := calldataload(add(s, 32))
            let start := add(add(add(s, 58), mul(byte(21, h), 25)), mul(add(byte(22, h), byte(23, h)), 52))
            for { let q := start } lt(q, add(start, mul(byte(24, h), 20))) { q := add(q, 20) } {
                if eq(shr(96, calldataload(q)), paymaster) {
                    listed := 1
                    break
                }
            }
        }
        if (!listed) revert PaymasterNotAllowed(sessionId, paymaster);
        if (flags & SessionPacking.FLAG_GAS != 0) {
            (gasUnits,) = _accountGas(userOp);
            uint256 paymasterGas;
            assembly ("memory-safe") {
                // paymasterVerificationGasLimit + paymasterPostOpGasLimit (bytes 20..35 and 36..51 of
                // paymasterAndData, whose length is at least 52: checked above).
                let pm := add(userOp, calldataload(add(userOp, 0xe0)))
                paymasterGas := add(shr(128, calldataload(add(pm, 52))), shr(128, calldataload(add(pm, 68))))
            }
            gasUnits = SaturatingMath.add(gasUnits, paymasterGas);
        }
    }

    /// @dev verificationGasLimit + callGasLimit + preVerificationGas of `userOp` (saturating), and its
    ///      maxFeePerGas.
    function _accountGas(PackedUserOperation calldata userOp)
        private
        pure
        returns (uint256 gasUnits, uint256 maxFeePerGas)
    {
        uint256 accountGas;
        uint256 preVerificationGas;
        assembly ("memory-safe") {
            // The two 128-bit halves of accountGasLimits (userOp word 4), whose sum fits; preVerificationGas
            // (word 5) is a full word the EntryPoint bounds but a direct caller need not; maxFeePerGas: the low
            // 128 bits of gasFees (word 6).
            let limits := calldataload(add(userOp, 0x80))
            accountGas := add(shr(128, limits), and(limits, 0xffffffffffffffffffffffffffffffff))
            preVerificationGas := calldataload(add(userOp, 0xa0))
            maxFeePerGas := and(calldataload(add(userOp, 0xc0)), 0xffffffffffffffffffffffffffffffff)
        }
        gasUnits = SaturatingMath.add(accountGas, preVerificationGas);
    }

    /// @dev Checks every counter the op consumes, writes them and emits the op's use event (SessionEvents):
    ///      `SessionUsed` when nothing but `tokens[0]` was charged, `SessionUsedAndPaid` when `tokens[0]` and the fee
    ///      were, else `SessionUsedAndCharged` with one `extras` word per other charge, the fee among them.
    ///      `record` and `recordSlot` are the session record and its slot, read by the caller.
    function charge(
        address account,
        bytes32 sessionId,
        uint32 periodIndex,
        uint256 record,
        uint256 recordSlot,
        uint256 s,
        uint256 charges,
        uint256 fee,
        uint256 gas
    ) internal {
        uint256 usage = _chargeRecord(sessionId, periodIndex, record, recordSlot, s, charges);
        uint256 tokenCount;
        uint256 periodicCount;
        bool more;
        assembly ("memory-safe") {
            tokenCount := mload(mload(add(charges, 0x20)))
            periodicCount := mload(mload(add(charges, 0x40)))
            // Anything beyond the record and the fee: more tokens, native value, a gas budget (packed flags bit 3,
            // header byte 20), periodic allowances or a rate limit (packed bytes 48..51).
            let header := calldataload(add(s, 32))
            more := or(
                or(gt(tokenCount, 1), mload(charges)),
                or(or(and(byte(20, header), 8), periodicCount), and(shr(96, header), 0xffffffff))
            )
        }
        // Nothing beyond the record and the fee (every op of a session without native value, second tokens, gas
        // budget, periodic allowances or rate limit): the fee is the only check left after `tokens[0]`, as in the
        // general order below, and no `extras` array is allocated.
        if (!more) {
            if (fee == 0) {
                bytes32 used = SessionUsed.selector;
                assembly ("memory-safe") {
                    // emit SessionUsed(account, sessionId, usage), the data word in scratch space (the hot path;
                    // the `emit` below keeps the event in the ABI).
                    mstore(0x00, usage)
                    log3(0x00, 0x20, used, account, sessionId)
                }
            } else {
                _chargeFee(sessionId, recordSlot, s, fee);
                emit SessionUsedAndPaid(account, sessionId, usage, fee);
            }
            return;
        }
        uint256[] memory extras;
        assembly ("memory-safe") {
            // Room for every possible extra (native, fee, gas, tokens[1..], periodic[..]; the lists hold at
            // most 8 each), claimed at the free memory pointer with length 0 and filled by `_push`, which
            // writes each word before raising the length (so no word is read before it is written).
            extras := mload(0x40)
            mstore(extras, 0)
            mstore(0x40, add(extras, shl(5, add(4, add(tokenCount, periodicCount)))))
        }
        Op memory op = Op(account, sessionId, periodIndex, record, recordSlot);
        SessionStorage.Layout storage l = SessionStorage.layout();
        // Each charge below does nothing (and writes nothing) when its guard is false; the order of the
        // checks, and so the first error of an op breaking several limits, is unchanged.
        uint256 native = PermissionChecks.nativeOf(charges);
        if (tokenCount > 1) _chargeTokens(l, op, s, PermissionChecks.tokensOf(charges), extras);
        if (native != 0 || fee != 0) _chargeNativeAndFee(l, op, s, native, fee, extras);
        if (SessionCalldata.flags(s) & SessionPacking.FLAG_GAS != 0) _chargeGas(l, op, s, gas, extras);
        if (periodicCount != 0 || SessionCalldata.rateLimit(s) != 0) {
            _chargePeriodic(l, op, s, PermissionChecks.periodicOf(charges), extras);
        }
        // A rate limit alone charges no `extras` word (every use event is one use in its period).
        if (extras.length == 0) emit SessionUsed(op.account, op.sessionId, usage);
        else emit SessionUsedAndCharged(op.account, op.sessionId, usage, extras);
    }

    /// @dev The counters of `tokens[1..]` (the first token's is in the record).
    function _chargeTokens(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        uint256[] memory amounts,
        uint256[] memory extras
    ) private {
        (uint256 tokens,) = SessionCalldata.tokens(s);
        for (uint256 i = 1; i < amounts.length; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            uint256 entry = tokens + SessionPacking.ASSET_SIZE * i;
            address token = SessionCalldata.addressAt(entry);
            bytes32 key = SessionStorage.counterKey(SessionStorage.KIND_TOKEN, op.sessionId, token, 0);
            mapping(address => uint256) storage counter = l.counters[key];
            uint256 spent = counter[op.account];
            uint256 left = SessionCalldata.amountAt(entry) - spent;
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
    function _chargeRecord(
        bytes32 sessionId,
        uint32 periodIndex,
        uint256 record,
        uint256 recordSlot,
        uint256 s,
        uint256 charges
    ) private returns (uint256 usage) {
        uint256 failure; // 0 none, 1 UsesExhausted, 2 TokenAllowanceExceeded
        uint256 maxUses;
        uint256 amount;
        uint256 left;
        uint256 firstToken;
        assembly ("memory-safe") {
            // Packed header word (bytes 32..63): maxUses at its bytes 12..15; the first token entry follows the
            // 58-byte header and the calls (25 bytes each, their count at byte 21) (SessionCalldata).
            let h := calldataload(add(s, 32))
            maxUses := and(shr(128, h), 0xffffffff)
            firstToken := add(add(s, 58), mul(byte(21, h), 25))
            let used := and(shr(8, record), 0xffffffff)
            // Out of uses: the session's limit reached, or the 32-bit counter full (any session).
            switch or(and(iszero(iszero(maxUses)), iszero(lt(used, maxUses))), eq(used, 0xffffffff))
            case 1 { failure := 1 }
            default {
                // tokens[0] (the first entry of the proven session's `tokens`: token (20) ‖ amount (32)) against
                // what is left of it; its spent amount is the record's high 128 bits.
                let spent := shr(128, record)
                let tokenSums := mload(add(charges, 0x20))
                if mload(tokenSums) {
                    amount := mload(add(tokenSums, 0x20))
                    let allowance := calldataload(add(firstToken, 20))
                    // spent <= allowance always holds (every charge is within it); clamp rather than wrap.
                    if lt(spent, allowance) { left := sub(allowance, spent) }
                    switch gt(amount, left)
                    case 1 { failure := 2 }
                    default { spent := add(spent, amount) } // <= allowance < 2^128
                }
                if iszero(failure) {
                    // The record stays active at its live index; uses + 1 (< 2^32, checked above) and the new
                    // spent amount replace their fields. SessionStorage.recordSlot, kept by the caller.
                    sstore(
                        recordSlot,
                        or(add(and(record, 0xffffffffffffffffffffffffffffffff), 0x100), shl(128, spent))
                    )
                    usage := or(or(shl(224, and(periodIndex, 0xffffffff)), shl(192, add(used, 1))), amount)
                }
            }
        }
        if (failure == 1) {
            // forge-lint: disable-next-line(unsafe-typecast) -- maxUses was masked to 32 bits above
            revert UsesExhausted(sessionId, uint32(maxUses));
        }
        if (failure == 2) {
            revert TokenAllowanceExceeded(sessionId, SessionCalldata.addressAt(firstToken), amount, left);
        }
    }

    /// @dev Native allowance (its own counter) and fee budget (`_chargeFee`), checked in that order.
    function _chargeNativeAndFee(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        uint256 native,
        uint256 fee,
        uint256[] memory extras
    ) private {
        bytes32 sessionId = op.sessionId;
        if (native != 0) {
            mapping(address => uint256) storage counter =
                l.counters[SessionStorage.counterKey(SessionStorage.KIND_LIFETIME, sessionId, address(0), 0)];
            uint256 nativeSpent = counter[op.account];
            uint256 nativeLeft = SessionCalldata.nativeAllowance(s) - nativeSpent;
            if (native > nativeLeft) revert NativeAllowanceExceeded(sessionId, native, nativeLeft);
            counter[op.account] = nativeSpent + native;
            _push(extras, EXTRA_NATIVE, 0, native);
        }
        if (fee != 0) {
            _chargeFee(sessionId, op.recordSlot, s, fee);
            _push(extras, EXTRA_FEE, 0, fee);
        }
    }

    /// @dev Fee budget: the record's fee field (SessionStorage). The record was already written by `_chargeRecord` in
    ///      this call, so its slot is warm.
    function _chargeFee(bytes32 sessionId, uint256 slot, uint256 s, uint256 fee) private {
        uint256 record;
        assembly ("memory-safe") {
            record := sload(slot)
        }
        uint256 feeSpent = SessionStorage.feeSpent(record);
        // feeSpent <= feeBudget <= 2^80-1 (SessionFormat), so no underflow, and the new sum fits its field.
        uint256 feeLeft = SessionCalldata.feeBudget(s) - feeSpent;
        if (fee > feeLeft) revert FeeBudgetExceeded(sessionId, fee, feeLeft);
        assembly ("memory-safe") {
            sstore(slot, add(record, shl(48, fee)))
        }
    }

    /// @dev Gas budget (one slot).
    function _chargeGas(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 s,
        uint256 gas,
        uint256[] memory extras
    ) private {
        uint256 gasBudget = SessionCalldata.gasBudget(s);
        if (gasBudget == 0) return;
        mapping(address => uint256) storage counter =
            l.counters[SessionStorage.counterKey(SessionStorage.KIND_GAS, op.sessionId, address(0), 0)];
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
        uint256[] memory amounts,
        uint256[] memory extras
    ) private {
        (uint256 periodic,) = SessionCalldata.periodic(s);
        for (uint256 i; i < amounts.length; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            _chargePeriodicAsset(l, op, periodic + SessionPacking.ASSET_SIZE * i, amount);
            _push(extras, EXTRA_PERIODIC, i, amount);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- rateLimit is a 32-bit field, masked by the reader
        uint32 rateLimit = uint32(SessionCalldata.rateLimit(s));
        if (rateLimit != 0) {
            mapping(address => uint256) storage counter = l.counters[
                SessionStorage.counterKey(SessionStorage.KIND_RATE, op.sessionId, address(0), op.periodIndex)
            ];
            uint256 count = counter[op.account];
            if (count >= rateLimit) revert RateLimitExceeded(op.sessionId, op.periodIndex, rateLimit);
            counter[op.account] = count + 1;
        }
    }

    /// @dev One periodic allowance (`entry` = calldata position of its asset (20) ‖ amount (32) entry).
    function _chargePeriodicAsset(
        SessionStorage.Layout storage l,
        Op memory op,
        uint256 entry,
        uint256 amount
    ) private {
        address asset = SessionCalldata.addressAt(entry);
        mapping(address => uint256) storage counter = l.counters[
            SessionStorage.counterKey(SessionStorage.KIND_PERIODIC, op.sessionId, asset, op.periodIndex)
        ];
        uint256 spent = counter[op.account];
        uint256 left = SessionCalldata.amountAt(entry) - spent;
        if (amount > left) {
            revert PeriodicAllowanceExceeded(op.sessionId, asset, op.periodIndex, amount, left);
        }
        counter[op.account] = spent + amount;
    }
}
