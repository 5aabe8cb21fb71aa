//! The account profiles of `leash_userop::account` against the real account bytecode
//! (`tests/fixtures/accounts/precompiles.json`, from @rhinestone/modulekit 0.5.9) in revm,
//! through the real EntryPoint v0.7: for every profile and any nonce lane, the nonce Rust builds
//! makes the account validate with the validator Rust named (an op signed by that validator's
//! owner goes through, one signed by another owner does not), the install data Rust builds makes
//! the account install that validator, and the ERC-1271 signature (and hash) Rust builds is routed
//! to it and accepted. A wrong profile is refused, so the check tells the layouts apart.
//! Safe7579 (same nonce and ERC-1271 layout as MSAAdvanced) is set up by an op of its launchpad
//! and is covered by the forge matrix (`tests/accounts/`).

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use leash_evm::Chain;
use leash_userop::account::AccountKind;
use leash_userop::erc7579::execute_single;
use leash_userop::{
    address_of, sign_hash, EntryPointVersion, SigningKey, UserOperation, ENTRY_POINT_V07,
};
use proptest::prelude::*;
use serde_json::Value;

sol! {
    struct BootstrapConfig { address module; bytes data; }
    function initializeAccount(bytes data);
    function initMSA(BootstrapConfig[] validators, BootstrapConfig[] executors, BootstrapConfig hook, BootstrapConfig[] fallbacks);
    function initNexusWithSingleValidator(address validator, bytes data, address registry, address[] attesters, uint8 threshold);
    function createAccount(bytes initData, bytes32 salt) returns (address);
    function initialize(bytes21 rootValidator, address hook, bytes validatorData, bytes hookData, bytes[] initConfig);
    function installModule(uint256 moduleTypeId, address module, bytes initData);
    function isModuleInstalled(uint256 moduleTypeId, address module, bytes additionalContext) returns (bool);
    function isValidSignature(bytes32 hash, bytes signature) returns (bytes4);
    function accountId() returns (string);
}

const FIXTURE: &str = include_str!("../../../tests/fixtures/accounts/precompiles.json");
const DEPLOYER: Address = Address::repeat_byte(0xd0);
const BENEFICIARY: Address = Address::repeat_byte(0xbe);
const SALT: B256 = B256::repeat_byte(0x5a);
const ERC1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

