//! The written-out `sol!` interfaces of outside standards agree with real ABIs: `IEntryPoint`
//! with the npm EntryPoint artifacts, `IERC7579Account` with the compiled `TestAccount`. The
//! bindings generated from leash's own ABIs need no such check; `tests/abi_fresh.rs` keeps their
//! ABI files equal to the compiled contracts.

use alloy::{
    json_abi::JsonAbi,
    primitives::{Address, Bytes, B256, U256},
    sol_types::{SolCall, SolError, SolEvent, SolValue},
};
use leash_contracts::{
    artifact,
    bindings::{account::IERC7579Account, entry_point::IEntryPoint, session::ISessionKeyValidator},
    entry_point_abi,
};
use leash_userop::{EntryPointVersion, PackedUserOperation};

fn has_function(abi: &JsonAbi, selector: [u8; 4]) -> bool {
    abi.functions()
        .any(|function| function.selector() == selector)
}

#[test]
fn entry_point_selectors_match_the_npm_abi() {
    for version in EntryPointVersion::ALL {
        let abi = entry_point_abi(version);
        for selector in [
            IEntryPoint::handleOpsCall::SELECTOR,
            IEntryPoint::getUserOpHashCall::SELECTOR,
            IEntryPoint::getNonceCall::SELECTOR,
            IEntryPoint::depositToCall::SELECTOR,
            IEntryPoint::balanceOfCall::SELECTOR,
        ] {
            assert!(has_function(abi, selector), "{version} lacks {selector:?}");
        }
        for selector in [
            IEntryPoint::FailedOp::SELECTOR,
            IEntryPoint::FailedOpWithRevert::SELECTOR,
        ] {
            assert!(
                abi.errors().any(|e| e.selector() == selector),
                "{version} lacks error {selector:?}"
            );
        }
        for topic in [
            IEntryPoint::UserOperationEvent::SIGNATURE_HASH,
            IEntryPoint::UserOperationRevertReason::SIGNATURE_HASH,
            IEntryPoint::AccountDeployed::SIGNATURE_HASH,
            IEntryPoint::BeforeExecution::SIGNATURE_HASH,
        ] {
            assert!(
                abi.events().any(|e| e.selector() == topic),
                "{version} lacks event {topic}"
            );
        }
    }
}

#[test]
fn erc7579_account_selectors_match_the_compiled_test_account() {
    let account = &artifact("TestAccount").unwrap().abi;
    for selector in [
        IERC7579Account::executeCall::SELECTOR,
        IERC7579Account::installModuleCall::SELECTOR,
        IERC7579Account::uninstallModuleCall::SELECTOR,
        IERC7579Account::isModuleInstalledCall::SELECTOR,
        IERC7579Account::isValidSignatureCall::SELECTOR,
    ] {
        assert!(has_function(account, selector));
    }
    assert_eq!(
        IERC7579Account::executeCall::SELECTOR,
        [0xe9, 0xae, 0x5c, 0x53]
    );
    assert_eq!(
        IERC7579Account::installModuleCall::SELECTOR,
        [0x95, 0x17, 0xe2, 0x9f]
    );
    // The generated module binding answers the ERC-7579 validator's ERC-1271 entry point.
    assert_eq!(
        ISessionKeyValidator::isValidSignatureWithSenderCall::SELECTOR,
        [0xf5, 0x51, 0xe2, 0xee]
    );
}

#[test]
fn packed_user_operation_converts_both_ways() {
    let op = PackedUserOperation {
        sender: Address::repeat_byte(0x11),
        nonce: U256::from(7),
        initCode: Bytes::from_static(b"init"),
        callData: Bytes::from_static(b"call"),
        accountGasLimits: B256::repeat_byte(0x22),
        preVerificationGas: U256::from(9),
        gasFees: B256::repeat_byte(0x33),
        paymasterAndData: Bytes::from_static(b"pm"),
        signature: Bytes::from_static(b"sig"),
    };
    let binding: IEntryPoint::PackedUserOperation = op.clone().into();
    assert_eq!(binding.abi_encode(), op.abi_encode());
    assert_eq!(PackedUserOperation::from(binding), op);
}
