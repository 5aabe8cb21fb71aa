//! The JSON shape bundlers take in `eth_sendUserOperation` for EntryPoint v0.7 and v0.8.
//!
//! Every value is hex text: quantities are `0x`-prefixed without leading zeros (`0x0` for
//! zero), byte strings are `0x`-prefixed with an even number of digits. Factory and paymaster
//! fields are omitted when there is no factory or paymaster. Parsing is strict: anything
//! else is a [`UserOpError`] that names the field.
//!
//! EIP-7702: an op of a delegated EOA has `factory` = the marker `0x7702` (leash writes viem's
//! short `0x7702`, the form alto accepts — it refuses any other factory on an op with
//! `eip7702Auth` — and reads that or the full 20-byte `0x7702000000000000000000000000000000000000`) and may carry `eip7702Auth`, the signed authorization the bundler puts in its
//! type-4 transaction ([`RpcEip7702Auth`], viem's shape).

mod auth;

pub use auth::RpcEip7702Auth;

use crate::{UserOpError, UserOperation, EIP7702_INIT_CODE_MARKER};
use alloy::primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};

/// A user operation as ERC-4337 bundler RPC JSON (v0.7 / v0.8 shape).
///
/// Convert with `RpcUserOperation::from(op)` and `UserOperation::try_from(rpc)`; read JSON
/// text with [`RpcUserOperation::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RpcUserOperation {
    /// Account address.
    pub sender: String,
    /// Nonce (quantity).
    pub nonce: String,
    /// Factory address, absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory: Option<String>,
    /// Factory call data, absent without a factory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory_data: Option<String>,
    /// Account call data.
    pub call_data: String,
    /// Execution gas limit (quantity).
    pub call_gas_limit: String,
    /// Validation gas limit (quantity).
    pub verification_gas_limit: String,
    /// Pre-verification gas (quantity).
    pub pre_verification_gas: String,
    /// Maximum fee per gas (quantity).
    pub max_fee_per_gas: String,
    /// Maximum priority fee per gas (quantity).
    pub max_priority_fee_per_gas: String,
    /// Paymaster address, absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster: Option<String>,
    /// Paymaster validation gas limit (quantity), absent without a paymaster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_verification_gas_limit: Option<String>,
    /// Paymaster `postOp` gas limit (quantity), absent without a paymaster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_post_op_gas_limit: Option<String>,
    /// Paymaster data, absent without a paymaster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_data: Option<String>,
    /// Signature bytes.
    pub signature: String,
    /// The EIP-7702 authorization to send with the op, absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip7702_auth: Option<RpcEip7702Auth>,
}

impl RpcUserOperation {
    /// Reads the JSON object of one user operation.
    ///
    /// # Errors
    ///
    /// [`UserOpError::Json`] when the text is not such an object (unknown or missing field,
    /// wrong JSON type). The values themselves are checked by `UserOperation::try_from`.
    pub fn from_json(text: &str) -> Result<Self, UserOpError> {
        serde_json::from_str(text).map_err(|error| UserOpError::Json(error.to_string()))
    }

    /// The JSON object text (compact).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings always serialises")
    }
}

impl From<UserOperation> for RpcUserOperation {
    fn from(op: UserOperation) -> Self {
        Self::from(&op)
    }
}

impl From<&UserOperation> for RpcUserOperation {
    /// Fields that have no place without a factory or paymaster are omitted, as in
    /// [`UserOperation::pack`].
    fn from(op: &UserOperation) -> Self {
        let has_paymaster = op.paymaster.is_some();
        Self {
            sender: op.sender.to_checksum(None),
            nonce: quantity(op.nonce),
            factory: op.factory.map(|factory| {
                if factory == EIP7702_INIT_CODE_MARKER {
                    EIP7702_SHORT_MARKER.to_owned()
                } else {
                    factory.to_checksum(None)
                }
            }),
            factory_data: op.factory.map(|_| op.factory_data.to_string()),
            call_data: op.call_data.to_string(),
            call_gas_limit: quantity(U256::from(op.call_gas_limit)),
            verification_gas_limit: quantity(U256::from(op.verification_gas_limit)),
            pre_verification_gas: quantity(op.pre_verification_gas),
            max_fee_per_gas: quantity(U256::from(op.max_fee_per_gas)),
            max_priority_fee_per_gas: quantity(U256::from(op.max_priority_fee_per_gas)),
            paymaster: op.paymaster.map(|paymaster| paymaster.to_checksum(None)),
            paymaster_verification_gas_limit: has_paymaster
                .then(|| quantity(U256::from(op.paymaster_verification_gas_limit))),
            paymaster_post_op_gas_limit: has_paymaster
                .then(|| quantity(U256::from(op.paymaster_post_op_gas_limit))),
            paymaster_data: has_paymaster.then(|| op.paymaster_data.to_string()),
            signature: op.signature.to_string(),
            eip7702_auth: op.eip7702_auth.as_ref().map(RpcEip7702Auth::from),
        }
    }
}

