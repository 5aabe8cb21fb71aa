//! Registry: records, filters, status machine, rotation links, schema versioning, atomicity.

mod common;

use alloy::primitives::Address;
use common::*;
use leash_keys::audit::Action;
use leash_keys::registry::{Filter, Registry, RegistryError, Replacement, Status};

fn actions(registry: &Registry, session: &str) -> Vec<String> {
    registry
        .audit_entries(Some(session))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn create_and_get_keep_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let new = new_session("app backend");
    let created = registry.create(new.clone()).unwrap();
    assert!(created.local_id.starts_with("s_") && created.local_id.len() == 18);
    let got = registry.get(&created.local_id).unwrap();
    assert_eq!(got, created);
    assert_eq!(got.label, "app backend");
    assert_eq!(got.account, ACCOUNT);
    assert_eq!(got.chain_id, 31337);
    assert_eq!(got.entry_point, ENTRY_POINT);
    assert_eq!(got.module, MODULE);
    assert_eq!(got.spec, new.spec);
    assert_eq!(got.session_id, new.spec.session_id().unwrap());
    assert_eq!(got.signer, new.spec.signer);
    assert_eq!((got.valid_after, got.valid_until), (0, 2_000_000_000));
    assert_eq!(got.status, Status::Active);
    assert_eq!(got.created_at, 1_700_000_000);
    assert_eq!(got.keystore_file, new.keystore_file);
    assert_eq!(actions(&registry, &created.local_id), ["create"]);
}

#[test]
fn status_machine_allows_only_legal_moves() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let id = registry.create(new_session("s")).unwrap().local_id;

    let err = registry.resume(&id).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("session {id} is active: cannot resume it (only paused sessions can be resumed)")
    );
    assert_eq!(registry.pause(&id).unwrap().status, Status::Paused);
    assert!(matches!(
        registry.pause(&id).unwrap_err(),
        RegistryError::InvalidTransition {
            action: "pause",
            status: Status::Paused,
            ..
        }
    ));
    let err = registry.delete(&id).unwrap_err();
    assert!(
        err.to_string()
            .contains("only revoked sessions can be deleted"),
        "{err}"
    );
    assert_eq!(registry.resume(&id).unwrap().status, Status::Active);
    let revoked = registry.revoke(&id, "leaked").unwrap();
    assert_eq!(revoked.status, Status::Revoked);
    assert_eq!(revoked.revoke_reason.as_deref(), Some("leaked"));
    assert_eq!(revoked.revoked_at, Some(1_700_000_000));
    let err = registry.resume(&id).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "session {id} is revoked: cannot resume it (revoked is final; create a new session)"
        )
    );
    assert!(registry.pause(&id).is_err());
    assert!(registry.revoke(&id, "again").is_err());
    assert!(registry
        .rotate(
            &id,
            Replacement {
                signer: Address::repeat_byte(1),
                keystore_file: fake_keystore_name(999_999),
                label: None,
            }
        )
        .is_err());
    // Refused moves wrote nothing.
    assert_eq!(
        actions(&registry, &id),
        ["create", "pause", "resume", "revoke"]
    );

    let deleted = registry.delete(&id).unwrap();
    assert_eq!(deleted.local_id, id);
    assert!(matches!(
        registry.get(&id).unwrap_err(),
        RegistryError::NotFound { .. }
    ));
    assert_eq!(
        actions(&registry, &id),
        ["create", "pause", "resume", "revoke", "delete"]
    );
    assert!(registry.audit_verify(None).unwrap().is_intact());
}

#[test]
fn revoke_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let id = registry.create(new_session("s")).unwrap().local_id;
    let err = registry.revoke(&id, "  ").unwrap_err();
    assert_eq!(err.to_string(), "reason: must be 1 to 1024 bytes of text");
    assert_eq!(registry.get(&id).unwrap().status, Status::Active);
}

#[test]
fn rotate_links_both_records_and_keeps_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let old = registry.create(new_session("rotating")).unwrap();
    registry.pause(&old.local_id).unwrap();
    let new_signer = Address::repeat_byte(0x42);
    let (old_after, new) = registry
        .rotate(
            &old.local_id,
            Replacement {
                signer: new_signer,
                keystore_file: fake_keystore_name(0xabcdef),
                label: None,
            },
        )
        .unwrap();
    assert_eq!(old_after.status, Status::Revoked);
    assert_eq!(old_after.revoke_reason.as_deref(), Some("rotated"));
    assert_eq!(old_after.rotated_to.as_deref(), Some(new.local_id.as_str()));
    assert_eq!(old_after.rotated_at, Some(1_700_000_000));
    assert_eq!(new.rotated_from.as_deref(), Some(old.local_id.as_str()));
    assert_eq!(
        new.status,
        Status::Paused,
        "a paused session rotates into a paused one"
    );
    assert_eq!(new.signer, new_signer);
    assert_eq!(new.label, "rotating");
    assert_eq!(
        leash_keys::SessionSpec {
            signer: old.signer,
            ..new.spec.clone()
        },
        old.spec
    );
    assert_ne!(new.session_id, old.session_id);
    assert_eq!(
        actions(&registry, &old.local_id),
        ["create", "pause", "rotate"]
    );
    assert_eq!(actions(&registry, &new.local_id), ["create"]);
}

