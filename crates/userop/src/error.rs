//! The one error type of this crate.

/// Why a user operation could not be built, converted, unpacked or verified.
///
/// Every variant names what was wrong so that the caller can fix the input; none of them is
/// recoverable by retrying with the same data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserOpError {
    /// A required field was never set (e.g. `sender` in the builder, `factoryData` next to a
    /// `factory` in RPC JSON).
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    /// Factory data was given but no factory: it would be silently dropped from `initCode`.
    #[error("factory data given without a factory: set the factory or drop the data")]
    FactoryDataWithoutFactory,
    /// Paymaster data was given but no paymaster: it would be silently dropped.
    #[error("paymaster data given without a paymaster: set the paymaster or drop the data")]
    PaymasterDataWithoutPaymaster,
    /// A paymaster gas limit was given but no paymaster: it would be silently dropped.
    #[error("paymaster gas limit given without a paymaster: set the paymaster or drop the limit")]
    PaymasterGasWithoutPaymaster,
    /// A gas value that is packed into 16 bytes does not fit in 128 bits.
    #[error("`{field}` does not fit in 128 bits (it is packed into 16 bytes)")]
    GasLimitTooLarge {
        /// The offending field.
        field: &'static str,
    },
    /// A numeric value was negative or not an integer.
    #[error("`{field}` is not a non-negative integer")]
    InvalidNumber {
        /// The offending field.
        field: &'static str,
    },
    /// `initCode` must be empty or hold at least a 20-byte factory address.
    #[error("malformed initCode: {len} bytes, expected 0 or at least 20 (factory address)")]
    MalformedInitCode {
        /// Length of the rejected `initCode`.
        len: usize,
    },
    /// `paymasterAndData` must be empty or hold at least paymaster(20) ‖ two 16-byte gas limits.
    #[error(
        "malformed paymasterAndData: {len} bytes, expected 0 or at least 52 \
         (paymaster ‖ verification gas ‖ postOp gas)"
    )]
    MalformedPaymasterAndData {
        /// Length of the rejected `paymasterAndData`.
        len: usize,
    },
    /// A JSON-RPC field is not the hex text the ERC-4337 RPC expects.
    #[error("invalid `{field}`: {reason}")]
    InvalidHex {
        /// The offending JSON field (camelCase, as on the wire).
        field: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The JSON text could not be read as a user operation.
    #[error("invalid user operation JSON: {0}")]
    Json(String),
    /// A signature is not 65 bytes `r ‖ s ‖ v`.
    #[error("signature must be 65 bytes (r ‖ s ‖ v), got {len}")]
    SignatureLength {
        /// Length of the rejected signature.
        len: usize,
    },
    /// The `v` byte of a signature is neither 27 nor 28.
    #[error("signature v must be 27 or 28, got {v}")]
    SignatureV {
        /// The rejected `v` byte.
        v: u8,
    },
    /// The signature's `s` is in the upper half of the curve order (malleable).
    #[error("signature s is high (malleable); only low-s signatures are accepted")]
    SignatureHighS,
    /// The signature does not recover to any public key.
    #[error("signature does not recover to a public key: {0}")]
    SignatureRecovery(String),
    /// Signing an EIP-7702 authorization failed.
    #[error("signing the EIP-7702 authorization failed: {0}")]
    Eip7702Signing(String),
    /// An EIP-7702 authorization does not recover to the account it should delegate.
    #[error("EIP-7702 authorization: {0}")]
    Eip7702Authority(String),
    /// An EIP-7702 authorization is bound to another chain.
    #[error(
        "EIP-7702 authorization is signed for chain {signed}, not {expected}: \
         sign it for chain {expected} (or 0 for any chain)"
    )]
    Eip7702ChainId {
        /// The chain id in the authorization.
        signed: alloy::primitives::U256,
        /// The chain the operation is for.
        expected: u64,
    },
}
