//! Test accounts: the `OwnerValidator` module, `TestAccount`s bound to one EntryPoint, and
//! owner-signed user operations for them.

use crate::{Chain, EvmError};
use alloy::{
    primitives::{address, aliases::U192, Address, Bytes, U256},
    sol_types::{SolConstructor, SolValue},
};
use k256::ecdsa::SigningKey;
use leash_contracts::bindings::account::TestAccount;
use leash_userop::{
    address_of, erc7579::validator_nonce, EntryPointVersion, PackedUserOperation, UserOperation,
};
use std::fmt;

/// The EOA the harness deploys contracts from.
pub(crate) const DEPLOYER: Address = address!("0x00000000000000000000000000000000de910e00");
/// The EOA the harness pays deposits from (its balance is minted as needed).
pub(crate) const FAUCET: Address = address!("0x00000000000000000000000000000000fa0ce700");

/// One ether in wei.
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Native balance given to a new test account.
const ACCOUNT_BALANCE: U256 =
    U256::from_limbs([(1_000 * ETHER) as u64, ((1_000 * ETHER) >> 64) as u64, 0, 0]);
/// EntryPoint deposit given to a new test account.
const ACCOUNT_DEPOSIT: U256 =
    U256::from_limbs([(100 * ETHER) as u64, ((100 * ETHER) >> 64) as u64, 0, 0]);

/// Gas limits and fees of the ops [`Chain::owner_op`] builds: generous limits, 1 gwei.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpGas {
    /// `callGasLimit`.
    pub call_gas_limit: u128,
    /// `verificationGasLimit`.
    pub verification_gas_limit: u128,
    /// `preVerificationGas`.
    pub pre_verification_gas: u64,
    /// `maxFeePerGas` (wei).
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas` (wei).
    pub max_priority_fee_per_gas: u128,
}

/// The gas fields of every op built by [`Chain::owner_op`].
pub const OWNER_OP_GAS: OpGas = OpGas {
    call_gas_limit: 1_000_000,
    verification_gas_limit: 500_000,
    pre_verification_gas: 50_000,
    max_fee_per_gas: 2_000_000_000,
    max_priority_fee_per_gas: 1_000_000_000,
};

/// A deployed `TestAccount` and the key of its owner (through `OwnerValidator`).
#[derive(Clone)]
pub struct TestAccountHandle {
    /// The account's address.
    pub address: Address,
    /// The only EntryPoint the account accepts.
    pub version: EntryPointVersion,
    /// The owner's key; its signature over the userOpHash validates an op.
    pub owner_key: SigningKey,
    /// The `OwnerValidator` module installed on the account.
    pub owner_validator: Address,
}

impl TestAccountHandle {
    /// The owner's address.
    pub fn owner(&self) -> Address {
        address_of(&self.owner_key)
    }

    /// The 192-bit nonce key that selects the owner validator (validator address ‖ key 0).
    pub fn owner_nonce_key(&self) -> U192 {
        U192::from(validator_nonce(self.owner_validator, 0, 0) >> 64)
    }
}

impl fmt::Debug for TestAccountHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestAccountHandle")
            .field("address", &self.address)
            .field("version", &self.version)
            .field("owner", &self.owner())
            .field("owner_validator", &self.owner_validator)
            .finish_non_exhaustive()
    }
}

impl Chain {
    /// Deploys the compiled contract `name` with ABI-encoded `constructor_args` appended.
    ///
    /// # Errors
    ///
    /// [`EvmError::Contracts`] for an unknown name, [`EvmError::DeployReverted`] when the
    /// constructor reverts (an interface or abstract contract has no code to deploy).
    pub fn deploy_artifact(
        &mut self,
        name: &str,
        constructor_args: &[u8],
    ) -> Result<Address, EvmError> {
        let artifact = leash_contracts::artifact(name)?;
        let mut creation = artifact.bytecode.to_vec();
        creation.extend_from_slice(constructor_args);
        self.deploy(DEPLOYER, creation.into())
    }

    /// Deploys an `OwnerValidator` module (one can serve any number of accounts).
    ///
    /// # Errors
    ///
    /// As [`Chain::deploy_artifact`].
    pub fn deploy_owner_validator(&mut self) -> Result<Address, EvmError> {
        self.deploy_artifact("OwnerValidator", &[])
    }

    /// Deploys a `TestAccount` for EntryPoint `version` with `owner_validator` installed for
    /// `owner`, gives it 1000 ether and an EntryPoint deposit of 100 ether.
    ///
    /// # Errors
    ///
    /// As [`Chain::deploy_artifact`], or [`EvmError::Reverted`] if the deposit fails.
    pub fn deploy_test_account(
        &mut self,
        version: EntryPointVersion,
        owner_validator: Address,
        owner: &SigningKey,
    ) -> Result<TestAccountHandle, EvmError> {
        let constructor = TestAccount::constructorCall {
            entryPoint_: version.canonical_address(),
            validator: owner_validator,
            validatorData: address_of(owner).abi_encode().into(),
        };
        let address = self.deploy_artifact("TestAccount", &constructor.abi_encode())?;
        self.fund(address, ACCOUNT_BALANCE);
        self.deposit_to(version, address, ACCOUNT_DEPOSIT)?;
        Ok(TestAccountHandle {
            address,
            version,
            owner_key: owner.clone(),
            owner_validator,
        })
    }

    /// An unsigned op of `account` that makes the account run `call_data`, with the next
    /// nonce of the owner validator's key and [`OWNER_OP_GAS`].
    ///
    /// # Errors
    ///
    /// [`EvmError::Reverted`] if `getNonce` fails, [`EvmError::UserOp`] if the op is invalid.
    pub fn owner_user_operation(
        &self,
        account: &TestAccountHandle,
        call_data: Bytes,
    ) -> Result<UserOperation, EvmError> {
        let nonce = self.nonce(account.version, account.address, account.owner_nonce_key())?;
        Ok(UserOperation::builder()
            .sender(account.address)
            .nonce(nonce)
            .call_data(call_data)
            .call_gas_limit(OWNER_OP_GAS.call_gas_limit)
            .verification_gas_limit(OWNER_OP_GAS.verification_gas_limit)
            .pre_verification_gas(OWNER_OP_GAS.pre_verification_gas)
            .max_fee_per_gas(OWNER_OP_GAS.max_fee_per_gas)
            .max_priority_fee_per_gas(OWNER_OP_GAS.max_priority_fee_per_gas)
            .build()?)
    }

    /// [`Chain::owner_user_operation`] signed by the account's owner and packed, ready for
    /// [`Chain::handle_ops`].
    ///
    /// # Errors
    ///
    /// As [`Chain::owner_user_operation`].
    pub fn owner_op(
        &self,
        account: &TestAccountHandle,
        call_data: Bytes,
    ) -> Result<PackedUserOperation, EvmError> {
        let mut op = self.owner_user_operation(account, call_data)?;
        op.sign_with(
            &account.owner_key,
            account.version,
            account.version.canonical_address(),
            self.chain_id(),
        );
        Ok(op.pack())
    }
}
