//! EntryPoint v0.8 userOpHash against alloy's independent EIP-712 implementation.

mod common;

use alloy::primitives::{address, Address, Bytes};
use alloy::sol_types::{eip712_domain, Eip712Domain, SolStruct};
use leash_userop::hash::{packed_user_op_typehash, PACKED_USER_OP_TYPE};
use leash_userop::{
    eip712_domain_separator_v08, user_op_hash_v08, user_op_hash_v08_with_eip7702_delegate,
    EntryPointVersion, PackedUserOperation as OnChain, UserOperation, EIP7702_INIT_CODE_MARKER,
};
use proptest::prelude::*;

mod typed {
    alloy::sol! {
        /// The EIP-712 struct of EntryPoint v0.8 (the signature is not part of it).
        struct PackedUserOperation {
            address sender;
            uint256 nonce;
            bytes initCode;
            bytes callData;
            bytes32 accountGasLimits;
            uint256 preVerificationGas;
            bytes32 gasFees;
            bytes paymasterAndData;
        }
    }
}

fn domain(entry_point: Address, chain_id: u64) -> Eip712Domain {
    eip712_domain! {
        name: "ERC4337",
        version: "1",
        chain_id: chain_id,
        verifying_contract: entry_point,
    }
}

fn typed(op: &OnChain, init_code: Bytes) -> typed::PackedUserOperation {
    typed::PackedUserOperation {
        sender: op.sender,
        nonce: op.nonce,
        initCode: init_code,
        callData: op.callData.clone(),
        accountGasLimits: op.accountGasLimits,
        preVerificationGas: op.preVerificationGas,
        gasFees: op.gasFees,
        paymasterAndData: op.paymasterAndData.clone(),
    }
}

#[test]
fn type_string_and_hash_match_alloy() {
    assert_eq!(
        typed::PackedUserOperation::eip712_root_type(),
        PACKED_USER_OP_TYPE
    );
    let sample = typed(&UserOperation::default().pack(), Bytes::new());
    assert_eq!(sample.eip712_type_hash(), packed_user_op_typehash());
}

#[test]
fn domain_separator_matches_alloy_and_deployed_entry_point() {
    let entry_point = EntryPointVersion::V08.canonical_address();
    for chain_id in [1u64, 10, 31_337, 11_155_111, u64::MAX] {
        assert_eq!(
            eip712_domain_separator_v08(entry_point, chain_id),
            domain(entry_point, chain_id).separator()
        );
    }
    // TOOLCHAIN.md: a correctly deployed v0.8 EntryPoint on anvil (chain 31337) answers
    // getDomainSeparatorV4() = 0x484c…6981.
    let on_anvil = eip712_domain_separator_v08(entry_point, 31_337).to_string();
    assert!(
        on_anvil.starts_with("0x484c") && on_anvil.ends_with("6981"),
        "{on_anvil}"
    );
}

proptest! {
    #[test]
    fn hash_matches_alloy_eip712(op in common::user_operation(), chain_id in any::<u64>(), entry_point in common::address()) {
        let packed = op.pack();
        let expected = typed(&packed, packed.initCode.clone()).eip712_signing_hash(&domain(entry_point, chain_id));
        prop_assert_eq!(user_op_hash_v08(&packed, entry_point, chain_id), expected);
        prop_assert_eq!(op.hash(EntryPointVersion::V08, entry_point, chain_id), expected);
    }

    #[test]
    fn delegate_is_ignored_without_eip7702_marker(op in common::user_operation(), delegate in common::address()) {
        prop_assume!(op.factory != Some(EIP7702_INIT_CODE_MARKER));
        let entry_point = EntryPointVersion::V08.canonical_address();
        prop_assert_eq!(
            op.hash_with_eip7702_delegate(EntryPointVersion::V08, entry_point, 1, delegate),
            op.hash(EntryPointVersion::V08, entry_point, 1)
        );
    }
}

fn eip7702_op(factory_data: &[u8]) -> UserOperation {
    UserOperation::builder()
        .sender(address!("0x1000000000000000000000000000000000000001"))
        .factory(EIP7702_INIT_CODE_MARKER)
        .factory_data(factory_data.to_vec())
        .call_gas_limit(1)
        .build()
        .unwrap()
}

#[test]
fn eip7702_marker_hashes_the_delegate_in_place_of_init_code() {
    let delegate = address!("0xde1e9a7e00000000000000000000000000000de1");
    let entry_point = EntryPointVersion::V08.canonical_address();
    for factory_data in [&b""[..], &b"\x12\x34\x56"[..]] {
        let op = eip7702_op(factory_data);
        let packed = op.pack();
        // EntryPoint v0.8 hashes keccak(delegate ‖ initCode[20..]) in place of keccak(initCode):
        // the same as the EIP-712 hash of the struct with initCode = delegate ‖ initCode[20..].
        let substituted = Bytes::from([delegate.as_slice(), factory_data].concat());
        let expected = typed(&packed, substituted).eip712_signing_hash(&domain(entry_point, 7));
        assert_eq!(
            user_op_hash_v08_with_eip7702_delegate(&packed, entry_point, 7, delegate),
            expected
        );
        assert_eq!(
            op.hash_with_eip7702_delegate(EntryPointVersion::V08, entry_point, 7, delegate),
            expected
        );
        assert_ne!(op.hash(EntryPointVersion::V08, entry_point, 7), expected);
        // v0.7 has no EIP-7702 special case.
        assert_eq!(
            op.hash_with_eip7702_delegate(EntryPointVersion::V07, entry_point, 7, delegate),
            op.hash(EntryPointVersion::V07, entry_point, 7)
        );
    }
}

#[test]
fn eip7702_short_marker_init_code_hashes_the_delegate() {
    // initCode = 0x7702 (two bytes) is an EIP-7702 authorization for the EntryPoint too,
    // although it can't be unpacked into factory fields.
    let delegate = address!("0xde1e9a7e00000000000000000000000000000de1");
    let entry_point = EntryPointVersion::V08.canonical_address();
    let mut packed = eip7702_op(b"").pack();
    packed.initCode = Bytes::from_static(&[0x77, 0x02]);
    let expected = typed(&packed, Bytes::copy_from_slice(delegate.as_slice()))
        .eip712_signing_hash(&domain(entry_point, 1));
    assert_eq!(
        user_op_hash_v08_with_eip7702_delegate(&packed, entry_point, 1, delegate),
        expected
    );
    assert!(packed.unpack().is_err());
}
