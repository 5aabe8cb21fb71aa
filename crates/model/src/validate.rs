//! `validateUserOp` of the model: every check in the module's order, then the counters.

use crate::{
    decode::decode_call_data,
    op::{Envelope, ParsedEnvelope},
    permissions::{check_calls, CallCharges},
    settlement::check_settlement,
    window::op_window,
    AccountState, AdminError, Context, OpInput, Rejection, Session, SessionState, Status,
};
use alloy_primitives::{Address, B256, U256};

/// Length of a non-empty `paymasterAndData` every EntryPoint requires.
pub const PAYMASTER_DATA_OFFSET: usize = 52;

/// What an accepted op consumed, per counter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Charged {
    /// The op's period.
    pub period: u32,
    /// Native value.
    pub native: U256,
    /// Maximum fee (0 when sponsored).
    pub fee: U256,
    /// Gas units charged to the gas budget (0 without one).
    pub gas: U256,
    /// Per entry of `Session::tokens`.
    pub tokens: Vec<U256>,
    /// Per entry of `Session::periodic`.
    pub periodic: Vec<U256>,
    /// The paymaster (zero when unsponsored).
    pub paymaster: Address,
}

/// An op that passed every permission check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The session's id.
    pub session_id: B256,
    /// Returned `validAfter`.
    pub valid_after: u64,
    /// Returned `validUntil` (0 = no expiry).
    pub valid_until: u64,
    /// The session's record after the op.
    pub new_state: SessionState,
    /// What was charged.
    pub charged: Charged,
    /// The enable nonce consumed by an enable grant carried in the op.
    pub enabled_with: Option<U256>,
}

/// The module's answer to one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Validation data with the window and no failure bit; counters written.
    Accept(Accepted),
    /// Every check passed but the session-key signature is wrong: validation data has the
    /// failure bit (the EntryPoint then reverts the bundle, so nothing persists).
    SigFailed(Accepted),
    /// The module reverts with this error.
    Reject(Rejection),
}

impl Verdict {
    /// The accepted op, if any.
    pub fn accepted(&self) -> Option<&Accepted> {
        match self {
            Self::Accept(a) => Some(a),
            _ => None,
        }
    }
}

/// The module's verdict on `op` for the account whose module storage is `account`.
pub fn validate(account: &AccountState, op: &OpInput, ctx: &Context) -> Verdict {
    match run(account, op, ctx) {
        Ok(accepted) if op.signature_valid => Verdict::Accept(accepted),
        Ok(accepted) => Verdict::SigFailed(accepted),
        Err(rejection) => Verdict::Reject(rejection),
    }
}

impl AccountState {
    /// Writes what an accepted op changed (its session record, an enable grant's nonce).
    pub fn commit(&mut self, accepted: &Accepted) {
        if let Some(nonce) = accepted.enabled_with {
            self.used_nonces.insert(nonce);
        }
        self.set_session(accepted.session_id, accepted.new_state.clone());
    }
}

fn run(account: &AccountState, op: &OpInput, ctx: &Context) -> Result<Accepted, Rejection> {
    if op.sender != ctx.account {
        return Err(Rejection::SenderMismatch(op.sender));
    }
    if is_eip7702_init_call(&op.init_code) {
        return Err(Rejection::Eip7702InitCallDenied);
    }
    let env = parse_envelope(&op.envelope)?;
    let mut storage = account.clone();
    let mut enabled_with = None;
    if env.flags == 1 {
        // Only an enable grant needs the install flag: every session of an uninstalled module was
        // revoked by the uninstall, so its ops fail on the session's status.
        if !account.installed {
            return Err(Rejection::NotInitialized);
        }
        enable(&mut storage, env).map_err(Rejection::Enable)?;
        enabled_with = Some(env.enable_nonce);
    }
    let id = env.carried_id;
    let session = &env.session;
    let state = storage.session(id);
    match state.status {
        Status::Active => {}
        Status::Paused => return Err(Rejection::SessionIsPaused),
        Status::Revoked => return Err(Rejection::SessionIsRevoked),
        Status::None => return Err(Rejection::SessionNotFound),
    }
    let (valid_after, valid_until) = op_window(session, env.period_index)?;
    let decoded = decode_call_data(&op.call_data)?;
    let calls = check_calls(session, &decoded, ctx)?;
    check_settlement(session, &decoded, env.period_index, id, ctx)?;
    let (fee, gas, paymaster) = bill(session, op)?;
    let (new_state, charged) = charge(
        session,
        state,
        env.period_index,
        &calls,
        fee,
        gas,
        paymaster,
    )?;
    Ok(Accepted {
        session_id: id,
        valid_after,
        valid_until,
        new_state,
        charged,
        enabled_with,
    })
}

