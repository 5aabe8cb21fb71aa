//! The in-memory chain: state, block environment, plain transactions and views.

use crate::{
    inspect::{ChainContext, ChainDb, Inspector},
    DecodedRevert, ErrorRegistry, EvmError,
};
use alloy::{
    json_abi::JsonAbi,
    primitives::{Address, Bytes, Log, TxKind, B256, U256},
};
use leash_userop::{eip7702::SignedAuthorization, EntryPointVersion};
use revm::{
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    context_interface::result::{ExecutionResult, Output},
    database::CacheDB,
    primitives::hardfork::SpecId,
    state::{AccountInfo, Bytecode},
    ExecuteCommitEvm, ExecuteEvm, InspectCommitEvm, MainBuilder, MainContext,
};

/// Chain id of a new [`Chain`] (anvil's and hardhat's default).
pub const DEFAULT_CHAIN_ID: u64 = 31_337;
/// `block.timestamp` of a new [`Chain`] (2023-11-14T22:13:20Z).
pub const GENESIS_TIMESTAMP: u64 = 1_700_000_000;
/// Gas limit of every transaction the harness sends.
pub(crate) const TX_GAS_LIMIT: u64 = 30_000_000;
/// Gas limit of the simulated block.
const BLOCK_GAS_LIMIT: u64 = 60_000_000;

/// An in-memory EVM chain (Cancun) with both canonical EntryPoints deployed.
///
/// Transactions run instantly, one per block in spirit: nothing advances the clock but
/// [`Chain::warp`] and [`Chain::set_timestamp`]. Gas is free for plain transactions (base fee
/// and gas price 0), so senders need no balance unless they send value; user operations still
/// pay the EntryPoint what their own fee fields say.
#[derive(Debug, Clone)]
pub struct Chain {
    pub(crate) db: ChainDb,
    block: BlockEnv,
    cfg: CfgEnv,
    pub(crate) errors: ErrorRegistry,
}

/// A saved copy of a [`Chain`]'s state and clock, restored with [`Chain::restore`].
#[derive(Debug, Clone)]
pub struct Snapshot {
    db: ChainDb,
    block: BlockEnv,
}

/// What a committed transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// True when the call neither reverted nor halted.
    pub success: bool,
    /// Gas used by the whole transaction (intrinsic gas included, refunds deducted).
    pub gas_used: u64,
    /// Return data (or revert data).
    pub output: Bytes,
    /// Logs emitted (empty when the call reverted).
    pub logs: Vec<Log>,
    /// The decoded revert, when `success` is false.
    pub revert: Option<DecodedRevert>,
}

impl CallOutcome {
    /// The return data, or [`EvmError::Reverted`] when the call did not succeed.
    pub fn into_result(self, to: Address) -> Result<Bytes, EvmError> {
        match self.revert {
            Some(revert) => Err(EvmError::Reverted {
                to,
                revert: Box::new(revert),
            }),
            None => Ok(self.output),
        }
    }
}

/// A finished transaction, with its revert decoded.
pub(crate) struct Executed {
    pub(crate) success: bool,
    pub(crate) gas_used: u64,
    pub(crate) output: Bytes,
    pub(crate) created: Option<Address>,
    pub(crate) logs: Vec<Log>,
    pub(crate) revert: Option<DecodedRevert>,
}

