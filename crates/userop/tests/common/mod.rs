//! proptest strategies shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use alloy::primitives::{Address, Bytes, U256};
use leash_userop::UserOperation;
use proptest::prelude::*;

pub fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

pub fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        any::<u64>().prop_map(U256::from),
        Just(U256::ZERO),
        Just(U256::MAX),
    ]
}

pub fn gas() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u128>(),
        any::<u32>().prop_map(u128::from),
        Just(0u128),
        Just(u128::MAX)
    ]
}

pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

/// A consistent operation: nothing set that `pack` would drop.
pub fn user_operation() -> impl Strategy<Value = UserOperation> {
    let core = (
        address(),
        u256(),
        bytes(300),
        gas(),
        gas(),
        u256(),
        gas(),
        gas(),
        bytes(100),
    );
    let factory = proptest::option::of((address(), bytes(100)));
    let paymaster = proptest::option::of((address(), gas(), gas(), bytes(100)));
    (core, factory, paymaster).prop_map(
        |(
            (
                sender,
                nonce,
                call_data,
                call_gas,
                verification_gas,
                pre_verification_gas,
                max_fee,
                max_priority_fee,
                signature,
            ),
            factory,
            paymaster,
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
                max_priority_fee_per_gas: max_priority_fee,
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
