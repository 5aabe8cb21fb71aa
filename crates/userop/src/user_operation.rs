//! The unpacked user operation: one field per value, as wallets and bundler RPCs see it.

use crate::eip7702::SignedAuthorization;
use crate::hash::{user_op_hash_v07, user_op_hash_v08, user_op_hash_v08_with_eip7702_delegate};
use crate::packed::{pack_init_code, pack_paymaster_and_data, pack_u128_pair};
use crate::rpc::RpcUserOperation;
use crate::{sign_hash, EntryPointVersion, PackedUserOperation, UserOpError, UserOperationBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};

/// An ERC-4337 user operation for EntryPoint v0.7 / v0.8 with its fields unpacked.
///
/// Build one with [`UserOperation::builder`], which rejects inconsistent input. When the
/// fields are set directly, [`UserOperation::validate`] makes the same checks: [`pack`]
/// drops factory data without a factory and paymaster fields without a paymaster.
///
/// Serialises to (and deserialises from, with the same checks) the JSON shape bundlers
/// take in `eth_sendUserOperation`; see [`RpcUserOperation`].
///
/// [`pack`]: UserOperation::pack
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "RpcUserOperation", try_from = "RpcUserOperation")]
pub struct UserOperation {
    /// The account that validates and executes the operation.
    pub sender: Address,
    /// Anti-replay value: `key(192 bits) ‖ sequence(64 bits)`.
    pub nonce: U256,
    /// Factory that deploys the account, `None` when it exists already.
    pub factory: Option<Address>,
    /// Call data for the factory; must be empty without a factory.
    pub factory_data: Bytes,
    /// The call the EntryPoint makes to the account.
    pub call_data: Bytes,
    /// Gas for the execution call.
    pub call_gas_limit: u128,
    /// Gas for account deployment and validation.
    pub verification_gas_limit: u128,
    /// Gas paid to the bundler for work outside validation and execution.
    pub pre_verification_gas: U256,
    /// Maximum fee per gas (EIP-1559 `maxFeePerGas`).
    pub max_fee_per_gas: u128,
    /// Maximum priority fee per gas (EIP-1559 `maxPriorityFeePerGas`).
    pub max_priority_fee_per_gas: u128,
    /// Paymaster that sponsors the operation, `None` when the account pays.
    pub paymaster: Option<Address>,
    /// Gas for the paymaster's validation; must be zero without a paymaster.
    pub paymaster_verification_gas_limit: u128,
    /// Gas for the paymaster's `postOp`; must be zero without a paymaster.
    pub paymaster_post_op_gas_limit: u128,
    /// Data for the paymaster; must be empty without a paymaster.
    pub paymaster_data: Bytes,
    /// Account-specific signature over the userOpHash.
    pub signature: Bytes,
    /// The EIP-7702 authorization a bundler sends with the op (`eip7702Auth` in bundler JSON),
    /// `None` for an op of an ordinary smart account.
    ///
    /// It lives here, beside the packed fields, because it travels with the op everywhere the
    /// op goes off-chain (`eth_sendUserOperation`, `eth_estimateUserOperationGas`, files) and
    /// must survive a JSON round trip; yet it is no field of the on-chain op: [`pack`] leaves it
    /// out, the EntryPoint never sees it, and the userOpHash covers it only through the
    /// delegate it installs (see [`UserOperation::hash`]). The bundler puts it in the
    /// authorization list of its type-4 `handleOps` transaction.
    ///
    /// [`pack`]: UserOperation::pack
    pub eip7702_auth: Option<SignedAuthorization>,
}

impl UserOperation {
    /// A builder that checks the operation is consistent before handing it out.
    pub fn builder() -> UserOperationBuilder {
        UserOperationBuilder::default()
    }

    /// Checks that no field would be dropped by [`UserOperation::pack`].
    ///
    /// # Errors
    ///
    /// [`UserOpError::FactoryDataWithoutFactory`], [`UserOpError::PaymasterDataWithoutPaymaster`]
    /// or [`UserOpError::PaymasterGasWithoutPaymaster`].
    pub fn validate(&self) -> Result<(), UserOpError> {
        if self.factory.is_none() && !self.factory_data.is_empty() {
            return Err(UserOpError::FactoryDataWithoutFactory);
        }
        if self.paymaster.is_none() {
            if !self.paymaster_data.is_empty() {
                return Err(UserOpError::PaymasterDataWithoutPaymaster);
            }
            if self.paymaster_verification_gas_limit != 0 || self.paymaster_post_op_gas_limit != 0 {
                return Err(UserOpError::PaymasterGasWithoutPaymaster);
            }
        }
        Ok(())
    }

