//! `sol!` bindings for the contracts the Rust side calls.
//!
//! leash's own contracts and fixtures are generated from their compiled ABIs, committed in
//! `crates/contracts/abi/` (`sol!` needs a file that exists before the build script runs);
//! `tests/abi_fresh.rs` fails when one of those files differs from the freshly compiled
//! contract and names the command that rewrites them. The contract is then the one definition of
//! every type and signature here. Only the interfaces of outside standards are written out
//! (`IEntryPoint`, `IERC7579Account`), each checked against a real ABI by `tests/bindings.rs`.
//! The bytecode these bindings talk to comes from [`crate::artifact`] and
//! [`crate::entry_point_creation_code`].

pub mod account;
pub mod entry_point;
pub mod mocks;
pub mod session;
