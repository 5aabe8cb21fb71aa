//! The demo's chain: EntryPoint v0.7, the session module, an OpenZeppelin test account owned
//! through an owner validator, and a mock ERC-20.

use alloy::primitives::{aliases::U192, keccak256, Address, Bytes, B256, U256};
use alloy::sol_types::SolCall;
use anyhow::Context;
use leash_contracts::bindings::account::IERC7579Account;
use leash_contracts::bindings::session::{ISessionKeyValidator, MODULE_TYPE_VALIDATOR};
use leash_evm::{Chain, DecodedEvent, DecodedRevert, HandleOpsOutcome, TestAccountHandle};
use leash_keys::SessionSpec;
use leash_userop::erc7579::Execution;
use leash_userop::{EntryPointVersion, SigningKey, UserOperation};

use crate::module_error::{ModuleError, MODULE_ARTIFACT};
use crate::onchain::{self, OpGas, Remaining};

/// The EntryPoint the demo account uses.
pub(crate) const VERSION: EntryPointVersion = EntryPointVersion::V07;

/// Gas fields of the demo's session ops: the account pays (no paymaster), 1 gwei.
pub(crate) const SESSION_OP_GAS: OpGas = OpGas {
    call_gas_limit: 100_000,
    verification_gas_limit: 300_000,
    pre_verification_gas: 50_000,
    max_fee_per_gas: 1_000_000_000,
    max_priority_fee_per_gas: 1_000_000_000,
};

/// Everything deployed for the demo.
pub(crate) struct World {
    /// The in-process chain.
    pub(crate) chain: Chain,
    /// The smart account.
    pub(crate) account: TestAccountHandle,
    /// The session-key validator module.
    pub(crate) module: Address,
    /// The mock ERC-20.
    pub(crate) token: Address,
    /// Where the session sends tokens.
    pub(crate) recipient: Address,
}

/// What happened to one op sent through `handleOps`.
pub(crate) struct OpResult {
    /// The `handleOps` transaction succeeded and the op's execution too.
    pub(crate) accepted: bool,
    /// Gas of the whole `handleOps` transaction.
    pub(crate) tx_gas: u64,
    /// `actualGasUsed` / `actualGasCost` of the op's `UserOperationEvent`.
    pub(crate) charged: Option<(U256, U256)>,
    /// The decoded revert of `handleOps`, when it reverted.
    pub(crate) revert: Option<DecodedRevert>,
    /// The module's custom error inside the revert, when there is one.
    pub(crate) module_error: Option<ModuleError>,
}

impl OpResult {
    fn from_outcome(outcome: HandleOpsOutcome) -> Self {
        let charged = outcome.events.iter().find_map(|event| match event {
            DecodedEvent::UserOperationEvent {
                actual_gas_used,
                actual_gas_cost,
                ..
            } => Some((*actual_gas_used, *actual_gas_cost)),
            _ => None,
        });
        let module_error = match &outcome.revert {
            Some(DecodedRevert::FailedOpWithRevert { inner, .. }) => ModuleError::decode(inner),
            _ => None,
        };
        Self {
            accepted: outcome.all_ops_succeeded(),
            tx_gas: outcome.gas_used,
            charged,
            revert: outcome.revert,
            module_error,
        }
    }

    /// One line saying why the op failed (the module's error when known).
    pub(crate) fn reason(&self) -> String {
        match (&self.module_error, &self.revert) {
            (Some(error), _) => error.to_string(),
            (None, Some(revert)) => revert.to_string(),
            (None, None) if self.accepted => "accepted".to_owned(),
            (None, None) => "the op's execution reverted".to_owned(),
        }
    }
}

fn random_key() -> anyhow::Result<SigningKey> {
    let bytes: [u8; 32] = rand::random();
    SigningKey::from_slice(&bytes).context("generating the owner key")
}

impl World {
    /// Starts the chain and deploys the module, an account and the token.
    pub(crate) fn deploy() -> anyhow::Result<Self> {
        let mut chain = Chain::new().context("starting the in-process chain")?;
        let module = chain
            .deploy_artifact(MODULE_ARTIFACT, &[])
            .context("deploying the session module")?;
        let owner_validator = chain
            .deploy_owner_validator()
            .context("deploying the owner validator")?;
        let account = chain
            .deploy_test_account(VERSION, owner_validator, &random_key()?)
            .context("deploying the test account")?;
        let token = chain
            .deploy_mock_erc20()
            .context("deploying the mock ERC-20")?;
        let recipient = Address::from_word(keccak256(B256::from(rand::random::<[u8; 32]>())));
        Ok(Self {
            chain,
            account,
            module,
            token,
            recipient,
        })
    }

