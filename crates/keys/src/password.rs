//! Where a keystore password comes from.
//!
//! Passwords never travel as command-line arguments (they would show in `ps` and shell
//! history): they are read from an environment variable, from a file, or asked for by a
//! prompt that the caller supplies (the CLI prompts on the terminal).

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// A password in memory; wiped when dropped.
pub type Password = Zeroizing<String>;

/// The prompt a caller injects: returns the password typed by the user.
pub type PromptFn = Box<dyn Fn() -> std::io::Result<String> + Send + Sync>;

/// Where to read a keystore password from.
pub enum PasswordSource {
    /// The named environment variable holds the password.
    Env(String),
    /// The file holds the password; one trailing newline (`\n` or `\r\n`) is ignored.
    File(PathBuf),
    /// Ask interactively (the CLI passes a terminal prompt).
    Prompt(PromptFn),
}

/// Why no password could be obtained.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The environment variable is unset or not valid UTF-8.
    #[error("password: environment variable {name} is not set (or is not valid UTF-8)")]
    EnvMissing {
        /// The variable's name.
        name: String,
    },
    /// The password file could not be read.
    #[error("password: cannot read password file {path}: {source}")]
    FileUnreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The prompt failed (e.g. no terminal).
    #[error("password: prompt failed: {0}")]
    Prompt(std::io::Error),
    /// The source gave an empty password, which would leave the key effectively unencrypted.
    #[error(
        "password: {source_name} gave an empty password; a keystore needs a non-empty password"
    )]
    Empty {
        /// Which source, e.g. `environment variable LEASH_PASSWORD`.
        source_name: String,
    },
}

impl PasswordSource {
    /// Reads the password. Empty passwords are refused.
    pub fn read(&self) -> Result<Password, PasswordError> {
        let password = match self {
            Self::Env(name) => Zeroizing::new(
                std::env::var(name)
                    .map_err(|_| PasswordError::EnvMissing { name: name.clone() })?,
            ),
            Self::File(path) => {
                let mut text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
                    PasswordError::FileUnreadable {
                        path: path.clone(),
                        source,
                    }
                })?);
                strip_one_newline(&mut text);
                text
            }
            Self::Prompt(prompt) => Zeroizing::new(prompt().map_err(PasswordError::Prompt)?),
        };
        if password.is_empty() {
            return Err(PasswordError::Empty {
                source_name: self.to_string(),
            });
        }
        Ok(password)
    }
}

fn strip_one_newline(text: &mut String) {
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.truncate(text.len() - 1);
    }
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::File(path) => write!(f, "password file {}", path.display()),
            Self::Prompt(_) => f.write_str("prompt"),
        }
    }
}

impl fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordSource({self})")
    }
}
