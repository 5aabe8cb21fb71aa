//! The session a grant is made of: the model's own domain type for `Session` in
//! `contracts/session/SessionTypes.sol`, written independently of the contract as the rest of the
//! model is. It never becomes ABI bytes by itself: leash-audit converts it to the binding
//! generated from the module's compiled ABI (`leash_contracts::bindings::session::Session`).

use alloy_primitives::{address, Address, FixedBytes, U256};

/// Sentinel asset that stands for the native token in periodic allowances.
pub const NATIVE_ASSET: Address = address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
/// `CallGrant::flags` bit: the grant matches any target.
pub const GRANT_ANY_TARGET: u8 = 0x01;
/// `CallGrant::flags` bit: the grant matches any selector.
pub const GRANT_ANY_SELECTOR: u8 = 0x02;

/// A 4-byte function selector.
pub type Selector = FixedBytes<4>;

/// `call(target, selector)`, optionally with ANY target and/or ANY selector.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallGrant {
    /// The target (ignored with [`GRANT_ANY_TARGET`]).
    pub target: Address,
    /// The selector (ignored with [`GRANT_ANY_SELECTOR`]).
    pub selector: Selector,
    /// [`GRANT_ANY_TARGET`] | [`GRANT_ANY_SELECTOR`].
    pub flags: u8,
}

impl CallGrant {
    /// True when the grant matches any target.
    pub fn any_target(&self) -> bool {
        self.flags & GRANT_ANY_TARGET != 0
    }

    /// True when the grant matches any selector.
    pub fn any_selector(&self) -> bool {
        self.flags & GRANT_ANY_SELECTOR != 0
    }
}

/// `erc20-allowance(token, amount)`: cumulative over the session's life.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenAllowance {
    /// The ERC-20 token.
    pub token: Address,
    /// The lifetime amount.
    pub amount: U256,
}

/// `periodic-allowance(asset, amount)` per period of the session's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodicAllowance {
    /// An ERC-20 token, or [`NATIVE_ASSET`].
    pub asset: Address,
    /// The amount per period.
    pub amount: U256,
}

/// Everything a session is granted (field for field the Solidity `Session`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Session {
    /// The session key's address.
    pub signer: Address,
    /// First valid second (inclusive, EntryPoint semantics).
    pub valid_after: u64,
    /// Last valid second; 0 = no expiry.
    pub valid_until: u64,
    /// Use limit; 0 = unlimited.
    pub max_uses: u32,
    /// Every call allowed; spending rules still apply.
    pub root: bool,
    /// Period length in seconds; 0 = no periodic schedule.
    pub period: u64,
    /// Start of period 0.
    pub period_start: u64,
    /// Ops per period; 0 = no rate limit.
    pub rate_limit: u32,
    /// Lifetime native value; 0 = no native value at all.
    pub native_allowance: U256,
    /// Lifetime maximum fee of unsponsored ops; 0 = no unsponsored op.
    pub fee_budget: U256,
    /// Lifetime sum of gas limits; 0 = no gas rule.
    pub gas_budget: U256,
    /// `call` grants.
    pub calls: Vec<CallGrant>,
    /// `account-functions` selectors.
    pub account_selectors: Vec<Selector>,
    /// ERC-20 lifetime allowances.
    pub tokens: Vec<TokenAllowance>,
    /// Periodic allowances.
    pub periodic: Vec<PeriodicAllowance>,
    /// Paymasters allowed to sponsor; empty = no sponsored op.
    pub paymasters: Vec<Address>,
    /// Free entropy (distinct ids for identical grants).
    pub salt: [u8; 32],
}

impl Session {
    /// Index of `token` in [`Session::tokens`].
    pub fn token_index(&self, token: Address) -> Option<usize> {
        self.tokens.iter().position(|t| t.token == token)
    }

    /// Index of `asset` in [`Session::periodic`].
    pub fn periodic_index(&self, asset: Address) -> Option<usize> {
        self.periodic.iter().position(|p| p.asset == asset)
    }

    /// True when at least one ERC-20 token has an allowance (lifetime or periodic).
    pub fn limits_any_token(&self) -> bool {
        !self.tokens.is_empty() || self.periodic.iter().any(|p| p.asset != NATIVE_ASSET)
    }
}
