//! Pending enable grants: stored only for their own session, carried in the envelope under
//! ENABLE, audited with the sign, removed with the session.

mod common;

use std::os::unix::fs::PermissionsExt;

use alloy::primitives::{Address, Bytes, B256, U256};
use common::*;
use leash_keys::enable::{EnableError, PendingEnable, ENABLE_DIR};
use leash_keys::envelope::{self, FLAG_ENABLE};
use leash_keys::{CreateRequest, Error, PasswordSource, SessionRecord, Store};

fn password() -> PasswordSource {
    PasswordSource::Prompt(Box::new(|| Ok("enable test password".to_owned())))
}

fn open(dir: &tempfile::TempDir) -> Store {
    let (_, clock) = fixed_clock(1_700_000_000);
    Store::open(dir.path().join("data"))
        .unwrap()
        .with_clock(clock)
}

fn create(store: &mut Store) -> SessionRecord {
    store
        .create_session(
            CreateRequest {
                label: "enable".into(),
                account: ACCOUNT,
                chain_id: 31337,
                entry_point: ENTRY_POINT,
                module: MODULE,
                spec: spec(),
            },
            &password(),
        )
        .unwrap()
}

fn grant_for(record: &SessionRecord, nonce: u64) -> PendingEnable {
    let nonce = U256::from(nonce);
    let mut signature = Address::repeat_byte(0x0f).to_vec();
    signature.extend_from_slice(&[0x5a; 65]);
    PendingEnable {
        session_id: record.session_id,
        account: record.account,
        module: record.module,
        chain_id: record.chain_id,
        nonce,
        digest: envelope::enable_digest(
            record.chain_id,
            record.module,
            record.account,
            record.session_id,
            nonce,
        ),
        signature: Bytes::from(signature),
    }
}

#[test]
fn a_saved_grant_is_read_back_private_and_replaced_by_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let record = create(&mut store);
    assert_eq!(store.pending_enable(&record.local_id).unwrap(), None);
    store
        .save_enable_grant(&record.local_id, &grant_for(&record, 7))
        .unwrap();
    let file = store
        .dir()
        .join(ENABLE_DIR)
        .join(format!("{}.json", record.local_id));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    store
        .save_enable_grant(&record.local_id, &grant_for(&record, 8))
        .unwrap();
    let loaded = store.pending_enable(&record.local_id).unwrap().unwrap();
    assert_eq!(loaded, grant_for(&record, 8));
    assert!(store.clear_enable_grant(&record.local_id).unwrap());
    assert!(!store.clear_enable_grant(&record.local_id).unwrap());
    assert_eq!(store.pending_enable(&record.local_id).unwrap(), None);
}

#[test]
fn a_grant_for_anything_else_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let record = create(&mut store);
    let cases: Vec<(&str, PendingEnable)> = vec![
        (
            "sessionId",
            PendingEnable {
                session_id: B256::repeat_byte(1),
                ..grant_for(&record, 1)
            },
        ),
        (
            "account",
            PendingEnable {
                account: Address::repeat_byte(2),
                ..grant_for(&record, 1)
            },
        ),
        (
            "module",
            PendingEnable {
                module: Address::repeat_byte(3),
                ..grant_for(&record, 1)
            },
        ),
        (
            "chainId",
            PendingEnable {
                chain_id: 1,
                ..grant_for(&record, 1)
            },
        ),
        (
            "digest",
            PendingEnable {
                nonce: U256::from(2),
                ..grant_for(&record, 1)
            },
        ),
        (
            "signature",
            PendingEnable {
                signature: Bytes::new(),
                ..grant_for(&record, 1)
            },
        ),
    ];
    for (field, grant) in cases {
        match store.save_enable_grant(&record.local_id, &grant) {
            Err(Error::Enable(EnableError::Mismatch { field: got, .. })) => {
                assert_eq!(got, field)
            }
            other => panic!("{field}: expected a mismatch, got {other:?}"),
        }
    }
    assert_eq!(store.pending_enable(&record.local_id).unwrap(), None);
}

#[test]
fn a_grant_file_moved_to_another_session_or_edited_is_refused_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let first = create(&mut store);
    let second = create(&mut store);
    store
        .save_enable_grant(&first.local_id, &grant_for(&first, 1))
        .unwrap();
    let grants = store.dir().join(ENABLE_DIR);
    std::fs::copy(
        grants.join(format!("{}.json", first.local_id)),
        grants.join(format!("{}.json", second.local_id)),
    )
    .unwrap();
    assert!(matches!(
        store.pending_enable(&second.local_id),
        Err(Error::Enable(EnableError::Mismatch {
            field: "sessionId",
            ..
        }))
    ));
    std::fs::write(grants.join(format!("{}.json", first.local_id)), b"{").unwrap();
    assert!(matches!(
        store.pending_enable(&first.local_id),
        Err(Error::Enable(EnableError::Corrupt { .. }))
    ));
}

#[test]
fn signing_with_the_grant_sets_enable_and_audits_its_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let record = create(&mut store);
    let grant = grant_for(&record, 42);
    let hash = B256::repeat_byte(0x44);
    let signed = store
        .sign_op_enabling(&record.local_id, hash, Some(0), Some(&grant), &password())
        .unwrap();
    assert_eq!(signed.envelope[1], FLAG_ENABLE);
    let decoded = envelope::decode_v1(&signed.envelope).unwrap();
    assert_eq!(decoded.enable, Some(grant.grant()));
    assert_eq!(decoded.session_id, record.session_id);
    let entry = store
        .audit_entries(Some(&record.local_id))
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(entry.action, "sign_op");
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    assert_eq!(details["enable_nonce"], serde_json::json!(U256::from(42)));

    let plain = store
        .sign_op(&record.local_id, hash, Some(0), &password())
        .unwrap();
    assert_eq!(plain.envelope[1], 0);
    assert_eq!(envelope::decode_v1(&plain.envelope).unwrap().enable, None);
}

#[test]
fn signing_with_another_sessions_grant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let first = create(&mut store);
    let second = create(&mut store);
    let result = store.sign_op_enabling(
        &second.local_id,
        B256::ZERO,
        Some(0),
        Some(&grant_for(&first, 1)),
        &password(),
    );
    assert!(matches!(
        result,
        Err(Error::Enable(EnableError::Mismatch { .. }))
    ));
}

#[test]
fn a_revoked_session_takes_no_grant_and_delete_removes_a_pending_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let record = create(&mut store);
    store
        .save_enable_grant(&record.local_id, &grant_for(&record, 5))
        .unwrap();
    store.revoke(&record.local_id, "done").unwrap();
    assert!(matches!(
        store.save_enable_grant(&record.local_id, &grant_for(&record, 6)),
        Err(Error::Registry(_))
    ));
    store.delete(&record.local_id).unwrap();
    let file = store
        .dir()
        .join(ENABLE_DIR)
        .join(format!("{}.json", record.local_id));
    assert!(!file.exists());
}
