//! The session module's custom errors, decoded with its compiled ABI.

use std::fmt;

use alloy::dyn_abi::{DynSolValue, JsonAbiExt};
use alloy::primitives::{B256, U256};

/// The name of the module's artifact.
pub(crate) const MODULE_ARTIFACT: &str = "SessionKeyValidator";

/// One custom error of the module with its named arguments.
#[derive(Clone, Debug)]
pub(crate) struct ModuleError {
    /// The error's name, e.g. `TokenAllowanceExceeded`.
    pub(crate) name: String,
    /// `(parameter name, value)` in ABI order.
    pub(crate) fields: Vec<(String, DynSolValue)>,
}

impl ModuleError {
    /// Decodes `data` (selector + arguments) when it is one of the module's errors.
    pub(crate) fn decode(data: &[u8]) -> Option<Self> {
        let selector = data.get(..4)?;
        let abi = &leash_contracts::artifact(MODULE_ARTIFACT).ok()?.abi;
        let error = abi
            .errors()
            .find(|error| error.selector().as_slice() == selector)?;
        let values = error.abi_decode_input(&data[4..]).ok()?;
        Some(Self {
            name: error.name.clone(),
            fields: error
                .inputs
                .iter()
                .map(|param| param.name.clone())
                .zip(values)
                .collect(),
        })
    }

    /// The unsigned-integer argument `name`.
    pub(crate) fn uint(&self, name: &str) -> Option<U256> {
        self.field(name)?.as_uint().map(|(value, _)| value)
    }

    /// The `bytes32` argument `name`.
    pub(crate) fn word(&self, name: &str) -> Option<B256> {
        let (word, size) = self.field(name)?.as_fixed_bytes()?;
        (size == 32).then(|| B256::from_slice(word))
    }

    fn field(&self, name: &str) -> Option<&DynSolValue> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(name, value)| format!("{name}={}", render(value)))
            .collect();
        write!(f, "{}({})", self.name, fields.join(", "))
    }
}

fn render(value: &DynSolValue) -> String {
    if let Some(address) = value.as_address() {
        return address.to_checksum(None);
    }
    if let Some((number, _)) = value.as_uint() {
        return number.to_string();
    }
    if let Some((word, size)) = value.as_fixed_bytes() {
        return format!("0x{}", alloy::hex::encode(&word[..size]));
    }
    if let Some(flag) = value.as_bool() {
        return flag.to_string();
    }
    format!("{value:?}")
}
