// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "../session/SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Eip7702Account, InitCallerEip7702Account} from "../fixtures/Eip7702Account.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {
    Eip7702InitCallDenied,
    SessionIsRevoked,
    TokenAllowanceExceeded
} from "../../contracts/session/SessionErrors.sol";

interface ISenderCreatorSource {
    function senderCreator() external view returns (address);
}

/// @notice Sessions on an EOA delegated (EIP-7702) to an ERC-7579 account, on the real EntryPoint v0.8: the session
///         op with and without the 0x7702 initCode marker, over-allowance, enable in the first op through the EOA's
///         own ERC-1271, uninstall, and the refusal of a session op that carries an EIP-7702 init call.
/// @dev Note:
///      - The delegation is the EIP-7702 designator `0xef0100 ‖ delegate` written as the EOA's code under the
///        Prague rules (`vm.setEvmVersion("prague")`): what a type-4 transaction leaves behind.
///      - EntryPoint v0.8 hashes a marker op with the delegate in place of initCode, and with `initCode = 0x7702 ‖
///        data` has its SenderCreator call the EOA with `data` before validation.
contract Eip7702Test is SessionTestBase {
    bytes20 internal constant EIP7702_MARKER = bytes20(bytes2(0x7702));

    address internal eoa;
    uint256 internal eoaKey;
    Eip7702Account internal delegate;
    InitCallerEip7702Account internal initCallerDelegate;
    address internal attacker;

    function setUp() public override {
        super.setUp();
        vm.setEvmVersion("prague");
        (eoa, eoaKey) = makeAddrAndKey("eip7702Eoa");
        attacker = makeAddr("attacker");
        delegate = new Eip7702Account(address(entryPointV08));
        initCallerDelegate = new InitCallerEip7702Account(
            address(entryPointV08), ISenderCreatorSource(address(entryPointV08)).senderCreator()
        );
        delegateTo(address(delegate));
        vm.deal(eoa, 10 ether);
        token.mint(eoa, 1_000 ether);
        vm.prank(eoa);
        eoaAccount().installModule(1, address(module), "");
    }

    // ----- Sessions work on a delegated EOA -----

    function test_eip7702_sessionTransferWithinAllowance() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        submit(entryPointV08, eoaSessionOp(s, "", tokenTransfer(30 ether)));
        assertEq(token.balanceOf(recipient), 30 ether);
        assertEq(module.statusOf(eoa, id), 1);
    }

    function test_eip7702_bareMarkerIsAccepted() public {
        // The bare marker changes only the hash (the delegate stands in for initCode): no call is made.
        Session memory s = tokenSession(100 ether);
        grant(s);
        submit(entryPointV08, eoaSessionOp(s, abi.encodePacked(EIP7702_MARKER), tokenTransfer(30 ether)));
        assertEq(token.balanceOf(recipient), 30 ether);
    }

    function test_eip7702_overAllowanceRejected() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        submit(entryPointV08, eoaSessionOp(s, "", tokenTransfer(80 ether)));
        PackedUserOperation memory op = eoaSessionOp(s, "", tokenTransfer(30 ether));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 30 ether, 20 ether)
        );
        submit(entryPointV08, op);
        assertEq(token.balanceOf(recipient), 80 ether);
    }

    function test_eip7702_enableInFirstOpThroughTheEoaSignature() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = idOf(s);
        uint256 nonce = 7;
        bytes memory ownerSignature = UserOpLib.signDigest(eoaKey, module.enableDigest(eoa, id, nonce));
        PackedUserOperation memory op = eoaOp("", tokenTransfer(10 ether));
        signWith(entryPointV08, op, s, 0, sessionKey, FLAG_ENABLE, nonce, ownerSignature);
        submit(entryPointV08, op);
        assertEq(token.balanceOf(recipient), 10 ether);
        assertEq(module.statusOf(eoa, id), 1);
        assertTrue(module.enableNonceUsed(eoa, nonce));
    }

    function test_eip7702_uninstallKills() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        vm.prank(eoa);
        eoaAccount().uninstallModule(1, address(module), "");
        vm.prank(eoa);
        eoaAccount().installModule(1, address(module), "");
        PackedUserOperation memory op = eoaSessionOp(s, "", tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        submit(entryPointV08, op);
    }

    function test_eip7702_redelegationKeepsTheSession() public {
        // The module's records are keyed by the EOA's address: a new delegate that keeps the module installed (it
        // shares the ERC-7579 storage layout) still enforces what is left.
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        submit(entryPointV08, eoaSessionOp(s, "", tokenTransfer(60 ether)));
        delegateTo(address(initCallerDelegate));
        PackedUserOperation memory op = eoaSessionOp(s, "", tokenTransfer(50 ether));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 50 ether, 40 ether)
        );
        submit(entryPointV08, op);
    }

    // ----- The EIP-7702 init call -----

    function test_eip7702_initCallRunsBeforeValidation() public {
        // Why the module must refuse it: on a delegate that accepts its SenderCreator, the init call of an op signed
        // by the EOA's own key moves the tokens before the op is even validated.
        delegateTo(address(initCallerDelegate));
        PackedUserOperation memory op =
            UserOpLib.newOp(eoa, UserOpLib.nextNonce(entryPointV08, eoa, address(0), 0), tokenTransfer(0));
        op.initCode = drainInitCode();
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        op.signature = UserOpLib.signOp(entryPointV08, op, eoaKey);
        submit(entryPointV08, op);
        assertEq(token.balanceOf(attacker), 1_000 ether);
    }

    function test_eip7702_sessionKeyInitCallRefused() public {
        // A session key chooses its op's initCode: with `0x7702 ‖ execute(transfer everything)` it would drain the
        // account through the init call whatever the session allows. The module refuses the op, so the EntryPoint
        // reverts the bundle and the init call with it.
        delegateTo(address(initCallerDelegate));
        Session memory s = tokenSession(1 ether);
        grant(s);
        PackedUserOperation memory op = eoaSessionOp(s, drainInitCode(), tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(Eip7702InitCallDenied.selector));
        submit(entryPointV08, op);
        assertEq(token.balanceOf(attacker), 0);
        assertEq(token.balanceOf(eoa), 1_000 ether);
    }

    function test_eip7702_initCallRefusedForRootSessions() public {
        delegateTo(address(initCallerDelegate));
        Session memory s = baseSession();
        s.root = true;
        grant(s);
        PackedUserOperation memory op = eoaSessionOp(s, drainInitCode(), tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(Eip7702InitCallDenied.selector));
        submit(entryPointV08, op);
        assertEq(token.balanceOf(eoa), 1_000 ether);
    }

    function test_eip7702_harmlessInitCallIsRefusedToo() public {
        // Any data after the marker is a call the account runs before validation, even one that changes nothing.
        Session memory s = tokenSession(100 ether);
        grant(s);
        bytes memory initCode = abi.encodePacked(EIP7702_MARKER, abi.encodeWithSignature("accountId()"));
        PackedUserOperation memory op = eoaSessionOp(s, initCode, tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(Eip7702InitCallDenied.selector));
        submit(entryPointV08, op);
    }

    // ----- Helpers -----

    /// @dev Delegates the EOA to `implementation`: the EIP-7702 designator as its code.
    function delegateTo(address implementation) internal {
        vm.etch(eoa, abi.encodePacked(hex"ef0100", implementation));
        assertEq(eoa.code.length, 23);
    }

    /// @dev The EOA seen as the account it delegates to.
    function eoaAccount() internal view returns (Eip7702Account) {
        return Eip7702Account(payable(eoa));
    }

    /// @dev Creates `s` for the EOA (as the EOA itself).
    function grant(Session memory s) internal returns (bytes32 id) {
        vm.prank(eoa);
        id = module.grantSession(s);
    }

    /// @dev `0x7702 ‖ execute(token.transfer(attacker, all the EOA's tokens))`.
    function drainInitCode() internal view returns (bytes memory) {
        return abi.encodePacked(
            EIP7702_MARKER,
            single(address(token), 0, abi.encodeCall(token.transfer, (attacker, token.balanceOf(eoa))))
        );
    }

    /// @dev An unsigned sponsored op from the EOA through the module's nonce key with `initCode`.
    function eoaOp(bytes memory initCode, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = UserOpLib.newOp(eoa, UserOpLib.nextNonce(entryPointV08, eoa, address(module), 0), callData);
        op.initCode = initCode;
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
    }

    /// @dev `eoaOp` signed by the session key for session `s` in period 0.
    function eoaSessionOp(Session memory s, bytes memory initCode, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = eoaOp(initCode, callData);
        sign(entryPointV08, op, s, 0, sessionKey);
    }
}
