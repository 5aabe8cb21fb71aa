// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {
    EnableNonceUsed,
    EnableSignatureInvalid,
    SessionIsRevoked,
    NotInitialized,
    MalformedEnvelope,
    SessionIdMismatch,
    SessionAmountTooLarge
} from "../../contracts/session/SessionErrors.sol";

/// @notice Enable in the first op (rule 13) and ERC-1271 (rule 11).
contract EnableGrantTest is SessionTestBase {
    uint256 private constant NONCE = 42;

    function _enableOp(IEntryPoint ep, Session memory s, uint256 nonce, bytes memory grant)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(ep, tokenTransfer(1 ether), true);
        signWith(ep, op, s, 0, sessionKey, FLAG_ENABLE, nonce, grant);
    }

    /// @dev An enable op claiming `id`, carrying the packed bytes `carried` then `tail` as its ABI tail, correctly
    ///      signed by the session key for `id`.
    function _rawEnableOp(IEntryPoint ep, bytes32 id, bytes memory carried, bytes memory tail)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(ep, tokenTransfer(1 ether), true);
        op.signature = rawEnvelope(id, FLAG_ENABLE, 0, sessionSignature(ep, op, id, 0), carried, tail);
    }

    function test_enable_worksOnceOnBothEntryPoints() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = idOf(s);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            address account = address(accountFor(ep));
            submit(ep, _enableOp(ep, s, NONCE, ownerEnableSignature(account, id, NONCE)));
            assertEq(module.sessionStatus(account, id), 1);
            assertTrue(module.isEnableNonceUsed(account, NONCE));
            // Replay of the grant fails: the nonce is used.
            PackedUserOperation memory op = _enableOp(ep, s, NONCE, ownerEnableSignature(account, id, NONCE));
            expectModuleRevert(abi.encodeWithSelector(EnableNonceUsed.selector, account, NONCE));
            submit(ep, op);
            // Plain ops keep working.
            submit(ep, sessionOp(ep, s, tokenTransfer(1 ether)));
        }
        assertEq(token.balanceOf(recipient), 4 ether);
    }

    /// @dev An account without the module cannot enable a session through it, even when it calls the module
    ///      directly (an OpenZeppelin account would not route the op at all): nothing is created or consumed.
    function test_enable_needsTheModuleInstalled() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV07);
        uninstall(accountV07);
        PackedUserOperation memory op =
            _enableOp(entryPointV07, s, NONCE, ownerEnableSignature(account, idOf(s), NONCE));
        bytes32 userOpHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(NotInitialized.selector, account));
        module.validateUserOp(op, userOpHash);
        assertEq(module.sessionStatus(account, idOf(s)), 0);
        assertFalse(module.isEnableNonceUsed(account, NONCE));
    }

    function test_enable_invalidatedNonceFails() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV07);
        vm.prank(account);
        module.invalidateEnableNonce(NONCE);
        PackedUserOperation memory op =
            _enableOp(entryPointV07, s, NONCE, ownerEnableSignature(account, idOf(s), NONCE));
        expectModuleRevert(abi.encodeWithSelector(EnableNonceUsed.selector, account, NONCE));
        submit(entryPointV07, op);
    }

    function test_enable_sessionKeySignedGrantFails() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV08);
        bytes32 id = idOf(s);
        bytes32 digest = module.enableDigest(account, id, NONCE);
        // Routed to the OwnerValidator: not the owner's key.
        bytes memory grant =
            abi.encodePacked(address(ownerValidator), UserOpLib.signDigest(sessionKey, digest));
        PackedUserOperation memory op = _enableOp(entryPointV08, s, NONCE, grant);
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV08, op);
        // Routed to this module: it never accepts an ERC-1271 signature.
        grant = abi.encodePacked(address(module), UserOpLib.signDigest(sessionKey, digest));
        op = _enableOp(entryPointV08, s, NONCE, grant);
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV08, op);
        assertEq(
            module.isValidSignatureWithSender(account, digest, UserOpLib.signDigest(sessionKey, digest)),
            bytes4(0xffffffff)
        );
    }

    function test_enable_grantForOtherAccountOrChainFails() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = idOf(s);
        address account = address(accountV07);
        bytes memory otherAccount = ownerEnableSignature(address(accountV08), id, NONCE);
        PackedUserOperation memory op = _enableOp(entryPointV07, s, NONCE, otherAccount);
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV07, op);
        bytes memory thisChain = ownerEnableSignature(account, id, NONCE);
        vm.chainId(999);
        op = _enableOp(entryPointV07, s, NONCE, thisChain);
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV07, op);
    }

    function test_enable_grantForOtherSessionFails() public {
        Session memory s = tokenSession(100 ether);
        Session memory bigger = tokenSession(1000 ether);
        address account = address(accountV07);
        // The owner granted `s`; the session key swaps in a bigger session: the grant does not cover it.
        bytes memory grant = ownerEnableSignature(account, idOf(s), NONCE);
        PackedUserOperation memory op = _enableOp(entryPointV07, bigger, NONCE, grant);
        expectModuleRevert(
            abi.encodeWithSelector(EnableSignatureInvalid.selector, account, idOf(bigger), NONCE)
        );
        submit(entryPointV07, op);
    }

    function test_enable_revokedIdCannotBeEnabled() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV08);
        vm.prank(account);
        module.revokeSession(idOf(s));
        PackedUserOperation memory op =
            _enableOp(entryPointV08, s, NONCE, ownerEnableSignature(account, idOf(s), NONCE));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, idOf(s)));
        submit(entryPointV08, op);
    }

    /// @dev The ABI session of the enable tail is the one created: it must be the packed session the op carries
    ///      (and its id names), or the owner's grant of one session would create another.
    function test_enable_abiSessionMustEqualPackedSession() public {
        Session memory s = tokenSession(100 ether);
        Session memory bigger = tokenSession(1000 ether);
        address account = address(accountV07);
        bytes32 id = idOf(s);
        bytes memory grant = ownerEnableSignature(account, id, NONCE);
        PackedUserOperation memory op =
            _rawEnableOp(entryPointV07, id, packOf(s), abi.encode(bigger, NONCE, grant));
        expectModuleRevert(abi.encodeWithSelector(SessionIdMismatch.selector, id, idOf(bigger)));
        submit(entryPointV07, op);
        // The other way round: the bigger session granted and carried, a smaller one in the ABI tail.
        bytes32 biggerId = idOf(bigger);
        grant = ownerEnableSignature(account, biggerId, NONCE);
        op = _rawEnableOp(entryPointV07, biggerId, packOf(bigger), abi.encode(s, NONCE, grant));
        expectModuleRevert(abi.encodeWithSelector(SessionIdMismatch.selector, biggerId, id));
        submit(entryPointV07, op);
        assertEq(module.sessionStatus(account, id), 0);
        assertEq(module.sessionStatus(account, biggerId), 0);
        assertFalse(module.isEnableNonceUsed(account, NONCE));
    }

    /// @dev A granted session that fails the format checks (an allowance above 128 bits) cannot be created by
    ///      carrying it packed while a valid session stands in the ABI tail, where the checks look.
    function test_enable_abiSessionCannotLaunderFormatChecks() public {
        Session memory tooLarge = tokenSession(uint256(type(uint128).max) + 1);
        Session memory valid = tokenSession(100 ether);
        address account = address(accountV08);
        bytes32 id = idOf(tooLarge);
        bytes memory grant = ownerEnableSignature(account, id, NONCE);
        PackedUserOperation memory op =
            _rawEnableOp(entryPointV08, id, packOf(tooLarge), abi.encode(valid, NONCE, grant));
        expectModuleRevert(abi.encodeWithSelector(SessionIdMismatch.selector, id, idOf(valid)));
        submit(entryPointV08, op);
        // Carried honestly, the same grant meets the format check.
        op = _rawEnableOp(entryPointV08, id, packOf(tooLarge), abi.encode(tooLarge, NONCE, grant));
        expectModuleRevert(
            abi.encodeWithSelector(SessionAmountTooLarge.selector, uint256(type(uint128).max) + 1)
        );
        submit(entryPointV08, op);
    }

    /// @dev An enable envelope needs its whole ABI tail: none, a head without the enable signature, or a tail
    ///      missing the enable signature's last byte is malformed.
    function test_enable_missingOrCutAbiTailRejected() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV07);
        bytes32 id = idOf(s);
        bytes memory grant = ownerEnableSignature(account, id, NONCE);
        bytes memory full = abi.encode(s, NONCE, grant);
        // Cut through the enable signature's last byte, not just its ABI padding.
        uint256 padding = (32 - grant.length % 32) % 32;
        bytes memory cut = new bytes(full.length - padding - 1);
        for (uint256 i; i < cut.length; ++i) {
            cut[i] = full[i];
        }
        bytes[3] memory tails = [bytes(""), abi.encode(uint256(0x60), NONCE, uint256(0x60)), cut];
        for (uint256 i; i < tails.length; ++i) {
            PackedUserOperation memory op = _rawEnableOp(entryPointV07, id, packOf(s), tails[i]);
            expectModuleRevert(abi.encodeWithSelector(MalformedEnvelope.selector));
            submit(entryPointV07, op);
        }
        submit(entryPointV07, _rawEnableOp(entryPointV07, id, packOf(s), full));
        assertEq(module.sessionStatus(account, id), 1);
    }
}
