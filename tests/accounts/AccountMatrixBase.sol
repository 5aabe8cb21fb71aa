// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {EntryPointDeployer} from "../utils/EntryPointDeployer.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {OwnerValidator} from "../fixtures/OwnerValidator.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {RecordingTarget} from "../fixtures/RecordingTarget.sol";
import {AcceptAllPaymaster} from "../fixtures/AcceptAllPaymaster.sol";
import {SessionKeyValidator} from "../../contracts/session/SessionKeyValidator.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";
import {AccountKind, AccountFormats} from "./AccountFormats.sol";
import {AccountDeployer} from "./AccountDeployer.sol";
import {IMatrixAccount} from "./AccountInterfaces.sol";

/// @title AccountMatrixBase
/// @notice World for the account matrix: the real EntryPoint v0.7, one account of `accountKind()` deployed from
///         the real bytecode the way its factory does (owner = an OwnerValidator key), the module, a token, a
///         call recorder and a paymaster; helpers that speak each account's formats (AccountFormats).
/// @dev Note: every op goes through the real EntryPoint's `handleOps`; installs, grants, pauses and uninstalls
///      are owner ops, as a user would send them. EntryPoint v0.7 only: MSAAdvanced and Safe7579 hard-code it.
abstract contract AccountMatrixBase is AccountDeployer {
    uint8 internal constant FLAG_ENABLE = 0x01;
    uint128 internal constant PM_VERIFICATION_GAS = 100_000;
    uint128 internal constant PM_POST_OP_GAS = 50_000;
    uint256 internal constant ACCOUNT_TOKENS = 1_000_000 ether;

    IEntryPoint internal ep;
    AccountKind internal kind;
    address internal account;
    OwnerValidator internal ownerValidator;
    SessionKeyValidator internal module;
    MockERC20 internal token;
    RecordingTarget internal target;
    AcceptAllPaymaster internal paymaster;
    address internal owner;
    uint256 internal ownerKey;
    address internal sessionSigner;
    uint256 internal sessionKey;
    address internal recipient;
    address payable internal beneficiary;

    /// @dev The account implementation under test.
    function accountKind() internal pure virtual returns (AccountKind);

    function setUp() public virtual {
        ep = deployEntryPointV07();
        kind = accountKind();
        (owner, ownerKey) = makeAddrAndKey("owner");
        (sessionSigner, sessionKey) = makeAddrAndKey("sessionKey");
        recipient = makeAddr("recipient");
        beneficiary = payable(makeAddr("beneficiary"));
        ownerValidator = new OwnerValidator();
        module = new SessionKeyValidator();
        token = new MockERC20("Mock Token", "MOCK");
        target = new RecordingTarget();
        paymaster = new AcceptAllPaymaster();
        vm.deal(address(this), 1000 ether);
        paymaster.deposit{value: 10 ether}(ep);

        account = deployAccount(kind, ep, address(ownerValidator), abi.encode(owner), ownerKey);
        vm.label(account, "account");
        vm.deal(account, 100 ether);
        ep.depositTo{value: 10 ether}(account);
        token.mint(account, ACCOUNT_TOKENS);
    }

    // ----- Owner ops -----

    /// @dev An owner op (the OwnerValidator, Kernel's root) with `callData`, signed.
    function ownerOp(bytes memory callData) internal view returns (PackedUserOperation memory op) {
        uint192 key = AccountFormats.nonceKey(kind, address(ownerValidator), true);
        op = UserOpLib.newOp(account, ep.getNonce(account, key), callData);
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
    }

    /// @dev Submits an owner op that calls `to` with `data` through `execute`.
    function ownerCall(address to, bytes memory data) internal {
        UserOpLib.handleOne(ep, ownerOp(UserOpLib.executeSingle(to, 0, data)), beneficiary);
    }

    /// @dev Installs the module with `data` (empty or `abi.encode(Session[])`) by an owner op.
    function installModule(bytes memory data) internal {
        UserOpLib.handleOne(ep, ownerOp(installCall(data)), beneficiary);
    }

    /// @dev The account call data `installModule(1, module, ·)` for this kind.
    function installCall(bytes memory data) internal view returns (bytes memory) {
        return abi.encodeCall(
            IMatrixAccount.installModule, (1, address(module), AccountFormats.installData(kind, data))
        );
    }

    /// @dev Uninstalls the module by an owner op.
    function uninstallModule() internal {
        bytes memory data = AccountFormats.uninstallData(kind, account, address(module));
        UserOpLib.handleOne(
            ep,
            ownerOp(abi.encodeCall(IMatrixAccount.uninstallModule, (1, address(module), data))),
            beneficiary
        );
    }

    /// @dev Creates `s` by an owner op calling `grantSession`.
    function grant(Session memory s) internal returns (bytes32 id) {
        ownerCall(address(module), abi.encodeCall(module.grantSession, (s)));
        id = SessionPacking.id(s);
        assertEq(uint256(module.statusOf(account, id)), 1, "session active after grant");
    }

    // ----- Sessions -----

    /// @dev A session for the session key, sponsored by the test paymaster only, no permission.
    function baseSession() internal view returns (Session memory s) {
        s.signer = sessionSigner;
        s.paymasters = new address[](1);
        s.paymasters[0] = address(paymaster);
    }

    /// @dev `transfer`/`approve` on the token, `amount` in total.
    function tokenSession(uint256 amount) internal view returns (Session memory s) {
        s = baseSession();
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.tokens = new TokenAllowance[](1);
        s.tokens[0] = TokenAllowance(address(token), amount);
    }

    // ----- Session ops -----

    /// @dev A sponsored op of session `s` through the module's nonce key for this kind, signed by the key.
    function sessionOp(Session memory s, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedSessionOp(callData);
        op.signature = sessionOpSignature(s, op);
    }

    /// @dev The plain envelope of session `s`, period 0, signed by the session key over `op`.
    function sessionOpSignature(Session memory s, PackedUserOperation memory op)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = module.opDigest(UserOpLib.hash(ep, op), SessionPacking.id(s), 0);
        return abi.encodePacked(
            uint8(1), uint8(0), uint32(0), UserOpLib.signDigest(sessionKey, digest), SessionPacking.pack(s)
        );
    }

    /// @dev A sponsored op of session `s` that enables it in the same op: the owner's grant signed the way this
    ///      account's ERC-1271 routes it to the OwnerValidator.
    function enableOp(Session memory s, uint256 enableNonce, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedSessionOp(callData);
        bytes32 id = SessionPacking.id(s);
        bytes32 grantHash =
            AccountFormats.erc1271Hash(kind, account, module.enableDigest(account, id, enableNonce));
        bytes memory ownerSig = AccountFormats.erc1271Signature(
            kind, address(ownerValidator), UserOpLib.signDigest(ownerKey, grantHash)
        );
        bytes memory sig = UserOpLib.signDigest(sessionKey, module.opDigest(UserOpLib.hash(ep, op), id, 0));
        op.signature = abi.encodePacked(
            uint8(1), FLAG_ENABLE, uint32(0), sig, SessionPacking.pack(s), enableNonce, ownerSig
        );
    }

    /// @dev An unsigned, sponsored op through the module's nonce key.
    function unsignedSessionOp(bytes memory callData) internal view returns (PackedUserOperation memory op) {
        uint192 key = AccountFormats.nonceKey(kind, address(module), false);
        op = UserOpLib.newOp(account, ep.getNonce(account, key), callData);
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
    }

    /// @dev `handleOps([op])`.
    function submit(PackedUserOperation memory op) internal {
        UserOpLib.handleOne(ep, op, beneficiary);
    }

    /// @dev Expects the next `handleOps` to fail validation with the module's revert `inner`, as this account
    ///      lets it out: Safe7579 re-raises every validator revert as `ExecutionFailed()`.
    function expectModuleRevert(bytes memory inner) internal {
        bytes memory seen =
            kind == AccountKind.Safe7579 ? abi.encodeWithSignature("ExecutionFailed()") : inner;
        vm.expectRevert(
            abi.encodeWithSelector(IEntryPoint.FailedOpWithRevert.selector, 0, "AA23 reverted", seen)
        );
    }

    // ----- Call data -----

    /// @dev `execute` of a token transfer of `amount` to `recipient`.
    function tokenTransfer(uint256 amount) internal view returns (bytes memory) {
        return UserOpLib.executeSingle(address(token), 0, abi.encodeCall(token.transfer, (recipient, amount)));
    }

    /// @dev `execute` of a batch of two token transfers.
    function tokenTransfers(uint256 a, uint256 b) internal view returns (bytes memory) {
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(token), 0, abi.encodeCall(token.transfer, (recipient, a)));
        calls[1] = Execution(address(token), 0, abi.encodeCall(token.transfer, (recipient, b)));
        return UserOpLib.executeBatch(calls);
    }
}
