//! The session-op signature envelope, v1 (`userOp.signature` as the module receives it):
//!
//! ```text
//! offset  size  field
//! 0       1     version = 0x01
//! 1       1     flags: bit0 ENABLE (an owner enable grant is carried); other bits 0
//! 2       32    sessionId = keccak256(pack(session))
//! 34      4     periodIndex (uint32 big-endian; 0 when session.period == 0)
//! 38      65    r ‖ s ‖ v (27/28) by the session key over opDigest, no EIP-191 prefix
//! 103     n     pack(session), n read from its own header (bytes 103+52..103+57)
//! 103+n   ...   only with ENABLE: abi.encode(Session session, uint256 enableNonce,
//!               bytes enableSignature), the same session ABI-encoded
//! ```
//!
//! Without ENABLE the envelope ends right after the packed session. The packed layout is in
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
/// Bytes before the packed session.
pub const HEADER_LEN: usize = 103;
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
    /// The ABI tail does not decode or is not canonical.
    #[error("envelope: enable tail is not canonical abi.encode(Session, uint256, bytes): {0}")]
    BadTail(String),
    /// The enable tail's ABI session is not the packed session.
    #[error("envelope: the enable tail's session differs from the packed session")]
    EnableSessionMismatch,
    /// The header's session id is not `keccak256(pack(session))`.
    #[error("envelope: sessionId does not match the carried session")]
    SessionIdMismatch,
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
    /// `sessionId` from the header.
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

/// Builds the v1 envelope: the fixed part, `pack(session)`, and with `enable` the ABI tail.
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
    let tail = enable
        .map(|grant| (session.clone(), grant.nonce, grant.signature.clone()).abi_encode_params());
    let tail_len = tail.as_ref().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(HEADER_LEN + packed.len() + tail_len);
    out.push(VERSION_V1);
    out.push(if enable.is_some() { FLAG_ENABLE } else { 0 });
    out.extend_from_slice(keccak256(&packed).as_slice());
    out.extend_from_slice(&period_index.to_be_bytes());
    out.extend_from_slice(signature);
    out.extend_from_slice(&packed);
    out.extend_from_slice(tail.as_deref().unwrap_or_default());
    Ok(out.into())
}

/// Reads a v1 envelope with the module's checks (known version and flags, a packed session of
/// the length its header gives, exact length without ENABLE, a bounded ABI tail carrying the
/// same session with ENABLE, matching session id) and leash's stricter ones (canonical packed
/// session and ABI tail, period index 0 without a period, an owner signature with ENABLE).
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
    let session_id = B256::from_slice(&bytes[2..34]);
    let period_index = u32::from_be_bytes([bytes[34], bytes[35], bytes[36], bytes[37]]);
    let mut signature = [0u8; 65];
    signature.copy_from_slice(&bytes[38..HEADER_LEN]);
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
        Some(decode_enable_tail(&rest[n..], &session)?)
    } else {
        if rest.len() != n {
            return Err(EnvelopeError::TrailingBytes {
                expected: HEADER_LEN + n,
                actual: bytes.len(),
            });
        }
        None
    };
    if keccak256(packed) != session_id {
        return Err(EnvelopeError::SessionIdMismatch);
    }
    if session.period.is_zero() && period_index != 0 {
        return Err(EnvelopeError::PeriodIndexWithoutPeriod(period_index));
    }
    Ok(Envelope {
        session_id,
        period_index,
        signature,
        session,
        enable,
    })
}

/// The enable grant of an ENABLE envelope: `tail` must be the canonical
/// `abi.encode(Session, uint256, bytes)` of the packed `session` and a non-empty signature.
fn decode_enable_tail(tail: &[u8], session: &Session) -> Result<EnableGrant, EnvelopeError> {
    let (abi_session, nonce, enable_signature) =
        <(Session, U256, Bytes)>::abi_decode_params_validate(tail)
            .map_err(|e| EnvelopeError::BadTail(e.to_string()))?;
    if (abi_session.clone(), nonce, enable_signature.clone()).abi_encode_params() != tail {
        return Err(EnvelopeError::BadTail("re-encoding differs".into()));
    }
    if abi_session != *session {
        return Err(EnvelopeError::EnableSessionMismatch);
    }
    if enable_signature.is_empty() {
        return Err(EnvelopeError::EnableInconsistent(
            "ENABLE flag set without an enable signature",
        ));
    }
    Ok(EnableGrant {
        nonce,
        signature: enable_signature,
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
