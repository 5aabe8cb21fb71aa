//! The bundler RPC JSON shape: exact text, roundtrips and strict parsing.

mod common;

use alloy::primitives::{address, Bytes};
use leash_userop::erc7579::validator_nonce;
use leash_userop::{EntryPointVersion, RpcUserOperation, UserOpError, UserOperation};
use proptest::prelude::*;

fn sponsored_op() -> UserOperation {
    UserOperation::builder()
        .sender(address!("0x1111111111111111111111111111111111111111"))
        .nonce(validator_nonce(
            address!("0x2222222222222222222222222222222222222222"),
            0,
            5,
        ))
        .factory(EntryPointVersion::V07.canonical_address())
        .factory_data(vec![0xab, 0xcd])
        .call_data(vec![0xe9, 0xae, 0x5c, 0x53])
        .call_gas_limit(100_000)
        .verification_gas_limit(300_000)
        .pre_verification_gas(60_000)
        .max_fee_per_gas(30_000_000_000u64)
        .max_priority_fee_per_gas(1_000_000_000)
        .paymaster(EntryPointVersion::V08.canonical_address())
        .paymaster_verification_gas_limit(50_000)
        .signature(vec![0x01, 0xff])
        .build()
        .unwrap()
}

const SPONSORED_JSON: &str = concat!(
    r#"{"sender":"0x1111111111111111111111111111111111111111","#,
    r#""nonce":"0x2222222222222222222222222222222222222222000000000000000000000005","#,
    r#""factory":"0x0000000071727De22E5E9d8BAf0edAc6f37da032","factoryData":"0xabcd","#,
    r#""callData":"0xe9ae5c53","callGasLimit":"0x186a0","verificationGasLimit":"0x493e0","#,
    r#""preVerificationGas":"0xea60","maxFeePerGas":"0x6fc23ac00","maxPriorityFeePerGas":"0x3b9aca00","#,
    r#""paymaster":"0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108","paymasterVerificationGasLimit":"0xc350","#,
    r#""paymasterPostOpGasLimit":"0x0","paymasterData":"0x","signature":"0x01ff"}"#
);

#[test]
fn exact_json_text() {
    assert_eq!(
        RpcUserOperation::from(sponsored_op()).to_json(),
        SPONSORED_JSON
    );
    assert_eq!(
        serde_json::to_string(&sponsored_op()).unwrap(),
        SPONSORED_JSON
    );
    let parsed: UserOperation = serde_json::from_str(SPONSORED_JSON).unwrap();
    assert_eq!(parsed, sponsored_op());
}

#[test]
fn absent_factory_and_paymaster_are_omitted() {
    let op = UserOperation::builder()
        .sender(address!("0x1111111111111111111111111111111111111111"))
        .build()
        .unwrap();
    assert_eq!(
        RpcUserOperation::from(&op).to_json(),
        concat!(
            r#"{"sender":"0x1111111111111111111111111111111111111111","nonce":"0x0","callData":"0x","#,
            r#""callGasLimit":"0x0","verificationGasLimit":"0x0","preVerificationGas":"0x0","#,
            r#""maxFeePerGas":"0x0","maxPriorityFeePerGas":"0x0","signature":"0x"}"#
        )
    );
}

fn parse(json: &str) -> Result<UserOperation, UserOpError> {
    UserOperation::try_from(RpcUserOperation::from_json(json)?)
}

fn with(field: &str, value: serde_json::Value) -> String {
    let mut object: serde_json::Value = serde_json::from_str(SPONSORED_JSON).unwrap();
    if value.is_null() {
        object.as_object_mut().unwrap().remove(field);
    } else {
        object[field] = value;
    }
    object.to_string()
}

