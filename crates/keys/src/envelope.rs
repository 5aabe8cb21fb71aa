//! The session-op signature envelope, v1 (`userOp.signature` as the module receives it):
//!
//! ```text
//! offset  size  field
//! 0       1     version = 0x01
//! 1       1     flags: bit0 ENABLE (an owner enable grant is carried); other bits 0
//! 2       4     periodIndex (uint32 big-endian; 0 when session.period == 0)
//! 6       65    r ‖ s ‖ v (27/28) by the session key over opDigest, no EIP-191 prefix
//! 71      n     pack(session), n read from its own header (bytes 71+52..71+57)
//! 71+n    32    only with ENABLE: enableNonce (uint256)
//! 103+n   ...   only with ENABLE: the owner's enableSignature (every remaining byte)
//! ```
//!
//! The envelope names no session id: the id is `keccak256` of the carried packed bytes. Without
//! ENABLE the envelope ends right after the packed session. The packed layout is in
//! [`crate::permissions::onchain::pack_session`].
//!
//! `opDigest = keccak256(abi.encode(SESSION_OP_TYPEHASH, userOpHash, sessionId, periodIndex))`
//! binds what the userOpHash does not cover (session id, period), so no bundler can move a
//! signed op to another session or period.

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::{Eip712Domain, SolStruct, SolValue};

use crate::permissions::onchain::{
    pack_session, packed_len, unpack_session, PackError, Session, UnpackError, PACKED_HEADER_LEN,
};

/// Envelope version byte.
pub const VERSION_V1: u8 = 0x01;
/// `flags` bit: an owner enable grant is carried.
pub const FLAG_ENABLE: u8 = 0x01;
/// Bytes before the packed session (version, flags, period index, signature).
pub const HEADER_LEN: usize = 71;
/// Bytes of the enable nonce that follows the packed session with ENABLE.
pub const ENABLE_NONCE_LEN: usize = 32;
/// Shortest envelope the module parses: the fixed part and a packed session's header.
pub const MIN_LEN: usize = HEADER_LEN + PACKED_HEADER_LEN;
/// The type string hashed into [`session_op_typehash`].
pub const SESSION_OP_TYPE: &str =
    "LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)";

alloy::sol! {
    /// EIP-712 struct the account owner signs to enable a session with its first op.
    #[derive(Debug, PartialEq, Eq)]
    struct EnableSession {
        address account;
        bytes32 sessionId;
        uint256 nonce;
    }
}

