//! One SQLite connection: opening it with the right pragmas, and running SQL in it.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::sql::{Row, Tx, Val};
use crate::StoreError;

/// How long a writer waits for another process's write transaction before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepared statements kept per connection (the store uses about 40 distinct ones).
const STATEMENT_CACHE: usize = 64;

/// A rusqlite error as a [`StoreError`], with a hint for the usual causes.
pub(crate) fn err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let hint = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            " (another process held the database longer than 30 s; check for a stuck process)"
        }
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::PermissionDenied) => {
            " (the file or its directory is not writable by this user)"
        }
        Some(ErrorCode::DiskFull) => " (the disk is full)",
        Some(ErrorCode::NotADatabase) => " (the file is not a SQLite database)",
        _ => "",
    };
    StoreError::Backend {
        engine: "sqlite",
        message: format!("{e}{hint}"),
    }
}

/// Opens `path` (creating the file) with WAL, `synchronous=FULL`, foreign keys and a busy
/// timeout.
pub(crate) fn open(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Backend {
        engine: "sqlite",
        message: format!(
            "cannot open the database file {}: {e}; check that its directory exists and is \
             writable by this user",
            path.display()
        ),
    })?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend {
            engine: "sqlite",
            message: format!(
                "{} cannot use write-ahead logging (journal mode stays {mode}); put the \
                 database on a local file system",
                path.display()
            ),
        });
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(err)?;
    Ok(conn)
}

/// `$1, $2, …` placeholders as SQLite's `?1, ?2, …`.
fn qmarks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Null => ValueRef::Null,
            Val::Int(v) => ValueRef::Integer(*v),
            Val::Text(v) => ValueRef::Text(v.as_bytes()),
            Val::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

fn val(v: ValueRef<'_>) -> Result<Val, StoreError> {
    Ok(match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Text(t) => Val::Text(String::from_utf8(t.to_vec()).map_err(|_| {
            StoreError::Backend {
                engine: "sqlite",
                message:
                    "a text column holds invalid UTF-8; the database was changed outside leash"
                        .into(),
            }
        })?),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
        ValueRef::Real(r) => {
            return Err(StoreError::Backend {
                engine: "sqlite",
                message: format!(
                    "unexpected floating-point value {r}; the database was changed outside leash"
                ),
            })
        }
    })
}

/// A transaction on one SQLite connection (begun and ended by the caller).
pub(crate) struct SqliteTx<'a>(pub(crate) &'a Connection);

impl Tx for SqliteTx<'_> {
    fn engine_name(&self) -> &'static str {
        "sqlite"
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.0.prepare_cached(&qmarks(sql)).map_err(err)?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let vals = (0..n)
                .map(|i| val(r.get_ref(i).map_err(err)?))
                .collect::<Result<_, _>>()?;
            out.push(Row {
                engine: "sqlite",
                vals,
            });
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(&qmarks(sql)).map_err(err)?;
        Ok(stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(err)? as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.execute_batch(sql).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_rewritten() {
        assert_eq!(
            super::qmarks("a = $1 AND b = $12, '$x'"),
            "a = ?1 AND b = ?12, '$x'"
        );
    }
}
