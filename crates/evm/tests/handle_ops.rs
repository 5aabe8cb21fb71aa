//! Owner-signed ops through the real EntryPoints, failures decoded, time travel, snapshots.

mod common;

use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::SolCall,
};
use common::{world, BENEFICIARY};
use leash_contracts::bindings::mocks::MockERC20;
use leash_evm::{DecodedEvent, DecodedRevert};
use leash_userop::{erc7579::execute_single, EntryPointVersion, PackedUserOperation};

const RECIPIENT: Address = Address::repeat_byte(0x44);

fn transfer(token: Address, amount: u64) -> Bytes {
    let call = MockERC20::transferCall {
        to: RECIPIENT,
        value: U256::from(amount),
    };
    execute_single(token, U256::ZERO, call.abi_encode())
}

#[test]
fn owner_op_transfers_an_erc20_on_both_versions() {
    for version in EntryPointVersion::ALL {
        let mut w = world(version);
        let deposit_before = w.chain.deposit_of(version, w.account.address).unwrap();
        let op = w
            .chain
            .owner_op(&w.account, transfer(w.token, 250))
            .unwrap();
        let expected_hash =
            op.unpack()
                .unwrap()
                .hash(version, version.canonical_address(), w.chain.chain_id());

        let outcome = w.chain.handle_ops(version, &[op], BENEFICIARY).unwrap();
        assert!(outcome.success, "{version}: {:?}", outcome.revert);
        assert_eq!(
            w.chain.erc20_balance(w.token, w.account.address).unwrap(),
            U256::from(750)
        );
        assert_eq!(
            w.chain.erc20_balance(w.token, RECIPIENT).unwrap(),
            U256::from(250)
        );

        let event = outcome
            .events
            .iter()
            .find_map(|event| match event {
                DecodedEvent::UserOperationEvent {
                    user_op_hash,
                    sender,
                    paymaster,
                    nonce,
                    success,
                    actual_gas_cost,
                    ..
                } => Some((
                    *user_op_hash,
                    *sender,
                    *paymaster,
                    *nonce,
                    *success,
                    *actual_gas_cost,
                )),
                _ => None,
            })
            .expect("a UserOperationEvent");
        assert_eq!(event.0, expected_hash, "{version}: event hash");
        assert_eq!(event.1, w.account.address);
        assert_eq!(event.2, Address::ZERO);
        assert!(event.4, "{version}: op execution failed");
        let deposit_after = w.chain.deposit_of(version, w.account.address).unwrap();
        assert_eq!(
            deposit_before - deposit_after,
            event.5,
            "{version}: fee charged from deposit"
        );
        assert!(w.chain.balance(BENEFICIARY) >= event.5);
        assert!(outcome.all_ops_succeeded());
        assert!(outcome
            .events
            .iter()
            .any(|e| e.to_string().starts_with("UserOperationEvent(")));

        // The nonce moved on: the next op uses sequence 1 and succeeds too.
        let next = w.chain.owner_op(&w.account, transfer(w.token, 1)).unwrap();
        assert_eq!(next.nonce, event.3 + U256::from(1));
        assert!(w
            .chain
            .handle_ops(version, &[next], BENEFICIARY)
            .unwrap()
            .all_ops_succeeded());
    }
}

#[test]
fn bad_signature_fails_with_aa24() {
    for version in EntryPointVersion::ALL {
        let mut w = world(version);
        let mut op = w.chain.owner_op(&w.account, transfer(w.token, 1)).unwrap();
        let mut signature = op.signature.to_vec();
        signature[10] ^= 0x01;
        op.signature = signature.into();
        let outcome = w.chain.handle_ops(version, &[op], BENEFICIARY).unwrap();
        assert!(!outcome.success);
        assert_eq!(
            outcome.revert,
            Some(DecodedRevert::FailedOp {
                op_index: U256::ZERO,
                reason: "AA24 signature error".into()
            }),
            "{version}"
        );
        assert_eq!(
            outcome.revert.unwrap().to_string(),
            "FailedOp(0, \"AA24 signature error\")"
        );
        assert_eq!(
            w.chain.erc20_balance(w.token, RECIPIENT).unwrap(),
            U256::ZERO
        );
    }
}

