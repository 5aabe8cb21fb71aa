//! Import of an ERC-7715 `wallet_grantPermissions` request into a [`SessionSpec`].
//!
//! Accepted request shape (one request, or a one-element `params` array):
//! `{ chainId, address?, expiry, signer?, permissions: [{ type, data, required?,
//! isAdjustmentAllowed?, policies? }] }`.
//!
//! Permission types and what they become:
//!
//! | type | data | session |
//! |---|---|---|
//! | `native-token-transfer` | `allowance` | `nativeAllowance` (a limit, grants no call) |
//! | `erc20-token-transfer` | `address`, `allowance` | `tokens[]` (a limit, grants no call) |
//! | `gas-limit` | `limit` (wei spent on gas) | `feeBudget` |
//! | `contract-access` | `address` | call grant (address, any selector) |
//! | `functions-on-contract` | `address`, `functions[]` | one call grant per function |
//! | `functions-on-all-contracts` | `functions[]` | call grants (any target, function) |
//! | `account-functions` | `functions[]` | `accountFunctions` |
//! | `root` | none | `root` |
//! | `native-token-recurring-allowance` | `start`, `period`, `allowance` | periodic native + plain transfers |
//! | `native-token-periodic` | `periodAmount`, `periodDuration`, `startTime?` | periodic native + plain transfers |
//! | `erc20-recurring-allowance` | `token`, `start`, `period`, `allowance` | periodic token + `transfer` |
//! | `erc20-token-periodic` | `tokenAddress`, `periodAmount`, `periodDuration`, `startTime?` | periodic token + `transfer` |
//!
//! The first group (Alchemy's types) are limits or grants exactly as named. The periodic
//! types (Coinbase's and MetaMask's) grant the transfer they limit: native ones add a grant
//! for plain value transfers (any target, empty call data) and, because the module rejects
//! native value without a cumulative native allowance, set `nativeAllowance` to the most the
//! schedule can release inside the window when no `native-token-transfer` sets it; ERC-20
//! ones add a grant for `transfer(address,uint256)` on the token.
//!
//! `expiry` becomes `validUntil`. A leash session has ONE period schedule shared by all
//! periodic allowances and the rate limit, so periodic permissions with different periods
//! or starts are refused. The request's `signer` is not used: leash generates the key.

use alloy::primitives::{Address, FixedBytes, U256};
use serde_json::Value;

use super::error::PermissionError;
use super::json::{Child, Node, Obj};
use super::spec::{
    Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target, TokenAllowance,
};

/// `transfer(address,uint256)`.
const TRANSFER: FixedBytes<4> = FixedBytes([0xa9, 0x05, 0x9c, 0xbb]);

/// What an ERC-7715 request becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedGrant {
    /// `chainId` of the request.
    pub chain_id: u64,
    /// `address` of the request (the account), when given.
    pub account: Option<Address>,
    /// The session, validated, with `signer` still zero.
    pub spec: SessionSpec,
}

/// Maps an ERC-7715 request to a session. `now` (unix seconds) is the default `startTime`
/// of MetaMask periodic permissions and the reference for a past `expiry`.
pub fn import_request(text: &str, now: u64) -> Result<ImportedGrant, PermissionError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| PermissionError::new("", format!("not valid JSON: {e}")))?;
    import_value(&value, now)
}

/// [`import_request`] on a JSON value.
pub fn import_value(value: &Value, now: u64) -> Result<ImportedGrant, PermissionError> {
    let root = Node::root(value);
    if value.is_array() {
        let items = root.array()?;
        if items.len() != 1 {
            return Err(root.err(format!(
                "expected one permission request, found {}; import them one at a time",
                items.len()
            )));
        }
        return import_request_object(items[0].node(), now);
    }
    import_request_object(root, now)
}

/// A period schedule and the permission that set it.
struct Schedule {
    period: u64,
    start: u64,
    set_by: String,
}

struct Builder {
    spec: SessionSpec,
    schedule: Option<Schedule>,
    native_set_by: Option<String>,
    fee_set_by: Option<String>,
    root_set_by: Option<String>,
    native_periodic: bool,
}

