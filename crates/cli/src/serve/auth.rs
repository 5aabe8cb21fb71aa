//! API keys on the wire: the secret's format, its stored digest, the bearer check of every
//! request and the per-key rate limit.
//!
//! A secret is `leash_<id>_<64 hex>`: the id (12 hex) finds the key in the store, the 256
//! random bits are what proves it. The store keeps only the secret's SHA-256 (a fast hash is
//! enough for 256 random bits: there is nothing to guess), and the first and last characters
//! for people to recognise it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use leash_store::{ApiKey, KeyStatus, SecretDigest, Store, StoreError};
use sha2::{Digest, Sha256};

use super::rpc::Failure;

/// What every secret starts with.
const SECRET_PREFIX: &str = "leash_";
/// Hex digits of a key id.
const ID_HEX: usize = 12;
/// Hex digits of the random part.
const SECRET_HEX: usize = 64;
/// Characters of the random part shown after creation.
const SHOWN: usize = 4;

/// A freshly made key: its id and the secret shown once.
pub(crate) struct Fresh {
    /// Public id.
    pub(crate) id: String,
    /// The whole secret.
    pub(crate) secret: String,
}

/// A new random id.
pub(crate) fn new_id() -> String {
    hex::encode(rand::random::<[u8; ID_HEX / 2]>())
}

/// A new secret for key `id`.
pub(crate) fn new_secret(id: &str) -> Fresh {
    let random = hex::encode(rand::random::<[u8; SECRET_HEX / 2]>());
    Fresh {
        id: id.to_owned(),
        secret: format!("{SECRET_PREFIX}{id}_{random}"),
    }
}

/// What the store keeps of `secret`.
pub(crate) fn digest(secret: &str) -> SecretDigest {
    let random_start = SECRET_PREFIX.len() + ID_HEX + 1;
    SecretDigest {
        sha256: hex::encode(Sha256::digest(secret.as_bytes())),
        prefix: secret[..random_start + SHOWN].to_owned(),
        suffix: secret[secret.len() - SHOWN..].to_owned(),
    }
}

/// How a secret is shown after creation: `leash_<id>_abcd…wxyz`.
pub(crate) fn masked(secret: &SecretDigest) -> String {
    format!("{}…{}", secret.prefix, secret.suffix)
}

/// The key id inside a well-formed secret.
fn id_of(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix(SECRET_PREFIX)?;
    let (id, random) = rest.split_once('_')?;
    let hex_only = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    (id.len() == ID_HEX && random.len() == SECRET_HEX && hex_only(id) && hex_only(random))
        .then_some(id)
}

/// Equal without an early exit (the digest is public-length, its content is not).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The key behind an `Authorization` header, read from the store on every request (so a
/// revoke, rotate or disable through any replica holds at the next request everywhere).
pub(crate) fn authenticate(store: &dyn Store, header: Option<&str>) -> Result<ApiKey, Failure> {
    let header = header.ok_or_else(|| {
        Failure::unauthorized(
            "missing Authorization header: send `Authorization: Bearer leash_…` with an API key \
             (create one with `leash apikey create`)",
        )
    })?;
    let secret = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .ok_or_else(|| {
            Failure::unauthorized("the Authorization header must be `Bearer <API key>`")
        })?;
    let id = id_of(secret).ok_or_else(|| {
        Failure::unauthorized("malformed API key: expected leash_<12 hex>_<64 hex>")
    })?;
    let key = match store.api_key(id) {
        Ok(key) => key,
        Err(StoreError::NotFound { .. }) => {
            return Err(Failure::unauthorized(format!(
                "API key {id} does not exist"
            )))
        }
        Err(error) => return Err(Failure::internal(format!("reading API keys: {error}"))),
    };
    if !same(
        &hex::encode(Sha256::digest(secret.as_bytes())),
        &key.secret.sha256,
    ) {
        return Err(Failure::unauthorized(format!(
            "wrong secret for API key {id} (rotated? the old secret stops working at once)"
        )));
    }
    match key.status {
        KeyStatus::Enabled => Ok(key),
        KeyStatus::Disabled => Err(Failure::unauthorized(format!(
            "API key {id} is disabled: an admin can enable it again"
        ))),
        KeyStatus::Revoked => Err(Failure::unauthorized(format!(
            "API key {id} is revoked ({}): create a new key",
            key.revoke_reason.as_deref().unwrap_or("no reason given")
        ))),
    }
}

/// Per-key token buckets: each key may make `rate_limit_per_minute` requests a minute, with
/// bursts up to that many. Kept in each replica's memory (a fleet of N replicas admits up to
/// N times the limit; documented in docs/serve.md).
#[derive(Default)]
pub(crate) struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// Takes one request of `key`'s budget, or says how long to wait.
    pub(crate) fn admit(&self, key: &ApiKey) -> Result<(), Failure> {
        let per_minute = f64::from(key.rate_limit_per_minute.max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(key.id.clone()).or_insert(Bucket {
            tokens: per_minute,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * per_minute / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(per_minute);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) * 60.0 / per_minute;
        Err(Failure::new(
            super::rpc::LIMIT_EXCEEDED,
            format!(
                "API key {} is over its rate limit of {} requests per minute: retry in {:.1}s",
                key.id, key.rate_limit_per_minute, wait
            ),
        )
        .with_http(axum::http::StatusCode::TOO_MANY_REQUESTS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_their_id_and_show_only_their_ends() {
        let fresh = new_secret(&new_id());
        assert_eq!(id_of(&fresh.secret), Some(fresh.id.as_str()));
        let stored = digest(&fresh.secret);
        assert!(!stored.prefix.contains(&fresh.secret[25..60]));
        assert_eq!(stored.suffix.len(), SHOWN);
        assert!(masked(&stored).starts_with("leash_"));
        assert_eq!(id_of("leash_abc_def"), None);
        assert_eq!(id_of(&fresh.secret.replace("leash_", "lsk_")), None);
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
