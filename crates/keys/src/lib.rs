#![doc = include_str!("../README.md")]

pub mod audit;
pub mod db;
pub mod enable;
pub mod envelope;
mod fsutil;
pub mod keystore;
pub mod password;
pub mod permissions;
pub mod registry;
pub mod store;

pub use password::PasswordSource;
pub use permissions::SessionSpec;
pub use registry::{Filter, SessionRecord, Status};
pub use store::{CreateRequest, Error, Rotation, SignedOp, Store};
