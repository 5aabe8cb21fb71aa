//! Shared helpers for the raw-revm tests.

pub(crate) mod asm;
pub(crate) mod world;
