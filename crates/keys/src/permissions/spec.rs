//! `SessionSpec`: the Rust mirror of the on-chain `Session`, with its validation rules.

use std::collections::HashSet;

use alloy::primitives::{Address, FixedBytes, B256, U256};

use super::error::PermissionError;
use super::onchain::{self, GRANT_ANY_SELECTOR, GRANT_ANY_TARGET, NATIVE_ASSET};

/// Most call grants a session may carry.
pub const MAX_CALLS: usize = 16;
/// Most account-function selectors a session may carry (the module's `MAX_ACCOUNT_SELECTORS`).
pub const MAX_ACCOUNT_SELECTORS: usize = 8;
/// Most cumulative token allowances a session may carry.
pub const MAX_TOKENS: usize = 8;
/// Most periodic allowances a session may carry.
pub const MAX_PERIODIC: usize = 8;
/// Most paymasters a session may name (the module's `MAX_PAYMASTERS`).
pub const MAX_PAYMASTERS: usize = 4;
/// Largest `uint48` (timestamps and periods).
pub const MAX_UINT48: u64 = (1 << 48) - 1;

/// Which contracts a call grant matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Any target (`contract-access` ANY); the module still denies installed modules.
    Any,
    /// Exactly this contract.
    Exact(Address),
}

/// Which functions a call grant matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Selector {
    /// Any selector.
    Any,
    /// Exactly this selector (`0x00000000` is a call with empty call data).
    Exact(FixedBytes<4>),
}

/// `call(target, selector)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallGrant {
    /// The target.
    pub target: Target,
    /// The selector.
    pub selector: Selector,
}

/// `erc20-allowance(token, amount)`, cumulative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAllowance {
    /// The ERC-20 token.
    pub token: Address,
    /// Cumulative amount over `transfer`/`approve`/`increaseAllowance`.
    pub amount: U256,
}

/// What a periodic allowance limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Asset {
    /// The chain's native token.
    Native,
    /// An ERC-20 token.
    Token(Address),
}

/// `periodic-allowance(asset, amount)` per period of the session's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodicAllowance {
    /// The asset.
    pub asset: Asset,
    /// Most per period; unused amount does not roll over.
    pub amount: U256,
}

/// Everything a session is granted, field for field the on-chain `Session` (same order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionSpec {
    /// The session key's address; zero until the key is generated.
    pub signer: Address,
    /// First second ops validate (uint48).
    pub valid_after: u64,
    /// Last second ops validate (uint48, inclusive).
    pub valid_until: u64,
    /// Most ops over the session's life; 0 = no limit.
    pub max_uses: u32,
    /// `root`: every call allowed; window, uses and fee rules still apply.
    pub root: bool,
    /// Length of a period in seconds (uint48); 0 = no periodic schedule.
    pub period: u64,
    /// Start of period 0 (uint48).
    pub period_start: u64,
    /// Most ops per period; 0 = no rate limit.
    pub rate_limit: u32,
    /// Cumulative native value; 0 = no native value at all.
    pub native_allowance: U256,
    /// Cumulative max fee of unsponsored ops; 0 = no unsponsored ops.
    pub fee_budget: U256,
    /// Cumulative gas units; 0 = no gas-budget rule.
    pub gas_budget: U256,
    /// Call grants.
    pub calls: Vec<CallGrant>,
    /// Selectors callable on the account itself.
    pub account_selectors: Vec<FixedBytes<4>>,
    /// Cumulative ERC-20 allowances.
    pub tokens: Vec<TokenAllowance>,
    /// Per-period allowances.
    pub periodic: Vec<PeriodicAllowance>,
    /// The only paymasters that may sponsor; empty = no sponsored ops.
    pub paymasters: Vec<Address>,
    /// Entropy so identical grants get distinct ids.
    pub salt: B256,
}

