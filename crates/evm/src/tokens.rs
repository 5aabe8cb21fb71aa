//! The `MockERC20` fixture: deploy, mint, read balances.

use crate::{accounts::DEPLOYER, Chain, EvmError};
use alloy::{
    primitives::{Address, U256},
    sol_types::{SolCall, SolConstructor},
};
use leash_contracts::bindings::mocks::MockERC20;

impl Chain {
    /// Deploys a `MockERC20` ("Mock Token", "MOCK", 18 decimals; anyone can mint).
    ///
    /// # Errors
    ///
    /// As [`Chain::deploy_artifact`].
    pub fn deploy_mock_erc20(&mut self) -> Result<Address, EvmError> {
        let constructor = MockERC20::constructorCall {
            name_: "Mock Token".to_owned(),
            symbol_: "MOCK".to_owned(),
        };
        self.deploy_artifact("MockERC20", &constructor.abi_encode())
    }

    /// Mints `amount` of `token` (a `MockERC20`) to `to`.
    ///
    /// # Errors
    ///
    /// [`EvmError::Reverted`] if `mint` reverts (e.g. `token` is not a `MockERC20`).
    pub fn mint(&mut self, token: Address, to: Address, amount: U256) -> Result<(), EvmError> {
        let data = MockERC20::mintCall { to, amount }.abi_encode();
        self.call(DEPLOYER, token, U256::ZERO, data.into())?
            .into_result(token)?;
        Ok(())
    }

    /// `token.balanceOf(owner)`.
    ///
    /// # Errors
    ///
    /// [`EvmError::Reverted`] or [`EvmError::BadReturnData`] if `token` is not an ERC-20.
    pub fn erc20_balance(&self, token: Address, owner: Address) -> Result<U256, EvmError> {
        self.view_call(
            token,
            &MockERC20::balanceOfCall { account: owner },
            "balanceOf",
        )
    }

    /// `token.allowance(owner, spender)`.
    ///
    /// # Errors
    ///
    /// As [`Chain::erc20_balance`].
    pub fn erc20_allowance(
        &self,
        token: Address,
        owner: Address,
        spender: Address,
    ) -> Result<U256, EvmError> {
        self.view_call(
            token,
            &MockERC20::allowanceCall { owner, spender },
            "allowance",
        )
    }
}
