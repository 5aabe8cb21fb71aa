//! API keys and their lifecycle.

use serde_json::json;

use super::audit::log;
use super::codec::{key_status, key_status_str, list, list_json, opt_list, role, role_str};
use super::Core;
use crate::sql::{int, Backend, Row, Tx, Val};
use crate::{ApiKey, KeyStatus, NewApiKey, SecretDigest, StoreError};

const COLUMNS: &str = "id, name, role, accounts, methods, rate_limit_per_minute, secret_sha256, \
    secret_prefix, secret_suffix, status, revoke_reason, created_at, updated_at, rotated_at";

fn from_row(row: &Row) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: row.text(0)?,
        name: row.text(1)?,
        role: role(row, 2)?,
        accounts: list(row, 3)?,
        methods: opt_list(row, 4)?,
        rate_limit_per_minute: u32::try_from(row.u64(5)?).unwrap_or(u32::MAX),
        secret: SecretDigest {
            sha256: row.text(6)?,
            prefix: row.text(7)?,
            suffix: row.text(8)?,
        },
        status: key_status(row, 9)?,
        revoke_reason: row.opt_text(10)?,
        created_at: row.u64(11)?,
        updated_at: row.u64(12)?,
        rotated_at: row.opt_u64(13)?,
    })
}

/// The key `id` unless absent or deleted.
fn load(tx: &mut dyn Tx, id: &str) -> Result<ApiKey, StoreError> {
    let row = tx.query_opt(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1 AND deleted_at IS NULL"),
        &[id.into()],
    )?;
    match row {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound {
            what: "API key",
            id: id.to_owned(),
        }),
    }
}

fn refuse_revoked(key: &ApiKey, doing: &str) -> Result<(), StoreError> {
    if key.status == KeyStatus::Revoked {
        return Err(StoreError::Conflict(format!(
            "API key {} is revoked and cannot be {doing}; revoked keys stay revoked, create a new key",
            key.id
        )));
    }
    Ok(())
}

impl<B: Backend> Core<B> {
    pub(crate) fn create_api_key_impl(
        &self,
        key: NewApiKey,
        actor: &str,
    ) -> Result<ApiKey, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            if let Some(row) =
                tx.query_opt("SELECT deleted_at FROM api_keys WHERE id = $1", &[key.id.as_str().into()])?
            {
                return Err(StoreError::Conflict(match row.opt_u64(0)? {
                    None => format!("API key {} already exists; choose another id", key.id),
                    Some(_) => format!(
                        "API key id {} belonged to a deleted key and ids are never reused; choose another id",
                        key.id
                    ),
                }));
            }
            tx.execute(
                "INSERT INTO api_keys (id, name, role, accounts, methods, rate_limit_per_minute, \
                 secret_sha256, secret_prefix, secret_suffix, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                &[
                    key.id.as_str().into(),
                    key.name.as_str().into(),
                    role_str(key.role).into(),
                    list_json(&key.accounts).into(),
                    key.methods.as_deref().map(list_json).into(),
                    Val::Int(i64::from(key.rate_limit_per_minute)),
                    key.secret.sha256.as_str().into(),
                    key.secret.prefix.as_str().into(),
                    key.secret.suffix.as_str().into(),
                    key_status_str(KeyStatus::Enabled).into(),
                    int(now, "time")?,
                ],
            )?;
            log(
                tx,
                now,
                actor,
                "apikey.create",
                &key.id,
                json!({
                    "name": key.name,
                    "role": role_str(key.role),
                    "accounts": key.accounts,
                    "methods": key.methods,
                    "rateLimitPerMinute": key.rate_limit_per_minute,
                    "prefix": key.secret.prefix,
                }),
            )?;
            load(tx, &key.id)
        })
    }

    pub(crate) fn api_key_impl(&self, id: &str) -> Result<ApiKey, StoreError> {
        self.backend.read(|tx| load(tx, id))
    }

    pub(crate) fn list_api_keys_impl(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.backend.read(|tx| {
            tx.query(
                &format!("SELECT {COLUMNS} FROM api_keys WHERE deleted_at IS NULL ORDER BY ord"),
                &[],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    pub(crate) fn set_api_key_enabled_impl(
        &self,
        id: &str,
        enabled: bool,
        actor: &str,
    ) -> Result<ApiKey, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let key = load(tx, id)?;
            refuse_revoked(&key, if enabled { "enabled" } else { "disabled" })?;
            let to = if enabled {
                KeyStatus::Enabled
            } else {
                KeyStatus::Disabled
            };
            tx.execute(
                "UPDATE api_keys SET status = $1, updated_at = $2 WHERE id = $3",
                &[key_status_str(to).into(), int(now, "time")?, id.into()],
            )?;
            let action = if enabled {
                "apikey.enable"
            } else {
                "apikey.disable"
            };
            log(
                tx,
                now,
                actor,
                action,
                id,
                json!({ "from": key_status_str(key.status) }),
            )?;
            load(tx, id)
        })
    }

    pub(crate) fn revoke_api_key_impl(
        &self,
        id: &str,
        reason: &str,
        actor: &str,
    ) -> Result<ApiKey, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let key = load(tx, id)?;
            refuse_revoked(&key, "revoked again")?;
            tx.execute(
                "UPDATE api_keys SET status = $1, revoke_reason = $2, updated_at = $3 WHERE id = $4",
                &[key_status_str(KeyStatus::Revoked).into(), reason.into(), int(now, "time")?, id.into()],
            )?;
            log(tx, now, actor, "apikey.revoke", id, json!({ "reason": reason }))?;
            load(tx, id)
        })
    }

    pub(crate) fn rotate_api_key_impl(
        &self,
        id: &str,
        secret: SecretDigest,
        actor: &str,
    ) -> Result<ApiKey, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let key = load(tx, id)?;
            refuse_revoked(&key, "rotated")?;
            tx.execute(
                "UPDATE api_keys SET secret_sha256 = $1, secret_prefix = $2, secret_suffix = $3, \
                 rotated_at = $4, updated_at = $4 WHERE id = $5",
                &[
                    secret.sha256.as_str().into(),
                    secret.prefix.as_str().into(),
                    secret.suffix.as_str().into(),
                    int(now, "time")?,
                    id.into(),
                ],
            )?;
            log(
                tx,
                now,
                actor,
                "apikey.rotate",
                id,
                json!({ "prefix": secret.prefix, "suffix": secret.suffix }),
            )?;
            load(tx, id)
        })
    }

    pub(crate) fn delete_api_key_impl(&self, id: &str, actor: &str) -> Result<ApiKey, StoreError> {
        let now = self.now();
        self.backend.write(|tx| {
            let key = load(tx, id)?;
            tx.execute(
                "UPDATE api_keys SET deleted_at = $1, updated_at = $1 WHERE id = $2",
                &[int(now, "time")?, id.into()],
            )?;
            log(
                tx,
                now,
                actor,
                "apikey.delete",
                id,
                json!({ "name": key.name, "status": key_status_str(key.status) }),
            )?;
            Ok(key)
        })
    }
}
