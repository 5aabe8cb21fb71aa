//! Server-held session keys at rest: sealed with ChaCha20-Poly1305 under the service secret,
//! bound to their permission context (a sealed key copied to another session's row does not
//! open).
//!
//! The service secret is 32 bytes: `LEASH_SERVE_SECRET` (64 hex digits; every replica of a
//! fleet needs the same), else, for the embedded store only, the file `serve-secret` in the
//! data directory, made (mode 0600) on the first start.

use std::path::Path;

use alloy::primitives::B256;
use alloy::signers::local::PrivateKeySigner;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// The environment variable holding the service secret.
pub(crate) const SECRET_ENV: &str = "LEASH_SERVE_SECRET";
/// The file holding the embedded store's generated secret.
const SECRET_FILE: &str = "serve-secret";
/// Nonce length of ChaCha20-Poly1305.
const NONCE_LEN: usize = 12;

/// Seals and opens session keys.
pub(crate) struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    /// A sealer for 32 secret bytes.
    pub(crate) fn new(secret: [u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&secret)),
        }
    }

    /// The service secret from [`SECRET_ENV`], else (when `generate_in` is given: the embedded
    /// store) from its file there, made on first use.
    pub(crate) fn from_env_or_file(generate_in: Option<&Path>) -> anyhow::Result<Self> {
        if let Ok(text) = std::env::var(SECRET_ENV) {
            return Ok(Self::new(parse_secret(&text).map_err(|reason| {
                anyhow::anyhow!("{SECRET_ENV}: {reason}; generate one with `openssl rand -hex 32`")
            })?));
        }
        let Some(dir) = generate_in else {
            anyhow::bail!(
                "{SECRET_ENV} is not set: a server on PostgreSQL needs the secret that seals \
                 its session keys from the environment, the same on every replica (generate \
                 one with `openssl rand -hex 32`)"
            );
        };
        let path = dir.join(SECRET_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Self::new(parse_secret(&text).map_err(|reason| {
                anyhow::anyhow!(
                    "{}: {reason}; restore the file from a backup (the session keys sealed \
                     with it cannot be opened without it)",
                    path.display()
                )
            })?)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let secret: [u8; 32] = rand::random();
                write_private(&path, &hex::encode(secret))?;
                Ok(Self::new(secret))
            }
            Err(error) => Err(anyhow::anyhow!("reading {}: {error}", path.display())),
        }
    }

    /// `key` sealed for `context`: nonce ‖ ciphertext ‖ tag.
    pub(crate) fn seal(&self, key: &B256, context: &str) -> anyhow::Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.as_slice(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a session key failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The signer sealed in `sealed` for `context`.
    pub(crate) fn open(&self, sealed: &[u8], context: &str) -> anyhow::Result<PrivateKeySigner> {
        if sealed.len() <= NONCE_LEN {
            anyhow::bail!("the sealed key of {context} is truncated");
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let key = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the sealed key of {context} does not open: the service secret \
                     ({SECRET_ENV}) differs from the one it was sealed with, or the row was altered"
                )
            })?;
        PrivateKeySigner::from_slice(&key)
            .map_err(|error| anyhow::anyhow!("the sealed key of {context} is not a key: {error}"))
    }
}

fn parse_secret(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes =
        hex::decode(text.strip_prefix("0x").unwrap_or(text)).map_err(|_| "not hex".to_owned())?;
    bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| format!("{} bytes, expected 32", bytes.len()))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|error| anyhow::anyhow!("creating {}: {error}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_for_its_context_and_secret() {
        let sealer = Sealer::new([7; 32]);
        let key = B256::repeat_byte(0x42);
        let sealed = sealer.seal(&key, "0xaa").unwrap();
        assert_eq!(sealer.open(&sealed, "0xaa").unwrap().to_bytes(), key);
        assert!(sealer.open(&sealed, "0xbb").is_err());
        assert!(Sealer::new([8; 32]).open(&sealed, "0xaa").is_err());
        assert!(sealer.open(&sealed[..10], "0xaa").is_err());
    }

    #[test]
    fn secrets_are_32_hex_bytes() {
        assert!(parse_secret(&"ab".repeat(32)).is_ok());
        assert!(parse_secret("abcd").unwrap_err().contains("2 bytes"));
        assert!(parse_secret("zz").is_err());
    }
}
