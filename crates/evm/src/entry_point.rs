//! Talking to the EntryPoints: `handleOps`, `getUserOpHash`, `getNonce`, deposits.

use crate::{
    chain::Executed,
    inspect::{ChainContext, Inspector},
    Chain, DecodedEvent, DecodedRevert, EvmError,
};
use alloy::{
    primitives::{address, aliases::U192, Address, Log, TxKind, B256, U256},
    sol_types::SolCall,
};
use leash_contracts::bindings::entry_point::IEntryPoint;
use leash_userop::{eip7702::SignedAuthorization, EntryPointVersion, PackedUserOperation};

/// The EOA that sends `handleOps` (a bundler stand-in; `tx.origin == msg.sender`, as v0.8
/// requires).
pub(crate) const BUNDLER: Address = address!("0x00000000000000000000000000000000b0d1e400");

/// What one `handleOps` transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleOpsOutcome {
    /// True when `handleOps` did not revert. An op whose *execution* reverted still leaves
    /// this true; see the `success` of its [`DecodedEvent::UserOperationEvent`].
    pub success: bool,
    /// Gas used by the whole transaction.
    pub gas_used: u64,
    /// Every log, in order.
    pub logs: Vec<Log>,
    /// `logs` decoded (EntryPoint events recognised, the rest as [`DecodedEvent::Other`]).
    pub events: Vec<DecodedEvent>,
    /// Why `handleOps` reverted (`FailedOp` for a validation failure).
    pub revert: Option<DecodedRevert>,
}

impl HandleOpsOutcome {
    fn from_executed(executed: Executed, entry_point: Address, chain: &Chain) -> Self {
        let events = executed
            .logs
            .iter()
            .map(|log| DecodedEvent::decode(log, entry_point, &chain.errors))
            .collect();
        Self {
            success: executed.success,
            gas_used: executed.gas_used,
            logs: executed.logs,
            events,
            revert: executed.revert,
        }
    }

    /// The `success` flag of every `UserOperationEvent`, in op order.
    pub fn op_successes(&self) -> Vec<bool> {
        self.events
            .iter()
            .filter_map(|event| match event {
                DecodedEvent::UserOperationEvent { success, .. } => Some(*success),
                _ => None,
            })
            .collect()
    }

    /// True when `handleOps` succeeded, emitted `UserOperationEvent`s and every one of them
    /// reports a successful execution.
    pub fn all_ops_succeeded(&self) -> bool {
        let successes = self.op_successes();
        self.success && !successes.is_empty() && successes.into_iter().all(|ok| ok)
    }
}

fn to_binding(ops: &[PackedUserOperation]) -> Vec<IEntryPoint::PackedUserOperation> {
    ops.iter().cloned().map(Into::into).collect()
}

impl Chain {
    /// Sends `handleOps(ops, beneficiary)` to the EntryPoint `version` from the bundler EOA and
    /// commits the result (also when an op's execution reverts; not when `handleOps` reverts).
    ///
    /// # Errors
    ///
    /// [`EvmError::Rejected`] if revm refuses the transaction; a revert of `handleOps` is
    /// reported in [`HandleOpsOutcome::revert`].
    pub fn handle_ops(
        &mut self,
        version: EntryPointVersion,
        ops: &[PackedUserOperation],
        beneficiary: Address,
    ) -> Result<HandleOpsOutcome, EvmError> {
        let tx = self.handle_ops_tx(version, ops, beneficiary);
        let executed = self.execute_commit(tx)?;
        Ok(HandleOpsOutcome::from_executed(
            executed,
            version.canonical_address(),
            self,
        ))
    }

    /// [`Chain::handle_ops`] with `inspector` watching every opcode, call and create of the
    /// transaction (used by the ERC-7562 rules checker).
    ///
    /// # Errors
    ///
    /// As [`Chain::handle_ops`].
    pub fn handle_ops_with_inspector<I>(
        &mut self,
        version: EntryPointVersion,
        ops: &[PackedUserOperation],
        beneficiary: Address,
        inspector: &mut I,
    ) -> Result<HandleOpsOutcome, EvmError>
    where
        I: Inspector<ChainContext>,
    {
        let tx = self.handle_ops_tx(version, ops, beneficiary);
        let executed = self.execute_commit_inspected(tx, inspector)?;
        Ok(HandleOpsOutcome::from_executed(
            executed,
            version.canonical_address(),
            self,
        ))
    }

