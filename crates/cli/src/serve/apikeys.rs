//! The API-key lifecycle, shared by the admin CLI (`leash apikey …`, on the store directly)
//! and the admin methods over HTTP: create (secret shown once), list, show, enable, disable,
//! rotate (new secret, the old one fails at once), revoke with a reason, delete. The store
//! audits each change with the acting key's id.

use alloy::primitives::Address;
use leash_store::{ApiKey, NewApiKey, Role, Store, StoreError};
use serde_json::{json, Value};

use super::auth;
use super::methods;
use super::rpc::Failure;

/// Requests per minute of a key when none is given.
pub(crate) const DEFAULT_RATE_LIMIT: u32 = 600;

/// What a new key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRequest {
    /// A name for people.
    pub(crate) name: String,
    /// Admin or app.
    pub(crate) role: Role,
    /// The accounts an app key may use.
    pub(crate) accounts: Vec<Address>,
    /// The methods an app key may call (`None`: all app methods).
    pub(crate) methods: Option<Vec<String>>,
    /// Requests per minute.
    pub(crate) rate_limit_per_minute: u32,
}

impl KeyRequest {
    /// Checks the request makes a usable key.
    pub(crate) fn check(&self) -> Result<(), Failure> {
        if self.name.trim().is_empty() {
            return Err(Failure::params(
                "an API key needs a name (--name / \"name\")",
            ));
        }
        if self.rate_limit_per_minute == 0 {
            return Err(Failure::params(
                "a rate limit of 0 would refuse every request: give at least 1 request per minute",
            ));
        }
        match self.role {
            Role::App if self.accounts.is_empty() => Err(Failure::params(
                "an app key needs at least one account it may use (--account ADDR / \"accounts\"): \
                 an app key for no account could do nothing",
            )),
            Role::Admin if !self.accounts.is_empty() || self.methods.is_some() => {
                Err(Failure::params(
                    "an admin key may use every account and method: drop the accounts and methods, \
                     or make it an app key (--role app)",
                ))
            }
            _ => {
                for method in self.methods.iter().flatten() {
                    if !methods::APP_METHODS.contains(&method.as_str()) {
                        return Err(Failure::params(format!(
                            "{method:?} is not a method an app key can be given; the app methods are: {}",
                            methods::APP_METHODS.join(", ")
                        )));
                    }
                }
                Ok(())
            }
        }
    }

    /// Reads the params of `leash_createApiKey`.
    pub(crate) fn from_json(value: &Value) -> Result<Self, Failure> {
        let object = value.as_object().ok_or_else(|| {
            Failure::params(
                "leash_createApiKey takes [{name, role, accounts, methods?, rateLimitPerMinute?}]",
            )
        })?;
        for field in object.keys() {
            if !["name", "role", "accounts", "methods", "rateLimitPerMinute"]
                .contains(&field.as_str())
            {
                return Err(Failure::params(format!(
                    "leash_createApiKey: unknown field {field:?} (known: name, role, accounts, methods, rateLimitPerMinute)"
                )));
            }
        }
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let role = match object.get("role").and_then(Value::as_str) {
            Some("app") | None => Role::App,
            Some("admin") => Role::Admin,
            Some(other) => {
                return Err(Failure::params(format!(
                    "role {other:?}: use \"app\" or \"admin\""
                )))
            }
        };
        let accounts = match object.get("accounts") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .and_then(|text| text.parse::<Address>().ok())
                        .ok_or_else(|| {
                            Failure::params(format!("accounts: {item} is not an address"))
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(Failure::params(format!(
                    "accounts must be an array of addresses, not {other}"
                )))
            }
        };
        let methods = match object.get("methods") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| Failure::params("methods must be strings"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(other) => {
                return Err(Failure::params(format!(
                    "methods must be an array of method names, not {other}"
                )))
            }
        };
        let rate_limit_per_minute = match object.get("rateLimitPerMinute") {
            None => DEFAULT_RATE_LIMIT,
            Some(value) => value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    Failure::params("rateLimitPerMinute must be a whole number of requests")
                })?,
        };
        Ok(Self {
            name,
            role,
            accounts,
            methods,
            rate_limit_per_minute,
        })
    }
}

/// Maps a store failure to the error a caller sees.
pub(crate) fn store_failure(error: StoreError) -> Failure {
    match error {
        StoreError::NotFound { .. } => Failure::new(super::rpc::NOT_FOUND, error.to_string()),
        StoreError::Conflict(message) => Failure::params(message),
        StoreError::Backend { .. } => Failure::internal(error.to_string()),
    }
}

/// Creates a key; returns it and its secret (the only time the secret exists in clear).
pub(crate) fn create(
    store: &dyn Store,
    request: &KeyRequest,
    actor: &str,
) -> Result<(ApiKey, String), Failure> {
    request.check()?;
    let fresh = auth::new_secret(&auth::new_id());
    let key = store
        .create_api_key(
            NewApiKey {
                id: fresh.id.clone(),
                name: request.name.clone(),
                role: request.role,
                accounts: request.accounts.iter().map(|a| format!("{a:#x}")).collect(),
                methods: request.methods.clone(),
                rate_limit_per_minute: request.rate_limit_per_minute,
                secret: auth::digest(&fresh.secret),
            },
            actor,
        )
        .map_err(store_failure)?;
    Ok((key, fresh.secret))
}

/// Gives a key a new secret; the old one fails from the next request on.
pub(crate) fn rotate(
    store: &dyn Store,
    id: &str,
    actor: &str,
) -> Result<(ApiKey, String), Failure> {
    let fresh = auth::new_secret(id);
    let key = store
        .rotate_api_key(id, auth::digest(&fresh.secret), actor)
        .map_err(store_failure)?;
    Ok((key, fresh.secret))
}

/// A key as shown to people and clients: never its digest, only the masked secret.
pub(crate) fn key_json(key: &ApiKey) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "accounts": key.accounts,
        "methods": key.methods,
        "rateLimitPerMinute": key.rate_limit_per_minute,
        "status": key.status,
        "revokeReason": key.revoke_reason,
        "secret": auth::masked(&key.secret),
        "createdAt": key.created_at,
        "updatedAt": key.updated_at,
        "rotatedAt": key.rotated_at,
    })
}

/// [`key_json`] plus the secret in clear, for the one answer that carries it.
pub(crate) fn key_json_with_secret(key: &ApiKey, secret: &str) -> Value {
    let mut value = key_json(key);
    value["secret"] = json!(secret);
    value["secretShownOnce"] = json!(true);
    value
}
