//! The Session struct is written three times by design: in Solidity (contracts/session/SessionTypes.sol),
//! in the contract bindings (leash-contracts, what the harness and the CLI call the module with) and
//! in leash-keys (what permission files become, without the Solidity toolchain as a dependency).
//! This test pins the three together: a session with every field populated encodes to the same
//! bytes through both Rust types, and the module itself, running in the in-process chain, gives it
//! the id leash-keys computes. A field added or reordered on one side fails here.

use alloy::primitives::{Address, FixedBytes, U256};
use alloy::sol_types::{SolCall, SolValue};
use leash_contracts::artifact;
use leash_contracts::bindings::session as contract_types;
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_evm::Chain;
use leash_keys::permissions::onchain as key_types;

/// A session in which no field is left at its default, so a swapped or missing field shows.
fn every_field_session() -> key_types::Session {
    let addr = |byte: u8| Address::repeat_byte(byte);
    key_types::Session {
        signer: addr(0x11),
        validAfter: alloy::primitives::aliases::U48::from(1_700_000_000u64),
        validUntil: alloy::primitives::aliases::U48::from(1_800_000_000u64),
        maxUses: 7,
        root: true,
        period: alloy::primitives::aliases::U48::from(86_400u64),
        periodStart: alloy::primitives::aliases::U48::from(1_700_000_123u64),
        rateLimit: 3,
        nativeAllowance: U256::from(5u64) * U256::from(10u64).pow(U256::from(17u64)),
        feeBudget: U256::from(123_456_789u64),
        gasBudget: U256::from(9_000_000u64),
        calls: vec![
            key_types::CallGrant {
                target: addr(0x21),
                selector: FixedBytes([0xa9, 0x05, 0x9c, 0xbb]),
                flags: 0,
            },
            key_types::CallGrant {
                target: Address::ZERO,
                selector: FixedBytes([0x09, 0x5e, 0xa7, 0xb3]),
                flags: key_types::GRANT_ANY_TARGET,
            },
        ],
        accountSelectors: vec![FixedBytes([0x12, 0x34, 0x56, 0x78])],
        tokens: vec![key_types::TokenAllowance {
            token: addr(0x31),
            amount: U256::from(100u64),
        }],
        periodic: vec![
            key_types::PeriodicAllowance {
                asset: key_types::NATIVE_ASSET,
                amount: U256::from(42u64),
            },
            key_types::PeriodicAllowance {
                asset: addr(0x31),
                amount: U256::from(10u64),
            },
        ],
        paymasters: vec![addr(0x41), addr(0x42)],
        salt: FixedBytes::repeat_byte(0x5a),
    }
}

#[test]
fn keys_and_contract_bindings_encode_a_session_identically() {
    let session = every_field_session();
    let encoded = session.abi_encode();
    let as_contract_type = contract_types::Session::abi_decode(&encoded)
        .expect("the keys encoding decodes as the contract binding's Session");
    assert_eq!(
        as_contract_type.abi_encode(),
        encoded,
        "the two Rust Session types encode differently"
    );
    assert_eq!(as_contract_type.signer, session.signer);
    assert_eq!(as_contract_type.salt, session.salt);
    assert_eq!(as_contract_type.paymasters, session.paymasters);
}

#[test]
fn the_module_gives_a_session_the_id_leash_keys_computes() {
    let session = every_field_session();
    let mut chain = Chain::new().expect("in-process chain");
    let module = artifact("SessionKeyValidator").expect("module artifact");
    let deployer = Address::repeat_byte(0x77);
    let address = chain
        .deploy(deployer, module.bytecode.clone())
        .expect("deploy the module");

    let as_contract_type =
        contract_types::Session::abi_decode(&session.abi_encode()).expect("decodes");
    let call = ISessionKeyValidator::getSessionIdCall {
        session: as_contract_type,
    };
    let returned = chain
        .view(address, call.abi_encode().into())
        .expect("getSessionId answers");
    let on_chain_id =
        ISessionKeyValidator::getSessionIdCall::abi_decode_returns(&returned).expect("a bytes32");
    assert_eq!(
        on_chain_id,
        key_types::session_id(&session),
        "module and leash-keys disagree on the session id"
    );
}
