//! pack/unpack are inverse on every well-formed input.

mod common;

use alloy::primitives::Bytes;
use leash_userop::{PackedUserOperation, UserOpError};
use proptest::prelude::*;

fn well_formed_packed() -> impl Strategy<Value = PackedUserOperation> {
    let init_code = prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 20..200)
    ];
    let paymaster_and_data = prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 52..200)
    ];
    (
        common::address(),
        common::u256(),
        init_code,
        common::bytes(300),
        any::<[u8; 32]>(),
        common::u256(),
        any::<[u8; 32]>(),
        paymaster_and_data,
        common::bytes(100),
    )
        .prop_map(
            |(sender, nonce, init_code, call_data, gas_limits, pvg, fees, pmd, signature)| {
                PackedUserOperation {
                    sender,
                    nonce,
                    initCode: init_code.into(),
                    callData: call_data,
                    accountGasLimits: gas_limits.into(),
                    preVerificationGas: pvg,
                    gasFees: fees.into(),
                    paymasterAndData: pmd.into(),
                    signature,
                }
            },
        )
}

proptest! {
    #[test]
    fn unpack_inverts_pack(op in common::user_operation()) {
        prop_assert_eq!(op.validate(), Ok(()));
        prop_assert_eq!(op.pack().unpack(), Ok(op));
    }

    #[test]
    fn pack_inverts_unpack(packed in well_formed_packed()) {
        let op = packed.unpack().unwrap();
        prop_assert_eq!(op.pack(), packed);
    }

    #[test]
    fn packed_layout(op in common::user_operation()) {
        let packed = op.pack();
        prop_assert_eq!(&packed.accountGasLimits[..16], &op.verification_gas_limit.to_be_bytes()[..]);
        prop_assert_eq!(&packed.accountGasLimits[16..], &op.call_gas_limit.to_be_bytes()[..]);
        prop_assert_eq!(&packed.gasFees[..16], &op.max_priority_fee_per_gas.to_be_bytes()[..]);
        prop_assert_eq!(&packed.gasFees[16..], &op.max_fee_per_gas.to_be_bytes()[..]);
        match op.factory {
            None => prop_assert!(packed.initCode.is_empty()),
            Some(factory) => {
                prop_assert_eq!(&packed.initCode[..20], factory.as_slice());
                prop_assert_eq!(&packed.initCode[20..], &op.factory_data[..]);
            }
        }
        match op.paymaster {
            None => prop_assert!(packed.paymasterAndData.is_empty()),
            Some(paymaster) => {
                let pmd = &packed.paymasterAndData;
                prop_assert_eq!(&pmd[..20], paymaster.as_slice());
                prop_assert_eq!(&pmd[20..36], &op.paymaster_verification_gas_limit.to_be_bytes()[..]);
                prop_assert_eq!(&pmd[36..52], &op.paymaster_post_op_gas_limit.to_be_bytes()[..]);
                prop_assert_eq!(&pmd[52..], &op.paymaster_data[..]);
            }
        }
    }

    #[test]
    fn unpack_rejects_truncated_fields(mut packed in well_formed_packed(), init_len in 1usize..20, pmd_len in 1usize..52) {
        let valid = packed.clone();
        packed.initCode = Bytes::from(vec![0x42; init_len]);
        prop_assert_eq!(packed.unpack(), Err(UserOpError::MalformedInitCode { len: init_len }));
        let mut packed = valid;
        packed.paymasterAndData = Bytes::from(vec![0x42; pmd_len]);
        prop_assert_eq!(packed.unpack(), Err(UserOpError::MalformedPaymasterAndData { len: pmd_len }));
    }

    #[test]
    fn packed_abi_roundtrip(packed in well_formed_packed()) {
        use alloy::sol_types::SolValue;
        let encoded = packed.abi_encode();
        prop_assert_eq!(PackedUserOperation::abi_decode(&encoded).unwrap(), packed);
    }
}
