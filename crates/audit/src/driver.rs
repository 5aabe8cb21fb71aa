//! Runs a case on the chain: plans each step with the reference model, sends it through the
//! real EntryPoint under the ERC-7562 checker and the call recorder, then checks every
//! invariant on what the chain did.

use crate::{
    facts::{ChainFacts, Life},
    grammar::{BundleOp, InitSpec, Transition, ENABLE_NONCES},
    observe::{op_events, split_validation_data, CallRecorder, OpEvent},
    reference::{setup_bundle, BundlePlan, Expected, OpPlan, RefState, SessionPlan},
    revert::{as_revealed, rejection, settled_allowance_exceeded},
    world::{World, BENEFICIARY},
    AuditError, Stats,
};
use alloy::{
    primitives::{aliases::U192, Address, Bytes, B256, U256},
    sol_types::SolCall,
};
use leash_contracts::bindings::{
    account::IERC7579Account,
    session::{ISessionKeyValidator, Session as AbiSession},
};
use leash_erc7562::Erc7562Inspector;
use leash_evm::{Chain, DecodedRevert, HandleOpsOutcome};
use leash_model::{
    decode::{EXECUTE, EXECUTE_FROM_EXECUTOR, EXECUTE_USER_OP},
    permissions::{ENTRY_POINT_V06, ENTRY_POINT_V07, ENTRY_POINT_V08, ENTRY_POINT_V09},
    remaining,
    settlement::{self, settle_data, SETTLE},
    window::{in_window, op_window},
    Remaining, Session, Verdict, GRANT_ANY_SELECTOR, GRANT_ANY_TARGET, NATIVE_ASSET,
};
use leash_userop::EIP7702_INIT_CODE_MARKER;
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt,
    sync::atomic::{AtomicUsize, Ordering},
};

/// An invariant broken at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The invariant's name (LEDGER, MONOTONE, CANONICAL, DENY, CAP, REVOKED, EXPIRED, PAUSED,
    /// UNINSTALLED, RATE, SIGNED, REPLAY, WINDOW, VIEW, MODEL, 7562, SETUP).
    pub invariant: &'static str,
    /// Step index (0 = the set-up bundle).
    pub step: usize,
    /// What was expected and what happened.
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] step {}: {}",
            self.invariant, self.step, self.detail
        )
    }
}

fn fail<T>(invariant: &'static str, step: usize, detail: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        invariant,
        step,
        detail: detail.into(),
    })
}

/// Cumulative observed outflows of one session in one install generation.
#[derive(Debug, Clone, Default)]
struct Outflows {
    native: U256,
    fees: U256,
    tokens: BTreeMap<Address, U256>,
    periodic: BTreeMap<(Address, u32), U256>,
}

/// The state a case carries besides the chain and the model.
struct Case<'a> {
    chain: Chain,
    reference: RefState,
    stats: &'a mut Stats,
    step: usize,
    outflows: HashMap<(Address, B256, u32), Outflows>,
    allowances: HashMap<(Address, Address, Address), U256>,
    previous: HashMap<(usize, u32, u32), Remaining>,
    model_checks: bool,
    facts: ChainFacts,
    installed_modules: HashMap<(Address, Address, [u8; 4]), bool>,
}

/// Runs one case: the set-up bundle, then `transitions`. With `model_checks` false only the
/// invariants measured on the chain run (LEDGER, RATE, MONOTONE, CANONICAL, DENY, INIT,
/// lifecycle, WINDOW, 7562): `AUDIT_MODEL=off` and the mutation check use it to show what they catch on
/// their own.
///
/// # Errors
///
/// The first broken invariant.
pub fn run_case(
    module_code: &Bytes,
    model_checks: bool,
    init: &RefState,
    transitions: &[Transition],
    seen: Option<&AtomicUsize>,
    stats: &mut Stats,
) -> Result<(), Failure> {
    let world = World::cached(init.version, module_code).map_err(|e| setup_failure(&e))?;
    let fresh = RefState::new(init.version, init.specs.clone());
    let mut case = Case {
        chain: world.chain,
        reference: fresh,
        stats,
        step: 0,
        outflows: HashMap::new(),
        allowances: HashMap::new(),
        previous: HashMap::new(),
        model_checks,
        facts: ChainFacts::default(),
        installed_modules: HashMap::new(),
    };
    case.stats.cases += 1;
    *case
        .stats
        .versions
        .entry(format!("{:?}", init.version))
        .or_default() += 1;
    let setup = setup_bundle(&init.specs);
    if !setup.is_empty() {
        case.bundle(&setup)?;
    }
    for (index, transition) in transitions.iter().enumerate() {
        if let Some(counter) = seen {
            counter.fetch_add(1, Ordering::SeqCst);
        }
        case.step = index + 1;
        case.stats.steps += 1;
        match transition {
            Transition::Warp(secs) => {
                case.chain.warp(*secs);
                case.reference.now += secs;
            }
            Transition::Bundle(ops) => case.bundle(ops)?,
        }
        case.check_counters()?;
    }
    Ok(())
}

fn setup_failure(error: &AuditError) -> Failure {
    Failure {
        invariant: "SETUP",
        step: 0,
        detail: error.to_string(),
    }
}

