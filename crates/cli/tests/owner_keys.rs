//! The account owner's key taken the way cast takes it: `--private-key`, `--keystore`,
//! `--owner-account` (foundry's keystore folder), with the keystore password from
//! `--owner-password-file` or `ETH_PASSWORD`. The key is read before any network access, so
//! these runs point at a port nothing listens on: getting as far as "the node does not
//! answer" shows the key was read, and a key error shows it was read first.

mod common;

use std::path::PathBuf;

use alloy::signers::local::PrivateKeySigner;
use common::{path, Env, Run, ACCOUNT};

/// Nothing listens here (port 9, discard).
const DEAD_URL: &str = "http://127.0.0.1:9";
const VALIDATOR: &str = "0x3333333333333333333333333333333333333333";
const OWNER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const OWNER_PASSWORD: &str = "owner's keystore password";

/// A foundry-style keystore folder holding the owner's key as account `owner`.
fn keystore_folder(env: &Env) -> PathBuf {
    let dir = env.data_dir().with_file_name("keystores");
    std::fs::create_dir_all(&dir).unwrap();
    let key = alloy::hex::decode(OWNER_KEY).unwrap();
    PrivateKeySigner::encrypt_keystore(
        &dir,
        &mut rand::thread_rng(),
        key,
        OWNER_PASSWORD,
        Some("owner"),
    )
    .unwrap();
    dir
}

/// `leash account install-module` with `key_flags` as the owner key and a dead node.
fn install(env: &Env, key_flags: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut args = vec![
        "account",
        "install-module",
        "--account",
        ACCOUNT,
        "--rpc-url",
        DEAD_URL,
        "--bundler-url",
        DEAD_URL,
        "--owner-validator",
        VALIDATOR,
        "--timeout",
        "1",
    ];
    args.extend_from_slice(key_flags);
    env.run_with_env(&args, vars)
}

fn reached_the_network(run: &Run) {
    run.expect_code(1);
    assert!(
        run.stderr.contains("does not answer") || run.stderr.contains("127.0.0.1:9"),
        "{}",
        run.stderr
    );
}

#[test]
fn two_owner_key_sources_are_refused() {
    let env = Env::new();
    let run = install(
        &env,
        &["--owner-key-env", "X", "--keystore", "/nonexistent"],
        &[],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = install(
        &env,
        &["--private-key", OWNER_KEY, "--owner-account", "owner"],
        &[],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn a_wrong_keystore_password_is_refused_before_the_network() {
    let env = Env::new();
    let dir = keystore_folder(&env);
    let wrong = env.file("wrong.txt", "not it\n");
    let run = install(
        &env,
        &[
            "--keystore",
            path(&dir.join("owner")),
            "--owner-password-file",
            path(&wrong),
        ],
        &[],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("wrong password"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--owner-password-file"),
        "{}",
        run.stderr
    );
    // ETH_PASSWORD, cast's variable, is read when no file is given.
    let run = install(
        &env,
        &["--keystore", path(&dir)],
        &[("ETH_PASSWORD", "not it either")],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("wrong password"), "{}", run.stderr);
}

#[test]
fn a_keystore_without_a_password_source_off_a_terminal_says_how_to_give_one() {
    let env = Env::new();
    let dir = keystore_folder(&env);
    let run = install(&env, &["--keystore", path(&dir.join("owner"))], &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("--owner-password-file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ETH_PASSWORD"), "{}", run.stderr);
}

#[test]
fn keystore_and_foundry_account_with_the_right_password_get_to_the_node() {
    let env = Env::new();
    let dir = keystore_folder(&env);
    let right = env.file("right.txt", &format!("{OWNER_PASSWORD}\n"));
    let run = install(
        &env,
        &[
            "--keystore",
            path(&dir.join("owner")),
            "--owner-password-file",
            path(&right),
        ],
        &[],
    );
    reached_the_network(&run);
    let folder = path(&dir).to_owned();
    let vars = [
        ("FOUNDRY_KEYSTORES_DIR", folder.as_str()),
        ("ETH_PASSWORD", OWNER_PASSWORD),
    ];
    reached_the_network(&install(&env, &["--owner-account", "owner"], &vars));
    let unknown = install(&env, &["--owner-account", "alice"], &vars);
    unknown.expect_code(2);
    assert!(unknown.stderr.contains("no keystore"), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("cast wallet list"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_private_key_on_the_command_line_works_with_a_warning() {
    let env = Env::new();
    let run = install(&env, &["--private-key", OWNER_KEY], &[]);
    reached_the_network(&run);
    assert!(
        run.stderr.contains("visible to other users"),
        "{}",
        run.stderr
    );
    let bad = install(&env, &["--private-key", "0x1234"], &[]);
    bad.expect_code(2);
    assert!(!bad.stderr.contains("0x1234"), "{}", bad.stderr);
}

#[test]
fn cast_keystore_variables_name_the_owner_key_and_any_flag_wins() {
    let env = Env::new();
    let dir = keystore_folder(&env);
    let file = path(&dir.join("owner")).to_owned();
    let folder = path(&dir).to_owned();
    // $ETH_KEYSTORE stands for --keystore, $ETH_KEYSTORE_ACCOUNT for --owner-account.
    reached_the_network(&install(
        &env,
        &[],
        &[("ETH_KEYSTORE", &file), ("ETH_PASSWORD", OWNER_PASSWORD)],
    ));
    reached_the_network(&install(
        &env,
        &[],
        &[
            ("ETH_KEYSTORE_ACCOUNT", "owner"),
            ("FOUNDRY_KEYSTORES_DIR", &folder),
            ("ETH_PASSWORD", OWNER_PASSWORD),
        ],
    ));
    // The variable is what was read: a wrong password names it.
    let wrong = install(
        &env,
        &[],
        &[("ETH_KEYSTORE", &file), ("ETH_PASSWORD", "not it")],
    );
    wrong.expect_code(2);
    assert!(wrong.stderr.contains("$ETH_KEYSTORE"), "{}", wrong.stderr);
    assert!(wrong.stderr.contains("wrong password"), "{}", wrong.stderr);
    // An explicit flag wins over both variables, even when they name nothing usable.
    let broken = [
        ("ETH_KEYSTORE", "/nonexistent/keystore"),
        ("ETH_KEYSTORE_ACCOUNT", "nobody"),
    ];
    reached_the_network(&install(&env, &["--private-key", OWNER_KEY], &broken));
    let right = env.file("right.txt", &format!("{OWNER_PASSWORD}\n"));
    reached_the_network(&install(
        &env,
        &["--keystore", &file, "--owner-password-file", path(&right)],
        &broken,
    ));
    // With no flag, both set is ambiguous.
    let both = install(&env, &[], &broken);
    both.expect_code(2);
    assert!(
        both.stderr.contains("both $ETH_KEYSTORE"),
        "{}",
        both.stderr
    );
}

#[test]
fn cast_keystore_variables_do_not_touch_commands_that_need_no_key() {
    let env = Env::new();
    let id = env.create("offline");
    let set = [
        ("ETH_KEYSTORE", "/nonexistent/keystore"),
        ("ETH_KEYSTORE_ACCOUNT", "nobody"),
    ];
    let call = format!("{},0,0x", common::TOKEN);
    env.run_with_env(
        &[
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "0",
            "--call",
            &call,
        ],
        &set,
    )
    .expect_code(0);
    // Without owner flags, revoke stays a registry change: the variables do not make it an
    // owner op.
    let revoked = env.run_with_env(&["session", "revoke", &id, "--reason", "done"], &set);
    revoked.expect_code(0);
}
