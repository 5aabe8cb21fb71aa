//! Rules 12 and 13: install, uninstall, create, pause, resume, revoke, enable nonces.

use crate::{
    AccountState, Session, SessionState, Status, GRANT_ANY_SELECTOR, GRANT_ANY_TARGET, NATIVE_ASSET,
};
use alloy_primitives::{B256, U256};

/// Caps checked when a session is created.
pub const MAX_CALL_GRANTS: usize = 16;
/// Cap on `accountSelectors`.
pub const MAX_ACCOUNT_SELECTORS: usize = 8;
/// Cap on `tokens`.
pub const MAX_TOKENS: usize = 8;
/// Cap on `periodic`.
pub const MAX_PERIODIC: usize = 8;
/// Cap on `paymasters`.
pub const MAX_PAYMASTERS: usize = 4;
/// Most live (active or paused) sessions of one account.
pub const MAX_LIVE_SESSIONS: usize = 64;
/// Largest fee budget (wei): the module keeps the fee spent in an 80-bit field of the session record.
pub const MAX_FEE_BUDGET: u128 = (1u128 << 80) - 1;

/// Why a lifecycle call reverts (the module's custom error of the same name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// The module is not installed.
    #[error("NotInitialized")]
    NotInitialized,
    /// `onInstall` while installed.
    #[error("AlreadyInitialized")]
    AlreadyInitialized,
    /// No live session with that id.
    #[error("SessionNotFound")]
    SessionNotFound,
    /// Already paused (pause) .
    #[error("SessionIsPaused")]
    SessionIsPaused,
    /// Revoked id.
    #[error("SessionIsRevoked")]
    SessionIsRevoked,
    /// Resume of a session that is not paused.
    #[error("SessionNotPaused")]
    SessionNotPaused,
    /// Create of a live id.
    #[error("SessionAlreadyExists")]
    SessionAlreadyExists,
    /// The account already holds `MAX_LIVE_SESSIONS` live sessions.
    #[error("TooManyLiveSessions")]
    TooManyLiveSessions,
    /// Enable nonce already used or invalidated.
    #[error("EnableNonceUsed")]
    EnableNonceUsed,
    /// The account's ERC-1271 rejected the enable grant.
    #[error("EnableSignatureInvalid")]
    EnableSignatureInvalid,
    /// The enable nonce names another install generation (its top 32 bits) than the current one.
    #[error("EnableGrantStale({grant_generation}, {generation})")]
    EnableGrantStale {
        /// The generation the grant's nonce names.
        grant_generation: U256,
        /// The account's current install generation.
        generation: u32,
    },
    /// Session key zero.
    #[error("SessionSignerZero")]
    SessionSignerZero,
    /// `validAfter > validUntil != 0`, or a time above 2^47-1.
    #[error("SessionWindowInvalid")]
    SessionWindowInvalid,
    /// A list over its cap (field: 0 calls, 1 selectors, 2 tokens, 3 periodic, 4 paymasters).
    #[error("SessionListTooLong({0})")]
    SessionListTooLong(u8),
    /// An amount over 2^128-1.
    #[error("SessionAmountTooLarge")]
    SessionAmountTooLarge,
    /// Duplicate asset, or the native sentinel among tokens.
    #[error("SessionAssetInvalid")]
    SessionAssetInvalid,
    /// Periodic allowance or rate limit without a period.
    #[error("SessionPeriodRequired")]
    SessionPeriodRequired,
    /// Unknown grant flag bits.
    #[error("SessionGrantFlagsInvalid")]
    SessionGrantFlagsInvalid,
    /// Packed bytes (carried by an enable grant) that are not the canonical packing of any
    /// session: a flag bit above bit 4, a carried budget or salt word equal to zero.
    #[error("SessionEncodingNotCanonical")]
    SessionEncodingNotCanonical,
}

