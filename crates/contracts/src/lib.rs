#![doc = include_str!("../README.md")]

mod artifacts;
pub mod bindings;
mod deployment;
mod error;

pub use artifacts::{artifact, artifact_names, entry_point_abi, Artifact};
pub use deployment::{
    deterministic_deployer_runtime, entry_point_creation_code, entry_point_salt,
    DETERMINISTIC_DEPLOYER,
};
pub use error::ContractsError;
