// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";
import {
    EnableNonceUsed,
    EnableSignatureInvalid,
    SessionIsRevoked,
    NotInitialized,
    MalformedEnvelope,
    SessionAmountTooLarge,
    SessionEncodingNotCanonical
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

    /// @dev An enable op carrying the packed bytes `carried` then `tail` (nonce and owner signature), correctly
    ///      signed by the session key for the id of the carried bytes, `keccak256(carried)`.
    function _rawEnableOp(IEntryPoint ep, bytes memory carried, bytes memory tail)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(ep, tokenTransfer(1 ether), true);
        op.signature =
            rawEnvelope(FLAG_ENABLE, 0, sessionSignature(ep, op, keccak256(carried), 0), carried, tail);
    }

    function test_enable_worksOnceOnBothEntryPoints() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = idOf(s);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            address account = address(accountFor(ep));
            submit(ep, _enableOp(ep, s, NONCE, ownerEnableSignature(account, id, NONCE)));
            assertEq(module.statusOf(account, id), 1);
            assertTrue(module.enableNonceUsed(account, NONCE));
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
        assertEq(module.statusOf(account, idOf(s)), 0);
        assertFalse(module.enableNonceUsed(account, NONCE));
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

    /// @dev Bytes that are not the canonical packing of any session, granted by the owner under their own hash:
    ///      the same session under a second id would get fresh counters, so creation rejects them (before any
    ///      other format check: the first case also has a zero signer) and nothing is created or consumed.
    function test_enable_nonCanonicalBytesSignedByOwnerRejected() public {
        address account = address(accountV07);
        bytes[] memory variants = _nonCanonicalVariants(tokenSession(100 ether));
        for (uint256 i; i < variants.length; ++i) {
            bytes memory carried = variants[i];
            bytes32 id = keccak256(carried);
            assertTrue(id != idOf(tokenSession(100 ether)), "a second id");
            PackedUserOperation memory op = _rawEnableOp(
                entryPointV07, carried, enableTail(NONCE, ownerEnableSignature(account, id, NONCE))
            );
            expectModuleRevert(abi.encodeWithSelector(SessionEncodingNotCanonical.selector));
            submit(entryPointV07, op);
            assertEq(module.statusOf(account, id), 0);
        }
        assertFalse(module.enableNonceUsed(account, NONCE));
    }

    /// @dev Non-canonical packings of `s` (salt 0, no budget): every one is framed consistently (the envelope's
    ///      length check passes) and differs from `pack(s)` only in what canonical packing forbids:
    ///      0 zero signer and flag bit 7; 1 flag bit 5; 2 flag bit 6; 3 native bit with a zero word; 4 fee bit with
    ///      a zero word; 5 gas bit with a zero word; 6 salt bit with a zero word; 7 salt bit and a zero word with a
    ///      non-zero native word before it.
    function _nonCanonicalVariants(Session memory s) private pure returns (bytes[] memory v) {
        bytes memory p = SessionPacking.pack(s);
        assertEq(uint8(p[52]), 0, "no flag set");
        v = new bytes[](8);
        v[0] = _withFlags(p, 0x80);
        for (uint256 i; i < 20; ++i) {
            v[0][i] = 0x00;
        }
        v[1] = _withFlags(p, 0x20);
        v[2] = _withFlags(p, 0x40);
        v[3] = bytes.concat(_withFlags(p, 0x02), bytes32(0));
        v[4] = bytes.concat(_withFlags(p, 0x04), bytes32(0));
        v[5] = bytes.concat(_withFlags(p, 0x08), bytes32(0));
        v[6] = bytes.concat(_withFlags(p, 0x10), bytes32(0));
        v[7] = bytes.concat(_withFlags(p, 0x12), bytes32(uint256(1)), bytes32(0));
    }

    /// @dev A copy of `p` with `flags` as its header flags byte.
    function _withFlags(bytes memory p, uint8 flags) private pure returns (bytes memory out) {
        out = bytes.concat(p);
        out[52] = bytes1(flags);
    }

    /// @dev A granted session that fails the format checks (an allowance above 128 bits) meets them when it is
    ///      enabled, exactly as `grantSession` would reject it: the checks run on the carried bytes themselves.
    function test_enable_formatChecksRunOnTheCarriedSession() public {
        Session memory tooLarge = tokenSession(uint256(type(uint128).max) + 1);
        address account = address(accountV08);
        bytes32 id = idOf(tooLarge);
        bytes memory grant = ownerEnableSignature(account, id, NONCE);
        PackedUserOperation memory op = _enableOp(entryPointV08, tooLarge, NONCE, grant);
        bytes memory err =
            abi.encodeWithSelector(SessionAmountTooLarge.selector, uint256(type(uint128).max) + 1);
        expectModuleRevert(err);
        submit(entryPointV08, op);
        vm.prank(account);
        vm.expectRevert(err);
        module.grantSession(tooLarge);
        assertEq(module.statusOf(account, id), 0);
    }

    /// @dev An enable envelope needs its 32-byte nonce after the packed session: none, one byte or 31 bytes of it
    ///      are malformed. With the whole nonce and no owner signature it is well-formed but the grant is invalid;
    ///      with the full tail it works.
    function test_enable_missingOrCutNonceRejected() public {
        Session memory s = tokenSession(100 ether);
        address account = address(accountV07);
        bytes32 id = idOf(s);
        bytes memory full = enableTail(NONCE, ownerEnableSignature(account, id, NONCE));
        assertEq(full.length, 32 + 20 + 65, "nonce, validator, owner signature");
        uint256[3] memory cuts = [uint256(0), 1, 31];
        for (uint256 i; i < cuts.length; ++i) {
            PackedUserOperation memory op = _rawEnableOp(entryPointV07, packOf(s), _prefix(full, cuts[i]));
            expectModuleRevert(abi.encodeWithSelector(MalformedEnvelope.selector));
            submit(entryPointV07, op);
        }
        PackedUserOperation memory noSignature = _rawEnableOp(entryPointV07, packOf(s), _prefix(full, 32));
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV07, noSignature);
        // Every byte after the nonce is the owner's signature: one more byte or one less breaks it.
        PackedUserOperation memory longer =
            _rawEnableOp(entryPointV07, packOf(s), bytes.concat(full, hex"00"));
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV07, longer);
        PackedUserOperation memory shorter =
            _rawEnableOp(entryPointV07, packOf(s), _prefix(full, full.length - 1));
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV07, shorter);
        assertFalse(module.enableNonceUsed(account, NONCE));
        submit(entryPointV07, _rawEnableOp(entryPointV07, packOf(s), full));
        assertEq(module.statusOf(account, id), 1);
    }

    /// @dev The envelope carries the session once: an enable envelope that also appends the old ABI copy of a
    ///      bigger session only lengthens the owner signature, which then fails; the bigger session is not created.
    function test_enable_appendedAbiCopyIsNotASession() public {
        Session memory s = tokenSession(100 ether);
        Session memory bigger = tokenSession(1000 ether);
        address account = address(accountV07);
        bytes32 id = idOf(s);
        bytes memory tail =
            bytes.concat(enableTail(NONCE, ownerEnableSignature(account, id, NONCE)), abi.encode(bigger));
        PackedUserOperation memory op = _rawEnableOp(entryPointV07, packOf(s), tail);
        expectModuleRevert(abi.encodeWithSelector(EnableSignatureInvalid.selector, account, id, NONCE));
        submit(entryPointV07, op);
        assertEq(module.statusOf(account, id), 0);
        assertEq(module.statusOf(account, idOf(bigger)), 0);
    }

    function _prefix(bytes memory b, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i; i < length; ++i) {
            out[i] = b[i];
        }
    }
}
