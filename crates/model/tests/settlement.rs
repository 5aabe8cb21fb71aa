//! Rule 16 (settlement) as the model implements it: which ops must be settled, the wrapper's
//! shape and arguments, and what the closing `settle` charges.

use alloy_primitives::{address, keccak256, Address, B256, U256};
use leash_model::{
    decode::{encode_execute, Call, CallType, ExecType},
    permissions::{ERC20_TRANSFER, PERMIT2, PERMIT2_APPROVE},
    settlement::{needs_settlement, settle, settle_data, SettledAllowanceExceeded, SETTLE},
    validate, AccountState, CallGrant, Context, Envelope, OpInput, ParsedEnvelope,
    PeriodicAllowance, Rejection, Selector, Session, SessionState, TokenAllowance, Verdict,
    GRANT_ANY_SELECTOR, NATIVE_ASSET,
};

const ACCOUNT: Address = address!("0x00000000000000000000000000000000000acc01");
const MODULE: Address = address!("0x000000000000000000000000000000000000d0d0");
const ROUTER: Address = address!("0x0000000000000000000000000000000000007a67");
const TOKEN: Address = address!("0x0000000000000000000000000000000000070c3e");
const SIGNER: Address = address!("0x0000000000000000000000000000000000005151");
/// Stand-in for the packed session bytes the envelope carries (the id is their hash).
const PACKED: &[u8] = b"packed session bytes of the op, any length: 45";
const SWAP: Selector = Selector::new([0x12, 0x34, 0x56, 0x78]);

fn ctx() -> Context {
    Context {
        account: ACCOUNT,
        module: MODULE,
        installed: Vec::new(),
    }
}

fn id() -> B256 {
    keccak256(PACKED)
}

/// A token cap and any call on the token and on the router (a trading app's session).
fn router_session() -> Session {
    Session {
        signer: SIGNER,
        fee_budget: U256::from(1_000_000u64),
        calls: vec![
            CallGrant {
                target: TOKEN,
                selector: Selector::ZERO,
                flags: GRANT_ANY_SELECTOR,
            },
            CallGrant {
                target: ROUTER,
                selector: Selector::ZERO,
                flags: GRANT_ANY_SELECTOR,
            },
        ],
        tokens: vec![TokenAllowance {
            token: TOKEN,
            amount: U256::from(100),
        }],
        ..Session::default()
    }
}

fn account_with(session: &Session) -> AccountState {
    let mut account = AccountState::default();
    account.install().unwrap();
    account.create(id(), session).unwrap();
    account
}

fn op(session: &Session, call_data: Vec<u8>) -> OpInput {
    OpInput {
        sender: ACCOUNT,
        init_code: Vec::new(),
        call_data,
        verification_gas_limit: 100,
        call_gas_limit: 100,
        pre_verification_gas: U256::from(100),
        max_fee_per_gas: 1,
        paymaster_and_data: Vec::new(),
        envelope: Envelope::Parsed(Box::new(ParsedEnvelope {
            version: 1,
            flags: 0,
            length_fits: true,
            period_index: 0,
            session: session.clone(),
            canonical: true,
            carried_id: id(),
            enable_nonce: U256::ZERO,
            enable_signature_valid: false,
        })),
        signature_valid: true,
    }
}

fn call(target: Address, data: Vec<u8>) -> Call {
    Call {
        target,
        value: U256::ZERO,
        data,
    }
}

fn swap() -> Call {
    call(ROUTER, SWAP.to_vec())
}

fn settle_call(period: u32) -> Call {
    call(MODULE, settle_data(period, PACKED))
}

fn transfer(amount: u64) -> Call {
    let mut data = ERC20_TRANSFER.to_vec();
    data.extend_from_slice(&B256::left_padding_from(ROUTER.as_slice()).0);
    data.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
    call(TOKEN, data)
}

fn batch(calls: &[Call]) -> Vec<u8> {
    encode_execute(CallType::Batch, ExecType::Default, calls)
}

fn verdict(session: &Session, calls: Vec<u8>) -> Verdict {
    validate(&account_with(session), &op(session, calls), &ctx())
}

