//! Turning revert data and EntryPoint logs into something a human (and a test) can read.

use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::{Error as AbiError, JsonAbi},
    primitives::{Address, Bytes, FixedBytes, Log, B256, U256},
    sol_types::{Panic, Revert, SolError, SolEvent},
};
use leash_contracts::bindings::entry_point::IEntryPoint;
use std::{collections::HashMap, fmt};

/// Custom-error ABIs used to render revert data as `Name(field=value, ...)`.
///
/// [`crate::Chain::new`] fills it with both EntryPoints' errors and every contract compiled by
/// `leash-contracts` (the session module included); add more with
/// [`ErrorRegistry::register_abi`].
#[derive(Debug, Clone, Default)]
pub struct ErrorRegistry {
    by_selector: HashMap<FixedBytes<4>, AbiError>,
}

impl ErrorRegistry {
    /// Adds every error of `abi` (the first definition of a selector wins).
    pub fn register_abi(&mut self, abi: &JsonAbi) {
        for error in abi.errors() {
            self.register(error.clone());
        }
    }

    /// Adds one error definition (ignored when its selector is already known).
    pub fn register(&mut self, error: AbiError) {
        self.by_selector.entry(error.selector()).or_insert(error);
    }

    /// `Name(field=value, ...)` when `data` is a known custom error whose arguments decode.
    pub fn render(&self, data: &[u8]) -> Option<String> {
        let selector = FixedBytes::<4>::try_from(data.get(..4)?).ok()?;
        let error = self.by_selector.get(&selector)?;
        let values = error.abi_decode_input(&data[4..]).ok()?;
        let fields: Vec<String> = error
            .inputs
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(index, (param, value))| {
                let name = if param.name.is_empty() {
                    format!("arg{index}")
                } else {
                    param.name.clone()
                };
                format!("{name}={}", render_value(value))
            })
            .collect();
        Some(format!("{}({})", error.name, fields.join(", ")))
    }
}

fn render_value(value: &DynSolValue) -> String {
    if let Some(address) = value.as_address() {
        return address.to_checksum(None);
    }
    if let Some((number, _)) = value.as_uint() {
        return number.to_string();
    }
    if let Some((number, _)) = value.as_int() {
        return number.to_string();
    }
    if let Some(flag) = value.as_bool() {
        return flag.to_string();
    }
    if let Some(text) = value.as_str() {
        return format!("{text:?}");
    }
    if let Some(bytes) = value.as_bytes() {
        return Bytes::copy_from_slice(bytes).to_string();
    }
    if let Some((word, size)) = value.as_fixed_bytes() {
        return Bytes::copy_from_slice(&word[..size]).to_string();
    }
    if let Some(items) = value.as_array().or_else(|| value.as_fixed_array()) {
        let rendered: Vec<String> = items.iter().map(render_value).collect();
        return format!("[{}]", rendered.join(", "));
    }
    if let Some(items) = value.as_tuple() {
        let rendered: Vec<String> = items.iter().map(render_value).collect();
        return format!("({})", rendered.join(", "));
    }
    format!("{value:?}")
}

/// Human-readable form of any revert data: `Error("...")`, `Panic(0x11)`, a registered custom
/// error as `Name(field=value, ...)`, or `None` when nothing matched.
pub fn format_revert_data(data: &[u8], registry: &ErrorRegistry) -> Option<String> {
    if let Ok(revert) = Revert::abi_decode(data) {
        return Some(format!("Error({:?})", revert.reason));
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        return Some(format!("Panic({:#x})", panic.code));
    }
    registry.render(data)
}

