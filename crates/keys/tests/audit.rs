//! Audit chain: every kind of tampering done with plain SQL is found and named.

mod common;

use common::*;
use leash_keys::audit::{self, AuditHead, AuditIssue};
use leash_keys::registry::Registry;

/// A registry with 6 audit entries: create, pause, resume, create, revoke, create.
fn populated(dir: &tempfile::TempDir) -> Registry {
    let mut registry = registry(dir);
    let a = registry.create(new_session("a")).unwrap().local_id;
    registry.pause(&a).unwrap();
    registry.resume(&a).unwrap();
    let b = registry.create(new_session("b")).unwrap().local_id;
    registry.revoke(&b, "compromised").unwrap();
    registry.create(new_session("c")).unwrap();
    assert_eq!(registry.audit_entries(None).unwrap().len(), 6);
    registry
}

fn problem(registry: &Registry) -> Option<AuditIssue> {
    registry.audit_verify(None).unwrap().problem
}

fn sql(registry: &Registry, statements: &str) {
    registry
        .database()
        .connection()
        .execute_batch(statements)
        .unwrap();
}

#[test]
fn intact_chain_verifies_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    let report = registry.audit_verify(None).unwrap();
    assert!(report.is_intact());
    assert_eq!(report.entries, 6);
    let entries = registry.audit_entries(None).unwrap();
    assert_eq!(entries[0].prev_hash, alloy::primitives::B256::ZERO);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(
        report.head,
        Some(AuditHead {
            seq: 6,
            hash: entries[5].hash
        })
    );
    assert_eq!(registry.audit_head().unwrap(), report.head);
}

#[test]
fn hash_recipe_is_the_documented_one() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    let e = &registry.audit_entries(None).unwrap()[0];
    let mut buf = b"leash.audit.v1".to_vec();
    buf.extend_from_slice(&e.seq.to_be_bytes());
    buf.extend_from_slice(&e.time.to_be_bytes());
    for s in [&e.actor, &e.action] {
        buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
        buf.extend_from_slice(s.as_bytes());
    }
    let session = e.session.as_ref().unwrap();
    buf.push(1);
    buf.extend_from_slice(&(session.len() as u32).to_be_bytes());
    buf.extend_from_slice(session.as_bytes());
    buf.extend_from_slice(&(e.details.len() as u32).to_be_bytes());
    buf.extend_from_slice(e.details.as_bytes());
    buf.extend_from_slice(e.prev_hash.as_slice());
    assert_eq!(alloy::primitives::keccak256(&buf), e.hash);
}

#[test]
fn the_table_refuses_updates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    let conn = registry.database().connection();
    let err = conn
        .execute("UPDATE audit SET actor = 'mallory'", [])
        .unwrap_err();
    assert!(
        err.to_string().contains("audit log is append-only"),
        "{err}"
    );
    let err = conn
        .execute("DELETE FROM audit WHERE seq = 1", [])
        .unwrap_err();
    assert!(
        err.to_string().contains("audit log is append-only"),
        "{err}"
    );
}

#[test]
fn detects_an_edited_entry() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    drop_audit_guards(&registry);
    sql(
        &registry,
        r#"UPDATE audit SET details = '{"reason":"routine"}' WHERE seq = 5"#,
    );
    assert_eq!(problem(&registry), Some(AuditIssue::Edited { seq: 5 }));
    assert_eq!(
        problem(&registry).unwrap().to_string(),
        "entry 5 was edited: its contents do not match its hash"
    );
}

#[test]
fn detects_an_edited_actor_time_or_action() {
    for statement in [
        "UPDATE audit SET actor = 'mallory' WHERE seq = 2",
        "UPDATE audit SET time = time + 1 WHERE seq = 2",
        "UPDATE audit SET action = 'resume' WHERE seq = 2",
        "UPDATE audit SET session = NULL WHERE seq = 2",
        "UPDATE audit SET hash = 'garbage' WHERE seq = 2",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let registry = populated(&dir);
        drop_audit_guards(&registry);
        sql(&registry, statement);
        assert_eq!(
            problem(&registry),
            Some(AuditIssue::Edited { seq: 2 }),
            "{statement}"
        );
    }
}

#[test]
fn detects_a_removed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    drop_audit_guards(&registry);
    sql(&registry, "DELETE FROM audit WHERE seq = 3");
    assert_eq!(problem(&registry), Some(AuditIssue::Removed { missing: 3 }));
    assert_eq!(
        problem(&registry).unwrap().to_string(),
        "entry 3 was removed"
    );
}