fn import_request_object(node: Node<'_>, now: u64) -> Result<ImportedGrant, PermissionError> {
    let obj = node.object(&["chainId", "address", "expiry", "signer", "permissions"])?;
    let chain_id = obj.req("chainId")?.node().uint(64)?;
    if chain_id == 0 {
        return Err(PermissionError::new(join(&obj, "chainId"), "must not be 0"));
    }
    let account = match obj.get("address") {
        Some(a) => Some(a.node().address()?),
        None => None,
    };
    let expiry = obj.req("expiry")?;
    let valid_until = expiry.node().uint(48)?;
    if valid_until <= now {
        return Err(expiry
            .node()
            .err(format!("{valid_until} is not in the future (now {now})")));
    }
    if let Some(signer) = obj.get("signer") {
        let signer_node = signer.node();
        signer_node
            .object(&["type", "data"])?
            .req("type")?
            .node()
            .str()?;
    }
    let permissions = obj.req("permissions")?;
    let items = permissions.node().array()?;
    if items.is_empty() {
        return Err(permissions.node().err("no permissions requested"));
    }

    let mut b = Builder {
        spec: SessionSpec {
            valid_until,
            ..SessionSpec::default()
        },
        schedule: None,
        native_set_by: None,
        fee_set_by: None,
        root_set_by: None,
        native_periodic: false,
    };
    for item in &items {
        b.add_permission(item, now)?;
    }
    b.finish(account, chain_id)
}

fn join(obj: &Obj<'_>, key: &str) -> String {
    super::json::join(obj.path(), key)
}