impl TryFrom<RpcUserOperation> for UserOperation {
    type Error = UserOpError;

    fn try_from(rpc: RpcUserOperation) -> Result<Self, Self::Error> {
        Self::try_from(&rpc)
    }
}

impl TryFrom<&RpcUserOperation> for UserOperation {
    type Error = UserOpError;

    /// Parses every field strictly. With a factory, `factoryData` is required; with a
    /// paymaster, its two gas limits and data are required. Without them, those fields must
    /// be absent, empty (`0x`) or zero.
    fn try_from(rpc: &RpcUserOperation) -> Result<Self, Self::Error> {
        let factory = rpc.factory.as_deref().map(parse_factory).transpose()?;
        let factory_data = optional_bytes("factoryData", rpc.factory_data.as_deref())?;
        let factory_data = match (factory, factory_data) {
            (Some(_), None) => return Err(UserOpError::MissingField("factoryData")),
            (None, Some(data)) if !data.is_empty() => {
                return Err(UserOpError::FactoryDataWithoutFactory)
            }
            (_, data) => data.unwrap_or_default(),
        };

        let paymaster = rpc
            .paymaster
            .as_deref()
            .map(|text| parse_address("paymaster", text))
            .transpose()?;
        let paymaster_verification_gas_limit = optional_gas(
            "paymasterVerificationGasLimit",
            rpc.paymaster_verification_gas_limit.as_deref(),
        )?;
        let paymaster_post_op_gas_limit = optional_gas(
            "paymasterPostOpGasLimit",
            rpc.paymaster_post_op_gas_limit.as_deref(),
        )?;
        let paymaster_data = optional_bytes("paymasterData", rpc.paymaster_data.as_deref())?;
        let (paymaster_verification_gas_limit, paymaster_post_op_gas_limit, paymaster_data) =
            if paymaster.is_some() {
                (
                    paymaster_verification_gas_limit
                        .ok_or(UserOpError::MissingField("paymasterVerificationGasLimit"))?,
                    paymaster_post_op_gas_limit
                        .ok_or(UserOpError::MissingField("paymasterPostOpGasLimit"))?,
                    paymaster_data.ok_or(UserOpError::MissingField("paymasterData"))?,
                )
            } else {
                if paymaster_data.as_ref().is_some_and(|data| !data.is_empty()) {
                    return Err(UserOpError::PaymasterDataWithoutPaymaster);
                }
                if paymaster_verification_gas_limit.unwrap_or(0) != 0
                    || paymaster_post_op_gas_limit.unwrap_or(0) != 0
                {
                    return Err(UserOpError::PaymasterGasWithoutPaymaster);
                }
                (0, 0, Bytes::new())
            };

        Ok(Self {
            sender: parse_address("sender", &rpc.sender)?,
            nonce: parse_quantity("nonce", &rpc.nonce)?,
            factory,
            factory_data,
            call_data: parse_bytes("callData", &rpc.call_data)?,
            call_gas_limit: parse_gas("callGasLimit", &rpc.call_gas_limit)?,
            verification_gas_limit: parse_gas("verificationGasLimit", &rpc.verification_gas_limit)?,
            pre_verification_gas: parse_quantity("preVerificationGas", &rpc.pre_verification_gas)?,
            max_fee_per_gas: parse_gas("maxFeePerGas", &rpc.max_fee_per_gas)?,
            max_priority_fee_per_gas: parse_gas(
                "maxPriorityFeePerGas",
                &rpc.max_priority_fee_per_gas,
            )?,
            paymaster,
            paymaster_verification_gas_limit,
            paymaster_post_op_gas_limit,
            paymaster_data,
            signature: parse_bytes("signature", &rpc.signature)?,
            eip7702_auth: rpc
                .eip7702_auth
                .as_ref()
                .map(RpcEip7702Auth::to_signed)
                .transpose()?,
        })
    }
}

/// `0x`-hex without leading zeros, `0x0` for zero.
fn quantity(value: U256) -> String {
    format!("{value:#x}")
}

fn invalid(field: &'static str, reason: impl Into<String>) -> UserOpError {
    UserOpError::InvalidHex {
        field,
        reason: reason.into(),
    }
}

fn strip_0x<'a>(field: &'static str, text: &'a str) -> Result<&'a str, UserOpError> {
    text.strip_prefix("0x")
        .ok_or_else(|| invalid(field, format!("`{text}` does not start with 0x")))
}

fn check_hex_digits(field: &'static str, digits: &str) -> Result<(), UserOpError> {
    match digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        Some(c) => Err(invalid(field, format!("`{c}` is not a hex digit"))),
        None => Ok(()),
    }
}

