//! Each purpose-built violator (tests/fixtures/erc7562) breaks exactly its rule when its op
//! goes through the real EntryPoint v0.7 and v0.8; the controls and the owner op of the test
//! account break none.

use alloy_primitives::{address, keccak256, Address, Bytes, U256};
use k256::ecdsa::SigningKey;
use leash_erc7562::{Erc7562Inspector, Phase, Violation};
use leash_evm::{Chain, TestAccountHandle, OWNER_OP_GAS};
use leash_userop::{erc7579, EntryPointVersion, PackedUserOperation, UserOperation};

const BENEFICIARY: Address = address!("0x000000000000000000000000000000000000bEEF");
/// An address that never gets code.
const CODELESS: Address = address!("0x000000000000000000000000000000000000dEaD");
const ONE_ETHER: u64 = 1_000_000_000_000_000_000;

/// What a violator's `TARGET` is.
#[derive(Clone, Copy)]
enum Target {
    /// A fresh `Erc7562StorageTarget`.
    StorageTarget,
    /// [`CODELESS`].
    Codeless,
}

/// A violator deployed on a fresh chain, funded, with its op.
struct Deployed {
    chain: Chain,
    account: Address,
    target: Address,
}

fn abi_words(addresses: &[Address]) -> Vec<u8> {
    addresses.iter().flat_map(|a| a.into_word().0).collect()
}

fn deploy(version: EntryPointVersion, name: &str, target: Target) -> Deployed {
    let mut chain = Chain::new().expect("the chain starts");
    let target = match target {
        Target::StorageTarget => chain
            .deploy_artifact("Erc7562StorageTarget", &[])
            .expect("the storage target deploys"),
        Target::Codeless => CODELESS,
    };
    let args = abi_words(&[version.canonical_address(), target]);
    let account = chain
        .deploy_artifact(name, &args)
        .expect("the violator deploys");
    chain.fund(account, U256::from(ONE_ETHER));
    Deployed {
        chain,
        account,
        target,
    }
}

fn op_of(account: Address) -> PackedUserOperation {
    UserOperation::builder()
        .sender(account)
        .nonce(U256::ZERO)
        .call_gas_limit(OWNER_OP_GAS.call_gas_limit)
        .verification_gas_limit(OWNER_OP_GAS.verification_gas_limit)
        .pre_verification_gas(OWNER_OP_GAS.pre_verification_gas)
        .max_fee_per_gas(OWNER_OP_GAS.max_fee_per_gas)
        .max_priority_fee_per_gas(OWNER_OP_GAS.max_priority_fee_per_gas)
        .build()
        .expect("the op is well formed")
        .pack()
}

/// Runs `ops` through `handleOps` under the checker; every op must succeed, so the
/// violations come from a validation that really ran.
fn check(
    chain: &mut Chain,
    version: EntryPointVersion,
    ops: &[PackedUserOperation],
) -> Vec<Violation> {
    let mut inspector = Erc7562Inspector::new(version.canonical_address());
    let outcome = chain
        .handle_ops_with_inspector(version, ops, BENEFICIARY, &mut inspector)
        .expect("handleOps runs");
    assert!(
        outcome.all_ops_succeeded(),
        "every op succeeds: {outcome:?}"
    );
    inspector.violations().to_vec()
}

/// Deploys violator `name` and returns what its op broke, with the deployment.
fn violations_of(
    version: EntryPointVersion,
    name: &str,
    target: Target,
) -> (Vec<Violation>, Deployed) {
    let mut deployed = deploy(version, name, target);
    let op = op_of(deployed.account);
    let violations = check(&mut deployed.chain, version, &[op]);
    (violations, deployed)
}

