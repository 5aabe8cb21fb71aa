// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {AccountTestBase} from "../utils/AccountTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {AcceptAllPaymaster} from "../fixtures/AcceptAllPaymaster.sol";
import {SessionKeyValidator} from "../../contracts/session/SessionKeyValidator.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    PeriodicAllowance,
    GRANT_ANY_TARGET,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";

/// @title SessionTestBase
/// @notice World for session tests: the module installed on both accounts (EntryPoint v0.7 and v0.8), a
///         funded AcceptAllPaymaster, a session key, and helpers to build sessions, envelopes and ops.
/// @dev Note: every op goes through the real EntryPoint's `handleOps`. A validation revert surfaces as
///      `FailedOpWithRevert(0, "AA23 reverted", inner)`; `expectModuleRevert(inner)` asserts the exact inner
///      custom error of the module.
abstract contract SessionTestBase is AccountTestBase {
    uint8 internal constant FLAG_ENABLE = 0x01;
    /// @dev Envelope bytes before the packed session: version, flags, period index, r, s, v.
    uint256 internal constant ENVELOPE_FIXED = 71;
    uint128 internal constant PM_VERIFICATION_GAS = 100_000;
    uint128 internal constant PM_POST_OP_GAS = 50_000;

    SessionKeyValidator internal module;
    AcceptAllPaymaster internal paymaster;
    address internal sessionSigner;
    uint256 internal sessionKey;
    address internal recipient;

    function setUp() public virtual override {
        super.setUp();
        module = new SessionKeyValidator();
        vm.label(address(module), "SessionKeyValidator");
        paymaster = new AcceptAllPaymaster();
        vm.label(address(paymaster), "AcceptAllPaymaster");
        vm.deal(address(this), 100 ether);
        paymaster.deposit{value: 10 ether}(entryPointV07);
        paymaster.deposit{value: 10 ether}(entryPointV08);
        install(accountV07);
        install(accountV08);
        (sessionSigner, sessionKey) = makeAddrAndKey("sessionKey");
        recipient = makeAddr("recipient");
    }

    // ----- Accounts -----

    /// @dev Installs the module on `account` (as the account itself).
    function install(TestAccount account) internal {
        vm.prank(address(account));
        account.installModule(1, address(module), "");
    }

    /// @dev Uninstalls the module from `account` (as the account itself).
    function uninstall(TestAccount account) internal {
        vm.prank(address(account));
        account.uninstallModule(1, address(module), "");
    }

    // ----- Sessions -----

    /// @dev A session for `sessionSigner` with no permission but the test paymaster.
    function baseSession() internal view returns (Session memory s) {
        s.signer = sessionSigner;
        s.paymasters = new address[](1);
        s.paymasters[0] = address(paymaster);
    }

    /// @dev A session allowed `transfer`/`approve` on the token with an erc20 allowance `amount`.
    function tokenSession(uint256 amount) internal view returns (Session memory s) {
        s = baseSession();
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.tokens = new TokenAllowance[](1);
        s.tokens[0] = TokenAllowance(address(token), amount);
    }

    /// @dev A session allowed plain transfers to `recipient` with a native allowance `amount`.
    function nativeSession(uint256 amount) internal view returns (Session memory s) {
        s = baseSession();
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(recipient, bytes4(0), 0);
        s.nativeAllowance = amount;
    }

    /// @dev One call grant.
    function grants(address target_, bytes4 selector, uint8 flags)
        internal
        pure
        returns (CallGrant[] memory g)
    {
        g = new CallGrant[](1);
        g[0] = CallGrant(target_, selector, flags);
    }

    /// @dev Creates `s` on `account` (as the account itself).
    function create(TestAccount account, Session memory s) internal returns (bytes32 id) {
        vm.prank(address(account));
        id = module.grantSession(s);
    }

    /// @dev The session id: `keccak256(pack(s))` (the packed encoding is pinned by PackedSession.t.sol).
    function idOf(Session memory s) internal pure returns (bytes32) {
        return SessionPacking.id(s);
    }

    /// @dev `execute` of the default-mode batch `[settle, ...inner, settle]` for session `s` in period 0 (rule 16: a
    ///      session that limits a token must settle ops calling contracts that may pull it).
    function settledBatch(Session memory s, Execution[] memory inner) internal view returns (bytes memory) {
        Execution[] memory calls = new Execution[](inner.length + 2);
        // settle(uint32,bytes) 0x9edb9baf with the op's period and the packed session its envelope carries.
        Execution memory settle =
            Execution(address(module), 0, abi.encodeWithSelector(0x9edb9baf, uint32(0), packOf(s)));
        calls[0] = settle;
        for (uint256 i; i < inner.length; ++i) {
            calls[i + 1] = inner[i];
        }
        calls[inner.length + 1] = settle;
        return UserOpLib.executeBatch(calls);
    }

    /// @dev The packed encoding of `s`, the bytes an op's envelope carries after its fixed part.
    function packOf(Session memory s) internal pure returns (bytes memory) {
        return SessionPacking.pack(s);
    }

    // ----- Ops -----

    /// @dev A sponsored op of session `s` in period 0, signed by the session key.
    function sessionOp(IEntryPoint ep, Session memory s, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = signedSessionOp(ep, s, callData, true);
    }

    /// @dev An op of session `s` (period 0) signed by the session key: sponsored by the test paymaster, or
    ///      self-paid (no paymaster: the account's deposit pays and the fee is charged to the session's fee budget).
    function signedSessionOp(IEntryPoint ep, Session memory s, bytes memory callData, bool sponsored)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(ep, callData, sponsored);
        sign(ep, op, s, 0, sessionKey);
    }

    /// @dev An op from the account of `ep` through the module's nonce key, sponsored or not.
    function unsignedOp(IEntryPoint ep, bytes memory callData, bool sponsored)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        address account = address(accountFor(ep));
        op = UserOpLib.newOp(account, UserOpLib.nextNonce(ep, account, address(module), 0), callData);
        if (sponsored) {
            op.paymasterAndData =
                UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        }
    }

    /// @dev Sets `op.signature` to a plain envelope of session `s` and period `periodIndex` signed by `key`.
    function sign(
        IEntryPoint ep,
        PackedUserOperation memory op,
        Session memory s,
        uint32 periodIndex,
        uint256 key
    ) internal view {
        signWith(ep, op, s, periodIndex, key, 0, 0, "");
    }

    /// @dev Sets `op.signature` to an envelope with `flags`, `enableNonce` and `enableSignature`.
    function signWith(
        IEntryPoint ep,
        PackedUserOperation memory op,
        Session memory s,
        uint32 periodIndex,
        uint256 key,
        uint8 flags,
        uint256 enableNonce,
        bytes memory enableSignature
    ) internal view {
        bytes32 id = idOf(s);
        bytes memory sig = UserOpLib.signDigest(key, module.opDigest(UserOpLib.hash(ep, op), id, periodIndex));
        op.signature = envelope(flags, periodIndex, sig, s, enableNonce, enableSignature);
    }

    /// @dev The v1 envelope bytes: the fixed part, `pack(s)`, and only with the ENABLE flag the enable tail
    ///      (`enableNonce` then `enableSignature`). The envelope names no id: it is the hash of the carried bytes.
    function envelope(
        uint8 flags,
        uint32 periodIndex,
        bytes memory sig65,
        Session memory s,
        uint256 enableNonce,
        bytes memory enableSignature
    ) internal pure returns (bytes memory) {
        bytes memory tail = flags & FLAG_ENABLE != 0 ? enableTail(enableNonce, enableSignature) : bytes("");
        return rawEnvelope(flags, periodIndex, sig65, packOf(s), tail);
    }

    /// @dev What follows the packed session in an enable envelope: the nonce (32 bytes) then the owner's
    ///      signature (every remaining byte).
    function enableTail(uint256 enableNonce, bytes memory enableSignature)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(enableNonce, enableSignature);
    }

    /// @dev Envelope bytes from their parts as given (version 0x01, flags, period index, signature, packed
    ///      session, tail), for tests that carry bytes other than a session's own.
    function rawEnvelope(
        uint8 flags,
        uint32 periodIndex,
        bytes memory sig65,
        bytes memory packedSession,
        bytes memory tail
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), flags, periodIndex, sig65, packedSession, tail);
    }

    /// @dev The session key's signature of `op` on `ep` for session `id` and period `periodIndex`.
    function sessionSignature(IEntryPoint ep, PackedUserOperation memory op, bytes32 id, uint32 periodIndex)
        internal
        view
        returns (bytes memory)
    {
        return UserOpLib.signDigest(sessionKey, module.opDigest(UserOpLib.hash(ep, op), id, periodIndex));
    }

    /// @dev The owner's enable grant for `id` on `account` with `nonce`, as the account's ERC-1271 wants it.
    function ownerEnableSignature(address account, bytes32 id, uint256 nonce)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodePacked(
            address(ownerValidator), UserOpLib.signDigest(ownerKey, module.enableDigest(account, id, nonce))
        );
    }

    /// @dev `handleOps([op])`.
    function submit(IEntryPoint ep, PackedUserOperation memory op) internal {
        UserOpLib.handleOne(ep, op, beneficiary);
    }

    /// @dev `handleOps([a, b])` in one bundle.
    function submitTwo(IEntryPoint ep, PackedUserOperation memory a, PackedUserOperation memory b) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](2);
        ops[0] = a;
        ops[1] = b;
        ep.handleOps(ops, beneficiary);
    }

    /// @dev Expects the next call to fail validation of op `index` with the module's revert `inner`.
    function expectModuleRevert(uint256 index, bytes memory inner) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IEntryPoint.FailedOpWithRevert.selector, index, "AA23 reverted", inner)
        );
    }

    /// @dev Expects the next call to fail validation of op 0 with the module's revert `inner`.
    function expectModuleRevert(bytes memory inner) internal {
        expectModuleRevert(0, inner);
    }

    /// @dev Expects the next call to fail with the EntryPoint's `reason` for op `index`.
    function expectEntryPointRevert(uint256 index, string memory reason) internal {
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, index, reason));
    }

    // ----- Call data -----

    /// @dev `execute` of one call.
    function single(address target_, uint256 value, bytes memory data) internal pure returns (bytes memory) {
        return UserOpLib.executeSingle(target_, value, data);
    }

    /// @dev `execute` of a token transfer to `recipient`.
    function tokenTransfer(uint256 amount) internal view returns (bytes memory) {
        return single(address(token), 0, abi.encodeCall(token.transfer, (recipient, amount)));
    }

    /// @dev `execute` of a batch of token transfers to `recipient`.
    function tokenTransfers(uint256[] memory amounts) internal view returns (bytes memory) {
        Execution[] memory calls = new Execution[](amounts.length);
        for (uint256 i; i < amounts.length; ++i) {
            calls[i] = Execution(address(token), 0, abi.encodeCall(token.transfer, (recipient, amounts[i])));
        }
        return UserOpLib.executeBatch(calls);
    }

    /// @dev `[a, b]`.
    function pair(uint256 a, uint256 b) internal pure returns (uint256[] memory values) {
        values = new uint256[](2);
        values[0] = a;
        values[1] = b;
    }
}
