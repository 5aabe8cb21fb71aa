//! Each permission and policy type mapped to exactly the session its authors describe.

use alloy::json_abi::JsonAbi;
use alloy::primitives::{Address, FixedBytes, U256};

use super::super::error::PermissionError;
use super::super::json::{Child, Obj};
use super::super::spec::{
    Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target, TokenAllowance,
};
use super::shape::Shape;

/// `transfer(address,uint256)`.
pub(super) const TRANSFER: FixedBytes<4> = FixedBytes([0xa9, 0x05, 0x9c, 0xbb]);
/// `approve(address,uint256)`.
const APPROVE: FixedBytes<4> = FixedBytes([0x09, 0x5e, 0xa7, 0xb3]);
/// A call with empty call data: a plain value transfer.
pub(super) const PLAIN_TRANSFER: FixedBytes<4> = FixedBytes::ZERO;

/// A period schedule and the permission that set it.
struct Schedule {
    period: u64,
    start: u64,
    set_by: String,
}

/// Accumulates a session from permissions and policies, refusing conflicts.
pub(super) struct Builder {
    pub(super) spec: SessionSpec,
    shape: Shape,
    now: u64,
    schedule: Option<Schedule>,
    native_set_by: Option<String>,
    fee_set_by: Option<String>,
    root_set_by: Option<String>,
    native_periodic: bool,
}

impl Builder {
    pub(super) fn new(shape: Shape, valid_until: u64, now: u64) -> Self {
        Self {
            spec: SessionSpec {
                valid_until,
                ..SessionSpec::default()
            },
            shape,
            now,
            schedule: None,
            native_set_by: None,
            fee_set_by: None,
            root_set_by: None,
            native_periodic: false,
        }
    }

    /// One permission object: `{ type, data?, required?, isAdjustmentAllowed?, policies? }`.
    pub(super) fn add_permission(&mut self, item: &Child<'_>) -> Result<(), PermissionError> {
        let node = item.node();
        let perm = node.object(&[
            "type",
            "data",
            "required",
            "isAdjustmentAllowed",
            "policies",
        ])?;
        let kind = perm.req("type")?.node().str()?.to_owned();
        for flag in ["required", "isAdjustmentAllowed"] {
            if let Some(v) = perm.get(flag) {
                v.node().bool()?;
            }
        }
        let policies = match perm.get("policies") {
            Some(p) => p.items()?,
            None => Vec::new(),
        };
        let here = node.path().to_owned();
        let capped = self.permission(&kind, &perm, &here)?;
        for policy in &policies {
            self.policy(policy, capped)?;
        }
        Ok(())
    }

    /// A policy that applies to the whole request.
    pub(super) fn add_session_policy(&mut self, policy: &Child<'_>) -> Result<(), PermissionError> {
        self.policy(policy, None)
    }

