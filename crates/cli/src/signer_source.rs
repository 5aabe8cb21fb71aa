//! Where a signing key comes from, the way `cast` takes it: a raw key in an environment
//! variable (leash's own way), a raw key on the command line (`--private-key`, visible to
//! other users of the machine), a Web3 Secret Storage file (`--keystore`) or an account of
//! foundry's keystore folder (`--account`), whose password comes from a file, `ETH_PASSWORD`
//! or a terminal prompt. As in cast, `ETH_KEYSTORE` and `ETH_KEYSTORE_ACCOUNT` stand for the
//! last two when no flag names a key. They are read in code, not through clap's `env`, so they
//! never take part in clap's conflicts and groups: a flag always wins, and a command that needs
//! no key never sees them.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;
use leash_keys::keystore::KeystoreError;

use crate::exit::usage;
use crate::output::Ui;

/// The environment variable cast reads a keystore's password from.
pub(crate) const PASSWORD_ENV: &str = "ETH_PASSWORD";
/// The environment variable that moves foundry's keystore folder.
pub(crate) const KEYSTORES_DIR_ENV: &str = "FOUNDRY_KEYSTORES_DIR";
/// The environment variable cast reads `--keystore` from.
pub(crate) const KEYSTORE_ENV: &str = "ETH_KEYSTORE";
/// The environment variable cast reads `--account` from.
pub(crate) const KEYSTORE_ACCOUNT_ENV: &str = "ETH_KEYSTORE_ACCOUNT";

/// One source of a private key, with the flag that named it (for errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// An environment variable holding the key in hex.
    Env {
        /// The flag, e.g. `--owner-key-env`.
        flag: &'static str,
        /// The variable's name.
        name: String,
    },
    /// The key in hex, from the command line.
    Hex {
        /// The flag, e.g. `--private-key`.
        flag: &'static str,
        /// The key.
        text: String,
    },
    /// A Web3 Secret Storage file, or a directory holding exactly one.
    Keystore {
        /// The flag, e.g. `--keystore`.
        flag: &'static str,
        /// The file or directory.
        path: PathBuf,
    },
    /// An account of foundry's keystore folder.
    Account {
        /// The flag, e.g. `--account`.
        flag: &'static str,
        /// The account's name (its file name in the folder).
        name: String,
    },
}

/// Where a keystore's password comes from: a file, else `ETH_PASSWORD`, else a prompt.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeystorePassword<'a> {
    /// The password-file flag, e.g. `--owner-password-file`.
    pub(crate) file_flag: &'static str,
    /// The file it names, if given.
    pub(crate) file: Option<&'a Path>,
}

/// The cast-style key flags of one command, as given (clap lets one of them at most be).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyFlags<'a> {
    /// The environment-variable flag's name and value (`--owner-key-env VAR`).
    pub(crate) env: (&'static str, Option<&'a str>),
    /// `--private-key HEX`.
    pub(crate) private_key: Option<&'a str>,
    /// `--keystore PATH`.
    pub(crate) keystore: Option<&'a Path>,
    /// The foundry-account flag's name and value (`--account NAME`, `--owner-account NAME`).
    pub(crate) account: (&'static str, Option<&'a str>),
}

impl KeyFlags<'_> {
    /// The source they name, if any.
    pub(crate) fn source(&self) -> Option<KeySource> {
        if let (flag, Some(name)) = self.env {
            return Some(KeySource::Env {
                flag,
                name: name.to_owned(),
            });
        }
        if let Some(text) = self.private_key {
            return Some(KeySource::Hex {
                flag: "--private-key",
                text: text.to_owned(),
            });
        }
        if let Some(path) = self.keystore {
            return Some(KeySource::Keystore {
                flag: "--keystore",
                path: path.to_path_buf(),
            });
        }
        let (flag, name) = self.account;
        name.map(|name| KeySource::Account {
            flag,
            name: name.to_owned(),
        })
    }

    /// The source the flags name, else the one cast's variables name: `$ETH_KEYSTORE` (as
    /// `--keystore`), else `$ETH_KEYSTORE_ACCOUNT` (as `--account`). Only commands that need a
    /// key call this, so a variable set for cast changes nothing elsewhere, and any flag wins
    /// over it.
    ///
    /// # Errors
    ///
    /// A usage error when no flag is given and both variables are set.
    pub(crate) fn source_or_env(&self) -> anyhow::Result<Option<KeySource>> {
        if let Some(source) = self.source() {
            return Ok(Some(source));
        }
        from_env(
            std::env::var_os(KEYSTORE_ENV),
            std::env::var(KEYSTORE_ACCOUNT_ENV).ok(),
        )
    }
}