impl Chain {
    /// An empty chain with the deterministic-deployment proxy and EntryPoint v0.7 and v0.8
    /// deployed through it at their canonical addresses (with their real immutables).
    ///
    /// # Errors
    ///
    /// [`EvmError::EntryPointMisplaced`] if an EntryPoint does not land at its canonical
    /// address, or the deployment's own error.
    pub fn new() -> Result<Self, EvmError> {
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = DEFAULT_CHAIN_ID;
        cfg.disable_nonce_check = true;
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(GENESIS_TIMESTAMP),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: 0,
            prevrandao: Some(B256::ZERO),
            ..BlockEnv::default()
        };
        let mut errors = ErrorRegistry::default();
        for version in EntryPointVersion::ALL {
            errors.register_abi(leash_contracts::entry_point_abi(version));
        }
        for name in leash_contracts::artifact_names() {
            errors.register_abi(&leash_contracts::artifact(name)?.abi);
        }
        let mut chain = Self {
            db: ChainDb::default(),
            block,
            cfg,
            errors,
        };
        chain.set_code(
            leash_contracts::DETERMINISTIC_DEPLOYER,
            leash_contracts::deterministic_deployer_runtime(),
        );
        for version in EntryPointVersion::ALL {
            chain.deploy_entry_point(version)?;
        }
        Ok(chain)
    }

    /// Switches the chain to the Prague rules (EIP-7702 set-code transactions and delegated
    /// EOAs), for [`Chain::handle_ops_with_authorizations`]. The EntryPoints stay where they
    /// are; everything sent afterwards runs under Prague.
    pub fn activate_prague(&mut self) {
        self.cfg.spec = SpecId::PRAGUE;
    }

    /// Raises the contract code size limits (EIP-170 runtime, EIP-3860 initcode) to `runtime`
    /// and twice `runtime`, like anvil's `--code-size-limit`: for deploying third-party bytecode
    /// built over the limits (e.g. the precompiled accounts the account-profile test runs).
    pub fn set_code_size_limit(&mut self, runtime: usize) {
        self.cfg.limit_contract_code_size = Some(runtime);
        self.cfg.limit_contract_initcode_size = Some(runtime.saturating_mul(2));
    }

    /// The chain id (`block.chainid`).
    pub fn chain_id(&self) -> u64 {
        self.cfg.chain_id
    }

    /// The current `block.timestamp`.
    pub fn timestamp(&self) -> u64 {
        self.block.timestamp.saturating_to()
    }

    /// The current `block.number`.
    pub fn block_number(&self) -> u64 {
        self.block.number.saturating_to()
    }

    /// Moves time forward by `secs` and starts a new block.
    pub fn warp(&mut self, secs: u64) {
        self.block.timestamp = self.block.timestamp.saturating_add(U256::from(secs));
        self.block.number += U256::from(1);
    }

    /// Sets `block.timestamp` to `timestamp` (backwards too: tests may rewind) and starts a
    /// new block.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.block.timestamp = U256::from(timestamp);
        self.block.number += U256::from(1);
    }

    /// Sets `who`'s native balance to `wei`.
    pub fn fund(&mut self, who: Address, wei: U256) {
        let mut info = self.account_info(who);
        info.balance = wei;
        self.db.insert_account_info(who, info);
    }

    /// `who`'s native balance.
    pub fn balance(&self, who: Address) -> U256 {
        self.account_info(who).balance
    }

    /// The runtime code at `who` (empty for an EOA).
    pub fn code(&self, who: Address) -> Bytes {
        self.account_info(who)
            .code
            .map(|code| code.original_bytes())
            .unwrap_or_default()
    }

    /// Puts `code` at `who` as is (no constructor runs, immutables stay as given).
    pub fn set_code(&mut self, who: Address, code: Bytes) {
        let mut info = self.account_info(who);
        let bytecode = Bytecode::new_raw(code);
        info.code_hash = bytecode.hash_slow();
        info.code = Some(bytecode);
        self.db.insert_account_info(who, info);
    }

    fn account_info(&self, who: Address) -> AccountInfo {
        self.db
            .cache
            .accounts
            .get(&who)
            .and_then(|account| account.info())
            .unwrap_or_default()
    }

    /// The errors used to decode reverts; add custom-error ABIs with
    /// [`Chain::register_errors`].
    pub fn error_registry(&self) -> &ErrorRegistry {
        &self.errors
    }

    /// Adds every custom error of `abi` to the revert decoder.
    pub fn register_errors(&mut self, abi: &JsonAbi) {
        self.errors.register_abi(abi);
    }

    /// Deploys `creation_code_with_args` from `from` (CREATE) and returns the new address.
    ///
    /// # Errors
    ///
    /// [`EvmError::DeployReverted`] when the constructor reverts or halts.
    pub fn deploy(
        &mut self,
        from: Address,
        creation_code_with_args: Bytes,
    ) -> Result<Address, EvmError> {
        let tx = self.tx_env(from, TxKind::Create, U256::ZERO, creation_code_with_args);
        let executed = self.execute_commit(tx)?;
        match (executed.revert, executed.created) {
            (Some(revert), _) => Err(EvmError::DeployReverted(Box::new(revert))),
            (None, Some(address)) => Ok(address),
            (None, None) => Err(EvmError::DeployReverted(Box::new(DecodedRevert::Halted(
                "creation returned no address".to_owned(),
            )))),
        }
    }

    /// Sends a committed transaction; a revert is reported in the outcome, not as an error.
    ///
    /// # Errors
    ///
    /// [`EvmError::Rejected`] when revm refuses the transaction (e.g. `from` cannot pay
    /// `value`).
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: Bytes,
    ) -> Result<CallOutcome, EvmError> {
        let tx = self.tx_env(from, TxKind::Call(to), value, data);
        let executed = self.execute_commit(tx)?;
        Ok(CallOutcome {
            success: executed.success,
            gas_used: executed.gas_used,
            output: executed.output,
            logs: executed.logs,
            revert: executed.revert,
        })
    }

    /// [`Chain::call`] as an EIP-7702 (type-4) transaction carrying `authorizations`: each valid
    /// one (chain id 0 or this chain's, the authority's nonce at that point, low `s`) makes its
    /// authority's code `0xef0100 ‖ delegate` before the call runs; an invalid one is skipped,
    /// as on a real chain. `from` signing its own authorization must use its nonce + 1 (the
    /// transaction bumps it first). Needs [`Chain::activate_prague`].
    ///
    /// # Errors
    ///
    /// [`EvmError::Rejected`] when revm refuses the transaction (not on Prague, empty list).
    pub fn call_with_authorizations(
        &mut self,
        from: Address,
        to: Address,
        data: Bytes,
        authorizations: &[SignedAuthorization],
    ) -> Result<CallOutcome, EvmError> {
        let tx = self.tx_env(from, TxKind::Call(to), U256::ZERO, data);
        let executed = self.execute_commit(with_authorizations(tx, authorizations)?)?;
        Ok(CallOutcome {
            success: executed.success,
            gas_used: executed.gas_used,
            output: executed.output,
            logs: executed.logs,
            revert: executed.revert,
        })
    }

    /// The account nonce of `who` (its transaction count; what an EIP-7702 authorization of
    /// `who` must carry).
    pub fn account_nonce(&self, who: Address) -> u64 {
        self.account_info(who).nonce
    }

    /// `eth_call`: runs `data` against `to` from the zero address without committing.
    ///
    /// # Errors
    ///
    /// [`EvmError::Reverted`] when the call reverts or halts.
    pub fn view(&self, to: Address, data: Bytes) -> Result<Bytes, EvmError> {
        let tx = self.tx_env(Address::ZERO, TxKind::Call(to), U256::ZERO, data);
        let mut evm = self.context(CacheDB::new(&self.db)).build_mainnet();
        let result = evm
            .transact(tx)
            .map_err(|error| EvmError::Rejected(error.to_string()))?
            .result;
        let executed = self.finish(result);
        match executed.revert {
            Some(revert) => Err(EvmError::Reverted {
                to,
                revert: Box::new(revert),
            }),
            None => Ok(executed.output),
        }
    }

    /// A copy of the state and the clock; cheap enough to take before every property case.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            db: self.db.clone(),
            block: self.block.clone(),
        }
    }

    /// Puts back the state and clock saved by [`Chain::snapshot`].
    pub fn restore(&mut self, snapshot: Snapshot) {
        self.db = snapshot.db;
        self.block = snapshot.block;
    }

    fn deploy_entry_point(&mut self, version: EntryPointVersion) -> Result<(), EvmError> {
        let expected = version.canonical_address();
        let mut payload = leash_contracts::entry_point_salt(version).to_vec();
        payload.extend_from_slice(&leash_contracts::entry_point_creation_code(version));
        let outcome = self.call(
            Address::ZERO,
            leash_contracts::DETERMINISTIC_DEPLOYER,
            U256::ZERO,
            payload.into(),
        )?;
        let found = match (&outcome.revert, outcome.output.len()) {
            (None, 20) => Address::from_slice(&outcome.output),
            _ => Address::ZERO,
        };
        if found != expected || self.code(expected).is_empty() {
            return Err(EvmError::EntryPointMisplaced {
                version,
                expected,
                found,
            });
        }
        Ok(())
    }
}

