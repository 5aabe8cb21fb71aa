//! The on-chain `PackedUserOperation` and the byte layouts packed into it.

use crate::{UserOpError, UserOperation};
use alloy::primitives::{Address, Bytes, B256};

alloy::sol! {
    /// The user operation exactly as EntryPoint v0.7 and v0.8 take it in `handleOps`.
    ///
    /// Gas limits and fees are packed two per word: `accountGasLimits` is
    /// `verificationGasLimit(16) ‖ callGasLimit(16)` and `gasFees` is
    /// `maxPriorityFeePerGas(16) ‖ maxFeePerGas(16)`.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct PackedUserOperation {
        /// The account that validates and executes the operation.
        address sender;
        /// Anti-replay value: `key(192 bits) ‖ sequence(64 bits)`.
        uint256 nonce;
        /// `factory(20) ‖ factoryData`, empty when the account already exists.
        bytes initCode;
        /// The call the EntryPoint makes to the account.
        bytes callData;
        /// `verificationGasLimit(16) ‖ callGasLimit(16)`.
        bytes32 accountGasLimits;
        /// Gas paid to the bundler for work outside validation and execution.
        uint256 preVerificationGas;
        /// `maxPriorityFeePerGas(16) ‖ maxFeePerGas(16)`.
        bytes32 gasFees;
        /// `paymaster(20) ‖ verificationGas(16) ‖ postOpGas(16) ‖ paymasterData`, or empty.
        bytes paymasterAndData;
        /// Account-specific signature over the userOpHash (not covered by the hash).
        bytes signature;
    }
}

/// Length of an address at the start of `initCode` and `paymasterAndData`.
pub(crate) const ADDRESS_LEN: usize = 20;
/// Offset of `paymasterData` in `paymasterAndData` (after the address and two gas limits).
pub(crate) const PAYMASTER_DATA_OFFSET: usize = 52;

/// Packs two 128-bit values into one word, `high` in the first 16 bytes.
pub fn pack_u128_pair(high: u128, low: u128) -> B256 {
    let mut word = [0u8; 32];
    word[..16].copy_from_slice(&high.to_be_bytes());
    word[16..].copy_from_slice(&low.to_be_bytes());
    B256::from(word)
}

/// Splits a word into its high and low 128-bit halves (inverse of [`pack_u128_pair`]).
pub fn unpack_u128_pair(word: B256) -> (u128, u128) {
    let (high, low) = word.0.split_at(16);
    (u128_from_be_slice(high), u128_from_be_slice(low))
}

fn u128_from_be_slice(bytes: &[u8]) -> u128 {
    let mut buffer = [0u8; 16];
    buffer.copy_from_slice(bytes);
    u128::from_be_bytes(buffer)
}

/// `factory ‖ factoryData`, or empty without a factory.
pub(crate) fn pack_init_code(factory: Option<Address>, factory_data: &[u8]) -> Bytes {
    match factory {
        None => Bytes::new(),
        Some(factory) => {
            let mut init_code = Vec::with_capacity(ADDRESS_LEN + factory_data.len());
            init_code.extend_from_slice(factory.as_slice());
            init_code.extend_from_slice(factory_data);
            init_code.into()
        }
    }
}

/// `paymaster ‖ verificationGas(16) ‖ postOpGas(16) ‖ paymasterData`, or empty without one.
pub(crate) fn pack_paymaster_and_data(
    paymaster: Option<Address>,
    verification_gas_limit: u128,
    post_op_gas_limit: u128,
    paymaster_data: &[u8],
) -> Bytes {
    match paymaster {
        None => Bytes::new(),
        Some(paymaster) => {
            let mut packed = Vec::with_capacity(PAYMASTER_DATA_OFFSET + paymaster_data.len());
            packed.extend_from_slice(paymaster.as_slice());
            packed.extend_from_slice(&verification_gas_limit.to_be_bytes());
            packed.extend_from_slice(&post_op_gas_limit.to_be_bytes());
            packed.extend_from_slice(paymaster_data);
            packed.into()
        }
    }
}

