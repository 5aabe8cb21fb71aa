//! The chain every case starts from: both accounts, the module under test, tokens, recorders,
//! paymasters, keys. Built once per (EntryPoint version, module bytecode) and cloned per case.

use crate::AuditError;
use alloy::signers::local::PrivateKeySigner;
use alloy::{
    primitives::{Address, Bytes, U256},
    sol_types::{SolCall, SolValue},
};
use leash_contracts::bindings::{account::IERC7579Account, mocks::MockERC20};
use leash_evm::{Chain, TestAccountHandle};
use leash_model::permissions::PERMIT2;
use leash_userop::{
    account::eip7702_delegate, address_of, eip7702::sign_authorization, EntryPointVersion,
    SigningKey,
};
use std::{
    cell::RefCell,
    collections::HashMap,
    sync::{Mutex, OnceLock},
};

/// Who deploys the module under test.
const MODULE_DEPLOYER: Address = Address::repeat_byte(0xd3);
/// Where `handleOps` fees go.
pub const BENEFICIARY: Address = Address::repeat_byte(0xbe);
/// Token balance minted to each account.
pub const TOKEN_BALANCE: u64 = 1_000_000_000;
/// The selector the main account routes to [`Layout::handler`] (`0xdeadbeef`, the grammar's
/// unknown selector).
pub const HANDLED_SELECTOR: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];
/// What the owner lets the router pull at set-up, per token (ERC-20 allowance on token 0,
/// Permit2 allowance on token 1): more than any session's allowance.
pub const ROUTER_ALLOWANCE: u64 = 1_000_000;
/// One ether.
const ETHER: u128 = 1_000_000_000_000_000_000;

/// Every address of a world (the same for every module bytecode: deployment order is fixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// EntryPoint version the accounts use.
    pub version: EntryPointVersion,
    /// The session module.
    pub module: Address,
    /// The main account (sessions are granted here).
    pub account: Address,
    /// The other account (module installed, no session). On EntryPoint v0.8 it is an EOA
    /// delegated (EIP-7702) to [`Layout::eip7702_delegate`], which lets EntryPoint v0.8's
    /// SenderCreator run an op's init call (`initCode = 0x7702 ‖ data`) on it.
    pub other_account: Address,
    /// On v0.8, the `InitCallerEip7702Account` the other account's EOA delegates to (its code
    /// is `0xef0100 ‖ delegate`; the EntryPoint hashes a marker `initCode` with it); `None` on
    /// v0.7, whose EntryPoint has no EIP-7702 support (the other account is a `TestAccount`).
    pub eip7702_delegate: Option<Address>,
    /// The owner validator both accounts use.
    pub owner_validator: Address,
    /// A second validator installed on the main account only.
    pub extra_module: Address,
    /// A `FixtureModule` installed on the main account as an executor (type 2).
    pub executor: Address,
    /// A `FixtureModule` installed on the main account as the fallback handler of
    /// [`HANDLED_SELECTOR`] (type 3) only: calls to it with other selectors are no module call.
    pub handler: Address,
    /// A `PullingRouter`: the main account's owner ERC-20-approved it on token 0 and
    /// Permit2-approved it on token 1 at set-up (allowances no session paid for).
    pub router: Address,
    /// Two `MockERC20`s.
    pub tokens: [Address; 2],
    /// Two `RecordingTarget`s.
    pub recorders: [Address; 2],
    /// `[listed, unlisted]` `AcceptAllPaymaster`s.
    pub paymasters: [Address; 2],
    /// Session keys' addresses, then the stranger's.
    pub keys: Vec<Address>,
    /// Chain id.
    pub chain_id: u64,
    /// Genesis timestamp.
    pub genesis: u64,
}

/// A world ready for a case.
#[derive(Debug, Clone)]
pub struct World {
    /// The chain.
    pub chain: Chain,
    /// Addresses.
    pub layout: Layout,
    /// The main account.
    pub account: TestAccountHandle,
    /// Session keys (the last one is the stranger).
    pub keys: Vec<SigningKey>,
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a small constant scalar is a valid key")
}

