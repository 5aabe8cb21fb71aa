//! Which methods exist, who may call them (role, the key's method list, its accounts), and
//! the admin methods (the API-key lifecycle over HTTP).

use alloy::primitives::Address;
use leash_store::{ApiKey, Role};
use serde_json::{json, Value};

use super::apikeys::{self, KeyRequest};
use super::rpc::{self, first_param, Failure};
use super::{calls, grant, Service};

/// Methods app keys may be given.
pub(crate) const APP_METHODS: &[&str] = &[
    "wallet_grantPermissions",
    "leash_submitGrantSignature",
    "wallet_revokePermissions",
    "leash_listPermissions",
    "wallet_getCapabilities",
    "wallet_sendCalls",
    "wallet_getCallsStatus",
    "wallet_prepareCalls",
    "wallet_sendPreparedCalls",
    "leash_signCalls",
];

/// Methods only admin keys may call.
pub(crate) const ADMIN_METHODS: &[&str] = &[
    "leash_createApiKey",
    "leash_listApiKeys",
    "leash_getApiKey",
    "leash_enableApiKey",
    "leash_disableApiKey",
    "leash_rotateApiKey",
    "leash_revokeApiKey",
    "leash_deleteApiKey",
    "leash_verifyAudit",
];

/// What the calling key may touch.
pub(crate) struct Scope<'a> {
    /// The calling key.
    pub(crate) key: &'a ApiKey,
}

impl Scope<'_> {
    /// Refuses an account the key was not given.
    pub(crate) fn account(&self, account: Address) -> Result<(), Failure> {
        if self.key.role == Role::Admin {
            return Ok(());
        }
        let wanted = format!("{account:#x}");
        if self
            .key
            .accounts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&wanted))
        {
            return Ok(());
        }
        Err(Failure::forbidden(format!(
            "API key {} may not use account {account} (it may use: {})",
            self.key.id,
            self.key.accounts.join(", ")
        )))
    }

    /// The key's only account, for requests that name none.
    pub(crate) fn only_account(&self) -> Option<Address> {
        match self.key.accounts.as_slice() {
            [one] => one.parse().ok(),
            _ => None,
        }
    }

    /// The actor the store audits.
    pub(crate) fn actor(&self) -> String {
        self.key.id.clone()
    }
}

/// Runs `method` for `key`.
pub(crate) async fn dispatch(
    service: &Service,
    key: &ApiKey,
    method: &str,
    params: &Value,
) -> Result<Value, Failure> {
    let scope = Scope { key };
    if ADMIN_METHODS.contains(&method) {
        if key.role != Role::Admin {
            return Err(Failure::forbidden(format!(
                "{method} needs an admin key; API key {} is an app key",
                key.id
            )));
        }
        return admin(service, &scope, method, params).await;
    }
    if !APP_METHODS.contains(&method) {
        return Err(Failure::new(
            rpc::METHOD_NOT_FOUND,
            format!(
                "unknown method {method:?}; leash serve answers: {}, and for admin keys {}",
                APP_METHODS.join(", "),
                ADMIN_METHODS.join(", ")
            ),
        ));
    }
    if let Some(allowed) = &key.methods {
        if !allowed.iter().any(|m| m == method) {
            return Err(Failure::forbidden(format!(
                "API key {} may not call {method} (it may call: {})",
                key.id,
                allowed.join(", ")
            )));
        }
    }
    match method {
        "wallet_getCapabilities" => Ok(calls::capabilities(service, &scope, params)?),
        "wallet_getCallsStatus" => calls::status(service, &scope, params).await,
        _ => {
            let param = first_param(params, method)?;
            match method {
                "wallet_grantPermissions" => grant::grant(service, &scope, param).await,
                "leash_submitGrantSignature" => {
                    grant::submit_signature(service, &scope, param).await
                }
                "wallet_revokePermissions" => grant::revoke(service, &scope, param).await,
                "leash_listPermissions" => grant::list(service, &scope, param).await,
                "wallet_sendCalls" => calls::send(service, &scope, param).await,
                "leash_signCalls" => calls::sign(service, &scope, param).await,
                "wallet_prepareCalls" => calls::prepare(service, &scope, param).await,
                "wallet_sendPreparedCalls" => calls::send_prepared(service, &scope, param).await,
                _ => unreachable!("every app method is matched above"),
            }
        }
    }
}

fn id_param(params: &Value, method: &str) -> Result<String, Failure> {
    let param = first_param(params, method)?;
    param
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| param.as_str())
        .map(str::to_owned)
        .ok_or_else(|| Failure::params(format!("{method} takes [{{\"id\": \"<key id>\"}}]")))
}

async fn admin(
    service: &Service,
    scope: &Scope<'_>,
    method: &str,
    params: &Value,
) -> Result<Value, Failure> {
    let actor = scope.actor();
    match method {
        "leash_createApiKey" => {
            let request = KeyRequest::from_json(first_param(params, method)?)?;
            let store = std::sync::Arc::clone(&service.store);
            let (key, secret) = tokio::task::spawn_blocking(move || {
                apikeys::create(store.as_ref(), &request, &actor)
            })
            .await
            .map_err(|e| Failure::internal(e.to_string()))??;
            Ok(apikeys::key_json_with_secret(&key, &secret))
        }
        "leash_rotateApiKey" => {
            let id = id_param(params, method)?;
            let store = std::sync::Arc::clone(&service.store);
            let (key, secret) =
                tokio::task::spawn_blocking(move || apikeys::rotate(store.as_ref(), &id, &actor))
                    .await
                    .map_err(|e| Failure::internal(e.to_string()))??;
            Ok(apikeys::key_json_with_secret(&key, &secret))
        }
        "leash_listApiKeys" => {
            let keys = service.db(|store| store.list_api_keys()).await?;
            Ok(json!(keys
                .iter()
                .map(apikeys::key_json)
                .collect::<Vec<_>>()))
        }
        "leash_getApiKey" => {
            let id = id_param(params, method)?;
            Ok(apikeys::key_json(
                &service.db(move |s| s.api_key(&id)).await?,
            ))
        }
        "leash_enableApiKey" | "leash_disableApiKey" => {
            let id = id_param(params, method)?;
            let enabled = method == "leash_enableApiKey";
            let key = service
                .db(move |s| s.set_api_key_enabled(&id, enabled, &actor))
                .await?;
            Ok(apikeys::key_json(&key))
        }
        "leash_revokeApiKey" => {
            let param = first_param(params, method)?;
            let id = id_param(params, method)?;
            let reason = param
                .get("reason")
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| Failure::params("leash_revokeApiKey needs a \"reason\""))?
                .to_owned();
            let key = service
                .db(move |s| s.revoke_api_key(&id, &reason, &actor))
                .await?;
            Ok(apikeys::key_json(&key))
        }
        "leash_deleteApiKey" => {
            let id = id_param(params, method)?;
            let key = service.db(move |s| s.delete_api_key(&id, &actor)).await?;
            Ok(json!({"id": key.id, "deleted": true}))
        }
        "leash_verifyAudit" => {
            let report = service.db(|s| s.verify_audit()).await?;
            Ok(json!({
                "intact": report.is_intact(),
                "entries": report.entries,
                "head": report.head,
                "problems": report.problems,
            }))
        }
        _ => unreachable!("every admin method is matched above"),
    }
}
