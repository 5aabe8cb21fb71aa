//! Revert data: finding it in an RPC error and turning it into a readable custom error.

use crate::JsonRpcError;
use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::JsonAbi,
    primitives::{Bytes, U256},
};
use serde_json::Value;

/// `Error(string)`, what `require(cond, "text")` and `revert("text")` produce.
const ERROR_STRING_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
/// `Panic(uint256)`, what failed asserts, overflows and bad array indexes produce.
const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];
/// Nested revert data deeper than this is shown as hex (bounds the recursion on hostile data).
const MAX_NESTING: usize = 4;

/// The revert bytes carried by a JSON-RPC error, wherever the endpoint put them.
///
/// Looks, in order, at `data` as a hex string (nodes on `eth_call`), at `data.revertData`,
/// `data.data` and `data.reason` when `data` is an object, and finally at the message's
/// `0x…` hex run after `reverted ` (alto writes a validation revert into the message, with no
/// `data`: `UserOperation reverted during simulation with reason: AA23 reverted 0x316945ba…`),
/// else at its last `0x…` run of at least 4 bytes.
pub fn revert_data(error: &JsonRpcError) -> Option<Bytes> {
    let from_data = match &error.data {
        Some(Value::String(text)) => parse_hex(text),
        Some(Value::Object(fields)) => ["revertData", "data", "reason"]
            .iter()
            .find_map(|key| fields.get(*key).and_then(Value::as_str).and_then(parse_hex)),
        _ => None,
    };
    from_data.filter(|bytes| !bytes.is_empty()).or_else(|| {
        let message = &error.message;
        let after_reverted = message
            .rfind("reverted 0x")
            .map(|at| &message[at + "reverted ".len()..]);
        after_reverted
            .and_then(|text| hex_runs(text).next())
            .or_else(|| hex_runs(message).last())
    })
}

/// Decodes revert `data` as a custom error of one of `abis`, or as `Error(string)` /
/// `Panic(uint256)`, and renders it as `Name(param: value, …)`.
///
/// Addresses are checksummed, integers decimal, byte strings hex. A `bytes` argument that is
/// itself decodable revert data (e.g. the inner revert of EntryPoint's
/// `FailedOpWithRevert(uint256,string,bytes)`) is rendered decoded. `None` when the selector
/// is unknown or the arguments do not decode.
pub fn decode_revert(data: &Bytes, abis: &[&JsonAbi]) -> Option<String> {
    decode_nested(data, abis, 0)
}

fn decode_nested(data: &[u8], abis: &[&JsonAbi], depth: usize) -> Option<String> {
    let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
    let arguments = &data[4..];
    if selector == ERROR_STRING_SELECTOR {
        let message = alloy::sol_types::SolValue::abi_decode(arguments)
            .ok()
            .map(|text: String| text)?;
        return Some(format!("Error({message:?})"));
    }
    if selector == PANIC_SELECTOR {
        let code: U256 = alloy::sol_types::SolValue::abi_decode(arguments).ok()?;
        return Some(format!("Panic({code:#x}: {})", panic_reason(code)));
    }
    abis.iter()
        .flat_map(|abi| abi.errors())
        .filter(|error| error.selector() == selector)
        .find_map(|error| {
            let values = error.abi_decode_input(arguments).ok()?;
            let rendered: Vec<String> = error
                .inputs
                .iter()
                .zip(&values)
                .map(|(param, value)| {
                    let value = render(value, abis, depth);
                    if param.name.is_empty() {
                        value
                    } else {
                        format!("{}: {value}", param.name)
                    }
                })
                .collect();
            Some(format!("{}({})", error.name, rendered.join(", ")))
        })
}

fn render(value: &DynSolValue, abis: &[&JsonAbi], depth: usize) -> String {
    match value {
        DynSolValue::Address(address) => address.to_checksum(None),
        DynSolValue::Bool(flag) => flag.to_string(),
        DynSolValue::Uint(number, _) => number.to_string(),
        DynSolValue::Int(number, _) => number.to_string(),
        DynSolValue::FixedBytes(word, size) => Bytes::copy_from_slice(&word[..*size]).to_string(),
        DynSolValue::Bytes(bytes) => {
            let nested = (depth < MAX_NESTING)
                .then(|| decode_nested(bytes, abis, depth + 1))
                .flatten();
            nested.unwrap_or_else(|| Bytes::copy_from_slice(bytes).to_string())
        }
        DynSolValue::String(text) => format!("{text:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            let items: Vec<String> = items.iter().map(|item| render(item, abis, depth)).collect();
            format!("[{}]", items.join(", "))
        }
        DynSolValue::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|item| render(item, abis, depth)).collect();
            format!("({})", items.join(", "))
        }
        DynSolValue::Function(function) => Bytes::copy_from_slice(function.as_slice()).to_string(),
    }
}

