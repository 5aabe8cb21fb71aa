//! The store's test suite, written once and run on every engine (see `sqlite.rs` and
//! `postgres.rs`, which only say how to get a fresh database).

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;

use leash_store::*;
use serde_json::json;

/// Opens a store on one database location.
pub type Opener = Arc<dyn Fn() -> Result<Box<dyn Store>, StoreError> + Send + Sync>;

/// One fresh database of one engine, for one test.
pub trait Harness {
    /// The store under test.
    fn store(&self) -> &dyn Store;
    /// Opens another instance on the same database (another process or replica).
    fn opener(&self) -> Opener;
    /// Another instance whose clock always says `t`.
    fn with_fixed_clock(&self, t: u64) -> Box<dyn Store>;
    /// An opener for another, still empty database location of this engine.
    fn empty_opener(&self) -> Opener;
    /// Runs SQL on the database directly, outside the store.
    fn raw(&self, sql: &str) -> Result<(), String>;
    /// SQL that removes the audit guards (triggers), to simulate tampering by someone with
    /// full access to the database.
    fn drop_guards_sql(&self) -> &'static str;
}

/// Defines one `#[test]` per suite function, each on a fresh harness from `$setup`
/// (which returns `None` to skip).
#[macro_export]
macro_rules! store_suite {
    ($setup:path) => {
        $crate::store_suite!($setup;
            api_key_lifecycle, api_key_errors, session_lifecycle, nonce_take_and_release,
            concurrent_nonces_across_instances, calls, audit_chain_links_and_hashes,
            audit_rows_are_append_only, tampered_entry_is_detected, truncated_log_is_detected,
            emptied_log_is_detected, gap_is_detected, failed_audit_rolls_back_the_mutation,
            refused_mutation_writes_no_audit, migrations_rerun_and_newer_schema_refused,
            concurrent_first_open, injected_clock, a_refused_write_in_a_batch_fails_alone);
    };
    ($setup:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Some(h) = $setup() {
                    common::$name(&h);
                }
            }
        )*
    };
}

// ------------------------------------------------------------------ fixtures

pub fn new_key(id: &str) -> NewApiKey {
    NewApiKey {
        id: id.into(),
        name: format!("key {id}"),
        role: Role::App,
        accounts: vec!["0x00000000000000000000000000000000000000aa".into()],
        methods: Some(vec!["wallet_sendCalls".into()]),
        rate_limit_per_minute: 60,
        secret: digest("1"),
    }
}

pub fn digest(n: &str) -> SecretDigest {
    SecretDigest {
        sha256: n.repeat(64),
        prefix: format!("leash_{n}"),
        suffix: n.repeat(4),
    }
}

pub fn new_session(context: &str, account: &str, chain_id: u64) -> NewServedSession {
    NewServedSession {
        context: context.into(),
        session_id: format!("0x{}", "11".repeat(32)),
        account: account.into(),
        chain_id,
        entry_point: "0x0000000071727de22e5e9d8baf0edac6f37da032".into(),
        module: "0x00000000000000000000000000000000000000bb".into(),
        signer: "0x00000000000000000000000000000000000000cc".into(),
        spec: r#"{"calls":[]}"#.into(),
        request: r#"{"chainId":"0x1"}"#.into(),
        sealed_key: Some(vec![0, 1, 2, 255, 0]),
        nonce_key: "0x1234".into(),
        created_by: "app1".into(),
    }
}

pub fn new_call(id: &str, context: &str) -> NewCall {
    NewCall {
        id: id.into(),
        context: context.into(),
        chain_id: 1,
        nonce_seq: 0,
        user_op: r#"{"sender":"0xaa"}"#.into(),
    }
}

fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("expected a Conflict, got {other:?}"),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, want: &str) {
    match r {
        Err(StoreError::NotFound { what, .. }) => assert_eq!(what, want),
        other => panic!("expected NotFound {want}, got {other:?}"),
    }
}

fn all_entries(s: &dyn Store) -> Vec<AuditEntry> {
    s.audit_entries(0, u32::MAX).unwrap()
}