/// Asserts that violator `name` breaks exactly one rule, `rule`, in its own validation,
/// and returns that violation.
fn breaks_only(
    version: EntryPointVersion,
    name: &str,
    target: Target,
    rule: &str,
) -> (Violation, Deployed) {
    let (violations, deployed) = violations_of(version, name, target);
    let rules: Vec<_> = violations.iter().map(Violation::rule_id).collect();
    assert_eq!(rules, [rule], "{name} on {version:?}: {violations:#?}");
    let violation = violations.into_iter().next().expect("one violation");
    assert_eq!(violation.site().phase, Phase::Account, "{violation}");
    (violation, deployed)
}

#[test]
fn environment_reads_are_op_011() {
    for version in EntryPointVersion::ALL {
        for (name, opcode) in [
            ("Erc7562TimestampAccount", 0x42),
            ("Erc7562NumberAccount", 0x43),
            ("Erc7562BasefeeAccount", 0x48),
            ("Erc7562GaspriceAccount", 0x3a),
        ] {
            let (violation, deployed) = breaks_only(version, name, Target::Codeless, "OP-011");
            let Violation::BannedOpcode { opcode: seen, site } = violation else {
                panic!("{name}: {violation:?}");
            };
            assert_eq!(
                (seen, site.address, site.depth),
                (opcode, deployed.account, 1),
                "{name}"
            );
        }
    }
}

#[test]
fn balance_is_op_080() {
    for version in EntryPointVersion::ALL {
        let (violation, deployed) =
            breaks_only(version, "Erc7562BalanceAccount", Target::Codeless, "OP-080");
        assert_eq!(violation.site().address, deployed.account);
    }
}

#[test]
fn gas_not_feeding_a_call_is_op_012() {
    for version in EntryPointVersion::ALL {
        let (violation, _) = breaks_only(version, "Erc7562GasAccount", Target::Codeless, "OP-012");
        assert!(
            violation.to_string().starts_with("OP-012 GAS followed by"),
            "{violation}"
        );
    }
}

#[test]
fn unassociated_write_is_sto_021() {
    for version in EntryPointVersion::ALL {
        let (violation, deployed) = breaks_only(
            version,
            "Erc7562ForeignStorageAccount",
            Target::StorageTarget,
            "STO-021",
        );
        let Violation::UnassociatedStorage { access, site } = violation else {
            panic!("{violation:?}");
        };
        assert_eq!(
            (access.contract, access.slot),
            (deployed.target, U256::from(1))
        );
        assert_eq!(site.depth, 2);
    }
}

#[test]
fn associated_storage_is_allowed() {
    for version in EntryPointVersion::ALL {
        let (violations, _) = violations_of(
            version,
            "Erc7562AssociatedStorageAccount",
            Target::StorageTarget,
        );
        assert!(violations.is_empty(), "{version:?}: {violations:#?}");
    }
}

#[test]
fn call_to_codeless_address_is_op_041() {
    for version in EntryPointVersion::ALL {
        let (violation, _) = breaks_only(
            version,
            "Erc7562CodelessCallAccount",
            Target::Codeless,
            "OP-041",
        );
        let Violation::CodelessAccess { target, .. } = violation else {
            panic!("{violation:?}");
        };
        assert_eq!(target, CODELESS);
    }
}

#[test]
fn value_to_a_contract_is_op_061() {
    for version in EntryPointVersion::ALL {
        let (violation, deployed) = breaks_only(
            version,
            "Erc7562ValueCallAccount",
            Target::StorageTarget,
            "OP-061",
        );
        assert_eq!(
            violation,
            Violation::CallWithValue {
                target: deployed.target,
                value: U256::from(1),
                site: *violation.site()
            }
        );
    }
}

#[test]
fn entry_point_view_is_op_054() {
    for version in EntryPointVersion::ALL {
        let (violation, _) = breaks_only(
            version,
            "Erc7562EntryPointCallAccount",
            Target::Codeless,
            "OP-054",
        );
        let Violation::EntryPointAccess { selector, .. } = violation else {
            panic!("{violation:?}");
        };
        // balanceOf(address)
        assert_eq!(selector, Some([0x70, 0xa0, 0x82, 0x31]));
    }
}

