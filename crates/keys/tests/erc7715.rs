//! ERC-7715 `wallet_grantPermissions` import: each permission type, and each refusal.

use alloy::primitives::{address, Address, FixedBytes, U256};
use leash_keys::permissions::erc7715::import_request;
use leash_keys::permissions::{
    Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target, TokenAllowance,
};
use serde_json::{json, Value};

const NOW: u64 = 1_750_000_000;
const EXPIRY: u64 = 1_760_000_000;
const USDC: Address = address!("0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238");
const TARGET: Address = address!("0x2222222222222222222222222222222222222222");
const TRANSFER: FixedBytes<4> = FixedBytes([0xa9, 0x05, 0x9c, 0xbb]);
const APPROVE: FixedBytes<4> = FixedBytes([0x09, 0x5e, 0xa7, 0xb3]);

fn request(permissions: Value) -> String {
    json!({
        "chainId": "0x14a34",
        "address": "0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "expiry": EXPIRY,
        "signer": { "type": "account", "data": { "address": "0x4444444444444444444444444444444444444444" } },
        "permissions": permissions,
    })
    .to_string()
}

/// A grant so that limit-only permissions give a usable session.
fn grant() -> Value {
    json!({ "type": "contract-access", "data": { "address": TARGET } })
}

fn import(permissions: Value) -> SessionSpec {
    import_request(&request(permissions), NOW).unwrap().spec
}

fn error(permissions: Value) -> String {
    import_request(&request(permissions), NOW)
        .unwrap_err()
        .to_string()
}

fn target_any() -> CallGrant {
    CallGrant {
        target: Target::Exact(TARGET),
        selector: Selector::Any,
    }
}

#[test]
fn request_fields_map_to_chain_account_and_window() {
    let imported = import_request(&request(json!([grant()])), NOW).unwrap();
    assert_eq!(imported.chain_id, 84532);
    assert_eq!(imported.account, Some(Address::repeat_byte(0xAA)));
    assert_eq!(imported.spec.valid_after, 0);
    assert_eq!(imported.spec.valid_until, EXPIRY);
    assert_eq!(
        imported.spec.signer,
        Address::ZERO,
        "set when the session is created"
    );
    assert_eq!(
        imported.signer,
        Some(Address::repeat_byte(0x44)),
        "the request's signer is honoured, not replaced by a generated key"
    );
    // A one-element params array is accepted too.
    let wrapped = format!("[{}]", request(json!([grant()])));
    assert_eq!(import_request(&wrapped, NOW).unwrap(), imported);
}

#[test]
fn native_token_transfer_is_the_native_allowance() {
    let spec = import(
        json!([grant(), { "type": "native-token-transfer", "data": { "allowance": "0x1DCD6500" } }]),
    );
    assert_eq!(spec.native_allowance, U256::from(500_000_000u64));
    // It allows the transfers it limits: plain value transfers, and nothing more.
    assert_eq!(
        spec.calls,
        vec![
            target_any(),
            CallGrant {
                target: Target::Any,
                selector: Selector::Exact(FixedBytes::ZERO)
            }
        ]
    );
}

#[test]
fn erc20_token_transfer_is_a_token_allowance() {
    let spec = import(
        json!([grant(), { "type": "erc20-token-transfer", "data": { "address": USDC, "allowance": "0x77359400" } }]),
    );
    assert_eq!(
        spec.tokens,
        vec![TokenAllowance {
            token: USDC,
            amount: U256::from(2_000_000_000u64)
        }]
    );
}

#[test]
fn gas_limit_is_the_fee_budget() {
    let spec =
        import(json!([grant(), { "type": "gas-limit", "data": { "limit": "0x38d7ea4c68000" } }]));
    assert_eq!(spec.fee_budget, U256::from(1_000_000_000_000_000u64));
}

#[test]
fn contract_access_grants_every_function_of_one_contract() {
    assert_eq!(import(json!([grant()])).calls, vec![target_any()]);
}

#[test]
fn functions_on_contract_grants_each_function() {
    let spec = import(json!([{ "type": "functions-on-contract", "data": {
        "address": USDC, "functions": ["0xa9059cbb", "approve(address,uint256)"] } }]));
    assert_eq!(
        spec.calls,
        vec![
            CallGrant {
                target: Target::Exact(USDC),
                selector: Selector::Exact(TRANSFER)
            },
            CallGrant {
                target: Target::Exact(USDC),
                selector: Selector::Exact(APPROVE)
            },
        ]
    );
}

#[test]
fn functions_on_all_contracts_grants_any_target() {
    let spec = import(
        json!([{ "type": "functions-on-all-contracts", "data": { "functions": ["0xa9059cbb"] } }]),
    );
    assert_eq!(
        spec.calls,
        vec![CallGrant {
            target: Target::Any,
            selector: Selector::Exact(TRANSFER)
        }]
    );
}

