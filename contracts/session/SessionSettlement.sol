// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SessionStorage} from "./SessionStorage.sol";

/// @notice A `settle` call of `account` whose arguments differ from those of the settlement it has open (a
///         settled op must end with exactly the `settle` call it began with).
error SettlementMismatch(address account);
/// @notice What the account's balance of `asset` lost during the op (`asked`) exceeds what is left (`left`) of
///         the allowance of entry `index` of the session's `tokens ‖ periodic` lists (below `tokens.length`: that
///         token's erc20 allowance; from it: that periodic allowance in the op's period). The op's calls revert.
error SettledAllowanceExceeded(bytes32 sessionId, address asset, uint256 index, uint256 asked, uint256 left);

/// @title SessionSettlement
/// @notice Execution half of settlement (rule 16; SettlementChecks is the validation half). A settled op calls
///         the module's `settle(periodIndex, packedSession)` first and last, with the same arguments: the
///         first call records the account's balance of each limited token, the last charges what it lost.
/// @dev Note:
///      - Only the account calls `settle`: msg.sender is the account and all state is keyed by it, so any other
///        caller only touches its own counters. A session-key op reaches it only in the shape SettlementChecks
///        proved: first and last call of a default-mode batch, bound to the op's period and session (the packed
///        bytes hash to its id); the calls in between cannot reach the module (hard denial).
///      - The open settlement is transient (EIP-1153, cancun): per account, one word holding
///        `keccak256(arguments)` while open, then one balance per list entry. With no settlement open a call
///        opens one; with one open, the same arguments close it; anything else reverts. A revert (a closing
///        call over an allowance reverts the whole batch) rolls the state back with the op; a close clears it,
///        so the ops of one bundle each settle on their own.
///      - Net: an entry is charged `before - after` when the balance fell, nothing otherwise; tokens that came
///        in during the op (a swap's output) offset those that left. Fee-on-transfer and rebasing tokens are
///        charged what the balance actually lost. What validation charged (visible transfers and approvals) is
///        not subtracted, so an approval can never pay for a pull; a plain transfer inside a settled op is
///        charged twice (conservative: send plain transfers in ops of their own).
///      - The counters are those validation writes (the record's high 128 bits for tokens[0], KIND_TOKEN,
///        KIND_PERIODIC of the op's period), read after every validation of the bundle charged them.
///      - Native value is not settled: it leaves only as call value or fees, both charged in validation.
///      - `balanceOf` is a plain call to a token the owner listed; one that reverts or lies affects only
///        sessions listing it. The packed session is read in place (SessionCalldata layout) and trusted only as
///        far as validation bound it.
abstract contract SessionSettlement {
    /// @dev keccak256("leash.session-key-validator.settlement"): the transient word of an account is at
    ///      `keccak256(pad32(account) ‖ SETTLEMENT_SLOT)`, the balance of entry i at that + 1 + i.
    bytes32 private constant SETTLEMENT_SLOT =
        0x61710d153ffa11780b850206ed042683f3fbae5cd1d28761c7ee641558970dd1;

    /// @notice Opens (first call of a settled op) or closes (last call, same arguments) the calling account's
    ///         settlement: opening records its balance of every limited token of the session; closing charges
    ///         what each balance lost since to the session's counters, and reverts with
    ///         `SettledAllowanceExceeded` when that exceeds what is left.
    /// @param periodIndex The period the op names (periodic allowances are charged to it).
    /// @param packedSession The packed session the op's envelope carries (its keccak256 is the session id).
    function settle(uint32 periodIndex, bytes calldata packedSession) external {
        bytes32 sessionId = keccak256(packedSession);
        bytes32 argsHash = keccak256(msg.data[4:]);
        uint256 base;
        uint256 open;
        uint256 list;
        uint256 tokenCount;
        uint256 entries;
        assembly ("memory-safe") {
            mstore(0x00, caller())
            mstore(0x20, SETTLEMENT_SLOT)
            base := keccak256(0x00, 0x40)
            open := tload(base)
            // Open when nothing is open (argsHash is never 0); close (clear) when the same arguments are open.
            tstore(base, mul(argsHash, iszero(open)))
            // SessionCalldata layout: header bytes 21..23 are the lengths of `calls` (25 bytes each), `tokens`
            // and `periodic`; the asset lists (asset 20 ‖ amount 32) follow the 58-byte header and the calls.
            let h := calldataload(add(packedSession.offset, 32))
            list := add(add(packedSession.offset, 58), mul(byte(21, h), 25))
            tokenCount := byte(22, h)
            entries := add(tokenCount, byte(23, h))
        }
        if (open != 0 && open != uint256(argsHash)) revert SettlementMismatch(msg.sender);
        for (uint256 i; i < entries; ++i) {
            uint256 entry = list + 52 * i;
            uint256 held;
            address asset;
            uint256 slot = base + 1 + i;
            uint256 before;
            assembly ("memory-safe") {
                asset := shr(96, calldataload(entry))
                // NATIVE_ASSET entries are skipped (native value is charged in validation).
                if iszero(eq(asset, 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE)) {
                    // balanceOf(address) 0x70a08231 of the account; a failing or short answer reverts.
                    mstore(0x00, 0x70a08231)
                    mstore(0x20, caller())
                    // (Yul evaluates arguments right to left: the call runs before returndatasize is read.)
                    if iszero(
                        and(gt(returndatasize(), 0x1f), staticcall(gas(), asset, 0x1c, 0x24, 0x00, 0x20))
                    ) {
                        revert(0, 0)
                    }
                    held := mload(0x00)
                    before := tload(slot)
                    if iszero(open) {
                        tstore(slot, held)
                        before := held
                    }
                }
            }
            if (held < before) {
                uint256 allowance;
                assembly ("memory-safe") {
                    allowance := calldataload(add(entry, 20))
                }
                _charge(sessionId, periodIndex, i, tokenCount, asset, allowance, before - held);
            }
        }
    }

    /// @dev Charges `amount` to entry `i`'s counter: tokens[0] in the session record (its high 128 bits), other
    ///      tokens in KIND_TOKEN, periodic entries in KIND_PERIODIC of `periodIndex` (SessionStorage).
    function _charge(
        bytes32 sessionId,
        uint32 periodIndex,
        uint256 i,
        uint256 tokenCount,
        address asset,
        uint256 allowance,
        uint256 amount
    ) private {
        uint256 shift = i == 0 && tokenCount != 0 ? 128 : 0;
        uint256 slot = SessionStorage.recordSlot(sessionId, msg.sender);
        if (shift == 0) {
            bool periodic = i >= tokenCount;
            mapping(address => uint256) storage counter = SessionStorage.layout()
            .counters[
                SessionStorage.counterKey(
                    periodic ? SessionStorage.KIND_PERIODIC : SessionStorage.KIND_TOKEN,
                    sessionId,
                    asset,
                    periodic ? periodIndex : 0
                )
            ];
            assembly ("memory-safe") {
                // The slot of counter[msg.sender]: keccak256(pad32(account) ‖ mapping slot).
                mstore(0x00, caller())
                mstore(0x20, counter.slot)
                slot := keccak256(0x00, 0x40)
            }
        }
        uint256 word;
        assembly ("memory-safe") {
            word := sload(slot)
        }
        uint256 spent = word >> shift;
        uint256 left = allowance > spent ? allowance - spent : 0;
        if (amount > left) revert SettledAllowanceExceeded(sessionId, asset, i, amount, left);
        assembly ("memory-safe") {
            // spent + amount <= allowance < 2^128: no overflow; the record keeps its low 128 bits (status, uses).
            sstore(slot, add(word, shl(shift, amount)))
        }
    }
}