    /// Maps one permission; returns the asset a `token-allowance` policy on it would cap.
    fn permission(
        &mut self,
        kind: &str,
        perm: &Obj<'_>,
        here: &str,
    ) -> Result<Option<Asset>, PermissionError> {
        if kind == "root" {
            if let Some(data) = perm.get("data") {
                data.node().object(&[])?;
            }
            self.set_once(Field::Root, here)?;
            self.spec.root = true;
            return Ok(None);
        }
        let data_child = perm.req("data")?;
        let data = data_child.node();
        match kind {
            // Alchemy, the first ERC-7715 text and viem: allows native transfers, limited
            // by `allowance` (or a token-allowance policy); without either, unlimited.
            "native-token-transfer" | "native-token-allowance" => {
                let d = data.object(&["allowance", "ticker", "justification"])?;
                strings(&d, &["ticker", "justification"])?;
                self.set_once(Field::Native, here)?;
                self.spec.native_allowance = match d.get("allowance") {
                    Some(a) => a.node().u256()?,
                    // No amount: unlimited, unless a token-allowance policy caps it below.
                    None => U256::MAX,
                };
                self.grant(Target::Any, Selector::Exact(PLAIN_TRANSFER));
                Ok(Some(Asset::Native))
            }
            // Alchemy: transfers and approvals of the token, both counted; ERC-7715/viem:
            // transfers of the token.
            "erc20-token-transfer" => {
                let d = data.object(&["address", "allowance", "ticker", "justification"])?;
                strings(&d, &["ticker", "justification"])?;
                let token_child = d.req("address")?;
                let token = token_child.node().address()?;
                if let Some(i) = self.spec.tokens.iter().position(|t| t.token == token) {
                    return Err(token_child.node().err(format!(
                        "second erc20-token-transfer for {token} (the first is tokens[{i}]); \
                         a session has one cumulative allowance per token: merge them"
                    )));
                }
                let amount = match d.get("allowance") {
                    Some(a) => a.node().u256()?,
                    None => U256::MAX,
                };
                self.spec.tokens.push(TokenAllowance { token, amount });
                self.grant(Target::Exact(token), Selector::Exact(TRANSFER));
                if self.shape == Shape::AlchemySession {
                    self.grant(Target::Exact(token), Selector::Exact(APPROVE));
                }
                Ok(Some(Asset::Token(token)))
            }
            // Alchemy: wei the session may spend on gas.
            "gas-limit" => {
                let d = data.object(&["limit", "justification"])?;
                strings(&d, &["justification"])?;
                self.set_once(Field::Fee, here)?;
                self.spec.fee_budget = d.req("limit")?.node().u256()?;
                Ok(None)
            }
            "contract-access" => {
                let d = data.object(&["address", "justification"])?;
                strings(&d, &["justification"])?;
                let target = d.req("address")?.node().address()?;
                self.grant(Target::Exact(target), Selector::Any);
                Ok(None)
            }
            // viem / the first ERC-7715 text / Openfort / reown: calls to one contract, every
            // function unless `calls` (signatures or selectors) or `functions` (names in
            // `abi`) narrow it.
            "contract-call" => {
                self.contract_call(data)?;
                Ok(None)
            }
            "allowed-contract-selector" => {
                let d = data.object(&["contract", "selector", "justification"])?;
                strings(&d, &["justification"])?;
                let target = d.req("contract")?.node().address()?;
                let selector = d.req("selector")?.node().selector()?;
                self.grant(Target::Exact(target), Selector::Exact(selector));
                Ok(None)
            }
            "functions-on-contract" => {
                let d = data.object(&["address", "functions", "justification"])?;
                strings(&d, &["justification"])?;
                let target = d.req("address")?.node().address()?;
                for selector in functions(&d)? {
                    self.grant(Target::Exact(target), Selector::Exact(selector));
                }
                Ok(None)
            }
            "functions-on-all-contracts" => {
                let d = data.object(&["functions", "justification"])?;
                strings(&d, &["justification"])?;
                for selector in functions(&d)? {
                    self.grant(Target::Any, Selector::Exact(selector));
                }
                Ok(None)
            }
            "account-functions" => {
                let d = data.object(&["functions", "justification"])?;
                strings(&d, &["justification"])?;
                for selector in functions(&d)? {
                    if !self.spec.account_selectors.contains(&selector) {
                        self.spec.account_selectors.push(selector);
                    }
                }
                Ok(None)
            }
            "rate-limit" => {
                let d = data.object(&["count", "interval", "justification"])?;
                strings(&d, &["justification"])?;
                self.rate_limit(&d)?;
                Ok(None)
            }
            "native-token-recurring-allowance" => {
                let d = data.object(&["start", "period", "allowance", "justification"])?;
                strings(&d, &["justification"])?;
                let period = d.req("period")?;
                let start = d.req("start")?.node().uint(48)?;
                self.set_schedule(&period, period.node().uint(48)?, start, here)?;
                self.periodic(Asset::Native, d.req("allowance")?.node().u256()?, here)?;
                Ok(None)
            }
            "native-token-periodic" => {
                let d = data.object(&[
                    "periodAmount",
                    "periodDuration",
                    "startTime",
                    "justification",
                ])?;
                strings(&d, &["justification"])?;
                let period = d.req("periodDuration")?;
                let start = match d.get("startTime") {
                    Some(s) => s.node().uint(48)?,
                    None => self.now,
                };
                self.set_schedule(&period, period.node().uint(48)?, start, here)?;
                self.periodic(Asset::Native, d.req("periodAmount")?.node().u256()?, here)?;
                Ok(None)
            }
            "erc20-recurring-allowance" => {
                let d = data.object(&["token", "start", "period", "allowance", "justification"])?;
                strings(&d, &["justification"])?;
                let token = d.req("token")?.node().address()?;
                let period = d.req("period")?;
                let start = d.req("start")?.node().uint(48)?;
                self.set_schedule(&period, period.node().uint(48)?, start, here)?;
                self.periodic(
                    Asset::Token(token),
                    d.req("allowance")?.node().u256()?,
                    here,
                )?;
                Ok(None)
            }
            "erc20-token-periodic" => {
                let d = data.object(&[
                    "tokenAddress",
                    "periodAmount",
                    "periodDuration",
                    "startTime",
                    "justification",
                ])?;
                strings(&d, &["justification"])?;
                let token = d.req("tokenAddress")?.node().address()?;
                let period = d.req("periodDuration")?;
                let start = match d.get("startTime") {
                    Some(s) => s.node().uint(48)?,
                    None => self.now,
                };
                self.set_schedule(&period, period.node().uint(48)?, start, here)?;
                self.periodic(
                    Asset::Token(token),
                    d.req("periodAmount")?.node().u256()?,
                    here,
                )?;
                Ok(None)
            }
            "native-token-stream" | "erc20-token-stream" => Err(PermissionError::new(
                format!("{here}.type"),
                format!(
                    "{kind} releases an amount per second (a linear stream), which leash cannot \
                     enforce: its allowances are cumulative or per period; ask for \
                     {} instead",
                    if kind.starts_with("native") {
                        "native-token-periodic"
                    } else {
                        "erc20-token-periodic"
                    }
                ),
            )),
            "erc721-token-transfer" | "erc1155-token-transfer" => Err(PermissionError::new(
                format!("{here}.type"),
                format!(
                    "{kind} limits transfers to token ids, which leash cannot enforce (it limits \
                     calls by target and selector, and amounts of native value and ERC-20 tokens)"
                ),
            )),
            other => Err(PermissionError::new(
                format!("{here}.type"),
                format!(
                    "unsupported permission type {other:?} (supported: {})",
                    SUPPORTED.join(", ")
                ),
            )),
        }
    }