#[test]
fn account_functions_become_account_selectors() {
    let spec = import(
        json!([{ "type": "account-functions", "data": { "functions": ["0x12345678", "0x9abcdef0"] } }]),
    );
    assert_eq!(
        spec.account_selectors,
        vec![
            FixedBytes([0x12, 0x34, 0x56, 0x78]),
            FixedBytes([0x9a, 0xbc, 0xde, 0xf0])
        ]
    );
    assert!(spec.calls.is_empty());
}

#[test]
fn root_sets_root() {
    let spec = import(json!([{ "type": "root" }]));
    assert!(spec.root);
    assert!(import(json!([{ "type": "root", "data": {} }])).root);
}

#[test]
fn native_recurring_allowance_grants_plain_transfers_per_period() {
    let spec = import(
        json!([{ "type": "native-token-recurring-allowance", "data": {
        "start": NOW, "period": 86400, "allowance": "0x1" } }]),
    );
    assert_eq!((spec.period, spec.period_start), (86_400, NOW));
    assert_eq!(
        spec.periodic,
        vec![PeriodicAllowance {
            asset: Asset::Native,
            amount: U256::from(1)
        }]
    );
    assert_eq!(
        spec.calls,
        vec![CallGrant {
            target: Target::Any,
            selector: Selector::Exact(FixedBytes::ZERO)
        }]
    );
    // Periods 0..=115 overlap [0, EXPIRY]: (EXPIRY - NOW) / 86400 = 115.7.
    assert_eq!(spec.native_allowance, U256::from(116));
}

#[test]
fn an_explicit_native_transfer_caps_the_recurring_allowance() {
    let spec = import(json!([
        { "type": "native-token-recurring-allowance", "data": { "start": NOW, "period": 86400, "allowance": "0x10" } },
        { "type": "native-token-transfer", "data": { "allowance": "0x20" } },
    ]));
    assert_eq!(spec.native_allowance, U256::from(0x20));
}

#[test]
fn native_token_periodic_defaults_start_to_now() {
    let spec = import(json!([{ "type": "native-token-periodic", "data": {
        "periodAmount": "1000", "periodDuration": 3600, "justification": "coffee" } }]));
    assert_eq!((spec.period, spec.period_start), (3_600, NOW));
    assert_eq!(
        spec.periodic,
        vec![PeriodicAllowance {
            asset: Asset::Native,
            amount: U256::from(1000)
        }]
    );
}

#[test]
fn erc20_recurring_allowance_grants_transfer_on_the_token() {
    let spec = import(json!([{ "type": "erc20-recurring-allowance", "data": {
        "token": USDC, "start": NOW, "period": 604800, "allowance": "0xf4240" } }]));
    assert_eq!((spec.period, spec.period_start), (604_800, NOW));
    assert_eq!(
        spec.periodic,
        vec![PeriodicAllowance {
            asset: Asset::Token(USDC),
            amount: U256::from(1_000_000)
        }]
    );
    assert_eq!(
        spec.calls,
        vec![CallGrant {
            target: Target::Exact(USDC),
            selector: Selector::Exact(TRANSFER)
        }]
    );
    assert_eq!(spec.native_allowance, U256::ZERO);
}

#[test]
fn erc20_token_periodic_maps_like_metamask_describes() {
    let spec = import(json!([{ "type": "erc20-token-periodic", "data": {
        "tokenAddress": USDC, "periodAmount": "10000000", "periodDuration": 86400, "startTime": NOW + 10 } }]));
    assert_eq!((spec.period, spec.period_start), (86_400, NOW + 10));
    assert_eq!(
        spec.periodic,
        vec![PeriodicAllowance {
            asset: Asset::Token(USDC),
            amount: U256::from(10_000_000)
        }]
    );
}

#[test]
fn periodic_permissions_with_the_same_schedule_share_it() {
    let spec = import(json!([
        { "type": "erc20-token-periodic", "data": { "tokenAddress": USDC, "periodAmount": "1", "periodDuration": 86400, "startTime": NOW } },
        { "type": "native-token-periodic", "data": { "periodAmount": "2", "periodDuration": 86400, "startTime": NOW } },
    ]));
    assert_eq!(spec.periodic.len(), 2);
    assert_eq!(spec.calls.len(), 2);
}

