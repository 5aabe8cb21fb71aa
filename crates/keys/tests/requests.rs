//! Every permission-request shape apps send (tests/fixtures/requests, sources in its
//! README): what each maps to, and why the refused ones are refused.

use std::path::PathBuf;

use alloy::primitives::{address, keccak256, Address, FixedBytes, U256};
use leash_keys::permissions::erc7715::{import_request_in, ImportContext, ImportedGrant, Shape};
use leash_keys::permissions::{
    Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target, TokenAllowance,
};

const NOW: u64 = 1_750_000_000;
const ACCOUNT: Address = address!("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const APP_KEY: Address = address!("0x4444444444444444444444444444444444444444");
const TOKEN: Address = address!("0x1111111111111111111111111111111111111111");
const CONTRACT: Address = address!("0x2222222222222222222222222222222222222222");
/// The address of private key 1 (the did:key and the reown public key are its key).
const KEY_ONE: Address = address!("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
const TRANSFER: FixedBytes<4> = FixedBytes([0xa9, 0x05, 0x9c, 0xbb]);
const APPROVE: FixedBytes<4> = FixedBytes([0x09, 0x5e, 0xa7, 0xb3]);

fn dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/requests")
        .join(sub)
}

fn load(name: &str, chain_flag: Option<u64>) -> Result<ImportedGrant, String> {
    let text = std::fs::read_to_string(dir("").join(name)).expect(name);
    import_request_in(
        &text,
        ImportContext {
            now: NOW,
            chain_id: chain_flag,
        },
    )
    .map_err(|e| e.to_string())
}

fn ok(name: &str) -> ImportedGrant {
    load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn refused(name: &str, chain_flag: Option<u64>) -> String {
    match load(&format!("refused/{name}"), chain_flag) {
        Ok(grant) => panic!("{name} was accepted: {grant:?}"),
        Err(e) => e,
    }
}

fn call(target: Target, selector: Selector) -> CallGrant {
    CallGrant { target, selector }
}

fn plain_transfers() -> CallGrant {
    call(Target::Any, Selector::Exact(FixedBytes::ZERO))
}

fn sel(signature: &str) -> FixedBytes<4> {
    FixedBytes::from_slice(&keccak256(signature.as_bytes())[..4])
}

fn spec(grant: &ImportedGrant) -> &SessionSpec {
    &grant.spec
}

/// The files each test below covers; a new fixture without an expectation fails here.
const ACCEPTED: &[&str] = &[
    "erc7715_first_text.json",
    "erc7715_permission_policies.json",
    "erc7715_execution_permissions.json",
    "viem_grant_permissions.json",
    "metamask_grant_permissions_0x.json",
    "metamask_request_execution_permissions.json",
    "alchemy_create_session.json",
    "alchemy_transfers.json",
    "reown_smart_session.json",
    "openfort_grant_permissions.json",
    "spend_permission_native.json",
];
const REFUSED: &[&str] = &[
    "viem_expiry_milliseconds.json",
    "openfort_expiry_duration.json",
    "metamask_native_token_stream.json",
    "spend_permission_erc20.json",
    "erc7715_erc721_transfer.json",
    "passkey_signer.json",
    "execution_permission_redeemer_rule.json",
    "reown_call_with_args.json",
];

fn json_files(sub: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir(sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[test]
fn test_fixtures_every_file_has_an_expectation() {
    let mut accepted: Vec<String> = ACCEPTED.iter().map(|s| s.to_string()).collect();
    accepted.sort();
    assert_eq!(json_files(""), accepted);
    let mut refused: Vec<String> = REFUSED.iter().map(|s| s.to_string()).collect();
    refused.sort();
    assert_eq!(json_files("refused"), refused);
    for name in ACCEPTED {
        let chain = match *name {
            "viem_grant_permissions.json" | "openfort_grant_permissions.json" => Some(8453),
            _ => None,
        };
        load(name, chain).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn test_erc7715_first_text_list_with_did_key_signer() {
    let g = ok("erc7715_first_text.json");
    assert_eq!(g.shape, Shape::GrantPermissions);
    assert_eq!((g.chain_id, g.account), (84532, Some(ACCOUNT)));
    assert_eq!(g.signer, Some(KEY_ONE), "the did:key names the key");
    assert_eq!(spec(&g).valid_until, 1_760_000_000);
    assert_eq!(
        spec(&g).tokens,
        vec![TokenAllowance {
            token: TOKEN,
            amount: U256::from(500_000_000u64)
        }]
    );
    assert_eq!(spec(&g).native_allowance, U256::from(2_000_000_000u64));
    assert_eq!(
        spec(&g).calls,
        vec![
            call(Target::Exact(TOKEN), Selector::Exact(TRANSFER)),
            plain_transfers()
        ],
        "the transfer permissions grant the transfers they limit, and nothing else"
    );
}

#[test]
fn test_erc7715_permission_with_request_policies() {
    let g = ok("erc7715_permission_policies.json");
    assert_eq!(g.shape, Shape::GrantPermission);
    assert_eq!((g.chain_id, g.signer), (123, Some(APP_KEY)));
    assert_eq!(spec(&g).native_allowance, U256::from(500_000_000u64));
    assert_eq!(
        spec(&g).gas_budget,
        U256::from(500_000u64),
        "gas-limit policy is gas units"
    );
    assert_eq!(spec(&g).fee_budget, U256::ZERO);
    assert_eq!(spec(&g).calls, vec![plain_transfers()]);
}

#[test]
fn test_execution_permissions_body_with_expiry_rule() {
    let g = ok("erc7715_execution_permissions.json");
    assert_eq!(g.shape, Shape::ExecutionPermission);
    assert_eq!(
        (g.chain_id, g.account, g.signer),
        (1, Some(ACCOUNT), Some(APP_KEY))
    );
    assert_eq!(spec(&g).valid_until, 1_760_000_000, "from the expiry rule");
    assert_eq!(spec(&g).native_allowance, U256::from(500_000_000u64));
    assert_eq!(spec(&g).calls, vec![plain_transfers()]);
}

#[test]
fn test_viem_wire_format_takes_the_chain_from_the_caller() {
    let missing = load("viem_grant_permissions.json", None).unwrap_err();
    assert!(
        missing.contains("names no chain; pass --chain-id"),
        "{missing}"
    );
    let g = load("viem_grant_permissions.json", Some(8453)).unwrap();
    assert_eq!(
        (g.chain_id, g.account, g.signer),
        (8453, None, Some(APP_KEY))
    );
    assert_eq!(
        spec(&g).native_allowance,
        U256::from(10u64).pow(U256::from(18))
    );
    assert_eq!(
        spec(&g).calls,
        vec![
            plain_transfers(),
            call(
                Target::Exact(CONTRACT),
                Selector::Exact(sel("mint(address,uint256)"))
            ),
        ]
    );
    assert_eq!(spec(&g).gas_budget, U256::from(3_000_000u64));
}

#[test]
fn test_metamask_0x_native_periodic() {
    let g = ok("metamask_grant_permissions_0x.json");
    assert_eq!(g.shape, Shape::GrantPermission);
    assert_eq!((g.chain_id, g.signer), (11_155_111, Some(APP_KEY)));
    let per_day = U256::from(10_000_000_000_000_000u64);
    assert_eq!(
        spec(&g).periodic,
        vec![PeriodicAllowance {
            asset: Asset::Native,
            amount: per_day
        }]
    );
    assert_eq!((spec(&g).period, spec(&g).period_start), (86_400, NOW));
    // Periods 0..=115 overlap [0, 1_760_000_000]: the most the schedule can release.
    assert_eq!(spec(&g).native_allowance, per_day * U256::from(116u64));
    assert_eq!(spec(&g).calls, vec![plain_transfers()]);
}

#[test]
fn test_metamask_execution_permissions_erc20_periodic() {
    let g = ok("metamask_request_execution_permissions.json");
    assert_eq!(g.shape, Shape::ExecutionPermission);
    assert_eq!((g.chain_id, g.signer), (11_155_111, Some(APP_KEY)));
    assert_eq!(
        spec(&g).periodic,
        vec![PeriodicAllowance {
            asset: Asset::Token(TOKEN),
            amount: U256::from(10_000_000u64)
        }]
    );
    assert_eq!(spec(&g).period_start, NOW, "startTime defaults to now");
    assert_eq!(
        spec(&g).calls,
        vec![call(Target::Exact(TOKEN), Selector::Exact(TRANSFER))]
    );
}

#[test]
fn test_alchemy_create_session_root_with_key() {
    let g = ok("alchemy_create_session.json");
    assert_eq!(g.shape, Shape::AlchemySession);
    assert_eq!(
        (g.chain_id, g.account, g.signer),
        (1, Some(ACCOUNT), Some(APP_KEY))
    );
    assert!(spec(&g).root);
    assert_eq!(spec(&g).valid_until, 1_760_000_000);
}

#[test]
fn test_alchemy_transfer_permissions_grant_what_they_limit() {
    let g = ok("alchemy_transfers.json");
    let s = spec(&g);
    assert_eq!(s.native_allowance, U256::from(10u64).pow(U256::from(18)));
    assert_eq!(
        s.tokens,
        vec![TokenAllowance {
            token: TOKEN,
            amount: U256::from(2_000_000_000u64)
        }]
    );
    assert_eq!(s.fee_budget, U256::from(1_000_000_000_000_000u64));
    assert_eq!(
        s.calls,
        vec![
            plain_transfers(),
            call(Target::Exact(TOKEN), Selector::Exact(TRANSFER)),
            call(Target::Exact(TOKEN), Selector::Exact(APPROVE)),
        ],
        "Alchemy documents erc20-token-transfer as transfer or approval"
    );
}

#[test]
fn test_reown_keys_signer_and_abi_functions() {
    let g = ok("reown_smart_session.json");
    assert_eq!(
        g.signer,
        Some(KEY_ONE),
        "the compressed public key names the key"
    );
    assert_eq!(
        spec(&g).calls,
        vec![call(
            Target::Exact(CONTRACT),
            Selector::Exact(sel("purchase(uint256)"))
        )]
    );
}

#[test]
fn test_openfort_body_contract_call_without_calls_is_the_whole_contract() {
    let missing = load("openfort_grant_permissions.json", None).unwrap_err();
    assert!(missing.contains("pass --chain-id"), "{missing}");
    let g = load("openfort_grant_permissions.json", Some(84532)).unwrap();
    assert_eq!(g.signer, Some(APP_KEY));
    assert_eq!(
        spec(&g).calls,
        vec![call(Target::Exact(CONTRACT), Selector::Any)]
    );
}

#[test]
fn test_spend_permission_native_pays_the_spender_only() {
    let g = ok("spend_permission_native.json");
    assert_eq!(g.shape, Shape::SpendPermission);
    assert_eq!(
        (g.chain_id, g.account, g.signer),
        (84532, Some(ACCOUNT), Some(APP_KEY))
    );
    let s = spec(&g);
    assert_eq!((s.valid_after, s.valid_until), (NOW, 1_750_864_000));
    assert_eq!((s.period, s.period_start), (86_400, NOW));
    assert_eq!(
        s.periodic,
        vec![PeriodicAllowance {
            asset: Asset::Native,
            amount: U256::from(1_000_000_000_000_000u64)
        }]
    );
    assert_eq!(
        s.calls,
        vec![call(
            Target::Exact(APP_KEY),
            Selector::Exact(FixedBytes::ZERO)
        )],
        "value to the spender only, never to any address"
    );
    // 10 days of 1 day, plus the period that starts at the last second.
    assert_eq!(
        s.native_allowance,
        U256::from(1_000_000_000_000_000u64) * U256::from(11u64)
    );
}

#[test]
fn test_chain_flag_must_agree_with_the_request() {
    let text = std::fs::read_to_string(dir("").join("alchemy_create_session.json")).unwrap();
    let err = import_request_in(
        &text,
        ImportContext {
            now: NOW,
            chain_id: Some(5),
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("differs from the chain asked for (5)"),
        "{err}"
    );
}

#[test]
fn test_refused_milliseconds_expiry_names_the_seconds() {
    let e = refused("viem_expiry_milliseconds.json", Some(1));
    assert!(
        e.contains("looks like milliseconds") && e.contains("1716846083"),
        "{e}"
    );
}

#[test]
fn test_refused_duration_as_expiry() {
    let e = refused("openfort_expiry_duration.json", Some(1));
    assert!(
        e.contains("not in the future") && e.contains("not a duration"),
        "{e}"
    );
}

#[test]
fn test_refused_what_leash_cannot_enforce_is_named() {
    for (name, needle) in [
        ("metamask_native_token_stream.json", "linear stream"),
        ("spend_permission_erc20.json", "cannot pin its recipient"),
        ("erc7715_erc721_transfer.json", "token ids"),
        ("passkey_signer.json", "P-256"),
        (
            "execution_permission_redeemer_rule.json",
            "rule \"redeemer\" cannot be enforced",
        ),
        ("reown_call_with_args.json", "`args` conditions"),
    ] {
        let e = refused(name, None);
        assert!(e.contains(needle), "{name}: {e}");
    }
}
