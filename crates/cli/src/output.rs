//! Where output goes: results on stdout (text or JSON), progress on stderr.

use std::io::Write;

use alloy::primitives::Address;
use serde_json::Value;

/// Output settings from the global flags.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ui {
    /// Machine output: one JSON value on stdout, no progress.
    pub(crate) json: bool,
    /// No progress messages.
    pub(crate) quiet: bool,
}

impl Ui {
    /// A progress note on stderr ("compiling…"), silent with `--quiet` or `--json`.
    pub(crate) fn progress(&self, message: &str) {
        if !self.json && !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A warning on stderr, silent only with `--json` (where it belongs in the result).
    pub(crate) fn warn(&self, message: &str) {
        if !self.json {
            eprintln!("warning: {message}");
        }
    }

    /// Prints the result: `value` as pretty JSON with `--json` (addresses checksummed, see
    /// [`checksum_addresses`]), else the text `human` builds.
    pub(crate) fn result(&self, value: &Value, human: impl FnOnce() -> String) {
        let mut text = if self.json {
            let mut value = value.clone();
            checksum_addresses(&mut value);
            serde_json::to_string_pretty(&value).expect("JSON values always serialise")
        } else {
            human()
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        // A closed pipe (`leash ... | head`) is the reader's choice, not an error.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}

/// Writes every address in `value` (a string, or an object key, that is `0x` and exactly 40
/// hex digits) in its EIP-55 checksummed form, as alloy's `Display` and cast print them.
///
/// alloy serialises an `Address` as lowercase hex, and results also carry addresses that were
/// stored or received as text (permission files, apps' requests, the serve store): one pass at
/// the output boundary covers them all. Hex is case-insensitive, so a 20-byte value that is not
/// an address (rare: 20-byte data) keeps its meaning. The audit log's export is not rewritten:
/// its entries are hashed as written.
pub(crate) fn checksum_addresses(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Some(address) = as_address(text) {
                *text = address.to_checksum(None);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(checksum_addresses),
        Value::Object(map) => {
            if map.keys().any(|key| as_address(key).is_some()) {
                let entries = std::mem::take(map);
                for (key, value) in entries {
                    let key = as_address(&key).map_or(key, |address| address.to_checksum(None));
                    map.insert(key, value);
                }
            }
            map.values_mut().for_each(checksum_addresses);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `text` as an address when it is `0x` followed by exactly 40 hex digits.
fn as_address(text: &str) -> Option<Address> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checksummed_and_nothing_else_changes() {
        let mut value = serde_json::json!({
            "account": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266": ["0x5fbdb2315678afecb367f032d93f642f64180aa3"],
            "hash": "0xabababababababababababababababababababababababababababababababab",
            "short": "0xabc",
            "text": "to 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 now",
            "number": 7,
        });
        checksum_addresses(&mut value);
        assert_eq!(
            value,
            serde_json::json!({
                "account": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": ["0x5FbDB2315678afecb367f032d93F642f64180aa3"],
                "hash": "0xabababababababababababababababababababababababababababababababab",
                "short": "0xabc",
                "text": "to 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 now",
                "number": 7,
            })
        );
    }
}
