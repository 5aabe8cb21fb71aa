//! The hand-written `sol!` bindings agree with the compiled contracts.

use alloy::{
    dyn_abi::{FunctionExt, JsonAbiExt},
    json_abi::JsonAbi,
    primitives::{Address, Bytes, B256, U256},
    sol_types::{SolCall, SolError, SolEvent, SolValue},
};
use leash_contracts::{
    artifact,
    bindings::{
        account::{IERC7579Account, OwnerValidator},
        entry_point::IEntryPoint,
        mocks::{MockERC20, RecordingTarget},
        session::{CallGrant, ISessionKeyValidator, Session},
    },
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
fn account_and_fixture_selectors_match_the_compiled_abis() {
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

    let validator = &artifact("OwnerValidator").unwrap().abi;
    assert!(has_function(
        validator,
        OwnerValidator::onInstallCall::SELECTOR
    ));
    assert!(has_function(
        validator,
        OwnerValidator::ownersCall::SELECTOR
    ));

    let token = &artifact("MockERC20").unwrap().abi;
    for selector in [
        MockERC20::mintCall::SELECTOR,
        MockERC20::transferCall::SELECTOR,
        MockERC20::approveCall::SELECTOR,
        MockERC20::increaseAllowanceCall::SELECTOR,
        MockERC20::balanceOfCall::SELECTOR,
        MockERC20::allowanceCall::SELECTOR,
    ] {
        assert!(has_function(token, selector));
    }

    let target = &artifact("RecordingTarget").unwrap().abi;
    assert!(has_function(target, RecordingTarget::callAtCall::SELECTOR));
    assert!(has_function(
        target,
        RecordingTarget::callCountCall::SELECTOR
    ));
}

#[test]
fn session_module_selectors_match_the_compiled_abi() {
    let module = &artifact("SessionKeyValidator").unwrap().abi;
    for selector in [
        ISessionKeyValidator::onInstallCall::SELECTOR,
        ISessionKeyValidator::onUninstallCall::SELECTOR,
        ISessionKeyValidator::isModuleTypeCall::SELECTOR,
        ISessionKeyValidator::isInitializedCall::SELECTOR,
        ISessionKeyValidator::grantSessionCall::SELECTOR,
        ISessionKeyValidator::pauseSessionCall::SELECTOR,
        ISessionKeyValidator::resumeSessionCall::SELECTOR,
        ISessionKeyValidator::revokeSessionCall::SELECTOR,
        ISessionKeyValidator::invalidateEnableNonceCall::SELECTOR,
        ISessionKeyValidator::computeSessionIdCall::SELECTOR,
        ISessionKeyValidator::toPackedSessionCall::SELECTOR,
        ISessionKeyValidator::statusOfCall::SELECTOR,
        ISessionKeyValidator::remainingOfCall::SELECTOR,
        ISessionKeyValidator::opDigestCall::SELECTOR,
        ISessionKeyValidator::enableDigestCall::SELECTOR,
        ISessionKeyValidator::enableNonceUsedCall::SELECTOR,
        ISessionKeyValidator::isValidSignatureWithSenderCall::SELECTOR,
    ] {
        assert!(
            has_function(module, selector),
            "SessionKeyValidator lacks {selector:?}"
        );
    }
    assert_eq!(
        ISessionKeyValidator::isValidSignatureWithSenderCall::SELECTOR,
        [0xf5, 0x51, 0xe2, 0xee]
    );
    let created = module
        .events()
        .find(|e| e.name == "SessionCreated")
        .expect("the module declares SessionCreated");
    assert_eq!(
        created.selector(),
        ISessionKeyValidator::SessionCreated::SIGNATURE_HASH
    );
    assert_eq!(
        ISessionKeyValidator::SessionCreated::SIGNATURE,
        "SessionCreated(address,bytes32,bool,bytes)"
    );
}

#[test]
fn session_types_match_the_solidity_types() {
    let module = &artifact("SessionKeyValidator").unwrap().abi;
    let signature_of = |name: &str| {
        module
            .function(name)
            .and_then(|f| f.first())
            .unwrap()
            .signature()
    };
    assert_eq!(
        signature_of("grantSession"),
        ISessionKeyValidator::grantSessionCall::SIGNATURE
    );
    assert_eq!(
        signature_of("remainingOf"),
        ISessionKeyValidator::remainingOfCall::SIGNATURE
    );
    assert_eq!(
        signature_of("computeSessionId"),
        ISessionKeyValidator::computeSessionIdCall::SIGNATURE
    );
    assert_eq!(
        signature_of("toPackedSession"),
        ISessionKeyValidator::toPackedSessionCall::SIGNATURE
    );
    let pack_output = ISessionKeyValidator::toPackedSessionCall::abi_encode_returns(
        &Bytes::from_static(&[0xab; 90]),
    );
    let packer = module
        .function("toPackedSession")
        .and_then(|f| f.first())
        .unwrap();
    let decoded = packer
        .abi_decode_output(&pack_output)
        .expect("the compiled output type of toPackedSession decodes");
    assert_eq!(packer.abi_encode_output(&decoded).unwrap(), pack_output);

    let remaining = ISessionKeyValidator::Remaining {
        status: 1,
        usesLeft: U256::from(3),
        nativeLeft: U256::MAX,
        tokensLeft: vec![U256::from(5), U256::from(6)],
        periodicLeft: vec![U256::from(7)],
        rateLeft: U256::from(8),
        feeLeft: U256::from(9),
        gasLeft: U256::from(10),
        validAfter: alloy::primitives::aliases::U48::from(11),
        validUntil: alloy::primitives::aliases::U48::from(12),
    };
    let encoded = ISessionKeyValidator::remainingOfCall::abi_encode_returns(&remaining);
    let function = module
        .function("remainingOf")
        .and_then(|f| f.first())
        .unwrap();
    let decoded = function
        .abi_decode_output(&encoded)
        .expect("the compiled output type decodes");
    assert_eq!(function.abi_encode_output(&decoded).unwrap(), encoded);

    let session = Session {
        calls: vec![CallGrant::default()],
        ..Session::default()
    };
    let call = ISessionKeyValidator::computeSessionIdCall {
        session: session.clone(),
    }
    .abi_encode();
    let getter = module
        .function("computeSessionId")
        .and_then(|f| f.first())
        .unwrap();
    let inputs = getter
        .abi_decode_input(&call[4..])
        .expect("the compiled input type decodes");
    assert_eq!(getter.abi_encode_input(&inputs).unwrap(), call);
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