fn parse_envelope(envelope: &Envelope) -> Result<&ParsedEnvelope, Rejection> {
    let env = match envelope {
        Envelope::Short => return Err(Rejection::MalformedEnvelope),
        Envelope::Parsed(env) => env,
    };
    if env.version != 1 {
        return Err(Rejection::UnsupportedEnvelopeVersion(env.version));
    }
    if env.flags & !1 != 0 {
        return Err(Rejection::UnsupportedEnvelopeFlags(env.flags));
    }
    if !env.length_fits {
        return Err(Rejection::MalformedEnvelope);
    }
    Ok(env)
}

fn enable(storage: &mut AccountState, env: &ParsedEnvelope) -> Result<(), AdminError> {
    let grant_generation = env.enable_nonce >> 224;
    if grant_generation != U256::from(storage.epoch) {
        return Err(AdminError::EnableGrantStale {
            grant_generation,
            generation: storage.epoch,
        });
    }
    storage.consume_nonce(env.enable_nonce)?;
    if !env.enable_signature_valid {
        return Err(AdminError::EnableSignatureInvalid);
    }
    storage.create_record(env.carried_id, &env.session, env.canonical)
}

/// Rule 7: `(fee, gas, paymaster)` of the op.
///
/// The gas sum and the fee saturate at `U256::MAX` (rules 8 and 10): every budget is below
/// 2^128, so a saturated amount is rejected by the budget it is charged to, with that budget's
/// error; where no budget applies it is not charged.
fn bill(session: &Session, op: &OpInput) -> Result<(U256, U256, Address), Rejection> {
    let mut gas = (U256::from(op.verification_gas_limit) + U256::from(op.call_gas_limit))
        .saturating_add(op.pre_verification_gas);
    let pm = &op.paymaster_and_data;
    if pm.is_empty() {
        if session.fee_budget.is_zero() {
            return Err(Rejection::UnsponsoredNotAllowed);
        }
        let fee = gas.saturating_mul(U256::from(op.max_fee_per_gas));
        return Ok((fee, gas, Address::ZERO));
    }
    if pm.len() < PAYMASTER_DATA_OFFSET {
        return Err(Rejection::PaymasterDataMalformed(pm.len()));
    }
    let paymaster = Address::from_slice(&pm[..20]);
    let pm_gas = U256::from_be_slice(&pm[20..36]) + U256::from_be_slice(&pm[36..52]);
    gas = gas.saturating_add(pm_gas);
    if !session.paymasters.contains(&paymaster) {
        return Err(Rejection::PaymasterNotAllowed(paymaster));
    }
    Ok((U256::ZERO, gas, paymaster))
}

fn left_of(limit: U256, spent: U256) -> U256 {
    limit.saturating_sub(spent)
}

