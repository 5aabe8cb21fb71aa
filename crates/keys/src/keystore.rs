//! Encrypted session keys at rest.
//!
//! Each key lives in `<keystore dir>/<uuid>.json`, a Web3 Secret Storage v3 file (scrypt +
//! AES-128-CTR + keccak MAC) — the format geth, `cast wallet` and alloy read. A key is never
//! written in clear: it is generated in memory, encrypted, and the ciphertext is written into
//! a private staging directory, made 0600, flushed, then linked under its final name (so a
//! reader sees the whole file or none) and the directory entry is flushed.

use std::fs;
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256};
use alloy::signers::local::{LocalSignerError, PrivateKeySigner};
use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::fsutil;

/// Errors of the keystore.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The password does not decrypt the file (MAC mismatch).
    #[error("keystore {file}: wrong password (MAC mismatch)")]
    WrongPassword {
        /// The keystore file.
        file: PathBuf,
    },
    /// A keystore file name that is not one leash writes (`<uuid>.json`); refused so a
    /// tampered registry cannot point outside the keystore directory.
    #[error("keystore file name {name:?}: not a keystore file name (expected <uuid>.json)")]
    BadFileName {
        /// The refused name.
        name: String,
    },
    /// The file does not exist.
    #[error("keystore {file}: not found")]
    NotFound {
        /// The keystore file.
        file: PathBuf,
    },
    /// Reading, writing or flushing failed.
    #[error("keystore {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid Web3 Secret Storage file, or its key is not a valid secp256k1
    /// scalar.
    #[error("keystore {file}: {reason}")]
    Invalid {
        /// The keystore file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A key that was generated and stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// File name inside the keystore directory (`<uuid>.json`).
    pub file_name: String,
    /// The key's Ethereum address (the session's `signer`).
    pub address: Address,
}

/// A private key taken out of the keystore on purpose; wiped from memory when dropped.
pub struct ExportedKey {
    secret: Zeroizing<[u8; 32]>,
    address: Address,
}

impl ExportedKey {
    /// The key as `0x`-prefixed hex, for showing once to the operator.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("0x{}", alloy::hex::encode(self.secret.as_slice())))
    }

    /// The raw 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.secret
    }

    /// The key's address.
    pub fn address(&self) -> Address {
        self.address
    }
}

impl std::fmt::Debug for ExportedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExportedKey({}, <redacted>)", self.address)
    }
}

/// The directory of encrypted key files.
#[derive(Clone, Debug)]
pub struct Keystore {
    dir: PathBuf,
}

impl Keystore {
    /// Opens (creating it with mode 0700 if needed) the keystore directory `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, KeystoreError> {
        let dir = dir.into();
        fsutil::ensure_private_dir(&dir).map_err(|source| KeystoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    /// The keystore directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Generates a fresh secp256k1 key from the OS random source and stores it encrypted
    /// under `password`.
    pub fn generate(&self, password: &str) -> Result<StoredKey, KeystoreError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        // Retry on the (astronomically unlikely) zero or out-of-range scalar.
        let signer = loop {
            OsRng.fill_bytes(secret.as_mut_slice());
            if let Ok(signer) = PrivateKeySigner::from_slice(secret.as_slice()) {
                break signer;
            }
        };
        let file_name = self.write_encrypted(secret.as_slice(), password)?;
        Ok(StoredKey {
            file_name,
            address: signer.address(),
        })
    }

    /// Stores an existing private key encrypted under `password`.
    pub fn import(&self, secret: &B256, password: &str) -> Result<StoredKey, KeystoreError> {
        let signer = PrivateKeySigner::from_slice(secret.as_slice()).map_err(|e| {
            KeystoreError::Invalid {
                file: self.dir.clone(),
                reason: format!("not a valid secp256k1 private key: {e}"),
            }
        })?;
        let file_name = self.write_encrypted(secret.as_slice(), password)?;
        Ok(StoredKey {
            file_name,
            address: signer.address(),
        })
    }

    /// Full path of a keystore file, after checking that the name is one leash writes.
    pub fn path_of(&self, file_name: &str) -> Result<PathBuf, KeystoreError> {
        if !is_keystore_file_name(file_name) {
            return Err(KeystoreError::BadFileName {
                name: file_name.to_owned(),
            });
        }
        Ok(self.dir.join(file_name))
    }

    /// Decrypts a key into a signer.
    pub fn load_signer(
        &self,
        file_name: &str,
        password: &str,
    ) -> Result<PrivateKeySigner, KeystoreError> {
        let path = self.path_of(file_name)?;
        if !path.is_file() {
            return Err(KeystoreError::NotFound { file: path });
        }
        PrivateKeySigner::decrypt_keystore(&path, password).map_err(|e| decrypt_error(path, e))
    }

