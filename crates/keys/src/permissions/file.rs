//! leash's own permission-file format (JSON), one to one with the on-chain `Session`:
//!
//! ```json
//! {
//!   "validAfter": 0, "validUntil": 1767225600, "maxUses": 100, "root": false,
//!   "period": { "seconds": 86400, "start": 1735689600 }, "rateLimit": 20,
//!   "nativeAllowance": "1000000000000000000", "feeBudget": "0x2386f26fc10000", "gasBudget": "0",
//!   "calls": [ { "target": "0x…", "selector": "transfer(address,uint256)" },
//!              { "target": "any", "selector": "0x095ea7b3" } ],
//!   "accountFunctions": [ "0x12345678" ],
//!   "tokens": [ { "token": "0x…", "amount": "5000000" } ],
//!   "periodic": [ { "asset": "native", "amount": "100000000000000000" } ],
//!   "paymasters": [ "0x…" ],
//!   "signer": "0x…", "salt": "0x…"
//! }
//! ```
//!
//! Amounts are decimal strings, `0x` hex strings or (small) JSON integers. Unknown fields are
//! rejected. `signer` is filled in when the session key is generated.

use alloy::primitives::{Address, B256};
use serde_json::{json, Value};

use super::error::PermissionError;
use super::json::Node;
use super::spec::{
    Asset, CallGrant, PeriodicAllowance, Selector, SessionSpec, Target, TokenAllowance,
};

const FIELDS: &[&str] = &[
    "signer",
    "validAfter",
    "validUntil",
    "maxUses",
    "root",
    "period",
    "rateLimit",
    "nativeAllowance",
    "feeBudget",
    "gasBudget",
    "calls",
    "accountFunctions",
    "tokens",
    "periodic",
    "paymasters",
    "salt",
];

