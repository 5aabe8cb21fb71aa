//! Reading JSON with the path of every value at hand, so each error names the exact field
//! (`tokens[1].amount: not a number`), and unknown fields are rejected.

use alloy::primitives::{keccak256, Address, FixedBytes, B256, U256};
use serde_json::{Map, Value};

use super::error::PermissionError;

/// A JSON value and where it sits in the document.
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    path: &'a str,
    value: &'a Value,
}

/// An owned path plus a value, for children whose path had to be built.
pub(crate) struct Child<'a> {
    pub(crate) path: String,
    pub(crate) value: &'a Value,
}

impl<'a> Child<'a> {
    pub(crate) fn node(&self) -> Node<'_> {
        Node {
            path: &self.path,
            value: self.value,
        }
    }

    /// The value as an array whose children live as long as the document (not this child).
    pub(crate) fn items(&self) -> Result<Vec<Child<'a>>, PermissionError> {
        let items = self.value.as_array().ok_or_else(|| {
            self.node()
                .err(format!("expected an array, found {}", kind(self.value)))
        })?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Child {
                path: format!("{}[{i}]", self.path),
                value,
            })
            .collect())
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Node<'a> {
    pub(crate) fn root(value: &'a Value) -> Self {
        Self { path: "", value }
    }

    pub(crate) fn path(&self) -> &str {
        self.path
    }

    pub(crate) fn value(&self) -> &'a Value {
        self.value
    }

    pub(crate) fn err(&self, reason: impl Into<String>) -> PermissionError {
        PermissionError::new(self.path, reason)
    }

    /// The value as an object whose keys are all in `allowed`.
    pub(crate) fn object(&self, allowed: &[&str]) -> Result<Obj<'a>, PermissionError> {
        let map = self
            .value
            .as_object()
            .ok_or_else(|| self.err(format!("expected an object, found {}", kind(self.value))))?;
        if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(PermissionError::new(
                join(self.path, key),
                format!("unknown field (expected one of: {})", allowed.join(", ")),
            ));
        }
        Ok(Obj {
            path: self.path.to_owned(),
            map,
        })
    }

    /// The value as an array; children carry `path[i]`.
    pub(crate) fn array(&self) -> Result<Vec<Child<'a>>, PermissionError> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.err(format!("expected an array, found {}", kind(self.value))))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Child {
                path: format!("{}[{i}]", self.path),
                value,
            })
            .collect())
    }

    pub(crate) fn str(&self) -> Result<&'a str, PermissionError> {
        self.value
            .as_str()
            .ok_or_else(|| self.err(format!("expected a string, found {}", kind(self.value))))
    }

    pub(crate) fn bool(&self) -> Result<bool, PermissionError> {
        self.value.as_bool().ok_or_else(|| {
            self.err(format!(
                "expected true or false, found {}",
                kind(self.value)
            ))
        })
    }

    /// A non-negative integer: a JSON number, a decimal string or a `0x` hex string.
    pub(crate) fn u256(&self) -> Result<U256, PermissionError> {
        match self.value {
            Value::Number(n) => n
                .as_u64()
                .map(U256::from)
                .ok_or_else(|| self.err(format!("not a number: {n} is not a non-negative integer (write large amounts as strings)"))),
            Value::String(s) => parse_uint(s).map_err(|reason| self.err(reason)),
            other => Err(self.err(format!("not a number: found {}", kind(other)))),
        }
    }

    /// A non-negative integer of at most `bits` bits (`uint48`, `uint32`...).
    pub(crate) fn uint(&self, bits: u32) -> Result<u64, PermissionError> {
        let value = self.u256()?;
        let max = (1u128 << bits) - 1;
        if value > U256::from(max) {
            return Err(self.err(format!("{value} does not fit uint{bits} (max {max})")));
        }
        Ok(value.to::<u64>())
    }

    pub(crate) fn address(&self) -> Result<Address, PermissionError> {
        parse_address(self.str()?).map_err(|reason| self.err(reason))
    }

    pub(crate) fn b256(&self) -> Result<B256, PermissionError> {
        let s = self.str()?;
        let hex = s
            .strip_prefix("0x")
            .ok_or_else(|| self.err(format!("{s:?} is not 0x-prefixed hex")))?;
        if hex.len() != 64 {
            return Err(self.err(format!("{s:?} is not 32 bytes of hex")));
        }
        hex.parse::<B256>()
            .map_err(|_| self.err(format!("{s:?} is not valid hex")))
    }

    /// A function selector: `0x` + 8 hex digits, or a canonical signature such as
    /// `transfer(address,uint256)`.
    pub(crate) fn selector(&self) -> Result<FixedBytes<4>, PermissionError> {
        parse_selector(self.str()?).map_err(|reason| self.err(reason))
    }
}