    /// Decrypts a key and hands out its private bytes. Callers log this (see
    /// [`crate::store::Store::export_private_key`]).
    pub fn export_private_key(
        &self,
        file_name: &str,
        password: &str,
    ) -> Result<ExportedKey, KeystoreError> {
        let signer = self.load_signer(file_name, password)?;
        Ok(ExportedKey {
            secret: Zeroizing::new(signer.to_bytes().0),
            address: signer.address(),
        })
    }

    /// Deletes a key file and flushes the directory.
    pub fn remove(&self, file_name: &str) -> Result<(), KeystoreError> {
        let path = self.path_of(file_name)?;
        match fs::remove_file(&path) {
            Ok(()) => fsutil::sync_dir(&self.dir).map_err(|source| KeystoreError::Io {
                path: self.dir.clone(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeystoreError::NotFound { file: path })
            }
            Err(source) => Err(KeystoreError::Io { path, source }),
        }
    }

    /// Names of all keystore files in the directory, sorted.
    pub fn file_names(&self) -> Result<Vec<String>, KeystoreError> {
        let io = |source| KeystoreError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io)? {
            let name = entry.map_err(io)?.file_name();
            if let Some(name) = name.to_str() {
                if is_keystore_file_name(name) {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Removes `.staging-*` directories older than `age`: left by a key generation that was
    /// killed between encrypting the key and placing it (they hold only ciphertext of a key
    /// no session refers to). Returns what was removed.
    pub fn clean_staging(&self, age: std::time::Duration) -> Result<Vec<PathBuf>, KeystoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| KeystoreError::Io { path, source }
        };
        let mut removed = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            let is_staging = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(".staging-"));
            if !is_staging {
                continue;
            }
            let path = entry.path();
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .map_err(io(&path))?;
            let old = modified.elapsed().is_ok_and(|elapsed| elapsed >= age);
            if old {
                fs::remove_dir_all(&path).map_err(io(&path))?;
                removed.push(path);
            }
        }
        Ok(removed)
    }

    fn write_encrypted(&self, secret: &[u8], password: &str) -> Result<String, KeystoreError> {
        let staging = self.dir.join(format!(
            ".staging-{}",
            alloy::hex::encode(random_bytes::<8>())
        ));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| KeystoreError::Io { path, source }
        };
        fsutil::ensure_private_dir(&staging).map_err(io(&staging))?;
        let result = (|| {
            let (_, uuid) =
                PrivateKeySigner::encrypt_keystore(&staging, &mut OsRng, secret, password, None)
                    .map_err(|e| KeystoreError::Invalid {
                        file: staging.clone(),
                        reason: format!("encryption failed: {e}"),
                    })?;
            let staged = staging.join(&uuid);
            fsutil::seal_file(&staged).map_err(io(&staged))?;
            let file_name = format!("{uuid}.json");
            let target = self.dir.join(&file_name);
            fsutil::place_new_file(&staged, &target).map_err(io(&target))?;
            Ok(file_name)
        })();
        // The staging directory only ever holds ciphertext; remove it whatever happened.
        let cleanup = fs::remove_dir_all(&staging);
        let file_name = result?;
        cleanup.map_err(io(&staging))?;
        Ok(file_name)
    }
}

fn decrypt_error(file: PathBuf, error: LocalSignerError) -> KeystoreError {
    match error {
        LocalSignerError::EthKeystoreError(eth_keystore::KeystoreError::MacMismatch) => {
            KeystoreError::WrongPassword { file }
        }
        LocalSignerError::IoError(source) => KeystoreError::Io { path: file, source },
        other => KeystoreError::Invalid {
            file,
            reason: other.to_string(),
        },
    }
}

/// Decrypts any Web3 Secret Storage file (one `cast wallet import` or geth wrote, outside
/// the keystore directory): a wrong password is [`KeystoreError::WrongPassword`].
pub fn decrypt_file(path: &Path, password: &str) -> Result<PrivateKeySigner, KeystoreError> {
    if !path.is_file() {
        return Err(KeystoreError::NotFound {
            file: path.to_path_buf(),
        });
    }
    PrivateKeySigner::decrypt_keystore(path, password)
        .map_err(|e| decrypt_error(path.to_path_buf(), e))
}

/// `<uuid>.json` with a lowercase hyphenated UUID, the only names leash writes.
pub(crate) fn is_keystore_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    stem.len() == 36
        && stem.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}
