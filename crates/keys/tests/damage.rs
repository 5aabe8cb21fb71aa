//! A store that fails loudly: each test damages a real data directory (SQLite registry and
//! keystore on disk) the way a crash, a careless hand or an attacker would, and checks that
//! leash says so instead of carrying on.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use alloy::primitives::Address;
use leash_keys::audit::AuditIssue;
use leash_keys::registry::RegistryError;
use leash_keys::store::{KEYSTORE_DIR, REGISTRY_FILE};
use leash_keys::{CreateRequest, Error, Filter, PasswordSource, Store};

fn password() -> PasswordSource {
    PasswordSource::Prompt(Box::new(|| Ok("damage test password".to_owned())))
}

fn request(label: &str) -> CreateRequest {
    CreateRequest {
        label: label.to_owned(),
        account: common::ACCOUNT,
        chain_id: 8453,
        entry_point: common::ENTRY_POINT,
        module: common::MODULE,
        spec: common::spec(),
    }
}

/// A data directory with `n` sessions; returns it and their local ids.
fn store_with(n: usize) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let ids = (0..n)
        .map(|i| {
            store
                .create_session(request(&format!("s{i}")), &password())
                .unwrap()
                .local_id
        })
        .collect();
    (dir, ids)
}

fn remove_registry(dir: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{REGISTRY_FILE}{suffix}"));
        if path.exists() {
            std::fs::remove_file(path).unwrap();
        }
    }
}

#[test]
fn test_open_refuses_a_missing_registry_next_to_key_files() {
    let (dir, _) = store_with(2);
    remove_registry(dir.path());
    match Store::open(dir.path()) {
        Err(Error::RegistryLost {
            state, key_files, ..
        }) => assert_eq!((state, key_files), ("missing", 2)),
        other => panic!("expected RegistryLost, got {other:?}"),
    }
    assert!(
        !dir.path().join(REGISTRY_FILE).exists(),
        "no empty registry was created over the keys"
    );
}

#[test]
fn test_open_refuses_an_emptied_registry_next_to_key_files() {
    let (dir, _) = store_with(1);
    remove_registry(dir.path());
    std::fs::write(dir.path().join(REGISTRY_FILE), b"").unwrap();
    let error = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            error,
            Error::RegistryLost {
                state: "empty",
                key_files: 1,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("Restore registry.sqlite"),
        "{error}"
    );
}

#[test]
fn test_open_of_a_new_directory_still_creates_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("fresh")).unwrap();
    assert!(store.list(&Filter::default()).unwrap().is_empty());
}

#[test]
fn test_audit_verify_reports_a_wiped_log() {
    let (dir, _) = store_with(2);
    let store = Store::open(dir.path()).unwrap();
    let before = store.audit_verify(None).unwrap();
    assert!(before.problem.is_none());
    assert_eq!(before.entries, 2);
    common::drop_audit_guards(store.registry());
    store
        .registry()
        .database()
        .connection()
        .execute_batch("DELETE FROM audit;")
        .unwrap();
    let report = store.audit_verify(None).unwrap();
    assert_eq!(report.entries, 0);
    assert!(
        matches!(
            report.problem,
            Some(AuditIssue::Truncated { anchor_seq: 2, .. })
        ),
        "{report:?}"
    );
}

#[test]
fn test_audit_verify_reports_a_log_cut_short() {
    let (dir, _) = store_with(3);
    let store = Store::open(dir.path()).unwrap();
    common::drop_audit_guards(store.registry());
    store
        .registry()
        .database()
        .connection()
        .execute_batch("DELETE FROM audit WHERE seq = 3;")
        .unwrap();
    let report = store.audit_verify(None).unwrap();
    assert!(
        matches!(
            report.problem,
            Some(AuditIssue::Truncated { anchor_seq: 3, .. })
        ),
        "{report:?}"
    );
}

