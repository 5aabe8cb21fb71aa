//! The one error type of permission files and imports.

use std::fmt;

/// A permission document was rejected. `path` is the JSON path of the offending value
/// (`tokens[1].amount`), `reason` says what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PermissionError {
    /// JSON path of the offending value; empty for the document itself.
    pub path: String,
    /// What is wrong, and when possible what to do instead.
    pub reason: String,
}

impl PermissionError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for PermissionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "(document): {}", self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}
