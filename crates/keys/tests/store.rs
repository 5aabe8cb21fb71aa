//! The façade: create, sign, rotate, revoke, delete, export, with keys and records in step.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::Ordering;

use alloy::primitives::{Address, Signature, B256};
use common::*;
use leash_keys::audit::Action;
use leash_keys::envelope;
use leash_keys::keystore::KeystoreError;
use leash_keys::registry::{RegistryError, Status};
use leash_keys::{CreateRequest, Error, Filter, PasswordSource, SessionSpec, Store};

fn password() -> PasswordSource {
    PasswordSource::Prompt(Box::new(|| Ok("store test password".to_owned())))
}

fn wrong_password() -> PasswordSource {
    PasswordSource::Prompt(Box::new(|| Ok("nope".to_owned())))
}

fn request(spec: SessionSpec) -> CreateRequest {
    CreateRequest {
        label: "backend".into(),
        account: ACCOUNT,
        chain_id: 31337,
        entry_point: ENTRY_POINT,
        module: MODULE,
        spec,
    }
}

fn open(dir: &tempfile::TempDir) -> (std::sync::Arc<std::sync::atomic::AtomicU64>, Store) {
    let (now, clock) = fixed_clock(1_700_000_000);
    let store = Store::open(dir.path().join("data"))
        .unwrap()
        .with_actor("cli")
        .with_clock(clock);
    (now, store)
}

fn actions(store: &Store, id: &str) -> Vec<String> {
    store
        .audit_entries(Some(id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn create_generates_a_key_and_records_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let record = store.create_session(request(spec()), &password()).unwrap();
    assert_ne!(record.signer, Address::ZERO);
    assert_eq!(record.spec.signer, record.signer);
    assert_eq!(record.session_id, record.spec.session_id().unwrap());
    let path = store.keystore().path_of(&record.keystore_file).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let signer = store
        .keystore()
        .load_signer(&record.keystore_file, "store test password")
        .unwrap();
    assert_eq!(signer.address(), record.signer);
    assert_eq!(store.show(&record.local_id).unwrap(), record);
    assert_eq!(actions(&store, &record.local_id), ["create"]);
    assert_eq!(store.audit_entries(None).unwrap()[0].actor, "cli");
}

#[test]
fn create_refuses_a_preset_signer_and_bad_specs_without_leaving_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let preset = SessionSpec {
        signer: Address::repeat_byte(1),
        ..spec()
    };
    assert!(matches!(
        store
            .create_session(request(preset), &password())
            .unwrap_err(),
        Error::SignerPreset
    ));
    let bad = SessionSpec {
        valid_until: 0,
        ..spec()
    };
    assert_eq!(
        store
            .create_session(request(bad), &password())
            .unwrap_err()
            .to_string(),
        "permissions: validUntil: must be greater than validAfter (0 <= 0)"
    );
    let mut bad_label = request(spec());
    bad_label.label = String::new();
    assert_eq!(
        store
            .create_session(bad_label, &password())
            .unwrap_err()
            .to_string(),
        "label: must not be empty"
    );
    assert!(
        store.keystore().file_names().unwrap().is_empty(),
        "a refused create left a key"
    );
    assert!(store.audit_entries(None).unwrap().is_empty());
    let empty = PasswordSource::Prompt(Box::new(|| Ok(String::new())));
    assert!(matches!(
        store.create_session(request(spec()), &empty).unwrap_err(),
        Error::Password(_)
    ));
}

#[test]
fn sign_op_signs_the_documented_digest_and_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let mut periodic = spec();
    periodic.period = 100;
    periodic.period_start = 1_699_999_000;
    periodic.rate_limit = 5;
    let record = store
        .create_session(request(periodic), &password())
        .unwrap();
    let op = B256::repeat_byte(0x5a);
    let signed = store
        .sign_op(&record.local_id, op, None, &password())
        .unwrap();
    assert_eq!(signed.period_index, 10);
    assert_eq!(
        signed.op_digest,
        envelope::op_digest(op, record.session_id, 10)
    );
    let sig = Signature::from_raw(&signed.signature).unwrap();
    assert_eq!(
        sig.recover_address_from_prehash(&signed.op_digest).unwrap(),
        record.signer
    );
    let decoded = envelope::decode_v1(&signed.envelope).unwrap();
    assert_eq!(decoded.session_id, record.session_id);
    assert_eq!(decoded.period_index, 10);
    assert_eq!(decoded.signature, signed.signature);
    assert_eq!(decoded.session, record.spec.to_sol().unwrap());

    let explicit = store
        .sign_op(&record.local_id, op, Some(11), &password())
        .unwrap();
    assert_eq!(explicit.period_index, 11);
    let entries = store.audit_entries(Some(&record.local_id)).unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1].action, Action::SignOp.as_str());
    assert_eq!(entries[1].seq, signed.audit_seq);
    let details: serde_json::Value = serde_json::from_str(&entries[1].details).unwrap();
    assert_eq!(details["user_op_hash"], op.to_string());
    assert_eq!(details["period_index"], 10);
}

