//! Hand-written `sol!` bindings for the contracts the Rust side calls.
//!
//! Each interface is written here once, in Solidity syntax, so the calldata the crates build is
//! checked by the compiler against one definition. The bytecode these bindings talk to comes
//! from [`crate::artifact`] and [`crate::entry_point_creation_code`].

pub mod account;
pub mod entry_point;
pub mod mocks;
pub mod session;
