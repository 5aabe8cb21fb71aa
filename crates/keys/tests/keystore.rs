//! Keystore: encrypted at rest, standard format, private files, atomic placement.

use std::os::unix::fs::PermissionsExt;

use alloy::signers::local::PrivateKeySigner;
use leash_keys::keystore::{Keystore, KeystoreError};
use leash_keys::password::{PasswordError, PasswordSource};

const PASSWORD: &str = "correct horse battery staple";

fn keystore() -> (tempfile::TempDir, Keystore) {
    let dir = tempfile::tempdir().unwrap();
    let keystore = Keystore::open(dir.path().join("keystore")).unwrap();
    (dir, keystore)
}

#[test]
fn generate_then_decrypt_roundtrips() {
    let (_dir, ks) = keystore();
    let stored = ks.generate(PASSWORD).unwrap();
    let signer = ks.load_signer(&stored.file_name, PASSWORD).unwrap();
    assert_eq!(signer.address(), stored.address);
    let exported = ks.export_private_key(&stored.file_name, PASSWORD).unwrap();
    assert_eq!(exported.address(), stored.address);
    let again = PrivateKeySigner::from_slice(exported.as_bytes()).unwrap();
    assert_eq!(again.address(), stored.address);
    assert_eq!(exported.to_hex().len(), 66);
    assert!(!format!("{exported:?}").contains(&exported.to_hex()[2..]));
}

#[test]
fn two_keys_differ() {
    let (_dir, ks) = keystore();
    let a = ks.generate(PASSWORD).unwrap();
    let b = ks.generate(PASSWORD).unwrap();
    assert_ne!(a.address, b.address);
    assert_ne!(a.file_name, b.file_name);
    assert_eq!(ks.file_names().unwrap().len(), 2);
}

#[test]
fn wrong_password_is_reported_as_such() {
    let (_dir, ks) = keystore();
    let stored = ks.generate(PASSWORD).unwrap();
    let err = ks
        .load_signer(&stored.file_name, "not the password")
        .unwrap_err();
    assert!(matches!(err, KeystoreError::WrongPassword { .. }), "{err}");
    assert!(err.to_string().contains("wrong password"), "{err}");
}

#[test]
fn file_holds_no_clear_key_bytes() {
    let (_dir, ks) = keystore();
    let stored = ks.generate(PASSWORD).unwrap();
    let secret = ks.export_private_key(&stored.file_name, PASSWORD).unwrap();
    let bytes = std::fs::read(ks.path_of(&stored.file_name).unwrap()).unwrap();
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    let key_hex = alloy::hex::encode(secret.as_bytes());
    assert!(
        !text.contains(&key_hex),
        "hex key found in the keystore file"
    );
    assert!(
        !bytes.windows(32).any(|w| w == secret.as_bytes()),
        "raw key bytes found in the keystore file"
    );
}

#[test]
fn file_is_standard_web3_secret_storage_v3() {
    let (_dir, ks) = keystore();
    let stored = ks.generate(PASSWORD).unwrap();
    let path = ks.path_of(&stored.file_name).unwrap();
    // alloy's (and cast's) own decryption reads it.
    let signer = PrivateKeySigner::decrypt_keystore(&path, PASSWORD).unwrap();
    assert_eq!(signer.address(), stored.address);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["version"], 3);
    assert_eq!(json["crypto"]["kdf"], "scrypt");
    assert_eq!(json["crypto"]["cipher"], "aes-128-ctr");
    assert!(json["crypto"]["kdfparams"]["n"].as_u64().unwrap() >= 8192);
    assert_eq!(
        format!("{}.json", json["id"].as_str().unwrap()),
        stored.file_name
    );
}

#[test]
fn files_and_directory_are_private_and_no_staging_is_left() {
    let (_dir, ks) = keystore();
    let stored = ks.generate(PASSWORD).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&ks.path_of(&stored.file_name).unwrap()), 0o600);
    assert_eq!(mode(ks.dir()), 0o700);
    let entries: Vec<_> = std::fs::read_dir(ks.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries, vec![stored.file_name]);
}

#[test]
fn open_tightens_a_world_readable_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keystore");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    Keystore::open(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn names_outside_the_keystore_are_refused() {
    let (_dir, ks) = keystore();
    for name in [
        "../registry.sqlite",
        "/etc/passwd",
        "x.json",
        "../00000000-0000-0000-0000-000000000000.json",
    ] {
        let err = ks.load_signer(name, PASSWORD).unwrap_err();
        assert!(
            matches!(err, KeystoreError::BadFileName { .. }),
            "{name}: {err}"
        );
    }
    let missing = "00000000-0000-0000-0000-000000000000.json";
    assert!(matches!(
        ks.load_signer(missing, PASSWORD).unwrap_err(),
        KeystoreError::NotFound { .. }
    ));
    assert!(matches!(
        ks.remove(missing).unwrap_err(),
        KeystoreError::NotFound { .. }
    ));
}

#[test]
fn import_stores_a_given_key() {
    let (_dir, ks) = keystore();
    let key = alloy::primitives::B256::repeat_byte(0x42);
    let stored = ks.import(&key, PASSWORD).unwrap();
    let exported = ks.export_private_key(&stored.file_name, PASSWORD).unwrap();
    assert_eq!(exported.as_bytes(), &key.0);
    assert!(matches!(
        ks.import(&alloy::primitives::B256::ZERO, PASSWORD)
            .unwrap_err(),
        KeystoreError::Invalid { .. }
    ));
}

#[test]
fn password_sources() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "from-file\n").unwrap();
    assert_eq!(
        &*PasswordSource::File(file.clone()).read().unwrap(),
        "from-file"
    );
    std::fs::write(&file, "crlf\r\n").unwrap();
    assert_eq!(&*PasswordSource::File(file.clone()).read().unwrap(), "crlf");
    std::fs::write(&file, "\n").unwrap();
    assert!(matches!(
        PasswordSource::File(file).read().unwrap_err(),
        PasswordError::Empty { .. }
    ));
    assert!(matches!(
        PasswordSource::File(dir.path().join("missing"))
            .read()
            .unwrap_err(),
        PasswordError::FileUnreadable { .. }
    ));
    let var = "LEASH_KEYS_TEST_SURELY_UNSET_VARIABLE";
    let err = PasswordSource::Env(var.into()).read().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("password: environment variable {var} is not set (or is not valid UTF-8)")
    );
    let prompt = PasswordSource::Prompt(Box::new(|| Ok("typed".to_owned())));
    assert_eq!(&*prompt.read().unwrap(), "typed");
    let failing = PasswordSource::Prompt(Box::new(|| Err(std::io::Error::other("no tty"))));
    assert!(matches!(
        failing.read().unwrap_err(),
        PasswordError::Prompt(_)
    ));
}