/// Session key `i` (`i == KEYS` is the stranger no session names).
pub fn session_key(i: usize) -> SigningKey {
    key(0x51 + i as u8)
}

/// The owner key of the main account (`other == false`) or of the other account.
pub fn owner_key(other: bool) -> SigningKey {
    key(if other { 0x72 } else { 0x71 })
}

/// Owner op of `account` running `call_data`, executed at once.
fn owner_run(
    chain: &mut Chain,
    account: &TestAccountHandle,
    call_data: Vec<u8>,
) -> Result<(), AuditError> {
    let op = chain.owner_op(account, call_data.into())?;
    let outcome = chain.handle_ops(account.version, &[op], BENEFICIARY)?;
    if !outcome.all_ops_succeeded() {
        return Err(AuditError::Setup(format!("owner op failed: {outcome:?}")));
    }
    Ok(())
}

/// `installModule(1, module, data)` as the account's call data.
pub fn install_call(module: Address, data: Vec<u8>) -> Vec<u8> {
    IERC7579Account::installModuleCall {
        moduleTypeId: U256::from(1),
        module,
        initData: data.into(),
    }
    .abi_encode()
}

/// `installModule(module_type, module, data)` as the account's call data.
fn install_typed_call(module_type: u64, module: Address, data: Vec<u8>) -> Vec<u8> {
    IERC7579Account::installModuleCall {
        moduleTypeId: U256::from(module_type),
        module,
        initData: data.into(),
    }
    .abi_encode()
}

/// `execute` of one call from the account.
fn single_call(target: Address, data: Vec<u8>) -> Vec<u8> {
    leash_model::decode::encode_execute(
        leash_model::decode::CallType::Single,
        leash_model::decode::ExecType::Default,
        &[leash_model::decode::Call {
            target,
            value: U256::ZERO,
            data,
        }],
    )
}

/// `execute` of `token.approve(PERMIT2, max)`: the ERC-20 approval Permit2 needs to move the
/// account's tokens (made by the owner at set-up, so it is nobody's session outflow).
fn approve_permit2_call(token: Address) -> Vec<u8> {
    let approve = MockERC20::approveCall {
        spender: PERMIT2,
        value: U256::MAX,
    };
    leash_model::decode::encode_execute(
        leash_model::decode::CallType::Single,
        leash_model::decode::ExecType::Default,
        &[leash_model::decode::Call {
            target: token,
            value: U256::ZERO,
            data: approve.abi_encode(),
        }],
    )
}

/// `uninstallModule(1, module, "")` as the account's call data.
pub fn uninstall_call(module: Address) -> Vec<u8> {
    IERC7579Account::uninstallModuleCall {
        moduleTypeId: U256::from(1),
        module,
        deInitData: Bytes::new(),
    }
    .abi_encode()
}

/// The other account: a `TestAccount` (v0.7) or an EOA delegated with EIP-7702 (v0.8).
enum Other {
    Account(TestAccountHandle),
    Eoa(Address),
}

impl Other {
    fn address(&self) -> Address {
        match self {
            Self::Account(account) => account.address,
            Self::Eoa(eoa) => *eoa,
        }
    }

    /// Runs `call_data` as the account: an owner op, or the EOA's own call to itself.
    fn run(&self, chain: &mut Chain, call_data: Vec<u8>) -> Result<(), AuditError> {
        match self {
            Self::Account(account) => owner_run(chain, account, call_data),
            Self::Eoa(eoa) => {
                let outcome = chain.call(*eoa, *eoa, U256::ZERO, call_data.into())?;
                if outcome.success {
                    Ok(())
                } else {
                    Err(AuditError::Setup(format!(
                        "the delegated EOA's call failed: {:?}",
                        outcome.revert
                    )))
                }
            }
        }
    }
}

