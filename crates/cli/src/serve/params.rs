//! Reading request parameters as the ERCs and their reference clients write them: addresses,
//! quantities as 0x hex or decimal, EIP-5792 calls and the `permissions` capability. Every
//! error names the field and says what is expected.

use alloy::primitives::{Address, Bytes, U256};
use leash_userop::erc7579::Execution;
use serde_json::{Map, Value};

use super::rpc::Failure;

/// The params object of `method`, refusing fields it does not know.
pub(crate) fn object<'a>(
    value: &'a Value,
    method: &str,
    known: &[&str],
) -> Result<&'a Map<String, Value>, Failure> {
    let object = value
        .as_object()
        .ok_or_else(|| Failure::params(format!("{method} takes [ {{…}} ], got {value}")))?;
    if let Some(unknown) = object.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Failure::params(format!(
            "{method}: unknown field {unknown:?} (known: {})",
            known.join(", ")
        )));
    }
    Ok(object)
}

/// A required string field.
pub(crate) fn string<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a str, Failure> {
    object
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::params(format!("\"{field}\" is required (a string)")))
}

/// An address.
pub(crate) fn address(value: &Value, path: &str) -> Result<Address, Failure> {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Failure::params(format!("{path}: {value} is not a 0x address (20 bytes)")))
}

/// A quantity: 0x hex (EIP-1474), a decimal string or a JSON number.
pub(crate) fn quantity(value: &Value, path: &str) -> Result<U256, Failure> {
    let bad = || {
        Failure::params(format!(
            "{path}: {value} is not a quantity (0x hex like \"0x1e\", or a decimal number)"
        ))
    };
    match value {
        Value::Number(n) => n.as_u64().map(U256::from).ok_or_else(bad),
        Value::String(text) => match text.strip_prefix("0x") {
            Some(hex) if !hex.is_empty() => U256::from_str_radix(hex, 16).map_err(|_| bad()),
            Some(_) => Err(bad()),
            None => U256::from_str_radix(text, 10).map_err(|_| bad()),
        },
        _ => Err(bad()),
    }
}

/// A quantity that fits 64 bits (chain ids, gas).
pub(crate) fn small(value: &Value, path: &str) -> Result<u64, Failure> {
    let n = quantity(value, path)?;
    u64::try_from(n).map_err(|_| Failure::params(format!("{path}: {n} is too large")))
}

/// 0x bytes.
pub(crate) fn bytes(value: &Value, path: &str) -> Result<Bytes, Failure> {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Failure::params(format!("{path}: {value} is not 0x hex bytes")))
}

/// EIP-5792 `calls`: `[{to, data?, value?}]`.
pub(crate) fn calls(value: Option<&Value>) -> Result<Vec<Execution>, Failure> {
    let items = value.and_then(Value::as_array).ok_or_else(|| {
        Failure::params(
            "\"calls\" is required: [{\"to\": \"0x…\", \"data\": \"0x…\", \"value\": \"0x0\"}]",
        )
    })?;
    if items.is_empty() {
        return Err(Failure::params(
            "\"calls\" is empty: give at least one call",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let path = format!("calls[{index}]");
            let object = item.as_object().ok_or_else(|| {
                Failure::params(format!("{path} must be an object {{to, data, value}}"))
            })?;
            if let Some(unknown) = object
                .keys()
                .find(|k| !["to", "data", "value"].contains(&k.as_str()))
            {
                return Err(Failure::params(format!(
                    "{path}: unknown field {unknown:?} (known: to, data, value)"
                )));
            }
            let target = address(
                object.get("to").unwrap_or(&Value::Null),
                &format!("{path}.to"),
            )?;
            let call_data = match object.get("data") {
                None | Some(Value::Null) => Bytes::new(),
                Some(data) => bytes(data, &format!("{path}.data"))?,
            };
            let value = match object.get("value") {
                None | Some(Value::Null) => U256::ZERO,
                Some(value) => quantity(value, &format!("{path}.value"))?,
            };
            Ok(Execution {
                target,
                value,
                call_data,
            })
        })
        .collect()
}

/// The permission context in EIP-5792 `capabilities.permissions` (`context`, or
/// `permissionsContext` as viem names it in `grantPermissions`' answer).
pub(crate) fn permission_context(capabilities: Option<&Value>) -> Result<String, Failure> {
    let permissions = capabilities.and_then(|c| c.get("permissions"));
    permissions
        .and_then(|p| p.get("context").or_else(|| p.get("permissionsContext")))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Failure::params(
                "capabilities.permissions.context is required: the context wallet_grantPermissions returned",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_read_hex_decimal_and_numbers() {
        assert_eq!(quantity(&json!("0x1e"), "v").unwrap(), U256::from(30));
        assert_eq!(quantity(&json!("30"), "v").unwrap(), U256::from(30));
        assert_eq!(quantity(&json!(30), "v").unwrap(), U256::from(30));
        assert!(quantity(&json!("0x"), "v").is_err());
        assert!(quantity(&json!(-1), "v")
            .unwrap_err()
            .message
            .contains("v:"));
    }

    #[test]
    fn calls_name_the_bad_field() {
        let error = calls(Some(&json!([{"to": "0x12"}]))).unwrap_err();
        assert!(error.message.contains("calls[0].to"), "{}", error.message);
        let error = calls(Some(
            &json!([{"to": format!("0x{}", "11".repeat(20)), "gas": 1}]),
        ))
        .unwrap_err();
        assert!(error.message.contains("gas"));
        let ok = calls(Some(
            &json!([{"to": format!("0x{}", "11".repeat(20)), "value": "0x5"}]),
        ))
        .unwrap();
        assert_eq!(ok[0].value, U256::from(5));
    }

    #[test]
    fn the_context_comes_from_the_permissions_capability() {
        let caps = json!({"permissions": {"context": "0xab"}});
        assert_eq!(permission_context(Some(&caps)).unwrap(), "0xab");
        let caps = json!({"permissions": {"permissionsContext": "0xcd"}});
        assert_eq!(permission_context(Some(&caps)).unwrap(), "0xcd");
        assert!(permission_context(None).is_err());
    }
}