    fn contract_call(&mut self, data: super::super::json::Node<'_>) -> Result<(), PermissionError> {
        let d = data.object(&["address", "calls", "abi", "functions", "justification"])?;
        strings(&d, &["justification"])?;
        let target = d.req("address")?.node().address()?;
        let mut selectors = Vec::new();
        if let Some(calls) = d.get("calls") {
            for call in calls.node().array()? {
                selectors.push(call.node().selector()?);
            }
        }
        if let Some(list) = d.get("functions") {
            let abi_child = d.req("abi")?;
            let abi: JsonAbi = serde_json::from_value(abi_child.value.clone())
                .map_err(|e| abi_child.node().err(format!("not a JSON ABI: {e}")))?;
            for f in list.node().array()? {
                let fobj = f.node().object(&["functionName", "args", "valueLimit"])?;
                for key in ["args", "valueLimit"] {
                    if let Some(v) = fobj.get(key) {
                        let empty = v.value.is_null()
                            || v.value
                                .as_array()
                                .is_some_and(|a| a.iter().all(|x| x.is_null()));
                        if !empty {
                            return Err(v.node().err(format!(
                                "`{key}` conditions on a call cannot be enforced by leash (it \
                                 grants calls by target and selector); drop them or ask for \
                                 the function without conditions"
                            )));
                        }
                    }
                }
                let name_child = fobj.req("functionName")?;
                let name = name_child.node().str()?;
                let overloads = abi.function(name).ok_or_else(|| {
                    name_child
                        .node()
                        .err(format!("no function {name:?} in the request's abi"))
                })?;
                selectors.extend(overloads.iter().map(|f| f.selector()));
            }
        } else if let Some(abi) = d.get("abi") {
            return Err(abi
                .node()
                .err("`abi` without `functions` names no call; list the functions to allow"));
        }
        if selectors.is_empty() {
            self.grant(Target::Exact(target), Selector::Any);
        } else {
            for selector in selectors {
                self.grant(Target::Exact(target), Selector::Exact(selector));
            }
        }
        Ok(())
    }

