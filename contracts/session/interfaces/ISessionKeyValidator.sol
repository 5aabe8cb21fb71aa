// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC7579Validator} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Session} from "../SessionTypes.sol";

/// @title ISessionKeyValidator
/// @notice The session-key validator's external interface beyond ERC-7579 (see
///         docs/session-key-validator.md and notes/MODULE_INTERFACE.md).
/// @dev Note: every state-changing function acts on `msg.sender` as the account. Validation
///      (`validateUserOp`) follows ERC-7562: it touches only storage associated with the account,
///      never reads the clock, and calls only the account itself.
interface ISessionKeyValidator is IERC7579Validator {
    /// @dev `Eip7702InitCallDenied` of SessionErrors.sol (a session op whose `initCode` is the EIP-7702 marker
    ///      followed by data), declared again here because validation raises it in assembly: solc lists in a
    ///      contract's ABI only the errors a `revert` statement names or the contract or a base declares, and this
    ///      is what puts it into the module's ABI (viem's `decodeErrorResult`, leash's decoders). Declaring it only
    ///      here would do, but moving it out of SessionErrors.sol renumbers the compiler's AST and, through the IR
    ///      optimizer, grows the module by 932 bytes for the same gas. tests/session/ErrorAbi.t.sol checks that
    ///      both declarations name the selector validation writes.
    error Eip7702InitCallDenied();

    /// @notice What is left of a session, for apps. `type(uint256).max` means "no limit".
    /// @dev `tokensLeft[i]` is for `session.tokens[i]`, `periodicLeft[i]` for `session.periodic[i]` in
    ///      the asked period. `validAfter`/`validUntil` is the window an op of that period would get
    ///      (validUntil 0 = no expiry). Limits of a session that is not active still report their
    ///      counters; check `status` first.
    struct Remaining {
        uint8 status;
        uint256 usesLeft;
        uint256 nativeLeft;
        uint256[] tokensLeft;
        uint256[] periodicLeft;
        uint256 rateLeft;
        uint256 feeLeft;
        uint256 gasLeft;
        uint48 validAfter;
        uint48 validUntil;
    }

    /// @notice Whether the module is installed on `account`.
    function isInitialized(address account) external view returns (bool);

    /// @notice Creates `session` for the calling account and returns its id.
    function grantSession(Session calldata session) external returns (bytes32 sessionId);

    /// @notice Pauses an active session of the calling account.
    function pauseSession(bytes32 sessionId) external;

    /// @notice Resumes a paused session of the calling account.
    function resumeSession(bytes32 sessionId) external;

    /// @notice Revokes a session id of the calling account forever (also an id never created yet).
    function revokeSession(bytes32 sessionId) external;

    /// @notice Marks an enable nonce of the calling account as used, so no grant with it can work.
    function invalidateEnableNonce(uint256 nonce) external;

    /// @notice The id of `session`: `keccak256(toPackedSession(session))`.
    function computeSessionId(Session calldata session) external pure returns (bytes32);

    /// @notice The packed encoding of `session` (SessionPacking): the bytes its id hashes and an op's
    ///         envelope carries. Reverts `SessionListTooLong(field, length, 255)` for a list of over 255 entries.
    function toPackedSession(Session calldata session) external pure returns (bytes memory);

    /// @notice The status of a session: 0 none, 1 active, 2 paused, 3 revoked.
    function statusOf(address account, bytes32 sessionId) external view returns (uint8);

    /// @notice What is left of `session` on `account` in period `periodIndex`.
    function remainingOf(address account, Session calldata session, uint32 periodIndex)
        external
        view
        returns (Remaining memory);

    /// @notice The digest a session key signs for an op.
    function opDigest(bytes32 userOpHash, bytes32 sessionId, uint32 periodIndex)
        external
        pure
        returns (bytes32);

    /// @notice The EIP-712 digest an owner signs to enable `sessionId` on `account` with `nonce`. The nonce's top
    ///         32 bits must be the account's `installGeneration`: a grant works only in the install it was signed for.
    function enableDigest(address account, bytes32 sessionId, uint256 nonce) external view returns (bytes32);

    /// @notice The install generation of the module on `account`: how many times it was uninstalled. An enable
    ///         grant's nonce must carry it in its top 32 bits (`generation << 224 | n`).
    function installGeneration(address account) external view returns (uint32);

    /// @notice Whether an enable nonce of `account` is used (consumed or invalidated).
    function enableNonceUsed(address account, uint256 nonce) external view returns (bool);
}
