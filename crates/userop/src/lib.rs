#![doc = include_str!("../README.md")]

pub mod account;
mod builder;
pub mod eip7702;
pub mod erc7579;
mod error;
pub mod hash;
mod packed;
pub mod rpc;
mod signing;
mod user_operation;
mod version;

pub use builder::UserOperationBuilder;
pub use error::UserOpError;
pub use hash::{
    eip712_domain_separator_v08, is_eip7702_init_code, user_op_hash_v07, user_op_hash_v08,
    user_op_hash_v08_with_eip7702_delegate, EIP7702_INIT_CODE_MARKER,
};
pub use packed::{pack_u128_pair, unpack_u128_pair, PackedUserOperation};
pub use rpc::{RpcEip7702Auth, RpcUserOperation};
pub use signing::{address_of, address_of_verifying_key, recover_signer, sign_hash, SIGNATURE_LEN};
pub use user_operation::UserOperation;
pub use version::{EntryPointVersion, UnknownEntryPointVersion, ENTRY_POINT_V07, ENTRY_POINT_V08};

/// The secp256k1 signing key type taken by [`sign_hash`] and [`UserOperation::sign_with`].
pub use k256::ecdsa::SigningKey;
