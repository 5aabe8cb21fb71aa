//! The store suite on SQLite, each test on its own file in a temporary directory.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{Harness, Opener};
use leash_store::{SqliteStore, Store};

struct Sqlite {
    dir: tempfile::TempDir,
    path: PathBuf,
    store: SqliteStore,
    empties: AtomicUsize,
}

fn setup() -> Option<Sqlite> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leash.db");
    let store = SqliteStore::open(&path).unwrap();
    Some(Sqlite {
        dir,
        path,
        store,
        empties: AtomicUsize::new(0),
    })
}

impl Harness for Sqlite {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn opener(&self) -> Opener {
        let path = self.path.clone();
        Arc::new(move || Ok(Box::new(SqliteStore::open(&path)?) as Box<dyn Store>))
    }

    fn with_fixed_clock(&self, t: u64) -> Box<dyn Store> {
        Box::new(
            SqliteStore::open(&self.path)
                .unwrap()
                .with_clock(Arc::new(move || t)),
        )
    }

    fn empty_opener(&self) -> Opener {
        let n = self.empties.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("empty{n}.db"));
        // Through the public entry point, with the sqlite:// prefix.
        let url = format!("sqlite://{}", path.display());
        Arc::new(move || leash_store::open(&url))
    }

    fn raw(&self, sql: &str) -> Result<(), String> {
        let conn = rusqlite::Connection::open(&self.path).map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn drop_guards_sql(&self) -> &'static str {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
         DROP TRIGGER audit_head_forward_only; DROP TRIGGER audit_head_no_delete;"
    }
}

store_suite!(setup);

#[test]
fn file_settings() {
    let h = setup().unwrap();
    let conn = rusqlite::Connection::open(&h.path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(h.store.engine(), leash_store::Engine::Sqlite);
    assert_eq!(h.store.path(), h.path);
}

#[test]
fn open_dispatches_and_explains() {
    let h = setup().unwrap();
    let plain = leash_store::open(h.path.to_str().unwrap()).unwrap();
    assert_eq!(plain.engine(), leash_store::Engine::Sqlite);
    let err = leash_store::open("/nonexistent-dir/leash.db")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("/nonexistent-dir/leash.db") && err.contains("directory exists"),
        "{err}"
    );
    let err = leash_store::open("postgres://leash:hunter2@127.0.0.1:1/leash")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("127.0.0.1:1") && !err.contains("hunter2"),
        "{err}"
    );
    assert!(err.contains("check that the server runs"), "{err}");
}

/// Several processes on one file: this test re-runs its own binary as children that take
/// nonces concurrently with the parent.
#[test]
fn nonces_across_processes() {
    const CHILDREN: usize = 3;
    const EACH: u64 = 20;
    if let Ok(path) = std::env::var("LEASH_STORE_CHILD_DB") {
        let s = SqliteStore::open(std::path::Path::new(&path)).unwrap();
        for _ in 0..EACH {
            s.take_nonce(
                "0xc1",
                None,
                serde_json::json!({ "pid": std::process::id() }),
                "child",
            )
            .unwrap();
        }
        return;
    }
    let h = setup().unwrap();
    h.store
        .insert_session(common::new_session("0xc1", "0xaa", 1), "a")
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "nonces_across_processes",
                    "--test-threads=1",
                    "-q",
                ])
                .env("LEASH_STORE_CHILD_DB", &h.path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for _ in 0..EACH {
        h.store
            .take_nonce("0xc1", None, serde_json::json!({}), "parent")
            .unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child process failed");
    }
    let total = EACH * (CHILDREN as u64 + 1);
    assert_eq!(h.store.session("0xc1").unwrap().next_nonce, total);
    let r = h.store.verify_audit().unwrap();
    assert!(r.is_intact(), "{:?}", r.problems);
    let seqs: std::collections::BTreeSet<u64> = h
        .store
        .audit_entries(0, u32::MAX)
        .unwrap()
        .iter()
        .filter(|e| e.entry.action == "op.sign")
        .map(|e| e.entry.details["nonceSeq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..total).collect());
}

#[test]
fn bad_postgres_url_hides_the_password() {
    for url in [
        "postgres://leash:hunter2@db:notaport/leash",
        "postgresql://leash:hunter2@db:5432/leash?sslmode=bogus",
    ] {
        let err = leash_store::open(url).err().unwrap().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(
            err.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
            "{err}"
        );
    }
}
