// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Session, NATIVE_ASSET} from "./SessionTypes.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {PermissionChecks} from "./PermissionChecks.sol";
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
///      - A sum that would overflow, or a counter that would pass its (<= 2^128-1) limit, reverts.
///      - Fees: an op without paymaster is charged `(verificationGasLimit + callGasLimit +
///        preVerificationGas) * maxFeePerGas` (its two paymaster limits are zero); a sponsored op
///        charges no fee but must use a listed paymaster. Gas budget: the sum of all five limits.
library SessionCharging {
    /// @dev The op being charged.
    struct Op {
        address account;
        uint32 epoch;
        bytes32 sessionId;
        uint32 periodIndex;
        uint256 record;
    }

    /// @dev Everything one op consumes.
    struct Bill {
        uint256 fee;
        uint256 gas;
        address paymaster;
    }

    /// @dev The op's fee and gas and its paymaster, checked against the session's fee rules.
    function bill(Session calldata session, bytes32 sessionId, PackedUserOperation calldata userOp)
        internal
        pure
        returns (Bill memory b)
    {
        uint256 limits = uint256(userOp.accountGasLimits);
        b.gas = (limits >> 128) + uint128(limits) + userOp.preVerificationGas;
        bytes calldata paymasterAndData = userOp.paymasterAndData;
        if (paymasterAndData.length == 0) {
            if (session.feeBudget == 0) revert UnsponsoredNotAllowed(sessionId);
            b.fee = b.gas * uint128(uint256(userOp.gasFees));
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
        b.gas += paymasterGas;
        address[] calldata paymasters = session.paymasters;
        for (uint256 i; i < paymasters.length; ++i) {
            if (paymasters[i] == paymaster) return b;
        }
        revert PaymasterNotAllowed(sessionId, b.paymaster);
    }

    /// @dev Checks every counter the op consumes and writes them; returns the packed charges for
    ///      the `SessionUsed` event (format in SessionEvents).
    function charge(
        Op memory op,
        Session calldata session,
        PermissionChecks.Charges memory charges,
        Bill memory b
    ) internal returns (bytes memory log) {
        SessionStorage.Layout storage l = SessionStorage.layout();
        _chargeRecord(l, op, session, charges);
        (address account, uint32 epoch, bytes32 sessionId, uint32 periodIndex) =
            (op.account, op.epoch, op.sessionId, op.periodIndex);
        log = abi.encodePacked(
            periodIndex, uint128(charges.native), uint128(b.fee), uint128(session.gasBudget != 0 ? b.gas : 0)
        );
        if (charges.tokens.length != 0 && charges.tokens[0] != 0) {
            log = bytes.concat(log, abi.encodePacked(session.tokens[0].token, uint128(charges.tokens[0])));
        }
        for (uint256 i = 1; i < charges.tokens.length; ++i) {
            uint256 amount = charges.tokens[i];
            if (amount == 0) continue;
            address token = session.tokens[i].token;
            bytes32 key = SessionStorage.counterKey(SessionStorage.KIND_TOKEN, sessionId, epoch, token, 0);
            uint256 spent = l.counters[key][account];
            uint256 left = session.tokens[i].amount - spent;
            if (amount > left) revert TokenAllowanceExceeded(sessionId, token, amount, left);
            l.counters[key][account] = spent + amount;
            log = bytes.concat(log, abi.encodePacked(token, uint128(amount)));
        }
        _chargeLifetime(l, op, session, charges.native, b);
        log = bytes.concat(log, _chargePeriodic(l, op, session, charges));
    }

    /// @dev The session record: status, uses and the spent amount of `tokens[0]`.
    function _chargeRecord(
        SessionStorage.Layout storage l,
        Op memory op,
        Session calldata session,
        PermissionChecks.Charges memory charges
    ) private {
        (bytes32 sessionId, uint256 record) = (op.sessionId, op.record);
        uint32 used = SessionStorage.uses(record);
        uint32 maxUses = session.maxUses;
        if ((maxUses != 0 && used >= maxUses) || used == type(uint32).max) {
            revert UsesExhausted(sessionId, maxUses);
        }
        uint256 firstSpent = SessionStorage.firstTokenSpent(record);
        if (charges.tokens.length != 0) {
            uint256 amount = charges.tokens[0];
            uint256 left = session.tokens[0].amount - firstSpent;
            if (amount > left) {
                revert TokenAllowanceExceeded(sessionId, session.tokens[0].token, amount, left);
            }
            firstSpent += amount;
        }
        l.records[SessionStorage.recordKey(sessionId, op.epoch)][op.account] =
            SessionStorage.packRecord(SessionStorage.STATUS_ACTIVE, used + 1, firstSpent);
    }

    /// @dev Native allowance and fee budget (one slot), gas budget (one slot).
    function _chargeLifetime(
        SessionStorage.Layout storage l,
        Op memory op,
        Session calldata session,
        uint256 native,
        Bill memory b
    ) private {
        (address account, uint32 epoch, bytes32 sessionId) = (op.account, op.epoch, op.sessionId);
        if (native != 0 || b.fee != 0) {
            bytes32 key =
                SessionStorage.counterKey(SessionStorage.KIND_LIFETIME, sessionId, epoch, address(0), 0);
            uint256 packed = l.counters[key][account];
            uint256 nativeSpent = uint128(packed);
            uint256 feeSpent = packed >> 128;
            uint256 nativeLeft = session.nativeAllowance - nativeSpent;
            if (native > nativeLeft) revert NativeAllowanceExceeded(sessionId, native, nativeLeft);
            uint256 feeLeft = session.feeBudget - feeSpent;
            if (b.fee > feeLeft) revert FeeBudgetExceeded(sessionId, b.fee, feeLeft);
            l.counters[key][account] = (nativeSpent + native) | ((feeSpent + b.fee) << 128);
        }
        if (session.gasBudget != 0) {
            bytes32 key = SessionStorage.counterKey(SessionStorage.KIND_GAS, sessionId, epoch, address(0), 0);
            uint256 spent = l.counters[key][account];
            uint256 left = session.gasBudget - spent;
            if (b.gas > left) revert GasBudgetExceeded(sessionId, b.gas, left);
            l.counters[key][account] = spent + b.gas;
        }
    }

    /// @dev Periodic allowances and the rate limit of period `periodIndex`; returns the token records
    ///      of periodic-only tokens for the event.
    function _chargePeriodic(
        SessionStorage.Layout storage l,
        Op memory op,
        Session calldata session,
        PermissionChecks.Charges memory charges
    ) private returns (bytes memory log) {
        (address account, uint32 epoch, bytes32 sessionId, uint32 periodIndex) =
            (op.account, op.epoch, op.sessionId, op.periodIndex);
        for (uint256 i; i < charges.periodic.length; ++i) {
            uint256 amount = charges.periodic[i];
            if (amount == 0) continue;
            address asset = session.periodic[i].asset;
            bytes32 key =
                SessionStorage.counterKey(SessionStorage.KIND_PERIODIC, sessionId, epoch, asset, periodIndex);
            uint256 spent = l.counters[key][account];
            uint256 left = session.periodic[i].amount - spent;
            if (amount > left) revert PeriodicAllowanceExceeded(sessionId, asset, periodIndex, amount, left);
            l.counters[key][account] = spent + amount;
            if (
                asset != NATIVE_ASSET && PermissionChecks._tokenIndex(session, asset) == PermissionChecks.NONE
            ) {
                log = bytes.concat(log, abi.encodePacked(asset, uint128(amount)));
            }
        }
        uint32 rateLimit = session.rateLimit;
        if (rateLimit != 0) {
            bytes32 key = SessionStorage.counterKey(
                SessionStorage.KIND_RATE, sessionId, epoch, address(0), periodIndex
            );
            uint256 count = l.counters[key][account];
            if (count >= rateLimit) revert RateLimitExceeded(sessionId, periodIndex, rateLimit);
            l.counters[key][account] = count + 1;
        }
    }
}
