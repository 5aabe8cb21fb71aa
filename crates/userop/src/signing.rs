//! secp256k1 signatures over a raw 32-byte hash, in the `r ‖ s ‖ v` form accounts recover.

use crate::UserOpError;
use alloy::primitives::{keccak256, Address, Bytes, B256};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};

/// Length of a signature produced by [`sign_hash`].
pub const SIGNATURE_LEN: usize = 65;

/// Signs `hash` as is (no EIP-191 prefix) and returns `r(32) ‖ s(32) ‖ v(1)` with `v` 27 or
/// 28 and `s` always in the lower half of the curve order, as OpenZeppelin's and solady's
/// ECDSA recovery require.
///
/// Signing is deterministic (RFC 6979): the same key and hash give the same bytes.
pub fn sign_hash(key: &SigningKey, hash: B256) -> Bytes {
    let (signature, recovery_id) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("a 32-byte prehash is always accepted by secp256k1 signing");
    let (signature, recovery_id) = match signature.normalize_s() {
        Some(low_s) => (
            low_s,
            RecoveryId::new(!recovery_id.is_y_odd(), recovery_id.is_x_reduced()),
        ),
        None => (signature, recovery_id),
    };
    let mut out = Vec::with_capacity(SIGNATURE_LEN);
    out.extend_from_slice(&signature.to_bytes());
    out.push(27 + u8::from(recovery_id.is_y_odd()));
    out.into()
}

/// The address that produced `signature` over `hash` (as `ecrecover` would), rejecting
/// anything [`sign_hash`] would not produce: wrong length, `v` other than 27/28, high `s`.
///
/// # Errors
///
/// [`UserOpError::SignatureLength`], [`UserOpError::SignatureV`],
/// [`UserOpError::SignatureHighS`] or [`UserOpError::SignatureRecovery`].
pub fn recover_signer(hash: B256, signature: &[u8]) -> Result<Address, UserOpError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(UserOpError::SignatureLength {
            len: signature.len(),
        });
    }
    let v = signature[64];
    let recovery_id = match v {
        27 | 28 => RecoveryId::new(v == 28, false),
        _ => return Err(UserOpError::SignatureV { v }),
    };
    let parsed = Signature::from_slice(&signature[..64])
        .map_err(|error| UserOpError::SignatureRecovery(error.to_string()))?;
    if parsed.normalize_s().is_some() {
        return Err(UserOpError::SignatureHighS);
    }
    let key = VerifyingKey::recover_from_prehash(hash.as_slice(), &parsed, recovery_id)
        .map_err(|error| UserOpError::SignatureRecovery(error.to_string()))?;
    Ok(address_of_verifying_key(&key))
}

/// The Ethereum address of a signing key.
pub fn address_of(key: &SigningKey) -> Address {
    address_of_verifying_key(key.verifying_key())
}

/// The Ethereum address of a public key: the last 20 bytes of keccak256 of its uncompressed
/// coordinates.
pub fn address_of_verifying_key(key: &VerifyingKey) -> Address {
    let uncompressed = key.to_encoded_point(false);
    let digest = keccak256(&uncompressed.as_bytes()[1..]);
    Address::from_slice(&digest[12..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    fn key_one() -> SigningKey {
        let mut secret = [0u8; 32];
        secret[31] = 1;
        SigningKey::from_bytes(&secret.into()).unwrap()
    }

    #[test]
    fn address_of_private_key_one() {
        // The well-known address of secret key 1.
        assert_eq!(
            address_of(&key_one()),
            address!("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        );
    }

    #[test]
    fn signature_recovers_and_is_deterministic() {
        let hash = b256!("0x1111111111111111111111111111111111111111111111111111111111111111");
        let signature = sign_hash(&key_one(), hash);
        assert_eq!(signature.len(), SIGNATURE_LEN);
        assert_eq!(signature, sign_hash(&key_one(), hash));
        assert_eq!(
            recover_signer(hash, &signature).unwrap(),
            address_of(&key_one())
        );
    }

    #[test]
    fn recover_rejects_malformed() {
        let hash = B256::repeat_byte(7);
        let signature = sign_hash(&key_one(), hash);
        assert_eq!(
            recover_signer(hash, &signature[..64]),
            Err(UserOpError::SignatureLength { len: 64 })
        );
        let mut bad_v = signature.to_vec();
        bad_v[64] = 1;
        assert_eq!(
            recover_signer(hash, &bad_v),
            Err(UserOpError::SignatureV { v: 1 })
        );
        let zero = [0u8; 64].iter().copied().chain([27]).collect::<Vec<_>>();
        assert!(matches!(
            recover_signer(hash, &zero),
            Err(UserOpError::SignatureRecovery(_))
        ));
    }
}
