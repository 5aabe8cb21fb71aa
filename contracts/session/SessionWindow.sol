// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";
import {ISessionKeyValidator} from "./interfaces/ISessionKeyValidator.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {PeriodIndexNotAllowed, PeriodOutOfRange, WindowEmpty} from "./SessionErrors.sol";

/// @title SessionWindow
/// @notice Time (rule 9) and the `remaining` view: the window an op of a period gets, and what is
///         left of every limit.
/// @dev Note:
///      - The module never reads the clock. Period `i` of a session is
///        [periodStart + i*period, periodStart + (i+1)*period - 1]; an op names its period and gets
///        that period's window intersected with the session's. The EntryPoint enforces it.
///      - validUntil 0 means "no expiry" (EntryPoint semantics); a period end beyond 2^47-1 is
///        clamped to 2^47-1, and a period starting later is out of range.
///      - Every window stays in timestamp mode: EntryPoint v0.9 (and OpenZeppelin's ERC4337Utils) read a
///        validAfter/validUntil with bit 47 set as a block-number range, so no time the module returns reaches
///        2^47 (SessionFormat rejects session windows from 2^47 on; period windows are capped here).
library SessionWindow {
    /// @dev Largest timestamp a window carries: bit 47 would switch EntryPoint v0.9 to block numbers.
    uint256 internal constant MAX_TIME = (1 << 47) - 1;

    /// @dev The window of an op of `session` in period `periodIndex`.
    function window(Session calldata session, bytes32 sessionId, uint32 periodIndex)
        internal
        pure
        returns (uint48 validAfter, uint48 validUntil)
    {
        return periodWindow(
            sessionId,
            periodIndex,
            session.validAfter,
            session.validUntil,
            session.period,
            session.periodStart
        );
    }

    /// @dev The op's window as ERC-4337 validation data bits (`validUntil << 160 | validAfter << 208`), for the
    ///      packed session at calldata position `s` (SessionCalldata) and period `periodIndex`. Without a
    ///      schedule the session's own window is returned as it is packed: bytes 20..31 hold validAfter (6) and
    ///      validUntil (6), which shifted left by 160 bits are exactly those validation data fields.
    function validationWindow(uint256 s, bytes32 sessionId, uint32 periodIndex)
        internal
        pure
        returns (uint256 validationData)
    {
        uint256 packedWindow;
        uint256 period;
        uint256 periodStart;
        assembly ("memory-safe") {
            packedWindow := and(calldataload(s), 0xffffffffffffffffffffffff)
            let h := calldataload(add(s, 32))
            period := shr(208, h)
            periodStart := and(shr(160, h), 0xffffffffffff)
        }
        if (period == 0) {
            if (periodIndex != 0) revert PeriodIndexNotAllowed(sessionId, periodIndex);
            return packedWindow << 160;
        }
        (uint48 validAfter, uint48 validUntil) = periodWindow(
            sessionId,
            periodIndex,
            // forge-lint: disable-next-line(unsafe-typecast) -- packedWindow is 96 bits: validAfter (48) ‖ validUntil (48)
            uint48(packedWindow >> 48),
            // forge-lint: disable-next-line(unsafe-typecast) -- the low 48 bits are validUntil
            uint48(packedWindow),
            period,
            periodStart
        );
        return (uint256(validUntil) << 160) | (uint256(validAfter) << 208);
    }

    /// @dev The window of an op in period `periodIndex` of a session with these window and schedule fields.
    function periodWindow(
        bytes32 sessionId,
        uint32 periodIndex,
        uint48 sessionAfter,
        uint48 sessionUntil,
        uint256 period,
        uint256 periodStart
    ) internal pure returns (uint48 validAfter, uint48 validUntil) {
        validAfter = sessionAfter;
        validUntil = sessionUntil;
        if (period == 0) {
            if (periodIndex != 0) revert PeriodIndexNotAllowed(sessionId, periodIndex);
            return (validAfter, validUntil);
        }
        uint256 start = periodStart + uint256(periodIndex) * period;
        if (start > MAX_TIME) revert PeriodOutOfRange(sessionId, periodIndex);
        uint256 end = start + period - 1;
        if (end > MAX_TIME) end = MAX_TIME;
        // forge-lint: disable-next-line(unsafe-typecast) -- start <= MAX_TIME < 2^48, checked above
        if (start > validAfter) validAfter = uint48(start);
        // forge-lint: disable-next-line(unsafe-typecast) -- end <= MAX_TIME < 2^48, clamped above
        if (validUntil == 0 || end < validUntil) validUntil = uint48(end);
        if (validAfter > validUntil) revert WindowEmpty(sessionId, periodIndex);
    }

    /// @dev What is left of `session` on `account` in `periodIndex` (status filled by the caller).
    function remaining(address account, Session calldata session, bytes32 sessionId, uint32 periodIndex)
        internal
        view
        returns (ISessionKeyValidator.Remaining memory r)
    {
        SessionStorage.Layout storage l = SessionStorage.layout();
        uint256 record = SessionStorage.loadRecord(sessionId, account);
        r.usesLeft =
            session.maxUses == 0 ? type(uint256).max : uint256(session.maxUses) - SessionStorage.uses(record);
        uint256 lifetime = _counter(l, account, SessionStorage.KIND_LIFETIME, sessionId, address(0), 0);
        r.nativeLeft = session.nativeAllowance - lifetime;
        r.feeLeft = session.feeBudget - SessionStorage.feeSpent(record);
        r.gasLeft = session.gasBudget == 0
            ? type(uint256).max
            : session.gasBudget - _counter(l, account, SessionStorage.KIND_GAS, sessionId, address(0), 0);
        r.tokensLeft = new uint256[](session.tokens.length);
        for (uint256 i; i < session.tokens.length; ++i) {
            uint256 spent = i == 0
                ? SessionStorage.firstTokenSpent(record)
                : _counter(l, account, SessionStorage.KIND_TOKEN, sessionId, session.tokens[i].token, 0);
            r.tokensLeft[i] = session.tokens[i].amount - spent;
        }
        r.periodicLeft = new uint256[](session.periodic.length);
        for (uint256 i; i < session.periodic.length; ++i) {
            address asset = session.periodic[i].asset;
            r.periodicLeft[i] = session.periodic[i].amount
                - _counter(l, account, SessionStorage.KIND_PERIODIC, sessionId, asset, periodIndex);
        }
        r.rateLeft = session.rateLimit == 0
            ? type(uint256).max
            : uint256(session.rateLimit)
                - _counter(l, account, SessionStorage.KIND_RATE, sessionId, address(0), periodIndex);
        (r.validAfter, r.validUntil) = window(session, sessionId, periodIndex);
    }

    /// @dev A counter of `account`.
    function _counter(
        SessionStorage.Layout storage l,
        address account,
        uint256 kind,
        bytes32 sessionId,
        address asset,
        uint256 periodIndex
    ) private view returns (uint256) {
        return l.counters[SessionStorage.counterKey(kind, sessionId, asset, periodIndex)][account];
    }
}