#[test]
fn bad_hex_names_the_field() {
    let cases = [
        ("sender", "0x11111111111111111111111111111111111111"),
        ("sender", "1111111111111111111111111111111111111111"),
        ("factory", "0x0000000071727de22E5E9d8BAf0edAc6f37da032"),
        ("nonce", "0x01"),
        ("nonce", "12"),
        ("callData", "0xabc"),
        ("callData", "0xzz"),
        ("callGasLimit", "0x"),
        ("maxFeePerGas", "0x-1"),
        ("signature", "01ff"),
        ("paymasterData", "0x0"),
    ];
    for (field, value) in cases {
        match parse(&with(field, value.into())) {
            Err(UserOpError::InvalidHex {
                field: reported, ..
            }) => assert_eq!(reported, field),
            other => panic!("{field}={value}: {other:?}"),
        }
    }
}

#[test]
fn gas_over_128_bits_is_rejected() {
    let two_to_128 = format!("0x1{}", "0".repeat(32));
    for field in [
        "callGasLimit",
        "verificationGasLimit",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "paymasterVerificationGasLimit",
        "paymasterPostOpGasLimit",
    ] {
        assert_eq!(
            parse(&with(field, two_to_128.clone().into())),
            Err(UserOpError::GasLimitTooLarge { field })
        );
    }
    let pvg = parse(&with("preVerificationGas", two_to_128.into())).unwrap();
    assert_eq!(
        pvg.pre_verification_gas,
        alloy::primitives::U256::from(1u64) << 128
    );
}

#[test]
fn inconsistent_fields_are_rejected() {
    let no_factory = with("factory", serde_json::Value::Null);
    assert_eq!(
        parse(&no_factory),
        Err(UserOpError::FactoryDataWithoutFactory)
    );
    assert_eq!(
        parse(&with("factoryData", serde_json::Value::Null)),
        Err(UserOpError::MissingField("factoryData"))
    );

    let mut object: serde_json::Value = serde_json::from_str(SPONSORED_JSON).unwrap();
    object.as_object_mut().unwrap().remove("paymaster");
    object["paymasterData"] = "0x01".into();
    assert_eq!(
        parse(&object.to_string()),
        Err(UserOpError::PaymasterDataWithoutPaymaster)
    );
    object["paymasterData"] = "0x".into();
    assert_eq!(
        parse(&object.to_string()),
        Err(UserOpError::PaymasterGasWithoutPaymaster)
    );
    object["paymasterVerificationGasLimit"] = "0x0".into();
    let unsponsored = parse(&object.to_string()).unwrap();
    assert_eq!(unsponsored.paymaster, None);

    for field in [
        "paymasterVerificationGasLimit",
        "paymasterPostOpGasLimit",
        "paymasterData",
    ] {
        assert_eq!(
            parse(&with(field, serde_json::Value::Null)),
            Err(UserOpError::MissingField(field))
        );
    }
}

#[test]
fn malformed_objects_are_json_errors() {
    for json in [
        with("initCode", "0x".into()),
        with("callGasLimit", 100_000.into()),
        with("signature", serde_json::Value::Null),
        "[]".to_owned(),
        "{".to_owned(),
    ] {
        assert!(matches!(parse(&json), Err(UserOpError::Json(_))), "{json}");
    }
    assert!(serde_json::from_str::<UserOperation>(&with("nonce", "0x00".into())).is_err());
}

proptest! {
    #[test]
    fn json_roundtrip(op in common::user_operation()) {
        let json = RpcUserOperation::from(&op).to_json();
        prop_assert_eq!(parse(&json), Ok(op.clone()));
        let through_serde: UserOperation = serde_json::from_str(&serde_json::to_string(&op).unwrap()).unwrap();
        prop_assert_eq!(through_serde, op);
    }

    #[test]
    fn empty_bytes_roundtrip(signature in common::bytes(3)) {
        let op = UserOperation { signature: signature.clone(), ..UserOperation::default() };
        prop_assert_eq!(parse(&RpcUserOperation::from(&op).to_json()).unwrap().signature, Bytes::from(signature.to_vec()));
    }
}
