//! A builder that refuses to produce an inconsistent user operation.

use crate::eip7702::SignedAuthorization;
use crate::{UserOpError, UserOperation};
use alloy::primitives::{ruint::UintTryFrom, Address, Bytes, U256};

/// Builds a [`UserOperation`], checking at [`build`] that every value fits where it is packed
/// and that no field would be silently dropped.
///
/// Numeric setters take any integer type (or `U256`); the check happens at `build`, so the
/// first problem is reported there.
///
/// ```
/// use alloy::primitives::{address, Bytes};
/// use leash_userop::UserOperation;
///
/// let op = UserOperation::builder()
///     .sender(address!("0x1111111111111111111111111111111111111111"))
///     .nonce(0)
///     .call_data(Bytes::from_static(&[0xe9, 0xae, 0x5c, 0x53]))
///     .call_gas_limit(100_000)
///     .verification_gas_limit(200_000)
///     .pre_verification_gas(50_000)
///     .max_fee_per_gas(2_000_000_000u64)
///     .max_priority_fee_per_gas(1_000_000_000u64)
///     .build()
///     .unwrap();
/// assert_eq!(op.call_gas_limit, 100_000);
/// ```
///
/// [`build`]: UserOperationBuilder::build
#[derive(Debug, Clone, Default)]
pub struct UserOperationBuilder {
    sender: Option<Address>,
    nonce: Number,
    factory: Option<Address>,
    factory_data: Bytes,
    call_data: Bytes,
    call_gas_limit: Number,
    verification_gas_limit: Number,
    pre_verification_gas: Number,
    max_fee_per_gas: Number,
    max_priority_fee_per_gas: Number,
    paymaster: Option<Address>,
    paymaster_verification_gas_limit: Number,
    paymaster_post_op_gas_limit: Number,
    paymaster_data: Bytes,
    signature: Bytes,
    eip7702_auth: Option<SignedAuthorization>,
}

/// A numeric input kept until `build`, where a failed conversion becomes an error.
#[derive(Debug, Clone, Copy, Default)]
enum Number {
    #[default]
    Unset,
    Value(U256),
    Invalid,
}

impl Number {
    fn from_input<T>(value: T) -> Self
    where
        U256: UintTryFrom<T>,
    {
        match U256::uint_try_from(value) {
            Ok(value) => Self::Value(value),
            Err(_) => Self::Invalid,
        }
    }

    fn is_set_nonzero(self) -> bool {
        match self {
            Self::Unset => false,
            Self::Value(value) => !value.is_zero(),
            Self::Invalid => true,
        }
    }

    fn u256(self, field: &'static str) -> Result<U256, UserOpError> {
        match self {
            Self::Unset => Ok(U256::ZERO),
            Self::Value(value) => Ok(value),
            Self::Invalid => Err(UserOpError::InvalidNumber { field }),
        }
    }

    fn u128(self, field: &'static str) -> Result<u128, UserOpError> {
        u128::try_from(self.u256(field)?).map_err(|_| UserOpError::GasLimitTooLarge { field })
    }
}

macro_rules! number_setter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name<T>(mut self, value: T) -> Self
        where
            U256: UintTryFrom<T>,
        {
            self.$name = Number::from_input(value);
            self
        }
    };
}

impl UserOperationBuilder {
    /// The account (required).
    pub fn sender(mut self, sender: Address) -> Self {
        self.sender = Some(sender);
        self
    }

    number_setter!(
        /// The nonce (default 0); see [`crate::erc7579::validator_nonce`].
        nonce
    );

    /// The factory that deploys the account.
    pub fn factory(mut self, factory: Address) -> Self {
        self.factory = Some(factory);
        self
    }

    /// Call data for the factory (needs [`UserOperationBuilder::factory`]).
    pub fn factory_data(mut self, data: impl Into<Bytes>) -> Self {
        self.factory_data = data.into();
        self
    }

    /// The call the EntryPoint makes to the account (default empty).
    pub fn call_data(mut self, data: impl Into<Bytes>) -> Self {
        self.call_data = data.into();
        self
    }