/// On a chain switched to Prague: the other account's owner key as an EOA that delegates
/// (EIP-7702, a real type-4 transaction) to a fresh `InitCallerEip7702Account` for EntryPoint
/// v0.8 and installs `module` in the same transaction; funded and with an EntryPoint deposit
/// like a `TestAccount`. Returns the EOA and the delegate.
fn delegated_eoa(chain: &mut Chain, module: Address) -> Result<(Address, Address), AuditError> {
    chain.activate_prague();
    let entry_point = EntryPointVersion::V08.canonical_address();
    let sender_creator = ISenderCreatorSource::senderCreatorCall::abi_decode_returns(
        &chain.view(
            entry_point,
            ISenderCreatorSource::senderCreatorCall {}
                .abi_encode()
                .into(),
        )?,
    )
    .map_err(|e| AuditError::Setup(format!("senderCreator(): {e}")))?;
    let delegate = chain.deploy_artifact(
        "InitCallerEip7702Account",
        &(entry_point, sender_creator).abi_encode_params(),
    )?;
    let signer = PrivateKeySigner::from_signing_key(owner_key(true));
    let eoa = signer.address();
    chain.fund(eoa, U256::from(100 * ETHER));
    // The EOA sends the transaction, so its nonce is bumped before the list applies.
    let nonce = chain.account_nonce(eoa) + 1;
    let authorization = sign_authorization(&signer, chain.chain_id(), delegate, nonce)
        .map_err(|e| AuditError::Setup(format!("EIP-7702 authorization: {e}")))?;
    let install = chain.call_with_authorizations(
        eoa,
        eoa,
        install_call(module, Vec::new()).into(),
        &[authorization],
    )?;
    if !install.success || eip7702_delegate(&chain.code(eoa)) != Some(delegate) {
        return Err(AuditError::Setup(format!(
            "the EOA did not delegate and install the module: {:?}",
            install.revert
        )));
    }
    chain.deposit_to(EntryPointVersion::V08, eoa, U256::from(ETHER))?;
    Ok((eoa, delegate))
}

alloy::sol! {
    /// EntryPoint v0.8's SenderCreator, the caller of an EIP-7702 init call.
    interface ISenderCreatorSource {
        function senderCreator() external view returns (address);
    }
}

/// Runtime code size a mutant's world allows (twice EIP-170's 24,576 bytes).
const MUTANT_CODE_SIZE_LIMIT: usize = 2 * 24_576;