#[test]
fn clean_account_with_deposit_and_prefund_breaks_nothing() {
    for version in EntryPointVersion::ALL {
        let (violations, deployed) =
            violations_of(version, "Erc7562CleanAccount", Target::Codeless);
        assert!(violations.is_empty(), "{version:?}: {violations:#?}");
        // The prefund was paid by the account (no deposit beforehand), so the checked
        // validation included the value transfer to the EntryPoint.
        assert!(deployed.chain.balance(deployed.account) < U256::from(ONE_ETHER));
    }
}

#[test]
fn owner_op_of_the_test_account_breaks_nothing() {
    for version in EntryPointVersion::ALL {
        let mut chain = Chain::new().expect("the chain starts");
        let validator = chain
            .deploy_owner_validator()
            .expect("the validator deploys");
        let owner = SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
        let account = chain
            .deploy_test_account(version, validator, &owner)
            .expect("the account deploys");
        let op = chain
            .owner_op(&account, Bytes::new())
            .expect("the op is built");
        let violations = check(&mut chain, version, &[op]);
        assert!(violations.is_empty(), "{version:?}: {violations:#?}");
    }
}

#[test]
fn a_bundle_reports_each_op_against_its_own_sender() {
    for version in EntryPointVersion::ALL {
        let mut deployed = deploy(version, "Erc7562TimestampAccount", Target::Codeless);
        let args = abi_words(&[version.canonical_address(), Address::ZERO]);
        let clean = deployed
            .chain
            .deploy_artifact("Erc7562CleanAccount", &args)
            .expect("the clean account deploys");
        deployed.chain.fund(clean, U256::from(ONE_ETHER));
        let ops = [op_of(clean), op_of(deployed.account)];
        let violations = check(&mut deployed.chain, version, &ops);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        assert_eq!(violations[0].site().address, deployed.account);
    }
}

fn selector(signature: &str) -> Vec<u8> {
    keccak256(signature.as_bytes())[..4].to_vec()
}

fn sponsored_op(account: Address, paymaster: Address) -> PackedUserOperation {
    let mut op = op_of(account).unpack().expect("the op unpacks");
    op.paymaster = Some(paymaster);
    op.paymaster_verification_gas_limit = 200_000;
    op.paymaster_post_op_gas_limit = 50_000;
    op.pack()
}

#[test]
fn paymaster_validation_is_checked() {
    for version in EntryPointVersion::ALL {
        let mut deployed = deploy(version, "Erc7562CleanAccount", Target::Codeless);
        let mut paymasters = Vec::new();
        for name in ["Erc7562TimestampPaymaster", "AcceptAllPaymaster"] {
            let paymaster = deployed
                .chain
                .deploy_artifact(name, &[])
                .expect("the paymaster deploys");
            deployed
                .chain
                .deposit_to(version, paymaster, U256::from(ONE_ETHER))
                .expect("the deposit succeeds");
            paymasters.push(paymaster);
        }
        let op = sponsored_op(deployed.account, paymasters[0]);
        let violations = check(&mut deployed.chain, version, &[op]);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        let Violation::BannedOpcode { opcode: 0x42, site } = violations[0] else {
            panic!("{violations:?}");
        };
        assert_eq!(
            (site.address, site.depth, site.phase),
            (paymasters[0], 1, Phase::Paymaster)
        );

        let clean = deployed
            .chain
            .deploy_artifact(
                "Erc7562CleanAccount",
                &abi_words(&[version.canonical_address(), Address::ZERO]),
            )
            .expect("a second account deploys");
        deployed.chain.fund(clean, U256::from(ONE_ETHER));
        let accepted = check(
            &mut deployed.chain,
            version,
            &[sponsored_op(clean, paymasters[1])],
        );
        assert!(accepted.is_empty(), "{accepted:#?}");
    }
}