/// `tx` as an EIP-7702 transaction (type 4, an EIP-1559 transaction with fees still 0)
/// carrying `authorizations`.
pub(crate) fn with_authorizations(
    mut tx: TxEnv,
    authorizations: &[SignedAuthorization],
) -> Result<TxEnv, EvmError> {
    tx.set_signed_authorization(authorizations.to_vec());
    tx.gas_priority_fee = Some(0);
    tx.derive_tx_type()
        .map_err(|error| EvmError::Rejected(error.to_string()))?;
    Ok(tx)
}

impl Chain {
    pub(crate) fn tx_env(&self, from: Address, kind: TxKind, value: U256, data: Bytes) -> TxEnv {
        TxEnv {
            caller: from,
            gas_limit: TX_GAS_LIMIT,
            gas_price: 0,
            kind,
            value,
            data,
            chain_id: Some(self.cfg.chain_id),
            ..TxEnv::default()
        }
    }

    fn context<DB: revm::Database>(&self, db: DB) -> revm::handler::MainnetContext<DB> {
        Context::mainnet()
            .with_db(db)
            .with_block(self.block.clone())
            .with_cfg(self.cfg.clone())
    }

    pub(crate) fn execute_commit(&mut self, tx: TxEnv) -> Result<Executed, EvmError> {
        let db = std::mem::take(&mut self.db);
        let mut evm = self.context(db).build_mainnet();
        let result = evm.transact_commit(tx);
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        let result = result.map_err(|error| EvmError::Rejected(error.to_string()))?;
        Ok(self.finish(result))
    }

