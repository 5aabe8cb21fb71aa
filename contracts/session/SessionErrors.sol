// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SessionErrors
/// @notice Every custom error of the session-key validator, in one file.
/// @dev Note:
///      - A permission violation reverts with the error that names the permission, and, for
///        spending limits, the amount the op asked for and the amount that was left.
///      - `index` in call errors is the position of the call inside the op's batch (0 for a single
///        call or a direct account function).

// ----- Account lifecycle -----

/// @dev The module is not installed on (initialized for) `account`.
error NotInitialized(address account);
/// @dev `onInstall` was called by an account that already has the module initialized.
error AlreadyInitialized(address account);
/// @dev `onInstall` data is neither empty nor `abi.encode(Session[])`.
error MalformedInstallData();
/// @dev `validateUserOp` was called by `caller` for an op whose sender is `sender`.
error SenderMismatch(address sender, address caller);
/// @dev A session op's `initCode` is the EIP-7702 marker (0x7702 padded to 20 bytes) followed by data: EntryPoint
///      v0.8+ would have the sender run that data (from its SenderCreator) before validation. Only the bare
///      20-byte (or shorter) marker is accepted from a session key. Validation raises it in assembly, so no
///      `revert` names it: ISessionKeyValidator declares the same error to put it into the module's ABI
///      (tests/session/ErrorAbi.t.sol checks the two selectors are equal).
error Eip7702InitCallDenied();

// ----- Signature envelope -----

/// @dev The signature envelope is shorter than its fixed part and the packed session's header, does not end
///      where its packed session ends (without ENABLE), or has no room for the enable nonce (with ENABLE).
error MalformedEnvelope();
/// @dev The envelope's version byte is not 0x01.
error UnsupportedEnvelopeVersion(uint8 version);
/// @dev The envelope's flags byte has a bit other than ENABLE set.
error UnsupportedEnvelopeFlags(uint8 flags);

// ----- Session state -----

/// @dev No session with this id was ever created for the account.
error SessionNotFound(bytes32 sessionId);
/// @dev `account` already holds `max` live (active or paused) sessions; revoke one to create another.
error TooManyLiveSessions(address account, uint256 max);
/// @dev The session is paused.
error SessionIsPaused(bytes32 sessionId);
/// @dev The session is revoked (permanently: by the account, or by an uninstall of the module).
error SessionIsRevoked(bytes32 sessionId);
/// @dev The session is not paused (resume of an active session).
error SessionNotPaused(bytes32 sessionId);
/// @dev A live session with this id already exists for the account.
error SessionAlreadyExists(bytes32 sessionId);

// ----- Enable grants -----

/// @dev The enable nonce was already used or invalidated by the account.
error EnableNonceUsed(address account, uint256 nonce);
/// @dev The account's ERC-1271 check rejected the owner's enable grant.
error EnableSignatureInvalid(address account, bytes32 sessionId, uint256 nonce);
/// @dev The enable grant's nonce names install generation `grantGeneration` (its top 32 bits), but the module is in
///      install `generation` on `account` (every uninstall kills the grants of its install): the owner must sign a
///      new grant whose nonce starts with the current generation (`installGeneration(account)`).
error EnableGrantStale(address account, bytes32 sessionId, uint256 grantGeneration, uint256 generation);

// ----- Session format (checked at grantSession / enable) -----

/// @dev The session key is the zero address.
error SessionSignerZero();
/// @dev `validAfter > validUntil` with a non-zero `validUntil`, or a time from 2^47 on (bit 47 would make
///      EntryPoint v0.9 read the window as block numbers): use times below 2^47.
error SessionWindowInvalid(uint48 validAfter, uint48 validUntil);
/// @dev A list of the session exceeds its documented cap (`field`: 0 calls, 1 accountSelectors,
///      2 tokens, 3 periodic, 4 paymasters).
error SessionListTooLong(uint8 field, uint256 length, uint256 max);
/// @dev An allowance or budget exceeds `type(uint128).max` (the counters are 128 bits wide).
error SessionAmountTooLarge(uint256 amount);
/// @dev The same asset appears twice in `tokens` or in `periodic`, or `NATIVE_ASSET` is in `tokens`.
error SessionAssetInvalid(address asset);
/// @dev Periodic allowances or a rate limit need `period > 0`.
error SessionPeriodRequired();
/// @dev A call grant has a flag bit other than ANY_TARGET / ANY_SELECTOR.
error SessionGrantFlagsInvalid(uint8 flags);
/// @dev The packed session of an enable grant is not the canonical packing of any session (SessionFormat).
error SessionEncodingNotCanonical();

