//! The artifacts the harness and the CLI rely on are compiled, deployable and complete.

use leash_contracts::{
    artifact, artifact_names, entry_point_abi, entry_point_creation_code, ContractsError,
};
use leash_userop::EntryPointVersion;

/// Contracts the harness deploys: they must have creation and runtime code.
const DEPLOYABLE: &[&str] = &[
    "SessionKeyValidator",
    "TestAccount",
    "TestAccountFactory",
    "OwnerValidator",
    "MockERC20",
    "RecordingTarget",
    "AcceptAllPaymaster",
];

#[test]
fn harness_artifacts_exist_and_have_code() {
    for name in DEPLOYABLE {
        let compiled = artifact(name).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(compiled.name, *name);
        assert!(!compiled.bytecode.is_empty(), "{name} has no creation code");
        assert!(
            !compiled.deployed_bytecode.is_empty(),
            "{name} has no runtime code"
        );
        assert!(
            compiled.bytecode.len() > compiled.deployed_bytecode.len(),
            "{name}: creation code must wrap the runtime code"
        );
    }
}

#[test]
fn artifacts_carry_their_abi() {
    let account = artifact("TestAccount").unwrap();
    assert!(account.abi.constructor.is_some());
    assert!(account.abi.function("execute").is_some());
    assert!(account.abi.function("installModule").is_some());
    let module = artifact("SessionKeyValidator").unwrap();
    assert!(module.abi.function("validateUserOp").is_some());
    assert!(
        module.abi.errors().count() > 0,
        "the module's custom errors must be in its ABI"
    );
}

#[test]
fn unknown_name_lists_what_exists() {
    let error = artifact("NoSuchContract").unwrap_err();
    let ContractsError::UnknownContract { name, available } = &error else {
        panic!("unexpected error {error:?}");
    };
    assert_eq!(name, "NoSuchContract");
    assert_eq!(
        available,
        &artifact_names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    );
    let message = error.to_string();
    for expected in [
        "NoSuchContract",
        "TestAccount",
        "MockERC20",
        "OwnerValidator",
    ] {
        assert!(
            message.contains(expected),
            "`{message}` should mention {expected}"
        );
    }
}

#[test]
fn dependencies_are_not_exported() {
    for library in ["ERC20", "AccountERC7579", "EntryPoint", "ECDSA"] {
        assert!(
            artifact(library).is_err(),
            "{library} comes from node_modules and must not be exported"
        );
    }
}

#[test]
fn entry_point_artifacts_are_embedded() {
    for version in EntryPointVersion::ALL {
        let code = entry_point_creation_code(version);
        assert!(
            code.len() > 10_000,
            "{version} creation code is {} bytes",
            code.len()
        );
        let abi = entry_point_abi(version);
        for function in [
            "handleOps",
            "getUserOpHash",
            "getNonce",
            "depositTo",
            "balanceOf",
        ] {
            assert!(
                abi.function(function).is_some(),
                "{version} ABI lacks {function}"
            );
        }
    }
    assert!(entry_point_abi(EntryPointVersion::V08)
        .function("getDomainSeparatorV4")
        .is_some());
    assert_ne!(
        entry_point_creation_code(EntryPointVersion::V07),
        entry_point_creation_code(EntryPointVersion::V08)
    );
}