/// Why a transaction reverted or halted, decoded as far as the known ABIs allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedRevert {
    /// EntryPoint `FailedOp(opIndex, reason)`: validation of op `op_index` failed (`AAxx ...`).
    FailedOp {
        /// Index of the failing op in the `handleOps` array.
        op_index: U256,
        /// The `AAxx` reason.
        reason: String,
    },
    /// EntryPoint `FailedOpWithRevert`: validation reverted; `inner` is the account's (or
    /// paymaster's) revert data.
    FailedOpWithRevert {
        /// Index of the failing op in the `handleOps` array.
        op_index: U256,
        /// The `AAxx` reason.
        reason: String,
        /// What the account or paymaster reverted with.
        inner: Bytes,
        /// `inner` rendered with [`format_revert_data`], when it matched a known error.
        inner_decoded: Option<String>,
    },
    /// `Error(string)` (Solidity `require`/`revert` with a message).
    Error(String),
    /// `Panic(uint256)` (assert, overflow, ...); the code as a number.
    Panic(u64),
    /// Any other 4-byte selector.
    Custom {
        /// The error selector.
        selector: FixedBytes<4>,
        /// The ABI-encoded arguments (after the selector).
        data: Bytes,
        /// `Name(field=value, ...)` when the selector is registered.
        decoded: Option<String>,
    },
    /// Revert data shorter than a selector (often empty: `revert()`).
    Raw(Bytes),
    /// The EVM halted (out of gas, invalid opcode, ...), not a revert.
    Halted(String),
}

impl DecodedRevert {
    /// Decodes revert `data` with the EntryPoint errors, `Error`, `Panic` and `registry`.
    pub fn decode(data: &[u8], registry: &ErrorRegistry) -> Self {
        if let Ok(failed) = IEntryPoint::FailedOp::abi_decode(data) {
            return Self::FailedOp {
                op_index: failed.opIndex,
                reason: failed.reason,
            };
        }
        if let Ok(failed) = IEntryPoint::FailedOpWithRevert::abi_decode(data) {
            let inner_decoded = format_revert_data(&failed.inner, registry);
            return Self::FailedOpWithRevert {
                op_index: failed.opIndex,
                reason: failed.reason,
                inner: failed.inner,
                inner_decoded,
            };
        }
        if let Ok(revert) = Revert::abi_decode(data) {
            return Self::Error(revert.reason);
        }
        if let Ok(panic) = Panic::abi_decode(data) {
            return Self::Panic(panic.code.saturating_to());
        }
        match data.get(..4) {
            Some(selector) => Self::Custom {
                selector: FixedBytes::from_slice(selector),
                data: Bytes::copy_from_slice(&data[4..]),
                decoded: registry.render(data),
            },
            None => Self::Raw(Bytes::copy_from_slice(data)),
        }
    }

    /// The `AAxx ...` reason of a `FailedOp`/`FailedOpWithRevert`, if this is one.
    pub fn failed_op_reason(&self) -> Option<&str> {
        match self {
            Self::FailedOp { reason, .. } | Self::FailedOpWithRevert { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

impl fmt::Display for DecodedRevert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FailedOp { op_index, reason } => write!(f, "FailedOp({op_index}, {reason:?})"),
            Self::FailedOpWithRevert {
                op_index,
                reason,
                inner,
                inner_decoded,
            } => {
                write!(f, "FailedOpWithRevert({op_index}, {reason:?}, inner: ")?;
                match inner_decoded {
                    Some(decoded) => write!(f, "{decoded})"),
                    None => write!(f, "{inner})"),
                }
            }
            Self::Error(reason) => write!(f, "Error({reason:?})"),
            Self::Panic(code) => write!(f, "Panic({code:#x})"),
            Self::Custom {
                decoded: Some(decoded),
                ..
            } => f.write_str(decoded),
            Self::Custom {
                selector,
                data,
                decoded: None,
            } => {
                write!(f, "unknown custom error {selector}({data})")
            }
            Self::Raw(data) if data.is_empty() => f.write_str("revert without data"),
            Self::Raw(data) => write!(f, "revert data {data}"),
            Self::Halted(reason) => write!(f, "halted: {reason}"),
        }
    }
}

/// A log, decoded when it is one of the EntryPoint events the harness understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedEvent {
    /// `UserOperationEvent`: an op was executed (`success` false when its call reverted).
    UserOperationEvent {
        /// The op's hash.
        user_op_hash: B256,
        /// The account.
        sender: Address,
        /// The paymaster (zero when the account paid).
        paymaster: Address,
        /// The op's nonce.
        nonce: U256,
        /// Whether the execution call succeeded.
        success: bool,
        /// Wei charged.
        actual_gas_cost: U256,
        /// Gas charged for.
        actual_gas_used: U256,
    },
    /// `UserOperationRevertReason`: the op's execution call reverted with `reason`.
    UserOperationRevertReason {
        /// The op's hash.
        user_op_hash: B256,
        /// The account.
        sender: Address,
        /// The op's nonce.
        nonce: U256,
        /// The revert data.
        reason: Bytes,
        /// `reason` rendered with [`format_revert_data`], when it matched a known error.
        reason_decoded: Option<String>,
    },
    /// `AccountDeployed`: the op's `initCode` deployed `sender`.
    AccountDeployed {
        /// The op's hash.
        user_op_hash: B256,
        /// The new account.
        sender: Address,
        /// The factory that deployed it.
        factory: Address,
        /// The op's paymaster (zero when none).
        paymaster: Address,
    },
    /// Any other log.
    Other(Log),
}

