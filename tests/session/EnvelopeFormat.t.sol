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
    SessionIdMismatch,
    SessionNotFound
} from "../../contracts/session/SessionErrors.sol";

/// @notice The framing of a plain (non-enable) v1 envelope: 103 fixed bytes then exactly the packed session,
///         whose length the packed header states. An attacker holding the session key of a granted session
///         edits the carried bytes (more rights, fewer limits, trailing data, a cut) and signs every variant
///         correctly, under the granted id and under the id of the edited bytes: only the granted session's
///         exact encoding validates.
/// @dev Note: ops are validated by calling the module directly as the account (what the EntryPoint's call
///      reaches), so each case asserts the module's exact error; EnvelopeEntryPoint cases go through handleOps.
contract EnvelopeFormatTest is SessionTestBase {
    uint256 private constant FIXED = 103;
    uint256 private constant HEADER = 58;
    uint256 private constant FLAGS_AT = 52;
    uint256 private constant CALLS_COUNT_AT = 53;
    uint256 private constant TOKENS_COUNT_AT = 54;
    uint256 private constant PAYMASTERS_COUNT_AT = 56;
    uint256 private constant EDIT_ROOT = 0;
    uint256 private constant EDITS = 10;

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
        assertEq(p.length, HEADER + 25 + 52 + 20 + 32, "one call, one token, one paymaster");
        assertEq(_grantedId, keccak256(p), "id is the hash of the carried bytes");
        PackedUserOperation memory op = _signed(_grantedId, p, "");
        assertEq(op.signature.length, FIXED + p.length);
        assertEq(_validate(op) & 1, 0, "validates");
        submit(entryPointV07, _signed(_grantedId, p, ""));
        assertEq(token.balanceOf(recipient), 1 ether);
    }

    // ----- Length -----

    /// @dev Bytes after the packed session of a plain envelope: one byte, a word, a second copy of the session,
    ///      and the ABI tail the previous envelope format carried.
    function test_envelope_trailingBytesRejected() public {
        bytes memory p = packOf(_granted);
        bytes[4] memory tails =
            [bytes(hex"00"), new bytes(32), p, abi.encode(_granted, uint256(0), bytes(""))];
        for (uint256 i; i < tails.length; ++i) {
            _expectRejected(
                _signed(_grantedId, p, tails[i]), abi.encodeWithSelector(MalformedEnvelope.selector)
            );
        }
    }

    /// @dev Every cut of a valid envelope, from empty to one byte short.
    function test_envelope_everyTruncationRejected() public {
        PackedUserOperation memory op = _signed(_grantedId, packOf(_granted), "");
        bytes memory full = op.signature;
        for (uint256 length; length < full.length; ++length) {
            op.signature = _prefix(full, length);
            _expectRejected(op, abi.encodeWithSelector(MalformedEnvelope.selector));
        }
    }

    /// @dev Below 103 + 58 bytes the length is rejected before the version and flags are read.
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

    /// @dev Under the granted id, every edit is a mismatch between the claimed id and the carried bytes, checked
    ///      before anything is read from them.
    function test_envelope_editsUnderGrantedIdMismatch() public {
        for (uint256 edit; edit < EDITS; ++edit) {
            bytes memory p = _edited(edit);
            _expectRejected(
                _signed(_grantedId, p, ""),
                abi.encodeWithSelector(SessionIdMismatch.selector, _grantedId, keccak256(p))
            );
        }
    }

    /// @dev Under the id of the edited bytes (correctly signed), every edit names a session never granted.
    function test_envelope_editsUnderTheirOwnIdNotFound() public {
        for (uint256 edit; edit < EDITS; ++edit) {
            bytes memory p = _edited(edit);
            bytes32 id = keccak256(p);
            _expectRejected(_signed(id, p, ""), abi.encodeWithSelector(SessionNotFound.selector, id));
        }
    }

    /// @dev Another session granted to the same account, carried under the first one's id (and the reverse): the
    ///      key of both cannot borrow the other's limits.
    function test_envelope_otherGrantedSessionUnderClaimedId() public {
        Session memory other = tokenSession(1000 ether);
        other.salt = keccak256("other");
        bytes32 otherId = create(accountV07, other);
        _expectRejected(
            _signed(_grantedId, packOf(other), ""),
            abi.encodeWithSelector(SessionIdMismatch.selector, _grantedId, otherId)
        );
        _expectRejected(
            _signed(otherId, packOf(_granted), ""),
            abi.encodeWithSelector(SessionIdMismatch.selector, otherId, _grantedId)
        );
    }

    /// @dev The same attack through the real EntryPoint, on both versions.
    function test_envelope_editedRootBitThroughEntryPoints() public {
        create(accountV08, _granted);
        bytes memory p = _edited(EDIT_ROOT);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            PackedUserOperation memory op =
                unsignedOp(eps[i], single(address(target), 0, hex"cafebabe"), true);
            bytes memory sig65 = sessionSignature(eps[i], op, _grantedId, 0);
            op.signature = rawEnvelope(_grantedId, 0, 0, sig65, p, "");
            expectModuleRevert(abi.encodeWithSelector(SessionIdMismatch.selector, _grantedId, keccak256(p)));
            submit(eps[i], op);
        }
        assertEq(target.callCount(), 0);
    }

    // ----- Edits -----

    /// @dev The granted session's encoding with one edit, each framed consistently (the header's counts and
    ///      flags describe the edited length), so only the id can tell it from a granted session:
    ///      0 root bit set; 1 native bit set with a zero word; 2 fee bit set with a zero word; 3 native bit set
    ///      with a non-zero word; 4 flag bit 4; 5 flag bit 7; 6 paymasters count bumped with a paymaster
    ///      added after the listed one; 7 token allowance dropped (count and entry); 8 an ANY-target
    ///      ANY-selector grant added; 9 paymasters count bumped with 20 bytes appended after the salt.
    function _edited(uint256 edit) private view returns (bytes memory p) {
        p = packOf(_granted);
        // tokenSession: header | 1 call | 1 token | 1 paymaster | salt (no periodic, no account selector, no
        // budget word), so the budget words and the next paymaster would go right before the salt.
        uint256 tokensAt = HEADER + 25;
        uint256 saltAt = p.length - 32;
        if (edit == 0) p[FLAGS_AT] |= 0x01;
        if (edit == 1) p = _setBitAndInsert(p, 0x02, saltAt, new bytes(32));
        if (edit == 2) p = _setBitAndInsert(p, 0x04, saltAt, new bytes(32));
        if (edit == 3) p = _setBitAndInsert(p, 0x02, saltAt, abi.encode(type(uint128).max));
        if (edit == 4) p[FLAGS_AT] |= 0x10;
        if (edit == 5) p[FLAGS_AT] |= 0x80;
        if (edit == 6) {
            p[PAYMASTERS_COUNT_AT] = bytes1(uint8(p[PAYMASTERS_COUNT_AT]) + 1);
            p = _splice(p, saltAt, 0, abi.encodePacked(bytes20(keccak256("attacker paymaster"))));
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
            p[PAYMASTERS_COUNT_AT] = bytes1(uint8(p[PAYMASTERS_COUNT_AT]) + 1);
            p = bytes.concat(p, bytes20(keccak256("appended")));
        }
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

    /// @dev A sponsored token-transfer op on EntryPoint v0.7 whose envelope claims `id`, carries `p` then `tail`,
    ///      and is correctly signed by the session key for `id`.
    function _signed(bytes32 id, bytes memory p, bytes memory tail)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(entryPointV07, tokenTransfer(1 ether), true);
        op.signature = rawEnvelope(id, 0, 0, sessionSignature(entryPointV07, op, id, 0), p, tail);
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
