//! Permission files: parsing, rendering, validation, and the on-chain encoding.

use alloy::primitives::{address, keccak256, Address, FixedBytes, B256, U256};
use alloy::sol_types::SolValue;
use leash_keys::permissions::onchain::{self, NATIVE_ASSET};
use leash_keys::permissions::{
    parse_selector, Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target,
    TokenAllowance,
};
use proptest::prelude::*;

const USDC: Address = address!("0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238");

const FULL: &str = r#"{
  "validAfter": 1700000000,
  "validUntil": "1800000000",
  "maxUses": 100,
  "root": false,
  "period": { "seconds": 86400, "start": 1700000000 },
  "rateLimit": 20,
  "nativeAllowance": "1000000000000000000",
  "feeBudget": "0x2386f26fc10000",
  "gasBudget": 5000000,
  "calls": [
    { "target": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "selector": "transfer(address,uint256)" },
    { "target": "any", "selector": "0x095ea7b3" },
    { "target": "0x2222222222222222222222222222222222222222", "selector": "any" }
  ],
  "accountFunctions": ["0x12345678"],
  "tokens": [ { "token": "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238", "amount": "5000000" } ],
  "periodic": [
    { "asset": "native", "amount": "100000000000000000" },
    { "asset": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "amount": "0x0f4240" }
  ],
  "paymasters": ["0x3333333333333333333333333333333333333333"],
  "salt": "0x0000000000000000000000000000000000000000000000000000000000000001"
}"#;

fn base() -> SessionSpec {
    SessionSpec {
        valid_until: 2_000_000_000,
        calls: vec![CallGrant {
            target: Target::Exact(USDC),
            selector: Selector::Exact(FixedBytes([0xa9, 0x05, 0x9c, 0xbb])),
        }],
        ..SessionSpec::default()
    }
}

fn error_of(json: &str) -> String {
    SessionSpec::from_json_str(json).unwrap_err().to_string()
}

#[test]
fn parses_every_field() {
    let spec = SessionSpec::from_json_str(FULL).unwrap();
    assert_eq!(spec.signer, Address::ZERO);
    assert_eq!(
        (spec.valid_after, spec.valid_until),
        (1_700_000_000, 1_800_000_000)
    );
    assert_eq!(spec.max_uses, 100);
    assert!(!spec.root);
    assert_eq!((spec.period, spec.period_start), (86_400, 1_700_000_000));
    assert_eq!(spec.rate_limit, 20);
    assert_eq!(spec.native_allowance, U256::from(10u64).pow(U256::from(18)));
    assert_eq!(spec.fee_budget, U256::from(10_000_000_000_000_000u64));
    assert_eq!(spec.gas_budget, U256::from(5_000_000u64));
    assert_eq!(
        spec.calls,
        vec![
            CallGrant {
                target: Target::Exact(USDC),
                selector: Selector::Exact(FixedBytes([0xa9, 0x05, 0x9c, 0xbb])),
            },
            CallGrant {
                target: Target::Any,
                selector: Selector::Exact(FixedBytes([0x09, 0x5e, 0xa7, 0xb3])),
            },
            CallGrant {
                target: Target::Exact(Address::repeat_byte(0x22)),
                selector: Selector::Any,
            },
        ]
    );
    assert_eq!(
        spec.account_selectors,
        vec![FixedBytes([0x12, 0x34, 0x56, 0x78])]
    );
    assert_eq!(
        spec.tokens,
        vec![TokenAllowance {
            token: USDC,
            amount: U256::from(5_000_000u64)
        }]
    );
    assert_eq!(
        spec.periodic,
        vec![
            PeriodicAllowance {
                asset: Asset::Native,
                amount: U256::from(100_000_000_000_000_000u64)
            },
            PeriodicAllowance {
                asset: Asset::Token(USDC),
                amount: U256::from(1_000_000u64)
            },
        ]
    );
    assert_eq!(spec.paymasters, vec![Address::repeat_byte(0x33)]);
    assert_eq!(spec.salt, B256::with_last_byte(1));
}

#[test]
fn renders_and_reparses_to_the_same_spec() {
    let spec = SessionSpec {
        signer: Address::repeat_byte(0x99),
        ..SessionSpec::from_json_str(FULL).unwrap()
    };
    let text = spec.to_json().to_string();
    assert_eq!(SessionSpec::from_json_str(&text).unwrap(), spec);
}