#[test]
fn test_one_corrupt_row_names_itself_and_hides_no_other() {
    let (dir, ids) = store_with(3);
    let store = Store::open(dir.path()).unwrap();
    store
        .registry()
        .database()
        .connection()
        .execute(
            "UPDATE sessions SET permissions = '{' WHERE local_id = ?1",
            [&ids[1]],
        )
        .unwrap();
    let (records, bad) = store.list_report(&Filter::default()).unwrap();
    let listed: Vec<&str> = records.iter().map(|r| r.local_id.as_str()).collect();
    assert_eq!(listed, vec![ids[0].as_str(), ids[2].as_str()]);
    assert_eq!(bad.len(), 1);
    match &bad[0] {
        RegistryError::Corrupt {
            local_id, field, ..
        } => {
            assert_eq!(
                (local_id.as_str(), *field),
                (ids[1].as_str(), "permissions")
            )
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(store.list(&Filter::default()).is_err());
}

#[test]
fn test_open_cleans_staging_directories_left_by_a_killed_create() {
    let (dir, _) = store_with(1);
    let keystore = dir.path().join(KEYSTORE_DIR);
    let old = keystore.join(".staging-0123456789abcdef");
    std::fs::create_dir(&old).unwrap();
    std::fs::write(old.join("ciphertext"), b"{}").unwrap();
    let hour_ago = SystemTime::now() - Duration::from_secs(3_600);
    std::fs::File::open(&old)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let fresh = keystore.join(".staging-fedcba9876543210");
    std::fs::create_dir(&fresh).unwrap();

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.cleaned_staging(), std::slice::from_ref(&old));
    assert!(!old.exists());
    assert!(
        fresh.exists(),
        "a create still in progress keeps its staging directory"
    );
}

#[test]
fn test_readers_do_not_wait_for_a_writer() {
    let (dir, _) = store_with(1);
    let writer = rusqlite::Connection::open(dir.path().join(REGISTRY_FILE)).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let started = Instant::now();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list(&Filter::default()).unwrap().len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "open + list waited {:?} behind the writer",
        started.elapsed()
    );
    writer.execute_batch("ROLLBACK;").unwrap();
}

static NOTICED: AtomicBool = AtomicBool::new(false);

#[test]
fn test_a_writer_waiting_for_the_lock_gives_notice_then_proceeds() {
    leash_keys::db::set_lock_wait_notice(|| NOTICED.store(true, Ordering::SeqCst));
    let (dir, ids) = store_with(1);
    let path = dir.path().join(REGISTRY_FILE);
    let holder = std::thread::spawn(move || {
        let writer = rusqlite::Connection::open(path).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE;").unwrap();
        std::thread::sleep(Duration::from_millis(1_600));
        writer.execute_batch("COMMIT;").unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    let mut store = Store::open(dir.path()).unwrap();
    let paused = store.pause(&ids[0]).unwrap();
    assert_eq!(paused.status.as_str(), "paused");
    holder.join().unwrap();
    assert!(NOTICED.load(Ordering::SeqCst), "the wait was announced");
}

#[test]
fn test_external_session_has_no_key_and_refuses_signing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let app = Address::repeat_byte(0x44);
    let record = store.create_external_session(request("app"), app).unwrap();
    assert!(record.is_external());
    assert_eq!(record.signer, app);
    assert!(store.keystore().file_names().unwrap().is_empty());
    let error = store
        .sign_op(&record.local_id, Default::default(), None, &password())
        .unwrap_err();
    assert!(matches!(error, Error::ExternalSigner { .. }), "{error}");
    let error = store
        .export_private_key(&record.local_id, &password())
        .unwrap_err();
    assert!(matches!(error, Error::ExternalSigner { .. }), "{error}");
    // A registry holding only app-keyed sessions still reopens.
    drop(store);
    assert_eq!(
        Store::open(dir.path())
            .unwrap()
            .list(&Filter::default())
            .unwrap()
            .len(),
        1
    );
}
