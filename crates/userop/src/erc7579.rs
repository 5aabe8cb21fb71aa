//! ERC-7579 execution encoding: the `execute(bytes32 mode, bytes executionCalldata)` call an
//! account runs, and the nonce that selects a validator on OpenZeppelin's `AccountERC7579`.

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::sol_types::{SolCall, SolValue};

mod abi {
    alloy::sol! {
        struct Execution {
            address target;
            uint256 value;
            bytes callData;
        }

        function execute(bytes32 mode, bytes executionCalldata);
    }
}

/// Selector of `execute(bytes32,bytes)`.
pub const EXECUTE_SELECTOR: [u8; 4] = abi::executeCall::SELECTOR;

/// One call of a batch: `tuple(address target, uint256 value, bytes callData)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Execution {
    /// The called contract or account.
    pub target: Address,
    /// Native value sent with the call, in wei.
    pub value: U256,
    /// Call data of the call.
    pub call_data: Bytes,
}

impl Execution {
    /// A call of `target` with `value` and `call_data`.
    pub fn new(target: Address, value: U256, call_data: impl Into<Bytes>) -> Self {
        Self {
            target,
            value,
            call_data: call_data.into(),
        }
    }
}

/// Byte 0 of the mode: how the account calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CallType {
    /// One `call`; execution calldata is `abi.encodePacked(target, value, callData)`.
    Single = 0x00,
    /// Several `call`s; execution calldata is `abi.encode(Execution[])`.
    Batch = 0x01,
    /// One `delegatecall`; execution calldata is `abi.encodePacked(target, callData)`.
    DelegateCall = 0xff,
}

/// Byte 1 of the mode: what a failing call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExecType {
    /// A failing call reverts the whole execution.
    Default = 0x00,
    /// A failing call is reported in an event and execution continues.
    Try = 0x01,
}

/// The 32-byte mode: call type, exec type, then zeros (4 unused bytes, a zero mode selector
/// and a zero payload).
pub fn encode_mode(call: CallType, exec: ExecType) -> B256 {
    let mut mode = B256::ZERO;
    mode[0] = call as u8;
    mode[1] = exec as u8;
    mode
}

/// Execution calldata of a single call: `abi.encodePacked(target, value, data)`.
pub fn encode_single(target: Address, value: U256, data: impl AsRef<[u8]>) -> Bytes {
    let data = data.as_ref();
    let mut out = Vec::with_capacity(20 + 32 + data.len());
    out.extend_from_slice(target.as_slice());
    out.extend_from_slice(&value.to_be_bytes::<32>());
    out.extend_from_slice(data);
    out.into()
}

/// Execution calldata of a batch: `abi.encode(executions)` as `tuple(address,uint256,bytes)[]`.
pub fn encode_batch(executions: &[Execution]) -> Bytes {
    let encoded: Vec<abi::Execution> = executions
        .iter()
        .map(|execution| abi::Execution {
            target: execution.target,
            value: execution.value,
            callData: execution.call_data.clone(),
        })
        .collect();
    encoded.abi_encode().into()
}

/// The account's call data: `execute(mode, executionCalldata)`.
pub fn execute_call_data(mode: B256, execution_calldata: Bytes) -> Bytes {
    abi::executeCall {
        mode,
        executionCalldata: execution_calldata,
    }
    .abi_encode()
    .into()
}

/// `execute` of one call with the default exec type (a failing call reverts).
pub fn execute_single(target: Address, value: U256, data: impl AsRef<[u8]>) -> Bytes {
    execute_call_data(
        encode_mode(CallType::Single, ExecType::Default),
        encode_single(target, value, data),
    )
}

/// `execute` of a batch with the default exec type (any failing call reverts all).
pub fn execute_batch(executions: &[Execution]) -> Bytes {
    execute_call_data(
        encode_mode(CallType::Batch, ExecType::Default),
        encode_batch(executions),
    )
}

/// The nonce that makes OpenZeppelin's `AccountERC7579` validate with `validator`:
/// `validator(20 bytes) ‖ key(4 bytes) ‖ sequence(8 bytes)`. The EntryPoint sees
/// `validator ‖ key` as the 192-bit nonce key and `sequence` as its sequence number.
pub fn validator_nonce(validator: Address, key: u32, sequence: u64) -> U256 {
    let mut word = [0u8; 32];
    word[..20].copy_from_slice(validator.as_slice());
    word[20..24].copy_from_slice(&key.to_be_bytes());
    word[24..].copy_from_slice(&sequence.to_be_bytes());
    U256::from_be_bytes(word)
}

/// The validator a nonce selects (its first 20 bytes); inverse of [`validator_nonce`].
pub fn nonce_validator(nonce: U256) -> Address {
    Address::from_slice(&nonce.to_be_bytes::<32>()[..20])
}
