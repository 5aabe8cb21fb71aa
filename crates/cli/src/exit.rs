//! Exit codes scripts can rely on, and how an error maps to one.

use std::fmt;

use leash_keys::enable::EnableError;
use leash_keys::keystore::KeystoreError;
use leash_keys::registry::RegistryError;

/// The process exit codes of `leash` (documented in the README and `leash --help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Anything not covered below (I/O, a broken store, an unreachable endpoint...).
    Failure = 1,
    /// Bad usage or bad input: flags, files, ids, passwords, a refused state change.
    Usage = 2,
    /// The module, the EntryPoint or the bundler rejected the operation.
    Rejected = 3,
    /// The named session (or file) does not exist.
    NotFound = 4,
    /// The audit log failed verification.
    Integrity = 5,
}

impl Exit {
    /// The number the process exits with.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    /// A short machine-readable name, used in JSON error objects.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Exit::Failure => "failure",
            Exit::Usage => "usage",
            Exit::Rejected => "rejected",
            Exit::NotFound => "not_found",
            Exit::Integrity => "integrity",
        }
    }
}

/// An error that knows its exit code and what the user can do about it.
#[derive(Debug)]
pub(crate) struct Failure {
    /// How the process exits.
    pub(crate) exit: Exit,
    /// What went wrong.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// A [`Failure`] as an `anyhow::Error`.
pub(crate) fn fail(exit: Exit, message: impl Into<String>, hint: Option<&str>) -> anyhow::Error {
    Failure {
        exit,
        message: message.into(),
        hint: hint.map(str::to_owned),
    }
    .into()
}

/// Bad input (exit 2) with a hint.
pub(crate) fn usage(message: impl Into<String>, hint: &str) -> anyhow::Error {
    fail(Exit::Usage, message, Some(hint))
}

/// What the top level prints and exits with for `error`.
pub(crate) struct Classified {
    /// Exit code.
    pub(crate) exit: Exit,
    /// The message (the whole context chain).
    pub(crate) message: String,
    /// A hint, when one is known.
    pub(crate) hint: Option<String>,
}

/// Maps an error to its exit code and hint: an explicit [`Failure`] wins, then the errors of
/// leash-keys are sorted by what they mean for the user.
pub(crate) fn classify(error: &anyhow::Error) -> Classified {
    let message = format!("{error:#}");
    if let Some(failure) = error.chain().find_map(|e| e.downcast_ref::<Failure>()) {
        return Classified {
            exit: failure.exit,
            message,
            hint: failure.hint.clone(),
        };
    }
    let (exit, hint) = error
        .chain()
        .find_map(|e| {
            if let Some(keys) = e.downcast_ref::<leash_keys::Error>() {
                Some(keys_error(keys))
            } else {
                e.downcast_ref::<RegistryError>().map(registry_error)
            }
        })
        .unwrap_or((Exit::Failure, None));
    Classified {
        exit,
        message,
        hint: hint.map(str::to_owned),
    }
}

fn keys_error(error: &leash_keys::Error) -> (Exit, Option<&'static str>) {
    use leash_keys::Error as E;
    match error {
        E::Registry(registry) => registry_error(registry),
        E::Password(_) => (
            Exit::Usage,
            Some("give the password with --password-env VAR or --password-file PATH"),
        ),
        E::Keystore(KeystoreError::WrongPassword { .. }) => (
            Exit::Usage,
            Some("use the password the session was created with"),
        ),
        E::Permissions(_) | E::SignerPreset => (
            Exit::Usage,
            Some("fix the permissions at the JSON path named above"),
        ),
        E::ExternalSigner { .. } => (
            Exit::Usage,
            Some("the app that requested the session signs with its own key"),
        ),
        E::KeyMismatch { .. } => (
            Exit::Integrity,
            Some("the key file was replaced; restore it from a backup or revoke the session"),
        ),
        E::Enable(EnableError::Mismatch { .. } | EnableError::Corrupt { .. }) => (
            Exit::Integrity,
            Some("the stored enable grant was edited or moved; sign a new one with `leash session grant ID --enable-in-first-op`"),
        ),
        _ => (Exit::Failure, None),
    }
}

fn registry_error(error: &RegistryError) -> (Exit, Option<&'static str>) {
    match error {
        RegistryError::NotFound { .. } => (
            Exit::NotFound,
            Some("list the known sessions with `leash session list`"),
        ),
        RegistryError::InvalidTransition { .. } => (
            Exit::Usage,
            Some("check the session's status with `leash session show ID`"),
        ),
        RegistryError::Expired { .. } => (
            Exit::Usage,
            Some("the session's window is over; create a new session"),
        ),
        RegistryError::InvalidField { .. } | RegistryError::Permissions(_) => {
            (Exit::Usage, Some("fix the value named above"))
        }
        RegistryError::Corrupt { .. } => (
            Exit::Integrity,
            Some("the registry was edited outside leash; run `leash audit verify`"),
        ),
        _ => (Exit::Failure, None),
    }
}
