//! The model's own decoder of `userOp.callData` (rules 1 and 2).
//!
//! It is written independently of `CallDecoder.sol`: each part is read the lenient way an
//! account reads it (following offsets, as `abi.decode` does), then re-encoded canonically and
//! compared byte for byte with what was sent. Only an exact match is accepted.

use crate::{Rejection, Selector};
use alloy_primitives::{Address, B256, U256};

/// `execute(bytes32,bytes)`.
pub const EXECUTE: Selector = Selector::new([0xe9, 0xae, 0x5c, 0x53]);
/// `executeFromExecutor(bytes32,bytes)`.
pub const EXECUTE_FROM_EXECUTOR: Selector = Selector::new([0xd6, 0x91, 0xc9, 0x64]);
/// `executeUserOp((...),bytes32)`.
pub const EXECUTE_USER_OP: Selector = Selector::new([0x8d, 0xd7, 0x71, 0x2f]);
/// Largest batch the module validates.
pub const MAX_BATCH_CALLS: usize = 8;

/// ERC-7579 call type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallType {
    /// `0x00`: one call, `target ‖ value ‖ data`.
    Single,
    /// `0x01`: `abi.encode(Execution[])`.
    Batch,
}

/// ERC-7579 exec type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecType {
    /// `0x00`: a failing call reverts the execution.
    Default,
    /// `0x01`: a failing call is skipped.
    Try,
}

/// One call the account will make, as encoded (target 0 is not yet mapped to the account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The target as encoded.
    pub target: Address,
    /// Native value.
    pub value: U256,
    /// Call data.
    pub data: Vec<u8>,
}

impl Call {
    /// First 4 bytes of the data, zero for empty data (callers reject 1-3 bytes first).
    pub fn selector(&self) -> Selector {
        if self.data.len() < 4 {
            return Selector::ZERO;
        }
        Selector::from_slice(&self.data[..4])
    }
}

/// What `userOp.callData` asks the account to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A direct call of an account function (any selector but `execute`), value 0.
    Direct {
        /// The function's selector.
        selector: Selector,
    },
    /// `execute(mode, executionCalldata)`.
    Execute {
        /// Single or batch.
        call_type: CallType,
        /// Default or try.
        exec_type: ExecType,
        /// The calls, in order.
        calls: Vec<Call>,
    },
}

/// Decodes `call_data`, accepting only the shapes and the canonical encoding of rules 1-2.
///
/// # Errors
///
/// The [`Rejection`] the module raises for this input.
pub fn decode_call_data(call_data: &[u8]) -> Result<Decoded, Rejection> {
    if call_data.len() < 4 {
        return Err(Rejection::CallDataTooShort(call_data.len()));
    }
    let selector = Selector::from_slice(&call_data[..4]);
    if selector != EXECUTE {
        return Ok(Decoded::Direct { selector });
    }
    let args = &call_data[4..];
    if args.len() < 96 {
        return Err(Rejection::NonCanonicalCallData);
    }
    let mode = B256::from_slice(&args[..32]);
    let call_type = match mode[0] {
        0 => CallType::Single,
        1 => CallType::Batch,
        other => return Err(Rejection::UnsupportedCallType(other)),
    };
    let exec_type = match mode[1] {
        0 => ExecType::Default,
        1 => ExecType::Try,
        other => return Err(Rejection::UnsupportedExecType(other)),
    };
    if mode[2..].iter().any(|b| *b != 0) {
        return Err(Rejection::ModeNotDefault(mode));
    }
    let execution = read_bytes_arg(args, 32).ok_or(Rejection::NonCanonicalCallData)?;
    let mut canonical = Vec::with_capacity(args.len());
    canonical.extend_from_slice(&args[..32]);
    canonical.extend_from_slice(&encode_bytes_tail(64, execution));
    if canonical != args {
        return Err(Rejection::NonCanonicalCallData);
    }
    let calls = match call_type {
        CallType::Single => vec![decode_single(execution)?],
        CallType::Batch => decode_batch(execution)?,
    };
    Ok(Decoded::Execute {
        call_type,
        exec_type,
        calls,
    })
}

/// `target (20) ‖ value (32) ‖ data`.
fn decode_single(execution: &[u8]) -> Result<Call, Rejection> {
    if execution.len() < 52 {
        return Err(Rejection::NonCanonicalCallData);
    }
    let call = Call {
        target: Address::from_slice(&execution[..20]),
        value: U256::from_be_slice(&execution[20..52]),
        data: execution[52..].to_vec(),
    };
    check_selector_length(&call, 0)?;
    Ok(call)
}

