// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Session} from "./SessionTypes.sol";
import {MalformedEnvelope, UnsupportedEnvelopeVersion, UnsupportedEnvelopeFlags} from "./SessionErrors.sol";

/// @title SignatureEnvelope
/// @notice Parses the v1 signature envelope and computes the digests a session key and an owner sign.
/// @dev Note:
///      - Layout (byte offsets): 0 version (0x01) | 1 flags (bit0 ENABLE) | 2 sessionId (32) |
///        34 periodIndex (uint32 BE) | 38 r (32) | 70 s (32) | 102 v (1) |
///        103 abi.encode(Session session, uint256 enableNonce, bytes enableSignature).
///      - The session is read in place from calldata. Its id is the hash of its bytes as carried, which
///        equals a stored id (always that of a canonical `abi.encode`) only for the canonical encoding of
///        the granted session; an enable grant re-encodes and compares before creating the session. The
///        three head words and the enable signature are bounds-checked against the envelope.
///      - The session key signs `opDigest` raw (no EIP-191 prefix): it covers the userOpHash (chain,
///        EntryPoint, sender and every op field but the signature) and the envelope fields the
///        userOpHash cannot cover (session id, period index).
library SignatureEnvelope {
    /// @dev The only envelope version.
    uint8 internal constant VERSION = 0x01;
    /// @dev Flag: an owner enable grant is carried.
    uint8 internal constant FLAG_ENABLE = 0x01;
    /// @dev Length of the fixed part before the ABI tail.
    uint256 internal constant FIXED_LENGTH = 103;

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
    ///      position of its first byte, read by the accessors below (its fixed part lies inside the signature,
    ///      checked here). `sessionId` is the id of the session as carried: keccak256(0x20 ‖ the bytes from the
    ///      session's tail to the enable signature's tail), which equals `keccak256(abi.encode(session))`
    ///      exactly when those bytes are the canonical encoding of the session (and then the values read
    ///      through `session` are that session's).
    function parse(bytes calldata signature)
        internal
        pure
        returns (uint256 env, Session calldata session, bytes calldata enableSignature, bytes32 sessionId_)
    {
        if (signature.length < FIXED_LENGTH + 0x60) {
            revert MalformedEnvelope();
        }
        uint256 version;
        uint256 flags;
        uint256 tail;
        uint256 sessionOffset;
        uint256 signatureOffset;
        assembly ("memory-safe") {
            env := signature.offset
            let head := calldataload(env)
            version := byte(0, head)
            flags := byte(1, head)
            tail := add(env, FIXED_LENGTH)
            sessionOffset := calldataload(tail)
            signatureOffset := calldataload(add(tail, 0x40))
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- `version` was read with `byte`, so it is below 256
        if (version != VERSION) revert UnsupportedEnvelopeVersion(uint8(version));
        // forge-lint: disable-next-line(unsafe-typecast) -- `flags` was read with `byte`, so it is below 256
        if (flags & ~uint256(FLAG_ENABLE) != 0) revert UnsupportedEnvelopeFlags(uint8(flags));
        // Each subtraction below runs only after the comparison before it proved it cannot underflow
        // (signature.length >= FIXED_LENGTH + 0x60; signatureOffset <= tailLength, then >= 32 apart;
        // sessionOffset <= signatureOffset), so it runs unchecked.
        unchecked {
            uint256 tailLength = signature.length - FIXED_LENGTH;
            // The session's static head (17 words) and the signature's length word must lie in the tail, the
            // session before the signature.
            if (
                sessionOffset > signatureOffset || signatureOffset > tailLength
                    || tailLength - signatureOffset < 32
            ) {
                revert MalformedEnvelope();
            }
            if (signatureOffset - sessionOffset < 17 * 32) revert MalformedEnvelope();
            uint256 signatureLength;
            assembly ("memory-safe") {
                signatureLength := calldataload(add(tail, signatureOffset))
            }
            if (signatureLength > tailLength - signatureOffset - 32) revert MalformedEnvelope();
            assembly ("memory-safe") {
                session := add(tail, sessionOffset)
                enableSignature.offset := add(add(tail, signatureOffset), 32)
                enableSignature.length := signatureLength
                let m := mload(0x40)
                let size := sub(signatureOffset, sessionOffset)
                mstore(m, 0x20)
                calldatacopy(add(m, 0x20), session, size)
                sessionId_ := keccak256(m, add(size, 0x20))
            }
        }
    }

    /// @dev Whether the parsed envelope at `env` carries an owner enable grant (flags bit 0).
    function isEnable(uint256 env) internal pure returns (bool enable) {
        assembly ("memory-safe") {
            enable := byte(1, calldataload(env))
        }
    }

    /// @dev The session id the parsed envelope at `env` names (bytes 2..33).
    function claimedId(uint256 env) internal pure returns (bytes32 id) {
        assembly ("memory-safe") {
            id := calldataload(add(env, 2))
        }
    }

    /// @dev The period index of the parsed envelope at `env` (bytes 34..37, big-endian).
    function claimedPeriod(uint256 env) internal pure returns (uint32 index) {
        assembly ("memory-safe") {
            index := shr(224, calldataload(add(env, 34)))
        }
    }

    /// @dev The session key's ECDSA signature in the parsed envelope at `env` (r 38..69, s 70..101, v 102).
    function ecdsa(uint256 env) internal pure returns (uint8 v, bytes32 r, bytes32 s) {
        assembly ("memory-safe") {
            r := calldataload(add(env, 38))
            s := calldataload(add(env, 70))
            v := byte(0, calldataload(add(env, 102)))
        }
    }

    /// @dev The enable nonce of the parsed envelope at `env` (the second word of its ABI tail).
    function enableNonce(uint256 env) internal pure returns (uint256 nonce) {
        assembly ("memory-safe") {
            nonce := calldataload(add(env, add(FIXED_LENGTH, 0x20)))
        }
    }

    /// @dev The session id: `keccak256(abi.encode(session))`.
    function sessionId(Session calldata session) internal pure returns (bytes32) {
        return keccak256(abi.encode(session));
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