impl World {
    /// Builds a fresh world on EntryPoint `version` with the module's creation code.
    ///
    /// # Errors
    ///
    /// [`AuditError`] when any deployment or set-up op fails.
    pub fn build(version: EntryPointVersion, module_code: &Bytes) -> Result<Self, AuditError> {
        let mut chain = Chain::new()?;
        chain.fund(MODULE_DEPLOYER, U256::ZERO);
        let owner_validator = chain.deploy_owner_validator()?;
        let account = chain.deploy_test_account(version, owner_validator, &owner_key(false))?;
        if *module_code != self::module_code()? {
            // A planted bug (mutants.rs) can compile past EIP-170: the IR optimizer lays the patched
            // sources out anew. Its behaviour, not its size, is under test, so only a mutant's world
            // lifts the limit; the module itself always deploys under it.
            chain.set_code_size_limit(MUTANT_CODE_SIZE_LIMIT);
        }
        let module = chain.deploy(MODULE_DEPLOYER, module_code.clone())?;
        let (other, eip7702_delegate) = match version {
            EntryPointVersion::V07 => {
                let other =
                    chain.deploy_test_account(version, owner_validator, &owner_key(true))?;
                owner_run(&mut chain, &other, install_call(module, Vec::new()))?;
                (Other::Account(other), None)
            }
            EntryPointVersion::V08 => {
                let (eoa, delegate) = delegated_eoa(&mut chain, module)?;
                (Other::Eoa(eoa), Some(delegate))
            }
        };
        let extra_module = chain.deploy_owner_validator()?;
        let executor = chain.deploy_artifact("FixtureModule", &[])?;
        let handler = chain.deploy_artifact("FixtureModule", &[])?;
        let router = chain.deploy_artifact("PullingRouter", &[])?;
        let tokens = [chain.deploy_mock_erc20()?, chain.deploy_mock_erc20()?];
        let recorders = [
            chain.deploy_artifact("RecordingTarget", &[])?,
            chain.deploy_artifact("RecordingTarget", &[])?,
        ];
        let paymasters = [
            chain.deploy_artifact("AcceptAllPaymaster", &[])?,
            chain.deploy_artifact("AcceptAllPaymaster", &[])?,
        ];
        for paymaster in paymasters {
            chain.deposit_to(version, paymaster, U256::from(100 * ETHER))?;
        }
        for holder in [account.address, other.address()] {
            for token in tokens {
                chain.mint(token, holder, U256::from(TOKEN_BALANCE))?;
            }
        }
        let permit2 = leash_contracts::artifact("MockPermit2")?;
        chain.set_code(PERMIT2, permit2.deployed_bytecode.clone());
        owner_run(&mut chain, &account, install_call(module, Vec::new()))?;
        for token in tokens {
            owner_run(&mut chain, &account, approve_permit2_call(token))?;
            other.run(&mut chain, approve_permit2_call(token))?;
        }
        owner_run(
            &mut chain,
            &account,
            install_call(extra_module, address_of(&key(0x73)).abi_encode()),
        )?;
        owner_run(
            &mut chain,
            &account,
            install_typed_call(2, executor, Vec::new()),
        )?;
        owner_run(
            &mut chain,
            &account,
            install_typed_call(3, handler, HANDLED_SELECTOR.to_vec()),
        )?;
        let router_approval = MockERC20::approveCall {
            spender: router,
            value: U256::from(ROUTER_ALLOWANCE),
        };
        owner_run(
            &mut chain,
            &account,
            single_call(tokens[0], router_approval.abi_encode()),
        )?;
        let router_permit2 = crate::observe::IPermit2::approveCall {
            token: tokens[1],
            spender: router,
            amount: alloy::primitives::aliases::U160::from(ROUTER_ALLOWANCE),
            expiration: alloy::primitives::aliases::U48::MAX,
        };
        owner_run(
            &mut chain,
            &account,
            single_call(PERMIT2, router_permit2.abi_encode()),
        )?;
        let keys: Vec<SigningKey> = (0..=crate::grammar::KEYS).map(session_key).collect();
        let layout = Layout {
            version,
            module,
            account: account.address,
            other_account: other.address(),
            eip7702_delegate,
            owner_validator,
            extra_module,
            executor,
            handler,
            router,
            tokens,
            recorders,
            paymasters,
            keys: keys.iter().map(address_of).collect(),
            chain_id: chain.chain_id(),
            genesis: chain.timestamp(),
        };
        Ok(Self {
            chain,
            layout,
            account,
            keys,
        })
    }

    /// A copy of the world for `version` and `module_code`, built on first use (per thread).
    ///
    /// # Errors
    ///
    /// As [`World::build`].
    pub fn cached(version: EntryPointVersion, module_code: &Bytes) -> Result<Self, AuditError> {
        thread_local! {
            static CACHE: RefCell<HashMap<(EntryPointVersion, Bytes), World>> = RefCell::new(HashMap::new());
        }
        let key = (version, module_code.clone());
        if let Some(world) = CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
            return Ok(world);
        }
        let world = Self::build(version, module_code)?;
        CACHE.with(|cache| cache.borrow_mut().insert(key, world.clone()));
        Ok(world)
    }
}

/// The module's creation code as compiled by `leash-contracts`.
///
/// # Errors
///
/// [`AuditError::Contracts`] when the artifact is missing.
pub fn module_code() -> Result<Bytes, AuditError> {
    Ok(leash_contracts::artifact("SessionKeyValidator")?
        .bytecode
        .clone())
}

/// The layout of `version` (addresses do not depend on the module's bytecode).
///
/// # Panics
///
/// When the reference world cannot be built (the toolchain or fixtures are broken): every
/// case would fail the same way.
pub fn layout(version: EntryPointVersion) -> Layout {
    static LAYOUTS: OnceLock<Mutex<HashMap<EntryPointVersion, Layout>>> = OnceLock::new();
    let layouts = LAYOUTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = layouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard
        .entry(version)
        .or_insert_with(|| {
            let code = module_code().expect("the SessionKeyValidator artifact");
            World::build(version, &code)
                .expect("the reference world")
                .layout
        })
        .clone()
}