#[test]
fn execution_is_out_of_scope() {
    // The owner op executes a write of a slot of another contract that validation could
    // never touch: nothing is reported, because execution is not validation.
    for version in EntryPointVersion::ALL {
        let mut chain = Chain::new().expect("the chain starts");
        let store = chain
            .deploy_artifact("Erc7562StorageTarget", &[])
            .expect("the target deploys");
        let validator = chain
            .deploy_owner_validator()
            .expect("the validator deploys");
        let owner = SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
        let account = chain
            .deploy_test_account(version, validator, &owner)
            .expect("the account deploys");
        let mut write = selector("write(uint256,uint256)");
        write.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
        write.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
        let call_data = erc7579::execute_single(store, U256::ZERO, write);
        let op = chain
            .owner_op(&account, call_data)
            .expect("the op is built");
        let violations = check(&mut chain, version, &[op]);
        assert!(violations.is_empty(), "{version:?}: {violations:#?}");
    }
}

#[test]
fn deployment_through_an_unstaked_factory_touches_associated_storage() {
    // TestAccountFactory deploys a TestAccount whose constructor installs the owner
    // validator, writing the validator's storage associated with the new account. ERC-7562
    // allows that only with a staked factory (STO-022), and we check as if nobody were
    // staked. The CREATE2 of the sender (OP-031) and the factory's EXTCODESIZE of the
    // not-yet-deployed sender (OP-042) are allowed.
    for version in EntryPointVersion::ALL {
        let mut chain = Chain::new().expect("the chain starts");
        let factory = chain
            .deploy_artifact("TestAccountFactory", &[])
            .expect("the factory deploys");
        let validator = chain
            .deploy_owner_validator()
            .expect("the validator deploys");
        let owner = SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
        let owner_address = leash_userop::address_of(&owner);

        let mut args = abi_words(&[version.canonical_address(), validator]);
        args.extend_from_slice(&U256::from(0x80).to_be_bytes::<32>());
        args.extend_from_slice(&[0u8; 32]);
        args.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        args.extend_from_slice(owner_address.into_word().as_slice());
        let get_address = [
            selector("getAddress(address,address,bytes,bytes32)"),
            args.clone(),
        ]
        .concat();
        let word = chain
            .view(factory, get_address.into())
            .expect("getAddress answers");
        let sender = Address::from_slice(&word[12..32]);
        chain
            .deposit_to(version, sender, U256::from(ONE_ETHER))
            .expect("the counterfactual deposit succeeds");

        let handle = TestAccountHandle {
            address: sender,
            version,
            owner_key: owner.clone(),
            owner_validator: validator,
        };
        let mut op = chain
            .owner_user_operation(&handle, Bytes::new())
            .expect("the op is built");
        // Deploying the ERC-7579 account costs far more than validating an op.
        op.verification_gas_limit = 8_000_000;
        op.factory = Some(factory);
        op.factory_data = [
            selector("createAccount(address,address,bytes,bytes32)"),
            args,
        ]
        .concat()
        .into();
        op.sign_with(
            &owner,
            version,
            version.canonical_address(),
            chain.chain_id(),
        );
        let violations = check(&mut chain, version, &[op.pack()]);
        assert!(!chain.code(sender).is_empty(), "the account was deployed");

        assert!(
            !violations.is_empty(),
            "{version:?}: the validator's storage is touched"
        );
        for violation in &violations {
            let Violation::AssociatedStorageDuringDeployment { access, .. } = violation else {
                panic!("{version:?}: only STO-022 expected, got {violations:#?}");
            };
            assert_eq!(access.contract, validator, "{violation}");
        }
        let phases: Vec<_> = violations.iter().map(|v| v.site().phase).collect();
        assert!(phases.contains(&Phase::Deployment), "{phases:?}");
        assert!(phases.contains(&Phase::Account), "{phases:?}");
    }
}