/// `abi.encode(Execution[])`, element by element: each element read by following its offset,
/// re-encoded, and compared with the bytes where the canonical encoding puts it.
fn decode_batch(execution: &[u8]) -> Result<Vec<Call>, Rejection> {
    if execution.len() < 64 || word(execution, 0) != Some(U256::from(32)) {
        return Err(Rejection::NonCanonicalCallData);
    }
    let count = word(execution, 32).ok_or(Rejection::NonCanonicalCallData)?;
    if count.is_zero() {
        return Err(Rejection::EmptyBatch);
    }
    if count > U256::from(MAX_BATCH_CALLS) {
        return Err(Rejection::BatchTooLarge(count));
    }
    let count = count.to::<usize>();
    let array = &execution[64..];
    if array.len() < 32 * count {
        return Err(Rejection::NonCanonicalCallData);
    }
    let mut calls = Vec::with_capacity(count);
    let mut canonical_offset = 32 * count;
    for index in 0..count {
        let offset = word(array, 32 * index).ok_or(Rejection::NonCanonicalCallData)?;
        let call = read_execution(array, offset).ok_or(Rejection::NonCanonicalCallData)?;
        let encoded = encode_execution(&call);
        if offset != U256::from(canonical_offset)
            || array.get(canonical_offset..canonical_offset + encoded.len()) != Some(&encoded[..])
        {
            return Err(Rejection::NonCanonicalCallData);
        }
        check_selector_length(&call, index)?;
        canonical_offset += encoded.len();
        calls.push(call);
    }
    if array.len() != canonical_offset {
        return Err(Rejection::NonCanonicalCallData);
    }
    Ok(calls)
}

fn check_selector_length(call: &Call, index: usize) -> Result<(), Rejection> {
    if (1..4).contains(&call.data.len()) {
        return Err(Rejection::CallDataWithoutSelector(index));
    }
    Ok(())
}

/// Reads `(address, uint256, bytes)` at `offset` in `area`, leniently (address truncated to
/// its low 20 bytes, data offset followed): what an `abi.decode` would see, or `None` when a
/// read leaves `area`.
fn read_execution(area: &[u8], offset: U256) -> Option<Call> {
    let start = usize::try_from(offset).ok()?;
    let element = area.get(start..)?;
    let target_word = word(element, 0)?;
    let value = word(element, 32)?;
    let data = read_bytes_arg(element, 64)?;
    Some(Call {
        target: Address::from_word(B256::from(target_word)),
        value,
        data: data.to_vec(),
    })
}

/// Reads a `bytes` argument whose offset word sits at `head` of `area` (offset relative to
/// `area`), or `None` when out of bounds.
fn read_bytes_arg(area: &[u8], head: usize) -> Option<&[u8]> {
    let offset = usize::try_from(word(area, head)?).ok()?;
    let length = usize::try_from(word(area, offset)?).ok()?;
    let start = offset.checked_add(32)?;
    area.get(start..start.checked_add(length)?)
}

/// The 32-byte word at `at`, or `None` when out of bounds.
fn word(area: &[u8], at: usize) -> Option<U256> {
    area.get(at..at.checked_add(32)?).map(U256::from_be_slice)
}

/// `offset ‖ length ‖ data ‖ zero padding` of a `bytes` argument placed right after a head of
/// `head_size` bytes.
fn encode_bytes_tail(head_size: usize, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + data.len() + 31);
    out.extend_from_slice(&U256::from(head_size).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(data.len()).to_be_bytes::<32>());
    out.extend_from_slice(data);
    out.resize(out.len() + padding(data.len()), 0);
    out
}

/// The canonical encoding of one `Execution` tuple (its own area, offsets relative to it).
pub fn encode_execution(call: &Call) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + call.data.len() + 31);
    out.extend_from_slice(&B256::left_padding_from(call.target.as_slice()).0);
    out.extend_from_slice(&call.value.to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(96).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(call.data.len()).to_be_bytes::<32>());
    out.extend_from_slice(&call.data);
    out.resize(out.len() + padding(call.data.len()), 0);
    out
}

fn padding(length: usize) -> usize {
    (32 - length % 32) % 32
}

/// The canonical `execute(mode, executionCalldata)` call data for `calls` (a single call type
/// uses the first call only).
pub fn encode_execute(call_type: CallType, exec_type: ExecType, calls: &[Call]) -> Vec<u8> {
    let mut mode = [0u8; 32];
    mode[0] = match call_type {
        CallType::Single => 0,
        CallType::Batch => 1,
    };
    mode[1] = match exec_type {
        ExecType::Default => 0,
        ExecType::Try => 1,
    };
    let execution = match call_type {
        CallType::Single => {
            let call = &calls[0];
            let mut out = call.target.to_vec();
            out.extend_from_slice(&call.value.to_be_bytes::<32>());
            out.extend_from_slice(&call.data);
            out
        }
        CallType::Batch => encode_batch(calls),
    };
    let mut out = EXECUTE.to_vec();
    out.extend_from_slice(&mode);
    out.extend_from_slice(&encode_bytes_tail(64, &execution));
    out
}

/// The canonical `abi.encode(Execution[])` of `calls`.
pub fn encode_batch(calls: &[Call]) -> Vec<u8> {
    let elements: Vec<Vec<u8>> = calls.iter().map(encode_execution).collect();
    let mut out = U256::from(32).to_be_bytes::<32>().to_vec();
    out.extend_from_slice(&U256::from(calls.len()).to_be_bytes::<32>());
    let mut offset = 32 * calls.len();
    for element in &elements {
        out.extend_from_slice(&U256::from(offset).to_be_bytes::<32>());
        offset += element.len();
    }
    for element in &elements {
        out.extend_from_slice(element);
    }
    out
}