impl AdminError {
    /// The Solidity error's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotInitialized => "NotInitialized",
            Self::AlreadyInitialized => "AlreadyInitialized",
            Self::SessionNotFound => "SessionNotFound",
            Self::SessionIsPaused => "SessionIsPaused",
            Self::SessionIsRevoked => "SessionIsRevoked",
            Self::SessionNotPaused => "SessionNotPaused",
            Self::SessionAlreadyExists => "SessionAlreadyExists",
            Self::TooManyLiveSessions => "TooManyLiveSessions",
            Self::EnableNonceUsed => "EnableNonceUsed",
            Self::EnableSignatureInvalid => "EnableSignatureInvalid",
            Self::EnableGrantStale { .. } => "EnableGrantStale",
            Self::SessionSignerZero => "SessionSignerZero",
            Self::SessionWindowInvalid => "SessionWindowInvalid",
            Self::SessionListTooLong(_) => "SessionListTooLong",
            Self::SessionAmountTooLarge => "SessionAmountTooLarge",
            Self::SessionAssetInvalid => "SessionAssetInvalid",
            Self::SessionPeriodRequired => "SessionPeriodRequired",
            Self::SessionGrantFlagsInvalid => "SessionGrantFlagsInvalid",
            Self::SessionEncodingNotCanonical => "SessionEncodingNotCanonical",
        }
    }
}

/// Checks a session against the documented format and caps.
///
/// # Errors
///
/// The first violated rule, in the module's order.
pub fn check_format(session: &Session) -> Result<(), AdminError> {
    if session.signer.is_zero() {
        return Err(AdminError::SessionSignerZero);
    }
    if (session.valid_until != 0 && session.valid_after > session.valid_until)
        || (session.valid_after | session.valid_until) > crate::window::MAX_TIME
    {
        return Err(AdminError::SessionWindowInvalid);
    }
    if session.period == 0 && (!session.periodic.is_empty() || session.rate_limit != 0) {
        return Err(AdminError::SessionPeriodRequired);
    }
    let lists = [
        session.calls.len() <= MAX_CALL_GRANTS,
        session.account_selectors.len() <= MAX_ACCOUNT_SELECTORS,
        session.tokens.len() <= MAX_TOKENS,
        session.periodic.len() <= MAX_PERIODIC,
        session.paymasters.len() <= MAX_PAYMASTERS,
    ];
    if let Some(field) = lists.iter().position(|ok| !ok) {
        return Err(AdminError::SessionListTooLong(field as u8));
    }
    let cap = U256::from(u128::MAX);
    if [
        session.native_allowance,
        session.fee_budget,
        session.gas_budget,
    ]
    .iter()
    .any(|a| *a > cap)
        || session.fee_budget > U256::from(MAX_FEE_BUDGET)
    {
        return Err(AdminError::SessionAmountTooLarge);
    }
    if session
        .calls
        .iter()
        .any(|g| g.flags & !(GRANT_ANY_TARGET | GRANT_ANY_SELECTOR) != 0)
    {
        return Err(AdminError::SessionGrantFlagsInvalid);
    }
    for (i, t) in session.tokens.iter().enumerate() {
        if t.amount > cap {
            return Err(AdminError::SessionAmountTooLarge);
        }
        if t.token == NATIVE_ASSET || session.tokens[..i].iter().any(|o| o.token == t.token) {
            return Err(AdminError::SessionAssetInvalid);
        }
    }
    for (i, p) in session.periodic.iter().enumerate() {
        if p.amount > cap {
            return Err(AdminError::SessionAmountTooLarge);
        }
        if session.periodic[..i].iter().any(|o| o.asset == p.asset) {
            return Err(AdminError::SessionAssetInvalid);
        }
    }
    Ok(())
}

impl AccountState {
    /// `onInstall("")`.
    ///
    /// # Errors
    ///
    /// `AlreadyInitialized`.
    pub fn install(&mut self) -> Result<(), AdminError> {
        if self.installed {
            return Err(AdminError::AlreadyInitialized);
        }
        self.installed = true;
        Ok(())
    }