impl SessionSpec {
    /// Checks every rule a session must satisfy before it is stored or sent on-chain. Error
    /// paths use the permission-file names (`validUntil`, `tokens[1].token`).
    pub fn validate(&self) -> Result<(), PermissionError> {
        for (path, value) in [
            ("validAfter", self.valid_after),
            ("validUntil", self.valid_until),
            ("period.seconds", self.period),
            ("period.start", self.period_start),
        ] {
            if value > MAX_UINT48 {
                return Err(PermissionError::new(
                    path,
                    format!("{value} does not fit uint48 (max {MAX_UINT48})"),
                ));
            }
        }
        if self.valid_until <= self.valid_after {
            return Err(PermissionError::new(
                "validUntil",
                format!(
                    "must be greater than validAfter ({} <= {})",
                    self.valid_until, self.valid_after
                ),
            ));
        }
        if self.period == 0 {
            if !self.periodic.is_empty() {
                return Err(PermissionError::new(
                    "period",
                    "required when periodic allowances are set (the allowances are per period)",
                ));
            }
            if self.rate_limit != 0 {
                return Err(PermissionError::new(
                    "period",
                    "required when rateLimit is set (the rate limit counts ops per period)",
                ));
            }
            if self.period_start != 0 {
                return Err(PermissionError::new(
                    "period.start",
                    "set without period.seconds",
                ));
            }
        }
        check_count("calls", self.calls.len(), MAX_CALLS)?;
        check_count(
            "accountFunctions",
            self.account_selectors.len(),
            MAX_ACCOUNT_SELECTORS,
        )?;
        check_count("tokens", self.tokens.len(), MAX_TOKENS)?;
        check_count("periodic", self.periodic.len(), MAX_PERIODIC)?;
        check_count("paymasters", self.paymasters.len(), MAX_PAYMASTERS)?;

        if !self.root && self.calls.is_empty() && self.account_selectors.is_empty() {
            return Err(PermissionError::new(
                "calls",
                "a session without root needs at least one call or accountFunctions grant \
                 (otherwise it can do nothing)",
            ));
        }
        for (i, grant) in self.calls.iter().enumerate() {
            if grant.target == Target::Exact(Address::ZERO) {
                return Err(PermissionError::new(
                    format!("calls[{i}].target"),
                    "zero address; write \"any\" to grant every target",
                ));
            }
        }
        check_unique("calls", &self.calls)?;
        check_unique("accountFunctions", &self.account_selectors)?;
        for (i, t) in self.tokens.iter().enumerate() {
            check_token(&format!("tokens[{i}].token"), t.token)?;
        }
        check_unique(
            "tokens",
            &self.tokens.iter().map(|t| t.token).collect::<Vec<_>>(),
        )?;
        for (i, p) in self.periodic.iter().enumerate() {
            if let Asset::Token(token) = p.asset {
                check_token(&format!("periodic[{i}].asset"), token)?;
            }
        }
        check_unique(
            "periodic",
            &self.periodic.iter().map(|p| p.asset).collect::<Vec<_>>(),
        )?;
        for (i, paymaster) in self.paymasters.iter().enumerate() {
            if paymaster.is_zero() {
                return Err(PermissionError::new(
                    format!("paymasters[{i}]"),
                    "zero address",
                ));
            }
        }
        check_unique("paymasters", &self.paymasters)?;
        check_amounts(self)?;
        Ok(())
    }