/// Errors building or reading an envelope.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// `periodIndex` must be 0 for a session without a period schedule.
    #[error("periodIndex: must be 0 for a session without a period (got {0})")]
    PeriodIndexWithoutPeriod(u32),
    /// The signature's `v` byte is not 27 or 28.
    #[error("signature: v must be 27 or 28 (got {0})")]
    BadV(u8),
    /// Shorter than the fixed part plus the packed session's header.
    #[error("envelope: {0} bytes, shorter than the {MIN_LEN} bytes of the fixed part and a packed session header")]
    TooShort(usize),
    /// Unknown version byte.
    #[error("envelope: version {0:#04x} is not supported (expected 0x01)")]
    UnknownVersion(u8),
    /// Unknown flag bits.
    #[error("envelope: flags {0:#04x} has bits other than ENABLE set")]
    UnknownFlags(u8),
    /// The session has no packed encoding (a list longer than 255 entries).
    #[error("envelope: {0}")]
    Pack(#[from] PackError),
    /// The carried packed session is not canonical, or is cut short.
    #[error("envelope: {0}")]
    BadPackedSession(UnpackError),
    /// Without ENABLE, bytes follow the packed session.
    #[error("envelope: {expected} bytes expected without ENABLE (fixed part and packed session), got {actual}")]
    TrailingBytes {
        /// Length the packed session's header implies.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// With ENABLE, no room for the 32-byte enable nonce after the packed session.
    #[error("envelope: {expected} bytes at least with ENABLE (fixed part, packed session and enable nonce), got {actual}")]
    MissingEnableNonce {
        /// Shortest length with the nonce.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// The ENABLE flag with an empty owner signature.
    #[error("envelope: {0}")]
    EnableInconsistent(&'static str),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// An owner's enable grant carried with a session's first op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnableGrant {
    /// Unordered per-account nonce.
    pub nonce: U256,
    /// The owner's signature as the account's ERC-1271 expects it.
    pub signature: Bytes,
}

/// A decoded envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The session id: `keccak256` of the carried packed session.
    pub session_id: B256,
    /// `periodIndex` from the header.
    pub period_index: u32,
    /// The session key's signature.
    pub signature: [u8; 65],
    /// The carried session.
    pub session: Session,
    /// The enable grant when the ENABLE flag is set.
    pub enable: Option<EnableGrant>,
}

/// `keccak256(SESSION_OP_TYPE)`.
pub fn session_op_typehash() -> B256 {
    keccak256(SESSION_OP_TYPE.as_bytes())
}

/// `keccak256(abi.encode(SESSION_OP_TYPEHASH, userOpHash, sessionId, uint32 periodIndex))`.
pub fn op_digest(user_op_hash: B256, session_id: B256, period_index: u32) -> B256 {
    keccak256(
        (
            session_op_typehash(),
            user_op_hash,
            session_id,
            period_index,
        )
            .abi_encode_params(),
    )
}

/// Signs `digest` raw (no EIP-191 prefix) and returns `r ‖ s ‖ v` with `v` 27/28 and a
/// low `s` (k256 normalizes).
pub fn sign_digest(signer: &PrivateKeySigner, digest: &B256) -> Result<[u8; 65], EnvelopeError> {
    let signature = signer
        .sign_hash_sync(digest)
        .map_err(|e| EnvelopeError::Signing(e.to_string()))?;
    Ok(signature.as_bytes())
}

/// Builds the v1 envelope: the fixed part, `pack(session)`, and with `enable` the nonce and
/// the owner's signature.
pub fn encode_v1(
    session: &Session,
    period_index: u32,
    signature: &[u8; 65],
    enable: Option<&EnableGrant>,
) -> Result<Bytes, EnvelopeError> {
    if session.period.is_zero() && period_index != 0 {
        return Err(EnvelopeError::PeriodIndexWithoutPeriod(period_index));
    }
    if !matches!(signature[64], 27 | 28) {
        return Err(EnvelopeError::BadV(signature[64]));
    }
    if enable.is_some_and(|grant| grant.signature.is_empty()) {
        return Err(EnvelopeError::EnableInconsistent(
            "an enable grant needs the owner's signature",
        ));
    }
    let packed = pack_session(session)?;
    let tail_len = enable.map_or(0, |grant| ENABLE_NONCE_LEN + grant.signature.len());
    let mut out = Vec::with_capacity(HEADER_LEN + packed.len() + tail_len);
    out.push(VERSION_V1);
    out.push(if enable.is_some() { FLAG_ENABLE } else { 0 });
    out.extend_from_slice(&period_index.to_be_bytes());
    out.extend_from_slice(signature);
    out.extend_from_slice(&packed);
    if let Some(grant) = enable {
        out.extend_from_slice(&grant.nonce.to_be_bytes::<32>());
        out.extend_from_slice(&grant.signature);
    }
    Ok(out.into())
}

/// Reads a v1 envelope with the module's checks (known version and flags, a packed session of
/// the length its header gives, exact length without ENABLE, room for the enable nonce with
/// ENABLE) and leash's stricter ones (canonical packed session, period index 0 without a
/// period, a non-empty owner signature with ENABLE). The session id is the hash of the carried
/// packed bytes.
pub fn decode_v1(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
    if bytes.len() < MIN_LEN {
        return Err(EnvelopeError::TooShort(bytes.len()));
    }
    if bytes[0] != VERSION_V1 {
        return Err(EnvelopeError::UnknownVersion(bytes[0]));
    }
    let flags = bytes[1];
    if flags & !FLAG_ENABLE != 0 {
        return Err(EnvelopeError::UnknownFlags(flags));
    }
    let period_index = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
    let mut signature = [0u8; 65];
    signature.copy_from_slice(&bytes[6..HEADER_LEN]);
    let rest = &bytes[HEADER_LEN..];
    let n = packed_len(rest).map_err(EnvelopeError::BadPackedSession)?;
    let packed = rest.get(..n).ok_or(EnvelopeError::BadPackedSession(
        UnpackError::LengthMismatch {
            expected: n,
            actual: rest.len(),
        },
    ))?;
    let session = unpack_session(packed).map_err(EnvelopeError::BadPackedSession)?;
    let enable = if flags & FLAG_ENABLE != 0 {
        Some(decode_enable_tail(&rest[n..], HEADER_LEN + n)?)
    } else {
        if rest.len() != n {
            return Err(EnvelopeError::TrailingBytes {
                expected: HEADER_LEN + n,
                actual: bytes.len(),
            });
        }
        None
    };
    if session.period.is_zero() && period_index != 0 {
        return Err(EnvelopeError::PeriodIndexWithoutPeriod(period_index));
    }
    Ok(Envelope {
        session_id: keccak256(packed),
        period_index,
        signature,
        session,
        enable,
    })
}

/// The enable grant of an ENABLE envelope whose packed session ends at byte `start`: `tail`
/// is the 32-byte nonce followed by a non-empty owner signature.
fn decode_enable_tail(tail: &[u8], start: usize) -> Result<EnableGrant, EnvelopeError> {
    let Some((nonce, enable_signature)) = tail.split_first_chunk::<ENABLE_NONCE_LEN>() else {
        return Err(EnvelopeError::MissingEnableNonce {
            expected: start + ENABLE_NONCE_LEN,
            actual: start + tail.len(),
        });
    };
    if enable_signature.is_empty() {
        return Err(EnvelopeError::EnableInconsistent(
            "ENABLE flag set without an enable signature",
        ));
    }
    Ok(EnableGrant {
        nonce: U256::from_be_bytes(*nonce),
        signature: Bytes::copy_from_slice(enable_signature),
    })
}

/// The EIP-712 digest the account owner signs to enable a session: domain
/// `{name: "LeashSessionKeyValidator", version: "1", chainId, verifyingContract: module}`,
/// struct `EnableSession(address account,bytes32 sessionId,uint256 nonce)`.
pub fn enable_digest(
    chain_id: u64,
    module: Address,
    account: Address,
    session_id: B256,
    nonce: U256,
) -> B256 {
    let domain = Eip712Domain {
        name: Some("LeashSessionKeyValidator".into()),
        version: Some("1".into()),
        chain_id: Some(U256::from(chain_id)),
        verifying_contract: Some(module),
        salt: None,
    };
    EnableSession {
        account,
        sessionId: session_id,
        nonce,
    }
    .eip712_signing_hash(&domain)
}