fn last_entry(s: &dyn Store) -> AuditEntry {
    all_entries(s).pop().expect("an audit entry")
}

fn assert_intact(s: &dyn Store) -> AuditReport {
    let r = s.verify_audit().unwrap();
    assert!(r.is_intact(), "audit chain broken: {:?}", r.problems);
    r
}

fn assert_broken(s: &dyn Store, needle: &str) {
    let r = s.verify_audit().unwrap();
    assert!(!r.is_intact(), "tampering went unnoticed");
    assert!(
        r.problems.iter().any(|p| p.contains(needle)),
        "no problem mentions {needle:?}: {:?}",
        r.problems
    );
}

// ------------------------------------------------------------------ API keys

pub fn api_key_lifecycle(h: &dyn Harness) {
    let s = h.store();
    let k = s.create_api_key(new_key("app1"), "cli:root").unwrap();
    assert_eq!(k.status, KeyStatus::Enabled);
    assert_eq!(k.methods, Some(vec!["wallet_sendCalls".to_string()]));
    assert_eq!(k.rotated_at, None);
    assert_eq!(s.api_key("app1").unwrap(), k);
    let mut admin = new_key("admin1");
    admin.role = Role::Admin;
    admin.accounts = vec![];
    admin.methods = None;
    s.create_api_key(admin, "cli:root").unwrap();
    let ids: Vec<_> = s
        .list_api_keys()
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, ["app1", "admin1"]);
    assert!(conflict(s.create_api_key(new_key("app1"), "cli:root")).contains("app1"));

    let d = s.set_api_key_enabled("app1", false, "admin1").unwrap();
    assert_eq!(d.status, KeyStatus::Disabled);
    assert_eq!(
        s.set_api_key_enabled("app1", true, "admin1")
            .unwrap()
            .status,
        KeyStatus::Enabled
    );

    let r = s.rotate_api_key("app1", digest("2"), "admin1").unwrap();
    assert_eq!(r.secret, digest("2"));
    assert!(r.rotated_at.is_some());
    let again = s.api_key("app1").unwrap();
    assert_eq!(
        again.secret.sha256,
        "2".repeat(64),
        "the old digest must be gone"
    );
    assert!(s
        .list_api_keys()
        .unwrap()
        .iter()
        .all(|k| k.secret.sha256 != "1".repeat(64) || k.id != "app1"));

    let v = s.revoke_api_key("app1", "leaked", "admin1").unwrap();
    assert_eq!(v.status, KeyStatus::Revoked);
    assert_eq!(v.revoke_reason.as_deref(), Some("leaked"));
    conflict(s.set_api_key_enabled("app1", true, "admin1"));
    conflict(s.set_api_key_enabled("app1", false, "admin1"));
    conflict(s.rotate_api_key("app1", digest("3"), "admin1"));
    conflict(s.revoke_api_key("app1", "again", "admin1"));
    assert_eq!(s.api_key("app1").unwrap().status, KeyStatus::Revoked);

    let gone = s.delete_api_key("app1", "admin1").unwrap();
    assert_eq!(gone.id, "app1");
    not_found(s.api_key("app1"), "API key");
    assert_eq!(s.list_api_keys().unwrap().len(), 1);

    let log = all_entries(s);
    let actions: Vec<_> = log.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "apikey.create",
            "apikey.create",
            "apikey.disable",
            "apikey.enable",
            "apikey.rotate",
            "apikey.revoke",
            "apikey.delete"
        ]
    );
    assert!(log.iter().all(|e| e.entry.subject.is_some()));
    assert_eq!(log[0].entry.actor, "cli:root");
    assert_eq!(log[0].entry.subject.as_deref(), Some("app1"));
    assert_eq!(log[5].entry.details["reason"], "leaked");
    for e in &log {
        let d = e.entry.details.to_string();
        assert!(
            !d.contains(&"1".repeat(64)) && !d.contains(&"2".repeat(64)),
            "a digest leaked: {d}"
        );
    }
    assert_intact(s);
}

