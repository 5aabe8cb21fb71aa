//! `leash session create --import-keystore / --import-account`: a key from a cast or geth
//! keystore (Web3 Secret Storage) becomes the session key, stored re-encrypted under leash's
//! own password, and signs the session's ops.

mod common;

use std::path::PathBuf;

use alloy::primitives::{Address, Bytes, Signature, B256};
use alloy::signers::local::PrivateKeySigner;
use common::{path, Env, Run, ACCOUNT, ENTRY_POINT, MODULE, PERMISSIONS, TOKEN};
use leash_keys::envelope::{decode_v1, op_digest};

const IMPORTED_PASSWORD: &str = "the cast keystore's password";

/// A keystore folder (cast's layout) holding a fresh key as account `trader`.
fn cast_keystore(env: &Env) -> (PathBuf, PrivateKeySigner) {
    let dir = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&dir).unwrap();
    let (signer, _) = PrivateKeySigner::new_keystore(
        &dir,
        &mut rand::thread_rng(),
        IMPORTED_PASSWORD,
        Some("trader"),
    )
    .unwrap();
    (dir, signer)
}

fn create(env: &Env, import: &[&str], vars: &[(&str, &str)]) -> Run {
    let permissions = env.file("perm.json", PERMISSIONS);
    let mut args = vec![
        "--json",
        "session",
        "create",
        "--permissions",
        path(&permissions),
        "--account",
        ACCOUNT,
        "--chain-id",
        "8453",
        "--entry-point",
        ENTRY_POINT,
        "--module",
        MODULE,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ];
    args.extend_from_slice(import);
    env.run_with_env(&args, vars)
}

