//! How the model's enums and lists are written in the database.

use crate::sql::Row;
use crate::{CallStatus, KeyStatus, Role, SessionState, StoreError};

fn unknown(row: &Row, what: &str, v: &str) -> StoreError {
    StoreError::Backend {
        engine: row.engine,
        message: format!(
            "unknown {what} {v:?} in the database; it was written by a newer build or by hand"
        ),
    }
}

pub(crate) fn role_str(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::App => "app",
    }
}

pub(crate) fn role(row: &Row, i: usize) -> Result<Role, StoreError> {
    match row.text(i)?.as_str() {
        "admin" => Ok(Role::Admin),
        "app" => Ok(Role::App),
        v => Err(unknown(row, "role", v)),
    }
}

pub(crate) fn key_status_str(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Enabled => "enabled",
        KeyStatus::Disabled => "disabled",
        KeyStatus::Revoked => "revoked",
    }
}

pub(crate) fn key_status(row: &Row, i: usize) -> Result<KeyStatus, StoreError> {
    match row.text(i)?.as_str() {
        "enabled" => Ok(KeyStatus::Enabled),
        "disabled" => Ok(KeyStatus::Disabled),
        "revoked" => Ok(KeyStatus::Revoked),
        v => Err(unknown(row, "API key status", v)),
    }
}

pub(crate) fn session_state_str(s: SessionState) -> &'static str {
    match s {
        SessionState::Active => "active",
        SessionState::Revoked => "revoked",
    }
}

pub(crate) fn session_state(row: &Row, i: usize) -> Result<SessionState, StoreError> {
    match row.text(i)?.as_str() {
        "active" => Ok(SessionState::Active),
        "revoked" => Ok(SessionState::Revoked),
        v => Err(unknown(row, "session state", v)),
    }
}

pub(crate) fn call_status_str(s: CallStatus) -> &'static str {
    match s {
        CallStatus::Pending => "pending",
        CallStatus::Confirmed => "confirmed",
        CallStatus::Reverted => "reverted",
        CallStatus::Failed => "failed",
    }
}

pub(crate) fn call_status(row: &Row, i: usize) -> Result<CallStatus, StoreError> {
    match row.text(i)?.as_str() {
        "pending" => Ok(CallStatus::Pending),
        "confirmed" => Ok(CallStatus::Confirmed),
        "reverted" => Ok(CallStatus::Reverted),
        "failed" => Ok(CallStatus::Failed),
        v => Err(unknown(row, "call status", v)),
    }
}

/// A list as JSON text.
pub(crate) fn list_json(v: &[String]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

/// A JSON list read back.
pub(crate) fn list(row: &Row, i: usize) -> Result<Vec<String>, StoreError> {
    let text = row.text(i)?;
    serde_json::from_str(&text).map_err(|e| unknown(row, &format!("list ({e})"), &text))
}

/// A nullable JSON list read back.
pub(crate) fn opt_list(row: &Row, i: usize) -> Result<Option<Vec<String>>, StoreError> {
    match row.opt_text(i)? {
        None => Ok(None),
        Some(_) => list(row, i).map(Some),
    }
}