impl Case<'_> {
    /// VIEW: the module's views the suite reads after every step (`isInitialized`, `statusOf`
    /// and `enableNonceUsed` of anything, `remainingOf` of every template for each period of
    /// interest that has a window) answer: a revert (e.g. a `Panic` of a counter that went
    /// past its grant) or an undecodable answer is a failure, with or without the model.
    fn view<C: SolCall>(&self, call: &C) -> Result<C::Return, Failure> {
        let module = self.reference.layout().module;
        let out = self.chain.view(module, call.abi_encode().into());
        let out = match out {
            Ok(out) => out,
            Err(e) => return fail("VIEW", self.step, format!("view reverted: {e}")),
        };
        C::abi_decode_returns(&out).map_err(|e| Failure {
            invariant: "VIEW",
            step: self.step,
            detail: e.to_string(),
        })
    }

    /// Counts one MODEL comparison (none when the model is off).
    fn checked_model(&mut self) {
        if self.model_checks {
            self.stats.checked("MODEL");
        }
    }

    fn status(&self, account: Address, id: B256) -> Result<u8, Failure> {
        self.view(&ISessionKeyValidator::statusOfCall {
            account,
            sessionId: id,
        })
    }

    fn bundle(&mut self, ops: &[BundleOp]) -> Result<(), Failure> {
        let version = self.reference.version;
        let chain = &self.chain;
        let mut plan = self.reference.plan(ops, &mut |sender, key| {
            chain
                .nonce(version, sender, U192::from(key >> 64))
                .unwrap_or(key)
        });
        let layout = self.reference.layout();
        let accounts = vec![layout.account, layout.other_account];
        self.installed_modules.clear();
        let mut inspector = (
            Erc7562Inspector::new(version.canonical_address()),
            CallRecorder::new(
                version.canonical_address(),
                accounts.clone(),
                layout.tokens.to_vec(),
            ),
        );
        let outcome = self
            .chain
            .handle_ops_with_inspector(version, &plan.ops, BENEFICIARY, &mut inspector)
            .map_err(|e| Failure {
                invariant: "SETUP",
                step: self.step,
                detail: e.to_string(),
            })?;
        self.stats.bundles += 1;
        let (checker, recorder) = inspector;
        self.count(&plan);
        let events = if outcome.success {
            op_events(&outcome.logs, &outcome.events, &accounts)
        } else {
            Vec::new()
        };
        if outcome.success {
            let violations = checker.violations();
            self.stats.checked("7562");
            self.stats.violations_7562 += violations.len() as u64;
            if !violations.is_empty() {
                return fail("7562", self.step, format!("{violations:?}"));
            }
            self.check_lifecycle(&plan)?;
            self.check_verdict_windows(&plan)?;
            self.check_executions(&plan, &recorder, &events)?;
            self.check_ledger(&plan, &recorder, &events)?;
            self.check_settlements(&mut plan, &recorder, &events)?;
            self.record_owner_ops(&plan, &events);
        }
        self.check_module_answers(&plan, &recorder)?;
        self.check_windows(&plan, &recorder)?;
        if self.model_checks {
            self.check_outcome(&plan, &outcome, &events)?;
        }
        self.reference = plan.after;
        self.resync_allowances()?;
        Ok(())
    }

    fn count(&mut self, plan: &BundlePlan) {
        let layout = self.reference.layout();
        let last = plan
            .failure
            .as_ref()
            .map_or(plan.plans.len(), |(i, _)| *i + 1);
        for p in &plan.plans[..last] {
            match p {
                OpPlan::Owner(..) => self.stats.owner_ops += 1,
                OpPlan::Session(s) => {
                    self.stats.session_ops += 1;
                    match &s.verdict {
                        _ if !s.routed => self
                            .stats
                            .rejected("AA24 module not installed on the account"),
                        Verdict::Reject(r) => self.stats.rejected(r.name()),
                        Verdict::SigFailed(_) => self.stats.rejected("AA24 signature error"),
                        Verdict::Accept(_) if !s.in_window => {
                            self.stats.rejected("AA22 expired or not due")
                        }
                        Verdict::Accept(_) if plan.failure.is_none() => {
                            self.stats.accepted += 1;
                            if s.spec.init == InitSpec::Marker
                                && s.sender == layout.other_account
                                && layout.eip7702_delegate.is_some()
                            {
                                self.stats.eip7702_marker_accepted += 1;
                            }
                        }
                        Verdict::Accept(_) => {}
                    }
                }
            }
        }
    }

    /// REVOKED / PAUSED / UNINSTALLED / EXPIRED / RATE, from chain facts only: in a bundle that
    /// validated, every session op's session was live as the owner ops the EntryPoint reported
    /// successful left it (or carried its owner's enable grant), the module was not uninstalled,
    /// the clock was inside the session's window, and the ops of the session that validated, in
    /// all and in the period each named, stay within `maxUses` and `rateLimit`.
    fn check_lifecycle(&mut self, plan: &BundlePlan) -> Result<(), Failure> {
        let now = self.reference.now;
        let rules = self.reference.rules();
        let main = self.reference.layout().account;
        for p in &plan.plans {
            let OpPlan::Session(s) = p else { continue };
            let id = op_session_id(s);
            for invariant in ["UNINSTALLED", "REVOKED", "PAUSED", "EXPIRED", "RATE"] {
                self.stats.checked(invariant);
            }
            if s.sender == main && self.facts.uninstalled {
                return fail(
                    "UNINSTALLED",
                    self.step,
                    format!(
                        "op of session {} validated after the module was uninstalled",
                        s.session_index
                    ),
                );
            }
            self.stats.checked("SIGNED");
            if !s.signed_right {
                return fail(
                    "SIGNED",
                    self.step,
                    format!(
                        "an op of session {} validated that its key did not sign as sent (signer {:?}, period {})",
                        s.session_index, s.spec.signer, s.period
                    ),
                );
            }
            // A session that did not exist may validate only when this op, or an earlier op
            // of the bundle, carried its owner's enable grant (rule 13); the grant works once
            // per nonce and creates a session that did not exist.
            if let Some(enable) = s.enable {
                self.stats.checked("REPLAY");
                if !enable.owner_signed {
                    return fail(
                        "SIGNED",
                        self.step,
                        format!(
                            "an op of session {} validated with an enable grant its account's owner did not sign for it",
                            s.session_index
                        ),
                    );
                }
                if !self.facts.use_nonce(s.sender, enable.nonce) {
                    return fail(
                        "REPLAY",
                        self.step,
                        format!(
                            "an enable grant of session {} validated with nonce {} already used",
                            s.session_index, enable.nonce
                        ),
                    );
                }
                if self.facts.life(s.sender, id).is_some() {
                    return fail(
                        "REPLAY",
                        self.step,
                        format!(
                            "an enable grant of session {} validated although the session was created before",
                            s.session_index
                        ),
                    );
                }
                self.facts.enabled(s.sender, id);
            }
            match self.facts.life(s.sender, id) {
                Some(Life::Active) => {}
                Some(Life::Paused) => {
                    return fail(
                        "PAUSED",
                        self.step,
                        format!("op of paused session {} validated", s.session_index),
                    )
                }
                Some(Life::Revoked) => {
                    return fail(
                        "REVOKED",
                        self.step,
                        format!(
                            "op of revoked (or uninstalled) session {} validated",
                            s.session_index
                        ),
                    )
                }
                None => {
                    return fail(
                        "UNINSTALLED",
                        self.step,
                        format!(
                            "op of a session that was never created ({}) validated",
                            s.session_index
                        ),
                    )
                }
            }
            let granted = self.granted(id).unwrap_or_else(|| s.carried.clone());
            if !in_window(rules, granted.valid_after, granted.valid_until, now) {
                return fail(
                    "EXPIRED",
                    self.step,
                    format!(
                        "op of session {} validated at {now}, outside its window",
                        s.session_index
                    ),
                );
            }
            let (all, in_period) = self.facts.count_op(s.sender, id, s.period);
            if granted.max_uses != 0 && all > u64::from(granted.max_uses) {
                return fail(
                    "RATE",
                    self.step,
                    format!(
                        "op {all} of session {} validated, maxUses {}",
                        s.session_index, granted.max_uses
                    ),
                );
            }
            if granted.rate_limit != 0 && in_period > u64::from(granted.rate_limit) {
                return fail(
                    "RATE",
                    self.step,
                    format!(
                        "op {in_period} of session {} in period {} validated, rateLimit {}",
                        s.session_index, s.period, granted.rate_limit
                    ),
                );
            }
        }
        Ok(())
    }

    /// Owner ops the EntryPoint reported successful change the chain facts.
    fn record_owner_ops(&mut self, plan: &BundlePlan, events: &[OpEvent]) {
        let account = self.reference.layout().account;
        let reference = &self.reference;
        for (p, event) in plan.plans.iter().zip(events) {
            if let OpPlan::Owner(action, _) = p {
                if event.success {
                    self.facts
                        .owner_executed(account, *action, |i| reference.session_id(i));
                }
            }
        }
    }

    /// WINDOW (the EntryPoint's verdict): every session op the EntryPoint let execute ran at a
    /// time inside its session's window and the window of the period its envelope names,
    /// computed from the grant in exact arithmetic (whatever validation data the module
    /// returned).
    fn check_verdict_windows(&mut self, plan: &BundlePlan) -> Result<(), Failure> {
        let now = u128::from(self.reference.now);
        for p in &plan.plans {
            let OpPlan::Session(s) = p else { continue };
            self.stats.checked("WINDOW");
            let granted = self
                .granted(op_session_id(s))
                .unwrap_or_else(|| s.carried.clone());
            let Some((lower, upper)) = exact_window(&granted, s.period) else {
                return fail(
                    "WINDOW",
                    self.step,
                    format!(
                        "session {} executed under period {} it has no window for",
                        s.session_index, s.period
                    ),
                );
            };
            if now < lower || now > upper {
                return fail(
                    "WINDOW",
                    self.step,
                    format!(
                        "the EntryPoint executed an op of session {} at {now}, outside [{lower}, {upper}] (period {})",
                        s.session_index, s.period
                    ),
                );
            }
        }
        Ok(())
    }

    /// The granted session whose id is `id` (a template of the case).
    fn granted(&self, id: B256) -> Option<Session> {
        (0..self.reference.specs.len())
            .find(|i| self.reference.session_id(*i) == id)
            .map(|i| self.reference.session(i))
    }

    /// Whether `account` reports `target` installed as a module of any type (1, 2, 4 and 5-7
    /// with no context; 3 as the fallback handler of `selector`): the account's own
    /// `isModuleInstalled`, never the module's view.
    fn installed_module(
        &mut self,
        account: Address,
        target: Address,
        selector: [u8; 4],
    ) -> Result<bool, Failure> {
        if let Some(known) = self.installed_modules.get(&(account, target, selector)) {
            return Ok(*known);
        }
        let mut installed = false;
        for module_type in 1u64..=7 {
            let context = if module_type == 3 {
                Bytes::copy_from_slice(&selector)
            } else {
                Bytes::new()
            };
            let call = IERC7579Account::isModuleInstalledCall {
                moduleTypeId: U256::from(module_type),
                module: target,
                additionalContext: context,
            };
            let answer = self
                .chain
                .view(account, call.abi_encode().into())
                .ok()
                .and_then(|out| {
                    IERC7579Account::isModuleInstalledCall::abi_decode_returns(&out).ok()
                })
                .unwrap_or(false);
            if answer {
                installed = true;
                break;
            }
        }
        self.installed_modules
            .insert((account, target, selector), installed);
        Ok(installed)
    }

    /// SIGNED, INIT, DENY and CAP on what the module answered, whether or not the bundle then
    /// validated: no session op for which the module returned validation data with a valid
    /// signature (authorizer 0) was one the suite did not sign as sent (another key, chain,
    /// EntryPoint or period) or that carried an enable grant its account's owner did not sign
    /// for it (SIGNED), or carried an EIP-7702 init call in its `initCode` (INIT, rule 1, root
    /// sessions included); none of a non-root session had a denied mode or wrapper or an
    /// `execute` call the hard denial covers (DENY, on the call data's canonical decoding, see
    /// [`Self::denied`]); no `execute` of more than 8 calls was one (CAP). The EntryPoint may
    /// still refuse such an op (its window is not due, another op of the bundle fails): the
    /// module has vouched for it all the same.
    fn check_module_answers(
        &mut self,
        plan: &BundlePlan,
        recorder: &CallRecorder,
    ) -> Result<(), Failure> {
        for (index, (p, (_, data))) in plan.plans.iter().zip(&recorder.validations).enumerate() {
            let OpPlan::Session(s) = p else { continue };
            if !s.routed {
                continue;
            }
            let Some((_, _, sig_failed)) = split_validation_data(data) else {
                continue;
            };
            self.stats.checked("SIGNED");
            if sig_failed {
                continue;
            }
            if !s.signed_right {
                return fail(
                    "SIGNED",
                    self.step,
                    format!(
                        "the module returned a valid signature for an op of session {} its key did not sign as sent (signer {:?}, period {})",
                        s.session_index, s.spec.signer, s.period
                    ),
                );
            }
            if s.enable.is_some_and(|e| !e.owner_signed) {
                return fail(
                    "SIGNED",
                    self.step,
                    format!(
                        "the module returned a valid signature for an op of session {} with an enable grant its account's owner did not sign for it",
                        s.session_index
                    ),
                );
            }
            // INIT (rule 1), read from the op as sent: its `initCode` is the EIP-7702 marker
            // followed by data, which EntryPoint v0.8 had the sender run before validation.
            self.stats.checked("INIT");
            let init_code = &plan.ops[index].initCode;
            if init_code.len() > 20 && init_code[..20] == EIP7702_INIT_CODE_MARKER[..] {
                return fail(
                    "INIT",
                    self.step,
                    format!(
                        "the module returned a valid signature for an op of session {} whose initCode carries an EIP-7702 init call ({} bytes)",
                        s.session_index,
                        init_code.len()
                    ),
                );
            }
            let call_data = &plan.ops[index].callData;
            let execute = call_data.get(..4) == Some(&EXECUTE[..]);
            self.stats.checked("CAP");
            if execute && s.sent_calls > crate::grammar::MAX_BATCH_CALLS {
                return fail(
                    "CAP",
                    self.step,
                    format!(
                        "the module accepted an execute of session {} with {} calls (cap {})",
                        s.session_index,
                        s.sent_calls,
                        crate::grammar::MAX_BATCH_CALLS
                    ),
                );
            }
            let root = self.granted(op_session_id(s)).is_some_and(|g| g.root);
            if root {
                continue;
            }
            self.stats.checked("DENY");
            deny_mode(call_data).map_err(|detail| Failure {
                invariant: "DENY",
                step: self.step,
                detail: format!("the module accepted it: {detail}"),
            })?;
            if !execute {
                continue;
            }
            for (i, call) in s.calls.iter().enumerate() {
                let target = if call.target.is_zero() {
                    s.sender
                } else {
                    call.target
                };
                if self.denied(s, i, target, call.value, &call.data)? {
                    return fail(
                        "DENY",
                        self.step,
                        format!(
                            "the module accepted an op of session {} calling {target} with {}",
                            s.session_index,
                            Bytes::copy_from_slice(&call.data)
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// WINDOW: the validation data each session op returned lies inside its session's window
    /// and its period's window.
    fn check_windows(&mut self, plan: &BundlePlan, recorder: &CallRecorder) -> Result<(), Failure> {
        let last = plan
            .failure
            .as_ref()
            .map_or(plan.plans.len(), |(i, _)| *i + 1);
        for (p, (_, data)) in plan.plans[..last].iter().zip(&recorder.validations) {
            let OpPlan::Session(s) = p else { continue };
            if !s.routed {
                continue;
            }
            let Some((after, until, _)) = split_validation_data(data) else {
                continue;
            };
            self.stats.checked("WINDOW");
            let Some(granted) = self.granted(op_session_id(s)) else {
                continue;
            };
            let bounded_until = |u: u64| if u == 0 { u64::MAX } else { u };
            let mut lower = granted.valid_after;
            let mut upper = bounded_until(granted.valid_until);
            if granted.period != 0 {
                let start = granted
                    .period_start
                    .saturating_add(u64::from(s.period).saturating_mul(granted.period));
                lower = lower.max(start);
                upper = upper.min(start.saturating_add(granted.period - 1));
            } else if s.period != 0 {
                return fail(
                    "WINDOW",
                    self.step,
                    "a period index validated for a session without periods",
                );
            }
            if after < lower || bounded_until(until) > upper {
                return fail(
                    "WINDOW",
                    self.step,
                    format!("session {} returned [{after}, {until}] outside [{lower}, {upper}] (period {})", s.session_index, s.period),
                );
            }
        }
        Ok(())
    }

    /// Whether call `i` of session op `s` (to `target`, with `value` and `data`) is one a
    /// non-root session must never make: to the module (but for the op's own settlement
    /// wrapper: `settle` with exactly this op's period and the packed session its envelope
    /// carries, as the first or the last call), any EntryPoint v0.6-v0.9, the owner's or the
    /// extra validator, a module the account reports installed (its own
    /// `isModuleInstalled`), or the account's own `execute*`.
    fn denied(
        &mut self,
        s: &SessionPlan,
        i: usize,
        target: Address,
        value: U256,
        data: &[u8],
    ) -> Result<bool, Failure> {
        let layout = self.reference.layout();
        if (i == 0 || i + 1 == s.calls.len())
            && target == layout.module
            && value.is_zero()
            && data == settle_data(s.period, &s.packed).as_slice()
        {
            return Ok(false);
        }
        let selector: [u8; 4] = data
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        let denied_target = [
            layout.module,
            ENTRY_POINT_V06,
            ENTRY_POINT_V07,
            ENTRY_POINT_V08,
            ENTRY_POINT_V09,
            layout.owner_validator,
            layout.extra_module,
        ]
        .contains(&target)
            || self.installed_module(s.sender, target, selector)?;
        let wrapper = target == s.sender
            && data.len() >= 4
            && [EXECUTE, EXECUTE_FROM_EXECUTOR, EXECUTE_USER_OP]
                .iter()
                .any(|w| w[..] == data[..4]);
        Ok(denied_target || wrapper)
    }

    /// Whether call `i` of session op `s` (to `target` with `data`) is one `session`'s grants allow:
    /// the settlement wrapper's `settle` calls (placed by rule 16), a call to the account (or 0) whose
    /// selector is in `accountSelectors`, or a call matched by a call grant (its target or ANY, its
    /// selector or ANY; the selector of empty data is 0).
    fn allowed_by_grants(
        &self,
        s: &SessionPlan,
        session: &Session,
        i: usize,
        target: Address,
        value: U256,
        data: &[u8],
    ) -> bool {
        let layout = self.reference.layout();
        if (i == 0 || i + 1 == s.calls.len())
            && target == layout.module
            && value.is_zero()
            && data == settle_data(s.period, &s.packed).as_slice()
        {
            return true;
        }
        let selector: [u8; 4] = data
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        if target == s.sender || target == Address::ZERO {
            return session.account_selectors.iter().any(|a| a.0 == selector);
        }
        session.calls.iter().any(|g| {
            (g.flags & GRANT_ANY_TARGET != 0 || g.target == target)
                && (g.flags & GRANT_ANY_SELECTOR != 0 || g.selector.0 == selector)
        })
    }

    /// DENY and CANONICAL on what each session op's execution actually called.
    fn check_executions(
        &mut self,
        plan: &BundlePlan,
        recorder: &CallRecorder,
        events: &[OpEvent],
    ) -> Result<(), Failure> {
        if recorder.executions.len() != plan.plans.len() || events.len() != plan.plans.len() {
            return fail(
                "CANONICAL",
                self.step,
                format!(
                    "{} ops, {} executions, {} op events",
                    plan.plans.len(),
                    recorder.executions.len(),
                    events.len()
                ),
            );
        }
        for ((p, execution), event) in plan.plans.iter().zip(&recorder.executions).zip(events) {
            let OpPlan::Session(s) = p else { continue };
            let granted = self.granted(op_session_id(s));
            let root = granted.as_ref().is_some_and(|g| g.root);
            let call_data = &plan.ops[plan
                .plans
                .iter()
                .position(|q| std::ptr::eq(q, p))
                .unwrap_or(0)]
            .callData;
            self.stats.checked("DENY");
            if !root {
                deny_mode(call_data).map_err(|detail| Failure {
                    invariant: "DENY",
                    step: self.step,
                    detail,
                })?;
                // The calls an `execute` asked for (a direct account function's own calls, e.g.
                // the account's fallback forwarding to its handler, are the account's doing).
                let calls: &[_] = if call_data.get(..4) == Some(&EXECUTE[..]) {
                    &execution.calls
                } else {
                    &[]
                };
                for (i, call) in calls.iter().enumerate() {
                    if self.denied(s, i, call.target, call.value, &call.data)? {
                        return fail(
                            "DENY",
                            self.step,
                            format!(
                                "session {} reached {} with {}",
                                s.session_index, call.target, call.data
                            ),
                        );
                    }
                }
            }
            // GRANTED (rule 3): every call a non-root session's `execute` made is one a grant of the
            // session as granted allows, read from the recorded calls, not from the module or the model.
            if let Some(session) = granted.as_ref().filter(|g| !g.root) {
                let calls: &[_] = if call_data.get(..4) == Some(&EXECUTE[..]) {
                    &execution.calls
                } else {
                    &[]
                };
                for (i, call) in calls.iter().enumerate() {
                    self.stats.checked("GRANTED");
                    if !self.allowed_by_grants(s, session, i, call.target, call.value, &call.data) {
                        return fail(
                            "GRANTED",
                            self.step,
                            format!(
                                "session {} made call {i} to {} with {}, which none of its grants allows",
                                s.session_index, call.target, call.data
                            ),
                        );
                    }
                }
            }
            self.stats.checked("CAP");
            if call_data.get(..4) == Some(&EXECUTE[..])
                && s.sent_calls > crate::grammar::MAX_BATCH_CALLS
            {
                return fail(
                    "CAP",
                    self.step,
                    format!(
                        "an execute of session {} with {} calls validated (cap {})",
                        s.session_index,
                        s.sent_calls,
                        crate::grammar::MAX_BATCH_CALLS
                    ),
                );
            }
            if execution.calls.len() > crate::grammar::MAX_BATCH_CALLS {
                return fail(
                    "CAP",
                    self.step,
                    format!(
                        "an op of session {} executed {} calls (cap {})",
                        s.session_index,
                        execution.calls.len(),
                        crate::grammar::MAX_BATCH_CALLS
                    ),
                );
            }
            if call_data.get(..4) != Some(&EXECUTE[..]) {
                continue;
            }
            self.stats.checked("CANONICAL");
            if s.calls.is_empty() {
                return fail(
                    "CANONICAL",
                    self.step,
                    format!(
                        "a non-canonical execute of session {} validated",
                        s.session_index
                    ),
                );
            }
            let expected: Vec<(Address, U256, Bytes)> = s
                .calls
                .iter()
                .map(|c| {
                    (
                        if c.target.is_zero() {
                            s.sender
                        } else {
                            c.target
                        },
                        c.value,
                        Bytes::from(c.data.clone()),
                    )
                })
                .collect();
            let observed: Vec<(Address, U256, Bytes)> = execution
                .calls
                .iter()
                .map(|c| (c.target, c.value, c.data.clone()))
                .collect();
            let prefix =
                observed.len() <= expected.len() && expected[..observed.len()] == observed[..];
            if !prefix || (event.success && observed.len() != expected.len()) {
                return fail(
                    "CANONICAL",
                    self.step,
                    format!(
                        "session {}: validated {expected:?}, executed {observed:?}",
                        s.session_index
                    ),
                );
            }
        }
        Ok(())
    }

    /// LEDGER, measured on the chain: per session, install generation (chain facts) and asset,
    /// what left the account never exceeds the grant. What left is the account's real ETH and
    /// token balances before and after each op's execution (net decrease, whatever path the
    /// tokens took: a transfer, a router pulling through an earlier allowance, Permit2), plus
    /// every allowance the op granted (ERC-20 allowance increases against the allowance read on
    /// the chain, Permit2 `Approval` amounts gross), plus the fee the EntryPoint charged an
    /// unsponsored op; periodic allowances per period the op named. A sponsored op used a
    /// listed paymaster.
    fn check_ledger(
        &mut self,
        plan: &BundlePlan,
        recorder: &CallRecorder,
        events: &[OpEvent],
    ) -> Result<(), Failure> {
        let layout = self.reference.layout();
        let mut touched: Vec<(Address, B256, u32, Session)> = Vec::new();
        for ((p, execution), event) in plan.plans.iter().zip(&recorder.executions).zip(events) {
            let OpPlan::Session(s) = p else { continue };
            let id = op_session_id(s);
            let granted = self.granted(id).unwrap_or_else(|| s.carried.clone());
            let generation = if s.sender == layout.account {
                self.facts.generation
            } else {
                u32::MAX
            };
            if !touched
                .iter()
                .any(|(a, i, g, _)| (*a, *i, *g) == (s.sender, id, generation))
            {
                touched.push((s.sender, id, generation, granted.clone()));
            }
            let period = s.period;
            let (native, tokens_out) = execution.before.decrease_to(&execution.after);
            let mut token_moves: Vec<(Address, U256)> =
                layout.tokens.iter().copied().zip(tokens_out).collect();
            for (owner, token, spender, value) in &event.flows.approvals {
                let old = self
                    .allowances
                    .insert((*owner, *token, *spender), *value)
                    .unwrap_or_default();
                token_moves.push((*token, value.saturating_sub(old)));
            }
            token_moves.extend(event.flows.permit2_approvals.iter().copied());
            let fee = if event.paymaster.is_zero() {
                event.actual_gas_cost
            } else {
                U256::ZERO
            };
            if !event.paymaster.is_zero() && !granted.paymasters.contains(&event.paymaster) {
                return fail(
                    "LEDGER",
                    self.step,
                    format!(
                        "session {} sponsored by unlisted {}",
                        s.session_index, event.paymaster
                    ),
                );
            }
            let out = self.outflows.entry((s.sender, id, generation)).or_default();
            out.native = out.native.saturating_add(native);
            out.fees = out.fees.saturating_add(fee);
            for (token, amount) in &token_moves {
                let t = out.tokens.entry(*token).or_default();
                *t = t.saturating_add(*amount);
                let p = out.periodic.entry((*token, period)).or_default();
                *p = p.saturating_add(*amount);
            }
            let pn = out.periodic.entry((NATIVE_ASSET, period)).or_default();
            *pn = pn.saturating_add(native);
            let out = out.clone();
            self.stats.checked("LEDGER");
            let over = |what: &str, seen: U256, cap: U256| -> Result<(), Failure> {
                if seen > cap {
                    return fail(
                        "LEDGER",
                        self.step,
                        format!(
                            "session {}: {what} outflow {seen} > grant {cap}",
                            s.session_index
                        ),
                    );
                }
                Ok(())
            };
            over("native", out.native, granted.native_allowance)?;
            over("fee", out.fees, granted.fee_budget)?;
            for allowance in &granted.tokens {
                over(
                    &format!("token {}", allowance.token),
                    out.tokens
                        .get(&allowance.token)
                        .copied()
                        .unwrap_or_default(),
                    allowance.amount,
                )?;
            }
            for allowance in &granted.periodic {
                let seen = out
                    .periodic
                    .get(&(allowance.asset, period))
                    .copied()
                    .unwrap_or_default();
                over(
                    &format!("periodic {} (period {period})", allowance.asset),
                    seen,
                    allowance.amount,
                )?;
            }
        }
        for (sender, id, generation, granted) in touched {
            self.check_charged(sender, id, generation, &granted)?;
        }
        Ok(())
    }

    /// LEDGER (counted): what left the account for a session in this install generation never
    /// exceeds what the module counted for it: the grant minus what its `remainingOf` view
    /// reports left, per asset and per period the ops named (an id's counters are never reset:
    /// it is created at most once). Sound whatever the op did: validation charges transfers,
    /// approvals and Permit2 amounts gross (an allowance is charged when granted, whoever pulls
    /// through it later), the fee at its maximum, and a settled op's closing `settle` adds the
    /// net balance decrease on top (in-op transfers are counted twice); an op whose execution
    /// reverted moved nothing. So a pull the module did not count — a router or Permit2 pulling
    /// through an allowance the account gave earlier, in an op that was not settled — breaks it
    /// at once, even below the grant.
    fn check_charged(
        &mut self,
        sender: Address,
        id: B256,
        generation: u32,
        granted: &Session,
    ) -> Result<(), Failure> {
        let Some(out) = self.outflows.get(&(sender, id, generation)).cloned() else {
            return Ok(());
        };
        let periods: BTreeSet<u32> = out.periodic.keys().map(|(_, p)| *p).collect();
        let abi: AbiSession = crate::encode::to_abi(granted);
        let module = self.reference.layout().module;
        for (n, period) in periods.into_iter().enumerate() {
            let call = ISessionKeyValidator::remainingOfCall {
                account: sender,
                session: abi.clone(),
                periodIndex: period,
            };
            // A period without a window has no view (no op of it can have executed).
            let Some(left) = self
                .chain
                .view(module, call.abi_encode().into())
                .ok()
                .and_then(|out| {
                    ISessionKeyValidator::remainingOfCall::abi_decode_returns(&out).ok()
                })
            else {
                continue;
            };
            self.stats.checked("LEDGER");
            let counted = |limit: U256, left: U256| limit.saturating_sub(left);
            let mut pairs: Vec<(String, U256, U256)> = Vec::new();
            if n == 0 {
                pairs.push((
                    "native".to_owned(),
                    out.native,
                    counted(granted.native_allowance, left.nativeLeft),
                ));
                pairs.push((
                    "fee".to_owned(),
                    out.fees,
                    counted(granted.fee_budget, left.feeLeft),
                ));
                for (allowance, token_left) in granted.tokens.iter().zip(&left.tokensLeft) {
                    pairs.push((
                        format!("token {}", allowance.token),
                        out.tokens
                            .get(&allowance.token)
                            .copied()
                            .unwrap_or_default(),
                        counted(allowance.amount, *token_left),
                    ));
                }
            }
            for (allowance, periodic_left) in granted.periodic.iter().zip(&left.periodicLeft) {
                pairs.push((
                    format!("periodic {} (period {period})", allowance.asset),
                    out.periodic
                        .get(&(allowance.asset, period))
                        .copied()
                        .unwrap_or_default(),
                    counted(allowance.amount, *periodic_left),
                ));
            }
            for (what, seen, charged) in pairs {
                if seen > charged {
                    let index = (0..self.reference.specs.len())
                        .find(|i| self.reference.session_id(*i) == id)
                        .map_or_else(|| format!("{id}"), |i| i.to_string());
                    return fail(
                        "LEDGER",
                        self.step,
                        format!(
                            "session {index} on {sender}: {what} outflow {seen} > what the module counted {charged}"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Rule 16 at execution. For every settled op of a validated bundle whose closing `settle`
    /// ran, the loss the recorder measured between the two `settle` calls (each limited token's
    /// balance when each call started: what the module's `balanceOf` reads) goes through the
    /// model's [`settlement::settle`] on the reference counters (after every validation of the
    /// bundle and the earlier ops' settlements). MODEL: the closing call reverted with exactly
    /// the model's `SettledAllowanceExceeded` (the op's calls revert, its validation charges
    /// stay), or succeeded when the model charges. The reference takes the charge of every
    /// closing `settle` that succeeded, with or without the model comparison.
    fn check_settlements(
        &mut self,
        plan: &mut BundlePlan,
        recorder: &CallRecorder,
        events: &[OpEvent],
    ) -> Result<(), Failure> {
        if plan.failure.is_some() {
            return Ok(());
        }
        let layout = self.reference.layout();
        let is_settle = |target: Address, data: &[u8]| {
            target == layout.module && data.get(..4) == Some(SETTLE.as_slice())
        };
        for ((p, execution), event) in plan.plans.iter().zip(&recorder.executions).zip(events) {
            let OpPlan::Session(s) = p else { continue };
            let Some(last) = s.calls.len().checked_sub(1) else {
                continue;
            };
            if last == 0 || !is_settle(s.calls[0].target, &s.calls[0].data) {
                continue;
            }
            // The closing `settle` did not run when a call before it reverted.
            let (Some(open), Some(close)) = (execution.calls.first(), execution.calls.get(last))
            else {
                continue;
            };
            if !is_settle(open.target, &open.data) || !is_settle(close.target, &close.data) {
                continue;
            }
            self.stats.settled += 1;
            let lost: Vec<U256> = s
                .carried
                .tokens
                .iter()
                .map(|t| t.token)
                .chain(s.carried.periodic.iter().map(|p| p.asset))
                .map(|asset| {
                    layout
                        .tokens
                        .iter()
                        .position(|t| *t == asset)
                        .map_or(U256::ZERO, |k| {
                            open.holdings.tokens[k].saturating_sub(close.holdings.tokens[k])
                        })
                })
                .collect();
            let store = if s.sender == layout.account {
                &mut plan.after.main
            } else {
                &mut plan.after.other
            };
            let state = store.session(s.carried_id);
            let expected = settlement::settle(&s.carried, &state, s.period, &lost);
            self.checked_model();
            match expected {
                Ok(next) => {
                    if close.success && event.success {
                        store.set_session(s.carried_id, next);
                    } else if self.model_checks {
                        return fail(
                            "MODEL",
                            self.step,
                            format!(
                                "session {}: the closing settle reverted ({}), the model charges {lost:?}",
                                s.session_index, close.output
                            ),
                        );
                    }
                }
                Err(e) => {
                    self.stats.settle_reverts += 1;
                    let got = settled_allowance_exceeded(&close.output);
                    if self.model_checks
                        && (close.success
                            || event.success
                            || got.as_ref() != Some(&(s.carried_id, e.clone())))
                    {
                        return fail(
                            "MODEL",
                            self.step,
                            format!(
                                "session {}: the model expects the closing settle to revert {e}, chain: success {} output {} (op success {})",
                                s.session_index, close.success, close.output, event.success
                            ),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// MODEL (verdicts): the bundle's outcome is the model's, op by op.
    fn check_outcome(
        &mut self,
        plan: &BundlePlan,
        outcome: &HandleOpsOutcome,
        events: &[OpEvent],
    ) -> Result<(), Failure> {
        self.checked_model();
        match (&plan.failure, &outcome.revert) {
            (None, None) => {
                for (p, event) in plan.plans.iter().zip(events) {
                    if let OpPlan::Owner(action, succeeds) = p {
                        if *succeeds != event.success {
                            return fail(
                                "MODEL",
                                self.step,
                                format!(
                                    "owner {action:?}: model says success={succeeds}, chain {}",
                                    event.success
                                ),
                            );
                        }
                    }
                }
                Ok(())
            }
            (Some((index, expected)), Some(revert)) => {
                let got_index = match revert {
                    DecodedRevert::FailedOp { op_index, .. } | DecodedRevert::FailedOpWithRevert { op_index, .. } => {
                        op_index.to::<usize>()
                    }
                    other => return fail("MODEL", self.step, format!("expected op {index} to fail ({expected:?}), handleOps reverted {other}")),
                };
                let matches = got_index == *index
                    && match (expected, revert) {
                        (
                            Expected::Reverted(r),
                            DecodedRevert::FailedOpWithRevert { inner, .. },
                        ) => rejection(inner) == Some(as_revealed(r)),
                        (Expected::SignatureError, DecodedRevert::FailedOp { reason, .. }) => {
                            reason.starts_with("AA24")
                        }
                        (Expected::OutOfWindow, DecodedRevert::FailedOp { reason, .. }) => {
                            reason.starts_with("AA22")
                        }
                        _ => false,
                    };
                if matches {
                    return Ok(());
                }
                fail(
                    "MODEL",
                    self.step,
                    format!("expected op {index} to fail with {expected:?}, chain: {revert}"),
                )
            }
            (Some((index, expected)), None) => fail(
                "MODEL",
                self.step,
                format!("expected op {index} to fail with {expected:?}, the bundle validated"),
            ),
            (None, Some(revert)) => fail(
                "MODEL",
                self.step,
                format!("expected the bundle to validate, chain: {revert}"),
            ),
        }
    }

    /// MONOTONE and MODEL (counters): every session's counters, per period of interest, as
    /// the module's `remainingOf` view reports them.
    fn check_counters(&mut self) -> Result<(), Failure> {
        self.check_nonces()?;
        let account = self.reference.layout().account;
        let epoch = self.facts.generation;
        let initialized: bool = self.view(&ISessionKeyValidator::isInitializedCall { account })?;
        self.checked_model();
        if self.model_checks && initialized != self.reference.main.installed {
            return fail(
                "MODEL",
                self.step,
                format!(
                    "installed: chain {initialized}, model {}",
                    self.reference.main.installed
                ),
            );
        }
        for i in 0..self.reference.specs.len() {
            let session = self.reference.session(i);
            let id = self.reference.session_id(i);
            let status = self.status(account, id)?;
            if self.model_checks && status != self.reference.main.status(id).code() {
                return fail(
                    "MODEL",
                    self.step,
                    format!(
                        "session {i} status: chain {status}, model {:?}",
                        self.reference.main.status(id)
                    ),
                );
            }
            for period in self.reference.periods_of_interest(i) {
                let abi: AbiSession = crate::encode::to_abi(&session);
                let chain_left = self.view(&ISessionKeyValidator::remainingOfCall {
                    account,
                    session: abi,
                    periodIndex: period,
                })?;
                let chain_left = Remaining {
                    status: chain_left.status,
                    uses_left: chain_left.usesLeft,
                    native_left: chain_left.nativeLeft,
                    tokens_left: chain_left.tokensLeft,
                    periodic_left: chain_left.periodicLeft,
                    rate_left: chain_left.rateLeft,
                    fee_left: chain_left.feeLeft,
                    gas_left: chain_left.gasLeft,
                    window: (
                        chain_left.validAfter.to::<u64>(),
                        chain_left.validUntil.to::<u64>(),
                    ),
                };
                self.stats.checked("MONOTONE");
                if let Some(before) = self.previous.get(&(i, epoch, period)) {
                    if !not_more_left(&chain_left, before) {
                        return fail(
                            "MONOTONE",
                            self.step,
                            format!("session {i} period {period}: {before:?} then {chain_left:?}"),
                        );
                    }
                }
                self.previous.insert((i, epoch, period), chain_left.clone());
                self.checked_model();
                let model_left = remaining(&self.reference.main, id, &session, period);
                if self.model_checks && model_left.as_ref() != Some(&chain_left) {
                    return fail("MODEL", self.step, format!("session {i} period {period}: chain {chain_left:?}, model {model_left:?}"));
                }
                if op_window(&session, period).ok() != Some(chain_left.window) {
                    return fail(
                        "WINDOW",
                        self.step,
                        format!(
                            "session {i} period {period}: window {:?}",
                            chain_left.window
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn resync_allowances(&mut self) -> Result<(), Failure> {
        let layout = self.reference.layout();
        for owner in [layout.account, layout.other_account] {
            for token in layout.tokens {
                for spender in [layout.recorders[0], layout.recorders[1], layout.router] {
                    let value = self
                        .chain
                        .erc20_allowance(token, owner, spender)
                        .map_err(|e| Failure {
                            invariant: "SETUP",
                            step: self.step,
                            detail: e.to_string(),
                        })?;
                    self.allowances.insert((owner, token, spender), value);
                }
            }
        }
        Ok(())
    }

    /// REPLAY (the module's view) and MODEL (enable nonces): which enable nonces of both
    /// accounts the module's `enableNonceUsed` reports used. REPLAY, from chain facts: exactly
    /// the nonces of the enable grants that validated and of the owner's successful
    /// `invalidateEnableNonce` calls (a consumed nonce the view reports free is one the
    /// module's own replay check would let through again). MODEL: the model's.
    fn check_nonces(&mut self) -> Result<(), Failure> {
        let layout = self.reference.layout();
        for (account, state) in [
            (layout.account, &self.reference.main),
            (layout.other_account, &self.reference.other),
        ] {
            for n in 0..ENABLE_NONCES {
                let nonce = crate::grammar::enable_nonce(n);
                let used: bool =
                    self.view(&ISessionKeyValidator::enableNonceUsedCall { account, nonce })?;
                let consumed = self.facts.nonce_used(account, nonce);
                self.stats.checked("REPLAY");
                if used != consumed {
                    return fail(
                        "REPLAY",
                        self.step,
                        format!(
                            "enable nonce {nonce} of {account}: the module's enableNonceUsed says {used}, the chain facts say consumed={consumed}"
                        ),
                    );
                }
                let expected = state.used_nonces.contains(&nonce);
                if self.model_checks {
                    self.stats.checked("MODEL");
                }
                if self.model_checks && used != expected {
                    return fail(
                        "MODEL",
                        self.step,
                        format!(
                            "enable nonce {n} of {account}: chain used={used}, model {expected}"
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// The window `[lower, upper]` (inclusive, seconds) in which an op of `session` naming
/// `period` may execute: the session's window ∩ that period's, in exact arithmetic (no 48-bit
/// clamp); `None` when a session without periods names a period other than 0.
pub fn exact_window(session: &Session, period: u32) -> Option<(u128, u128)> {
    let mut lower = u128::from(session.valid_after);
    let mut upper = if session.valid_until == 0 {
        u128::MAX
    } else {
        u128::from(session.valid_until)
    };
    if session.period == 0 {
        return (period == 0).then_some((lower, upper));
    }
    let start = u128::from(session.period_start) + u128::from(period) * u128::from(session.period);
    lower = lower.max(start);
    upper = upper.min(start + u128::from(session.period) - 1);
    Some((lower, upper))
}

/// The session id of a planned session op: the hash of the packed bytes its envelope carries.
fn op_session_id(s: &SessionPlan) -> B256 {
    s.carried_id
}

/// True when nothing in `now` is more than in `before` (counters only grow).
fn not_more_left(now: &Remaining, before: &Remaining) -> bool {
    now.uses_left <= before.uses_left
        && now.native_left <= before.native_left
        && now.rate_left <= before.rate_left
        && now.fee_left <= before.fee_left
        && now.gas_left <= before.gas_left
        && now
            .tokens_left
            .iter()
            .zip(&before.tokens_left)
            .all(|(a, b)| a <= b)
        && now
            .periodic_left
            .iter()
            .zip(&before.periodic_left)
            .all(|(a, b)| a <= b)
}

/// DENY on the top-level call data: only `execute` with single/batch and default/try and zero
/// mode selector and payload, or a non-wrapper account function.
fn deny_mode(call_data: &Bytes) -> Result<(), String> {
    let Some(selector) = call_data.get(..4) else {
        return Err("call data shorter than a selector validated".into());
    };
    if [EXECUTE_FROM_EXECUTOR, EXECUTE_USER_OP]
        .iter()
        .any(|w| w[..] == *selector)
    {
        return Err(format!("wrapper {selector:?} validated"));
    }
    if selector != &EXECUTE[..] {
        return Ok(());
    }
    let Some(mode) = call_data.get(4..36) else {
        return Err("execute without a mode validated".into());
    };
    if mode[0] > 1 || mode[1] > 1 || mode[2..].iter().any(|b| *b != 0) {
        return Err(format!("mode {} validated", Bytes::copy_from_slice(mode)));
    }
    Ok(())
}
