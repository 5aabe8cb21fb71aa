//! The builder refuses every inconsistent input, naming what is wrong.

use alloy::primitives::{address, Address, Bytes, U256};
use leash_userop::{UserOpError, UserOperation, UserOperationBuilder};

const SENDER: Address = address!("0x1111111111111111111111111111111111111111");

fn base() -> UserOperationBuilder {
    UserOperation::builder().sender(SENDER)
}

#[test]
fn minimal_op_defaults_to_zero() {
    let op = base().build().unwrap();
    assert_eq!(
        op,
        UserOperation {
            sender: SENDER,
            ..UserOperation::default()
        }
    );
}

#[test]
fn missing_sender() {
    assert_eq!(
        UserOperation::builder().call_gas_limit(1).build(),
        Err(UserOpError::MissingField("sender"))
    );
}

#[test]
fn factory_data_without_factory() {
    assert_eq!(
        base().factory_data(vec![1]).build(),
        Err(UserOpError::FactoryDataWithoutFactory)
    );
    let with_factory = base()
        .factory(Address::repeat_byte(2))
        .factory_data(vec![1])
        .build()
        .unwrap();
    assert_eq!(with_factory.factory_data, Bytes::from(vec![1]));
}

#[test]
fn paymaster_data_without_paymaster() {
    assert_eq!(
        base().paymaster_data(vec![1]).build(),
        Err(UserOpError::PaymasterDataWithoutPaymaster)
    );
}

#[test]
fn paymaster_gas_without_paymaster() {
    assert_eq!(
        base().paymaster_verification_gas_limit(1).build(),
        Err(UserOpError::PaymasterGasWithoutPaymaster)
    );
    assert_eq!(
        base().paymaster_post_op_gas_limit(1u64).build(),
        Err(UserOpError::PaymasterGasWithoutPaymaster)
    );
    // Zero carries no information and is accepted.
    assert!(base()
        .paymaster_verification_gas_limit(0)
        .paymaster_post_op_gas_limit(0)
        .build()
        .is_ok());
}

#[test]
fn paymaster_fields_with_paymaster() {
    let op = base()
        .paymaster(Address::repeat_byte(3))
        .paymaster_verification_gas_limit(7)
        .paymaster_post_op_gas_limit(8)
        .paymaster_data(vec![9])
        .build()
        .unwrap();
    assert_eq!(
        (
            op.paymaster_verification_gas_limit,
            op.paymaster_post_op_gas_limit,
            op.paymaster_data
        ),
        (7, 8, Bytes::from(vec![9]))
    );
}

#[test]
fn every_16_byte_field_rejects_values_over_u128() {
    let too_large = U256::from(u128::MAX) + U256::from(1u64);
    let paymaster = || base().paymaster(Address::repeat_byte(3));
    let cases: [(&str, UserOperationBuilder); 6] = [
        ("callGasLimit", base().call_gas_limit(too_large)),
        (
            "verificationGasLimit",
            base().verification_gas_limit(too_large),
        ),
        ("maxFeePerGas", base().max_fee_per_gas(too_large)),
        (
            "maxPriorityFeePerGas",
            base().max_priority_fee_per_gas(too_large),
        ),
        (
            "paymasterVerificationGasLimit",
            paymaster().paymaster_verification_gas_limit(too_large),
        ),
        (
            "paymasterPostOpGasLimit",
            paymaster().paymaster_post_op_gas_limit(too_large),
        ),
    ];
    for (field, builder) in cases {
        assert_eq!(
            builder.build(),
            Err(UserOpError::GasLimitTooLarge { field }),
            "{field}"
        );
    }
    // u128::MAX itself fits.
    assert_eq!(
        base()
            .call_gas_limit(u128::MAX)
            .build()
            .unwrap()
            .call_gas_limit,
        u128::MAX
    );
    // preVerificationGas and nonce are full words.
    assert_eq!(
        base()
            .pre_verification_gas(U256::MAX)
            .build()
            .unwrap()
            .pre_verification_gas,
        U256::MAX
    );
    assert_eq!(base().nonce(U256::MAX).build().unwrap().nonce, U256::MAX);
}

#[test]
fn negative_numbers_are_rejected() {
    assert_eq!(
        base().call_gas_limit(-1).build(),
        Err(UserOpError::InvalidNumber {
            field: "callGasLimit"
        })
    );
    assert_eq!(
        base().nonce(-5i64).build(),
        Err(UserOpError::InvalidNumber { field: "nonce" })
    );
    assert_eq!(
        base().paymaster_post_op_gas_limit(-1).build(),
        Err(UserOpError::PaymasterGasWithoutPaymaster),
        "an invalid paymaster value without a paymaster is still a paymaster value"
    );
}

#[test]
fn validate_reports_what_pack_would_drop() {
    let mut op = base().build().unwrap();
    op.factory_data = Bytes::from(vec![1]);
    assert_eq!(op.validate(), Err(UserOpError::FactoryDataWithoutFactory));
    let mut op = base().build().unwrap();
    op.paymaster_data = Bytes::from(vec![1]);
    assert_eq!(
        op.validate(),
        Err(UserOpError::PaymasterDataWithoutPaymaster)
    );
    let mut op = base().build().unwrap();
    op.paymaster_post_op_gas_limit = 1;
    assert_eq!(
        op.validate(),
        Err(UserOpError::PaymasterGasWithoutPaymaster)
    );
}

#[test]
fn max_gas_and_max_fee() {
    let op = base()
        .call_gas_limit(100)
        .verification_gas_limit(200)
        .pre_verification_gas(30)
        .paymaster(Address::repeat_byte(3))
        .paymaster_verification_gas_limit(4)
        .paymaster_post_op_gas_limit(5)
        .max_fee_per_gas(7)
        .max_priority_fee_per_gas(1000)
        .build()
        .unwrap();
    assert_eq!(op.max_gas(), U256::from(339u64));
    assert_eq!(op.max_fee(), U256::from(339u64 * 7));
    let huge = base()
        .pre_verification_gas(U256::MAX)
        .call_gas_limit(u128::MAX)
        .max_fee_per_gas(u128::MAX)
        .build()
        .unwrap();
    assert_eq!(huge.max_gas(), U256::MAX, "saturates instead of wrapping");
    assert_eq!(huge.max_fee(), U256::MAX);
}