    /// `onUninstall`: every live session is revoked for ever (its counters can never come
    /// back). Never fails.
    pub fn uninstall(&mut self) {
        for (id, state) in self.records.iter_mut() {
            if matches!(state.status, Status::Active | Status::Paused) {
                state.status = Status::Revoked;
                self.revoked.insert(*id);
            }
        }
        self.epoch += 1;
        self.installed = false;
    }

    fn require_installed(&self) -> Result<(), AdminError> {
        if self.installed {
            Ok(())
        } else {
            Err(AdminError::NotInitialized)
        }
    }

    /// Creates a record for `id` (shared by `grantSession` and enable grants) from packed bytes
    /// that decode to `session` and are its canonical packing iff `canonical` (the module packs
    /// a session it is given itself, so only an enable grant can carry non-canonical bytes).
    pub(crate) fn create_record(
        &mut self,
        id: B256,
        session: &Session,
        canonical: bool,
    ) -> Result<(), AdminError> {
        if self.revoked.contains(&id) {
            return Err(AdminError::SessionIsRevoked);
        }
        if self.session(id).status != Status::None {
            return Err(AdminError::SessionAlreadyExists);
        }
        if !canonical {
            return Err(AdminError::SessionEncodingNotCanonical);
        }
        check_format(session)?;
        if self.live_count() >= MAX_LIVE_SESSIONS {
            return Err(AdminError::TooManyLiveSessions);
        }
        self.set_session(id, SessionState::created());
        Ok(())
    }

    /// `grantSession(session)` where `id = keccak256(pack(session))`.
    ///
    /// # Errors
    ///
    /// `NotInitialized`, `SessionIsRevoked`, `SessionAlreadyExists` or a format error.
    pub fn create(&mut self, id: B256, session: &Session) -> Result<(), AdminError> {
        self.require_installed()?;
        self.create_record(id, session, true)
    }

    fn live(&self, id: B256) -> Result<SessionState, AdminError> {
        self.require_installed()?;
        let state = self.session(id);
        match state.status {
            Status::None => Err(AdminError::SessionNotFound),
            Status::Revoked => Err(AdminError::SessionIsRevoked),
            Status::Active | Status::Paused => Ok(state),
        }
    }

    /// `pauseSession(id)`.
    ///
    /// # Errors
    ///
    /// `NotInitialized`, `SessionNotFound`, `SessionIsRevoked`, `SessionIsPaused`.
    pub fn pause(&mut self, id: B256) -> Result<(), AdminError> {
        let mut state = self.live(id)?;
        if state.status == Status::Paused {
            return Err(AdminError::SessionIsPaused);
        }
        state.status = Status::Paused;
        self.set_session(id, state);
        Ok(())
    }

    /// `resumeSession(id)`.
    ///
    /// # Errors
    ///
    /// `NotInitialized`, `SessionNotFound`, `SessionIsRevoked`, `SessionNotPaused`.
    pub fn resume(&mut self, id: B256) -> Result<(), AdminError> {
        let mut state = self.live(id)?;
        if state.status != Status::Paused {
            return Err(AdminError::SessionNotPaused);
        }
        state.status = Status::Active;
        self.set_session(id, state);
        Ok(())
    }

    /// `revokeSession(id)`: permanent, also for an id never created.
    ///
    /// # Errors
    ///
    /// `NotInitialized`, `SessionIsRevoked` (already revoked).
    pub fn revoke(&mut self, id: B256) -> Result<(), AdminError> {
        self.require_installed()?;
        if !self.revoked.insert(id) {
            return Err(AdminError::SessionIsRevoked);
        }
        let mut state = self.session(id);
        state.status = Status::Revoked;
        self.set_session(id, state);
        Ok(())
    }

    /// `invalidateEnableNonce(nonce)` (also the first step of an enable grant).
    ///
    /// # Errors
    ///
    /// `EnableNonceUsed`.
    pub fn consume_nonce(&mut self, nonce: U256) -> Result<(), AdminError> {
        if !self.used_nonces.insert(nonce) {
            return Err(AdminError::EnableNonceUsed);
        }
        Ok(())
    }
}