#[test]
fn refusals_name_the_field() {
    let cases: Vec<(Value, String)> = vec![
        (
            json!([
                { "type": "native-token-periodic", "data": { "periodAmount": "1", "periodDuration": 86400, "startTime": NOW } },
                { "type": "erc20-token-periodic", "data": { "tokenAddress": USDC, "periodAmount": "1", "periodDuration": 3600, "startTime": NOW } },
            ]),
            format!("permissions[1].data.periodDuration: period 3600s starting at {NOW} differs from period 86400s starting at {NOW} set by permissions[0]: a leash session has ONE period schedule, shared by all periodic allowances and the rate limit; use the same period and start, or split the request into separate sessions"),
        ),
        (
            json!([{ "type": "erc20-streaming", "data": {} }]),
            "permissions[0].type: unsupported permission type \"erc20-streaming\" (supported: native-token-transfer, native-token-allowance, erc20-token-transfer, gas-limit, contract-access, contract-call, allowed-contract-selector, functions-on-contract, functions-on-all-contracts, account-functions, rate-limit, root, native-token-recurring-allowance, native-token-periodic, erc20-recurring-allowance, erc20-token-periodic)".to_owned(),
        ),
        (
            json!([grant(), { "type": "native-token-transfer", "data": { "allowance": "0x1" } }, { "type": "native-token-transfer", "data": { "allowance": "0x2" } }]),
            "permissions[2]: second native-token-transfer permission (the first is permissions[1]); a session has one: merge them".to_owned(),
        ),
        (
            json!([grant(), { "type": "erc20-token-transfer", "data": { "address": USDC, "allowance": "0x1" } }, { "type": "erc20-token-transfer", "data": { "address": USDC, "allowance": "0x2" } }]),
            format!("permissions[2].data.address: second erc20-token-transfer for {USDC} (the first is tokens[0]); a session has one cumulative allowance per token: merge them"),
        ),
        (
            json!([{ "type": "account-functions", "data": { "functions": ["0x12345678"] } }, { "type": "native-token-periodic", "data": { "periodAmount": "1", "periodDuration": 60, "startTime": EXPIRY + 1 } }]),
            format!("(mapped session) period.start: period 0 starts at {}, after the window ends ({EXPIRY}): no period would ever be usable; start it at or before validUntil", EXPIRY + 1),
        ),
        (
            json!([{ "type": "native-token-transfer", "data": { "allowance": "much" } }]),
            "permissions[0].data.allowance: not a number: \"much\" (write a decimal integer such as \"1000\" or 0x hex)".to_owned(),
        ),
        (
            json!([{ "type": "contract-access", "data": { "address": TARGET, "extra": 1 } }]),
            "permissions[0].data.extra: unknown field (expected one of: address, justification)".to_owned(),
        ),
        (
            json!([{ "type": "contract-access" }]),
            "permissions[0].data: required field is missing".to_owned(),
        ),
        (
            json!([{ "type": "functions-on-contract", "data": { "address": TARGET, "functions": [] } }]),
            "permissions[0].data.functions: empty list grants nothing; name at least one function".to_owned(),
        ),
        (
            json!([{ "type": "contract-access", "data": { "address": TARGET }, "policies": [{ "type": "rate-limit", "data": {} }] }]),
            "permissions[0].policies[0].data.count: required field is missing".to_owned(),
        ),
        (
            json!([{ "type": "contract-access", "data": { "address": TARGET }, "policies": [{ "type": "value-condition", "data": {} }] }]),
            "permissions[0].policies[0].type: policy \"value-condition\" cannot be enforced by leash (supported: token-allowance, spent-limit, gas-limit, call-limit, rate-limit); drop it or ask the app for a request without it".to_owned(),
        ),
        (
            json!([{ "type": "native-token-periodic", "data": { "periodAmount": "1", "periodDuration": 0 } }]),
            "permissions[0].data.periodDuration: must be greater than 0".to_owned(),
        ),
        (json!([]), "permissions: no permissions requested".to_owned()),
        (
            json!([{ "type": "root" }, { "type": "root" }]),
            "permissions[1]: second root permission (the first is permissions[0]); a session has one: merge them".to_owned(),
        ),
    ];
    for (permissions, expected) in cases {
        assert_eq!(error(permissions.clone()), expected, "{permissions}");
    }
}

#[test]
fn request_level_refusals() {
    let err = |v: Value| import_request(&v.to_string(), NOW).unwrap_err().to_string();
    let perms = json!([{ "type": "root" }]);
    assert_eq!(
        err(json!({ "chainId": "0x1", "permissions": perms })),
        "expiry: the request (wallet_grantPermissions (permissions list)) has no expiry; leash grants no session without an end"
    );
    assert_eq!(
        err(json!({ "chainId": "0x1", "expiry": NOW, "permissions": perms })),
        format!("expiry: {NOW} is not in the future (now {NOW}); an expiry is a unix time in seconds, not a duration: ask for now + duration")
    );
    assert_eq!(
        err(json!({ "chainId": "0x1", "expiry": EXPIRY * 1000, "permissions": perms })),
        format!("expiry: {} looks like milliseconds (Date.now()), leash reads unix seconds; write {EXPIRY} instead", EXPIRY * 1000)
    );
    assert_eq!(
        err(json!({ "chainId": "0x0", "expiry": EXPIRY, "permissions": perms })),
        "chainId: must not be 0"
    );
    assert_eq!(
        err(json!({ "chainId": "0x1", "expiry": EXPIRY, "permissions": perms, "sessionKey": "x" })),
        "sessionKey: unknown field (expected one of: chainId, address, expiry, signer, permissions, permission, policies, isAdjustmentAllowed, from, to, rules)"
    );
    assert_eq!(
        err(
            json!([{ "chainId": "0x1", "expiry": EXPIRY, "permissions": perms }, { "chainId": "0x1", "expiry": EXPIRY, "permissions": perms }])
        ),
        "(document): expected one permission request, found 2; import them one at a time"
    );
}
