// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SessionPacking} from "./SessionPacking.sol";
import {SessionCalldata} from "./SessionCalldata.sol";
import {MalformedEnvelope, UnsupportedEnvelopeVersion, UnsupportedEnvelopeFlags} from "./SessionErrors.sol";

/// @title SignatureEnvelope
/// @notice Parses the v1 signature envelope and computes the digests a session key and an owner sign.
/// @dev Note:
///      - Layout (byte offsets): 0 version (0x01) | 1 flags (bit0 ENABLE) | 2 periodIndex (uint32 BE) |
///        6 r (32) | 38 s (32) | 70 v (1) | 71 the packed session
///        (SessionPacking) | only with ENABLE, after it: the enable nonce (32) and the owner's enable signature
///        (every remaining byte).
///      - Without ENABLE the packed session is every byte after the fixed part (its header is not measured: bytes
///        that are not a created session's canonical packing hash to an id no session has); with ENABLE its
///        length follows from its header.
///      - The envelope names no session id: the id is the hash of the packed bytes as carried, which equals a
///        stored id (always the hash of a session's canonical packing, checked by SessionFormat) only for the
///        packing of the granted session, and the session key signs it.
///      - The session key signs `opDigest` raw (no EIP-191 prefix): it covers the userOpHash (chain,
///        EntryPoint, sender and every op field but the signature) and the envelope fields the
///        userOpHash cannot cover (session id, period index).
library SignatureEnvelope {
    /// @dev The only envelope version.
    uint8 internal constant VERSION = 0x01;
    /// @dev Flag: an owner enable grant is carried.
    uint8 internal constant FLAG_ENABLE = 0x01;
    /// @dev Length of the fixed part before the packed session.
    uint256 internal constant FIXED_LENGTH = 71;

    /// @dev keccak256("LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)")
    bytes32 internal constant SESSION_OP_TYPEHASH =
        keccak256("LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)");
    /// @dev keccak256("EnableSession(address account,bytes32 sessionId,uint256 nonce)")
    bytes32 internal constant ENABLE_SESSION_TYPEHASH =
        keccak256("EnableSession(address account,bytes32 sessionId,uint256 nonce)");
    /// @dev keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @dev keccak256("LeashSessionKeyValidator")
    bytes32 internal constant NAME_HASH = keccak256("LeashSessionKeyValidator");
    /// @dev keccak256("1")
    bytes32 internal constant VERSION_HASH = keccak256("1");

    /// @dev Parses `signature`; reverts on a malformed envelope. The envelope stays in calldata: `env` is the
    ///      position of its first byte, read by the accessors below, and `s` that of the packed session (both
    ///      inside the signature, checked here). `sessionId` is the id of the session as carried:
    ///      keccak256 of its packed bytes, which equals `SessionPacking.id(session)` exactly when they are the
    ///      packing of `session`.
    function parse(bytes calldata signature)
        internal
        pure
        returns (uint256 env, uint256 s, bytes32 sessionId)
    {
        if (signature.length < FIXED_LENGTH + SessionPacking.HEADER_LENGTH) revert MalformedEnvelope();
        uint256 head;
        uint256 flags;
        assembly ("memory-safe") {
            env := signature.offset
            // The first two bytes: version (0x01) and flags (0x00 or 0x01 = ENABLE). Both are valid exactly when
            // the two bytes shifted right by one bit equal 0x0080; the errors below tell which one is wrong.
            head := shr(240, calldataload(env))
            flags := and(head, 0xff)
            s := add(env, FIXED_LENGTH)
        }
        if (head >> 1 != 0x80) {
            // forge-lint: disable-next-line(unsafe-typecast) -- `head` is two bytes: its high byte is the version
            if (head >> 8 != VERSION) revert UnsupportedEnvelopeVersion(uint8(head >> 8));
            // forge-lint: disable-next-line(unsafe-typecast) -- `flags` is one byte
            revert UnsupportedEnvelopeFlags(uint8(flags));
        }
        uint256 size;
        unchecked {
            if (flags == 0) {
                // Without a grant the packed session is every byte after the fixed part (length checked above).
                // Its header is not measured here: the id is the hash of exactly these bytes, and a created
                // session's id is the hash of its canonical packing (SessionFormat), so bytes cut short, longer
                // or with a header that does not describe them make an id no session has (SessionNotFound
                // before anything else is read from them).
                size = signature.length - FIXED_LENGTH;
            } else {
                // With a grant the nonce and the owner's signature follow the session: its length comes from its
                // header (below 2^17), and `grant` checks that the nonce fits.
                size = SessionCalldata.size(s);
                if (signature.length < FIXED_LENGTH + size) revert MalformedEnvelope();
            }
        }
        assembly ("memory-safe") {
            // Hashed in scratch memory at the free pointer (not claimed: nothing is allocated before it is used).
            let m := mload(0x40)
            calldatacopy(m, s, size)
            sessionId := keccak256(m, size)
        }
    }

    /// @dev The enable grant of an envelope that `parse` accepted with the ENABLE flag: the packed session copied
    ///      to memory (to be checked and stored), then, after it, the enable nonce (32 bytes) and the owner's
    ///      signature (every remaining byte). Reverts `MalformedEnvelope` when the nonce does not fit.
    function grant(bytes calldata signature)
        internal
        pure
        returns (bytes memory packed, uint256 nonce, bytes calldata enableSignature)
    {
        uint256 s = _sessionPosition(signature);
        uint256 size = SessionCalldata.size(s);
        // `parse` checked FIXED_LENGTH + size <= signature.length (both below 2^17), so no sum overflows and the
        // subtraction runs only after the comparison proves it safe.
        unchecked {
            uint256 tail = FIXED_LENGTH + size;
            if (signature.length < tail + 32) revert MalformedEnvelope();
            assembly ("memory-safe") {
                packed := mload(0x40)
                mstore(packed, size)
                calldatacopy(add(packed, 0x20), s, size)
                mstore(0x40, and(add(add(packed, size), 0x3f), not(0x1f)))
                nonce := calldataload(add(signature.offset, tail))
            }
            enableSignature = signature[tail + 32:];
        }
    }

    /// @dev Whether the parsed envelope at `env` carries an owner enable grant (flags bit 0).
    function isEnable(uint256 env) internal pure returns (bool enable) {
        assembly ("memory-safe") {
            enable := byte(1, calldataload(env))
        }
    }

    /// @dev The period index of the parsed envelope at `env` (bytes 2..5, big-endian).
    function namedPeriod(uint256 env) internal pure returns (uint32 index) {
        assembly ("memory-safe") {
            index := shr(224, calldataload(add(env, 2)))
        }
    }

    /// @dev The session key's ECDSA signature in the parsed envelope at `env` (r 6..37, s 38..69, v 70).
    function ecdsa(uint256 env) internal pure returns (uint8 v, bytes32 r, bytes32 s) {
        assembly ("memory-safe") {
            r := calldataload(add(env, 6))
            s := calldataload(add(env, 38))
            v := byte(0, calldataload(add(env, 70)))
        }
    }

    /// @dev Calldata position of the packed session of `signature` (after the fixed part).
    function _sessionPosition(bytes calldata signature) private pure returns (uint256 s) {
        assembly ("memory-safe") {
            s := add(signature.offset, FIXED_LENGTH)
        }
    }

    /// @dev The digest the session key signs for an op.
    ///      `keccak256(abi.encode(SESSION_OP_TYPEHASH, userOpHash, id, periodIndex))`, hashed in scratch memory
    ///      at the free pointer (not claimed: nothing else is allocated before it is used).
    function opDigest(bytes32 userOpHash, bytes32 id, uint32 periodIndex)
        internal
        pure
        returns (bytes32 digest)
    {
        bytes32 typeHash = SESSION_OP_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), userOpHash)
            mstore(add(m, 0x40), id)
            mstore(add(m, 0x60), and(periodIndex, 0xffffffff))
            digest := keccak256(m, 0x80)
        }
    }

    /// @dev The EIP-712 digest an owner signs to enable session `id` on `account` with `nonce`.
    function enableDigest(address account, bytes32 id, uint256 nonce) internal view returns (bytes32) {
        bytes32 domain =
            keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
        bytes32 structHash = keccak256(abi.encode(ENABLE_SESSION_TYPEHASH, account, id, nonce));
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }
}
