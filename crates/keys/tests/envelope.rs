//! Signature envelope v1: digest recipe, signature form, encoding and strict decoding.

use alloy::primitives::{keccak256, Address, Bytes, FixedBytes, Signature, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use leash_keys::envelope::{self, EnableGrant, EnvelopeError};
use leash_keys::permissions::onchain::{self, PackError, SessionList, UnpackError};
use leash_keys::permissions::{CallGrant, Selector, SessionSpec, Target};

fn signer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap()
}

fn spec(period: u64) -> SessionSpec {
    SessionSpec {
        signer: signer().address(),
        valid_until: 2_000_000_000,
        period,
        calls: vec![CallGrant {
            target: Target::Exact(Address::repeat_byte(0x11)),
            selector: Selector::Exact(FixedBytes([0xa9, 0x05, 0x9c, 0xbb])),
        }],
        ..SessionSpec::default()
    }
}

#[test]
fn op_digest_is_keccak_of_four_words() {
    let op = B256::repeat_byte(1);
    let id = B256::repeat_byte(2);
    let typehash =
        keccak256("LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)");
    let mut words = Vec::new();
    words.extend_from_slice(typehash.as_slice());
    words.extend_from_slice(op.as_slice());
    words.extend_from_slice(id.as_slice());
    words.extend_from_slice(&U256::from(7u32).to_be_bytes::<32>());
    assert_eq!(envelope::op_digest(op, id, 7), keccak256(&words));
    assert_eq!(envelope::session_op_typehash(), typehash);
}

#[test]
fn signatures_are_raw_low_s_and_recover_to_the_key() {
    let digest = envelope::op_digest(B256::repeat_byte(9), B256::repeat_byte(8), 0);
    let sig = envelope::sign_digest(&signer(), &digest).unwrap();
    assert!(sig[64] == 27 || sig[64] == 28);
    let half_n = U256::from_str_radix(
        "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0",
        16,
    )
    .unwrap();
    assert!(U256::from_be_slice(&sig[32..64]) <= half_n, "high s");
    let parsed = Signature::from_raw(&sig).unwrap();
    assert_eq!(
        parsed.recover_address_from_prehash(&digest).unwrap(),
        signer().address()
    );
}

fn grant() -> EnableGrant {
    EnableGrant {
        nonce: U256::from(77),
        signature: Bytes::from(vec![0xab; 85]),
    }
}

/// The fixed part of an envelope (period index 0), followed by `rest`.
fn envelope_with(flags: u8, sig: &[u8; 65], rest: &[u8]) -> Vec<u8> {
    let mut out = vec![0x01, flags];
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(sig);
    out.extend_from_slice(rest);
    out
}

#[test]
fn encode_then_decode_roundtrips() {
    let session = spec(3600).to_sol().unwrap();
    let id = spec(3600).session_id().unwrap();
    let packed = onchain::pack_session(&session).unwrap();
    assert_eq!(id, keccak256(&packed));
    let digest = envelope::op_digest(B256::repeat_byte(5), id, 12);
    let sig = envelope::sign_digest(&signer(), &digest).unwrap();
    let bytes = envelope::encode_v1(&session, 12, &sig, None).unwrap();
    assert_eq!(bytes[0], 0x01);
    assert_eq!(bytes[1], 0x00);
    assert_eq!(&bytes[2..6], &12u32.to_be_bytes());
    assert_eq!(&bytes[6..71], &sig);
    assert_eq!(
        &bytes[71..],
        packed.as_slice(),
        "nothing after the packed session"
    );
    let decoded = envelope::decode_v1(&bytes).unwrap();
    assert_eq!(decoded.session_id, id);
    assert_eq!(decoded.period_index, 12);
    assert_eq!(decoded.signature, sig);
    assert_eq!(decoded.session, session);
    assert_eq!(decoded.enable, None);

    let with_enable = envelope::encode_v1(&session, 12, &sig, Some(&grant())).unwrap();
    assert_eq!(with_enable[1], envelope::FLAG_ENABLE);
    assert_eq!(&with_enable[2..71], &bytes[2..71]);
    let end = 71 + packed.len();
    assert_eq!(&with_enable[71..end], packed.as_slice());
    assert_eq!(
        &with_enable[end..end + 32],
        &grant().nonce.to_be_bytes::<32>(),
        "the nonce follows the packed session"
    );
    assert_eq!(
        &with_enable[end + 32..],
        grant().signature.as_ref(),
        "the owner signature is every remaining byte"
    );
    let decoded = envelope::decode_v1(&with_enable).unwrap();
    assert_eq!(decoded.enable, Some(grant()));
    assert_eq!(decoded.session, session);
    assert_eq!(decoded.session_id, id);
}

