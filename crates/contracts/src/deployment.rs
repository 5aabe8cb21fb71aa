//! What it takes to deploy the canonical EntryPoints: the deterministic-deployment proxy, the
//! npm creation code and the salts that land each version on its canonical address.

use alloy::primitives::{address, b256, bytes, Address, Bytes, B256};
use leash_userop::EntryPointVersion;

/// The deterministic-deployment proxy (Arachnid's CREATE2 factory) present on most chains.
/// Sent `salt(32) ‖ initCode`, it CREATE2-deploys `initCode` and returns the new address.
pub const DETERMINISTIC_DEPLOYER: Address = address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");

/// Runtime code of [`DETERMINISTIC_DEPLOYER`], for chains that lack it.
pub fn deterministic_deployer_runtime() -> Bytes {
    bytes!(
        "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
    )
}

/// Creation code of the EntryPoint `version` exactly as published on npm
/// (`@account-abstraction/contracts` `artifacts/EntryPoint.json` `bytecode`).
pub fn entry_point_creation_code(version: EntryPointVersion) -> Bytes {
    let code = match version {
        EntryPointVersion::V07 => crate::artifacts::ENTRY_POINT_V07_CREATION,
        EntryPointVersion::V08 => crate::artifacts::ENTRY_POINT_V08_CREATION,
    };
    Bytes::from_static(code)
}

/// The CREATE2 salt that, with [`entry_point_creation_code`] sent through
/// [`DETERMINISTIC_DEPLOYER`], yields `version.canonical_address()`.
pub fn entry_point_salt(version: EntryPointVersion) -> B256 {
    match version {
        EntryPointVersion::V07 => {
            b256!("0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3")
        }
        EntryPointVersion::V08 => {
            b256!("0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_and_creation_code_give_the_canonical_addresses() {
        for version in EntryPointVersion::ALL {
            let init_code_hash = alloy::primitives::keccak256(entry_point_creation_code(version));
            let predicted =
                DETERMINISTIC_DEPLOYER.create2(entry_point_salt(version), init_code_hash);
            assert_eq!(predicted, version.canonical_address(), "{version}");
        }
    }
}