#[test]
fn to_sol_maps_flags_and_native_sentinel() {
    let sol = SessionSpec::from_json_str(FULL).unwrap().to_sol().unwrap();
    assert_eq!(sol.calls[0].flags, 0);
    assert_eq!(sol.calls[1].flags, onchain::GRANT_ANY_TARGET);
    assert_eq!(sol.calls[1].target, Address::ZERO);
    assert_eq!(sol.calls[2].flags, onchain::GRANT_ANY_SELECTOR);
    assert_eq!(sol.calls[2].selector, FixedBytes::ZERO);
    assert_eq!(sol.periodic[0].asset, NATIVE_ASSET);
    assert_eq!(sol.periodic[1].asset, USDC);
    let back = SessionSpec::from_sol(&sol).unwrap();
    assert_eq!(back, SessionSpec::from_json_str(FULL).unwrap());
}

#[test]
fn from_sol_rejects_non_canonical_grants() {
    let mut sol = base().to_sol().unwrap();
    sol.calls[0].flags = 0x04;
    assert_eq!(
        SessionSpec::from_sol(&sol).unwrap_err().to_string(),
        "calls[0].flags: unknown flag bits 0x04"
    );
    sol.calls[0].flags = onchain::GRANT_ANY_TARGET;
    assert_eq!(
        SessionSpec::from_sol(&sol).unwrap_err().to_string(),
        "calls[0].target: must be zero when the any-target flag is set"
    );
}

/// abi.encode(session) (what `grantSession` and an enable tail carry) written out by hand for
/// a session with empty arrays, independent of alloy's encoder: one offset word, 17 head words,
/// 5 empty-array tails. The id hashes the packed encoding instead (tests/packed.rs).
#[test]
fn session_abi_encoding_matches_a_hand_encoding() {
    let spec = SessionSpec {
        signer: Address::repeat_byte(0x01),
        valid_after: 2,
        valid_until: 3,
        max_uses: 4,
        root: true,
        period: 5,
        period_start: 6,
        rate_limit: 7,
        native_allowance: U256::from(8),
        fee_budget: U256::from(9),
        gas_budget: U256::from(10),
        salt: B256::repeat_byte(0x0b),
        ..SessionSpec::default()
    };
    let word = |v: u64| U256::from(v).to_be_bytes::<32>().to_vec();
    let mut expected = word(0x20);
    let mut signer = [0u8; 32];
    signer[12..].copy_from_slice(&[0x01; 20]);
    expected.extend_from_slice(&signer);
    for v in [2, 3, 4, 1, 5, 6, 7, 8, 9, 10] {
        expected.extend(word(v));
    }
    for i in 0..5 {
        expected.extend(word(17 * 32 + i * 32));
    }
    expected.extend_from_slice(&[0x0b; 32]);
    for _ in 0..5 {
        expected.extend(word(0));
    }
    let sol = spec.to_sol().unwrap();
    assert_eq!(sol.abi_encode(), expected);
    let packed = onchain::pack_session(&sol).unwrap();
    assert_eq!(
        packed.len(),
        58 + 3 * 32 + 32,
        "three budgets carried, no lists"
    );
    assert_eq!(spec.session_id().unwrap(), keccak256(&packed));
    assert_eq!(onchain::session_id(&sol).unwrap(), keccak256(&packed));
    assert_ne!(spec.session_id().unwrap(), keccak256(&expected));
}

#[test]
fn selectors_from_signatures() {
    assert_eq!(
        parse_selector("transfer(address,uint256)").unwrap(),
        FixedBytes([0xa9, 0x05, 0x9c, 0xbb])
    );
    assert_eq!(
        parse_selector("approve(address,uint256)").unwrap(),
        FixedBytes([0x09, 0x5e, 0xa7, 0xb3])
    );
    assert_eq!(
        parse_selector("execute(bytes32,bytes)").unwrap(),
        FixedBytes([0xe9, 0xae, 0x5c, 0x53])
    );
    assert_eq!(
        parse_selector("transfer(address,uint)").unwrap_err().to_string(),
        "selector: \"transfer(address,uint)\": `uint` is not canonical, write `uint256` (the selector hashes the canonical form)"
    );
    assert!(parse_selector("transfer(address to, uint256)")
        .unwrap_err()
        .reason
        .contains("without spaces"));
    assert!(parse_selector("0x1234").is_err());
    assert!(parse_selector("transfer").is_err());
    assert!(parse_selector("f((uint256)")
        .unwrap_err()
        .reason
        .contains("unbalanced"));
}