impl Builder {
    fn add_permission(&mut self, item: &Child<'_>, now: u64) -> Result<(), PermissionError> {
        let node = item.node();
        let perm = node.object(&[
            "type",
            "data",
            "required",
            "isAdjustmentAllowed",
            "policies",
        ])?;
        let kind_child = perm.req("type")?;
        let kind = kind_child.node().str()?;
        for flag in ["required", "isAdjustmentAllowed"] {
            if let Some(v) = perm.get(flag) {
                v.node().bool()?;
            }
        }
        if let Some(policies) = perm.get("policies") {
            if !policies.node().array()?.is_empty() {
                return Err(policies.node().err(
                    "policies are not supported; express limits as permissions \
                     (native-token-transfer, erc20-token-transfer, gas-limit...)",
                ));
            }
        }
        let here = node.path().to_owned();
        if kind == "root" {
            if let Some(data) = perm.get("data") {
                data.node().object(&[])?;
            }
            return self.set_once(Field::Root, &here).map(|()| {
                self.spec.root = true;
            });
        }
        let data_child = perm.req("data")?;
        let data = data_child.node();
        match kind {
            "native-token-transfer" => {
                let d = data.object(&["allowance", "justification"])?;
                justification(&d)?;
                self.set_once(Field::Native, &here)?;
                self.spec.native_allowance = d.req("allowance")?.node().u256()?;
            }
            "erc20-token-transfer" => {
                let d = data.object(&["address", "allowance", "justification"])?;
                justification(&d)?;
                let token_child = d.req("address")?;
                let token = token_child.node().address()?;
                if let Some(i) = self.spec.tokens.iter().position(|t| t.token == token) {
                    return Err(token_child.node().err(format!(
                        "second erc20-token-transfer for {token} (the first is tokens[{i}]); \
                         a session has one cumulative allowance per token: merge them"
                    )));
                }
                self.spec.tokens.push(TokenAllowance {
                    token,
                    amount: d.req("allowance")?.node().u256()?,
                });
            }
            "gas-limit" => {
                let d = data.object(&["limit", "justification"])?;
                justification(&d)?;
                self.set_once(Field::Fee, &here)?;
                self.spec.fee_budget = d.req("limit")?.node().u256()?;
            }
            "contract-access" => {
                let d = data.object(&["address", "justification"])?;
                justification(&d)?;
                let target = d.req("address")?.node().address()?;
                self.grant(Target::Exact(target), Selector::Any);
            }
            "functions-on-contract" => {
                let d = data.object(&["address", "functions", "justification"])?;
                justification(&d)?;
                let target = d.req("address")?.node().address()?;
                for selector in functions(&d)? {
                    self.grant(Target::Exact(target), Selector::Exact(selector));
                }
            }
            "functions-on-all-contracts" => {
                let d = data.object(&["functions", "justification"])?;
                justification(&d)?;
                for selector in functions(&d)? {
                    self.grant(Target::Any, Selector::Exact(selector));
                }
            }
            "account-functions" => {
                let d = data.object(&["functions", "justification"])?;
                justification(&d)?;
                for selector in functions(&d)? {
                    if !self.spec.account_selectors.contains(&selector) {
                        self.spec.account_selectors.push(selector);
                    }
                }
            }
            "native-token-recurring-allowance" => {
                let d = data.object(&["start", "period", "allowance", "justification"])?;
                justification(&d)?;
                let start = d.req("start")?;
                let period = d.req("period")?;
                self.set_schedule(
                    &period,
                    period.node().uint(48)?,
                    start.node().uint(48)?,
                    &here,
                )?;
                self.periodic(Asset::Native, d.req("allowance")?.node().u256()?, &here)?;
            }
            "native-token-periodic" => {
                let d = data.object(&[
                    "periodAmount",
                    "periodDuration",
                    "startTime",
                    "justification",
                ])?;
                justification(&d)?;
                let period = d.req("periodDuration")?;
                let start = match d.get("startTime") {
                    Some(s) => s.node().uint(48)?,
                    None => now,
                };
                self.set_schedule(&period, period.node().uint(48)?, start, &here)?;
                self.periodic(Asset::Native, d.req("periodAmount")?.node().u256()?, &here)?;
            }
            "erc20-recurring-allowance" => {
                let d = data.object(&["token", "start", "period", "allowance", "justification"])?;
                justification(&d)?;
                let token = d.req("token")?.node().address()?;
                let start = d.req("start")?;
                let period = d.req("period")?;
                self.set_schedule(
                    &period,
                    period.node().uint(48)?,
                    start.node().uint(48)?,
                    &here,
                )?;
                self.periodic(
                    Asset::Token(token),
                    d.req("allowance")?.node().u256()?,
                    &here,
                )?;
            }
            "erc20-token-periodic" => {
                let d = data.object(&[
                    "tokenAddress",
                    "periodAmount",
                    "periodDuration",
                    "startTime",
                    "justification",
                ])?;
                justification(&d)?;
                let token = d.req("tokenAddress")?.node().address()?;
                let period = d.req("periodDuration")?;
                let start = match d.get("startTime") {
                    Some(s) => s.node().uint(48)?,
                    None => now,
                };
                self.set_schedule(&period, period.node().uint(48)?, start, &here)?;
                self.periodic(
                    Asset::Token(token),
                    d.req("periodAmount")?.node().u256()?,
                    &here,
                )?;
            }
            other => {
                return Err(PermissionError::new(
                    format!("{here}.type"),
                    format!(
                        "unsupported permission type {other:?} (supported: {})",
                        SUPPORTED.join(", ")
                    ),
                ))
            }
        }
        Ok(())
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

    fn grant(&mut self, target: Target, selector: Selector) {
        let grant = CallGrant { target, selector };
        if !self.spec.calls.contains(&grant) {
            self.spec.calls.push(grant);
        }
    }

    fn set_schedule(
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

    fn periodic(&mut self, asset: Asset, amount: U256, here: &str) -> Result<(), PermissionError> {
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
        match asset {
            Asset::Native => {
                self.native_periodic = true;
                self.grant(Target::Any, Selector::Exact(FixedBytes::ZERO));
            }
            Asset::Token(token) => self.grant(Target::Exact(token), Selector::Exact(TRANSFER)),
        }
        Ok(())
    }

    fn finish(
        mut self,
        account: Option<Address>,
        chain_id: u64,
    ) -> Result<ImportedGrant, PermissionError> {
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
            .validate()
            .map_err(|e| PermissionError::new(format!("(mapped session) {}", e.path), e.reason))?;
        Ok(ImportedGrant {
            chain_id,
            account,
            spec: self.spec,
        })
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

const SUPPORTED: &[&str] = &[
    "native-token-transfer",
    "erc20-token-transfer",
    "gas-limit",
    "contract-access",
    "functions-on-contract",
    "functions-on-all-contracts",
    "account-functions",
    "root",
    "native-token-recurring-allowance",
    "native-token-periodic",
    "erc20-recurring-allowance",
    "erc20-token-periodic",
];

fn justification(d: &Obj<'_>) -> Result<(), PermissionError> {
    if let Some(j) = d.get("justification") {
        j.node().str()?;
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