/// A quantity: `0x0` or `0x` followed by 1 to 64 hex digits without a leading zero.
fn parse_quantity(field: &'static str, text: &str) -> Result<U256, UserOpError> {
    let digits = strip_0x(field, text)?;
    if digits.is_empty() {
        return Err(invalid(
            field,
            "a quantity needs at least one digit (0x0 for zero)",
        ));
    }
    check_hex_digits(field, digits)?;
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(invalid(field, format!("`{text}` has a leading zero")));
    }
    if digits.len() > 64 {
        return Err(invalid(field, format!("`{text}` does not fit in 256 bits")));
    }
    U256::from_str_radix(digits, 16).map_err(|error| invalid(field, error.to_string()))
}

fn parse_gas(field: &'static str, text: &str) -> Result<u128, UserOpError> {
    u128::try_from(parse_quantity(field, text)?)
        .map_err(|_| UserOpError::GasLimitTooLarge { field })
}

fn optional_gas(field: &'static str, text: Option<&str>) -> Result<Option<u128>, UserOpError> {
    text.map(|text| parse_gas(field, text)).transpose()
}

/// Byte string: `0x` followed by an even number of hex digits.
fn parse_bytes(field: &'static str, text: &str) -> Result<Bytes, UserOpError> {
    let digits = strip_0x(field, text)?;
    check_hex_digits(field, digits)?;
    if digits.len() % 2 != 0 {
        return Err(invalid(field, "odd number of hex digits"));
    }
    let bytes = (0..digits.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&digits[at..at + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|error| invalid(field, error.to_string()))?;
    Ok(bytes.into())
}

fn optional_bytes(field: &'static str, text: Option<&str>) -> Result<Option<Bytes>, UserOpError> {
    text.map(|text| parse_bytes(field, text)).transpose()
}

/// The EIP-7702 marker as viem writes `factory` (and alto requires it).
const EIP7702_SHORT_MARKER: &str = "0x7702";

/// `factory`: an address, or viem's short EIP-7702 marker `0x7702` (any case).
fn parse_factory(text: &str) -> Result<Address, UserOpError> {
    if text.eq_ignore_ascii_case(EIP7702_SHORT_MARKER) {
        return Ok(EIP7702_INIT_CODE_MARKER);
    }
    parse_address("factory", text)
}

/// Address: `0x` and 40 hex digits; mixed case must be a valid EIP-55 checksum.
fn parse_address(field: &'static str, text: &str) -> Result<Address, UserOpError> {
    let digits = strip_0x(field, text)?;
    check_hex_digits(field, digits)?;
    if digits.len() != 40 {
        return Err(invalid(
            field,
            format!("an address has 40 hex digits, got {}", digits.len()),
        ));
    }
    let has_lower = digits.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = digits.chars().any(|c| c.is_ascii_uppercase());
    if has_lower && has_upper {
        return Address::parse_checksummed(text, None)
            .map_err(|_| invalid(field, format!("`{text}` has a wrong EIP-55 checksum")));
    }
    let bytes = parse_bytes(field, text)?;
    Ok(Address::from_slice(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantity_text() {
        assert_eq!(quantity(U256::ZERO), "0x0");
        assert_eq!(quantity(U256::from(0x1a2bu64)), "0x1a2b");
        assert_eq!(parse_quantity("nonce", "0x0").unwrap(), U256::ZERO);
        assert_eq!(
            parse_quantity("nonce", "0xABcd").unwrap(),
            U256::from(0xabcdu64)
        );
        assert_eq!(
            parse_quantity("nonce", &quantity(U256::MAX)).unwrap(),
            U256::MAX
        );
        for bad in ["0", "0x", "0x01", "0x00", "12", "0xg", "-0x1", "0x 1"] {
            assert!(
                matches!(
                    parse_quantity("nonce", bad),
                    Err(UserOpError::InvalidHex { field: "nonce", .. })
                ),
                "{bad} accepted"
            );
        }
        let too_long = format!("0x1{}", "0".repeat(64));
        assert!(parse_quantity("nonce", &too_long).is_err());
    }

    #[test]
    fn bytes_text() {
        assert_eq!(parse_bytes("callData", "0x").unwrap(), Bytes::new());
        assert_eq!(
            parse_bytes("callData", "0xdeADbe").unwrap(),
            Bytes::from(vec![0xde, 0xad, 0xbe])
        );
        for bad in ["", "0xabc", "abcd", "0xzz", "0x+1"] {
            assert!(parse_bytes("callData", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn address_text() {
        let checksummed = "0x0000000071727De22E5E9d8BAf0edAc6f37da032";
        let address = parse_address("sender", checksummed).unwrap();
        assert_eq!(address, crate::EntryPointVersion::V07.canonical_address());
        assert_eq!(
            parse_address("sender", &checksummed.to_lowercase()).unwrap(),
            address
        );
        assert_eq!(
            parse_address("sender", &format!("0x{}", checksummed[2..].to_uppercase())).unwrap(),
            address
        );
        let bad_checksum = "0x0000000071727de22E5E9d8BAf0edAc6f37da032";
        assert!(matches!(
            parse_address("sender", bad_checksum),
            Err(UserOpError::InvalidHex {
                field: "sender",
                ..
            })
        ));
        assert!(parse_address("sender", "0x1234").is_err());
    }
}
