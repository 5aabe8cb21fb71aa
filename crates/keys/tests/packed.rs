//! The packed session encoding: a golden vector written byte by byte, round trips, canonicity
//! (every non-canonical form rejected, every accepted byte string re-packs to itself), the
//! optional salt and the 255-entry list limit.

use alloy::hex;
use alloy::primitives::{aliases::U48, keccak256, Address, FixedBytes, B256, U256};
use leash_keys::permissions::onchain::{
    pack_session, packed_len, session_id, unpack_session, Budget, CallGrant, PackError,
    PeriodicAllowance, Session, SessionList, TokenAllowance, UnpackError, MAX_PACKED_LIST_LEN,
    PACKED_HEADER_LEN,
};
use proptest::prelude::*;

/// Root, native and gas budgets and the salt carried, fee budget absent, one or two entries per
/// list.
fn golden_session() -> Session {
    Session {
        signer: Address::repeat_byte(0x11),
        validAfter: U48::from(0x0102_0304_0506u64),
        validUntil: U48::from(0x0a0b_0c0d_0e0fu64),
        maxUses: 0x1122_3344,
        root: true,
        period: U48::from(86_400u64),
        periodStart: U48::from(0x6000_0000u64),
        rateLimit: 0x0000_0007,
        nativeAllowance: U256::from(0x0de0_b6b3_a764_0000u64),
        feeBudget: U256::ZERO,
        gasBudget: U256::from(5_000_000u64),
        calls: vec![
            CallGrant {
                target: Address::repeat_byte(0x21),
                selector: FixedBytes([0xa9, 0x05, 0x9c, 0xbb]),
                flags: 0,
            },
            CallGrant {
                target: Address::ZERO,
                selector: FixedBytes([0x09, 0x5e, 0xa7, 0xb3]),
                flags: 0x01,
            },
        ],
        accountSelectors: vec![FixedBytes([0x12, 0x34, 0x56, 0x78])],
        tokens: vec![TokenAllowance {
            token: Address::repeat_byte(0x31),
            amount: U256::from(100u64),
        }],
        periodic: vec![PeriodicAllowance {
            asset: Address::repeat_byte(0xee),
            amount: U256::from(42u64),
        }],
        paymasters: vec![Address::repeat_byte(0x41)],
        salt: B256::repeat_byte(0x5a),
    }
}

/// `golden_session()` packed, field by field from the layout table.
const GOLDEN: &str = concat!(
    "1111111111111111111111111111111111111111", // signer
    "010203040506",                             // validAfter
    "0a0b0c0d0e0f",                             // validUntil
    "000000015180",                             // period = 86400
    "000060000000",                             // periodStart
    "11223344",                                 // maxUses
    "00000007",                                 // rateLimit
    "1b",                                       // flags: root | native | gas | salt
    "0201010101", // lengths: 2 calls, 1 token, 1 periodic, 1 paymaster, 1 account selector
    "2121212121212121212121212121212121212121a9059cbb00", // calls[0]
    "0000000000000000000000000000000000000000095ea7b301", // calls[1]
    "3131313131313131313131313131313131313131", // tokens[0].token
    "0000000000000000000000000000000000000000000000000000000000000064", // tokens[0].amount
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", // periodic[0].asset
    "000000000000000000000000000000000000000000000000000000000000002a", // periodic[0].amount
    "4141414141414141414141414141414141414141", // paymasters[0]
    "12345678",   // accountSelectors[0]
    "0000000000000000000000000000000000000000000000000de0b6b3a7640000", // nativeAllowance
    "00000000000000000000000000000000000000000000000000000000004c4b40", // gasBudget
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", // salt
);

fn empty_session() -> Session {
    Session {
        signer: Address::repeat_byte(0x01),
        validAfter: U48::ZERO,
        validUntil: U48::from(1u64),
        maxUses: 0,
        root: false,
        period: U48::ZERO,
        periodStart: U48::ZERO,
        rateLimit: 0,
        nativeAllowance: U256::ZERO,
        feeBudget: U256::ZERO,
        gasBudget: U256::ZERO,
        calls: Vec::new(),
        accountSelectors: Vec::new(),
        tokens: Vec::new(),
        periodic: Vec::new(),
        paymasters: Vec::new(),
        salt: B256::ZERO,
    }
}

