// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {MODULE_TYPE_VALIDATOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {Session} from "./SessionTypes.sol";
import {ISessionKeyValidator} from "./interfaces/ISessionKeyValidator.sol";
import {SessionStorage} from "./SessionStorage.sol";
import {SessionAdmin} from "./SessionAdmin.sol";
import {SignatureEnvelope} from "./SignatureEnvelope.sol";
import {SessionPacking} from "./SessionPacking.sol";
import {CallDecoder} from "./CallDecoder.sol";
import {PermissionChecks} from "./PermissionChecks.sol";
import {SessionCharging} from "./SessionCharging.sol";
import {SessionWindow} from "./SessionWindow.sol";
import {SessionCalldata} from "./SessionCalldata.sol";
import {SessionSettlement} from "./SessionSettlement.sol";
import {TokenCallFastPath} from "./TokenCallFastPath.sol";
import {
    AlreadyInitialized,
    MalformedInstallData,
    SenderMismatch,
    SessionNotFound,
    SessionIsPaused,
    SessionIsRevoked,
    EnableSignatureInvalid,
    EnableGrantStale
} from "./SessionErrors.sol";
import {AccountInitialized, AccountReset} from "./SessionEvents.sol";

/// @title SessionKeyValidator
/// @notice ERC-7579 validator module that lets an account grant scoped session keys (see SPEC.md and
///         docs/session-key-validator.md). Each op carries its session in the signature envelope,
///         proven by `sessionId = keccak256(SessionPacking.pack(session))`; storage holds status and counters.
/// @dev Note (security assumptions):
///      - The account calls `validateUserOp` only for ops whose validator (OpenZeppelin: the first 20
///        bytes of the nonce key) is this module, passes the EntryPoint's userOpHash (or a hash that
///        commits to the same fields), and executes `userOp.callData` exactly as ERC-7579
///        `execute` (single: packed target/value/data; batch: `abi.decode(Execution[])`), treating
///        target address(0) as itself.
///      - The account answers `isModuleInstalled` truthfully and implements ERC-1271 by routing to its
///        owner's validator; this module's own `isValidSignatureWithSender` never accepts anything.
///      - The module cannot know the account's EntryPoint: it denies calls to all canonical ones.
///      - Validation never reads the clock: time goes out in `validAfter`/`validUntil`.
///      - A bad session-key signature returns SIG_VALIDATION_FAILED after every check ran and every
///        counter was written; the EntryPoint then reverts the whole bundle, so nothing persists.
contract SessionKeyValidator is SessionAdmin, SessionSettlement {
    /// @dev ERC-4337 validation data with the signature-failure bit set.
    uint256 internal constant SIG_VALIDATION_FAILED = 1;
    /// @dev ERC-1271 failure value.
    bytes4 internal constant ERC1271_FAILED = 0xffffffff;
    /// @dev ERC-1271 success value.
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;
    /// @dev Largest `s` of a non-malleable secp256k1 signature (secp256k1n / 2).
    uint256 internal constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    // ----- ERC-7579 module -----

    /// @notice Installs the module for the calling account; `data` is empty or
    ///         `abi.encode(Session[])` of sessions to create at once.
    /// @dev Sessions of an earlier install stay dead (the uninstall revoked them).
    function onInstall(bytes calldata data) external {
        SessionStorage.AccountState storage state = SessionStorage.layout().accounts[msg.sender];
        if (state.initialized) revert AlreadyInitialized(msg.sender);
        state.initialized = true;
        emit AccountInitialized(msg.sender);
        if (data.length == 0) return;
        if (data.length < 64) revert MalformedInstallData();
        uint256 offset = uint256(bytes32(data[0:32]));
        if (offset > data.length - 32) revert MalformedInstallData();
        uint256 count = uint256(bytes32(data[offset:offset + 32]));
        if (count > (data.length - offset - 32) / 32) revert MalformedInstallData();
        Session[] calldata sessions;
        assembly ("memory-safe") {
            sessions.offset := add(add(data.offset, offset), 32)
            sessions.length := count
        }
        for (uint256 i; i < sessions.length; ++i) {
            bytes memory packed = SessionPacking.packCalldata(sessions[i]);
            _createSession(msg.sender, keccak256(packed), packed, false);
        }
    }

    /// @notice Uninstalls the module for the calling account: every live session is revoked for ever
    ///         (so no counter can come back), used enable nonces stay used, and every enable grant not yet used
    ///         dies (the install generation moves on).
    /// @dev Never reverts, so an account can always remove the module: at most MAX_LIVE_SESSIONS records
    ///      are written.
    function onUninstall(bytes calldata) external {
        bytes32[] memory revokedSessions = _revokeAllLive(msg.sender);
        SessionStorage.AccountState storage state = SessionStorage.layout().accounts[msg.sender];
        state.initialized = false;
        // The next install is a new generation: every enable grant signed for this one dies. Wraps after 2^32
        // uninstalls rather than revert (an uninstall never reverts).
        unchecked {
            ++state.generation;
        }
        emit AccountReset(msg.sender, revokedSessions);
    }

    /// @notice True only for the validator module type (1).
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_VALIDATOR;
    }

    /// @inheritdoc ISessionKeyValidator
    function isInitialized(address account) external view returns (bool) {
        return SessionStorage.layout().accounts[account].initialized;
    }

    // ----- Validation -----

    /// @notice Validates an op signed by a session key and charges what it may spend.
    /// @dev Reverts with a custom error on any permission violation; returns SIG_VALIDATION_FAILED
    ///      (after every check) when the session key's signature is wrong; otherwise returns the
    ///      window (session window intersected with the named period) as validation data.
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash)
        external
        returns (uint256)
    {
        address account = msg.sender;
        uint256 env;
        uint256 s;
        bytes32 sessionId;
        {
            uint256 sender;
            bytes calldata signature;
            assembly ("memory-safe") {
                // userOp.sender (word 0) must be the caller (a dirty word cannot equal it); userOp.signature: its
                // offset is word 8 of the op. Reads past the calldata give zeros, and the envelope is
                // bounds-checked against its own length before anything is taken from it.
                sender := calldataload(userOp)
                let p := add(userOp, calldataload(add(userOp, 0x100)))
                signature.offset := add(p, 0x20)
                signature.length := calldataload(p)
                // userOp.initCode (offset in word 2) longer than 20 bytes and starting with the EIP-7702 marker
                // (0x7702 then 18 zero bytes) is an init call EntryPoint v0.8+ made the sender run before this
                // validation; a session key chose it, so the op is refused (rule 1). Shorter initCode (none, a bare
                // marker) costs only the length test.
                let initCode := add(userOp, calldataload(add(userOp, 0x40)))
                if gt(calldataload(initCode), 20) {
                    if eq(
                        shr(96, calldataload(add(initCode, 0x20))),
                        0x7702000000000000000000000000000000000000
                    ) {
                        mstore(0x00, shl(224, 0x1c6c6a3c)) // ISessionKeyValidator.Eip7702InitCallDenied()
                        revert(0x00, 0x04)
                    }
                }
            }
            if (sender != uint256(uint160(account))) revert SenderMismatch(userOp.sender, account);
            (env, s, sessionId) = SignatureEnvelope.parse(signature);
            if (SignatureEnvelope.isEnable(env)) {
                // The owner grants the carried packed session itself (its id); SessionFormat checks it when it is
                // created, as every session.
                (bytes memory packed, uint256 nonce, bytes calldata enableSignature) =
                    SignatureEnvelope.grant(signature);
                _enable(account, sessionId, packed, nonce, enableSignature);
            }
        }
        uint32 periodIndex = SignatureEnvelope.namedPeriod(env);
        // The signature is checked first but only reported at the end: a bad one still runs every check and
        // writes every counter (the EntryPoint then reverts the bundle), so estimation costs what the op costs.
        uint256 failed = _signatureFailed(userOpHash, sessionId, periodIndex, env, s);
        return failed | _authorize(userOp, account, sessionId, periodIndex, s);
    }

    /// @dev SIG_VALIDATION_FAILED unless the session key signed `opDigest(userOpHash, sessionId, periodIndex)`:
    ///      ECDSA with OpenZeppelin's tryRecover semantics (high-s, a bad v and ecrecover == 0 are failures).
    function _signatureFailed(
        bytes32 userOpHash,
        bytes32 sessionId,
        uint32 periodIndex,
        uint256 env,
        uint256 s
    ) private view returns (uint256 failed) {
        bytes32 typeHash = SignatureEnvelope.SESSION_OP_TYPEHASH;
        (uint8 v, bytes32 r, bytes32 sigS) = SignatureEnvelope.ecdsa(env);
        assembly ("memory-safe") {
            // opDigest (SignatureEnvelope.opDigest, hashed here in the same scratch memory at the free pointer),
            // then the ecrecover precompile (address 1) on it; ecrecover returns nothing for an invalid
            // signature, so the output word is cleared first.
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), userOpHash)
            mstore(add(m, 0x40), sessionId)
            mstore(add(m, 0x60), and(periodIndex, 0xffffffff))
            mstore(m, keccak256(m, 0x80))
            mstore(add(m, 0x20), v)
            mstore(add(m, 0x40), r)
            mstore(add(m, 0x60), sigS)
            mstore(0x00, 0)
            pop(staticcall(gas(), 1, m, 0x80, 0x00, 0x20))
            let signer := mload(0x00)
            let expected := shr(96, calldataload(s)) // signer: packed bytes 0..19
            failed := or(or(gt(sigS, MAX_S), iszero(signer)), iszero(eq(signer, expected))) // SIG_VALIDATION_FAILED = 1
        }
    }

    /// @notice Always rejects: a session key has no ERC-1271 signing power (rule 11).
    function isValidSignatureWithSender(address, bytes32, bytes calldata) external pure returns (bytes4) {
        return ERC1271_FAILED;
    }

    // ----- Views -----

    /// @inheritdoc ISessionKeyValidator
    function computeSessionId(Session calldata session) external pure returns (bytes32) {
        return keccak256(SessionPacking.packCalldata(session));
    }

    /// @inheritdoc ISessionKeyValidator
    function toPackedSession(Session calldata session) external pure returns (bytes memory) {
        return SessionPacking.packCalldata(session);
    }

    /// @inheritdoc ISessionKeyValidator
    function statusOf(address account, bytes32 sessionId) public view returns (uint8) {
        // A record is live only while the module is installed (an uninstall revokes every live one).
        return SessionStorage.status(SessionStorage.loadRecord(sessionId, account));
    }

    /// @inheritdoc ISessionKeyValidator
    function remainingOf(address account, Session calldata session, uint32 periodIndex)
        external
        view
        returns (Remaining memory r)
    {
        bytes32 sessionId = keccak256(SessionPacking.packCalldata(session));
        r = SessionWindow.remaining(account, session, sessionId, periodIndex);
        r.status = statusOf(account, sessionId);
    }

    /// @inheritdoc ISessionKeyValidator
    function opDigest(bytes32 userOpHash, bytes32 sessionId, uint32 periodIndex)
        external
        pure
        returns (bytes32)
    {
        return SignatureEnvelope.opDigest(userOpHash, sessionId, periodIndex);
    }

    /// @inheritdoc ISessionKeyValidator
    function enableDigest(address account, bytes32 sessionId, uint256 nonce) external view returns (bytes32) {
        return SignatureEnvelope.enableDigest(account, sessionId, nonce);
    }

    /// @inheritdoc ISessionKeyValidator
    function installGeneration(address account) external view returns (uint32) {
        return SessionStorage.layout().accounts[account].generation;
    }

    /// @inheritdoc ISessionKeyValidator
    function enableNonceUsed(address account, uint256 nonce) external view returns (bool) {
        // forge-lint: disable-next-line(incorrect-shift) -- `1 << bit` is intended: the bit of this nonce in its 256-nonce bitmap word
        return SessionStorage.layout().enableNonces[nonce >> 8][account] & (1 << (nonce & 0xff)) != 0;
    }

    // ----- Internal -----

    /// @dev Every permission check of an op and its charges (rules 1-9); returns the op's window as validation
    ///      data bits (SessionWindow.validationWindow).
    function _authorize(
        PackedUserOperation calldata userOp,
        address account,
        bytes32 sessionId,
        uint32 periodIndex,
        uint256 s
    ) private returns (uint256 window) {
        (uint256 record, uint256 recordSlot) = _activeRecord(account, sessionId);
        window = SessionWindow.validationWindow(s, sessionId, periodIndex);
        uint256 charges = _opCharges(userOp, account, sessionId, s);
        (uint256 fee, uint256 gas) = SessionCharging.bill(s, sessionId, userOp);
        // Charges every counter and emits the op's use event.
        SessionCharging.charge(account, sessionId, periodIndex, record, recordSlot, s, charges, fee, gas);
    }

    /// @dev What the op's calls spend (PermissionChecks `charges`) after rules 3-6: one ERC-20 spending call of a
    ///      limited token is decided in one pass (TokenCallFastPath); anything else, or any doubt, by the general
    ///      decoder and checks.
    function _opCharges(PackedUserOperation calldata userOp, address account, bytes32 sessionId, uint256 s)
        private
        view
        returns (uint256 charges)
    {
        bytes calldata callData;
        assembly ("memory-safe") {
            // userOp.callData: its offset is word 3 of the op (reads past the calldata give zeros; the decoder
            // checks every length against this one).
            let p := add(userOp, calldataload(add(userOp, 0x60)))
            callData.offset := add(p, 0x20)
            callData.length := calldataload(p)
        }
        if (callData.length == TokenCallFastPath.CALL_DATA_LENGTH) {
            charges = TokenCallFastPath.charges(s, _offsetOf(callData), account);
        }
        if (charges == 0) {
            (CallDecoder.Call[] memory calls, bool direct) = CallDecoder.decode(callData, account);
            charges = PermissionChecks.check(s, sessionId, calls, direct, account);
        }
    }

    /// @dev Enable in the first op: the owner's grant, checked by the account's ERC-1271, creates the
    ///      session once per nonce. The nonce's top 32 bits name the install generation the grant is for (the
    ///      digest covers the nonce), so a grant signed before the module was last uninstalled is refused.
    function _enable(
        address account,
        bytes32 sessionId,
        bytes memory packed,
        uint256 nonce,
        bytes calldata enableSignature
    ) private {
        _requireInitialized(account);
        uint256 generation = SessionStorage.layout().accounts[account].generation;
        if (nonce >> 224 != generation) {
            revert EnableGrantStale(account, sessionId, nonce >> 224, generation);
        }
        _consumeEnableNonce(account, nonce);
        bytes32 digest = SignatureEnvelope.enableDigest(account, sessionId, nonce);
        if (!_isValidSignature(account, digest, enableSignature)) {
            revert EnableSignatureInvalid(account, sessionId, nonce);
        }
        _createSession(account, sessionId, packed, true);
    }

    /// @dev `IERC1271(account).isValidSignature(digest, signature) == ERC1271_MAGIC`, with the call written out
    ///      without the `GAS` opcode (ERC-7562 OP-012 allows `GAS` only right before a call, and the IR compiler's
    ///      code for the high-level call put stack shuffles between them): it asks for all gas (`not(0)`), which the
    ///      EVM caps at all but 1/64 of what is left (EIP-150), exactly what forwarding `gas()` gives. Same outcomes
    ///      as the high-level call: a revert of the account is bubbled up, and a short or unclean return value
    ///      reverts without data.
    function _isValidSignature(address account, bytes32 digest, bytes calldata signature)
        private
        view
        returns (bool valid)
    {
        bytes4 selector = IERC1271.isValidSignature.selector;
        bytes4 magic = ERC1271_MAGIC;
        assembly ("memory-safe") {
            // isValidSignature(bytes32 digest, bytes signature), ABI-encoded at the free pointer (not claimed).
            let m := mload(0x40)
            let length := signature.length
            mstore(m, selector)
            mstore(add(m, 0x04), digest)
            mstore(add(m, 0x24), 0x40)
            mstore(add(m, 0x44), length)
            let padded := and(add(length, 31), not(31))
            mstore(add(add(m, 0x44), padded), 0) // zero padding of the last word
            calldatacopy(add(m, 0x64), signature.offset, length)
            let ok := staticcall(not(0), account, m, add(0x64, padded), 0x00, 0x20)
            if iszero(ok) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            let result := mload(0x00)
            // A bytes4 return value: at least one word whose low 28 bytes are zero.
            if or(lt(returndatasize(), 0x20), shl(32, result)) { revert(0, 0) }
            valid := eq(result, magic)
        }
    }

    /// @dev The calldata position of `data`'s first byte.
    function _offsetOf(bytes calldata data) private pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := data.offset
        }
    }

    /// @dev The record of an active session and its storage slot (kept so that charging writes it without
    ///      hashing the keys again); reverts for a missing, paused or revoked session.
    function _activeRecord(address account, bytes32 sessionId)
        private
        view
        returns (uint256 record, uint256 slot)
    {
        slot = SessionStorage.recordSlot(sessionId, account);
        assembly ("memory-safe") {
            record := sload(slot)
        }
        uint256 status = record & 0xff;
        if (status != SessionStorage.STATUS_ACTIVE) {
            if (status == SessionStorage.STATUS_PAUSED) revert SessionIsPaused(sessionId);
            if (status == SessionStorage.STATUS_REVOKED) revert SessionIsRevoked(sessionId);
            revert SessionNotFound(sessionId);
        }
    }
}