impl SessionSpec {
    /// Parses and validates a permission file.
    pub fn from_json_str(text: &str) -> Result<Self, PermissionError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| PermissionError::new("", format!("not valid JSON: {e}")))?;
        Self::from_json(&value)
    }

    /// Parses and validates a permission document already read as JSON.
    pub fn from_json(value: &Value) -> Result<Self, PermissionError> {
        let obj = Node::root(value).object(FIELDS)?;
        let mut spec = SessionSpec::default();
        if let Some(v) = obj.get("signer") {
            spec.signer = v.node().address()?;
        }
        if let Some(v) = obj.get("validAfter") {
            spec.valid_after = v.node().uint(48)?;
        }
        spec.valid_until = obj.req("validUntil")?.node().uint(48)?;
        if let Some(v) = obj.get("maxUses") {
            spec.max_uses = v.node().uint(32)? as u32;
        }
        if let Some(v) = obj.get("root") {
            spec.root = v.node().bool()?;
        }
        if let Some(v) = obj.get("period") {
            let node = v.node();
            let period = node.object(&["seconds", "start"])?;
            spec.period = period.req("seconds")?.node().uint(48)?;
            if spec.period == 0 {
                return Err(PermissionError::new(
                    format!("{}.seconds", node.path()),
                    "must be greater than 0 (omit `period` for no schedule)",
                ));
            }
            if let Some(start) = period.get("start") {
                spec.period_start = start.node().uint(48)?;
            }
        }
        if let Some(v) = obj.get("rateLimit") {
            spec.rate_limit = v.node().uint(32)? as u32;
        }
        if let Some(v) = obj.get("nativeAllowance") {
            spec.native_allowance = v.node().u256()?;
        }
        if let Some(v) = obj.get("feeBudget") {
            spec.fee_budget = v.node().u256()?;
        }
        if let Some(v) = obj.get("gasBudget") {
            spec.gas_budget = v.node().u256()?;
        }
        if let Some(v) = obj.get("calls") {
            for item in v.node().array()? {
                spec.calls.push(parse_call(item.node())?);
            }
        }
        if let Some(v) = obj.get("accountFunctions") {
            for item in v.node().array()? {
                spec.account_selectors.push(item.node().selector()?);
            }
        }
        if let Some(v) = obj.get("tokens") {
            for item in v.node().array()? {
                let node = item.node();
                let token = node.object(&["token", "amount"])?;
                spec.tokens.push(TokenAllowance {
                    token: token.req("token")?.node().address()?,
                    amount: token.req("amount")?.node().u256()?,
                });
            }
        }
        if let Some(v) = obj.get("periodic") {
            for item in v.node().array()? {
                let node = item.node();
                let periodic = node.object(&["asset", "amount"])?;
                let asset = periodic.req("asset")?;
                let asset = match asset.value.as_str() {
                    Some("native") => Asset::Native,
                    _ => Asset::Token(asset.node().address().map_err(|e| {
                        PermissionError::new(
                            e.path,
                            format!("expected \"native\" or an address: {}", e.reason),
                        )
                    })?),
                };
                spec.periodic.push(PeriodicAllowance {
                    asset,
                    amount: periodic.req("amount")?.node().u256()?,
                });
            }
        }
        if let Some(v) = obj.get("paymasters") {
            for item in v.node().array()? {
                spec.paymasters.push(item.node().address()?);
            }
        }
        if let Some(v) = obj.get("salt") {
            spec.salt = v.node().b256()?;
        }
        spec.validate()?;
        Ok(spec)
    }

    /// Renders the spec in the permission-file format (amounts as decimal strings, selectors
    /// as hex). `from_json(to_json(spec)) == spec` for every valid spec.
    pub fn to_json(&self) -> Value {
        let mut doc = serde_json::Map::new();
        if self.signer != Address::ZERO {
            doc.insert("signer".into(), json!(self.signer.to_checksum(None)));
        }
        doc.insert("validAfter".into(), json!(self.valid_after));
        doc.insert("validUntil".into(), json!(self.valid_until));
        doc.insert("maxUses".into(), json!(self.max_uses));
        doc.insert("root".into(), json!(self.root));
        if self.period != 0 {
            doc.insert(
                "period".into(),
                json!({ "seconds": self.period, "start": self.period_start }),
            );
        }
        doc.insert("rateLimit".into(), json!(self.rate_limit));
        doc.insert(
            "nativeAllowance".into(),
            json!(self.native_allowance.to_string()),
        );
        doc.insert("feeBudget".into(), json!(self.fee_budget.to_string()));
        doc.insert("gasBudget".into(), json!(self.gas_budget.to_string()));
        doc.insert(
            "calls".into(),
            Value::Array(self.calls.iter().map(render_call).collect()),
        );
        doc.insert(
            "accountFunctions".into(),
            json!(self
                .account_selectors
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()),
        );
        doc.insert(
            "tokens".into(),
            Value::Array(
                self.tokens
                    .iter()
                    .map(|t| json!({ "token": t.token.to_checksum(None), "amount": t.amount.to_string() }))
                    .collect(),
            ),
        );
        doc.insert(
            "periodic".into(),
            Value::Array(
                self.periodic
                    .iter()
                    .map(|p| {
                        let asset = match p.asset {
                            Asset::Native => "native".to_owned(),
                            Asset::Token(t) => t.to_checksum(None),
                        };
                        json!({ "asset": asset, "amount": p.amount.to_string() })
                    })
                    .collect(),
            ),
        );
        doc.insert(
            "paymasters".into(),
            json!(self
                .paymasters
                .iter()
                .map(|p| p.to_checksum(None))
                .collect::<Vec<_>>()),
        );
        if self.salt != B256::ZERO {
            doc.insert("salt".into(), json!(self.salt.to_string()));
        }
        Value::Object(doc)
    }
}

fn parse_call(node: Node<'_>) -> Result<CallGrant, PermissionError> {
    let call = node.object(&["target", "selector"])?;
    let target = call.req("target")?;
    let target = match target.value.as_str() {
        Some("any") => Target::Any,
        _ => Target::Exact(target.node().address().map_err(|e| {
            PermissionError::new(
                e.path,
                format!("expected \"any\" or an address: {}", e.reason),
            )
        })?),
    };
    let selector = call.req("selector")?;
    let selector = match selector.value.as_str() {
        Some("any") => Selector::Any,
        _ => Selector::Exact(selector.node().selector().map_err(|e| {
            PermissionError::new(
                e.path,
                format!("expected \"any\" or a selector: {}", e.reason),
            )
        })?),
    };
    Ok(CallGrant { target, selector })
}

fn render_call(grant: &CallGrant) -> Value {
    let target = match grant.target {
        Target::Any => "any".to_owned(),
        Target::Exact(a) => a.to_checksum(None),
    };
    let selector = match grant.selector {
        Selector::Any => "any".to_owned(),
        Selector::Exact(s) => s.to_string(),
    };
    json!({ "target": target, "selector": selector })
}