#[test]
fn sign_op_refuses_unusable_sessions_and_wrong_passwords_without_logging() {
    let dir = tempfile::tempdir().unwrap();
    let (now, mut store) = open(&dir);
    let id = store
        .create_session(request(spec()), &password())
        .unwrap()
        .local_id;
    let op = B256::repeat_byte(1);
    assert!(matches!(
        store.sign_op(&id, op, None, &wrong_password()).unwrap_err(),
        Error::Keystore(KeystoreError::WrongPassword { .. })
    ));
    store.pause(&id).unwrap();
    let err = store.sign_op(&id, op, None, &password()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("session {id} is paused: cannot sign with it (resume it first)")
    );
    store.resume(&id).unwrap();
    now.store(2_000_000_001, Ordering::SeqCst);
    assert!(matches!(
        store.sign_op(&id, op, None, &password()).unwrap_err(),
        Error::Registry(RegistryError::Expired {
            valid_until: 2_000_000_000,
            ..
        })
    ));
    now.store(1_700_000_000, Ordering::SeqCst);
    store.revoke(&id, "leaked").unwrap();
    assert!(store.sign_op(&id, op, None, &password()).is_err());
    assert_eq!(
        actions(&store, &id),
        ["create", "pause", "resume", "revoke"]
    );
}

#[test]
fn sign_op_detects_a_swapped_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let a = store.create_session(request(spec()), &password()).unwrap();
    let b = store.create_session(request(spec()), &password()).unwrap();
    let pa = store.keystore().path_of(&a.keystore_file).unwrap();
    let pb = store.keystore().path_of(&b.keystore_file).unwrap();
    std::fs::copy(&pb, &pa).unwrap();
    let err = store
        .sign_op(&a.local_id, B256::ZERO, None, &password())
        .unwrap_err();
    assert!(matches!(err, Error::KeyMismatch { .. }), "{err}");
}

#[test]
fn rotate_makes_a_new_key_with_the_same_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let old = store.create_session(request(spec()), &password()).unwrap();
    let rotation = store
        .rotate(&old.local_id, Some("backend v2".into()), &password())
        .unwrap();
    assert_eq!(rotation.old.status, Status::Revoked);
    assert_eq!(rotation.old.revoke_reason.as_deref(), Some("rotated"));
    assert_eq!(rotation.new.status, Status::Active);
    assert_eq!(rotation.new.label, "backend v2");
    assert_ne!(rotation.new.signer, old.signer);
    assert_ne!(rotation.new.keystore_file, old.keystore_file);
    assert_eq!(
        SessionSpec {
            signer: old.signer,
            ..rotation.new.spec.clone()
        },
        old.spec
    );
    assert!(store
        .sign_op(&old.local_id, B256::ZERO, None, &password())
        .is_err());
    store
        .sign_op(&rotation.new.local_id, B256::ZERO, None, &password())
        .unwrap();
    let err = store.rotate(&old.local_id, None, &password()).unwrap_err();
    assert!(err.to_string().contains("cannot rotate it"), "{err}");
    assert_eq!(
        store.keystore().file_names().unwrap().len(),
        2,
        "a refused rotate left a key"
    );
}

#[test]
fn delete_needs_revoke_and_removes_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let record = store.create_session(request(spec()), &password()).unwrap();
    let path = store.keystore().path_of(&record.keystore_file).unwrap();
    let err = store.delete(&record.local_id).unwrap_err();
    assert!(
        err.to_string()
            .contains("only revoked sessions can be deleted"),
        "{err}"
    );
    assert!(path.exists());
    store.revoke(&record.local_id, "done").unwrap();
    store.delete(&record.local_id).unwrap();
    assert!(!path.exists());
    assert!(store.list(&Filter::default()).unwrap().is_empty());
    assert_eq!(
        actions(&store, &record.local_id),
        ["create", "revoke", "delete"]
    );
    assert!(store.audit_verify(None).unwrap().is_intact());
}