fn code(name: &str) -> Vec<u8> {
    let json: Value = serde_json::from_str(FIXTURE).expect("precompiles.json is JSON");
    let hex = json[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing from the fixture"));
    alloy::hex::decode(hex).expect("hex bytecode")
}

fn with_args(name: &str, args: &[u8]) -> Bytes {
    let mut c = code(name);
    c.extend_from_slice(args);
    c.into()
}

fn call(chain: &mut Chain, from: Address, to: Address, data: Vec<u8>) -> Bytes {
    let out = chain
        .call(from, to, U256::ZERO, data.into())
        .expect("call runs");
    assert!(out.success, "call to {to} reverted: {:?}", out.revert);
    out.output
}

/// One account of `kind` from its real bytecode, the way its factory builds it, whose root/first
/// validator is `validator` for `owner`.
fn deploy(chain: &mut Chain, kind: AccountKind, validator: Address, owner: Address) -> Address {
    let ep = ENTRY_POINT_V07;
    let data: Bytes = owner.abi_encode().into();
    match kind {
        AccountKind::OpenZeppelin => {
            let args = (ep, validator, data).abi_encode_params();
            chain
                .deploy_artifact("TestAccount", &args)
                .expect("TestAccount")
        }
        AccountKind::MsaAdvanced => {
            let implementation = chain
                .deploy(DEPLOYER, code("ERC7579_BYTECODE").into())
                .unwrap();
            let bootstrap = chain
                .deploy(DEPLOYER, code("ERC7579_BOOTSTRAP_BYTECODE").into())
                .unwrap();
            let init = initMSACall {
                validators: vec![BootstrapConfig {
                    module: validator,
                    data,
                }],
                executors: vec![],
                hook: BootstrapConfig {
                    module: Address::ZERO,
                    data: Bytes::new(),
                },
                fallbacks: vec![],
            }
            .abi_encode();
            let init = initializeAccountCall {
                data: (bootstrap, Bytes::from(init)).abi_encode_params().into(),
            };
            let args = (implementation, Bytes::from(init.abi_encode())).abi_encode_params();
            chain
                .deploy(DEPLOYER, with_args("MSAPROXY_BYTECODE", &args))
                .unwrap()
        }
        AccountKind::Nexus => {
            let implementation = chain
                .deploy(DEPLOYER, with_args("NEXUS_BYTECODE", &ep.abi_encode()))
                .unwrap();
            let factory = chain
                .deploy(
                    DEPLOYER,
                    with_args(
                        "NEXUS_ACCOUNT_FACTORY_BYTECODE",
                        &(implementation, DEPLOYER).abi_encode_params(),
                    ),
                )
                .unwrap();
            let bootstrap = chain
                .deploy(DEPLOYER, code("NEXUS_BOOTSTRAP_BYTECODE").into())
                .unwrap();
            let init = initNexusWithSingleValidatorCall {
                validator,
                data,
                registry: Address::ZERO,
                attesters: vec![],
                threshold: 0,
            }
            .abi_encode();
            let create = createAccountCall {
                initData: (bootstrap, Bytes::from(init)).abi_encode_params().into(),
                salt: SALT,
            };
            let out = call(chain, DEPLOYER, factory, create.abi_encode());
            Address::abi_decode(&out).unwrap()
        }
        AccountKind::Kernel => {
            let implementation = chain
                .deploy(DEPLOYER, with_args("KERNEL_BYTECODE", &ep.abi_encode()))
                .unwrap();
            let factory = chain
                .deploy(
                    DEPLOYER,
                    with_args("KERNEL_FACTORY_BYTECODE", &implementation.abi_encode()),
                )
                .unwrap();
            let mut root = [0u8; 21];
            root[0] = 0x01;
            root[1..].copy_from_slice(validator.as_slice());
            let init = initializeCall {
                rootValidator: root.into(),
                hook: Address::ZERO,
                validatorData: data,
                hookData: Bytes::new(),
                initConfig: vec![],
            };
            let create = createAccountCall {
                initData: init.abi_encode().into(),
                salt: SALT,
            };
            let out = call(chain, DEPLOYER, factory, create.abi_encode());
            Address::abi_decode(&out).unwrap()
        }
        AccountKind::Safe7579 => unreachable!("Safe7579 is set up by an op: see the forge matrix"),
        AccountKind::Eip7702 => unreachable!("an EIP-7702 EOA is set up in tests/eip7702.rs"),
    }
}

/// A world per kind: the account, its root validator (owner `root_key`) and a second validator
/// installed by an owner op with the profile's install data (owner `key`).
struct World {
    chain: Chain,
    account: Address,
    root_validator: Address,
    validator: Address,
    root_key: SigningKey,
    key: SigningKey,
}

fn world(kind: AccountKind) -> World {
    let mut chain = Chain::new().expect("chain");
    chain.set_code_size_limit(CODE_SIZE_LIMIT);
    chain.fund(DEPLOYER, U256::from(10u128.pow(21)));
    let root_key = SigningKey::from_slice(&[0x11; 32]).unwrap();
    let key = SigningKey::from_slice(&[0x22; 32]).unwrap();
    let root_validator = chain.deploy_owner_validator().unwrap();
    let validator = chain.deploy_owner_validator().unwrap();
    let account = deploy(&mut chain, kind, root_validator, address_of(&root_key));
    chain
        .deposit_to(EntryPointVersion::V07, account, U256::from(10u128.pow(19)))
        .unwrap();
    let mut w = World {
        chain,
        account,
        root_validator,
        validator,
        root_key,
        key,
    };
    let install = installModuleCall {
        moduleTypeId: U256::from(1),
        module: validator,
        initData: kind.install_validator_data(&address_of(&w.key).abi_encode()),
    };
    let root_nonce = kind.nonce(root_validator, 0, true, 0).unwrap();
    let root_key = w.root_key.clone();
    assert!(
        submit(&mut w, root_nonce, install.abi_encode().into(), &root_key),
        "{kind}: owner op installs"
    );
    let installed = isModuleInstalledCall {
        moduleTypeId: U256::from(1),
        module: validator,
        additionalContext: Bytes::new(),
    };
    let out = w
        .chain
        .view(account, installed.abi_encode().into())
        .unwrap();
    assert!(
        bool::abi_decode(&out).unwrap(),
        "{kind}: the install data installed the validator"
    );
    w
}

/// `handleOps` of one op with `nonce` and `call_data` signed by `key` over its userOpHash: true
/// when the account validated it (with the validator that `key` owns) and the bundle went through.
fn submit(w: &mut World, nonce: U256, call_data: Bytes, key: &SigningKey) -> bool {
    let mut op = UserOperation::builder()
        .sender(w.account)
        .nonce(nonce)
        .call_data(call_data)
        .call_gas_limit(300_000u64)
        .verification_gas_limit(500_000u64)
        .pre_verification_gas(50_000u64)
        .max_fee_per_gas(U256::from(1u64))
        .max_priority_fee_per_gas(U256::from(1u64))
        .build()
        .unwrap();
    op.sign_with(
        key,
        EntryPointVersion::V07,
        ENTRY_POINT_V07,
        w.chain.chain_id(),
    );
    let outcome = w
        .chain
        .handle_ops(EntryPointVersion::V07, &[op.pack()], BENEFICIARY)
        .unwrap();
    outcome.success
}

/// A no-op call through `execute` (every account allows it to an installed validator's ops).
fn noop() -> Bytes {
    execute_single(Address::repeat_byte(0x44), U256::ZERO, Bytes::new())
}

fn erc1271(
    w: &World,
    kind: AccountKind,
    validator: Address,
    root: bool,
    key: &SigningKey,
    hash: B256,
) -> bool {
    let signed = kind.erc1271_hash(w.account, w.chain.chain_id(), hash);
    let signature = kind.erc1271_signature(validator, root, &sign_hash(key, signed));
    let check = isValidSignatureCall { hash, signature };
    match w.chain.view(w.account, check.abi_encode().into()) {
        Ok(out) => out.len() >= 4 && out[..4] == ERC1271_MAGIC,
        Err(_) => false,
    }
}

/// The kinds checked here (Safe7579: see the module doc).
const KINDS: [AccountKind; 4] = [
    AccountKind::OpenZeppelin,
    AccountKind::MsaAdvanced,
    AccountKind::Nexus,
    AccountKind::Kernel,
];

/// The precompiled MSAAdvanced (30,081-byte runtime) and Kernel implementations are over EIP-170
/// (24,576): a chain that enforces it refuses them, so the worlds here lift the limit, as forge does.
const CODE_SIZE_LIMIT: usize = 64 * 1024;

#[test]
fn msa_advanced_is_over_eip170() {
    let mut chain = Chain::new().expect("chain");
    chain.fund(DEPLOYER, U256::from(10u128.pow(21)));
    let error = chain
        .deploy(DEPLOYER, code("ERC7579_BYTECODE").into())
        .expect_err("a 30,081-byte runtime is over EIP-170");
    assert!(
        format!("{error:?}").contains("CreateContractSizeLimit"),
        "{error:?}"
    );
    chain.set_code_size_limit(CODE_SIZE_LIMIT);
    chain
        .deploy(DEPLOYER, code("ERC7579_BYTECODE").into())
        .expect("deploys with the limit lifted");
}

#[test]
fn kernel_is_over_eip170() {
    let mut chain = Chain::new().expect("chain");
    chain.fund(DEPLOYER, U256::from(10u128.pow(21)));
    let error = chain
        .deploy(
            DEPLOYER,
            with_args("KERNEL_BYTECODE", &ENTRY_POINT_V07.abi_encode()),
        )
        .expect_err("Kernel's precompiled runtime is over EIP-170");
    assert!(
        format!("{error:?}").contains("CreateContractSizeLimit"),
        "{error:?}"
    );
}

#[test]
fn account_ids_detect_their_kind() {
    for kind in KINDS {
        let w = world(kind);
        let out = w
            .chain
            .view(w.account, accountIdCall {}.abi_encode().into())
            .unwrap();
        let id = String::abi_decode(&out).unwrap();
        assert_eq!(AccountKind::from_account_id(&id), Ok(kind), "{id}");
    }
}

#[test]
fn a_wrong_profile_is_refused() {
    // The OpenZeppelin layout on Nexus and Kernel names no installed validator.
    for kind in [AccountKind::Nexus, AccountKind::Kernel] {
        let mut w = world(kind);
        let key = w.key.clone();
        let wrong = AccountKind::OpenZeppelin
            .nonce(w.validator, 0, false, 0)
            .unwrap();
        assert!(!submit(&mut w, wrong, noop(), &key), "{kind}");
        let right = kind.nonce(w.validator, 0, false, 0).unwrap();
        assert!(submit(&mut w, right, noop(), &key), "{kind}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn the_account_reads_what_rust_builds(lane in any::<u32>(), hash in any::<[u8; 32]>()) {
        for kind in KINDS {
            let mut w = world(kind);
            let bits = kind.free_key_bits();
            let lane = if bits == 32 { lane } else { lane & ((1u32 << bits).wrapping_sub(1)) };
            let (key, root_key) = (w.key.clone(), w.root_key.clone());
            // The other owner's signature on the module's lane fails: the named validator was asked.
            let first = kind.nonce(w.validator, lane, false, 0).unwrap();
            prop_assert!(!submit(&mut w, first, noop(), &root_key), "{} wrong key", kind);
            prop_assert_eq!(kind.nonce_validator(first), Some(w.validator));
            for sequence in 0..2u64 {
                let nonce = kind.nonce(w.validator, lane, false, sequence).unwrap();
                prop_assert!(submit(&mut w, nonce, noop(), &key), "{} lane {} seq {}", kind, lane, sequence);
            }
            // The owner's lane: Kernel's root (type 0x00), the others the root validator's address.
            let root_nonce = kind.nonce(w.root_validator, 0, true, 1).unwrap();
            prop_assert!(submit(&mut w, root_nonce, noop(), &root_key), "{} root lane", kind);
            let hash = B256::from(hash);
            let (root_validator, validator) = (w.root_validator, w.validator);
            prop_assert!(erc1271(&w, kind, root_validator, true, &root_key, hash), "{} ERC-1271 root", kind);
            if kind != AccountKind::Kernel {
                prop_assert!(erc1271(&w, kind, validator, false, &key, hash), "{} ERC-1271", kind);
            }
            prop_assert!(!erc1271(&w, kind, root_validator, true, &key, hash), "{} ERC-1271 wrong key", kind);
        }
    }
}