#[test]
fn signature_by_another_key_fails_with_aa24() {
    let version = EntryPointVersion::V08;
    let mut w = world(version);
    let mut op = w
        .chain
        .owner_user_operation(&w.account, transfer(w.token, 1))
        .unwrap();
    op.sign_with(
        &common::owner_key(8),
        version,
        version.canonical_address(),
        w.chain.chain_id(),
    );
    let outcome = w
        .chain
        .handle_ops(version, &[op.pack()], BENEFICIARY)
        .unwrap();
    assert_eq!(
        outcome
            .revert
            .and_then(|r| r.failed_op_reason().map(str::to_owned))
            .as_deref(),
        Some("AA24 signature error")
    );
}

#[test]
fn reverting_execution_is_reported_with_its_reason() {
    let version = EntryPointVersion::V07;
    let mut w = world(version);
    let op = w
        .chain
        .owner_op(&w.account, transfer(w.token, 5_000))
        .unwrap();
    let outcome = w.chain.handle_ops(version, &[op], BENEFICIARY).unwrap();
    assert!(outcome.success, "handleOps itself succeeds");
    assert_eq!(outcome.op_successes(), vec![false]);
    let reason = outcome
        .events
        .iter()
        .find_map(|event| match event {
            DecodedEvent::UserOperationRevertReason { reason_decoded, .. } => {
                reason_decoded.clone()
            }
            _ => None,
        })
        .expect("a decoded UserOperationRevertReason");
    assert!(
        reason.starts_with("ERC20InsufficientBalance(sender=") && reason.contains("needed=5000"),
        "{reason}"
    );
}

#[test]
fn an_op_cannot_be_replayed() {
    let version = EntryPointVersion::V08;
    let mut w = world(version);
    let op: PackedUserOperation = w.chain.owner_op(&w.account, transfer(w.token, 1)).unwrap();
    assert!(w
        .chain
        .handle_ops(version, std::slice::from_ref(&op), BENEFICIARY)
        .unwrap()
        .all_ops_succeeded());
    let replay = w.chain.handle_ops(version, &[op], BENEFICIARY).unwrap();
    assert_eq!(
        replay
            .revert
            .and_then(|r| r.failed_op_reason().map(str::to_owned))
            .as_deref(),
        Some("AA25 invalid account nonce")
    );
}

#[test]
fn warp_moves_block_timestamp() {
    let mut w = world(EntryPointVersion::V07);
    // Runtime code `TIMESTAMP PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN`: returns block.timestamp.
    let clock = Address::repeat_byte(0xc1);
    w.chain.set_code(
        clock,
        Bytes::from_static(&[0x42, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]),
    );
    let read =
        |chain: &leash_evm::Chain| U256::from_be_slice(&chain.view(clock, Bytes::new()).unwrap());

    let start = w.chain.timestamp();
    assert_eq!(read(&w.chain), U256::from(start));
    w.chain.warp(3_600);
    assert_eq!(w.chain.timestamp(), start + 3_600);
    assert_eq!(read(&w.chain), U256::from(start + 3_600));
    w.chain.set_timestamp(2_000_000_000);
    assert_eq!(read(&w.chain), U256::from(2_000_000_000u64));
}

#[test]
fn restore_undoes_everything_after_a_snapshot() {
    let version = EntryPointVersion::V08;
    let mut w = world(version);
    let snapshot = w.chain.snapshot();
    let time = w.chain.timestamp();
    let op = w.chain.owner_op(&w.account, transfer(w.token, 10)).unwrap();
    assert!(w
        .chain
        .handle_ops(version, &[op], BENEFICIARY)
        .unwrap()
        .all_ops_succeeded());
    w.chain.warp(99);
    w.chain.restore(snapshot);
    assert_eq!(
        w.chain.erc20_balance(w.token, RECIPIENT).unwrap(),
        U256::ZERO
    );
    assert_eq!(w.chain.timestamp(), time);
    let key = w.account.owner_nonce_key();
    assert_eq!(
        w.chain.nonce(version, w.account.address, key).unwrap() & U256::from(u64::MAX),
        U256::ZERO
    );
}
