// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {MalformedEnvelope, SessionNotFound} from "../../contracts/session/SessionErrors.sol";

/// @notice Whatever follows the 71 fixed bytes of a plain envelope, a correctly signed op validates only when
///         those bytes are exactly the granted session's packed encoding: random bytes, consistently framed
///         random sessions, one flipped byte, a cut or an extension, each signed by the session key for the
///         granted id and for the id of the carried bytes.
/// @dev Note: the module is called directly as the account. A rejection must be one of the envelope's own
///      errors (MalformedEnvelope, SessionNotFound(keccak256(carried))), never a panic or an out-of-bounds read.
contract EnvelopeFuzzTest is SessionTestBase {
    uint256 private constant HEADER = 58;
    uint256 private constant FLAGS_AT = 52;
    uint256 private constant COUNTS_AT = 53;

    Session private _granted;
    bytes32 private _grantedId;

    function setUp() public override {
        super.setUp();
        Session memory s = tokenSession(100 ether);
        _granted = s;
        _grantedId = create(accountV07, s);
    }

    /// @dev Positive control: the exact encoding validates, signed for the granted id.
    function test_envelopeFuzz_exactEncodingValidates() public {
        PackedUserOperation memory op = _signed(_grantedId, packOf(_granted));
        bytes32 opHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(address(accountV07));
        assertEq(module.validateUserOp(op, opHash) & 1, 0);
    }

    function testFuzz_envelope_randomBytesNeverValidate(bytes memory carried, bool ownId) public {
        vm.assume(keccak256(carried) != _grantedId);
        _assertRejected(carried, ownId);
    }

    /// @dev Random sessions whose header (valid flag bits, non-zero budget and salt words, counts up to 8)
    ///      describes their length exactly: framing passes, so the id of the carried bytes alone must reject them.
    function testFuzz_envelope_framedRandomSessionNeverValidates(bytes32 seed, bool ownId) public {
        bytes memory carried = _framed(seed);
        vm.assume(keccak256(carried) != _grantedId);
        bytes32 id = ownId ? keccak256(carried) : _grantedId;
        bytes memory err = abi.encodeWithSelector(SessionNotFound.selector, keccak256(carried));
        PackedUserOperation memory op = _signed(id, carried);
        bytes32 opHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(address(accountV07));
        vm.expectRevert(err);
        module.validateUserOp(op, opHash);
    }

    function testFuzz_envelope_flippedByteNeverValidates(uint256 position, uint8 mask, bool ownId) public {
        mask = uint8(bound(mask, 1, 255));
        bytes memory carried = packOf(_granted);
        position = bound(position, 0, carried.length - 1);
        carried[position] ^= bytes1(mask);
        _assertRejected(carried, ownId);
    }

    function testFuzz_envelope_cutOrExtendedNeverValidates(uint256 cut, bytes memory extra, bool ownId)
        public
    {
        bytes memory p = packOf(_granted);
        cut = bound(cut, 0, p.length);
        bytes memory carried = new bytes(cut);
        for (uint256 i; i < cut; ++i) {
            carried[i] = p[i];
        }
        carried = bytes.concat(carried, extra);
        vm.assume(keccak256(carried) != _grantedId);
        _assertRejected(carried, ownId);
    }

    // ----- Helpers -----

    /// @dev Signs an op carrying `carried` for the granted id or for its own, and requires a revert with one of
    ///      the envelope's errors (a session not found is the one of the carried bytes).
    function _assertRejected(bytes memory carried, bool ownId) private {
        bytes32 id = ownId ? keccak256(carried) : _grantedId;
        PackedUserOperation memory op = _signed(id, carried);
        bytes32 opHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(address(accountV07));
        try module.validateUserOp(op, opHash) returns (uint256) {
            fail("an op carrying other bytes than the granted session validated");
        } catch (bytes memory reason) {
            // forge-lint: disable-next-line(unsafe-typecast) -- the selector: the first 4 bytes of the revert data
            bytes4 selector = bytes4(reason);
            assertTrue(
                reason.length == 4 && selector == MalformedEnvelope.selector
                    || keccak256(reason)
                        == keccak256(abi.encodeWithSelector(SessionNotFound.selector, keccak256(carried))),
                "rejected by an envelope error"
            );
        }
    }

    /// @dev A random packed session framed consistently from `seed`: header counts in header order (calls,
    ///      tokens, periodic, paymasters, accountSelectors), the lists, then one word per flag bit 1..4 (the
    ///      budgets and the salt).
    function _framed(bytes32 seed) private pure returns (bytes memory p) {
        uint256 w = uint256(keccak256(abi.encode(seed, "header")));
        uint256 flags = w & 0x1f;
        uint256[5] memory counts = [(w >> 8) % 9, (w >> 16) % 9, (w >> 24) % 9, (w >> 32) % 9, (w >> 40) % 9];
        uint256 words = ((flags >> 1) & 1) + ((flags >> 2) & 1) + ((flags >> 3) & 1) + ((flags >> 4) & 1);
        uint256 listsLength = 25 * counts[0] + 52 * (counts[1] + counts[2]) + 20 * counts[3] + 4 * counts[4];
        p = bytes.concat(
            _randomBytes(seed, FLAGS_AT),
            new bytes(6),
            _randomBytes(seed ^ bytes32(uint256(1)), listsLength + 32 * words)
        );
        // forge-lint: disable-next-line(unsafe-typecast) -- flags < 32
        p[FLAGS_AT] = bytes1(uint8(flags));
        for (uint256 i; i < 5; ++i) {
            p[COUNTS_AT + i] = bytes1(uint8(counts[i]));
        }
        // A present budget or salt word (after the lists) is never zero: a framing an unpacker accepts.
        for (uint256 i; i < words; ++i) {
            p[HEADER + listsLength + 32 * i] |= 0x01;
        }
    }

    function _randomBytes(bytes32 seed, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i; i < length; i += 32) {
            bytes32 word = keccak256(abi.encode(seed, i));
            for (uint256 j; j < 32 && i + j < length; ++j) {
                out[i + j] = word[j];
            }
        }
    }

    /// @dev A sponsored token-transfer op carrying `carried`, signed by the session key for session `id`.
    function _signed(bytes32 id, bytes memory carried) private view returns (PackedUserOperation memory op) {
        op = unsignedOp(entryPointV07, tokenTransfer(1 ether), true);
        op.signature = rawEnvelope(0, 0, sessionSignature(entryPointV07, op, id, 0), carried, "");
    }
}