    /// The ABI value the module receives. Fails if [`Self::validate`] does.
    pub fn to_sol(&self) -> Result<onchain::Session, PermissionError> {
        self.validate()?;
        Ok(onchain::Session {
            signer: self.signer,
            validAfter: uint48(self.valid_after),
            validUntil: uint48(self.valid_until),
            maxUses: self.max_uses,
            root: self.root,
            period: uint48(self.period),
            periodStart: uint48(self.period_start),
            rateLimit: self.rate_limit,
            nativeAllowance: self.native_allowance,
            feeBudget: self.fee_budget,
            gasBudget: self.gas_budget,
            calls: self.calls.iter().map(call_to_sol).collect(),
            accountSelectors: self.account_selectors.clone(),
            tokens: self
                .tokens
                .iter()
                .map(|t| onchain::TokenAllowance {
                    token: t.token,
                    amount: t.amount,
                })
                .collect(),
            periodic: self
                .periodic
                .iter()
                .map(|p| onchain::PeriodicAllowance {
                    asset: match p.asset {
                        Asset::Native => NATIVE_ASSET,
                        Asset::Token(token) => token,
                    },
                    amount: p.amount,
                })
                .collect(),
            paymasters: self.paymasters.clone(),
            salt: self.salt,
        })
    }

    /// Reads an on-chain `Session` back; rejects encodings the module would not produce
    /// (unknown flag bits, a target or selector set next to its ANY flag).
    pub fn from_sol(session: &onchain::Session) -> Result<Self, PermissionError> {
        let calls = session
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| call_from_sol(i, c))
            .collect::<Result<Vec<_>, _>>()?;
        let spec = Self {
            signer: session.signer,
            valid_after: session.validAfter.to::<u64>(),
            valid_until: session.validUntil.to::<u64>(),
            max_uses: session.maxUses,
            root: session.root,
            period: session.period.to::<u64>(),
            period_start: session.periodStart.to::<u64>(),
            rate_limit: session.rateLimit,
            native_allowance: session.nativeAllowance,
            fee_budget: session.feeBudget,
            gas_budget: session.gasBudget,
            calls,
            account_selectors: session.accountSelectors.clone(),
            tokens: session
                .tokens
                .iter()
                .map(|t| TokenAllowance {
                    token: t.token,
                    amount: t.amount,
                })
                .collect(),
            periodic: session
                .periodic
                .iter()
                .map(|p| PeriodicAllowance {
                    asset: if p.asset == NATIVE_ASSET {
                        Asset::Native
                    } else {
                        Asset::Token(p.asset)
                    },
                    amount: p.amount,
                })
                .collect(),
            paymasters: session.paymasters.clone(),
            salt: session.salt,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// The session id: `keccak256(pack(session))` (see [`onchain::pack_session`]).
    pub fn session_id(&self) -> Result<B256, PermissionError> {
        let session = self.to_sol()?;
        onchain::session_id(&session).map_err(|e| PermissionError::new("", e.to_string()))
    }

    /// The index of the period containing `now`, as the signature envelope carries it: 0 when
    /// the session has no schedule.
    pub fn period_index_at(&self, now: u64) -> Result<u32, PermissionError> {
        if self.period == 0 {
            return Ok(0);
        }
        if now < self.period_start {
            return Err(PermissionError::new(
                "period.start",
                format!(
                    "period 0 starts at {}, after now ({now})",
                    self.period_start
                ),
            ));
        }
        u32::try_from((now - self.period_start) / self.period).map_err(|_| {
            PermissionError::new(
                "period",
                "the period index at this time does not fit uint32",
            )
        })
    }
}

fn uint48(value: u64) -> alloy::primitives::aliases::U48 {
    // `validate` bounded every uint48 field, so this never saturates.
    alloy::primitives::aliases::U48::saturating_from(value)
}

fn call_to_sol(grant: &CallGrant) -> onchain::CallGrant {
    let mut flags = 0u8;
    let target = match grant.target {
        Target::Any => {
            flags |= GRANT_ANY_TARGET;
            Address::ZERO
        }
        Target::Exact(a) => a,
    };
    let selector = match grant.selector {
        Selector::Any => {
            flags |= GRANT_ANY_SELECTOR;
            FixedBytes::ZERO
        }
        Selector::Exact(s) => s,
    };
    onchain::CallGrant {
        target,
        selector,
        flags,
    }
}

fn call_from_sol(i: usize, c: &onchain::CallGrant) -> Result<CallGrant, PermissionError> {
    let path = format!("calls[{i}]");
    if c.flags & !(GRANT_ANY_TARGET | GRANT_ANY_SELECTOR) != 0 {
        return Err(PermissionError::new(
            format!("{path}.flags"),
            format!("unknown flag bits 0x{:02x}", c.flags),
        ));
    }
    let target = if c.flags & GRANT_ANY_TARGET != 0 {
        if !c.target.is_zero() {
            return Err(PermissionError::new(
                format!("{path}.target"),
                "must be zero when the any-target flag is set",
            ));
        }
        Target::Any
    } else {
        Target::Exact(c.target)
    };
    let selector = if c.flags & GRANT_ANY_SELECTOR != 0 {
        if !c.selector.is_zero() {
            return Err(PermissionError::new(
                format!("{path}.selector"),
                "must be zero when the any-selector flag is set",
            ));
        }
        Selector::Any
    } else {
        Selector::Exact(c.selector)
    };
    Ok(CallGrant { target, selector })
}

fn check_count(path: &str, count: usize, max: usize) -> Result<(), PermissionError> {
    if count > max {
        return Err(PermissionError::new(
            path,
            format!("{count} entries; at most {max} are allowed"),
        ));
    }
    Ok(())
}

fn check_unique<T: Eq + std::hash::Hash>(path: &str, items: &[T]) -> Result<(), PermissionError> {
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(item) {
            let first = items.iter().position(|x| x == item).unwrap_or(i);
            return Err(PermissionError::new(
                format!("{path}[{i}]"),
                format!("duplicate of {path}[{first}]"),
            ));
        }
    }
    Ok(())
}