    pub(crate) fn execute_commit_inspected<I>(
        &mut self,
        tx: TxEnv,
        inspector: &mut I,
    ) -> Result<Executed, EvmError>
    where
        I: Inspector<ChainContext>,
    {
        let db = std::mem::take(&mut self.db);
        let mut evm = self.context(db).build_mainnet_with_inspector(inspector);
        let result = evm.inspect_tx_commit(tx);
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        let result = result.map_err(|error| EvmError::Rejected(error.to_string()))?;
        Ok(self.finish(result))
    }

    fn finish(&self, result: ExecutionResult) -> Executed {
        let gas_used = result.tx_gas_used();
        match result {
            ExecutionResult::Success { logs, output, .. } => {
                let (output, created) = match output {
                    Output::Call(data) => (data, None),
                    Output::Create(data, address) => (data, address),
                };
                Executed {
                    success: true,
                    gas_used,
                    output,
                    created,
                    logs,
                    revert: None,
                }
            }
            ExecutionResult::Revert { output, .. } => Executed {
                success: false,
                gas_used,
                revert: Some(DecodedRevert::decode(&output, &self.errors)),
                output,
                created: None,
                logs: Vec::new(),
            },
            ExecutionResult::Halt { reason, .. } => Executed {
                success: false,
                gas_used,
                output: Bytes::new(),
                created: None,
                logs: Vec::new(),
                revert: Some(DecodedRevert::Halted(format!("{reason:?}"))),
            },
        }
    }
}