impl PackedUserOperation {
    /// Splits the packed fields back into a [`UserOperation`]; the inverse of
    /// [`UserOperation::pack`].
    ///
    /// # Errors
    ///
    /// [`UserOpError::MalformedInitCode`] when `initCode` is 1 to 19 bytes long and
    /// [`UserOpError::MalformedPaymasterAndData`] when `paymasterAndData` is 1 to 51 bytes
    /// long: such operations can't come from any factory/paymaster combination.
    pub fn unpack(&self) -> Result<UserOperation, UserOpError> {
        let (factory, factory_data) = match self.initCode.len() {
            0 => (None, Bytes::new()),
            len if len < ADDRESS_LEN => return Err(UserOpError::MalformedInitCode { len }),
            _ => {
                let (address, data) = self.initCode.split_at(ADDRESS_LEN);
                (
                    Some(Address::from_slice(address)),
                    Bytes::copy_from_slice(data),
                )
            }
        };
        let (
            paymaster,
            paymaster_verification_gas_limit,
            paymaster_post_op_gas_limit,
            paymaster_data,
        ) = match self.paymasterAndData.len() {
            0 => (None, 0, 0, Bytes::new()),
            len if len < PAYMASTER_DATA_OFFSET => {
                return Err(UserOpError::MalformedPaymasterAndData { len })
            }
            _ => {
                let bytes = &self.paymasterAndData;
                (
                    Some(Address::from_slice(&bytes[..ADDRESS_LEN])),
                    u128_from_be_slice(&bytes[ADDRESS_LEN..36]),
                    u128_from_be_slice(&bytes[36..PAYMASTER_DATA_OFFSET]),
                    Bytes::copy_from_slice(&bytes[PAYMASTER_DATA_OFFSET..]),
                )
            }
        };
        let (verification_gas_limit, call_gas_limit) = unpack_u128_pair(self.accountGasLimits);
        let (max_priority_fee_per_gas, max_fee_per_gas) = unpack_u128_pair(self.gasFees);
        Ok(UserOperation {
            sender: self.sender,
            nonce: self.nonce,
            factory,
            factory_data,
            call_data: self.callData.clone(),
            call_gas_limit,
            verification_gas_limit,
            pre_verification_gas: self.preVerificationGas,
            max_fee_per_gas,
            max_priority_fee_per_gas,
            paymaster,
            paymaster_verification_gas_limit,
            paymaster_post_op_gas_limit,
            paymaster_data,
            signature: self.signature.clone(),
            eip7702_auth: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{b256, U256};

    #[test]
    fn u128_pair_layout() {
        let word = pack_u128_pair(0x0114fc, 0x12c9b5);
        assert_eq!(
            word,
            b256!("0x000000000000000000000000000114fc0000000000000000000000000012c9b5")
        );
        assert_eq!(unpack_u128_pair(word), (0x0114fc, 0x12c9b5));
        assert_eq!(
            unpack_u128_pair(pack_u128_pair(u128::MAX, 1)),
            (u128::MAX, 1)
        );
    }

    fn packed_with(init_code: Vec<u8>, paymaster_and_data: Vec<u8>) -> PackedUserOperation {
        PackedUserOperation {
            sender: Address::repeat_byte(1),
            nonce: U256::ZERO,
            initCode: init_code.into(),
            callData: Bytes::new(),
            accountGasLimits: B256::ZERO,
            preVerificationGas: U256::ZERO,
            gasFees: B256::ZERO,
            paymasterAndData: paymaster_and_data.into(),
            signature: Bytes::new(),
        }
    }

    #[test]
    fn unpack_rejects_short_init_code() {
        for len in 1..ADDRESS_LEN {
            assert_eq!(
                packed_with(vec![0xab; len], vec![]).unpack(),
                Err(UserOpError::MalformedInitCode { len })
            );
        }
        let op = packed_with(vec![0xab; ADDRESS_LEN], vec![])
            .unpack()
            .unwrap();
        assert_eq!(op.factory, Some(Address::repeat_byte(0xab)));
        assert!(op.factory_data.is_empty());
    }

    #[test]
    fn unpack_rejects_short_paymaster_and_data() {
        for len in 1..PAYMASTER_DATA_OFFSET {
            assert_eq!(
                packed_with(vec![], vec![0xcd; len]).unpack(),
                Err(UserOpError::MalformedPaymasterAndData { len })
            );
        }
        let mut exact = vec![0x11; ADDRESS_LEN];
        exact.extend_from_slice(&7u128.to_be_bytes());
        exact.extend_from_slice(&9u128.to_be_bytes());
        let op = packed_with(vec![], exact).unpack().unwrap();
        assert_eq!(op.paymaster, Some(Address::repeat_byte(0x11)));
        assert_eq!(op.paymaster_verification_gas_limit, 7);
        assert_eq!(op.paymaster_post_op_gas_limit, 9);
        assert!(op.paymaster_data.is_empty());
    }
}