#[test]
fn golden_vector_matches_the_layout_table() {
    let packed = pack_session(&golden_session()).unwrap();
    assert_eq!(hex::encode(&packed), GOLDEN);
    assert_eq!(
        packed.len(),
        58 + 3 * 32 + 2 * 25 + 4 + 52 + 52 + 20,
        "58 + lists + 32 per flag among bits 1..4"
    );
    assert_eq!(
        session_id(&golden_session()).unwrap(),
        keccak256(hex::decode(GOLDEN).unwrap())
    );
    assert_eq!(unpack_session(&packed).unwrap(), golden_session());
    assert_eq!(
        packed_len(&packed[..PACKED_HEADER_LEN]).unwrap(),
        packed.len()
    );
}

#[test]
fn an_empty_session_is_its_header_alone() {
    let packed = pack_session(&empty_session()).unwrap();
    assert_eq!(packed.len(), PACKED_HEADER_LEN, "no list, budget or salt");
    assert_eq!(&packed[..20], &[0x01; 20]);
    assert_eq!(&packed[20..32], &hex!("000000000000000000000001"));
    assert_eq!(&packed[52..58], &[0u8; 6], "flags and lengths all zero");
    assert_eq!(unpack_session(&packed).unwrap(), empty_session());
}

#[test]
fn each_budget_has_its_flag_and_word_in_order() {
    let budgets = [
        (0x02u8, Budget::NativeAllowance),
        (0x04, Budget::FeeBudget),
        (0x08, Budget::GasBudget),
    ];
    for (flag, budget) in budgets {
        let mut session = empty_session();
        let amount = U256::from(flag) << 200;
        match budget {
            Budget::NativeAllowance => session.nativeAllowance = amount,
            Budget::FeeBudget => session.feeBudget = amount,
            Budget::GasBudget => session.gasBudget = amount,
        }
        let packed = pack_session(&session).unwrap();
        assert_eq!(packed[52], flag, "{budget}");
        assert_eq!(&packed[58..90], &amount.to_be_bytes::<32>());
        assert_eq!(packed.len(), 58 + 32);
        assert_eq!(unpack_session(&packed).unwrap(), session);
    }
    let mut all = empty_session();
    all.nativeAllowance = U256::from(1);
    all.feeBudget = U256::from(2);
    all.gasBudget = U256::from(3);
    let packed = pack_session(&all).unwrap();
    assert_eq!(packed[52], 0x0e);
    assert_eq!(packed[89], 1);
    assert_eq!(packed[121], 2);
    assert_eq!(packed[153], 3);
    assert_eq!(packed.len(), 58 + 3 * 32);
}

#[test]
fn the_salt_is_carried_last_and_only_when_non_zero() {
    let mut salted = empty_session();
    salted.salt = B256::repeat_byte(0x77);
    let packed = pack_session(&salted).unwrap();
    assert_eq!(packed[52], 0x10, "flags bit 4");
    assert_eq!(packed.len(), 58 + 32);
    assert_eq!(&packed[58..], salted.salt.as_slice());
    assert_eq!(unpack_session(&packed).unwrap(), salted);

    // After every budget word.
    salted.gasBudget = U256::from(9);
    let packed = pack_session(&salted).unwrap();
    assert_eq!(packed[52], 0x18);
    assert_eq!(packed[89], 9);
    assert_eq!(&packed[90..], salted.salt.as_slice());
    assert_eq!(unpack_session(&packed).unwrap(), salted);

    // The salt changes the id; a zero salt is the unsalted session.
    let unsalted = empty_session();
    assert_ne!(session_id(&salted).unwrap(), session_id(&unsalted).unwrap());
    let mut zero_salt = unsalted.clone();
    zero_salt.salt = B256::ZERO;
    assert_eq!(
        session_id(&zero_salt).unwrap(),
        session_id(&unsalted).unwrap()
    );
}