    /// A policy; `capped` is the asset of the permission it is attached to, if any.
    fn policy(&mut self, item: &Child<'_>, capped: Option<Asset>) -> Result<(), PermissionError> {
        let node = item.node();
        let obj = node.object(&["type", "data"])?;
        let kind_child = obj.req("type")?;
        let kind = kind_child.node().str()?;
        let data_child = obj.req("data")?;
        let data = data_child.node();
        match kind {
            "token-allowance" => {
                let d = data.object(&["allowance"])?;
                let amount = d.req("allowance")?.node().u256()?;
                match capped {
                    Some(Asset::Native) => self.cap_native(amount),
                    Some(Asset::Token(token)) => {
                        let t = self
                            .spec
                            .tokens
                            .iter_mut()
                            .find(|t| t.token == token)
                            .expect("the permission added the token");
                        t.amount = t.amount.min(amount);
                    }
                    None => {
                        return Err(kind_child.node().err(
                            "token-allowance limits a native-token-transfer or \
                             erc20-token-transfer permission; attach it to one",
                        ))
                    }
                }
            }
            // The first ERC-7715 text: native token the session may spend.
            "spent-limit" | "native-token-spend-limit" => {
                let d = data.object(&["allowance"])?;
                let amount = d.req("allowance")?.node().u256()?;
                self.cap_native(amount);
            }
            // Gas units over the session (the ERC-7715 and viem policy).
            "gas-limit" => {
                let d = data.object(&["limit"])?;
                let limit = d.req("limit")?.node().u256()?;
                self.spec.gas_budget = if self.spec.gas_budget.is_zero() {
                    limit
                } else {
                    self.spec.gas_budget.min(limit)
                };
                if limit.is_zero() {
                    return Err(data.err("a gas limit of 0 allows no op"));
                }
            }
            "call-limit" | "usage-limit" => {
                let d = data.object(&["count", "limit"])?;
                let child = d
                    .get("count")
                    .or_else(|| d.get("limit"))
                    .ok_or_else(|| data.err("required field is missing: `count`"))?;
                let count = child.node().uint(32)? as u32;
                if count == 0 {
                    return Err(child.node().err("a call limit of 0 allows no op"));
                }
                self.spec.max_uses = if self.spec.max_uses == 0 {
                    count
                } else {
                    self.spec.max_uses.min(count)
                };
            }
            "rate-limit" => {
                let d = data.object(&["count", "interval"])?;
                self.rate_limit(&d)?;
            }
            other => {
                return Err(kind_child.node().err(format!(
                    "policy {other:?} cannot be enforced by leash (supported: token-allowance, \
                     spent-limit, gas-limit, call-limit, rate-limit); drop it or ask the app for \
                     a request without it"
                )))
            }
        }
        Ok(())
    }

    fn rate_limit(&mut self, d: &Obj<'_>) -> Result<(), PermissionError> {
        let count_child = d.req("count")?;
        let count = count_child.node().uint(32)? as u32;
        if count == 0 {
            return Err(count_child.node().err("a rate limit of 0 allows no op"));
        }
        let interval = d.req("interval")?;
        let here = d.path().to_owned();
        let start = self.schedule.as_ref().map_or(self.now, |s| s.start);
        self.set_schedule(&interval, interval.node().uint(48)?, start, &here)?;
        self.spec.rate_limit = if self.spec.rate_limit == 0 {
            count
        } else {
            self.spec.rate_limit.min(count)
        };
        Ok(())
    }

    /// Caps the native value; the first cap sets it when no permission did.
    fn cap_native(&mut self, amount: U256) {
        if self.native_set_by.is_some() {
            self.spec.native_allowance = self.spec.native_allowance.min(amount);
        } else {
            self.spec.native_allowance = amount;
            self.native_set_by = Some("a policy".to_owned());
        }
    }

    fn set_once(&mut self, field: Field, here: &str) -> Result<(), PermissionError> {
        let (slot, what) = match field {
            Field::Native => (&mut self.native_set_by, "native-token-transfer"),
            Field::Fee => (&mut self.fee_set_by, "gas-limit"),
            Field::Root => (&mut self.root_set_by, "root"),
        };
        if let Some(first) = slot {
            return Err(PermissionError::new(
                here,
                format!("second {what} permission (the first is {first}); a session has one: merge them"),
            ));
        }
        *slot = Some(here.to_owned());
        Ok(())
    }

    pub(super) fn grant(&mut self, target: Target, selector: Selector) {
        let grant = CallGrant { target, selector };
        if !self.spec.calls.contains(&grant) {
            self.spec.calls.push(grant);
        }
    }

