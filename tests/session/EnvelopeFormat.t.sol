// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {
    MalformedEnvelope,
    UnsupportedEnvelopeVersion,
    UnsupportedEnvelopeFlags,
    SessionNotFound
} from "../../contracts/session/SessionErrors.sol";

/// @notice The framing of a plain (non-enable) v1 envelope: 71 fixed bytes then the packed session, every
///         byte to the end (a cut or a trailing byte makes other bytes, whose id no session has). The envelope names no id: the op's session is the hash of the
///         carried bytes. An attacker holding the session key of a granted session edits the carried bytes (more
///         rights, fewer limits, trailing data, a cut) and signs every variant correctly, for the granted id and
///         for the id of the edited bytes: only the granted session's exact encoding validates.
/// @dev Note: ops are validated by calling the module directly as the account (what the EntryPoint's call
///      reaches), so each case asserts the module's exact error; EnvelopeEntryPoint cases go through handleOps.
contract EnvelopeFormatTest is SessionTestBase {
    uint256 private constant FIXED = 71;
    uint256 private constant HEADER = 58;
    uint256 private constant FLAGS_AT = 52;
    uint256 private constant CALLS_COUNT_AT = 53;
    uint256 private constant TOKENS_COUNT_AT = 54;
    uint256 private constant PAYMASTERS_COUNT_AT = 56;
    uint256 private constant EDIT_ROOT = 0;
    uint256 private constant SELECTORS_COUNT_AT = 57;
    uint256 private constant EDITS = 11;

    Session private _granted;
    bytes32 private _grantedId;

    function setUp() public override {
        super.setUp();
        Session memory s = tokenSession(100 ether);
        _granted = s;
        _grantedId = create(accountV07, s);
    }

    // ----- The exact encoding -----

    function test_envelope_exactEncodingValidates() public {
        bytes memory p = packOf(_granted);
        assertEq(p.length, HEADER + 25 + 52 + 20, "one call, one token, one paymaster, no salt word");
        assertEq(_grantedId, keccak256(p), "id is the hash of the carried bytes");
        PackedUserOperation memory op = _signed(_grantedId, p, "");
        assertEq(op.signature.length, FIXED + p.length);
        assertEq(_validate(op) & 1, 0, "validates");
        submit(entryPointV07, _signed(_grantedId, p, ""));
        assertEq(token.balanceOf(recipient), 1 ether);
    }

    // ----- Length -----

    /// @dev Bytes after the packed session of a plain envelope: one byte, a word, a second copy of the session,
    ///      an enable tail (nonce and owner signature) without the ENABLE flag, and an ABI copy of the session.
    ///      The module takes every byte after the fixed part as the session (it measures no header on a plain
    ///      envelope), so each variant names the id of those bytes, which no session has.
    function test_envelope_trailingBytesRejected() public {
        bytes memory p = packOf(_granted);
        bytes memory grant = ownerEnableSignature(address(accountV07), _grantedId, 1);
        bytes[5] memory tails = [bytes(hex"00"), new bytes(32), p, enableTail(1, grant), abi.encode(_granted)];
        for (uint256 i; i < tails.length; ++i) {
            bytes32 carried = keccak256(bytes.concat(p, tails[i]));
            assertTrue(carried != _grantedId);
            _expectRejected(
                _signed(_grantedId, p, tails[i]), abi.encodeWithSelector(SessionNotFound.selector, carried)
            );
            // Signed for the id of the bytes it carries, the same.
            _expectRejected(
                _signed(carried, p, tails[i]), abi.encodeWithSelector(SessionNotFound.selector, carried)
            );
        }
    }

    /// @dev Every cut of a valid envelope, from empty to one byte short: below the fixed part and the packed
    ///      header the envelope is malformed; from there on the bytes after the fixed part are a session no one
    ///      created (the id of those bytes is not found).
    function test_envelope_everyTruncationRejected() public {
        PackedUserOperation memory op = _signed(_grantedId, packOf(_granted), "");
        bytes memory full = op.signature;
        for (uint256 length; length < full.length; ++length) {
            op.signature = _prefix(full, length);
            if (length < FIXED + HEADER) {
                _expectRejected(op, abi.encodeWithSelector(MalformedEnvelope.selector));
            } else {
                bytes32 carried = keccak256(_suffix(op.signature, FIXED));
                _expectRejected(op, abi.encodeWithSelector(SessionNotFound.selector, carried));
            }
        }
    }

    /// @dev Below 71 + 58 bytes the length is rejected before the version and flags are read.
    function test_envelope_shortRejectedBeforeVersionAndFlags() public {
        PackedUserOperation memory op = _signed(_grantedId, packOf(_granted), "");
        bytes memory bad = op.signature;
        bad[0] = 0x02;
        bad[1] = 0x80;
        op.signature = _prefix(bad, FIXED + HEADER - 1);
        _expectRejected(op, abi.encodeWithSelector(MalformedEnvelope.selector));
        op.signature = bad;
        _expectRejected(op, abi.encodeWithSelector(UnsupportedEnvelopeVersion.selector, 2));
    }

    function test_envelope_versionAndFlagsChecked() public {
        bytes memory p = packOf(_granted);
        uint8[3] memory versions = [0x00, 0x02, 0xff];
        for (uint256 i; i < versions.length; ++i) {
            PackedUserOperation memory op = _signed(_grantedId, p, "");
            op.signature[0] = bytes1(versions[i]);
            _expectRejected(op, abi.encodeWithSelector(UnsupportedEnvelopeVersion.selector, versions[i]));
        }
        uint8[4] memory flags = [0x02, 0x10, 0x80, 0x03];
        for (uint256 i; i < flags.length; ++i) {
            PackedUserOperation memory op = _signed(_grantedId, p, "");
            op.signature[1] = bytes1(flags[i]);
            _expectRejected(op, abi.encodeWithSelector(UnsupportedEnvelopeFlags.selector, flags[i]));
        }
    }

    // ----- Edited header and lists -----

    /// @dev Every edit names the session of the edited bytes, never granted: whether the key signed the op for
    ///      the granted id (a replayed signature) or for the edited bytes' own id, it is not found.
    function test_envelope_editsNotFoundWhateverTheSignedId() public {
        for (uint256 edit; edit < EDITS; ++edit) {
            bytes memory p = _edited(edit);
            bytes32 id = keccak256(p);
            bytes memory err = abi.encodeWithSelector(SessionNotFound.selector, id);
            _expectRejected(_signed(_grantedId, p, ""), err);
            _expectRejected(_signed(id, p, ""), err);
        }
    }

    /// @dev Another session granted to the same key and account, its bytes carried in an op the key signed for
    ///      the first one (and the reverse): the op is validated as the carried session, whose id the signature
    ///      does not cover, so it fails (SIG_VALIDATION_FAILED; the EntryPoint rejects it). Neither session
    ///      lends its limits to an op signed for the other.
    function test_envelope_otherGrantedSessionsBytesFailTheSignature() public {
        Session memory other = tokenSession(1000 ether);
        other.salt = keccak256("other");
        bytes32 otherId = create(accountV07, other);
        assertEq(
            _validate(_signed(_grantedId, packOf(other), "")) & 1, 1, "other's bytes, granted's signature"
        );
        assertEq(
            _validate(_signed(otherId, packOf(_granted), "")) & 1, 1, "granted's bytes, other's signature"
        );
        PackedUserOperation memory op = _signed(_grantedId, packOf(other), "");
        expectEntryPointRevert(0, "AA24 signature error");
        submit(entryPointV07, op);
        assertEq(token.balanceOf(recipient), 0);
    }

    /// @dev The root-bit edit through the real EntryPoint, on both versions, signed for the granted id.
    function test_envelope_editedRootBitThroughEntryPoints() public {
        create(accountV08, _granted);
        bytes memory p = _edited(EDIT_ROOT);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            PackedUserOperation memory op =
                unsignedOp(eps[i], single(address(target), 0, hex"cafebabe"), true);
            bytes memory sig65 = sessionSignature(eps[i], op, _grantedId, 0);
            op.signature = rawEnvelope(0, 0, sig65, p, "");
            expectModuleRevert(abi.encodeWithSelector(SessionNotFound.selector, keccak256(p)));
            submit(eps[i], op);
        }
        assertEq(target.callCount(), 0);
    }

    // ----- Edits -----

    /// @dev The granted session's encoding with one edit, each framed consistently (the header's counts and
    ///      flags describe the edited length), so only the id can tell it from a granted session:
    ///      0 root bit set; 1 native bit set with a zero word; 2 fee bit set with a zero word; 3 native bit set
    ///      with a non-zero word; 4 salt bit set with a zero word; 5 flag bit 7; 6 paymasters count bumped with a
    ///      paymaster added after the listed one; 7 token allowance dropped (count and entry); 8 an ANY-target
    ///      ANY-selector grant added; 9 accountSelectors count bumped with a selector appended; 10 salt bit set
    ///      with a non-zero salt word (the same permissions under another salt).
    function _edited(uint256 edit) private view returns (bytes memory p) {
        p = packOf(_granted);
        // tokenSession: header | 1 call | 1 token | 1 paymaster (no periodic, no account selector, no budget or
        // salt word), so an added paymaster, selector, budget or salt word goes at the end.
        uint256 tokensAt = HEADER + 25;
        uint256 end = p.length;
        assertEq(uint8(p[FLAGS_AT]), 0, "no flag set");
        if (edit == 0) p[FLAGS_AT] |= 0x01;
        if (edit == 1) p = _setBitAndInsert(p, 0x02, end, new bytes(32));
        if (edit == 2) p = _setBitAndInsert(p, 0x04, end, new bytes(32));
        if (edit == 3) p = _setBitAndInsert(p, 0x02, end, abi.encode(type(uint128).max));
        if (edit == 4) p = _setBitAndInsert(p, 0x10, end, new bytes(32));
        if (edit == 5) p[FLAGS_AT] |= 0x80;
        if (edit == 6) {
            p[PAYMASTERS_COUNT_AT] = bytes1(uint8(p[PAYMASTERS_COUNT_AT]) + 1);
            p = _splice(p, end, 0, abi.encodePacked(bytes20(keccak256("attacker paymaster"))));
        }
        if (edit == 7) {
            p[TOKENS_COUNT_AT] = 0x00;
            p = _splice(p, tokensAt, 52, "");
        }
        if (edit == 8) {
            p[CALLS_COUNT_AT] = bytes1(uint8(p[CALLS_COUNT_AT]) + 1);
            p = _splice(p, tokensAt, 0, abi.encodePacked(address(0), bytes4(0), uint8(0x03)));
        }
        if (edit == 9) {
            p[SELECTORS_COUNT_AT] = bytes1(uint8(p[SELECTORS_COUNT_AT]) + 1);
            p = bytes.concat(p, bytes4(0xe9ae5c53));
        }
        if (edit == 10) p = _setBitAndInsert(p, 0x10, end, abi.encode(keccak256("another salt")));
        assertTrue(keccak256(p) != _grantedId, "edit changes the bytes");
    }

    function _setBitAndInsert(bytes memory p, uint8 bit, uint256 at, bytes memory word)
        private
        pure
        returns (bytes memory)
    {
        p[FLAGS_AT] |= bytes1(bit);
        return _splice(p, at, 0, word);
    }

    /// @dev `p` with `removed` bytes at `at` replaced by `inserted`.
    function _splice(bytes memory p, uint256 at, uint256 removed, bytes memory inserted)
        private
        pure
        returns (bytes memory)
    {
        return bytes.concat(_prefix(p, at), inserted, _suffix(p, at + removed));
    }

    // ----- Helpers -----

    /// @dev A sponsored token-transfer op on EntryPoint v0.7 whose envelope carries `p` then `tail`, signed by
    ///      the session key for session `id` (the envelope itself names no id).
    function _signed(bytes32 id, bytes memory p, bytes memory tail)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(entryPointV07, tokenTransfer(1 ether), true);
        op.signature = rawEnvelope(0, 0, sessionSignature(entryPointV07, op, id, 0), p, tail);
    }

    /// @dev `validateUserOp` called as the account, as the EntryPoint would.
    function _validate(PackedUserOperation memory op) private returns (uint256) {
        bytes32 opHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(address(accountV07));
        return module.validateUserOp(op, opHash);
    }

    function _expectRejected(PackedUserOperation memory op, bytes memory err) private {
        bytes32 opHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(address(accountV07));
        vm.expectRevert(err);
        module.validateUserOp(op, opHash);
    }

    function _prefix(bytes memory b, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i; i < length; ++i) {
            out[i] = b[i];
        }
    }

    function _suffix(bytes memory b, uint256 from) private pure returns (bytes memory out) {
        out = new bytes(b.length - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = b[from + i];
        }
    }
}
