//! Which EntryPoint a user operation is meant for.

use alloy::primitives::{address, Address};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The EntryPoint versions this crate packs and hashes for.
///
/// Both take the same `PackedUserOperation`; they differ in how the userOpHash is computed
/// (v0.7: nested `abi.encode`; v0.8: EIP-712 typed data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryPointVersion {
    /// EntryPoint v0.7.
    #[serde(rename = "v0.7")]
    V07,
    /// EntryPoint v0.8.
    #[serde(rename = "v0.8")]
    V08,
}

/// Canonical address of EntryPoint v0.7 on every chain.
pub const ENTRY_POINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
/// Canonical address of EntryPoint v0.8 on every chain.
pub const ENTRY_POINT_V08: Address = address!("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");

impl EntryPointVersion {
    /// Every supported version, oldest first.
    pub const ALL: [Self; 2] = [Self::V07, Self::V08];

    /// The address this version is deployed at on every chain (deterministic deployment).
    pub fn canonical_address(self) -> Address {
        match self {
            Self::V07 => ENTRY_POINT_V07,
            Self::V08 => ENTRY_POINT_V08,
        }
    }

    /// The version deployed at `address`, if it is one of the canonical addresses.
    pub fn from_canonical_address(address: Address) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|version| version.canonical_address() == address)
    }

    /// The version as written in configuration and on the command line: `v0.7` or `v0.8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V07 => "v0.7",
            Self::V08 => "v0.8",
        }
    }
}

impl fmt::Display for EntryPointVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`EntryPointVersion::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown EntryPoint version `{0}`: expected v0.7 or v0.8")]
pub struct UnknownEntryPointVersion(pub String);

impl FromStr for EntryPointVersion {
    type Err = UnknownEntryPointVersion;

    /// Accepts `v0.7`, `0.7`, `v07`, `07` and the same for 0.8 (case-insensitive).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lowered = text.trim().to_ascii_lowercase();
        let bare = lowered.strip_prefix('v').unwrap_or(&lowered);
        match bare {
            "0.7" | "07" => Ok(Self::V07),
            "0.8" | "08" => Ok(Self::V08),
            _ => Err(UnknownEntryPointVersion(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_addresses_roundtrip() {
        for version in EntryPointVersion::ALL {
            assert_eq!(
                EntryPointVersion::from_canonical_address(version.canonical_address()),
                Some(version)
            );
        }
        assert_eq!(
            EntryPointVersion::from_canonical_address(Address::ZERO),
            None
        );
    }

    #[test]
    fn parses_and_displays() {
        assert_eq!(
            "v0.7".parse::<EntryPointVersion>().unwrap(),
            EntryPointVersion::V07
        );
        assert_eq!(
            "0.8".parse::<EntryPointVersion>().unwrap(),
            EntryPointVersion::V08
        );
        assert_eq!(
            "V08".parse::<EntryPointVersion>().unwrap(),
            EntryPointVersion::V08
        );
        assert!("0.6".parse::<EntryPointVersion>().is_err());
        assert_eq!(EntryPointVersion::V07.to_string(), "v0.7");
        assert_eq!(
            serde_json::to_string(&EntryPointVersion::V08).unwrap(),
            "\"v0.8\""
        );
    }
}
