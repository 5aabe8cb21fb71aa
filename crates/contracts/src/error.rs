//! The one error type of this crate.

/// Why an artifact could not be returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractsError {
    /// No contract of that name was compiled from `contracts/` or `tests/fixtures/`.
    #[error("no compiled contract named `{name}`; available: {}", available.join(", "))]
    UnknownContract {
        /// The name that was asked for.
        name: String,
        /// Every compiled contract name, sorted.
        available: Vec<String>,
    },
    /// An embedded artifact could not be parsed (the build script wrote something unexpected).
    #[error("embedded artifact `{name}` is malformed: {reason}")]
    MalformedArtifact {
        /// The contract whose artifact is broken.
        name: String,
        /// What the parser reported.
        reason: String,
    },
}
