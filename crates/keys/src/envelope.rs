//! The session-op signature envelope, v1 (`userOp.signature` as the module receives it):
//!
//! ```text
//! offset size  field
//! 0      1     version = 0x01
//! 1      1     flags: bit0 ENABLE (an owner enable grant is carried); other bits 0
//! 2      32    sessionId
//! 34     4     periodIndex (uint32 big-endian; 0 when session.period == 0)
//! 38     65    r ‖ s ‖ v (27/28) by the session key over opDigest, no EIP-191 prefix
//! 103    ...   abi.encode(Session session, uint256 enableNonce, bytes enableSignature)
//! ```
//!
//! `opDigest = keccak256(abi.encode(SESSION_OP_TYPEHASH, userOpHash, sessionId, periodIndex))`
//! binds what the userOpHash does not cover (session id, period), so no bundler can move a
//! signed op to another session or period.

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::{Eip712Domain, SolStruct, SolValue};

use crate::permissions::onchain::{self, Session};

/// Envelope version byte.
pub const VERSION_V1: u8 = 0x01;
/// `flags` bit: an owner enable grant is carried.
pub const FLAG_ENABLE: u8 = 0x01;
/// Bytes before the ABI-encoded tail.
pub const HEADER_LEN: usize = 103;
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
    /// Shorter than the fixed header.
    #[error("envelope: {0} bytes, shorter than the {HEADER_LEN}-byte header")]
    TooShort(usize),
    /// Unknown version byte.
    #[error("envelope: version {0:#04x} is not supported (expected 0x01)")]
    UnknownVersion(u8),
    /// Unknown flag bits.
    #[error("envelope: flags {0:#04x} has bits other than ENABLE set")]
    UnknownFlags(u8),
    /// The ABI tail does not decode or is not canonical.
    #[error("envelope: session tail is not canonical abi.encode(Session, uint256, bytes): {0}")]
    BadTail(String),
    /// The header's session id is not `keccak256(abi.encode(session))`.
    #[error("envelope: sessionId does not match the carried session")]
    SessionIdMismatch,
    /// An enable nonce or signature without the ENABLE flag, or the flag without a signature.
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

/// Builds the v1 envelope.
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
    if let Some(grant) = enable {
        if grant.signature.is_empty() {
            return Err(EnvelopeError::EnableInconsistent(
                "an enable grant needs the owner's signature",
            ));
        }
    }
    let (flags, nonce, enable_signature) = match enable {
        Some(g) => (FLAG_ENABLE, g.nonce, g.signature.clone()),
        None => (0, U256::ZERO, Bytes::new()),
    };
    let tail = (session.clone(), nonce, enable_signature).abi_encode_params();
    let mut out = Vec::with_capacity(HEADER_LEN + tail.len());
    out.push(VERSION_V1);
    out.push(flags);
    out.extend_from_slice(onchain::session_id(session).as_slice());
    out.extend_from_slice(&period_index.to_be_bytes());
    out.extend_from_slice(signature);
    out.extend_from_slice(&tail);
    Ok(out.into())
}

/// Reads a v1 envelope with the module's checks: known version and flags, canonical tail,
/// matching session id, period index 0 without a period, enable fields only with ENABLE.
pub fn decode_v1(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
    if bytes.len() < HEADER_LEN {
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
    let tail = &bytes[HEADER_LEN..];
    let (session, nonce, enable_signature) =
        <(Session, U256, Bytes)>::abi_decode_params_validate(tail)
            .map_err(|e| EnvelopeError::BadTail(e.to_string()))?;
    if (session.clone(), nonce, enable_signature.clone()).abi_encode_params() != tail {
        return Err(EnvelopeError::BadTail("re-encoding differs".into()));
    }
    if onchain::session_id(&session) != session_id {
        return Err(EnvelopeError::SessionIdMismatch);
    }
    if session.period.is_zero() && period_index != 0 {
        return Err(EnvelopeError::PeriodIndexWithoutPeriod(period_index));
    }
    let enable = if flags & FLAG_ENABLE != 0 {
        if enable_signature.is_empty() {
            return Err(EnvelopeError::EnableInconsistent(
                "ENABLE flag set without an enable signature",
            ));
        }
        Some(EnableGrant {
            nonce,
            signature: enable_signature,
        })
    } else {
        if !nonce.is_zero() || !enable_signature.is_empty() {
            return Err(EnvelopeError::EnableInconsistent(
                "enable nonce or signature present without the ENABLE flag",
            ));
        }
        None
    };
    Ok(Envelope {
        session_id,
        period_index,
        signature,
        session,
        enable,
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
