//! Sessions on an EOA delegated with EIP-7702, end to end on the real EntryPoint v0.8 under
//! Prague, with real type-4 transactions:
//!
//! 1. the EOA sends a type-4 transaction to itself carrying its own authorization (delegate:
//!    the `Eip7702Account` fixture, OpenZeppelin `AccountERC7579` + `SignerEIP7702`) and
//!    calling `installModule(1, module, "")` — the module is installed by the EOA itself;
//! 2. the EOA grants a session (a plain call of `grantSession` from the EOA);
//! 3. a bundler sends `handleOps` in a type-4 transaction carrying the op's `eip7702Auth`; the
//!    op (built by leash-userop, initCode the bare marker, hashed with the delegate, signed by
//!    the session key through leash-keys' envelope) transfers tokens;
//! 4. the same op with initCode `marker ‖ data` is refused by the module
//!    (`Eip7702InitCallDenied`);
//! 5. a session enabled in its first op through the EOA's own ERC-1271 (the `eip7702` account
//!    profile: the raw 65-byte signature).

use alloy::primitives::{keccak256, Address, Bytes, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use leash_contracts::bindings::account::IERC7579Account;
use leash_contracts::bindings::mocks::MockERC20;
use leash_contracts::bindings::session::{ISessionKeyValidator, Session, MODULE_TYPE_VALIDATOR};
use leash_evm::{Chain, DecodedRevert};
use leash_keys::envelope::{enable_digest, encode_v1, op_digest, sign_digest, EnableGrant};
use leash_keys::SessionSpec;
use leash_userop::account::{eip7702_delegate, AccountKind};
use leash_userop::eip7702::{sign_authorization, SignedAuthorization};
use leash_userop::erc7579::execute_single;
use leash_userop::{EntryPointVersion, UserOperation, EIP7702_INIT_CODE_MARKER, ENTRY_POINT_V08};

const VERSION: EntryPointVersion = EntryPointVersion::V08;
const RECIPIENT: Address = Address::repeat_byte(0x44);
const BENEFICIARY: Address = Address::repeat_byte(0xbe);
const TOKENS: u64 = 1_000_000;

/// The chain after steps 1 and 2.
struct World {
    chain: Chain,
    eoa: PrivateKeySigner,
    delegate: Address,
    module: Address,
    token: Address,
    session_key: PrivateKeySigner,
}

fn world() -> World {
    let mut chain = Chain::new().unwrap();
    chain.activate_prague();
    let module = chain.deploy_artifact("SessionKeyValidator", &[]).unwrap();
    let delegate = chain
        .deploy_artifact("Eip7702Account", &ENTRY_POINT_V08.abi_encode())
        .unwrap();
    let token = chain.deploy_mock_erc20().unwrap();
    let eoa = PrivateKeySigner::from_slice(&[0x77; 32]).unwrap();
    let session_key = PrivateKeySigner::from_slice(&[0x55; 32]).unwrap();
    chain.fund(eoa.address(), U256::from(10u128.pow(18)));
    chain
        .mint(token, eoa.address(), U256::from(TOKENS))
        .unwrap();

    // 1. The EOA delegates itself and installs the module in one type-4 transaction. It sends
    //    the transaction, so its nonce is bumped before the list applies: its nonce + 1.
    let own_nonce = chain.account_nonce(eoa.address()) + 1;
    let authorization = sign_authorization(&eoa, chain.chain_id(), delegate, own_nonce).unwrap();
    let install = IERC7579Account::installModuleCall {
        moduleTypeId: U256::from(MODULE_TYPE_VALIDATOR),
        module,
        initData: Bytes::new(),
    };
    let outcome = chain
        .call_with_authorizations(
            eoa.address(),
            eoa.address(),
            install.abi_encode().into(),
            &[authorization],
        )
        .unwrap();
    assert!(outcome.success, "installModule: {:?}", outcome.revert);
    assert_eq!(eip7702_delegate(&chain.code(eoa.address())), Some(delegate));

    World {
        chain,
        eoa,
        delegate,
        module,
        token,
        session_key,
    }
}

impl World {
    /// A session of the session key: `transfer` on the token, `limit` tokens.
    fn spec(&self, limit: u64) -> SessionSpec {
        let text = format!(
            r#"{{"validUntil": 4102444800, "maxUses": 10, "feeBudget": "1000000000000000000",
                "calls": [{{"target": "{token}", "selector": "transfer(address,uint256)"}}],
                "tokens": [{{"token": "{token}", "amount": "{limit}"}}]}}"#,
            token = self.token
        );
        let mut spec = SessionSpec::from_json_str(&text).unwrap();
        spec.signer = self.session_key.address();
        spec
    }

    /// 2. The EOA grants `spec` itself (`msg.sender` is the account).
    fn grant(&mut self, spec: &SessionSpec) {
        let session = Session::abi_decode(&spec.to_sol().unwrap().abi_encode()).unwrap();
        let call = ISessionKeyValidator::grantSessionCall { session };
        let outcome = self
            .chain
            .call(
                self.eoa.address(),
                self.module,
                U256::ZERO,
                call.abi_encode().into(),
            )
            .unwrap();
        assert!(outcome.success, "grantSession: {:?}", outcome.revert);
    }

    /// The EOA's authorization as a bundler sends it (the EOA's current nonce).
    fn authorization(&self) -> SignedAuthorization {
        let nonce = self.chain.account_nonce(self.eoa.address());
        sign_authorization(&self.eoa, self.chain.chain_id(), self.delegate, nonce).unwrap()
    }

    /// An unsigned session op transferring `amount` tokens, initCode `marker ‖ init_data`,
    /// carrying the EOA's authorization.
    fn op(&self, amount: u64, init_data: &[u8]) -> UserOperation {
        let transfer = MockERC20::transferCall {
            to: RECIPIENT,
            value: U256::from(amount),
        };
        let kind = AccountKind::Eip7702;
        let key = kind.nonce_key(self.module, 0, false).unwrap();
        let nonce = self
            .chain
            .nonce(VERSION, self.eoa.address(), key.to())
            .unwrap();
        UserOperation::builder()
            .sender(self.eoa.address())
            .nonce(nonce)
            .factory(EIP7702_INIT_CODE_MARKER)
            .factory_data(init_data.to_vec())
            .call_data(execute_single(
                self.token,
                U256::ZERO,
                transfer.abi_encode(),
            ))
            .call_gas_limit(200_000)
            .verification_gas_limit(500_000)
            .pre_verification_gas(60_000)
            .max_fee_per_gas(1_000_000_000u64)
            .max_priority_fee_per_gas(1_000_000_000u64)
            .eip7702_auth(self.authorization())
            .build()
            .unwrap()
    }

    /// Signs `op` with the session key: the envelope over the op digest of its userOpHash
    /// (which, with `eip7702Auth`, has the delegate in place of the marker).
    fn sign(&self, op: &mut UserOperation, spec: &SessionSpec, enable: Option<&EnableGrant>) {
        let hash = op.hash(VERSION, VERSION.canonical_address(), self.chain.chain_id());
        let onchain = self.chain.user_op_hash_onchain(VERSION, &op.pack());
        // The EntryPoint reads the delegate from the EOA's code: the same hash.
        assert_eq!(onchain.unwrap(), hash);
        let digest = op_digest(hash, spec.session_id().unwrap(), 0);
        let signature = sign_digest(&self.session_key, &digest).unwrap();
        op.signature = encode_v1(&spec.to_sol().unwrap(), 0, &signature, enable).unwrap();
    }

    /// 3. Sends `op` the way a bundler does: `handleOps` in a type-4 transaction carrying the
    ///    op's authorization.
    fn send(&mut self, op: &UserOperation) -> leash_evm::HandleOpsOutcome {
        let authorization = op.eip7702_auth.clone().expect("the op carries eip7702Auth");
        self.chain
            .handle_ops_with_authorizations(VERSION, &[op.pack()], BENEFICIARY, &[authorization])
            .unwrap()
    }

    fn balance(&self, who: Address) -> U256 {
        self.chain.erc20_balance(self.token, who).unwrap()
    }
}

