//! Shared set-up for the harness tests (included by each test file with `mod common;`).

#![allow(dead_code, unreachable_pub)]

use alloy::primitives::{Address, U256};
use leash_evm::{Chain, TestAccountHandle};
use leash_userop::{EntryPointVersion, SigningKey};

/// Where `handleOps` fees go in the tests.
pub const BENEFICIARY: Address = Address::repeat_byte(0xbe);

/// A deterministic owner key.
pub fn owner_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a constant non-zero scalar is a valid key")
}

/// A chain with one owner validator, one `TestAccount` for `version` and a `MockERC20` of
/// which the account holds 1000 units.
pub struct World {
    /// The chain.
    pub chain: Chain,
    /// The owner-controlled test account.
    pub account: TestAccountHandle,
    /// A `MockERC20`.
    pub token: Address,
}

/// Builds a [`World`] for `version`.
pub fn world(version: EntryPointVersion) -> World {
    let mut chain = Chain::new().expect("chain with EntryPoints");
    let validator = chain.deploy_owner_validator().expect("owner validator");
    let account = chain
        .deploy_test_account(version, validator, &owner_key(7))
        .expect("test account");
    let token = chain.deploy_mock_erc20().expect("token");
    chain
        .mint(token, account.address, U256::from(1000))
        .expect("mint");
    World {
        chain,
        account,
        token,
    }
}