fn check_token(path: &str, token: Address) -> Result<(), PermissionError> {
    if token.is_zero() {
        return Err(PermissionError::new(path, "zero address"));
    }
    if token == NATIVE_ASSET {
        return Err(PermissionError::new(
            path,
            "is the native-asset sentinel, not a token; use \"native\" (periodic) or \
             nativeAllowance",
        ));
    }
    Ok(())
}

/// Largest fee budget the module accepts (wei): the fee spent is an 80-bit field of the session
/// record (contracts/session/SessionStorage.sol), about 1.2 million ether.
pub(crate) const MAX_FEE_BUDGET: U256 = U256::from_limbs([u64::MAX, 0xffff, 0, 0]);

/// Largest amount of any other allowance or budget: the module's counters are 128 bits wide.
pub(crate) const MAX_AMOUNT: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// The module refuses a session whose amounts do not fit its counters (`SessionAmountTooLarge`);
/// refuse it here first, naming the field and its maximum.
fn check_amounts(spec: &SessionSpec) -> Result<(), PermissionError> {
    let too_large = |path: String, value: U256, max: U256| {
        PermissionError::new(path, format!("{value} exceeds the module's maximum {max}"))
    };
    if spec.fee_budget > MAX_FEE_BUDGET {
        return Err(too_large(
            "feeBudget".into(),
            spec.fee_budget,
            MAX_FEE_BUDGET,
        ));
    }
    for (path, value) in [
        ("nativeAllowance", spec.native_allowance),
        ("gasBudget", spec.gas_budget),
    ] {
        if value > MAX_AMOUNT {
            return Err(too_large(path.into(), value, MAX_AMOUNT));
        }
    }
    for (i, t) in spec.tokens.iter().enumerate() {
        if t.amount > MAX_AMOUNT {
            return Err(too_large(
                format!("tokens[{i}].amount"),
                t.amount,
                MAX_AMOUNT,
            ));
        }
    }
    for (i, p) in spec.periodic.iter().enumerate() {
        if p.amount > MAX_AMOUNT {
            return Err(too_large(
                format!("periodic[{i}].amount"),
                p.amount,
                MAX_AMOUNT,
            ));
        }
    }
    Ok(())
}