/// Rules 5-8: every counter against what is left, in the module's order.
fn charge(
    session: &Session,
    mut state: SessionState,
    period: u32,
    calls: &CallCharges,
    fee: U256,
    gas: U256,
    paymaster: Address,
) -> Result<(SessionState, Charged), Rejection> {
    if (session.max_uses != 0 && state.uses >= session.max_uses) || state.uses == u32::MAX {
        return Err(Rejection::UsesExhausted(session.max_uses));
    }
    state.uses += 1;
    for (allowance, amount) in session.tokens.iter().zip(&calls.tokens) {
        if amount.is_zero() {
            continue;
        }
        let spent = state.token(allowance.token);
        let left = left_of(allowance.amount, spent);
        if *amount > left {
            return Err(Rejection::TokenAllowanceExceeded {
                token: allowance.token,
                asked: *amount,
                left,
            });
        }
        state.token_spent.insert(allowance.token, spent + amount);
    }
    if !calls.native.is_zero() || !fee.is_zero() {
        let native_left = left_of(session.native_allowance, state.native_spent);
        if calls.native > native_left {
            return Err(Rejection::NativeAllowanceExceeded {
                asked: calls.native,
                left: native_left,
            });
        }
        let fee_left = left_of(session.fee_budget, state.fee_spent);
        if fee > fee_left {
            return Err(Rejection::FeeBudgetExceeded {
                asked: fee,
                left: fee_left,
            });
        }
        state.native_spent += calls.native;
        state.fee_spent += fee;
    }
    let charged_gas = if session.gas_budget.is_zero() {
        U256::ZERO
    } else {
        gas
    };
    if !session.gas_budget.is_zero() {
        let left = left_of(session.gas_budget, state.gas_spent);
        if gas > left {
            return Err(Rejection::GasBudgetExceeded { asked: gas, left });
        }
        state.gas_spent += gas;
    }
    for (allowance, amount) in session.periodic.iter().zip(&calls.periodic) {
        if amount.is_zero() {
            continue;
        }
        let spent = state.periodic(allowance.asset, period);
        let left = left_of(allowance.amount, spent);
        if *amount > left {
            return Err(Rejection::PeriodicAllowanceExceeded {
                asset: allowance.asset,
                period,
                asked: *amount,
                left,
            });
        }
        state
            .periodic_spent
            .insert((allowance.asset, period), spent + amount);
    }
    if session.rate_limit != 0 {
        let count = state.rate(period);
        if count >= session.rate_limit {
            return Err(Rejection::RateLimitExceeded {
                period,
                limit: session.rate_limit,
            });
        }
        state.rate_count.insert(period, count + 1);
    }
    let charged = Charged {
        period,
        native: calls.native,
        fee,
        gas: charged_gas,
        tokens: calls.tokens.clone(),
        periodic: calls.periodic.clone(),
        paymaster,
    };
    Ok((state, charged))
}

/// What `remainingOf(account, session, period)` reports, from the model's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remaining {
    /// `statusOf` code.
    pub status: u8,
    /// Uses left (`U256::MAX` = no limit).
    pub uses_left: U256,
    /// Native left.
    pub native_left: U256,
    /// Per token.
    pub tokens_left: Vec<U256>,
    /// Per periodic allowance, in the asked period.
    pub periodic_left: Vec<U256>,
    /// Rate-limited ops left in the period (`U256::MAX` = no limit).
    pub rate_left: U256,
    /// Fee left.
    pub fee_left: U256,
    /// Gas left (`U256::MAX` = no gas rule).
    pub gas_left: U256,
    /// The window of an op of that period.
    pub window: (u64, u64),
}

/// The model's `remainingOf` view (`None` when the module's view reverts: a period whose
/// window does not exist).
pub fn remaining(
    account: &AccountState,
    id: B256,
    session: &Session,
    period: u32,
) -> Option<Remaining> {
    let window = op_window(session, period).ok()?;
    let state = account.session(id);
    let unlimited = |limit: u32, used: u32| {
        if limit == 0 {
            U256::MAX
        } else {
            U256::from(limit) - U256::from(used)
        }
    };
    Some(Remaining {
        status: account.status(id).code(),
        uses_left: unlimited(session.max_uses, state.uses),
        native_left: session.native_allowance - state.native_spent,
        tokens_left: session
            .tokens
            .iter()
            .map(|t| t.amount - state.token(t.token))
            .collect(),
        periodic_left: session
            .periodic
            .iter()
            .map(|p| p.amount - state.periodic(p.asset, period))
            .collect(),
        rate_left: unlimited(session.rate_limit, state.rate(period)),
        fee_left: session.fee_budget - state.fee_spent,
        gas_left: if session.gas_budget.is_zero() {
            U256::MAX
        } else {
            session.gas_budget - state.gas_spent
        },
        window,
    })
}

/// EntryPoint v0.8's EIP-7702 marker: `0x7702` padded with zeros to 20 bytes.
const EIP7702_MARKER: [u8; 20] = {
    let mut marker = [0u8; 20];
    marker[0] = 0x77;
    marker[1] = 0x02;
    marker
};

/// Whether `init_code` makes EntryPoint v0.8+ call the sender before validation: the marker
/// followed by at least one byte (the bare marker only changes the op's hash).
fn is_eip7702_init_call(init_code: &[u8]) -> bool {
    init_code.len() > 20 && init_code[..20] == EIP7702_MARKER
}