    /// The on-chain form taken by `handleOps` and hashed by the EntryPoint.
    ///
    /// Factory data without a factory and paymaster fields without a paymaster have no place
    /// in the packed form and are left out; [`UserOperation::validate`] reports them.
    pub fn pack(&self) -> PackedUserOperation {
        PackedUserOperation {
            sender: self.sender,
            nonce: self.nonce,
            initCode: pack_init_code(self.factory, &self.factory_data),
            callData: self.call_data.clone(),
            accountGasLimits: pack_u128_pair(self.verification_gas_limit, self.call_gas_limit),
            preVerificationGas: self.pre_verification_gas,
            gasFees: pack_u128_pair(self.max_priority_fee_per_gas, self.max_fee_per_gas),
            paymasterAndData: pack_paymaster_and_data(
                self.paymaster,
                self.paymaster_verification_gas_limit,
                self.paymaster_post_op_gas_limit,
                &self.paymaster_data,
            ),
            signature: self.signature.clone(),
        }
    }

    /// The userOpHash the given EntryPoint computes for this operation on `chain_id`.
    ///
    /// With an [`eip7702_auth`](UserOperation::eip7702_auth) on v0.8, the delegate it names is
    /// the one the EntryPoint will read (the bundler's type-4 transaction installs it first),
    /// so this is [`UserOperation::hash_with_eip7702_delegate`] with that delegate. Without one,
    /// an EIP-7702 `initCode` is hashed literally (see [`user_op_hash_v08`]): use
    /// [`UserOperation::hash_with_eip7702_delegate`] for an EOA already delegated.
    pub fn hash(&self, version: EntryPointVersion, entry_point: Address, chain_id: u64) -> B256 {
        if let Some(authorization) = &self.eip7702_auth {
            return self.hash_with_eip7702_delegate(
                version,
                entry_point,
                chain_id,
                authorization.address,
            );
        }
        let packed = self.pack();
        match version {
            EntryPointVersion::V07 => user_op_hash_v07(&packed, entry_point, chain_id),
            EntryPointVersion::V08 => user_op_hash_v08(&packed, entry_point, chain_id),
        }
    }

    /// The userOpHash of an operation whose sender is an EIP-7702 account delegating to
    /// `delegate`. v0.7 knows nothing of EIP-7702, so for it this equals
    /// [`UserOperation::hash`].
    pub fn hash_with_eip7702_delegate(
        &self,
        version: EntryPointVersion,
        entry_point: Address,
        chain_id: u64,
        delegate: Address,
    ) -> B256 {
        let packed = self.pack();
        match version {
            EntryPointVersion::V07 => user_op_hash_v07(&packed, entry_point, chain_id),
            EntryPointVersion::V08 => {
                user_op_hash_v08_with_eip7702_delegate(&packed, entry_point, chain_id, delegate)
            }
        }
    }

    /// Signs the userOpHash with `key` (raw hash, no EIP-191 prefix), stores the 65-byte
    /// `r ‖ s ‖ v` signature in `self.signature` and returns the hash.
    ///
    /// This is the signature a plain ECDSA-owner account expects; accounts that wrap the
    /// signature (validator envelopes, session ids) build their own from [`sign_hash`].
    pub fn sign_with(
        &mut self,
        key: &SigningKey,
        version: EntryPointVersion,
        entry_point: Address,
        chain_id: u64,
    ) -> B256 {
        let hash = self.hash(version, entry_point, chain_id);
        self.signature = sign_hash(key, hash);
        hash
    }

    /// The sum of the five gas limits: the most gas the EntryPoint may charge for.
    pub fn max_gas(&self) -> U256 {
        [
            self.call_gas_limit,
            self.verification_gas_limit,
            self.paymaster_verification_gas_limit,
            self.paymaster_post_op_gas_limit,
        ]
        .into_iter()
        .fold(self.pre_verification_gas, |sum, limit| {
            sum.saturating_add(U256::from(limit))
        })
    }

    /// The most the operation can cost in wei: `max_gas() * max_fee_per_gas`, saturating at
    /// `U256::MAX` (never reachable with real gas values).
    pub fn max_fee(&self) -> U256 {
        self.max_gas()
            .saturating_mul(U256::from(self.max_fee_per_gas))
    }
}