    number_setter!(
        /// Gas for the execution call (at most 2^128 - 1).
        call_gas_limit
    );
    number_setter!(
        /// Gas for deployment and validation (at most 2^128 - 1).
        verification_gas_limit
    );
    number_setter!(
        /// Gas paid to the bundler outside validation and execution (full 256 bits).
        pre_verification_gas
    );
    number_setter!(
        /// Maximum fee per gas (at most 2^128 - 1).
        max_fee_per_gas
    );
    number_setter!(
        /// Maximum priority fee per gas (at most 2^128 - 1).
        max_priority_fee_per_gas
    );

    /// The paymaster that sponsors the operation.
    pub fn paymaster(mut self, paymaster: Address) -> Self {
        self.paymaster = Some(paymaster);
        self
    }

    number_setter!(
        /// Gas for the paymaster's validation (needs a paymaster; at most 2^128 - 1).
        paymaster_verification_gas_limit
    );
    number_setter!(
        /// Gas for the paymaster's `postOp` (needs a paymaster; at most 2^128 - 1).
        paymaster_post_op_gas_limit
    );

    /// Data for the paymaster (needs [`UserOperationBuilder::paymaster`]).
    pub fn paymaster_data(mut self, data: impl Into<Bytes>) -> Self {
        self.paymaster_data = data.into();
        self
    }

    /// The signature (default empty; usually set later with
    /// [`UserOperation::sign_with`]).
    pub fn signature(mut self, signature: impl Into<Bytes>) -> Self {
        self.signature = signature.into();
        self
    }

    /// The EIP-7702 authorization to send with the op (see
    /// [`UserOperation::eip7702_auth`]); pair it with `factory(EIP7702_INIT_CODE_MARKER)`.
    pub fn eip7702_auth(mut self, authorization: SignedAuthorization) -> Self {
        self.eip7702_auth = Some(authorization);
        self
    }

    /// The checked operation.
    ///
    /// # Errors
    ///
    /// [`UserOpError::MissingField`] without a sender,
    /// [`UserOpError::FactoryDataWithoutFactory`],
    /// [`UserOpError::PaymasterDataWithoutPaymaster`],
    /// [`UserOpError::PaymasterGasWithoutPaymaster`] (a non-zero paymaster gas limit),
    /// [`UserOpError::GasLimitTooLarge`] for a 16-byte field over 2^128 - 1 and
    /// [`UserOpError::InvalidNumber`] for a negative input.
    pub fn build(self) -> Result<UserOperation, UserOpError> {
        let sender = self.sender.ok_or(UserOpError::MissingField("sender"))?;
        if self.factory.is_none() && !self.factory_data.is_empty() {
            return Err(UserOpError::FactoryDataWithoutFactory);
        }
        if self.paymaster.is_none() {
            if !self.paymaster_data.is_empty() {
                return Err(UserOpError::PaymasterDataWithoutPaymaster);
            }
            if self.paymaster_verification_gas_limit.is_set_nonzero()
                || self.paymaster_post_op_gas_limit.is_set_nonzero()
            {
                return Err(UserOpError::PaymasterGasWithoutPaymaster);
            }
        }
        Ok(UserOperation {
            sender,
            nonce: self.nonce.u256("nonce")?,
            factory: self.factory,
            factory_data: self.factory_data,
            call_data: self.call_data,
            call_gas_limit: self.call_gas_limit.u128("callGasLimit")?,
            verification_gas_limit: self.verification_gas_limit.u128("verificationGasLimit")?,
            pre_verification_gas: self.pre_verification_gas.u256("preVerificationGas")?,
            max_fee_per_gas: self.max_fee_per_gas.u128("maxFeePerGas")?,
            max_priority_fee_per_gas: self.max_priority_fee_per_gas.u128("maxPriorityFeePerGas")?,
            paymaster: self.paymaster,
            paymaster_verification_gas_limit: self
                .paymaster_verification_gas_limit
                .u128("paymasterVerificationGasLimit")?,
            paymaster_post_op_gas_limit: self
                .paymaster_post_op_gas_limit
                .u128("paymasterPostOpGasLimit")?,
            paymaster_data: self.paymaster_data,
            signature: self.signature,
            eip7702_auth: self.eip7702_auth,
        })
    }
}
