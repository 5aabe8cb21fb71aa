//! What the module stores: per-account install state and per-session status and counters.

use alloy_primitives::{Address, B256, U256};
use std::collections::{BTreeMap, BTreeSet};

/// A session's status (the values `statusOf` returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Never created in this install generation.
    #[default]
    None,
    /// Ops validate.
    Active,
    /// Ops fail until resumed.
    Paused,
    /// Permanently dead.
    Revoked,
}

impl Status {
    /// The on-chain code: 0 none, 1 active, 2 paused, 3 revoked.
    pub fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Active => 1,
            Self::Paused => 2,
            Self::Revoked => 3,
        }
    }
}

/// Status and every counter of one session in one install generation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionState {
    /// Status.
    pub status: Status,
    /// Ops validated so far.
    pub uses: u32,
    /// Native value charged over the session's life.
    pub native_spent: U256,
    /// Fees charged over the session's life.
    pub fee_spent: U256,
    /// Gas units charged (only when the session has a gas budget).
    pub gas_spent: U256,
    /// Amount charged per token of `Session::tokens`.
    pub token_spent: BTreeMap<Address, U256>,
    /// Amount charged per (periodic asset, period index).
    pub periodic_spent: BTreeMap<(Address, u32), U256>,
    /// Ops counted per period index (only when the session has a rate limit).
    pub rate_count: BTreeMap<u32, u32>,
}

impl SessionState {
    /// A freshly created session.
    pub fn created() -> Self {
        Self {
            status: Status::Active,
            ..Self::default()
        }
    }

    /// Spent amount of `token`.
    pub fn token(&self, token: Address) -> U256 {
        self.token_spent.get(&token).copied().unwrap_or_default()
    }

    /// Spent amount of `asset` in `period`.
    pub fn periodic(&self, asset: Address, period: u32) -> U256 {
        self.periodic_spent
            .get(&(asset, period))
            .copied()
            .unwrap_or_default()
    }

    /// Ops counted in `period`.
    pub fn rate(&self, period: u32) -> u32 {
        self.rate_count.get(&period).copied().unwrap_or_default()
    }

    /// True when no counter of `self` is below the same counter of `earlier` (MONOTONE).
    pub fn dominates(&self, earlier: &Self) -> bool {
        self.uses >= earlier.uses
            && self.native_spent >= earlier.native_spent
            && self.fee_spent >= earlier.fee_spent
            && self.gas_spent >= earlier.gas_spent
            && earlier
                .token_spent
                .iter()
                .all(|(k, v)| self.token(*k) >= *v)
            && earlier
                .periodic_spent
                .iter()
                .all(|((a, p), v)| self.periodic(*a, *p) >= *v)
            && earlier.rate_count.iter().all(|(p, v)| self.rate(*p) >= *v)
    }
}

/// The module's storage for one account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountState {
    /// Whether the module is installed.
    pub installed: bool,
    /// Install generation: how many times the module was uninstalled (the module's
    /// `installGeneration`). An enable grant's nonce names it in its top 32 bits; the audit also
    /// uses it to group what it observes.
    pub epoch: u32,
    /// Revoked ids (permanent: by the account, or by an uninstall).
    pub revoked: BTreeSet<B256>,
    /// Session records and counters per id (never deleted: an id is created at most once).
    pub records: BTreeMap<B256, SessionState>,
    /// Used or invalidated enable nonces.
    pub used_nonces: BTreeSet<U256>,
}

impl AccountState {
    /// The session's record (default: status none, no counters).
    pub fn session(&self, id: B256) -> SessionState {
        self.records.get(&id).cloned().unwrap_or_default()
    }

    /// The status `statusOf(account, id)` reports.
    pub fn status(&self, id: B256) -> Status {
        if self.revoked.contains(&id) {
            return Status::Revoked;
        }
        if !self.installed {
            return Status::None;
        }
        self.session(id).status
    }

    /// Stores the record of `id`.
    pub fn set_session(&mut self, id: B256, state: SessionState) {
        self.records.insert(id, state);
    }

    /// How many sessions are live (active or paused).
    pub fn live_count(&self) -> usize {
        self.records
            .values()
            .filter(|s| matches!(s.status, Status::Active | Status::Paused))
            .count()
    }
}
