//! The small SQL surface the engine-independent logic runs on.
//!
//! Each engine turns its connection into a [`Tx`] (one open transaction) and runs closures in
//! it through [`Backend`]. The logic writes SQL in the common subset of SQLite and PostgreSQL
//! with `$1, $2, …` placeholders (the SQLite engine rewrites them to `?1, ?2, …`).

use crate::StoreError;

/// One SQL value, in the few types the schema uses (`BIGINT`, `TEXT`, `BLOB`/`BYTEA`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    /// `NULL`.
    Null,
    /// A `BIGINT`.
    Int(i64),
    /// A `TEXT`.
    Text(String),
    /// A `BLOB` (SQLite) or `BYTEA` (PostgreSQL).
    Blob(Vec<u8>),
}

impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}

impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}

impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Blob(v)
    }
}

/// A row read back, with typed accessors that fail as [`StoreError::Backend`].
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) engine: &'static str,
    pub(crate) vals: Vec<Val>,
}

impl Row {
    fn bad(&self, i: usize, want: &str) -> StoreError {
        StoreError::Backend {
            engine: self.engine,
            message: format!(
                "column {i} holds {:?} where {want} was expected; the database was changed \
                 outside leash, restore it from a backup",
                self.vals.get(i)
            ),
        }
    }

    /// A non-null integer.
    pub(crate) fn i64(&self, i: usize) -> Result<i64, StoreError> {
        match self.vals.get(i) {
            Some(Val::Int(v)) => Ok(*v),
            _ => Err(self.bad(i, "an integer")),
        }
    }

    /// A non-null, non-negative integer.
    pub(crate) fn u64(&self, i: usize) -> Result<u64, StoreError> {
        u64::try_from(self.i64(i)?).map_err(|_| self.bad(i, "a non-negative integer"))
    }

    /// A nullable, non-negative integer.
    pub(crate) fn opt_u64(&self, i: usize) -> Result<Option<u64>, StoreError> {
        match self.vals.get(i) {
            Some(Val::Null) => Ok(None),
            _ => self.u64(i).map(Some),
        }
    }

    /// A non-null text.
    pub(crate) fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.vals.get(i) {
            Some(Val::Text(v)) => Ok(v.clone()),
            _ => Err(self.bad(i, "a text")),
        }
    }

    /// A nullable text.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.vals.get(i) {
            Some(Val::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// A nullable blob.
    pub(crate) fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.vals.get(i) {
            Some(Val::Null) => Ok(None),
            Some(Val::Blob(v)) => Ok(Some(v.clone())),
            _ => Err(self.bad(i, "a blob")),
        }
    }
}

/// One open transaction of an engine.
pub(crate) trait Tx {
    /// `sqlite` or `postgres`, for error messages.
    fn engine_name(&self) -> &'static str;
    /// Runs one statement and returns its rows.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError>;
    /// Runs one statement and returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    /// Runs several statements without parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;

    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// An engine: runs closures in read or write transactions.
pub(crate) trait Backend: Send + Sync {
    /// Runs `f` in a transaction that serialises with every other writer, across threads,
    /// processes and replicas; commits if `f` returns `Ok`, rolls back otherwise.
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
    /// Runs `f` in a read-only transaction seeing one consistent snapshot.
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError>;
}

/// A `u64` as the `BIGINT` it is stored as, refusing values above `i64::MAX`.
pub(crate) fn int(v: u64, what: &str) -> Result<Val, StoreError> {
    i64::try_from(v).map(Val::Int).map_err(|_| {
        StoreError::Conflict(format!(
            "{what} {v} is too large to store (max {})",
            i64::MAX
        ))
    })
}