#[test]
fn errors_name_the_json_path() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"validUntil": 10, "root": true, "tokens": [{"token":"0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238","amount":"1"},{"token":"0x2222222222222222222222222222222222222222","amount":"lots"}]}"#,
            "tokens[1].amount: not a number: \"lots\" (write a decimal integer such as \"1000\" or 0x hex)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "nativeAllowance": 1.5}"#,
            "nativeAllowance: not a number: 1.5 is not a non-negative integer (write large amounts as strings)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "feeBudget": "-1"}"#,
            "feeBudget: not a number: \"-1\" (write a decimal integer such as \"1000\" or 0x hex)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "gasBudget": "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}"#,
            "gasBudget: not a number: \"0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\" does not fit uint256",
        ),
        (
            r#"{"validUntil": 10, "root": true, "colour": "red"}"#,
            "colour: unknown field (expected one of: signer, validAfter, validUntil, maxUses, root, period, rateLimit, nativeAllowance, feeBudget, gasBudget, calls, accountFunctions, tokens, periodic, paymasters, salt)",
        ),
        (
            r#"{"validUntil": 10, "calls": [{"target": "any", "selector": "any", "value": 1}]}"#,
            "calls[0].value: unknown field (expected one of: target, selector)",
        ),
        (r#"{"root": true}"#, "validUntil: required field is missing"),
        (
            r#"{"validUntil": 281474976710656, "root": true}"#,
            "validUntil: 281474976710656 does not fit uint48 (max 281474976710655)",
        ),
        (
            r#"{"validAfter": 10, "validUntil": 10, "root": true}"#,
            "validUntil: must be greater than validAfter (10 <= 10)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "maxUses": 4294967296}"#,
            "maxUses: 4294967296 does not fit uint32 (max 4294967295)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "periodic": [{"asset": "native", "amount": "1"}]}"#,
            "period: required when periodic allowances are set (the allowances are per period)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "rateLimit": 3}"#,
            "period: required when rateLimit is set (the rate limit counts ops per period)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "period": {"seconds": 0}}"#,
            "period.seconds: must be greater than 0 (omit `period` for no schedule)",
        ),
        (
            r#"{"validUntil": 10, "calls": [{"target": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7239", "selector": "any"}]}"#,
            "calls[0].target: expected \"any\" or an address: \"0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7239\" has a wrong EIP-55 checksum (expected 0x1c7D4B196cb0C7b01D743fBc6116A902379C7239)",
        ),
        (
            r#"{"validUntil": 10, "calls": [{"target": "0x0000000000000000000000000000000000000000", "selector": "any"}]}"#,
            "calls[0].target: zero address; write \"any\" to grant every target",
        ),
        (
            r#"{"validUntil": 10}"#,
            "calls: a session without root needs at least one call or accountFunctions grant (otherwise it can do nothing)",
        ),
        (
            r#"{"validUntil": 10, "root": true, "paymasters": ["0x3333333333333333333333333333333333333333", "0x3333333333333333333333333333333333333333"]}"#,
            "paymasters[1]: duplicate of paymasters[0]",
        ),
        (
            r#"{"validUntil": 10, "root": true, "tokens": [{"token": "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE", "amount": "1"}]}"#,
            "tokens[0].token: is the native-asset sentinel, not a token; use \"native\" (periodic) or nativeAllowance",
        ),
        (
            r#"{"validUntil": 10, "root": true, "periodic": [{"asset": "eth", "amount": "1"}], "period": {"seconds": 5}}"#,
            "periodic[0].asset: expected \"native\" or an address: \"eth\" is not an address (0x + 40 hex digits)",
        ),
        (r#"{"validUntil": 10, "root": "yes"}"#, "root: expected true or false, found a string"),
        (r#"[1]"#, "(document): expected an object, found an array"),
        (
            r#"{"validUntil": 10, "root": true, "salt": "0x01"}"#,
            "salt: \"0x01\" is not 32 bytes of hex",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(&error_of(json), expected, "{json}");
    }
    assert!(error_of("{").starts_with("(document): not valid JSON"));
}

#[test]
fn caps_are_enforced() {
    let grant = |i: u8| CallGrant {
        target: Target::Exact(Address::repeat_byte(i + 1)),
        selector: Selector::Any,
    };
    let mut spec = base();
    spec.calls = (0..16).map(grant).collect();
    spec.validate().unwrap();
    spec.calls.push(grant(16));
    assert_eq!(
        spec.validate().unwrap_err().to_string(),
        "calls: 17 entries; at most 16 are allowed"
    );

    let mut spec = base();
    spec.account_selectors = (0..8u8).map(|i| FixedBytes([i, 0, 0, 0])).collect();
    spec.validate().unwrap();
    spec.account_selectors.push(FixedBytes([8, 0, 0, 0]));
    assert_eq!(
        spec.validate().unwrap_err().to_string(),
        "accountFunctions: 9 entries; at most 8 are allowed"
    );

    let mut spec = base();
    spec.tokens = (0..9u8)
        .map(|i| TokenAllowance {
            token: Address::repeat_byte(i + 1),
            amount: U256::from(1),
        })
        .collect();
    assert_eq!(
        spec.validate().unwrap_err().to_string(),
        "tokens: 9 entries; at most 8 are allowed"
    );

    let mut spec = base();
    spec.period = 60;
    spec.periodic = (0..9u8)
        .map(|i| PeriodicAllowance {
            asset: Asset::Token(Address::repeat_byte(i + 1)),
            amount: U256::from(1),
        })
        .collect();
    assert_eq!(
        spec.validate().unwrap_err().to_string(),
        "periodic: 9 entries; at most 8 are allowed"
    );

    let mut spec = base();
    spec.paymasters = (0..4u8).map(|i| Address::repeat_byte(i + 1)).collect();
    spec.validate().unwrap();
    spec.paymasters.push(Address::repeat_byte(5));
    assert_eq!(
        spec.validate().unwrap_err().to_string(),
        "paymasters: 5 entries; at most 4 are allowed"
    );
}

#[test]
fn period_index_follows_the_schedule() {
    let mut spec = base();
    assert_eq!(spec.period_index_at(123).unwrap(), 0);
    spec.period = 100;
    spec.period_start = 1_000;
    assert_eq!(spec.period_index_at(1_000).unwrap(), 0);
    assert_eq!(spec.period_index_at(1_099).unwrap(), 0);
    assert_eq!(spec.period_index_at(1_100).unwrap(), 1);
    assert!(spec.period_index_at(999).is_err());
}

fn arb_address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>()
        .prop_map(Address::from)
        .prop_filter("non-zero, not the sentinel", |a| {
            !a.is_zero() && *a != NATIVE_ASSET
        })
}

/// Any amount of at most `bits` bits (the module caps amounts at 128 bits, the fee budget at 80).
fn arb_amount(bits: usize) -> impl Strategy<Value = U256> {
    any::<[u8; 32]>().prop_map(move |b| U256::from_be_bytes(b) >> (256 - bits))
}

fn dedup<T: PartialEq + Copy>(mut v: Vec<T>) -> Vec<T> {
    let mut seen = Vec::new();
    v.retain(|x| {
        if seen.contains(x) {
            false
        } else {
            seen.push(*x);
            true
        }
    });
    v
}

fn arb_spec() -> impl Strategy<Value = SessionSpec> {
    let grant = (
        prop_oneof![Just(Target::Any), arb_address().prop_map(Target::Exact)],
        prop_oneof![
            Just(Selector::Any),
            any::<[u8; 4]>().prop_map(|b| Selector::Exact(FixedBytes(b)))
        ],
    )
        .prop_map(|(target, selector)| CallGrant { target, selector });
    (
        (
            any::<[u8; 20]>(),
            0u64..1 << 40,
            1u64..1 << 40,
            any::<u32>(),
            any::<bool>(),
        ),
        (1u64..1 << 40, 0u64..1 << 40, any::<u32>()),
        (arb_amount(128), arb_amount(80), arb_amount(128)),
        proptest::collection::vec(grant, 1..16),
        proptest::collection::vec(any::<[u8; 4]>(), 0..=8),
        proptest::collection::vec((arb_address(), arb_amount(128)), 0..8),
        proptest::collection::vec((proptest::option::of(arb_address()), arb_amount(128)), 0..8),
        proptest::collection::vec(arb_address(), 0..=4),
        any::<[u8; 32]>(),
    )
        .prop_map(
            |(basic, schedule, budgets, calls, selectors, tokens, periodic, paymasters, salt)| {
                let (signer, after, len, max_uses, root) = basic;
                let mut tokens: Vec<TokenAllowance> = tokens
                    .into_iter()
                    .map(|(token, amount)| TokenAllowance { token, amount })
                    .collect();
                let mut seen = Vec::new();
                tokens.retain(|t| {
                    if seen.contains(&t.token) {
                        false
                    } else {
                        seen.push(t.token);
                        true
                    }
                });
                let mut periodic: Vec<PeriodicAllowance> = periodic
                    .into_iter()
                    .map(|(asset, amount)| PeriodicAllowance {
                        asset: asset.map_or(Asset::Native, Asset::Token),
                        amount,
                    })
                    .collect();
                let mut seen = Vec::new();
                periodic.retain(|p| {
                    if seen.contains(&p.asset) {
                        false
                    } else {
                        seen.push(p.asset);
                        true
                    }
                });
                SessionSpec {
                    signer: Address::from(signer),
                    valid_after: after,
                    valid_until: after + len,
                    max_uses,
                    root,
                    period: schedule.0,
                    period_start: schedule.1,
                    rate_limit: schedule.2,
                    native_allowance: budgets.0,
                    fee_budget: budgets.1,
                    gas_budget: budgets.2,
                    calls: dedup(calls),
                    account_selectors: dedup(selectors.into_iter().map(FixedBytes).collect()),
                    tokens,
                    periodic,
                    paymasters: dedup(paymasters),
                    salt: B256::from(salt),
                }
            },
        )
}

/// Amounts the module's counters cannot hold are refused before anything is sent, naming the field and
/// its maximum: 2^80-1 wei for the fee budget (its spent amount is an 80-bit field of the session record),
/// 2^128-1 for every other amount.
#[test]
fn amounts_beyond_the_counters_are_refused_naming_the_field() {
    let fee_cap = (U256::from(1) << 80) - U256::from(1);
    let amount_cap = (U256::from(1) << 128) - U256::from(1);
    let mut spec = base();
    spec.fee_budget = fee_cap;
    spec.validate().expect("a fee budget at its cap is valid");
    spec.fee_budget = fee_cap + U256::from(1);
    let err = spec.validate().unwrap_err().to_string();
    assert!(
        err.contains("feeBudget") && err.contains(&fee_cap.to_string()),
        "{err}"
    );

    let mut spec = base();
    spec.native_allowance = amount_cap;
    spec.validate().expect("an amount at its cap is valid");
    spec.native_allowance = amount_cap + U256::from(1);
    let err = spec.validate().unwrap_err().to_string();
    assert!(
        err.contains("nativeAllowance") && err.contains(&amount_cap.to_string()),
        "{err}"
    );

    let mut spec = base();
    spec.tokens.push(TokenAllowance {
        token: address!("00000000000000000000000000000000000000aa"),
        amount: amount_cap + U256::from(1),
    });
    let index = spec.tokens.len() - 1;
    let err = spec.validate().unwrap_err().to_string();
    assert!(err.contains(&format!("tokens[{index}].amount")), "{err}");
}

proptest! {
    #[test]
    fn json_roundtrip(spec in arb_spec()) {
        spec.validate().unwrap();
        let text = spec.to_json().to_string();
        prop_assert_eq!(SessionSpec::from_json_str(&text).unwrap(), spec);
    }

    #[test]
    fn sol_roundtrip_and_id_is_keccak_of_packed_encoding(spec in arb_spec()) {
        let sol = spec.to_sol().unwrap();
        prop_assert_eq!(&SessionSpec::from_sol(&sol).unwrap(), &spec);
        let decoded = onchain::Session::abi_decode(&sol.abi_encode()).unwrap();
        prop_assert_eq!(&decoded, &sol);
        let packed = onchain::pack_session(&sol).unwrap();
        prop_assert_eq!(&onchain::unpack_session(&packed).unwrap(), &sol);
        prop_assert_eq!(spec.session_id().unwrap(), keccak256(packed));
    }
}
