//! Errors of the store.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// Kind of thing (`API key`, `session`, `call`).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The change contradicts the current state (duplicate id, revoked key, inactive session).
    #[error("{0}")]
    Conflict(String),
    /// The database failed or holds something this build cannot read.
    #[error("{engine} store: {message}")]
    Backend {
        /// `sqlite` or `postgres`.
        engine: &'static str,
        /// What failed, with the database's own message.
        message: String,
    },
}