/// The key source of cast's variables (empty ones count as unset).
fn from_env(
    keystore: Option<std::ffi::OsString>,
    account: Option<String>,
) -> anyhow::Result<Option<KeySource>> {
    let keystore = keystore.filter(|path| !path.is_empty());
    let account = account.filter(|name| !name.is_empty());
    match (keystore, account) {
        (Some(_), Some(_)) => Err(usage(
            format!("both ${KEYSTORE_ENV} and ${KEYSTORE_ACCOUNT_ENV} are set: which key is meant?"),
            "unset one of them, or name the key with a flag (--keystore, --account, --private-key…), which wins over both",
        )),
        (Some(path), None) => Ok(Some(KeySource::Keystore {
            flag: "$ETH_KEYSTORE",
            path: PathBuf::from(path),
        })),
        (None, Some(name)) => Ok(Some(KeySource::Account {
            flag: "$ETH_KEYSTORE_ACCOUNT",
            name,
        })),
        (None, None) => Ok(None),
    }
}

impl KeySource {
    /// The flag and what it names, for errors (never the key itself).
    pub(crate) fn describe(&self) -> String {
        match self {
            KeySource::Env { flag, name } => format!("{flag} {name}"),
            KeySource::Hex { flag, .. } => (*flag).to_owned(),
            KeySource::Keystore { flag, path } => format!("{flag} {}", path.display()),
            KeySource::Account { flag, name } => format!("{flag} {name}"),
        }
    }

    /// Reads (and for a keystore, decrypts) the key. `--private-key` warns on stderr that the
    /// command line is visible to other users.
    pub(crate) fn signer(
        &self,
        password: KeystorePassword<'_>,
        ui: Ui,
    ) -> anyhow::Result<PrivateKeySigner> {
        match self {
            KeySource::Env { flag, name } => crate::txsend::key_from_env(flag, name),
            KeySource::Hex { flag, text } => {
                ui.warn(&format!(
                    "{flag}: a key on the command line is visible to other users of this machine (ps, shell history); prefer a keystore (--keystore, --account)"
                ));
                key_from_hex(flag, text)
            }
            KeySource::Keystore { flag, path } => {
                let file = keystore_file(flag, path)?;
                decrypt(flag, &file, password)
            }
            KeySource::Account { flag, name } => {
                let file = account_file(flag, name, foundry_keystores_dir().as_deref())?;
                decrypt(flag, &file, password)
            }
        }
    }
}

/// A private key written in hex (`0x` optional). The text is never echoed, not even in
/// errors.
pub(crate) fn key_from_hex(flag: &str, text: &str) -> anyhow::Result<PrivateKeySigner> {
    let hex = text.trim();
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    alloy::hex::decode(hex)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .and_then(|bytes| PrivateKeySigner::from_slice(&bytes).ok())
        .ok_or_else(|| {
            usage(
                format!("{flag}: not a 32-byte hex private key"),
                "give 64 hex digits (0x optional) of a valid secp256k1 key",
            )
        })
}

/// The keystore file `path` names: the file itself, or the only file of a directory.
pub(crate) fn keystore_file(flag: &str, path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if !path.is_dir() {
        return Err(usage(
            format!("{flag} {}: no such file or directory", path.display()),
            "name a keystore file (cast wallet import writes them to ~/.foundry/keystores/) or a directory holding exactly one",
        ));
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        usage(
            format!("{flag} {}: {e}", path.display()),
            "check the directory's permissions",
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            usage(
                format!("{flag} {}: {e}", path.display()),
                "check the directory's permissions",
            )
        })?;
        if entry.path().is_file() {
            files.push(entry.path());
        }
    }
    match files.len() {
        1 => Ok(files.remove(0)),
        0 => Err(usage(
            format!(
                "{flag} {}: the directory holds no keystore file",
                path.display()
            ),
            "name the keystore file itself",
        )),
        n => Err(usage(
            format!(
                "{flag} {}: the directory holds {n} files, not exactly one",
                path.display()
            ),
            "name the keystore file itself, or use --account NAME for foundry's keystore folder",
        )),
    }
}

/// Foundry's keystore folder: `$FOUNDRY_KEYSTORES_DIR`, else `~/.foundry/keystores`; `None`
/// when neither that variable nor `HOME` is set.
pub(crate) fn foundry_keystores_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(KEYSTORES_DIR_ENV).filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".foundry").join("keystores"))
}

/// The keystore file of account `name` in foundry's keystore folder `dir`.
pub(crate) fn account_file(flag: &str, name: &str, dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(usage(
            format!("{flag} {name:?}: not an account name"),
            "give the name `cast wallet list` shows; for a file elsewhere use --keystore PATH",
        ));
    }
    let Some(dir) = dir else {
        return Err(usage(
            format!("{flag} {name}: neither {KEYSTORES_DIR_ENV} nor HOME is set, so there is no keystore folder"),
            "set FOUNDRY_KEYSTORES_DIR, or use --keystore PATH",
        ));
    };
    let file = dir.join(name);
    if !file.is_file() {
        return Err(usage(
            format!("{flag} {name}: no keystore {}", file.display()),
            "`cast wallet list` shows the accounts; `cast wallet import NAME --interactive` adds one (set FOUNDRY_KEYSTORES_DIR for another folder)",
        ));
    }
    Ok(file)
}