#[test]
fn a_minimal_session_gives_the_shortest_envelope() {
    let root_only = SessionSpec {
        signer: signer().address(),
        valid_until: 1,
        root: true,
        ..SessionSpec::default()
    };
    let sig = envelope::sign_digest(&signer(), &B256::repeat_byte(1)).unwrap();
    let bytes = envelope::encode_v1(&root_only.to_sol().unwrap(), 0, &sig, None).unwrap();
    assert_eq!(
        bytes.len(),
        envelope::MIN_LEN,
        "fixed part and header: no list, budget or salt"
    );
    assert_eq!(envelope::MIN_LEN, 129);
    assert!(envelope::decode_v1(&bytes).is_ok());
}

#[test]
fn decoding_is_strict() {
    let session = spec(0).to_sol().unwrap();
    let sig = envelope::sign_digest(&signer(), &B256::repeat_byte(1)).unwrap();
    let good = envelope::encode_v1(&session, 0, &sig, None)
        .unwrap()
        .to_vec();

    let mut v = good.clone();
    v[0] = 2;
    assert_eq!(
        envelope::decode_v1(&v).unwrap_err(),
        EnvelopeError::UnknownVersion(2)
    );
    let mut v = good.clone();
    v[1] = 0x02;
    assert_eq!(
        envelope::decode_v1(&v).unwrap_err(),
        EnvelopeError::UnknownFlags(2)
    );
    let mut v = good.clone();
    v[5] = 1;
    assert_eq!(
        envelope::decode_v1(&v).unwrap_err(),
        EnvelopeError::PeriodIndexWithoutPeriod(1)
    );
    let mut v = good.clone();
    v.push(0);
    assert_eq!(
        envelope::decode_v1(&v).unwrap_err(),
        EnvelopeError::TrailingBytes {
            expected: good.len(),
            actual: good.len() + 1
        }
    );
    assert_eq!(
        envelope::decode_v1(&good[..good.len() - 1]).unwrap_err(),
        EnvelopeError::BadPackedSession(UnpackError::LengthMismatch {
            expected: good.len() - 71,
            actual: good.len() - 72
        })
    );
    for short in [50, envelope::MIN_LEN - 1] {
        assert_eq!(
            envelope::decode_v1(&good[..short]).unwrap_err(),
            EnvelopeError::TooShort(short)
        );
    }

    assert_eq!(
        envelope::encode_v1(&session, 3, &sig, None)
            .unwrap_err()
            .to_string(),
        "periodIndex: must be 0 for a session without a period (got 3)"
    );
    let mut bad_v = sig;
    bad_v[64] = 1;
    assert_eq!(
        envelope::encode_v1(&session, 0, &bad_v, None).unwrap_err(),
        EnvelopeError::BadV(1)
    );
}

#[test]
fn a_non_canonical_packed_session_is_rejected() {
    let session = spec(0).to_sol().unwrap();
    let sig = envelope::sign_digest(&signer(), &B256::repeat_byte(1)).unwrap();
    let packed = onchain::pack_session(&session).unwrap();

    let mut unknown_flag = packed.clone();
    unknown_flag[52] |= 0x20;
    let bytes = envelope_with(0, &sig, &unknown_flag);
    assert_eq!(
        envelope::decode_v1(&bytes).unwrap_err(),
        EnvelopeError::BadPackedSession(UnpackError::UnknownFlags(0x20))
    );

    // The budget words and the salt follow the lists (this session carries neither).
    let mut zero_fee = packed.clone();
    zero_fee[52] |= 0x04;
    zero_fee.extend_from_slice(&[0u8; 32]);
    let bytes = envelope_with(0, &sig, &zero_fee);
    assert_eq!(
        envelope::decode_v1(&bytes).unwrap_err(),
        EnvelopeError::BadPackedSession(UnpackError::ZeroBudget(onchain::Budget::FeeBudget))
    );

    let mut zero_salt = packed;
    zero_salt[52] |= 0x10;
    zero_salt.extend_from_slice(&[0u8; 32]);
    let bytes = envelope_with(0, &sig, &zero_salt);
    assert_eq!(
        envelope::decode_v1(&bytes).unwrap_err(),
        EnvelopeError::BadPackedSession(UnpackError::ZeroSalt)
    );
}