/// An object whose keys were checked.
pub(crate) struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<Child<'a>> {
        self.map.get(key).map(|value| Child {
            path: join(&self.path, key),
            value,
        })
    }

    pub(crate) fn req(&self, key: &str) -> Result<Child<'a>, PermissionError> {
        self.get(key)
            .ok_or_else(|| PermissionError::new(join(&self.path, key), "required field is missing"))
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decimal or `0x` hex, up to 2^256 - 1.
pub(crate) fn parse_uint(s: &str) -> Result<U256, String> {
    if let Some(hex) = s.strip_prefix("0x") {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("not a number: {s:?} is not valid 0x hex"));
        }
        return U256::from_str_radix(hex, 16)
            .map_err(|_| format!("not a number: {s:?} does not fit uint256"));
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "not a number: {s:?} (write a decimal integer such as \"1000\" or 0x hex)"
        ));
    }
    U256::from_str_radix(s, 10).map_err(|_| format!("not a number: {s:?} does not fit uint256"))
}

/// `0x` + 40 hex digits; mixed case must be a valid EIP-55 checksum.
pub(crate) fn parse_address(s: &str) -> Result<Address, String> {
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{s:?} is not an address (0x + 40 hex digits)"))?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{s:?} is not an address (0x + 40 hex digits)"));
    }
    let address: Address = hex
        .parse()
        .map_err(|_| format!("{s:?} is not an address (0x + 40 hex digits)"))?;
    let mixed =
        hex.bytes().any(|b| b.is_ascii_lowercase()) && hex.bytes().any(|b| b.is_ascii_uppercase());
    if mixed && address.to_checksum(None) != s {
        return Err(format!(
            "{s:?} has a wrong EIP-55 checksum (expected {})",
            address.to_checksum(None)
        ));
    }
    Ok(address)
}

/// Solidity's non-canonical type aliases, which would hash to a different selector.
const TYPE_ALIASES: [(&str, &str); 5] = [
    ("uint", "uint256"),
    ("int", "int256"),
    ("byte", "bytes1"),
    ("fixed", "fixed128x18"),
    ("ufixed", "ufixed128x18"),
];

pub(crate) fn parse_selector(s: &str) -> Result<FixedBytes<4>, String> {
    if let Some(hex) = s.strip_prefix("0x") {
        if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a selector (0x + 8 hex digits)"));
        }
        return hex
            .parse()
            .map_err(|_| format!("{s:?} is not a selector (0x + 8 hex digits)"));
    }
    let open = s.find('(').ok_or_else(|| {
        format!("{s:?} is neither a selector (0x12345678) nor a signature like transfer(address,uint256)")
    })?;
    let name = &s[..open];
    let valid_name = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if !valid_name || !s.ends_with(')') {
        return Err(format!(
            "{s:?} is not a function signature like transfer(address,uint256)"
        ));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(format!(
            "{s:?}: write the canonical signature without spaces or parameter names"
        ));
    }
    let mut depth = 0i32;
    for c in s[open..].chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return Err(format!("{s:?}: unbalanced parentheses"));
        }
    }
    if depth != 0 {
        return Err(format!("{s:?}: unbalanced parentheses"));
    }
    let params = &s[open..];
    for word in params.split(['(', ')', ',', '[', ']']) {
        if let Some((alias, canonical)) = TYPE_ALIASES.iter().find(|(a, _)| *a == word) {
            return Err(format!(
                "{s:?}: `{alias}` is not canonical, write `{canonical}` (the selector hashes the canonical form)"
            ));
        }
    }
    Ok(FixedBytes::from_slice(&keccak256(s.as_bytes())[..4]))
}