/// Decrypts the keystore `file`; a wrong password is bad input (exit 2) that says which file.
pub(crate) fn decrypt(
    flag: &str,
    file: &Path,
    password: KeystorePassword<'_>,
) -> anyhow::Result<PrivateKeySigner> {
    let source = crate::password::keystore_source(password.file_flag, password.file, file)?;
    let text = source.read().map_err(|e| {
        usage(
            format!("{flag} {}: {e}", file.display()),
            &format!(
                "give the keystore's password with {} FILE or ${PASSWORD_ENV}",
                password.file_flag
            ),
        )
    })?;
    leash_keys::keystore::decrypt_file(file, &text).map_err(|error| match error {
        KeystoreError::WrongPassword { .. } => usage(
            format!("{flag} {}: wrong password (the keystore's MAC does not match)", file.display()),
            &format!(
                "check {} / ${PASSWORD_ENV}: it must be the password the keystore was encrypted with",
                password.file_flag
            ),
        ),
        other => usage(
            format!("{flag}: {other}"),
            "give a Web3 Secret Storage (v3) file, as `cast wallet import` or geth write",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use alloy::primitives::Address;

    #[test]
    fn cast_variables_name_a_keystore_or_an_account_never_both() {
        assert_eq!(from_env(None, None).unwrap(), None);
        assert_eq!(
            from_env(Some("".into()), Some(String::new())).unwrap(),
            None
        );
        assert_eq!(
            from_env(Some("/k".into()), None).unwrap(),
            Some(KeySource::Keystore {
                flag: "$ETH_KEYSTORE",
                path: PathBuf::from("/k")
            })
        );
        assert_eq!(
            from_env(None, Some("deployer".into())).unwrap(),
            Some(KeySource::Account {
                flag: "$ETH_KEYSTORE_ACCOUNT",
                name: "deployer".into()
            })
        );
        let both = from_env(Some("/k".into()), Some("deployer".into())).unwrap_err();
        assert!(both.to_string().contains("both"), "{both:#}");
    }

    #[test]
    fn hex_keys_parse_with_or_without_prefix_and_never_echo() {
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let signer = key_from_hex("--private-key", key).unwrap();
        let again = key_from_hex("--private-key", &key[2..]).unwrap();
        assert_eq!(signer.address(), again.address());
        let error = key_from_hex("--private-key", "0x1234deadbeef").unwrap_err();
        assert!(!error.to_string().contains("1234deadbeef"), "{error:#}");
    }

    #[test]
    fn a_directory_with_one_file_names_it_and_with_two_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = keystore_file("--keystore", &dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().contains("no such file"), "{missing:#}");
        let empty = keystore_file("--keystore", dir.path()).unwrap_err();
        assert!(empty.to_string().contains("no keystore file"), "{empty:#}");
        std::fs::write(dir.path().join("a"), "{}").unwrap();
        assert_eq!(
            keystore_file("--keystore", dir.path()).unwrap(),
            dir.path().join("a")
        );
        std::fs::write(dir.path().join("b"), "{}").unwrap();
        let two = keystore_file("--keystore", dir.path()).unwrap_err();
        assert!(two.to_string().contains("2 files"), "{two:#}");
    }

    #[test]
    fn account_names_are_files_of_the_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("deployer"), "{}").unwrap();
        assert_eq!(
            account_file("--account", "deployer", Some(dir.path())).unwrap(),
            dir.path().join("deployer")
        );
        for bad in ["../deployer", "", ".."] {
            assert!(
                account_file("--account", bad, Some(dir.path())).is_err(),
                "{bad}"
            );
        }
        let unknown = account_file("--account", "alice", Some(dir.path())).unwrap_err();
        assert!(unknown.to_string().contains("no keystore"), "{unknown:#}");
        assert!(account_file("--account", "deployer", None).is_err());
    }

    #[test]
    fn a_keystore_decrypts_with_its_password_file_and_not_with_another() {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = PrivateKeySigner::new_keystore(
            dir.path(),
            &mut rand::thread_rng(),
            "right horse",
            Some("owner"),
        )
        .unwrap();
        let right = dir.path().join("right.txt");
        std::fs::write(&right, "right horse\n").unwrap();
        let wrong = dir.path().join("wrong.txt");
        std::fs::write(&wrong, "battery staple\n").unwrap();
        let with = |file: &Path| -> anyhow::Result<Address> {
            let password = KeystorePassword {
                file_flag: "--owner-password-file",
                file: Some(file),
            };
            Ok(decrypt("--keystore", &dir.path().join("owner"), password)?.address())
        };
        assert_eq!(with(&right).unwrap(), signer.address());
        let error = with(&wrong).unwrap_err();
        assert!(error.to_string().contains("wrong password"), "{error:#}");
    }
}