#[test]
fn export_logs_before_handing_out_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let record = store.create_session(request(spec()), &password()).unwrap();
    assert!(store
        .export_private_key(&record.local_id, &wrong_password())
        .is_err());
    let key = store
        .export_private_key(&record.local_id, &password())
        .unwrap();
    assert_eq!(key.address(), record.signer);
    assert_eq!(actions(&store, &record.local_id), ["create", "export_key"]);
}

#[test]
fn orphan_key_files_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    store.create_session(request(spec()), &password()).unwrap();
    let orphan = store.keystore().generate("x").unwrap();
    assert_eq!(store.orphan_key_files().unwrap(), vec![orphan.file_name]);
}

/// A budgeted grant for the rotation tests: 100 units of one token, 5 uses, a fee budget,
/// a gas budget, one paymaster.
fn budgeted() -> SessionSpec {
    use alloy::primitives::U256;
    use leash_keys::permissions::TokenAllowance;
    SessionSpec {
        max_uses: 5,
        fee_budget: U256::from(1_000u64),
        gas_budget: U256::from(50_000u64),
        native_allowance: U256::from(7u64),
        tokens: vec![TokenAllowance {
            token: Address::repeat_byte(0x11),
            amount: U256::from(100u64),
        }],
        paymasters: vec![Address::repeat_byte(0x33)],
        ..spec()
    }
}

#[test]
fn rotate_with_grants_what_is_left_and_links_both() {
    use alloy::primitives::U256;
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let old = store
        .create_session(request(budgeted()), &password())
        .unwrap();
    let mut left = SessionSpec {
        signer: Address::ZERO,
        max_uses: 3,
        fee_budget: U256::from(400u64),
        salt: B256::repeat_byte(9),
        ..old.spec.clone()
    };
    left.tokens[0].amount = U256::from(10u64);
    let rotation = store
        .rotate_with(&old.local_id, left.clone(), None, &password())
        .unwrap();
    assert_eq!(rotation.old.status, Status::Revoked);
    assert_eq!(rotation.old.revoke_reason.as_deref(), Some("rotated"));
    assert_eq!(
        rotation.old.rotated_to.as_deref(),
        Some(rotation.new.local_id.as_str())
    );
    assert_eq!(
        rotation.new.rotated_from.as_deref(),
        Some(old.local_id.as_str())
    );
    assert_eq!(
        SessionSpec {
            signer: Address::ZERO,
            ..rotation.new.spec.clone()
        },
        left
    );
    assert_ne!(rotation.new.signer, old.signer);
    assert_eq!(rotation.new.label, old.label);
    assert_eq!(actions(&store, &old.local_id), ["create", "rotate"]);
    store
        .sign_op(&rotation.new.local_id, B256::ZERO, None, &password())
        .unwrap();
}

