//! What `leash session create` refuses before it records a session (times that are not
//! plausible seconds or already past, a session that could never pay), sessions granted to
//! the key an app's request names, and `expired` as a status.

mod common;

use common::{path, Env, ACCOUNT, ENTRY_POINT, MODULE};

const PW: [&str; 2] = ["--password-env", "LEASH_TEST_PASSWORD"];

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn create_with(env: &Env, permissions: &str, extra: &[&str]) -> common::Run {
    let file = env.file("perm.json", permissions);
    let mut args = vec![
        "session",
        "create",
        "--permissions",
        path(&file),
        "--account",
        ACCOUNT,
        "--chain-id",
        "8453",
        "--entry-point",
        ENTRY_POINT,
        "--module",
        MODULE,
    ];
    args.extend(extra);
    args.extend(PW);
    env.run(&args)
}

fn permissions(valid_until: u64, more: &str) -> String {
    format!(
        r#"{{ "validUntil": {valid_until}, "calls": [{{ "target": "{MODULE}", "selector": "0x12345678" }}]{more} }}"#
    )
}

#[test]
fn test_create_refuses_a_past_expiry_from_a_permission_file() {
    let env = Env::new();
    let run = create_with(&env, &permissions(1_000, r#", "feeBudget": "1""#), &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("validUntil: 1000 is not in the future"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_create_refuses_milliseconds_with_the_seconds_value() {
    let env = Env::new();
    let millis = (now() + 3_600) * 1_000;
    let run = create_with(&env, &permissions(millis, r#", "feeBudget": "1""#), &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "validUntil: {millis} looks like milliseconds (Date.now()), leash reads unix seconds; write {} instead",
            millis / 1000
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn test_create_refuses_a_period_that_starts_after_the_window() {
    let env = Env::new();
    let until = now() + 3_600;
    let more = format!(
        r#", "feeBudget": "1", "period": {{ "seconds": 60, "start": {} }}, "rateLimit": 1"#,
        until + 1
    );
    let run = create_with(&env, &permissions(until, &more), &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("after the window ends"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_create_refuses_a_session_that_cannot_pay_and_takes_the_fix() {
    let env = Env::new();
    let until = now() + 3_600;
    let run = create_with(&env, &permissions(until, ""), &[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("UnsponsoredNotAllowed"),
        "{}",
        run.stderr
    );
    let run = create_with(
        &env,
        &permissions(until, ""),
        &[
            "--json",
            "--paymaster",
            "0x5555555555555555555555555555555555555555",
        ],
    );
    run.expect_code(0);
    let created = run.json();
    assert_eq!(created["payment"]["canPay"], true);
    assert_eq!(
        created["payment"]["paymasters"][0],
        "0x5555555555555555555555555555555555555555"
    );
}

#[test]
fn test_import_grants_the_session_to_the_key_the_request_names() {
    let env = Env::new();
    // viem's wire format: no chainId (taken from --chain-id), the app's account as signer.
    let request = format!(
        r#"{{ "expiry": {}, "signer": {{ "type": "account", "data": {{ "id": "0x4444444444444444444444444444444444444444" }} }},
             "permissions": [ {{ "type": "contract-call", "data": {{ "address": "{MODULE}", "calls": [] }}, "policies": [], "required": true }} ] }}"#,
        now() + 3_600
    );
    let file = env.file("request.json", &request);
    let args = vec![
        "--json",
        "session",
        "create",
        "--erc7715",
        path(&file),
        "--account",
        ACCOUNT,
        "--chain-id",
        "8453",
        "--fee-budget",
        "10gwei",
        "--entry-point",
        ENTRY_POINT,
        "--module",
        MODULE,
    ];
    // No password source: leash writes no key for an app-held signer.
    let run = env.run(&args);
    run.expect_code(0);
    let created = run.json();
    assert_eq!(
        created["signer"],
        "0x4444444444444444444444444444444444444444"
    );
    assert_eq!(created["keyHeldBy"], "app");
    let id = created["localId"].as_str().unwrap().to_owned();
    let shown = env.run(&["session", "show", &id]);
    shown.expect_code(0);
    assert!(
        shown.stdout.contains("(the app's key; the app signs)"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains(
            "pays:        its own ETH, up to 0.00000001 ETH (10000000000 wei) in max fees"
        ),
        "{}",
        shown.stdout
    );
    let mut export = vec!["key", "export", id.as_str()];
    export.extend(PW);
    let run = env.run(&export);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("granted to the app's key"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_list_shows_an_ended_session_as_expired() {
    let env = Env::new();
    let until = now() + 2;
    let run = create_with(
        &env,
        &permissions(until, r#", "feeBudget": "1""#),
        &["--json"],
    );
    run.expect_code(0);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let list = env.run(&["--json", "session", "list", "--status", "expired"]);
    list.expect_code(0);
    let sessions = list.json();
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(sessions[0]["status"], "expired");
    let active = env.run(&["--json", "session", "list", "--status", "active"]);
    assert_eq!(active.json().as_array().unwrap().len(), 0);
}

#[test]
fn test_list_names_a_corrupt_row_and_still_lists_the_others() {
    let env = Env::new();
    let good = env.create("good");
    let bad = env.create("bad");
    let db = rusqlite::Connection::open(env.data_dir().join("registry.sqlite")).unwrap();
    db.execute(
        "UPDATE sessions SET permissions = '{' WHERE local_id = ?1",
        [&bad],
    )
    .unwrap();
    drop(db);
    let run = env.run(&["--json", "session", "list"]);
    run.expect_code(5);
    let listed = run.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["localId"], good.as_str());
    assert!(run.stderr.contains(&bad), "{}", run.stderr);
}

#[test]
fn test_a_missing_registry_next_to_key_files_is_an_error_not_an_empty_list() {
    let env = Env::new();
    env.create("kept");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(env.data_dir().join(format!("registry.sqlite{suffix}")));
    }
    let run = env.run(&["session", "list"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("is missing, but 1 key file(s) exist"),
        "{}",
        run.stderr
    );
    assert!(!env.data_dir().join("registry.sqlite").exists());
}