/// Signs an op of session `id` offline and returns who signed it.
fn op_signer(env: &Env, id: &str) -> Address {
    let call = format!("{TOKEN},0,0x");
    let run = env.run(&[
        "--json",
        "op",
        "sign",
        "--session",
        id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    run.expect_code(0);
    let signed = run.json();
    let shown = env.run(&["--json", "session", "show", id]).json();
    let session_id: B256 = shown["sessionId"].as_str().unwrap().parse().unwrap();
    let hash: B256 = signed["userOpHash"].as_str().unwrap().parse().unwrap();
    let signature: Bytes = signed["userOperation"]["signature"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let envelope = decode_v1(&signature).expect("the module's envelope");
    let digest = op_digest(hash, session_id, envelope.period_index);
    Signature::try_from(envelope.signature.as_slice())
        .unwrap()
        .recover_address_from_prehash(&digest)
        .unwrap()
}

#[test]
fn an_imported_keystore_key_signs_the_sessions_ops() {
    let env = Env::new();
    let (dir, key) = cast_keystore(&env);
    let password = env.file("import-password", &format!("{IMPORTED_PASSWORD}\n"));
    let run = create(
        &env,
        &[
            "--import-keystore",
            path(&dir.join("trader")),
            "--import-password-file",
            path(&password),
        ],
        &[],
    );
    run.expect_code(0);
    let created = run.json();
    assert_eq!(
        created["signer"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        key.address()
    );
    assert_eq!(created["keyHeldBy"], "leash");
    assert_eq!(created["importedFrom"], path(&dir.join("trader")));
    let id = created["localId"].as_str().unwrap().to_owned();
    assert_eq!(op_signer(&env, &id), key.address());
    // Re-encrypted under leash's password: it unlocks the key, the cast one does not.
    let export = env.run(&[
        "--json",
        "key",
        "export",
        &id,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    export.expect_code(0);
    assert_eq!(
        export.json()["privateKey"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        alloy::hex::encode(key.to_bytes())
    );
    let wrong = env.run_with_env(
        &["key", "export", &id, "--password-env", "CAST_PW"],
        &[("CAST_PW", IMPORTED_PASSWORD)],
    );
    wrong.expect_code(2);
}

#[test]
fn a_foundry_account_is_imported_with_eth_password() {
    let env = Env::new();
    let (dir, key) = cast_keystore(&env);
    let folder = path(&dir).to_owned();
    let run = create(
        &env,
        &["--import-account", "trader"],
        &[
            ("FOUNDRY_KEYSTORES_DIR", folder.as_str()),
            ("ETH_PASSWORD", IMPORTED_PASSWORD),
        ],
    );
    run.expect_code(0);
    let created = run.json();
    assert_eq!(created["importedFrom"], "foundry account trader");
    let id = created["localId"].as_str().unwrap().to_owned();
    assert_eq!(op_signer(&env, &id), key.address());
}

#[test]
fn a_wrong_import_password_creates_nothing() {
    let env = Env::new();
    let (dir, _) = cast_keystore(&env);
    let run = create(
        &env,
        &["--import-keystore", path(&dir)],
        &[("ETH_PASSWORD", "not the password")],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("--import-keystore"), "{}", run.stderr);
    assert!(run.stderr.contains("wrong password"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--import-password-file"),
        "{}",
        run.stderr
    );
    let list = env.run(&["--json", "session", "list"]);
    list.expect_code(0);
    assert_eq!(
        list.json().as_array().map(Vec::len),
        Some(0),
        "{}",
        list.stdout
    );
    let both = create(
        &env,
        &[
            "--import-keystore",
            path(&dir),
            "--import-account",
            "trader",
        ],
        &[],
    );
    both.expect_code(2);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
}

/// The PBKDF2 test vector of the Web3 Secret Storage definition (geth's wiki): password
/// `testpassword`, private key `7a28b5ba…fe9d`.
const PBKDF2_KEYSTORE: &str = r#"{
  "crypto": {
    "cipher": "aes-128-ctr",
    "cipherparams": { "iv": "6087dab2f9fdbbfaddc31a909735c1e6" },
    "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    "kdf": "pbkdf2",
    "kdfparams": {
      "c": 262144,
      "dklen": 32,
      "prf": "hmac-sha256",
      "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
    },
    "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
  },
  "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version": 3
}"#;
const PBKDF2_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

/// `leash --json key import` with the session flags of [`create`] and `import`.
fn key_import(env: &Env, import: &[&str], vars: &[(&str, &str)]) -> Run {
    let permissions = env.file("perm.json", PERMISSIONS);
    let mut args = vec![
        "--json",
        "key",
        "import",
        "--permissions",
        path(&permissions),
        "--account",
        ACCOUNT,
        "--chain-id",
        "8453",
        "--entry-point",
        "v0.7",
        "--module",
        MODULE,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ];
    args.extend_from_slice(import);
    env.run_with_env(&args, vars)
}

#[test]
fn key_import_makes_sessions_of_scrypt_and_pbkdf2_keystores() {
    let env = Env::new();
    // scrypt, as cast and geth write it.
    let (dir, key) = cast_keystore(&env);
    let run = key_import(
        &env,
        &["--import-keystore", path(&dir.join("trader"))],
        &[("ETH_PASSWORD", IMPORTED_PASSWORD)],
    );
    run.expect_code(0);
    let created = run.json();
    assert_eq!(created["importedFrom"], path(&dir.join("trader")));
    let id = created["localId"].as_str().unwrap().to_owned();
    assert_eq!(op_signer(&env, &id), key.address());
    // pbkdf2: the definition's own test vector.
    let file = env.file("pbkdf2.json", PBKDF2_KEYSTORE);
    let run = key_import(
        &env,
        &["--import-keystore", path(&file)],
        &[("ETH_PASSWORD", "testpassword")],
    );
    run.expect_code(0);
    let created = run.json();
    let expected = PrivateKeySigner::from_slice(&alloy::hex::decode(PBKDF2_KEY).unwrap())
        .unwrap()
        .address();
    assert_eq!(
        created["signer"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        expected
    );
    let id = created["localId"].as_str().unwrap().to_owned();
    assert_eq!(op_signer(&env, &id), expected);
    // A foundry account by name (the scrypt file's key again: another store, as a registry
    // holds a session once).
    let other = Env::new();
    let folder = path(&dir).to_owned();
    let run = key_import(
        &other,
        &["--import-account", "trader"],
        &[
            ("FOUNDRY_KEYSTORES_DIR", folder.as_str()),
            ("ETH_PASSWORD", IMPORTED_PASSWORD),
        ],
    );
    run.expect_code(0);
    assert_eq!(run.json()["importedFrom"], "foundry account trader");
}

#[test]
fn key_import_needs_a_keystore_or_an_account() {
    let env = Env::new();
    let permissions = env.file("perm.json", PERMISSIONS);
    let run = env.run(&[
        "key",
        "import",
        "--permissions",
        path(&permissions),
        "--account",
        ACCOUNT,
        "--chain-id",
        "8453",
        "--entry-point",
        "v0.7",
        "--module",
        MODULE,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("--import-keystore"), "{}", run.stderr);
    assert!(run.stderr.contains("--import-account"), "{}", run.stderr);
    let list = env.run(&["--json", "session", "list"]);
    assert_eq!(list.json().as_array().map(Vec::len), Some(0));
}
