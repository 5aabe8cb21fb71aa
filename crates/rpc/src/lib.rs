#![doc = include_str!("../README.md")]

mod bundler;
mod error;
mod node;
mod poll;
mod revert;
mod transport;
mod types;

pub use bundler::{
    BundlerClient, BundlerGasPrice, FeeLevel, UserOperationGasEstimate, UserOperationLookup,
    UserOperationReceipt,
};
pub use error::{JsonRpcError, RpcError};
pub use node::NodeClient;
pub use revert::{decode_revert, revert_data};
pub use transport::{JsonRpcTransport, DEFAULT_REQUEST_TIMEOUT};
pub use types::{BlockHeader, CallRequest, Log, TransactionReceipt};