#[test]
fn detects_a_removed_entry_with_later_entries_renumbered() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    drop_audit_guards(&registry);
    sql(
        &registry,
        "DELETE FROM audit WHERE seq = 3;
         UPDATE audit SET seq = -seq WHERE seq > 3;
         UPDATE audit SET seq = -seq - 1 WHERE seq < 0;",
    );
    assert_eq!(problem(&registry), Some(AuditIssue::Removed { missing: 3 }));
}

#[test]
fn detects_reordered_entries() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    drop_audit_guards(&registry);
    sql(
        &registry,
        "UPDATE audit SET seq = -1 WHERE seq = 3;
         UPDATE audit SET seq = 3 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = -1;",
    );
    assert_eq!(problem(&registry), Some(AuditIssue::Reordered { seq: 3 }));
    assert_eq!(
        problem(&registry).unwrap().to_string(),
        "entry 3 is out of order: it links to an entry other than its predecessor"
    );
}

#[test]
fn detects_a_rewritten_link() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    let entries = registry.audit_entries(None).unwrap();
    // An attacker who knows the recipe rewrites entry 4 to point at a fake predecessor and
    // recomputes its hash: the link to entry 3 breaks.
    let e = &entries[3];
    let fake_prev = alloy::primitives::B256::repeat_byte(7);
    let hash = audit::entry_hash(
        e.seq,
        e.time,
        &e.actor,
        &e.action,
        e.session.as_deref(),
        &e.details,
        &fake_prev,
    );
    drop_audit_guards(&registry);
    sql(
        &registry,
        &format!("UPDATE audit SET prev_hash = '{fake_prev}', hash = '{hash}' WHERE seq = 4"),
    );
    assert_eq!(problem(&registry), Some(AuditIssue::BrokenLink { seq: 4 }));
}

#[test]
fn tail_truncation_needs_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    let anchor = registry.audit_head().unwrap().unwrap();
    assert_eq!(anchor.to_string().parse::<AuditHead>().unwrap(), anchor);
    drop_audit_guards(&registry);
    sql(&registry, "DELETE FROM audit WHERE seq >= 5");
    // The head the registry recorded with the last append still names entry 6.
    assert_eq!(
        registry.audit_verify(None).unwrap().problem,
        Some(AuditIssue::Truncated {
            anchor_seq: 6,
            last_seq: 4
        })
    );
    // Rewritten too, the shorter chain is self-consistent: this is the documented limit,
    // which only an anchor kept outside the store closes.
    let head4 = registry.audit_entries(None).unwrap()[3].hash;
    sql(
        &registry,
        &format!("UPDATE audit_head SET seq = 4, hash = '{head4}'"),
    );
    assert!(registry.audit_verify(None).unwrap().is_intact());
    let report = registry.audit_verify(Some(&anchor)).unwrap();
    assert_eq!(
        report.problem,
        Some(AuditIssue::Truncated {
            anchor_seq: 6,
            last_seq: 4
        })
    );
    let wrong = AuditHead {
        seq: 4,
        hash: anchor.hash,
    };
    assert_eq!(
        registry.audit_verify(Some(&wrong)).unwrap().problem,
        Some(AuditIssue::AnchorMismatch { seq: 4 })
    );
}

#[test]
fn export_is_json_lines_that_verify_on_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let registry = populated(&dir);
    let mut out = Vec::new();
    registry.audit_export(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 6);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["action"], "create");
    assert_eq!(first["actor"], "tester");
    let entries = audit::read_jsonl(&mut text.as_bytes()).unwrap();
    assert!(audit::verify_entries(&entries, None).is_intact());

    let tampered = text.replacen("compromised", "routine", 1);
    let entries = audit::read_jsonl(&mut tampered.as_bytes()).unwrap();
    assert_eq!(
        audit::verify_entries(&entries, None).problem,
        Some(AuditIssue::Edited { seq: 5 })
    );
    let err = audit::read_jsonl(&mut "{\"seq\":1}\n".as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("audit export line 1: missing field"),
        "{err}"
    );
}

#[test]
fn appends_after_tampering_do_not_hide_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = populated(&dir);
    drop_audit_guards(&registry);
    sql(
        &registry,
        "UPDATE audit SET actor = 'mallory' WHERE seq = 6",
    );
    registry.create(new_session("after")).unwrap();
    assert_eq!(problem(&registry), Some(AuditIssue::Edited { seq: 6 }));
}