// ----- Op shape (rules 1 and 2) -----

/// @dev `userOp.callData` is shorter than a selector.
error CallDataTooShort(uint256 length);
/// @dev The op's top-level selector is a wrapper the module rejects (`executeFromExecutor`, `executeUserOp`).
error WrapperSelectorDenied(bytes4 selector);
/// @dev The execution mode's call type is neither single (0x00) nor batch (0x01).
error UnsupportedCallType(uint8 callType);
/// @dev The execution mode's exec type is neither default (0x00) nor try (0x01).
error UnsupportedExecType(uint8 execType);
/// @dev The execution mode has non-zero bytes outside call type and exec type.
error ModeNotDefault(bytes32 mode);
/// @dev The execute calldata is not canonically ABI-encoded; `position` is the offending byte offset.
error NonCanonicalCallData(uint256 position);
/// @dev A batch with no call.
error EmptyBatch();
/// @dev A batch with more calls than `MAX_BATCH_CALLS`.
error BatchTooLarge(uint256 count, uint256 max);
/// @dev A call's data is 1 to 3 bytes long (no selector, not empty).
error CallDataWithoutSelector(uint256 index);

// ----- Call permissions (rules 3, 4 and 6) -----

/// @dev The call hits a hard denial (the module, an EntryPoint, or a self-call wrapper).
error CallDenied(uint256 index, address target, bytes4 selector);
/// @dev No `call` or `account-functions` grant of the session matches the call.
error CallNotGranted(uint256 index, address target, bytes4 selector);
/// @dev The call is matched only by an ANY-target grant and its target is a module installed on the account.
error CallToInstalledModule(uint256 index, address target);
/// @dev A non-spending selector on a limited token without a grant that names both token and selector.
error TokenCallNotExplicit(uint256 index, address token, bytes4 selector);
/// @dev A spending call on a limited token (or Permit2) whose arguments are not canonically encoded.
error TokenCallMalformed(uint256 index, address token, bytes4 selector);
/// @dev A Permit2 batch transfer in a session that limits tokens (its movements cannot be charged).
error Permit2BatchDenied(uint256 index);
/// @dev The op charges `charged` entries of the session's `tokens` and `periodic` lists, more than the `max` one op
///      may (rule 15 bounds the counters one validation writes): split the batch into several ops.
error TooManyAssetsCharged(bytes32 sessionId, uint256 charged, uint256 max);

// ----- Spending (rules 5 to 8) -----

/// @dev Native value in a session with no native allowance.
error NativeValueNotAllowed(bytes32 sessionId, uint256 value);
/// @dev The op's native value exceeds what is left of the native allowance.
error NativeAllowanceExceeded(bytes32 sessionId, uint256 asked, uint256 left);
/// @dev The op's amount of `token` exceeds what is left of its erc20 allowance.
error TokenAllowanceExceeded(bytes32 sessionId, address token, uint256 asked, uint256 left);
/// @dev The op's amount of `asset` exceeds what is left of its allowance in `periodIndex`.
error PeriodicAllowanceExceeded(
    bytes32 sessionId, address asset, uint32 periodIndex, uint256 asked, uint256 left
);
/// @dev The session already sent `limit` ops in `periodIndex`.
error RateLimitExceeded(bytes32 sessionId, uint32 periodIndex, uint32 limit);
/// @dev The session already sent `maxUses` ops.
error UsesExhausted(bytes32 sessionId, uint32 maxUses);
/// @dev An unsponsored op in a session with no fee budget.
error UnsponsoredNotAllowed(bytes32 sessionId);
/// @dev The op's maximum fee exceeds what is left of the fee budget.
error FeeBudgetExceeded(bytes32 sessionId, uint256 asked, uint256 left);
/// @dev The op's gas limits exceed what is left of the gas budget.
error GasBudgetExceeded(bytes32 sessionId, uint256 asked, uint256 left);
/// @dev The op's paymaster is not in the session's paymaster list.
error PaymasterNotAllowed(bytes32 sessionId, address paymaster);
/// @dev `paymasterAndData` is non-empty but shorter than the 52 bytes every EntryPoint requires.
error PaymasterDataMalformed(uint256 length);

// ----- Time (rule 9) -----

/// @dev A period index was given for a session without a periodic schedule.
error PeriodIndexNotAllowed(bytes32 sessionId, uint32 periodIndex);
/// @dev The period starts after the largest timestamp the EntryPoint can represent.
error PeriodOutOfRange(bytes32 sessionId, uint32 periodIndex);
/// @dev The period's window and the session's window do not intersect.
error WindowEmpty(bytes32 sessionId, uint32 periodIndex);
