//! The hash of an audit entry, over a length-prefixed canonical encoding.
//!
//! ```text
//! hash = sha256( "leash-audit-v1"
//!              ‖ u64be(seq) ‖ u64be(time)
//!              ‖ str(actor) ‖ str(action)
//!              ‖ 0x00                       (no subject)
//!                | 0x01 ‖ str(subject)
//!              ‖ str(details)               (serde_json::to_string of the details Value)
//!              ‖ str(prev_hash) )           (64 lower-case hex digits)
//! str(s) = u64be(byte length of s) ‖ UTF-8 bytes of s
//! ```
//!
//! The digest is written as 64 lower-case hex digits. Every variable field carries its length,
//! so no two different entries encode to the same bytes.

use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The domain tag the encoding starts with.
const DOMAIN: &[u8] = b"leash-audit-v1";

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

/// The hash of one audit entry, `details` being the JSON text exactly as stored
/// (`serde_json::to_string` of the entry's details). See the module docs for the encoding.
pub fn audit_hash(
    seq: u64,
    time: u64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    details: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(seq.to_be_bytes());
    h.update(time.to_be_bytes());
    put_str(&mut h, actor);
    put_str(&mut h, action);
    match subject {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put_str(&mut h, s);
        }
    }
    put_str(&mut h, details);
    put_str(&mut h, prev_hash);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_none_and_empty_differ() {
        let a = audit_hash(1, 2, "a", "b", None, "{}", GENESIS_HASH);
        let b = audit_hash(1, 2, "a", "b", Some(""), "{}", GENESIS_HASH);
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let a = audit_hash(1, 2, "ab", "c", None, "{}", GENESIS_HASH);
        let b = audit_hash(1, 2, "a", "bc", None, "{}", GENESIS_HASH);
        assert_ne!(a, b);
    }
}