#[test]
fn session_op_in_a_type4_bundle_transfers_tokens() {
    let mut w = world();
    let spec = w.spec(500);
    w.grant(&spec);
    let mut op = w.op(300, &[]);
    assert_eq!(
        op.pack().initCode.as_ref(),
        EIP7702_INIT_CODE_MARKER.as_slice()
    );
    w.sign(&mut op, &spec, None);
    let outcome = w.send(&op);
    assert!(outcome.all_ops_succeeded(), "{:?}", outcome.revert);
    assert_eq!(w.balance(RECIPIENT), U256::from(300));
    assert_eq!(w.balance(w.eoa.address()), U256::from(TOKENS - 300));
    // The authorization applied again (same delegate) and bumped the EOA's nonce.
    assert_eq!(
        eip7702_delegate(&w.chain.code(w.eoa.address())),
        Some(w.delegate)
    );

    // The module still enforces the session: 300 more is over the 500 allowance.
    let mut over = w.op(300, &[]);
    w.sign(&mut over, &spec, None);
    let outcome = w.send(&over);
    assert!(!outcome.success);
    let inner = inner_revert(&outcome);
    assert!(
        inner.contains("TokenAllowanceExceeded"),
        "expected TokenAllowanceExceeded, got {inner}"
    );
    assert_eq!(w.balance(RECIPIENT), U256::from(300));
}