#[test]
fn an_enable_envelope_carries_the_nonce_then_the_owner_signature() {
    let session = spec(0).to_sol().unwrap();
    let sig = envelope::sign_digest(&signer(), &B256::repeat_byte(1)).unwrap();
    let packed = onchain::pack_session(&session).unwrap();
    let with = |tail: &[u8]| {
        let mut rest = packed.clone();
        rest.extend_from_slice(tail);
        envelope_with(envelope::FLAG_ENABLE, &sig, &rest)
    };
    let nonce = grant().nonce.to_be_bytes::<32>();

    let mut tail = nonce.to_vec();
    tail.extend_from_slice(&grant().signature);
    let decoded = envelope::decode_v1(&with(&tail)).unwrap();
    assert_eq!(decoded.enable, Some(grant()));
    assert_eq!(decoded.session_id, keccak256(&packed));

    assert!(matches!(
        envelope::decode_v1(&with(&nonce)).unwrap_err(),
        EnvelopeError::EnableInconsistent(_)
    ));
    let start = 71 + packed.len();
    for cut in [0, 1, 31] {
        assert_eq!(
            envelope::decode_v1(&with(&nonce[..cut])).unwrap_err(),
            EnvelopeError::MissingEnableNonce {
                expected: start + 32,
                actual: start + cut
            }
        );
    }
    assert_eq!(
        envelope::encode_v1(
            &session,
            0,
            &sig,
            Some(&EnableGrant {
                nonce: U256::ZERO,
                signature: Bytes::new()
            })
        )
        .unwrap_err(),
        EnvelopeError::EnableInconsistent("an enable grant needs the owner's signature")
    );
}

#[test]
fn a_session_without_a_packed_encoding_has_no_envelope() {
    let mut session = spec(0).to_sol().unwrap();
    session.paymasters = vec![Address::repeat_byte(0x41); 256];
    let sig = envelope::sign_digest(&signer(), &B256::repeat_byte(1)).unwrap();
    assert_eq!(
        envelope::encode_v1(&session, 0, &sig, None).unwrap_err(),
        EnvelopeError::Pack(PackError::ListTooLong {
            list: SessionList::Paymasters,
            length: 256
        })
    );
}

#[test]
fn enable_digest_follows_eip712() {
    let module = Address::repeat_byte(0x77);
    let account = Address::repeat_byte(0xAA);
    let id = B256::repeat_byte(3);
    let nonce = U256::from(5);
    let domain_type = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    );
    let word_address = |a: Address| {
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(a.as_slice());
        w
    };
    let mut domain = Vec::new();
    domain.extend_from_slice(domain_type.as_slice());
    domain.extend_from_slice(keccak256("LeashSessionKeyValidator").as_slice());
    domain.extend_from_slice(keccak256("1").as_slice());
    domain.extend_from_slice(&U256::from(31337).to_be_bytes::<32>());
    domain.extend_from_slice(&word_address(module));
    let mut data = Vec::new();
    data.extend_from_slice(
        keccak256("EnableSession(address account,bytes32 sessionId,uint256 nonce)").as_slice(),
    );
    data.extend_from_slice(&word_address(account));
    data.extend_from_slice(id.as_slice());
    data.extend_from_slice(&nonce.to_be_bytes::<32>());
    let mut digest = vec![0x19, 0x01];
    digest.extend_from_slice(keccak256(&domain).as_slice());
    digest.extend_from_slice(keccak256(&data).as_slice());
    assert_eq!(
        envelope::enable_digest(31337, module, account, id, nonce),
        keccak256(&digest)
    );
}
