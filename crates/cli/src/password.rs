//! The keystore password: from an environment variable, a file, or a terminal prompt.

use std::io::IsTerminal;

use leash_keys::PasswordSource;

use crate::cli::PasswordArgs;
use crate::exit::usage;

/// Whether a new password is being chosen (asked twice) or an existing one entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A key is being created: the prompt asks twice.
    NewKey,
    /// An existing key is being unlocked.
    Unlock,
}

/// The password source the flags name; without a flag, a prompt when stdin is a terminal.
pub(crate) fn source(args: &PasswordArgs, purpose: Purpose) -> anyhow::Result<PasswordSource> {
    if let Some(name) = &args.password_env {
        return Ok(PasswordSource::Env(name.clone()));
    }
    if let Some(path) = &args.password_file {
        return Ok(PasswordSource::File(path.clone()));
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            "no password source: not on a terminal, and neither --password-env nor --password-file was given",
            "pass --password-env VAR or --password-file PATH",
        ));
    }
    Ok(PasswordSource::Prompt(Box::new(move || prompt(purpose))))
}

fn prompt(purpose: Purpose) -> std::io::Result<String> {
    let password = rpassword::prompt_password("keystore password: ")?;
    if purpose == Purpose::NewKey {
        let again = rpassword::prompt_password("repeat the password: ")?;
        if again != password {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the two passwords differ",
            ));
        }
    }
    Ok(password)
}
