//! Revert and custom-error decoding.

use alloy::{
    json_abi::JsonAbi,
    primitives::{Address, Bytes, B256, U256},
    sol,
    sol_types::{Revert, SolError},
};
use leash_contracts::bindings::entry_point::IEntryPoint;
use leash_evm::{format_revert_data, Chain, DecodedRevert, ErrorRegistry};

sol! {
    error TokenAllowanceExceeded(bytes32 sessionId, address token, uint256 asked, uint256 left);
}

fn allowance_error() -> Bytes {
    TokenAllowanceExceeded {
        sessionId: B256::repeat_byte(0xab),
        token: Address::repeat_byte(0x11),
        asked: U256::from(50),
        left: U256::from(20),
    }
    .abi_encode()
    .into()
}

#[test]
fn registered_custom_errors_render_with_field_names() {
    let mut registry = ErrorRegistry::default();
    assert_eq!(registry.render(&allowance_error()), None);
    let abi = JsonAbi::parse([
        "error TokenAllowanceExceeded(bytes32 sessionId, address token, uint256 asked, uint256 left)",
    ])
    .unwrap();
    registry.register_abi(&abi);
    let rendered = registry.render(&allowance_error()).unwrap();
    assert_eq!(
        rendered,
        format!(
            "TokenAllowanceExceeded(sessionId={}, token={}, asked=50, left=20)",
            B256::repeat_byte(0xab),
            Address::repeat_byte(0x11).to_checksum(None)
        )
    );
}

#[test]
fn failed_op_with_revert_decodes_its_inner_error() {
    let mut registry = ErrorRegistry::default();
    registry.register_abi(
        &JsonAbi::parse(["error TokenAllowanceExceeded(bytes32 sessionId, address token, uint256 asked, uint256 left)"])
            .unwrap(),
    );
    let data = IEntryPoint::FailedOpWithRevert {
        opIndex: U256::from(2),
        reason: "AA23 reverted".into(),
        inner: allowance_error(),
    }
    .abi_encode();
    let decoded = DecodedRevert::decode(&data, &registry);
    let DecodedRevert::FailedOpWithRevert {
        op_index,
        reason,
        inner,
        inner_decoded,
    } = &decoded
    else {
        panic!("{decoded:?}");
    };
    assert_eq!(*op_index, U256::from(2));
    assert_eq!(reason, "AA23 reverted");
    assert_eq!(inner, &allowance_error());
    assert!(inner_decoded
        .as_deref()
        .unwrap()
        .starts_with("TokenAllowanceExceeded(sessionId=0xabab"));
    assert!(decoded
        .to_string()
        .contains("inner: TokenAllowanceExceeded("));
}

#[test]
fn standard_reverts_decode() {
    let registry = ErrorRegistry::default();
    let error = Revert::from("nope").abi_encode();
    assert_eq!(
        DecodedRevert::decode(&error, &registry),
        DecodedRevert::Error("nope".into())
    );
    assert_eq!(
        format_revert_data(&error, &registry).as_deref(),
        Some("Error(\"nope\")")
    );
    let panic = alloy::sol_types::Panic::from(0x11u64).abi_encode();
    assert_eq!(
        DecodedRevert::decode(&panic, &registry),
        DecodedRevert::Panic(0x11)
    );
    assert_eq!(
        DecodedRevert::decode(&[], &registry),
        DecodedRevert::Raw(Bytes::new())
    );
    let unknown = [0xde, 0xad, 0xbe, 0xef, 0x01];
    let decoded = DecodedRevert::decode(&unknown, &registry);
    assert!(matches!(
        decoded,
        DecodedRevert::Custom { decoded: None, .. }
    ));
    assert_eq!(decoded.to_string(), "unknown custom error 0xdeadbeef(0x01)");
}

#[test]
fn chain_knows_the_compiled_contracts_errors() {
    let chain = Chain::new().unwrap();
    let module = leash_contracts::artifact("SessionKeyValidator").unwrap();
    let error = module
        .abi
        .errors()
        .next()
        .expect("the module declares errors");
    let data = alloy::dyn_abi::JsonAbiExt::abi_encode_input(
        error,
        &error
            .inputs
            .iter()
            .map(|param| {
                let ty: alloy::dyn_abi::DynSolType = param.ty.parse().unwrap();
                zero_value(&ty)
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let rendered = chain
        .error_registry()
        .render(&data)
        .expect("registered by Chain::new");
    assert!(
        rendered.starts_with(&format!("{}(", error.name)),
        "{rendered}"
    );
}

fn zero_value(ty: &alloy::dyn_abi::DynSolType) -> alloy::dyn_abi::DynSolValue {
    use alloy::dyn_abi::{DynSolType as T, DynSolValue as V};
    match ty {
        T::Bool => V::Bool(false),
        T::Int(bits) => V::Int(Default::default(), *bits),
        T::Uint(bits) => V::Uint(U256::ZERO, *bits),
        T::FixedBytes(size) => V::FixedBytes(B256::ZERO, *size),
        T::Address => V::Address(Address::ZERO),
        T::Bytes => V::Bytes(Vec::new()),
        T::String => V::String(String::new()),
        T::Array(_) => V::Array(Vec::new()),
        T::FixedArray(inner, len) => V::FixedArray(vec![zero_value(inner); *len]),
        T::Tuple(items) => V::Tuple(items.iter().map(zero_value).collect()),
        other => panic!("unexpected error parameter type {other}"),
    }
}