#[test]
fn every_non_canonical_form_is_rejected() {
    let good = pack_session(&golden_session()).unwrap();

    for cut in [0, 1, PACKED_HEADER_LEN - 1] {
        assert_eq!(
            unpack_session(&good[..cut]).unwrap_err(),
            UnpackError::ShortHeader(cut)
        );
    }
    for cut in [PACKED_HEADER_LEN, good.len() - 32, good.len() - 1] {
        assert_eq!(
            unpack_session(&good[..cut]).unwrap_err(),
            UnpackError::LengthMismatch {
                expected: good.len(),
                actual: cut
            }
        );
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        unpack_session(&trailing).unwrap_err(),
        UnpackError::LengthMismatch {
            expected: good.len(),
            actual: good.len() + 1
        }
    );

    for bit in 5..8 {
        let mut bad = good.clone();
        bad[52] |= 1 << bit;
        assert_eq!(
            unpack_session(&bad).unwrap_err(),
            UnpackError::UnknownFlags(bad[52])
        );
    }

    // A present budget whose word is zero (the same bytes with the flag clear and the word
    // dropped would be the canonical form of the same session).
    for (flag, budget) in [
        (0x02u8, Budget::NativeAllowance),
        (0x04, Budget::FeeBudget),
        (0x08, Budget::GasBudget),
    ] {
        let mut bad = pack_session(&empty_session()).unwrap();
        bad[52] = flag;
        bad.splice(58..58, [0u8; 32]);
        assert_eq!(
            unpack_session(&bad).unwrap_err(),
            UnpackError::ZeroBudget(budget)
        );
    }
    // A present salt whose word is zero.
    let mut salt_zero = pack_session(&empty_session()).unwrap();
    salt_zero[52] = 0x10;
    salt_zero.extend_from_slice(&[0u8; 32]);
    assert_eq!(
        unpack_session(&salt_zero).unwrap_err(),
        UnpackError::ZeroSalt
    );
    let salt_at = good.len() - 32;
    let mut golden_salt_zero = good.clone();
    golden_salt_zero[salt_at..].fill(0);
    assert_eq!(
        unpack_session(&golden_salt_zero).unwrap_err(),
        UnpackError::ZeroSalt
    );
    // The salt flag cleared with the word left in, or set without its word.
    let mut flag_cleared = good.clone();
    flag_cleared[52] &= !0x10;
    assert!(matches!(
        unpack_session(&flag_cleared).unwrap_err(),
        UnpackError::LengthMismatch { .. }
    ));
    let mut word_dropped = good.clone();
    word_dropped.truncate(salt_at);
    assert!(matches!(
        unpack_session(&word_dropped).unwrap_err(),
        UnpackError::LengthMismatch { .. }
    ));

    // Between the native and gas words, after the lists.
    let fee_at = good.len() - 2 * 32;
    let mut fee_zero = good.clone();
    fee_zero[52] |= 0x04;
    fee_zero.splice(fee_at..fee_at, [0u8; 32]);
    assert_eq!(
        unpack_session(&fee_zero).unwrap_err(),
        UnpackError::ZeroBudget(Budget::FeeBudget)
    );

    // A list length raised without its entries, or lowered with them left in.
    let mut longer = good.clone();
    longer[53] += 1;
    assert!(matches!(
        unpack_session(&longer).unwrap_err(),
        UnpackError::LengthMismatch { .. }
    ));
    let mut shorter = good;
    shorter[57] -= 1;
    assert!(matches!(
        unpack_session(&shorter).unwrap_err(),
        UnpackError::LengthMismatch { .. }
    ));
}

#[test]
fn the_errors_say_what_is_wrong() {
    assert_eq!(
        UnpackError::ZeroBudget(Budget::GasBudget).to_string(),
        "packed session: gasBudget is carried but zero (non-canonical: its flag must be clear)"
    );
    assert_eq!(
        UnpackError::UnknownFlags(0x3b).to_string(),
        "packed session: header flags 0x3b set bits other than root, the three budgets and \
         the salt"
    );
    assert_eq!(
        UnpackError::ZeroSalt.to_string(),
        "packed session: the salt is carried but zero (non-canonical: its flag must be clear)"
    );
    assert_eq!(
        PackError::ListTooLong {
            list: SessionList::Periodic,
            length: 300
        }
        .to_string(),
        "session.periodic: 300 entries, the packed encoding holds at most 255 \
         (SessionListTooLong field 3)"
    );
}

#[test]
fn lists_of_255_pack_and_256_do_not() {
    let full = Session {
        calls: vec![
            CallGrant {
                target: Address::repeat_byte(0x21),
                selector: FixedBytes([1, 2, 3, 4]),
                flags: 2,
            };
            MAX_PACKED_LIST_LEN
        ],
        accountSelectors: vec![FixedBytes([5, 6, 7, 8]); MAX_PACKED_LIST_LEN],
        tokens: vec![
            TokenAllowance {
                token: Address::repeat_byte(0x31),
                amount: U256::MAX,
            };
            MAX_PACKED_LIST_LEN
        ],
        periodic: vec![
            PeriodicAllowance {
                asset: Address::repeat_byte(0x32),
                amount: U256::from(1),
            };
            MAX_PACKED_LIST_LEN
        ],
        paymasters: vec![Address::repeat_byte(0x41); MAX_PACKED_LIST_LEN],
        ..empty_session()
    };
    let packed = pack_session(&full).unwrap();
    assert_eq!(&packed[53..58], &[0xff; 5]);
    assert_eq!(packed.len(), 58 + 255 * (25 + 4 + 52 + 52 + 20));
    assert_eq!(unpack_session(&packed).unwrap(), full);

    let lists = [
        SessionList::Calls,
        SessionList::AccountSelectors,
        SessionList::Tokens,
        SessionList::Periodic,
        SessionList::Paymasters,
    ];
    for (field, list) in lists.into_iter().enumerate() {
        let mut over = full.clone();
        match list {
            SessionList::Calls => over.calls.push(CallGrant {
                target: Address::ZERO,
                selector: FixedBytes::ZERO,
                flags: 0,
            }),
            SessionList::AccountSelectors => over.accountSelectors.push(FixedBytes::ZERO),
            SessionList::Tokens => over.tokens.push(TokenAllowance {
                token: Address::ZERO,
                amount: U256::ZERO,
            }),
            SessionList::Periodic => over.periodic.push(PeriodicAllowance {
                asset: Address::ZERO,
                amount: U256::ZERO,
            }),
            SessionList::Paymasters => over.paymasters.push(Address::ZERO),
        }
        let expected = PackError::ListTooLong { list, length: 256 };
        assert_eq!(pack_session(&over).unwrap_err(), expected);
        assert_eq!(session_id(&over).unwrap_err(), expected);
        assert_eq!(usize::from(list.field()), field);
    }
}

