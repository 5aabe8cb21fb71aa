// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {SessionKeyValidator} from "../../contracts/session/SessionKeyValidator.sol";
import {ISessionKeyValidator} from "../../contracts/session/interfaces/ISessionKeyValidator.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";

/// @title SessionOpsHandler
/// @notice TEST ONLY. The forge invariant campaign's actor: every call sends exactly one session op (an
///         ERC-20 transfer, a native transfer, or a batch of both, amounts around what the session has
///         left; ops with a native transfer are settled, rule 16) through the real EntryPoint's `handleOps`, and counts it.
/// @dev Note:
///      - Security assumptions: none; it holds the session key of a test session.
///      - A call never reverts (a refused op is caught and counted as sent, not accepted), so the
///        campaign's call count equals the number of ops sent.
///      - After each op it reads the module's `remainingOf` view and records whether any counter grew back
///        (MONOTONE); the invariant contract asserts the flag and the ledger.
contract SessionOpsHandler {
    uint128 private constant PM_VERIFICATION_GAS = 100_000;
    uint128 private constant PM_POST_OP_GAS = 50_000;

    IEntryPoint public immutable entryPoint;
    SessionKeyValidator public immutable module;
    address public immutable account;
    MockERC20 public immutable token;
    address public immutable recipient;
    bytes32 public immutable sessionId;
    uint256 private immutable _sessionKey;
    address payable private immutable _beneficiary;
    bytes private _sessionBlob;
    bytes private _packedSession;
    bytes private _paymasterAndData;

    /// @notice Ops sent through `handleOps`.
    uint256 public opsSent;
    /// @notice Ops the EntryPoint accepted (validated and executed).
    uint256 public opsAccepted;
    /// @notice Set when a counter of the `remainingOf` view ever grew back.
    bool public monotoneBroken;

    uint256 private _lastTokenLeft;
    uint256 private _lastNativeLeft;
    uint256 private _lastUsesLeft;

    /// @param entryPoint_ The EntryPoint the account uses.
    /// @param module_ The session module installed on the account.
    /// @param account_ The account the session belongs to.
    /// @param token_ The limited token.
    /// @param recipient_ Where every transfer goes.
    /// @param session_ The granted session.
    /// @param sessionKey_ The session key.
    /// @param paymaster_ The paymaster the session lists.
    /// @param beneficiary_ Who receives `handleOps` fees.
    constructor(
        IEntryPoint entryPoint_,
        SessionKeyValidator module_,
        address account_,
        MockERC20 token_,
        address recipient_,
        Session memory session_,
        uint256 sessionKey_,
        address paymaster_,
        address payable beneficiary_
    ) {
        entryPoint = entryPoint_;
        module = module_;
        account = account_;
        token = token_;
        recipient = recipient_;
        _sessionKey = sessionKey_;
        _beneficiary = beneficiary_;
        _sessionBlob = abi.encode(session_);
        _packedSession = SessionPacking.pack(session_);
        sessionId = keccak256(_packedSession);
        _paymasterAndData =
            UserOpLib.packPaymasterAndData(paymaster_, PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        ISessionKeyValidator.Remaining memory left = module_.remainingOf(account_, session_, 0);
        (_lastTokenLeft, _lastNativeLeft, _lastUsesLeft) =
        (left.tokensLeft[0], left.nativeLeft, left.usesLeft);
    }

    /// @notice Sends one op transferring an amount of the token chosen by `seed` around what is left.
    /// @param seed Picks the amount.
    function transferToken(uint256 seed) external {
        uint256 amount = _around(seed, _lastTokenLeft);
        _send(UserOpLib.executeSingle(address(token), 0, abi.encodeCall(token.transfer, (recipient, amount))));
    }

    /// @notice Sends one op with a plain native transfer of an amount chosen by `seed` around what is left.
    /// @param seed Picks the amount.
    function sendNative(uint256 seed) external {
        Execution[] memory calls = new Execution[](1);
        calls[0] = Execution(recipient, _around(seed, _lastNativeLeft), "");
        _send(_settled(calls));
    }

    /// @notice Sends one op whose batch holds a token transfer and a native transfer.
    /// @param tokenSeed Picks the token amount.
    /// @param nativeSeed Picks the native amount.
    function sendBatch(uint256 tokenSeed, uint256 nativeSeed) external {
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(
            address(token),
            0,
            abi.encodeCall(token.transfer, (recipient, _around(tokenSeed, _lastTokenLeft / 2)))
        );
        calls[1] = Execution(recipient, _around(nativeSeed, _lastNativeLeft / 2), "");
        _send(_settled(calls));
    }

    /// @dev `[settle, ...inner, settle]` (rule 16: the session limits a token, and a call to `recipient` is not a
    ///      token call, so the module requires the op to be settled; the token transfer inside is then charged by
    ///      validation and again by settlement, which only makes the ledger tighter).
    function _settled(Execution[] memory inner) private view returns (bytes memory) {
        Execution[] memory calls = new Execution[](inner.length + 2);
        // settle(uint32,bytes) 0x9edb9baf for period 0 and the packed session the envelope carries.
        Execution memory settle =
            Execution(address(module), 0, abi.encodeWithSelector(0x9edb9baf, uint32(0), _packedSession));
        calls[0] = settle;
        for (uint256 i; i < inner.length; ++i) {
            calls[i + 1] = inner[i];
        }
        calls[inner.length + 1] = settle;
        return UserOpLib.executeBatch(calls);
    }

    /// @notice The granted session.
    function session() public view returns (Session memory) {
        return abi.decode(_sessionBlob, (Session));
    }

    /// @dev 0, 1, left - 1, left, left + 1 or an arbitrary amount up to twice what is left.
    function _around(uint256 seed, uint256 left) private pure returns (uint256) {
        uint256 pick = seed % 6;
        if (pick == 0) return 0;
        if (pick == 1) return 1;
        if (pick == 2) return left == 0 ? 0 : left - 1;
        if (pick == 3) return left;
        if (pick == 4) return left + 1;
        return (seed >> 8) % (2 * left + 2);
    }

    /// @dev Signs and submits one sponsored op with `callData`, then checks the counters only shrank.
    function _send(bytes memory callData) private {
        Session memory s = session();
        PackedUserOperation memory op =
            UserOpLib.newOp(account, UserOpLib.nextNonce(entryPoint, account, address(module), 0), callData);
        op.paymasterAndData = _paymasterAndData;
        bytes memory sig =
            UserOpLib.signDigest(_sessionKey, module.opDigest(UserOpLib.hash(entryPoint, op), sessionId, 0));
        op.signature = abi.encodePacked(uint8(1), uint8(0), uint32(0), sig, _packedSession);
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        ++opsSent;
        try entryPoint.handleOps(ops, _beneficiary) {
            ++opsAccepted;
        } catch {}
        ISessionKeyValidator.Remaining memory left = module.remainingOf(account, s, 0);
        if (
            left.tokensLeft[0] > _lastTokenLeft || left.nativeLeft > _lastNativeLeft
                || left.usesLeft > _lastUsesLeft
        ) {
            monotoneBroken = true;
        }
        (_lastTokenLeft, _lastNativeLeft, _lastUsesLeft) =
        (left.tokensLeft[0], left.nativeLeft, left.usesLeft);
    }
}