fn rejection(verdict: Verdict) -> Rejection {
    match verdict {
        Verdict::Reject(r) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn rule16_router_call_needs_settlement_only_when_a_token_is_limited() {
    let s = router_session();
    assert_eq!(
        rejection(verdict(&s, batch(&[transfer(1), swap()]))),
        Rejection::SettlementRequired(1)
    );
    // Plain token transfers and calls to the account need none.
    assert!(verdict(&s, batch(&[transfer(1)])).accepted().is_some());
    assert!(!needs_settlement(&s, ACCOUNT, SWAP, ACCOUNT));
    assert!(!needs_settlement(&s, TOKEN, ERC20_TRANSFER, ACCOUNT));
    assert!(needs_settlement(&s, TOKEN, SWAP, ACCOUNT));
    // No token limited (only native): no settlement, ever.
    let mut native_only = router_session();
    native_only.tokens.clear();
    native_only.periodic = vec![PeriodicAllowance {
        asset: NATIVE_ASSET,
        amount: U256::from(5),
    }];
    native_only.period = 3600;
    assert!(!needs_settlement(&native_only, ROUTER, SWAP, ACCOUNT));
    assert!(verdict(&native_only, batch(&[swap()])).accepted().is_some());
}

#[test]
fn rule16_settled_op_is_accepted_and_charged_what_validation_sees() {
    let s = router_session();
    let accepted = verdict(
        &s,
        batch(&[settle_call(0), transfer(30), swap(), settle_call(0)]),
    );
    let accepted = accepted.accepted().expect("settled op accepted").clone();
    assert_eq!(accepted.charged.tokens, vec![U256::from(30)]);
}

#[test]
fn rule16_shape_rules() {
    let s = router_session();
    let try_batch = encode_execute(
        CallType::Batch,
        ExecType::Try,
        &[settle_call(0), swap(), settle_call(0)],
    );
    let mut mode = [0u8; 32];
    mode[0] = 1;
    mode[1] = 1;
    assert_eq!(
        rejection(verdict(&s, try_batch)),
        Rejection::SettlementModeInvalid(B256::from(mode))
    );
    let single = encode_execute(CallType::Single, ExecType::Default, &[settle_call(0)]);
    assert_eq!(
        rejection(verdict(&s, single)),
        Rejection::SettlementModeInvalid(B256::ZERO)
    );
    assert_eq!(
        rejection(verdict(&s, batch(&[settle_call(0), swap()]))),
        Rejection::SettlementEndMissing(1)
    );
    // A non-root session: a settle call in the middle is a call to the module (hard denial).
    assert_eq!(
        rejection(verdict(
            &s,
            batch(&[settle_call(0), settle_call(0), swap(), settle_call(0)])
        )),
        Rejection::CallDenied {
            index: 1,
            target: MODULE,
            selector: SETTLE
        }
    );
    let mut root = router_session();
    root.root = true;
    assert_eq!(
        rejection(verdict(
            &root,
            batch(&[settle_call(0), settle_call(0), swap(), settle_call(0)])
        )),
        Rejection::SettlementCallMisplaced(1)
    );
    assert_eq!(
        rejection(verdict(
            &s,
            batch(&[settle_call(0), swap(), settle_call(1)])
        )),
        Rejection::SettlementArgumentsInvalid(2)
    );
    let mut valued = settle_call(0);
    valued.value = U256::from(1);
    assert_eq!(
        rejection(verdict(&s, batch(&[valued, swap(), settle_call(0)]))),
        Rejection::SettlementArgumentsInvalid(0)
    );
    let other = call(MODULE, settle_data(0, b"another session"));
    assert_eq!(
        rejection(verdict(&s, batch(&[other, swap(), settle_call(0)]))),
        Rejection::SettlementArgumentsInvalid(0)
    );
}

#[test]
fn rule16_settle_charges_what_left_and_reverts_over_the_cap() {
    let s = router_session();
    let state = SessionState::created();
    assert_eq!(
        settle(&s, &state, 0, &[U256::from(150)]),
        Err(SettledAllowanceExceeded {
            asset: TOKEN,
            index: 0,
            asked: U256::from(150),
            left: U256::from(100),
        })
    );
    let after = settle(&s, &state, 0, &[U256::from(100)]).unwrap();
    assert_eq!(after.token(TOKEN), U256::from(100));
    assert_eq!(settle(&s, &state, 0, &[U256::ZERO]).unwrap(), state);
}

#[test]
fn settle_data_is_the_abi_encoding() {
    let data = settle_data(7, PACKED);
    assert_eq!(&data[..4], SETTLE.as_slice());
    assert_eq!(U256::from_be_slice(&data[4..36]), U256::from(7));
    assert_eq!(U256::from_be_slice(&data[36..68]), U256::from(0x40));
    assert_eq!(
        U256::from_be_slice(&data[68..100]),
        U256::from(PACKED.len())
    );
    assert_eq!(&data[100..100 + PACKED.len()], PACKED);
    assert_eq!(data.len(), 100 + PACKED.len().div_ceil(32) * 32);
}

#[test]
fn rule16_permit2_approval_is_charged_inside_a_settled_op() {
    let mut s = router_session();
    s.calls.push(CallGrant {
        target: PERMIT2,
        selector: PERMIT2_APPROVE,
        flags: 0,
    });
    let mut permit = PERMIT2_APPROVE.to_vec();
    for w in [
        B256::left_padding_from(TOKEN.as_slice()),
        B256::left_padding_from(ROUTER.as_slice()),
    ] {
        permit.extend_from_slice(&w.0);
    }
    permit.extend_from_slice(&U256::from(50).to_be_bytes::<32>());
    permit.extend_from_slice(&U256::ZERO.to_be_bytes::<32>());
    let calls = batch(&[
        settle_call(0),
        call(PERMIT2, permit),
        swap(),
        settle_call(0),
    ]);
    let accepted = verdict(&s, calls)
        .accepted()
        .expect("settled op accepted")
        .clone();
    assert_eq!(accepted.charged.tokens, vec![U256::from(50)]);
}