fn arb_u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        Just(U256::MAX),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

fn arb_u48() -> impl Strategy<Value = U48> {
    any::<[u8; 6]>().prop_map(U48::from_be_bytes)
}

fn arb_address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

/// Any `Session` value (no validation rules: the encoding covers every value), lists short
/// enough to keep cases fast.
fn arb_session() -> impl Strategy<Value = Session> {
    let grant =
        (arb_address(), any::<[u8; 4]>(), any::<u8>()).prop_map(|(target, selector, flags)| {
            CallGrant {
                target,
                selector: FixedBytes(selector),
                flags,
            }
        });
    (
        (arb_address(), arb_u48(), arb_u48(), arb_u48(), arb_u48()),
        (any::<u32>(), any::<u32>(), any::<bool>()),
        (arb_u256(), arb_u256(), arb_u256()),
        proptest::collection::vec(grant, 0..6),
        proptest::collection::vec(any::<[u8; 4]>(), 0..6),
        proptest::collection::vec((arb_address(), arb_u256()), 0..6),
        proptest::collection::vec((arb_address(), arb_u256()), 0..6),
        proptest::collection::vec(arb_address(), 0..6),
        prop_oneof![Just([0u8; 32]), any::<[u8; 32]>()],
    )
        .prop_map(
            |(times, counts, budgets, calls, selectors, tokens, periodic, paymasters, salt)| {
                Session {
                    signer: times.0,
                    validAfter: times.1,
                    validUntil: times.2,
                    period: times.3,
                    periodStart: times.4,
                    maxUses: counts.0,
                    rateLimit: counts.1,
                    root: counts.2,
                    nativeAllowance: budgets.0,
                    feeBudget: budgets.1,
                    gasBudget: budgets.2,
                    calls,
                    accountSelectors: selectors.into_iter().map(FixedBytes).collect(),
                    tokens: tokens
                        .into_iter()
                        .map(|(token, amount)| TokenAllowance { token, amount })
                        .collect(),
                    periodic: periodic
                        .into_iter()
                        .map(|(asset, amount)| PeriodicAllowance { asset, amount })
                        .collect(),
                    paymasters,
                    salt: B256::from(salt),
                }
            },
        )
}

proptest! {
    #[test]
    fn pack_then_unpack_roundtrips(session in arb_session()) {
        let packed = pack_session(&session).unwrap();
        prop_assert_eq!(packed_len(&packed).unwrap(), packed.len());
        prop_assert_eq!(&unpack_session(&packed).unwrap(), &session);
        prop_assert_eq!(session_id(&session).unwrap(), keccak256(&packed));
    }

    /// Canonicity: whatever bytes an edit of a valid encoding leaves, they are either rejected
    /// or the one encoding of the session they decode to.
    #[test]
    fn accepted_bytes_are_the_canonical_encoding(
        session in arb_session(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        edit in 0u8..4,
    ) {
        let mut bytes = pack_session(&session).unwrap();
        let i = at.index(bytes.len());
        match edit {
            0 => bytes[i] = byte,
            1 => bytes[PACKED_HEADER_LEN - 6 + i % 6] = byte,
            2 => bytes.insert(i, byte),
            _ => {
                bytes.remove(i);
            }
        }
        if let Ok(decoded) = unpack_session(&bytes) {
            prop_assert_eq!(pack_session(&decoded).unwrap(), bytes);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_ones_repack(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        if let Ok(decoded) = unpack_session(&bytes) {
            prop_assert_eq!(pack_session(&decoded).unwrap(), bytes);
        }
    }
}
