//! The EntryPoints sit at their canonical addresses with real immutables.

mod common;

use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::{eip712_domain, SolCall, SolValue},
};
use common::{owner_key, BENEFICIARY};
use leash_contracts::bindings::{account::TestAccountFactory, entry_point::IEntryPoint};
use leash_evm::{Chain, DecodedEvent};
use leash_userop::{address_of, erc7579::validator_nonce, EntryPointVersion, UserOperation};

#[test]
fn entry_points_are_at_their_canonical_addresses() {
    let chain = Chain::new().unwrap();
    assert_eq!(chain.chain_id(), 31_337);
    for version in EntryPointVersion::ALL {
        let address = version.canonical_address();
        assert!(!chain.code(address).is_empty(), "{version} has no code");
        let npm_runtime_len = leash_contracts::entry_point_creation_code(version).len();
        assert!(chain.code(address).len() < npm_runtime_len);
    }
    assert!(!chain
        .code(leash_contracts::DETERMINISTIC_DEPLOYER)
        .is_empty());
}

#[test]
fn v08_domain_separator_is_the_eip712_domain() {
    let chain = Chain::new().unwrap();
    let entry_point = EntryPointVersion::V08.canonical_address();
    let output = chain
        .view(
            entry_point,
            IEntryPoint::getDomainSeparatorV4Call {}.abi_encode().into(),
        )
        .unwrap();
    let onchain = IEntryPoint::getDomainSeparatorV4Call::abi_decode_returns(&output).unwrap();
    let domain = eip712_domain! {
        name: "ERC4337",
        version: "1",
        chain_id: 31_337,
        verifying_contract: entry_point,
    };
    assert_eq!(onchain, domain.separator());
    assert_eq!(
        onchain,
        leash_userop::eip712_domain_separator_v08(entry_point, chain.chain_id())
    );
}

#[test]
fn v08_sender_creator_was_created_by_the_entry_point() {
    let chain = Chain::new().unwrap();
    let entry_point = EntryPointVersion::V08.canonical_address();
    let output = chain
        .view(
            entry_point,
            IEntryPoint::senderCreatorCall {}.abi_encode().into(),
        )
        .unwrap();
    let sender_creator = IEntryPoint::senderCreatorCall::abi_decode_returns(&output).unwrap();
    assert_eq!(
        sender_creator,
        entry_point.create(1),
        "immutable must be the real SenderCreator"
    );
    assert!(!chain.code(sender_creator).is_empty());
}

/// An op whose `initCode` deploys the account proves the SenderCreator immutable is real.
#[test]
fn init_code_deploys_an_account_on_both_versions() {
    for version in EntryPointVersion::ALL {
        let mut chain = Chain::new().unwrap();
        let validator = chain.deploy_owner_validator().unwrap();
        let factory = chain.deploy_artifact("TestAccountFactory", &[]).unwrap();
        let owner = owner_key(9);
        let validator_data: Bytes = address_of(&owner).abi_encode().into();
        let entry_point = version.canonical_address();
        let salt = alloy::primitives::B256::repeat_byte(5);
        let get_address = TestAccountFactory::getAddressCall {
            entryPoint: entry_point,
            validator,
            validatorData: validator_data.clone(),
            salt,
        };
        let sender = TestAccountFactory::getAddressCall::abi_decode_returns(
            &chain
                .view(factory, get_address.abi_encode().into())
                .unwrap(),
        )
        .unwrap();
        assert!(chain.code(sender).is_empty());
        chain
            .deposit_to(version, sender, U256::from(10u128.pow(18)))
            .unwrap();

        let create = TestAccountFactory::createAccountCall {
            entryPoint: entry_point,
            validator,
            validatorData: validator_data,
            salt,
        };
        let mut op = UserOperation::builder()
            .sender(sender)
            .nonce(validator_nonce(validator, 0, 0))
            .factory(factory)
            .factory_data(create.abi_encode())
            .call_gas_limit(100_000u64)
            .verification_gas_limit(5_000_000u64)
            .pre_verification_gas(50_000u64)
            .max_fee_per_gas(1_000_000_000u64)
            .max_priority_fee_per_gas(1_000_000_000u64)
            .build()
            .unwrap();
        op.sign_with(&owner, version, entry_point, chain.chain_id());
        let outcome = chain
            .handle_ops(version, &[op.pack()], BENEFICIARY)
            .unwrap();
        assert!(
            outcome.all_ops_succeeded(),
            "{version}: {:?}",
            outcome.revert
        );
        assert!(
            !chain.code(sender).is_empty(),
            "{version}: account not deployed"
        );
        assert!(outcome.events.iter().any(|event| matches!(
            event,
            DecodedEvent::AccountDeployed { sender: deployed, factory: used, .. }
                if *deployed == sender && *used == factory
        )));
        assert_ne!(sender, Address::ZERO);
    }
}