#[test]
fn list_filters_by_account_status_chain_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let a = registry.create(new_session("a")).unwrap();
    let mut other = new_session("b");
    other.account = Address::repeat_byte(0xBB);
    other.spec.valid_until = 1_800_000_000;
    let b = registry.create(other).unwrap();
    let mut other_chain = new_session("c");
    other_chain.chain_id = 1;
    let c = registry.create(other_chain).unwrap();
    registry.revoke(&c.local_id, "x").unwrap();

    let ids = |f: Filter| -> Vec<String> {
        registry
            .list(&f)
            .unwrap()
            .into_iter()
            .map(|r| r.local_id)
            .collect()
    };
    let (a, b, c) = (a.local_id, b.local_id, c.local_id);
    assert_eq!(ids(Filter::default()), [a.as_str(), b.as_str(), c.as_str()]);
    assert_eq!(
        ids(Filter {
            account: Some(ACCOUNT),
            ..Filter::default()
        }),
        [a.as_str(), c.as_str()]
    );
    assert_eq!(
        ids(Filter {
            status: Some(Status::Revoked),
            ..Filter::default()
        }),
        [c.as_str()]
    );
    assert_eq!(
        ids(Filter {
            chain_id: Some(1),
            ..Filter::default()
        }),
        [c.as_str()]
    );
    assert_eq!(
        ids(Filter {
            expiring_before: Some(1_900_000_000),
            ..Filter::default()
        }),
        [b.as_str()]
    );
    assert_eq!(
        ids(Filter {
            account: Some(ACCOUNT),
            status: Some(Status::Active),
            ..Filter::default()
        }),
        [a.as_str()]
    );
}

type Mutation = Box<dyn Fn(&mut leash_keys::registry::NewSession)>;

#[test]
fn invalid_inputs_name_the_field_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(|n| n.label = String::new()),
            "label: must not be empty",
        ),
        (
            Box::new(|n| n.label = "a\nb".into()),
            "label: must not contain control characters",
        ),
        (
            Box::new(|n| n.account = Address::ZERO),
            "account: zero address",
        ),
        (Box::new(|n| n.chain_id = 0), "chain_id: must not be 0"),
        (
            Box::new(|n| n.chain_id = u64::MAX),
            "chain_id: 18446744073709551615 is larger than the registry supports (2^63 - 1)",
        ),
        (
            Box::new(|n| n.spec.signer = Address::ZERO),
            "signer: the session key's address is not set",
        ),
        (
            Box::new(|n| n.spec.valid_until = 0),
            "permissions: validUntil: must be greater than validAfter (0 <= 0)",
        ),
        (
            Box::new(|n| n.keystore_file = "../x.json".into()),
            "keystore_file: \"../x.json\" is not a keystore file name (<uuid>.json)",
        ),
    ];
    for (mutate, expected) in cases {
        let mut new = new_session("x");
        mutate(&mut new);
        assert_eq!(registry.create(new).unwrap_err().to_string(), expected);
    }
    assert!(registry.list(&Filter::default()).unwrap().is_empty());
    assert!(registry.audit_entries(None).unwrap().is_empty());
}

#[test]
fn schema_is_versioned_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let mut registry = registry(&dir);
        registry.create(new_session("persist")).unwrap().local_id
    };
    let registry = registry(&dir);
    assert_eq!(registry.get(&id).unwrap().label, "persist");
    let conn = registry.database().connection();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, leash_keys::db::SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(registry);
    let err = Registry::open(&dir.path().join("registry.sqlite"), "t").unwrap_err();
    assert!(
        err.to_string()
            .contains("schema version 99 is newer than this build supports (2)"),
        "{err}"
    );
}

#[test]
fn hand_edited_rows_are_reported_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let id = registry.create(new_session("edited")).unwrap().local_id;
    registry
        .database()
        .connection()
        .execute(
            "UPDATE sessions SET permissions = replace(permissions, '2000000000', '2000000001')",
            [],
        )
        .unwrap();
    let err = registry.get(&id).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("session {id}: stored field session_id is corrupt: does not match the permissions")
    );
}

#[test]
fn audit_records_each_lifecycle_action() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = registry(&dir);
    let id = registry.create(new_session("a")).unwrap().local_id;
    registry.pause(&id).unwrap();
    registry.resume(&id).unwrap();
    registry
        .log_signature(&id, serde_json::json!({"user_op_hash": "0x01"}))
        .unwrap();
    registry.log_export(&id).unwrap();
    registry.revoke(&id, "done").unwrap();
    assert!(registry.log_signature(&id, serde_json::json!({})).is_err());
    registry.delete(&id).unwrap();
    let entries = registry.audit_entries(None).unwrap();
    let got: Vec<(u64, String, String)> = entries
        .iter()
        .map(|e| (e.seq, e.action.clone(), e.actor.clone()))
        .collect();
    let expected: Vec<(u64, String, String)> = [
        Action::Create,
        Action::Pause,
        Action::Resume,
        Action::SignOp,
        Action::ExportKey,
        Action::Revoke,
        Action::Delete,
    ]
    .iter()
    .enumerate()
    .map(|(i, a)| (i as u64 + 1, a.to_string(), "tester".to_owned()))
    .collect();
    assert_eq!(got, expected);
    assert!(entries[5].details.contains("\"reason\":\"done\""));
    assert!(registry.audit_verify(None).unwrap().is_intact());
}