    /// Sends an op signed by the account's owner that makes the account run `call_data`.
    pub(crate) fn owner_op(&mut self, call_data: Bytes) -> anyhow::Result<OpResult> {
        let op = self.chain.owner_op(&self.account, call_data)?;
        let outcome = self
            .chain
            .handle_ops(VERSION, &[op], self.chain.bundler())?;
        Ok(OpResult::from_outcome(outcome))
    }

    /// An owner op that makes the account call the module with `module_call`.
    pub(crate) fn owner_calls_module(
        &mut self,
        module_calls: &[Bytes],
    ) -> anyhow::Result<OpResult> {
        let calls: Vec<Execution> = module_calls
            .iter()
            .map(|data| Execution::new(self.module, U256::ZERO, data.clone()))
            .collect();
        self.owner_op(onchain::execute_call_data(&calls)?)
    }

    /// Installs the module on the account (the EntryPoint calls `installModule`).
    pub(crate) fn install_module(&mut self) -> anyhow::Result<OpResult> {
        let call = IERC7579Account::installModuleCall {
            moduleTypeId: U256::from(MODULE_TYPE_VALIDATOR),
            module: self.module,
            initData: Bytes::new(),
        };
        self.owner_op(call.abi_encode().into())
    }

    /// Whether the account reports the module installed as a validator.
    pub(crate) fn module_installed(&self) -> anyhow::Result<bool> {
        let call = IERC7579Account::isModuleInstalledCall {
            moduleTypeId: U256::from(MODULE_TYPE_VALIDATOR),
            module: self.module,
            additionalContext: Bytes::new(),
        };
        let output = self
            .chain
            .view(self.account.address, call.abi_encode().into())?;
        Ok(IERC7579Account::isModuleInstalledCall::abi_decode_returns(
            &output,
        )?)
    }

    /// An unsigned session op running `calls`, with the next nonce of the module's lane 0.
    pub(crate) fn session_op(&self, calls: &[Execution]) -> anyhow::Result<UserOperation> {
        let key: U256 = leash_userop::erc7579::validator_nonce(self.module, 0, 0) >> 64;
        let nonce = self
            .chain
            .nonce(VERSION, self.account.address, key.to::<U192>())?;
        let sequence: u64 = (nonce & U256::from(u64::MAX)).to();
        onchain::session_user_op(
            self.account.address,
            leash_userop::erc7579::validator_nonce(self.module, 0, sequence),
            onchain::execute_call_data(calls)?,
            SESSION_OP_GAS,
            None,
        )
    }

    /// The userOpHash the EntryPoint computes for `op`.
    pub(crate) fn user_op_hash(&self, op: &UserOperation) -> B256 {
        op.hash(VERSION, VERSION.canonical_address(), self.chain.chain_id())
    }

    /// Sends one signed op through `handleOps`.
    pub(crate) fn submit(&mut self, op: &UserOperation) -> anyhow::Result<OpResult> {
        let outcome = self
            .chain
            .handle_ops(VERSION, &[op.pack()], self.chain.bundler())?;
        Ok(OpResult::from_outcome(outcome))
    }

    /// What the module says is left of `spec` on the account (period 0).
    pub(crate) fn remaining(&self, spec: &SessionSpec) -> anyhow::Result<Remaining> {
        let data = onchain::remaining_call(self.account.address, spec, 0)?;
        onchain::decode_remaining(&self.chain.view(self.module, data)?)
    }

    /// The module's status of session `id` on the account (0 none .. 3 revoked).
    pub(crate) fn status(&self, id: B256) -> anyhow::Result<u8> {
        let call = ISessionKeyValidator::statusOfCall {
            account: self.account.address,
            sessionId: id,
        };
        let output = self.chain.view(self.module, call.abi_encode().into())?;
        Ok(ISessionKeyValidator::statusOfCall::abi_decode_returns(
            &output,
        )?)
    }

    /// `token.balanceOf(who)`.
    pub(crate) fn balance(&self, who: Address) -> anyhow::Result<U256> {
        Ok(self.chain.erc20_balance(self.token, who)?)
    }
}