#[test]
fn session_op_with_an_eip7702_init_call_is_refused() {
    let mut w = world();
    let spec = w.spec(500);
    w.grant(&spec);
    // A harmless init call (accountId()) still runs before validation: the module refuses it.
    let init_data = IERC7579Account::accountIdCall {}.abi_encode();
    let mut op = w.op(300, &init_data);
    w.sign(&mut op, &spec, None);
    let outcome = w.send(&op);
    assert!(!outcome.success);
    match &outcome.revert {
        Some(DecodedRevert::FailedOpWithRevert { inner, .. }) => {
            assert_eq!(
                inner.as_ref(),
                &keccak256("Eip7702InitCallDenied()")[..4],
                "{:?}",
                outcome.revert
            );
        }
        other => panic!("expected FailedOpWithRevert(Eip7702InitCallDenied), got {other:?}"),
    }
    assert_eq!(w.balance(RECIPIENT), U256::ZERO);
    assert_eq!(w.balance(w.eoa.address()), U256::from(TOKENS));
}

#[test]
fn session_enabled_in_its_first_op_by_the_eoa_signature() {
    // The `eip7702` profile's enable grant: the EOA's raw signature over the enable digest,
    // accepted by the delegate's own ERC-1271.
    let mut w = world();
    let spec = w.spec(500);
    let enable_nonce = U256::from(7);
    let digest = enable_digest(
        w.chain.chain_id(),
        w.module,
        w.eoa.address(),
        spec.session_id().unwrap(),
        enable_nonce,
    );
    let kind = AccountKind::Eip7702;
    let signed = kind.erc1271_hash(w.eoa.address(), w.chain.chain_id(), digest);
    let owner_signature = sign_digest(&w.eoa, &signed).unwrap();
    let grant = EnableGrant {
        nonce: enable_nonce,
        signature: kind.erc1271_signature(Address::ZERO, true, &owner_signature),
    };
    assert_eq!(grant.signature.len(), 65);
    let mut op = w.op(120, &[]);
    w.sign(&mut op, &spec, Some(&grant));
    let outcome = w.send(&op);
    assert!(outcome.all_ops_succeeded(), "{:?}", outcome.revert);
    assert_eq!(w.balance(RECIPIENT), U256::from(120));
    let status = ISessionKeyValidator::statusOfCall {
        account: w.eoa.address(),
        sessionId: spec.session_id().unwrap(),
    };
    let output = w.chain.view(w.module, status.abi_encode().into()).unwrap();
    assert_eq!(
        ISessionKeyValidator::statusOfCall::abi_decode_returns(&output).unwrap(),
        1,
        "active"
    );
}

/// The decoded inner revert of a `FailedOpWithRevert`.
fn inner_revert(outcome: &leash_evm::HandleOpsOutcome) -> String {
    match &outcome.revert {
        Some(DecodedRevert::FailedOpWithRevert { inner_decoded, .. }) => {
            inner_decoded.clone().unwrap_or_default()
        }
        other => format!("{other:?}"),
    }
}