    /// [`Chain::handle_ops`] as an EIP-7702 (type-4) transaction whose authorization list is
    /// `authorizations`: what a bundler sends for ops that carry `eip7702Auth`. revm applies
    /// each valid authorization (right chain id or 0, the authority's current nonce, low `s`)
    /// before `handleOps` runs, writing `0xef0100 ‖ delegate` as the authority's code and
    /// bumping its nonce; an invalid one is skipped, as on a real chain. Needs
    /// [`Chain::activate_prague`].
    ///
    /// # Errors
    ///
    /// [`EvmError::Rejected`] if revm refuses the transaction (e.g. the chain is not on Prague,
    /// or the list is empty).
    pub fn handle_ops_with_authorizations(
        &mut self,
        version: EntryPointVersion,
        ops: &[PackedUserOperation],
        beneficiary: Address,
        authorizations: &[SignedAuthorization],
    ) -> Result<HandleOpsOutcome, EvmError> {
        let tx = self.handle_ops_tx(version, ops, beneficiary);
        let tx = crate::chain::with_authorizations(tx, authorizations)?;
        let executed = self.execute_commit(tx)?;
        Ok(HandleOpsOutcome::from_executed(
            executed,
            version.canonical_address(),
            self,
        ))
    }

    /// The address `handleOps` is sent from.
    pub fn bundler(&self) -> Address {
        BUNDLER
    }

    fn handle_ops_tx(
        &self,
        version: EntryPointVersion,
        ops: &[PackedUserOperation],
        beneficiary: Address,
    ) -> revm::context::TxEnv {
        let data = IEntryPoint::handleOpsCall {
            ops: to_binding(ops),
            beneficiary,
        }
        .abi_encode();
        self.tx_env(
            BUNDLER,
            TxKind::Call(version.canonical_address()),
            U256::ZERO,
            data.into(),
        )
    }

    /// `EntryPoint.getUserOpHash(op)` as the deployed EntryPoint computes it.
    ///
    /// # Errors
    ///
    /// [`EvmError::Reverted`] or [`EvmError::BadReturnData`] (neither happens with the real
    /// EntryPoints).
    pub fn user_op_hash_onchain(
        &self,
        version: EntryPointVersion,
        op: &PackedUserOperation,
    ) -> Result<B256, EvmError> {
        let call = IEntryPoint::getUserOpHashCall {
            userOp: op.clone().into(),
        };
        self.view_call(version.canonical_address(), &call, "getUserOpHash")
    }

    /// `EntryPoint.getNonce(sender, key)`: the full nonce (`key ‖ sequence`) the next op of
    /// `sender` under `key` must carry.
    ///
    /// # Errors
    ///
    /// As [`Chain::user_op_hash_onchain`].
    pub fn nonce(
        &self,
        version: EntryPointVersion,
        sender: Address,
        key: U192,
    ) -> Result<U256, EvmError> {
        let call = IEntryPoint::getNonceCall { sender, key };
        self.view_call(version.canonical_address(), &call, "getNonce")
    }

    /// `EntryPoint.balanceOf(account)`: the account's deposit.
    ///
    /// # Errors
    ///
    /// As [`Chain::user_op_hash_onchain`].
    pub fn deposit_of(
        &self,
        version: EntryPointVersion,
        account: Address,
    ) -> Result<U256, EvmError> {
        let call = IEntryPoint::balanceOfCall { account };
        self.view_call(version.canonical_address(), &call, "balanceOf")
    }

    /// Credits `wei` (minted out of thin air) to `account`'s deposit at the EntryPoint.
    ///
    /// # Errors
    ///
    /// [`EvmError::Reverted`] if `depositTo` reverts.
    pub fn deposit_to(
        &mut self,
        version: EntryPointVersion,
        account: Address,
        wei: U256,
    ) -> Result<(), EvmError> {
        let entry_point = version.canonical_address();
        let funder = crate::accounts::FAUCET;
        self.fund(funder, self.balance(funder).saturating_add(wei));
        let data = IEntryPoint::depositToCall { account }.abi_encode();
        self.call(funder, entry_point, wei, data.into())?
            .into_result(entry_point)?;
        Ok(())
    }

    /// Calls a view function and decodes its single return value.
    pub(crate) fn view_call<C: SolCall>(
        &self,
        to: Address,
        call: &C,
        function: &'static str,
    ) -> Result<C::Return, EvmError> {
        let output = self.view(to, call.abi_encode().into())?;
        C::abi_decode_returns(&output).map_err(|error| EvmError::BadReturnData {
            function,
            reason: error.to_string(),
        })
    }
}
