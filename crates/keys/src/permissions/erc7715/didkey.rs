//! Signer ids as requests write them: an address, a secp256k1 public key (`0x` + 33 or 65
//! bytes) or a `did:key` of a secp256k1 key (multibase base58btc, multicodec `0xe7 0x01`).

use alloy::primitives::{keccak256, Address};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::PublicKey;

/// The address of the key `id` names, or why it names none leash can use.
pub(super) fn key_address(id: &str) -> Result<Address, String> {
    if let Some(rest) = id.strip_prefix("did:key:") {
        return did_key_address(rest);
    }
    let hex = id
        .strip_prefix("0x")
        .ok_or_else(|| format!("{id:?} is neither an address, a 0x public key nor a did:key"))?;
    let bytes =
        alloy::primitives::hex::decode(hex).map_err(|_| format!("{id:?} is not valid hex"))?;
    match bytes.len() {
        20 => super::super::json::parse_address(id),
        33 | 65 => public_key_address(&bytes),
        n => Err(format!(
            "{id:?} is {n} bytes: expected an address (20), or a secp256k1 public key (33 or 65)"
        )),
    }
}

fn public_key_address(sec1: &[u8]) -> Result<Address, String> {
    let key = PublicKey::from_sec1_bytes(sec1)
        .map_err(|_| "not a point on secp256k1 (leash session keys are secp256k1)".to_owned())?;
    let uncompressed = key.to_encoded_point(false);
    Ok(Address::from_slice(
        &keccak256(&uncompressed.as_bytes()[1..])[12..],
    ))
}

fn did_key_address(multibase: &str) -> Result<Address, String> {
    let encoded = multibase.strip_prefix('z').ok_or_else(|| {
        format!("did:key:{multibase}: only base58btc (z...) did:keys are supported")
    })?;
    let bytes = base58_decode(encoded)
        .ok_or_else(|| format!("did:key:{multibase}: not valid base58btc"))?;
    match bytes.as_slice() {
        [0xe7, 0x01, key @ ..] => public_key_address(key),
        [0x80, 0x24, ..] => Err(format!(
            "did:key:{multibase} is a P-256 (secp256r1, passkey) key; leash session keys are \
             secp256k1: request the session for a secp256k1 key"
        )),
        [0xed, 0x01, ..] => Err(format!(
            "did:key:{multibase} is an Ed25519 key; leash session keys are secp256k1"
        )),
        _ => Err(format!(
            "did:key:{multibase} is not a secp256k1 key (multicodec 0xe7)"
        )),
    }
}

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Bitcoin base58 (leading `1`s are leading zero bytes).
fn base58_decode(text: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    for c in text.bytes() {
        let mut carry = ALPHABET.iter().position(|&a| a == c)? as u32;
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zeros = text.bytes().take_while(|&c| c == b'1').count();
    let mut bytes = vec![0u8; zeros];
    bytes.extend(out);
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_base58_decode_known_answers() {
        // "StV1DL6CwTryKyV" is base58 for "hello world"; leading 1s are zero bytes.
        assert_eq!(base58_decode("StV1DL6CwTryKyV").unwrap(), b"hello world");
        assert_eq!(base58_decode("11").unwrap(), vec![0, 0]);
        assert!(base58_decode("0OIl").is_none());
    }

    #[test]
    fn test_key_address_accepts_compressed_uncompressed_and_did_key() {
        let signer = alloy::signers::local::PrivateKeySigner::from_slice(&[7u8; 32]).unwrap();
        let point = signer.credential().verifying_key().to_encoded_point(true);
        let compressed = format!("0x{}", alloy::primitives::hex::encode(point.as_bytes()));
        assert_eq!(key_address(&compressed).unwrap(), signer.address());
        let full = signer.credential().verifying_key().to_encoded_point(false);
        let uncompressed = format!("0x{}", alloy::primitives::hex::encode(full.as_bytes()));
        assert_eq!(key_address(&uncompressed).unwrap(), signer.address());
        let mut multicodec = vec![0xe7, 0x01];
        multicodec.extend_from_slice(point.as_bytes());
        let did = format!("did:key:z{}", base58_encode(&multicodec));
        assert_eq!(key_address(&did).unwrap(), signer.address());
    }

    fn base58_encode(bytes: &[u8]) -> String {
        let mut digits: Vec<u8> = Vec::new();
        for &byte in bytes {
            let mut carry = u32::from(byte);
            for d in digits.iter_mut() {
                carry += u32::from(*d) << 8;
                *d = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        std::iter::repeat_n('1', zeros)
            .chain(digits.iter().rev().map(|&d| ALPHABET[d as usize] as char))
            .collect()
    }
}
