//! Helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use alloy::primitives::{Address, FixedBytes, B256};
use leash_keys::permissions::{CallGrant, Selector, SessionSpec, Target};
use leash_keys::registry::{Clock, NewSession, Registry};

pub(crate) const ACCOUNT: Address = Address::repeat_byte(0xAA);
pub(crate) const ENTRY_POINT: Address = Address::repeat_byte(0xEE);
pub(crate) const MODULE: Address = Address::repeat_byte(0x77);

/// A settable clock.
pub(crate) fn fixed_clock(start: u64) -> (Arc<AtomicU64>, Clock) {
    let now = Arc::new(AtomicU64::new(start));
    let handle = now.clone();
    (now, Arc::new(move || handle.load(Ordering::SeqCst)))
}

pub(crate) fn spec() -> SessionSpec {
    SessionSpec {
        valid_after: 0,
        valid_until: 2_000_000_000,
        calls: vec![CallGrant {
            target: Target::Exact(Address::repeat_byte(0x11)),
            selector: Selector::Exact(FixedBytes([0xa9, 0x05, 0x9c, 0xbb])),
        }],
        ..SessionSpec::default()
    }
}

pub(crate) fn fake_keystore_name(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}.json")
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// A record whose key is a made-up address (registry-only tests).
pub(crate) fn new_session(label: &str) -> NewSession {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let mut signer = [0u8; 20];
    signer[12..].copy_from_slice(&n.to_be_bytes());
    NewSession {
        label: label.to_owned(),
        account: ACCOUNT,
        chain_id: 31337,
        entry_point: ENTRY_POINT,
        module: MODULE,
        spec: SessionSpec {
            signer: Address::from(signer),
            salt: B256::with_last_byte(n as u8),
            ..spec()
        },
        keystore_file: fake_keystore_name(n),
    }
}

pub(crate) fn registry(dir: &tempfile::TempDir) -> Registry {
    let mut registry = Registry::open(&dir.path().join("registry.sqlite"), "tester").unwrap();
    registry.set_clock(fixed_clock(1_700_000_000).1);
    registry
}

/// Lets a test rewrite the audit table directly (as an attacker with file access would).
pub(crate) fn drop_audit_guards(registry: &Registry) {
    registry
        .database()
        .connection()
        .execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .unwrap();
}
