//! Signatures recover to the signer, are low-s and are bound to the hash.

mod common;

use alloy::primitives::{B256, U256};
use leash_userop::{
    address_of, recover_signer, sign_hash, EntryPointVersion, SigningKey, UserOpError,
};
use proptest::prelude::*;

/// Half the secp256k1 group order: a valid signature's s must not exceed it.
const HALF_ORDER: U256 = alloy::primitives::uint!(
    0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0_U256
);
const ORDER: U256 = alloy::primitives::uint!(
    0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141_U256
);

fn key() -> impl Strategy<Value = SigningKey> {
    any::<[u8; 32]>().prop_filter_map("not a valid secret key", |bytes| {
        SigningKey::from_slice(&bytes).ok()
    })
}

proptest! {
    #[test]
    fn signature_recovers_and_is_low_s(key in key(), hash in any::<[u8; 32]>()) {
        let hash = B256::from(hash);
        let signature = sign_hash(&key, hash);
        prop_assert_eq!(signature.len(), 65);
        prop_assert!(signature[64] == 27 || signature[64] == 28);
        let s = U256::from_be_slice(&signature[32..64]);
        prop_assert!(s <= HALF_ORDER, "high s");
        prop_assert_eq!(recover_signer(hash, &signature), Ok(address_of(&key)));

        // The malleable twin (n - s, flipped v) is the same ECDSA signature, and is refused.
        let mut twin = signature.to_vec();
        twin[32..64].copy_from_slice(&(ORDER - s).to_be_bytes::<32>());
        twin[64] = 55 - twin[64]; // 27 <-> 28
        prop_assert_eq!(recover_signer(hash, &twin), Err(UserOpError::SignatureHighS));

        // Another hash does not recover to the signer.
        let other = B256::from(U256::from_be_bytes(hash.0).wrapping_add(U256::from(1u64)));
        prop_assert_ne!(recover_signer(other, &signature).ok(), Some(address_of(&key)));
    }

    #[test]
    fn sign_with_signs_the_version_hash(op in common::user_operation(), key in key(), chain_id in any::<u64>()) {
        for version in EntryPointVersion::ALL {
            let mut signed = op.clone();
            let entry_point = version.canonical_address();
            let hash = signed.sign_with(&key, version, entry_point, chain_id);
            prop_assert_eq!(hash, op.hash(version, entry_point, chain_id));
            prop_assert_eq!(recover_signer(hash, &signed.signature), Ok(address_of(&key)));
            prop_assert_eq!(signed.hash(version, entry_point, chain_id), hash, "signature is outside the hash");
        }
    }
}

#[test]
fn known_key_signs_deterministically() {
    let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let hash = B256::repeat_byte(0xaa);
    assert_eq!(sign_hash(&key, hash), sign_hash(&key, hash));
    assert_eq!(
        recover_signer(hash, &sign_hash(&key, hash)),
        Ok(address_of(&key))
    );
}
