//! Property: the userOpHash computed by `leash_userop` equals `EntryPoint.getUserOpHash` of the
//! real EntryPoint, for random operations, on v0.7 and v0.8.

use alloy::primitives::{Address, Bytes, U256};
use leash_evm::Chain;
use leash_userop::{EntryPointVersion, UserOperation};
use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};

const CASES: u32 = 64;

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        any::<u64>().prop_map(U256::from),
        Just(U256::ZERO),
        Just(U256::MAX),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn gas() -> impl Strategy<Value = u128> {
    prop_oneof![any::<u128>(), 0u128..10_000_000, Just(u128::MAX)]
}

/// A random, consistent user operation: with or without a factory (and its data), with or
/// without a paymaster (and its gas limits and data).
fn user_operation() -> impl Strategy<Value = UserOperation> {
    let core = (
        address(),
        u256(),
        bytes(300),
        gas(),
        gas(),
        u256(),
        gas(),
        gas(),
    );
    let factory = proptest::option::of((address(), bytes(200)));
    let paymaster = proptest::option::of((address(), gas(), gas(), bytes(120)));
    (core, factory, paymaster, bytes(100)).prop_map(
        |(
            (
                sender,
                nonce,
                call_data,
                call_gas,
                verification_gas,
                pre_verification_gas,
                max_fee,
                priority,
            ),
            factory,
            paymaster,
            signature,
        )| {
            let (factory, factory_data) = match factory {
                Some((factory, data)) => (Some(factory), data),
                None => (None, Bytes::new()),
            };
            let (paymaster, pm_verification, pm_post_op, paymaster_data) = match paymaster {
                Some((paymaster, verification, post_op, data)) => {
                    (Some(paymaster), verification, post_op, data)
                }
                None => (None, 0, 0, Bytes::new()),
            };
            UserOperation {
                sender,
                nonce,
                factory,
                factory_data,
                call_data,
                call_gas_limit: call_gas,
                verification_gas_limit: verification_gas,
                pre_verification_gas,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: priority,
                paymaster,
                paymaster_verification_gas_limit: pm_verification,
                paymaster_post_op_gas_limit: pm_post_op,
                paymaster_data,
                signature,
                eip7702_auth: None,
            }
        },
    )
}

fn check_version(version: EntryPointVersion) {
    let chain = Chain::new().expect("chain");
    let entry_point = version.canonical_address();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        ..Config::default()
    });
    runner
        .run(&user_operation(), |op| {
            op.validate()
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            let packed = op.pack();
            let onchain = chain
                .user_op_hash_onchain(version, &packed)
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(op.hash(version, entry_point, chain.chain_id()), onchain);
            let direct = match version {
                EntryPointVersion::V07 => {
                    leash_userop::user_op_hash_v07(&packed, entry_point, chain.chain_id())
                }
                EntryPointVersion::V08 => {
                    leash_userop::user_op_hash_v08(&packed, entry_point, chain.chain_id())
                }
            };
            prop_assert_eq!(direct, onchain);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{version}: {failure}"));
}

#[test]
fn user_op_hash_matches_entry_point_v07() {
    check_version(EntryPointVersion::V07);
}

#[test]
fn user_op_hash_matches_entry_point_v08() {
    check_version(EntryPointVersion::V08);
}
