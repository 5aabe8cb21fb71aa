//! EntryPoint v0.7 userOpHash against rundler's public Sepolia vector (`test_hash`).

use alloy::primitives::{address, b256, bytes, hex, uint, Bytes, U256};
use leash_userop::erc7579::{execute_single, nonce_validator, validator_nonce};
use leash_userop::{user_op_hash_v07, EntryPointVersion, PackedUserOperation};

/// The installModule call wrapped in the vector's `execute` (single call, value 0, to itself).
const INSTALL_MODULE_CALL: &str = "9517e29f0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000ad6330089d9a1fe89f4020292e1afe9969a5a2fc00000000000000000000000000000000000000000000000000000000000000600000000000000000000000000000000000000000000000000000000000000120000000000000000000000000000000000000000000000000000000000001518000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018e2fbe8980000000000000000000000000000000000000000000000000000000000000008000000000000000000000000000000000000000000000000000000000000000800000000000000000000000002372912728f93ab3daaaebea4f87e6e28476d987000000000000000000000000000000000000000000000000002386f26fc1000000000000000000000000000000000000000000000000000000000000000000600000000000000000000000000000000000000000000000000000000000000000";

const CALL_DATA: &str = "e9ae5c530000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000001d8b292cf4a8e1ff21ac27c4f94071cd02c022c414b00000000000000000000000000000000000000000000000000000000000000009517e29f0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000ad6330089d9a1fe89f4020292e1afe9969a5a2fc00000000000000000000000000000000000000000000000000000000000000600000000000000000000000000000000000000000000000000000000000000120000000000000000000000000000000000000000000000000000000000001518000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018e2fbe8980000000000000000000000000000000000000000000000000000000000000008000000000000000000000000000000000000000000000000000000000000000800000000000000000000000002372912728f93ab3daaaebea4f87e6e28476d987000000000000000000000000000000000000000000000000002386f26fc10000000000000000000000000000000000000000000000000000000000000000006000000000000000000000000000000000000000000000000000000000000000000000000000000000";

const SEPOLIA: u64 = 11_155_111;

fn vector() -> PackedUserOperation {
    PackedUserOperation {
        sender: address!("0xb292Cf4a8E1fF21Ac27C4f94071Cd02C022C414b"),
        nonce: uint!(0xF83D07238A7C8814A48535035602123AD6DBFA63000000000000000000000001_U256),
        initCode: Bytes::new(),
        callData: Bytes::from(hex::decode(CALL_DATA).unwrap()),
        accountGasLimits: b256!("0x000000000000000000000000000114fc0000000000000000000000000012c9b5"),
        preVerificationGas: U256::from(48_916u64),
        gasFees: b256!("0x000000000000000000000000524121000000000000000000000000109a4a441a"),
        paymasterAndData: Bytes::new(),
        signature: bytes!("3c7bfe22c9c2ef8994a9637bcc4df1741c5dc0c25b209545a7aeb20f7770f351479b683bd17c4d55bc32e2a649c8d2dff49dcfcc1f3fd837bcd88d1e69a434cf1c"),
    }
}

const EXPECTED: alloy::primitives::B256 =
    b256!("0xe486401370d145766c3cf7ba089553214a1230d38662ae532c9b62eb6dadcf7e");

#[test]
fn packed_vector_hashes_to_known_answer() {
    let hash = user_op_hash_v07(
        &vector(),
        EntryPointVersion::V07.canonical_address(),
        SEPOLIA,
    );
    assert_eq!(hash, EXPECTED);
}

#[test]
fn unpacked_vector_hashes_to_known_answer() {
    let op = vector().unpack().unwrap();
    assert_eq!(op.call_gas_limit, 0x12c9b5);
    assert_eq!(op.verification_gas_limit, 0x0114fc);
    assert_eq!(op.max_priority_fee_per_gas, 0x52412100);
    assert_eq!(op.max_fee_per_gas, 0x109a4a441a);
    assert_eq!(op.factory, None);
    assert_eq!(op.paymaster, None);
    assert_eq!(op.pack(), vector());
    let version = EntryPointVersion::V07;
    assert_eq!(
        op.hash(version, version.canonical_address(), SEPOLIA),
        EXPECTED
    );
}

#[test]
fn hash_binds_chain_entry_point_and_fields() {
    let op = vector().unpack().unwrap();
    let v07 = EntryPointVersion::V07.canonical_address();
    assert_ne!(op.hash(EntryPointVersion::V07, v07, 1), EXPECTED);
    assert_ne!(
        op.hash(
            EntryPointVersion::V07,
            EntryPointVersion::V08.canonical_address(),
            SEPOLIA
        ),
        EXPECTED
    );
    assert_ne!(op.hash(EntryPointVersion::V08, v07, SEPOLIA), EXPECTED);
    let mut changed = op.clone();
    changed.pre_verification_gas += U256::from(1u64);
    assert_ne!(changed.hash(EntryPointVersion::V07, v07, SEPOLIA), EXPECTED);
    let mut resigned = op;
    resigned.signature = Bytes::from_static(&[1, 2, 3]);
    assert_eq!(
        resigned.hash(EntryPointVersion::V07, v07, SEPOLIA),
        EXPECTED,
        "signature is not hashed"
    );
}

#[test]
fn vector_call_data_is_erc7579_single_execute() {
    let call = hex::decode(INSTALL_MODULE_CALL).unwrap();
    let sender = address!("0xb292Cf4a8E1fF21Ac27C4f94071Cd02C022C414b");
    assert_eq!(execute_single(sender, U256::ZERO, &call), vector().callData);
}

#[test]
fn vector_nonce_selects_a_validator() {
    let validator = address!("0xF83D07238A7C8814A48535035602123AD6DBFA63");
    assert_eq!(validator_nonce(validator, 0, 1), vector().nonce);
    assert_eq!(nonce_validator(vector().nonce), validator);
}
