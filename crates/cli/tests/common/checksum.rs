//! Finds addresses in JSON that are not written in their EIP-55 checksummed form.

use alloy::primitives::Address;
use serde_json::Value;

/// Every string (and object key) of `value` that is `0x` and 40 hex digits but not the
/// address's checksummed form.
pub fn unchecksummed(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(value, &mut found);
    found
}

/// Panics, naming them, when `value` holds addresses that are not checksummed.
pub fn assert_checksummed(what: &str, value: &Value) {
    let found = unchecksummed(value);
    assert!(
        found.is_empty(),
        "{what}: addresses not checksummed: {found:?}\n{value:#}"
    );
}

fn walk(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => check(text, found),
        Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
        Value::Object(map) => {
            for (key, item) in map {
                check(key, found);
                walk(item, found);
            }
        }
        _ => {}
    }
}

fn check(text: &str, found: &mut Vec<String>) {
    let Some(digits) = text.strip_prefix("0x") else {
        return;
    };
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return;
    }
    let address: Address = digits.parse().expect("40 hex digits are an address");
    if text != address.to_checksum(None) {
        found.push(text.to_owned());
    }
}
