//! The keystore password: from an environment variable, a file, or a terminal prompt.

use std::io::IsTerminal;
use std::path::Path;

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

/// The password of a keystore leash does not own (an owner's or an imported key's): the file
/// `file_flag` names, else `$ETH_PASSWORD` (cast's variable), else a prompt naming `keystore`
/// when stdin is a terminal.
pub(crate) fn keystore_source(
    file_flag: &str,
    file: Option<&Path>,
    keystore: &Path,
) -> anyhow::Result<PasswordSource> {
    if let Some(path) = file {
        return Ok(PasswordSource::File(path.to_path_buf()));
    }
    let env = crate::signer_source::PASSWORD_ENV;
    if std::env::var_os(env).is_some() {
        return Ok(PasswordSource::Env(env.to_owned()));
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            format!(
                "no password for keystore {}: not on a terminal, and neither {file_flag} nor ${env} was given",
                keystore.display()
            ),
            &format!("pass {file_flag} FILE or set {env}"),
        ));
    }
    let label = format!("password of keystore {}: ", keystore.display());
    Ok(PasswordSource::Prompt(Box::new(move || {
        rpassword::prompt_password(&label)
    })))
}