impl DecodedEvent {
    /// Decodes `log` when it was emitted by `entry_point`; anything else is [`Self::Other`].
    pub fn decode(log: &Log, entry_point: Address, registry: &ErrorRegistry) -> Self {
        if log.address != entry_point {
            return Self::Other(log.clone());
        }
        if let Ok(event) = IEntryPoint::UserOperationEvent::decode_log_data(&log.data) {
            return Self::UserOperationEvent {
                user_op_hash: event.userOpHash,
                sender: event.sender,
                paymaster: event.paymaster,
                nonce: event.nonce,
                success: event.success,
                actual_gas_cost: event.actualGasCost,
                actual_gas_used: event.actualGasUsed,
            };
        }
        if let Ok(event) = IEntryPoint::UserOperationRevertReason::decode_log_data(&log.data) {
            let reason_decoded = format_revert_data(&event.revertReason, registry);
            return Self::UserOperationRevertReason {
                user_op_hash: event.userOpHash,
                sender: event.sender,
                nonce: event.nonce,
                reason: event.revertReason,
                reason_decoded,
            };
        }
        if let Ok(event) = IEntryPoint::AccountDeployed::decode_log_data(&log.data) {
            return Self::AccountDeployed {
                user_op_hash: event.userOpHash,
                sender: event.sender,
                factory: event.factory,
                paymaster: event.paymaster,
            };
        }
        Self::Other(log.clone())
    }
}

impl fmt::Display for DecodedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UserOperationEvent {
                user_op_hash,
                sender,
                paymaster,
                nonce,
                success,
                actual_gas_cost,
                actual_gas_used,
            } => write!(
                f,
                "UserOperationEvent(userOpHash={user_op_hash}, sender={sender}, \
                 paymaster={paymaster}, nonce={nonce:#x}, success={success}, \
                 actualGasCost={actual_gas_cost}, actualGasUsed={actual_gas_used})"
            ),
            Self::UserOperationRevertReason {
                user_op_hash,
                sender,
                nonce,
                reason,
                reason_decoded,
            } => {
                write!(
                    f,
                    "UserOperationRevertReason(userOpHash={user_op_hash}, sender={sender}, \
                     nonce={nonce:#x}, reason="
                )?;
                match reason_decoded {
                    Some(decoded) => write!(f, "{decoded})"),
                    None => write!(f, "{reason})"),
                }
            }
            Self::AccountDeployed {
                user_op_hash,
                sender,
                factory,
                paymaster,
            } => write!(
                f,
                "AccountDeployed(userOpHash={user_op_hash}, sender={sender}, factory={factory}, \
                 paymaster={paymaster})"
            ),
            Self::Other(log) => write!(
                f,
                "log from {} (topics {}, {} data bytes)",
                log.address,
                log.data.topics().len(),
                log.data.data.len()
            ),
        }
    }
}