    pub(super) fn set_schedule(
        &mut self,
        period_child: &Child<'_>,
        period: u64,
        start: u64,
        here: &str,
    ) -> Result<(), PermissionError> {
        if period == 0 {
            return Err(period_child.node().err("must be greater than 0"));
        }
        match &self.schedule {
            None => {
                self.schedule = Some(Schedule {
                    period,
                    start,
                    set_by: here.to_owned(),
                });
                self.spec.period = period;
                self.spec.period_start = start;
                Ok(())
            }
            Some(s) if s.period == period && s.start == start => Ok(()),
            Some(s) => Err(period_child.node().err(format!(
                "period {period}s starting at {start} differs from period {}s starting at {} set \
                 by {}: a leash session has ONE period schedule, shared by all periodic \
                 allowances and the rate limit; use the same period and start, or split the \
                 request into separate sessions",
                s.period, s.start, s.set_by
            ))),
        }
    }

    /// A per-period allowance, and the transfer it limits.
    pub(super) fn periodic(
        &mut self,
        asset: Asset,
        amount: U256,
        here: &str,
    ) -> Result<(), PermissionError> {
        self.periodic_only(asset, amount, here)?;
        match asset {
            Asset::Native => self.grant(Target::Any, Selector::Exact(PLAIN_TRANSFER)),
            Asset::Token(token) => self.grant(Target::Exact(token), Selector::Exact(TRANSFER)),
        }
        Ok(())
    }

    /// A per-period allowance without a grant.
    pub(super) fn periodic_only(
        &mut self,
        asset: Asset,
        amount: U256,
        here: &str,
    ) -> Result<(), PermissionError> {
        if let Some(i) = self.spec.periodic.iter().position(|p| p.asset == asset) {
            return Err(PermissionError::new(
                here,
                format!(
                    "second periodic allowance for the same asset (the first is periodic[{i}]); \
                     merge them"
                ),
            ));
        }
        self.spec.periodic.push(PeriodicAllowance { asset, amount });
        if asset == Asset::Native {
            self.native_periodic = true;
        }
        Ok(())
    }

    /// Completes the session: a native periodic allowance without a cumulative cap gets the
    /// most the schedule can release inside the window (the module needs a cap for value).
    pub(super) fn finish(mut self) -> SessionSpec {
        if self.native_periodic && self.native_set_by.is_none() {
            let per_period = self
                .spec
                .periodic
                .iter()
                .find(|p| p.asset == Asset::Native)
                .map(|p| p.amount)
                .unwrap_or_default();
            self.spec.native_allowance =
                per_period.saturating_mul(U256::from(periods_in_window(&self.spec)));
        }
        self.spec
    }
}

/// Number of periods of the schedule that overlap `[validAfter, validUntil]`.
fn periods_in_window(spec: &SessionSpec) -> u64 {
    if spec.period == 0 || spec.valid_until < spec.period_start {
        return 0;
    }
    let first = spec.valid_after.max(spec.period_start);
    let first_index = (first - spec.period_start) / spec.period;
    let last_index = (spec.valid_until - spec.period_start) / spec.period;
    last_index - first_index + 1
}

enum Field {
    Native,
    Fee,
    Root,
}

/// The permission types leash maps.
pub(super) const SUPPORTED: &[&str] = &[
    "native-token-transfer",
    "native-token-allowance",
    "erc20-token-transfer",
    "gas-limit",
    "contract-access",
    "contract-call",
    "allowed-contract-selector",
    "functions-on-contract",
    "functions-on-all-contracts",
    "account-functions",
    "rate-limit",
    "root",
    "native-token-recurring-allowance",
    "native-token-periodic",
    "erc20-recurring-allowance",
    "erc20-token-periodic",
];

fn strings(d: &Obj<'_>, keys: &[&str]) -> Result<(), PermissionError> {
    for key in keys {
        if let Some(j) = d.get(key) {
            j.node().str()?;
        }
    }
    Ok(())
}

fn functions(d: &Obj<'_>) -> Result<Vec<FixedBytes<4>>, PermissionError> {
    let list = d.req("functions")?;
    let items = list.node().array()?;
    if items.is_empty() {
        return Err(list
            .node()
            .err("empty list grants nothing; name at least one function"));
    }
    items.iter().map(|i| i.node().selector()).collect()
}

/// The sentinel spend permissions use for the native token.
pub(super) const SPEND_NATIVE: Address =
    alloy::primitives::address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
