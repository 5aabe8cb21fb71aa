//! The calls of an op, from `--call TARGET,VALUE,DATA` flags or a JSON calls file.

use std::path::Path;

use alloy::primitives::{Address, Bytes, U256};
use leash_userop::erc7579::Execution;
use serde_json::Value;

use crate::exit::usage;

const CALL_HINT: &str = "write --call TARGET,VALUE,DATA, e.g. --call 0x1111111111111111111111111111111111111111,0,0xa9059cbb...";
const FILE_HINT: &str =
    "the calls file is a JSON array of {\"target\": \"0x…\", \"value\": \"0\", \"data\": \"0x…\"}";

/// Parses every `--call` flag.
pub(crate) fn from_flags(flags: &[String]) -> anyhow::Result<Vec<Execution>> {
    flags.iter().map(|flag| parse_flag(flag)).collect()
}

fn parse_flag(flag: &str) -> anyhow::Result<Execution> {
    let parts: Vec<&str> = flag.split(',').collect();
    let [target, value, data] = parts.as_slice() else {
        return Err(usage(
            format!(
                "--call {flag:?}: expected TARGET,VALUE,DATA (3 comma-separated fields), got {}",
                parts.len()
            ),
            CALL_HINT,
        ));
    };
    let context = format!("--call {flag:?}");
    Ok(Execution::new(
        parse_address(&context, target.trim()).map_err(|e| usage(e, CALL_HINT))?,
        parse_value(&context, value.trim()).map_err(|e| usage(e, CALL_HINT))?,
        parse_data(&context, data.trim()).map_err(|e| usage(e, CALL_HINT))?,
    ))
}

/// Reads a calls file: a JSON array of `{target, value, data}`.
pub(crate) fn from_file(path: &Path) -> anyhow::Result<Vec<Execution>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(
            format!("calls file {}: {e}", path.display()),
            "check the path",
        )
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        usage(
            format!("calls file {}: not JSON: {e}", path.display()),
            FILE_HINT,
        )
    })?;
    let items = value.as_array().ok_or_else(|| {
        usage(
            format!("calls file {}: (document): not an array", path.display()),
            FILE_HINT,
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            parse_item(index, item)
                .map_err(|e| usage(format!("calls file {}: {e}", path.display()), FILE_HINT))
        })
        .collect()
}

fn parse_item(index: usize, item: &Value) -> Result<Execution, String> {
    let object = item
        .as_object()
        .ok_or_else(|| format!("[{index}]: not an object"))?;
    if let Some(unknown) = object
        .keys()
        .find(|key| !["target", "value", "data"].contains(&key.as_str()))
    {
        return Err(format!(
            "[{index}].{unknown}: unknown field (expected target, value, data)"
        ));
    }
    let text = |field: &str, required: bool| -> Result<Option<String>, String> {
        match object.get(field) {
            None if required => Err(format!("[{index}].{field}: missing")),
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if field == "value" => Ok(Some(n.to_string())),
            Some(other) => Err(format!("[{index}].{field}: expected a string, got {other}")),
        }
    };
    let target = text("target", true)?.unwrap_or_default();
    let value = text("value", false)?.unwrap_or_else(|| "0".to_owned());
    let data = text("data", false)?.unwrap_or_default();
    Ok(Execution::new(
        parse_address(&format!("[{index}].target"), &target)?,
        parse_value(&format!("[{index}].value"), &value)?,
        parse_data(&format!("[{index}].data"), &data)?,
    ))
}

fn parse_address(context: &str, text: &str) -> Result<Address, String> {
    text.parse::<Address>()
        .map_err(|_| format!("{context}: target {text:?} is not a 20-byte 0x address"))
}

fn parse_value(context: &str, text: &str) -> Result<U256, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => U256::from_str_radix(hex, 16),
        None => U256::from_str_radix(text, 10),
    };
    parsed.map_err(|_| format!("{context}: value {text:?} is not a wei amount (decimal or 0x hex)"))
}

fn parse_data(context: &str, text: &str) -> Result<Bytes, String> {
    if text.is_empty() {
        return Ok(Bytes::new());
    }
    text.parse::<Bytes>()
        .map_err(|_| format!("{context}: data {text:?} is not 0x-prefixed hex bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_flag_has_three_fields() {
        let call = parse_flag("0x1111111111111111111111111111111111111111,10,0xa9059cbb").unwrap();
        assert_eq!(call.value, U256::from(10));
        assert_eq!(call.call_data.as_ref(), &[0xa9, 0x05, 0x9c, 0xbb]);
        let error = parse_flag("0x1111111111111111111111111111111111111111,10").unwrap_err();
        assert!(error.to_string().contains("got 2"), "{error}");
    }

    #[test]
    fn a_calls_file_item_names_its_path() {
        let item = serde_json::json!({"target": "0x11", "value": "1"});
        let error = parse_item(3, &item).unwrap_err();
        assert!(error.starts_with("[3].target:"), "{error}");
    }
}