pub fn api_key_errors(h: &dyn Harness) {
    let s = h.store();
    not_found(s.api_key("nope"), "API key");
    not_found(s.set_api_key_enabled("nope", true, "a"), "API key");
    not_found(s.revoke_api_key("nope", "r", "a"), "API key");
    not_found(s.rotate_api_key("nope", digest("2"), "a"), "API key");
    not_found(s.delete_api_key("nope", "a"), "API key");
    s.create_api_key(new_key("k"), "a").unwrap();
    s.delete_api_key("k", "a").unwrap();
    not_found(s.delete_api_key("k", "a"), "API key");
    not_found(s.set_api_key_enabled("k", true, "a"), "API key");
    assert!(conflict(s.create_api_key(new_key("k"), "a")).contains("deleted"));
    assert_eq!(all_entries(s).len(), 2);
    assert!(s.list_api_keys().unwrap().is_empty());
}

// ------------------------------------------------------------------ sessions and nonces

pub fn session_lifecycle(h: &dyn Harness) {
    let s = h.store();
    let acct = "0x00000000000000000000000000000000000000aa";
    let a = s
        .insert_session(new_session("0xc1", acct, 1), "app1")
        .unwrap();
    assert_eq!(a.new, new_session("0xc1", acct, 1));
    assert_eq!(a.state, SessionState::Active);
    assert_eq!(a.next_nonce, 0);
    assert_eq!(a.enable_grant, None);
    let mut app_held = new_session("0xc2", acct, 1);
    app_held.sealed_key = None;
    s.insert_session(app_held.clone(), "app1").unwrap();
    s.insert_session(new_session("0xc3", acct, 10), "app1")
        .unwrap();
    s.insert_session(
        new_session("0xc4", "0x00000000000000000000000000000000000000dd", 1),
        "app1",
    )
    .unwrap();
    conflict(s.insert_session(new_session("0xc1", acct, 1), "app1"));
    assert_eq!(s.session("0xc2").unwrap().new, app_held);
    not_found(s.session("0xzz"), "session");

    let of: Vec<_> = s
        .sessions_of(acct, 1)
        .unwrap()
        .into_iter()
        .map(|x| x.new.context)
        .collect();
    assert_eq!(of, ["0xc1", "0xc2"]);
    assert_eq!(s.sessions_of(acct, 10).unwrap().len(), 1);
    assert!(s.sessions_of(acct, 2).unwrap().is_empty());

    let g = s
        .set_enable_grant("0xc1", r#"{"sig":"0x01"}"#, "app1")
        .unwrap();
    assert_eq!(g.enable_grant.as_deref(), Some(r#"{"sig":"0x01"}"#));
    assert!(s.clear_enable_grant("0xc1", "app1").unwrap());
    assert!(!s.clear_enable_grant("0xc1", "app1").unwrap());
    assert_eq!(s.session("0xc1").unwrap().enable_grant, None);
    not_found(s.clear_enable_grant("0xzz", "app1"), "session");

    let r = s.revoke_session("0xc1", "user asked", "app1").unwrap();
    assert_eq!(r.state, SessionState::Revoked);
    assert_eq!(r.revoke_reason.as_deref(), Some("user asked"));
    assert!(r.revoked_at.is_some());
    conflict(s.revoke_session("0xc1", "again", "app1"));
    conflict(s.set_enable_grant("0xc1", "{}", "app1"));
    not_found(s.revoke_session("0xzz", "r", "app1"), "session");

    let actions: Vec<_> = all_entries(s).into_iter().map(|e| e.entry.action).collect();
    assert_eq!(
        actions,
        [
            "session.grant",
            "session.grant",
            "session.grant",
            "session.grant",
            "session.enable-grant",
            "session.enabled",
            "session.revoke"
        ]
    );
    let grant = &all_entries(s)[0];
    assert_eq!(grant.entry.subject.as_deref(), Some("0xc1"));
    assert_eq!(grant.entry.details["account"], acct);
    assert_eq!(grant.entry.details["serverHeldKey"], true);
    assert_intact(s);
}

pub fn nonce_take_and_release(h: &dyn Harness) {
    let s = h.store();
    s.insert_session(new_session("0xc1", "0xaa", 1), "app1")
        .unwrap();
    let t0 = s
        .take_nonce("0xc1", None, json!({ "opHash": "0x01" }), "app1")
        .unwrap();
    assert_eq!(t0.seq, 0);
    let e = last_entry(s);
    assert_eq!(e.seq, t0.audit_seq);
    assert_eq!(e.entry.action, "op.sign");
    assert_eq!(e.entry.subject.as_deref(), Some("0xc1"));
    assert_eq!(e.entry.details, json!({ "opHash": "0x01", "nonceSeq": 0 }));
    assert_eq!(
        s.take_nonce("0xc1", Some(0), json!({}), "app1")
            .unwrap()
            .seq,
        1
    );
    // The EntryPoint is ahead (ops sent elsewhere): the floor wins.
    assert_eq!(
        s.take_nonce("0xc1", Some(7), json!({}), "app1")
            .unwrap()
            .seq,
        7
    );
    assert_eq!(s.session("0xc1").unwrap().next_nonce, 8);
    // A floor behind the store changes nothing.
    assert_eq!(
        s.take_nonce("0xc1", Some(3), json!(null), "app1")
            .unwrap()
            .seq,
        8
    );
    assert_eq!(last_entry(s).entry.details, json!({ "nonceSeq": 8 }));

    // Compare-and-swap: only the last sequence taken goes back.
    assert!(!s.release_nonce("0xc1", 7, "app1").unwrap());
    let before = all_entries(s).len();
    assert!(s.release_nonce("0xc1", 8, "app1").unwrap());
    assert_eq!(all_entries(s).len(), before + 1);
    let rel = last_entry(s);
    assert_eq!(rel.entry.action, "op.release");
    assert_eq!(rel.entry.details["nonceSeq"], 8);
    assert_eq!(s.session("0xc1").unwrap().next_nonce, 8);
    assert!(!s.release_nonce("0xc1", 8, "app1").unwrap());
    assert_eq!(
        all_entries(s).len(),
        before + 1,
        "a refused release is not audited"
    );
    assert_eq!(
        s.take_nonce("0xc1", None, json!({}), "app1").unwrap().seq,
        8
    );
    not_found(s.take_nonce("0xzz", None, json!({}), "app1"), "session");
    not_found(s.release_nonce("0xzz", 0, "app1"), "session");

    s.revoke_session("0xc1", "done", "app1").unwrap();
    let n = all_entries(s).len();
    conflict(s.take_nonce("0xc1", None, json!({}), "app1"));
    assert_eq!(all_entries(s).len(), n);
    assert_eq!(s.session("0xc1").unwrap().next_nonce, 9);
    assert_intact(s);
}

pub fn concurrent_nonces_across_instances(h: &dyn Harness) {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    h.store()
        .insert_session(new_session("0xc1", "0xaa", 1), "app1")
        .unwrap();
    let other: Arc<dyn Store> = Arc::from(h.opener()().unwrap());
    let first: Arc<dyn Store> = Arc::from(h.opener()().unwrap());
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let s = if t % 2 == 0 {
                first.clone()
            } else {
                other.clone()
            };
            thread::spawn(move || {
                (0..EACH)
                    .map(|i| {
                        s.take_nonce(
                            "0xc1",
                            None,
                            json!({ "thread": t, "i": i }),
                            &format!("app{t}"),
                        )
                        .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let taken: Vec<NonceTaken> = handles
        .into_iter()
        .flat_map(|j| j.join().unwrap())
        .collect();
    let total = THREADS * EACH;
    let seqs: BTreeSet<u64> = taken.iter().map(|t| t.seq).collect();
    assert_eq!(seqs.len(), total, "a sequence was handed out twice");
    assert_eq!(seqs, (0..total as u64).collect());
    let audit_seqs: BTreeSet<u64> = taken.iter().map(|t| t.audit_seq).collect();
    assert_eq!(audit_seqs.len(), total);
    let s = h.store();
    assert_eq!(s.session("0xc1").unwrap().next_nonce, total as u64);
    let report = assert_intact(s);
    assert_eq!(report.entries, total as u64 + 1);
    let signs: Vec<_> = all_entries(s)
        .into_iter()
        .filter(|e| e.entry.action == "op.sign")
        .collect();
    assert_eq!(signs.len(), total);
    let logged: BTreeSet<u64> = signs
        .iter()
        .map(|e| e.entry.details["nonceSeq"].as_u64().unwrap())
        .collect();
    assert_eq!(logged, seqs);
    for t in &taken {
        let e = &s.audit_entries(t.audit_seq - 1, 1).unwrap()[0];
        assert_eq!(
            e.entry.details["nonceSeq"], t.seq,
            "audit entry {} logs another seq",
            e.seq
        );
    }
}

// ------------------------------------------------------------------ calls

pub fn calls(h: &dyn Harness) {
    let s = h.store();
    s.insert_session(new_session("0xc1", "0xaa", 1), "app1")
        .unwrap();
    let c = s.insert_call(new_call("0xop1", "0xc1"), "app1").unwrap();
    assert_eq!(c.new, new_call("0xop1", "0xc1"));
    assert_eq!(c.status, CallStatus::Pending);
    assert_eq!(c.receipt, None);
    conflict(s.insert_call(new_call("0xop1", "0xc1"), "app1"));
    not_found(
        s.insert_call(new_call("0xop2", "0xnope"), "app1"),
        "session",
    );
    assert_eq!(s.call("0xop1").unwrap(), c);
    not_found(s.call("0xop2"), "call");
    let n = all_entries(s).len();
    let done = s
        .set_call_outcome("0xop1", CallStatus::Confirmed, Some(r#"{"success":true}"#))
        .unwrap();
    assert_eq!(done.status, CallStatus::Confirmed);
    assert_eq!(done.receipt.as_deref(), Some(r#"{"success":true}"#));
    assert_eq!(s.call("0xop1").unwrap(), done);
    for st in [
        CallStatus::Reverted,
        CallStatus::Failed,
        CallStatus::Pending,
    ] {
        assert_eq!(s.set_call_outcome("0xop1", st, None).unwrap().status, st);
    }
    assert_eq!(all_entries(s).len(), n, "outcomes are not audited");
    not_found(
        s.set_call_outcome("0xop2", CallStatus::Failed, None),
        "call",
    );
    let send = &all_entries(s)[1];
    assert_eq!(send.entry.action, "op.send");
    assert_eq!(send.entry.subject.as_deref(), Some("0xop1"));
    assert_eq!(send.entry.details["context"], "0xc1");
    assert_intact(s);
}

// ------------------------------------------------------------------ audit log

pub fn audit_chain_links_and_hashes(h: &dyn Harness) {
    let s = h.store();
    let empty = assert_intact(s);
    assert_eq!((empty.entries, empty.head), (0, None));
    let details = json!({ "z": 1, "a": [1.5, "x", null], "m": { "k": true } });
    for i in 0..25 {
        let e = s
            .append_audit(NewAuditEntry {
                actor: format!("actor{i}"),
                action: "auth.refused".into(),
                subject: (i % 2 == 0).then(|| format!("s{i}")),
                details: details.clone(),
            })
            .unwrap();
        assert_eq!(e.seq, i + 1);
    }
    let log = all_entries(s);
    assert_eq!(log.len(), 25);
    let mut prev = GENESIS_HASH.to_string();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert_eq!(e.prev_hash, prev);
        assert_eq!(e.entry.details, details);
        let want = audit_hash(
            e.seq,
            e.time,
            &e.entry.actor,
            &e.entry.action,
            e.entry.subject.as_deref(),
            &serde_json::to_string(&e.entry.details).unwrap(),
            &e.prev_hash,
        );
        assert_eq!(e.hash, want);
        prev = e.hash.clone();
    }
    let page: Vec<_> = s
        .audit_entries(10, 5)
        .unwrap()
        .into_iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(page, [11, 12, 13, 14, 15]);
    assert!(s.audit_entries(25, 10).unwrap().is_empty());
    let r = assert_intact(s);
    assert_eq!(r.entries, 25);
    assert_eq!(r.head, Some(prev));
}

fn five_entries(s: &dyn Store) {
    for i in 0..5 {
        s.append_audit(NewAuditEntry {
            actor: "a".into(),
            action: "test".into(),
            subject: Some(format!("s{i}")),
            details: json!({ "i": i }),
        })
        .unwrap();
    }
}

pub fn audit_rows_are_append_only(h: &dyn Harness) {
    let s = h.store();
    five_entries(s);
    for sql in [
        "UPDATE audit_log SET actor = 'evil' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 5",
        "DELETE FROM audit_log",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 3",
    ] {
        let e = h.raw(sql).expect_err(&format!("{sql} was allowed"));
        assert!(e.contains("audit"), "unexpected error for {sql}: {e}");
    }
    assert_eq!(all_entries(s).len(), 5);
    assert_intact(s);
}

pub fn tampered_entry_is_detected(h: &dyn Harness) {
    let s = h.store();
    five_entries(s);
    h.raw(h.drop_guards_sql()).unwrap();
    h.raw(r#"UPDATE audit_log SET details = '{"i":42}' WHERE seq = 3"#)
        .unwrap();
    assert_broken(s, "entry 3");
}

pub fn truncated_log_is_detected(h: &dyn Harness) {
    let s = h.store();
    five_entries(s);
    h.raw(h.drop_guards_sql()).unwrap();
    h.raw("DELETE FROM audit_log WHERE seq > 3").unwrap();
    assert_broken(s, "head");
}

pub fn emptied_log_is_detected(h: &dyn Harness) {
    let s = h.store();
    five_entries(s);
    h.raw(h.drop_guards_sql()).unwrap();
    h.raw("DELETE FROM audit_log").unwrap();
    assert_broken(s, "head");
    h.raw("DELETE FROM audit_head").unwrap();
    assert_broken(s, "head row is missing");
}

pub fn gap_is_detected(h: &dyn Harness) {
    let s = h.store();
    five_entries(s);
    h.raw(h.drop_guards_sql()).unwrap();
    h.raw("DELETE FROM audit_log WHERE seq = 2").unwrap();
    assert_broken(s, "missing");
}

pub fn failed_audit_rolls_back_the_mutation(h: &dyn Harness) {
    let s = h.store();
    s.create_api_key(new_key("k1"), "a").unwrap();
    s.insert_session(new_session("0xc1", "0xaa", 1), "a")
        .unwrap();
    // Without its head the audit log cannot take entries: every mutation must fail whole.
    h.raw(h.drop_guards_sql()).unwrap();
    h.raw("DELETE FROM audit_head").unwrap();
    assert!(s.create_api_key(new_key("k2"), "a").is_err());
    not_found(s.api_key("k2"), "API key");
    assert!(s.revoke_api_key("k1", "r", "a").is_err());
    assert_eq!(s.api_key("k1").unwrap().status, KeyStatus::Enabled);
    assert!(s.take_nonce("0xc1", None, json!({}), "a").is_err());
    assert_eq!(s.session("0xc1").unwrap().next_nonce, 0);
    assert!(s.insert_call(new_call("0xop", "0xc1"), "a").is_err());
    not_found(s.call("0xop"), "call");
    assert_eq!(all_entries(s).len(), 2);
}

pub fn refused_mutation_writes_no_audit(h: &dyn Harness) {
    let s = h.store();
    s.create_api_key(new_key("k1"), "a").unwrap();
    s.revoke_api_key("k1", "r", "a").unwrap();
    s.insert_session(new_session("0xc1", "0xaa", 1), "a")
        .unwrap();
    let n = all_entries(s).len();
    conflict(s.create_api_key(new_key("k1"), "a"));
    conflict(s.rotate_api_key("k1", digest("9"), "a"));
    conflict(s.insert_session(new_session("0xc1", "0xaa", 1), "a"));
    not_found(s.revoke_session("0xc9", "r", "a"), "session");
    assert_eq!(all_entries(s).len(), n);
    assert_intact(s);
}

// ------------------------------------------------------------------ schema and engine

pub fn migrations_rerun_and_newer_schema_refused(h: &dyn Harness) {
    let s = h.store();
    s.health().unwrap();
    s.create_api_key(new_key("k1"), "a").unwrap();
    let again = h.opener()().unwrap();
    again.health().unwrap();
    assert_eq!(again.engine(), s.engine());
    assert_eq!(again.api_key("k1").unwrap().id, "k1");
    h.raw(&format!(
        "INSERT INTO schema_version (version, description, applied_at) VALUES ({}, 'future', 0)",
        SCHEMA_VERSION + 1
    ))
    .unwrap();
    let err = h.opener()()
        .err()
        .expect("a newer schema must be refused")
        .to_string();
    assert!(
        err.contains("newer") && err.contains("upgrade leash"),
        "{err}"
    );
    let err = s.health().unwrap_err().to_string();
    assert!(err.contains("upgrade leash"), "{err}");
}

pub fn concurrent_first_open(h: &dyn Harness) {
    let open = h.empty_opener();
    let stores: Vec<Box<dyn Store>> = (0..4)
        .map(|_| {
            let open = open.clone();
            thread::spawn(move || open())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|j| j.join().unwrap().expect("concurrent first open"))
        .collect();
    for (i, s) in stores.iter().enumerate() {
        s.health().unwrap();
        s.create_api_key(new_key(&format!("k{i}")), "a").unwrap();
    }
    assert_eq!(stores[0].list_api_keys().unwrap().len(), 4);
    assert_intact(&*stores[0]);
}

pub fn injected_clock(h: &dyn Harness) {
    let s = h.with_fixed_clock(1_700_000_000);
    let k = s.create_api_key(new_key("k1"), "a").unwrap();
    assert_eq!((k.created_at, k.updated_at), (1_700_000_000, 1_700_000_000));
    let e = last_entry(&*s);
    assert_eq!(e.time, 1_700_000_000);
    let real = h.store().api_key("k1").unwrap();
    assert_eq!(real.created_at, 1_700_000_000);
    let r = h.store().rotate_api_key("k1", digest("2"), "a").unwrap();
    assert!(r.updated_at > 1_700_000_000 && r.rotated_at == Some(r.updated_at));
}

/// Concurrent signature writes share commits (group commit); one refused write (a revoked
/// session) in a batch fails alone, the others land, and the audit log has exactly one
/// `op.sign` per nonce handed out.
pub fn a_refused_write_in_a_batch_fails_alone(h: &dyn Harness) {
    const THREADS: usize = 8;
    const EACH: usize = 20;
    let s = h.store();
    s.insert_session(new_session("0xa1", "0xaa", 1), "app")
        .unwrap();
    s.insert_session(new_session("0xb2", "0xaa", 1), "app")
        .unwrap();
    s.revoke_session("0xb2", "test", "app").unwrap();
    let store: Arc<dyn Store> = Arc::from(h.opener()().unwrap());
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            thread::spawn(move || {
                let mut taken = Vec::new();
                for i in 0..EACH {
                    let context = if (t + i) % 2 == 0 { "0xa1" } else { "0xb2" };
                    let outcome = store.take_nonce(context, None, json!({ "t": t, "i": i }), "app");
                    taken.push((context, outcome));
                }
                taken
            })
        })
        .collect();
    let mut granted = BTreeSet::new();
    let mut refused = 0;
    for (context, outcome) in handles.into_iter().flat_map(|j| j.join().unwrap()) {
        match (context, outcome) {
            ("0xa1", Ok(taken)) => assert!(granted.insert(taken.seq), "seq {} twice", taken.seq),
            ("0xb2", Err(StoreError::Conflict(_))) => refused += 1,
            (context, outcome) => panic!("{context}: unexpected {outcome:?}"),
        }
    }
    let half = (THREADS * EACH / 2) as u64;
    assert_eq!(
        granted,
        (0..half).collect(),
        "every take on the active session landed"
    );
    assert_eq!(refused, THREADS * EACH / 2);
    let signs = s
        .audit_entries(0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.entry.action == "op.sign")
        .count();
    assert_eq!(
        signs as u64, half,
        "one op.sign per nonce handed out, none for refusals"
    );
    assert_intact(s);
}
