//! The request shapes apps send, reduced to one form: chain, account, expiry, signer, the
//! permissions and the policies that apply to the whole session.

use alloy::primitives::Address;
use serde_json::Value;

use super::super::error::PermissionError;
use super::super::json::{Child, Node, Obj};
use super::signer;

/// Which published shape a request has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// ERC-7715 `wallet_grantPermissions` with a `permissions` list (the first ERC text,
    /// viem's `grantPermissions` wire format, reown, Coinbase, Openfort).
    GrantPermissions,
    /// ERC-7715 `wallet_grantPermissions` with one `permission` and request-level
    /// `policies` (the later ERC text, MetaMask's 0.x toolkit).
    GrantPermission,
    /// ERC-7715 `wallet_requestExecutionPermissions`: `to`, `from`, `permission`, `rules`.
    ExecutionPermission,
    /// Alchemy's `wallet_createSession`: `account`, `expirySec`, `key`, `permissions`.
    AlchemySession,
    /// A Coinbase/Base spend permission: `account`, `spender`, `token`, `allowance`,
    /// `period`, `start`, `end`.
    SpendPermission,
}

impl Shape {
    /// A name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Shape::GrantPermissions => "wallet_grantPermissions (permissions list)",
            Shape::GrantPermission => "wallet_grantPermissions (one permission)",
            Shape::ExecutionPermission => "wallet_requestExecutionPermissions",
            Shape::AlchemySession => "wallet_createSession (Alchemy)",
            Shape::SpendPermission => "spend permission (Coinbase/Base)",
        }
    }
}

/// A timestamp and where the request wrote it.
pub(super) struct Stamp {
    pub(super) value: u64,
    pub(super) path: String,
}

/// A request in the one form the mapping reads.
pub(super) struct Request<'a> {
    pub(super) shape: Shape,
    pub(super) chain_id: Option<(u64, String)>,
    pub(super) account: Option<Address>,
    pub(super) expiry: Option<Stamp>,
    pub(super) signer: Option<Address>,
    pub(super) permissions: Vec<Child<'a>>,
    pub(super) policies: Vec<Child<'a>>,
    /// The spend permission's object, for [`Shape::SpendPermission`].
    pub(super) spend: Option<Obj<'a>>,
}

const GRANT_FIELDS: &[&str] = &[
    "chainId",
    "address",
    "expiry",
    "signer",
    "permissions",
    "permission",
    "policies",
    "isAdjustmentAllowed",
    "from",
    "to",
    "rules",
];
const ALCHEMY_FIELDS: &[&str] = &["account", "chainId", "expirySec", "key", "permissions"];
const SPEND_FIELDS: &[&str] = &[
    "account",
    "spender",
    "token",
    "allowance",
    "period",
    "start",
    "end",
    "salt",
    "extraData",
    "chainId",
];

/// Unwraps a JSON-RPC request body or a `params` array to the one request inside.
pub(super) fn unwrap_request(root: Node<'_>) -> Result<Child<'_>, PermissionError> {
    let value = root_value(root);
    if let Some(map) = value.as_object() {
        if map.contains_key("method") && map.contains_key("params") {
            let obj = root.object(&["jsonrpc", "id", "method", "params"])?;
            let method = obj.req("method")?;
            let name = method.node().str()?;
            if !METHODS.contains(&name) {
                return Err(method.node().err(format!(
                    "{name:?} is not a permission request (expected one of: {})",
                    METHODS.join(", ")
                )));
            }
            let params = obj.req("params")?;
            return single_item(&params);
        }
        return Ok(Child {
            path: root.path().to_owned(),
            value,
        });
    }
    single(root)
}

const METHODS: &[&str] = &[
    "wallet_grantPermissions",
    "wallet_requestExecutionPermissions",
    "wallet_createSession",
];

fn root_value<'a>(node: Node<'a>) -> &'a Value {
    node.value()
}

fn single_item<'a>(child: &Child<'a>) -> Result<Child<'a>, PermissionError> {
    let node = child.node();
    let items = child.items()?;
    if items.len() != 1 {
        return Err(node.err(format!(
            "expected one permission request, found {}; import them one at a time",
            items.len()
        )));
    }
    Ok(items.into_iter().next().expect("one item"))
}