#[test]
fn rotate_with_refuses_every_kind_of_larger_grant_without_leaving_keys() {
    use alloy::primitives::{FixedBytes, U256};
    use leash_keys::permissions::{CallGrant, Selector, Target, TokenAllowance};
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    let old = store
        .create_session(request(budgeted()), &password())
        .unwrap();
    let base = SessionSpec {
        signer: Address::ZERO,
        ..old.spec.clone()
    };
    let larger: Vec<(&str, SessionSpec)> = vec![
        (
            "validUntil",
            SessionSpec {
                valid_until: base.valid_until + 1,
                ..base.clone()
            },
        ),
        (
            "maxUses",
            SessionSpec {
                max_uses: 6,
                ..base.clone()
            },
        ),
        (
            "maxUses",
            SessionSpec {
                max_uses: 0,
                ..base.clone()
            },
        ),
        (
            "gasBudget",
            SessionSpec {
                gas_budget: U256::ZERO,
                ..base.clone()
            },
        ),
        (
            "gasBudget",
            SessionSpec {
                gas_budget: U256::from(50_001u64),
                ..base.clone()
            },
        ),
        (
            "feeBudget",
            SessionSpec {
                fee_budget: U256::from(1_001u64),
                ..base.clone()
            },
        ),
        (
            "nativeAllowance",
            SessionSpec {
                native_allowance: U256::from(8u64),
                ..base.clone()
            },
        ),
        (
            "root",
            SessionSpec {
                root: true,
                ..base.clone()
            },
        ),
        (
            "period",
            SessionSpec {
                period: 3_600,
                period_start: 0,
                rate_limit: 1,
                ..base.clone()
            },
        ),
        (
            "tokens",
            SessionSpec {
                tokens: vec![TokenAllowance {
                    token: Address::repeat_byte(0x11),
                    amount: U256::from(101u64),
                }],
                ..base.clone()
            },
        ),
        (
            "tokens",
            SessionSpec {
                tokens: vec![TokenAllowance {
                    token: Address::repeat_byte(0x22),
                    amount: U256::from(1u64),
                }],
                ..base.clone()
            },
        ),
        (
            "calls",
            SessionSpec {
                calls: vec![CallGrant {
                    target: Target::Any,
                    selector: Selector::Exact(FixedBytes([0xa9, 0x05, 0x9c, 0xbb])),
                }],
                ..base.clone()
            },
        ),
        (
            "calls",
            SessionSpec {
                calls: vec![CallGrant {
                    target: Target::Exact(Address::repeat_byte(0x11)),
                    selector: Selector::Any,
                }],
                ..base.clone()
            },
        ),
        (
            "paymasters",
            SessionSpec {
                paymasters: vec![Address::repeat_byte(0x44)],
                ..base.clone()
            },
        ),
    ];
    for (field, spec) in larger {
        let err = store
            .rotate_with(&old.local_id, spec, None, &password())
            .unwrap_err();
        match &err {
            Error::RotationEnlarges { field: got, .. } => assert_eq!(*got, field, "{err}"),
            other => panic!("expected RotationEnlarges({field}), got {other}"),
        }
        assert!(
            err.to_string()
                .starts_with("rotation refused: the new grant is larger than the old one in"),
            "{err}"
        );
    }
    let preset = SessionSpec {
        signer: Address::repeat_byte(1),
        ..base.clone()
    };
    assert!(matches!(
        store.rotate_with(&old.local_id, preset, None, &password()),
        Err(Error::SignerPreset)
    ));
    assert_eq!(
        store.keystore().file_names().unwrap().len(),
        1,
        "a refused rotation left a key"
    );
    assert_eq!(store.show(&old.local_id).unwrap().status, Status::Active);

    // Equal is allowed (nothing larger); afterwards the old one is final.
    let rotation = store
        .rotate_with(&old.local_id, base.clone(), None, &password())
        .unwrap();
    let err = store
        .rotate_with(&old.local_id, base, None, &password())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Registry(RegistryError::InvalidTransition { .. })
        ),
        "{err}"
    );
    assert_eq!(store.keystore().file_names().unwrap().len(), 2);
    assert_eq!(
        rotation.new.rotated_from.as_deref(),
        Some(old.local_id.as_str())
    );
}

#[test]
fn create_with_an_imported_key_stores_it_under_the_stores_password() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = open(&dir);
    // A key from elsewhere (a cast keystore, decrypted with its own password).
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let (key, uuid) = alloy::signers::local::PrivateKeySigner::new_keystore(
        &outside,
        &mut rand::thread_rng(),
        "cast password",
        None,
    )
    .unwrap();
    let file = outside.join(&uuid);
    assert!(matches!(
        leash_keys::keystore::decrypt_file(&file, "not it"),
        Err(KeystoreError::WrongPassword { .. })
    ));
    let decrypted = leash_keys::keystore::decrypt_file(&file, "cast password").unwrap();
    assert_eq!(decrypted.address(), key.address());

    let record = store
        .create_session_with_key(request(spec()), &decrypted, &password())
        .unwrap();
    assert_eq!(record.signer, key.address());
    assert!(!record.is_external());
    let exported = store
        .export_private_key(&record.local_id, &password())
        .unwrap();
    assert_eq!(exported.address(), key.address());
    assert_eq!(exported.as_bytes(), &key.to_bytes().0);
    assert!(store
        .export_private_key(&record.local_id, &wrong_password())
        .is_err());
    assert_eq!(actions(&store, &record.local_id), ["create", "export_key"]);
}
