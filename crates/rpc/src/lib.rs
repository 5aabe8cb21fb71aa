#![doc = include_str!("../README.md")]

mod bundler;
mod endpoint;
mod error;
mod from_alloy;
pub mod layers;
mod node;
mod poll;
mod revert;
mod transport;
mod types;

pub use bundler::{
    BundlerApi, BundlerClient, BundlerGasPrice, FeeLevel, UserOperationGasEstimate,
    UserOperationLookup, UserOperationReceipt,
};
pub use endpoint::{
    Endpoint, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT,
};
pub use error::{JsonRpcError, RpcError};
pub use node::NodeClient;
pub use revert::{decode_revert, revert_data};
pub use transport::JsonRpcTransport;
pub use types::{BlockHeader, CallRequest, Log, TransactionReceipt};