fn single(node: Node<'_>) -> Result<Child<'_>, PermissionError> {
    let items = node.array()?;
    if items.len() != 1 {
        return Err(node.err(format!(
            "expected one permission request, found {}; import them one at a time",
            items.len()
        )));
    }
    Ok(items.into_iter().next().expect("one item"))
}

/// Recognises the shape of one request object and reads its common fields.
pub(super) fn read(node: Node<'_>) -> Result<Request<'_>, PermissionError> {
    let map = node
        .value()
        .as_object()
        .ok_or_else(|| node.err("expected a permission request object"))?;
    if map.contains_key("spender") {
        return read_spend(node);
    }
    if map.contains_key("expirySec") || map.contains_key("key") {
        return read_alchemy(node);
    }
    read_grant(node)
}

fn chain_id(obj: &Obj<'_>) -> Result<Option<(u64, String)>, PermissionError> {
    let Some(child) = obj.get("chainId") else {
        return Ok(None);
    };
    let id = child.node().uint(64)?;
    if id == 0 {
        return Err(child.node().err("must not be 0"));
    }
    Ok(Some((id, child.path.clone())))
}

fn stamp(child: &Child<'_>) -> Result<Stamp, PermissionError> {
    Ok(Stamp {
        value: child.node().uint(48)?,
        path: child.path.clone(),
    })
}

fn read_grant(node: Node<'_>) -> Result<Request<'_>, PermissionError> {
    let obj = node.object(GRANT_FIELDS)?;
    if let Some(flag) = obj.get("isAdjustmentAllowed") {
        flag.node().bool()?;
    }
    let execution = obj.get("to").is_some() || obj.get("rules").is_some();
    let list = obj.get("permissions");
    let one = obj.get("permission");
    let permissions = match (&list, &one) {
        (Some(_), Some(p)) => {
            return Err(p.node().err(
                "both `permission` and `permissions` are set; a request has one or the other",
            ))
        }
        (Some(l), None) => {
            let items = l.items()?;
            if items.is_empty() {
                return Err(l.node().err("no permissions requested"));
            }
            items
        }
        (None, Some(p)) => vec![Child {
            path: p.path.clone(),
            value: p.value,
        }],
        (None, None) => {
            return Err(PermissionError::new(
                super::super::json::join(obj.path(), "permissions"),
                "required field is missing (a request carries `permissions` or `permission`)",
            ))
        }
    };
    let account = match (obj.get("address"), obj.get("from")) {
        (Some(a), Some(f)) => {
            let (a_addr, f_addr) = (a.node().address()?, f.node().address()?);
            if a_addr != f_addr {
                return Err(f.node().err(format!(
                    "{f_addr} differs from address {a_addr}; they both name the account"
                )));
            }
            Some(a_addr)
        }
        (Some(a), None) | (None, Some(a)) => Some(a.node().address()?),
        (None, None) => None,
    };
    let mut expiry = match obj.get("expiry") {
        Some(e) => Some(stamp(&e)?),
        None => None,
    };
    let mut policies = Vec::new();
    if let Some(p) = obj.get("policies") {
        policies = p.items()?;
    }
    if let Some(rules) = obj.get("rules") {
        for rule in rules.node().array()? {
            let r = rule
                .node()
                .object(&["type", "data", "isAdjustmentAllowed"])?;
            let kind = r.req("type")?;
            match kind.node().str()? {
                "expiry" => {
                    let data = r.req("data")?;
                    let d = data.node().object(&["timestamp"])?;
                    let at = stamp(&d.req("timestamp")?)?;
                    if let Some(first) = &expiry {
                        if first.value != at.value {
                            return Err(PermissionError::new(
                                at.path,
                                format!(
                                    "{} differs from {} at {}: give the expiry once",
                                    at.value, first.value, first.path
                                ),
                            ));
                        }
                    }
                    expiry = Some(at);
                }
                other => {
                    return Err(kind.node().err(format!(
                        "rule {other:?} cannot be enforced by leash (it supports the \
                         \"expiry\" rule); drop it or ask the app for a request without it"
                    )))
                }
            }
        }
    }
    let signer = match (obj.get("signer"), obj.get("to")) {
        (Some(s), Some(t)) => {
            let (from_signer, to) = (signer::read(s.node())?, t.node().address()?);
            if from_signer.is_some_and(|s| s != to) {
                return Err(t.node().err(
                    "differs from the request's signer; they both name who receives the \
                     permission",
                ));
            }
            Some(to)
        }
        (Some(s), None) => signer::read(s.node())?,
        (None, Some(t)) => Some(t.node().address()?),
        (None, None) => None,
    };
    let shape = if execution {
        Shape::ExecutionPermission
    } else if one.is_some() {
        Shape::GrantPermission
    } else {
        Shape::GrantPermissions
    };
    Ok(Request {
        shape,
        chain_id: chain_id(&obj)?,
        account,
        expiry,
        signer,
        permissions,
        policies,
        spend: None,
    })
}

fn read_alchemy(node: Node<'_>) -> Result<Request<'_>, PermissionError> {
    let obj = node.object(ALCHEMY_FIELDS)?;
    let account = match obj.get("account") {
        Some(a) => Some(a.node().address()?),
        None => None,
    };
    let expiry = match obj.get("expirySec") {
        Some(e) => Some(stamp(&e)?),
        None => None,
    };
    let signer = match obj.get("key") {
        Some(k) => Some(signer::alchemy_key(k.node())?),
        None => None,
    };
    let list = obj.req("permissions")?;
    let permissions = list.items()?;
    if permissions.is_empty() {
        return Err(list.node().err("no permissions requested"));
    }
    Ok(Request {
        shape: Shape::AlchemySession,
        chain_id: chain_id(&obj)?,
        account,
        expiry,
        signer,
        permissions,
        policies: Vec::new(),
        spend: None,
    })
}

fn read_spend(node: Node<'_>) -> Result<Request<'_>, PermissionError> {
    let obj = node.object(SPEND_FIELDS)?;
    let account = Some(obj.req("account")?.node().address()?);
    let signer = Some(obj.req("spender")?.node().address()?);
    let expiry = Some(stamp(&obj.req("end")?)?);
    Ok(Request {
        shape: Shape::SpendPermission,
        chain_id: chain_id(&obj)?,
        account,
        expiry,
        signer,
        permissions: Vec::new(),
        policies: Vec::new(),
        spend: Some(obj),
    })
}
