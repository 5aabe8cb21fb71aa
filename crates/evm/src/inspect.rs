//! The one place where revm types leave this crate: what an [`Inspector`] passed to
//! [`crate::Chain::handle_ops_with_inspector`] is generic over.
//!
//! An inspector written against [`ChainContext`] sees every opcode (`step`), call and create
//! of the `handleOps` transaction. Everything else in the harness hides revm.
//!
//! The whole [`revm`] crate is re-exported here so that an inspector is written against the
//! exact revm version the harness runs (its API changes with every major release).

pub use revm;
pub use revm::{
    context_interface::ContextTr,
    interpreter::{interpreter_types, Interpreter},
    Inspector,
};

/// The in-memory state database of a [`crate::Chain`].
pub type ChainDb = revm::database::CacheDB<revm::database::EmptyDB>;

/// The execution context an inspector of a [`crate::Chain`] transaction receives.
pub type ChainContext = revm::handler::MainnetContext<ChainDb>;