fn panic_reason(code: U256) -> &'static str {
    match code.saturating_to::<u64>() {
        0x00 => "generic compiler panic",
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division or modulo by zero",
        0x21 => "invalid enum value",
        0x22 => "corrupt storage byte array",
        0x31 => "pop on an empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to a zero-initialized function",
        _ => "unknown panic code",
    }
}

fn parse_hex(text: &str) -> Option<Bytes> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() & 1 == 1 || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    text.parse().ok()
}

/// Each `0x` followed by an even number (at least 8) of hex digits in `text`, in order.
fn hex_runs(text: &str) -> impl Iterator<Item = Bytes> + '_ {
    text.match_indices("0x").filter_map(|(start, _)| {
        let digits: String = text[start + 2..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        (digits.len() >= 8 && digits.len() & 1 == 0)
            .then(|| parse_hex(&format!("0x{digits}")))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::B256;
    use serde_json::json;

    fn error(message: &str, data: Option<Value>) -> JsonRpcError {
        JsonRpcError {
            code: -32500,
            message: message.to_owned(),
            data,
        }
    }

    #[test]
    fn alto_puts_the_revert_in_the_message() {
        let alto = error(
            "UserOperation reverted during simulation with reason: AA23 reverted \
             0x316945ba0000000000000000000000000000000000000000000000000000000000000002",
            None,
        );
        let expected: Bytes =
            "0x316945ba0000000000000000000000000000000000000000000000000000000000000002"
                .parse()
                .unwrap();
        assert_eq!(revert_data(&alto), Some(expected.clone()));
        let followed = error(
            &format!(
                "AA23 reverted {expected} for sender 0x1111111111111111111111111111111111111111"
            ),
            None,
        );
        assert_eq!(revert_data(&followed), Some(expected));
        let bare_selector = error(
            "UserOperation reverted with reason: AA23 reverted 0xd8607cf6",
            None,
        );
        assert_eq!(
            revert_data(&bare_selector),
            Some(Bytes::from_static(&[0xd8, 0x60, 0x7c, 0xf6]))
        );
    }

    #[test]
    fn nodes_put_the_revert_in_data() {
        let node = error("execution reverted", Some(json!("0xd8607cf6")));
        assert_eq!(
            revert_data(&node),
            Some(Bytes::from_static(&[0xd8, 0x60, 0x7c, 0xf6]))
        );
        let nested = error("reverted", Some(json!({ "revertData": "0xdeadbeef" })));
        assert_eq!(
            revert_data(&nested),
            Some(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]))
        );
        for nothing in [
            error("AA13 initCode failed or OOG", None),
            error("reverted 0x12", None),
            error("reverted", Some(json!("0x"))),
            error("reverted", Some(json!("not hex"))),
        ] {
            assert_eq!(revert_data(&nothing), None, "{nothing}");
        }
    }

    #[test]
    fn builtin_errors_decode() {
        use alloy::sol_types::{Panic, Revert, SolError};
        let message = Bytes::from(Revert::from("no way").abi_encode());
        assert_eq!(
            decode_revert(&message, &[]).as_deref(),
            Some("Error(\"no way\")")
        );
        let overflow = Bytes::from(
            Panic {
                code: U256::from(0x11),
            }
            .abi_encode(),
        );
        assert_eq!(
            decode_revert(&overflow, &[]).as_deref(),
            Some("Panic(0x11: arithmetic overflow or underflow)")
        );
    }

    #[test]
    fn unknown_or_broken_data_is_none() {
        let abi = JsonAbi::parse([
            "error RateLimitExceeded(bytes32 sessionId, uint32 periodIndex, uint32 limit)",
        ])
        .unwrap();
        let selector = abi.errors().next().unwrap().selector();
        assert_eq!(decode_revert(&Bytes::new(), &[&abi]), None);
        assert_eq!(
            decode_revert(&Bytes::from_static(&[1, 2, 3]), &[&abi]),
            None
        );
        assert_eq!(
            decode_revert(&Bytes::from_static(&[1, 2, 3, 4]), &[&abi]),
            None
        );
        let truncated = Bytes::from([selector.as_slice(), &[0u8; 40]].concat());
        assert_eq!(decode_revert(&truncated, &[&abi]), None);
        let mut valid = selector.to_vec();
        valid.extend_from_slice(&[0u8; 96]);
        valid[4 + 63] = 3;
        valid[4 + 95] = 10;
        assert_eq!(
            decode_revert(&Bytes::from(valid), &[&abi]).as_deref(),
            Some(
                format!(
                    "RateLimitExceeded(sessionId: {}, periodIndex: 3, limit: 10)",
                    B256::ZERO
                )
                .as_str()
            )
        );
    }
}
