//! Compiled artifacts embedded by the build script, parsed once on first use.

use crate::ContractsError;
use alloy::{json_abi::JsonAbi, primitives::Bytes};
use leash_userop::EntryPointVersion;
use serde::Deserialize;
use std::{collections::BTreeMap, sync::OnceLock};

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

/// One compiled contract of `contracts/` or `tests/fixtures/`.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The contract name as written in Solidity (artifacts are keyed by it).
    pub name: &'static str,
    /// Creation code (constructor included, no arguments appended). Empty for interfaces and
    /// abstract contracts.
    pub bytecode: Bytes,
    /// Runtime code as deployed (immutables still zero). Empty for interfaces and abstract
    /// contracts.
    pub deployed_bytecode: Bytes,
    /// The contract's ABI, errors and events included.
    pub abi: JsonAbi,
}

/// The JSON shape the build script writes per contract.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactFile {
    abi: JsonAbi,
    bytecode: Bytes,
    deployed_bytecode: Bytes,
}

type Parsed = Result<BTreeMap<&'static str, Artifact>, ContractsError>;

fn parsed() -> &'static Parsed {
    static PARSED: OnceLock<Parsed> = OnceLock::new();
    PARSED.get_or_init(|| {
        COMPILED
            .iter()
            .map(|&(name, json)| {
                let file: ArtifactFile = serde_json::from_str(json).map_err(|error| {
                    ContractsError::MalformedArtifact {
                        name: name.to_owned(),
                        reason: error.to_string(),
                    }
                })?;
                let artifact = Artifact {
                    name,
                    bytecode: file.bytecode,
                    deployed_bytecode: file.deployed_bytecode,
                    abi: file.abi,
                };
                Ok((name, artifact))
            })
            .collect()
    })
}

/// The compiled contract called `name` (e.g. `"TestAccount"`).
///
/// The error lists every available name, so a typo is easy to fix.
pub fn artifact(name: &str) -> Result<&'static Artifact, ContractsError> {
    let all = parsed().as_ref().map_err(Clone::clone)?;
    all.get(name)
        .ok_or_else(|| ContractsError::UnknownContract {
            name: name.to_owned(),
            available: artifact_names().iter().map(|&n| n.to_owned()).collect(),
        })
}

/// Names of every compiled contract, sorted.
pub fn artifact_names() -> Vec<&'static str> {
    COMPILED.iter().map(|&(name, _)| name).collect()
}

/// The ABI of the npm EntryPoint artifact of `version` (all its functions, events and errors).
///
/// # Panics
///
/// Never in practice: the build script copied the ABI from a JSON file it already parsed.
pub fn entry_point_abi(version: EntryPointVersion) -> &'static JsonAbi {
    static V07: OnceLock<JsonAbi> = OnceLock::new();
    static V08: OnceLock<JsonAbi> = OnceLock::new();
    let (cell, json) = match version {
        EntryPointVersion::V07 => (&V07, ENTRY_POINT_V07_ABI),
        EntryPointVersion::V08 => (&V08, ENTRY_POINT_V08_ABI),
    };
    cell.get_or_init(|| {
        serde_json::from_str(json).expect("the build script embeds the EntryPoint ABI it parsed")
    })
}
