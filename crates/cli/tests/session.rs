//! `leash session ...` through the real binary: output, errors and exit codes.

mod common;

use common::{path, Env, ACCOUNT, ENTRY_POINT, MODULE, PERMISSIONS};

const PW: [&str; 2] = ["--password-env", "LEASH_TEST_PASSWORD"];

fn create_args(permissions: &str) -> Vec<&str> {
    let mut args = vec![
        "session",
        "create",
        "--permissions",
        permissions,
        "--account",
        ACCOUNT,
        "--chain-id",
        "8453",
        "--entry-point",
        ENTRY_POINT,
        "--module",
        MODULE,
        "--label",
        "checkout",
    ];
    args.extend(PW);
    args
}

#[test]
fn help_documents_the_exit_codes() {
    let env = Env::new();
    let run = env.run(&["--help"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(
            "Exit codes:\n  0  ok\n  1  anything else (I/O, network, a broken store)\n  \
             2  usage or bad input (flags, files, ids, passwords, a refused state change)\n  \
             3  rejected by the module, the EntryPoint or the bundler\n  \
             4  not found (unknown session id)\n  \
             5  integrity failure (audit log or key file tampered with)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn create_prints_ids_and_the_create_session_call() {
    let env = Env::new();
    let permissions = env.file("perm.json", PERMISSIONS);
    let run = env.run(&create_args(path(&permissions)));
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "created session <id>\n  signer:     <addr>\n  session id: <hash>\n  \
         pays:       its own ETH, up to 0.001 ETH (1000000000000000 wei) in max fees\n\
         next: the account grants it on-chain by calling the module <addr> with\n  <hex>\n"
    );
    assert_eq!(run.err(), "generating and encrypting the session key…\n");
}

#[test]
fn create_quiet_and_json_print_no_progress() {
    let env = Env::new();
    let permissions = env.file("perm.json", PERMISSIONS);
    let mut args = vec!["--quiet"];
    args.extend(create_args(path(&permissions)));
    let run = env.run(&args);
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    let mut args = vec!["--json"];
    args.extend(create_args(path(&permissions)));
    let run = env.run(&args);
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    let value = run.json();
    assert!(value["grantSessionCalldata"]
        .as_str()
        .unwrap()
        .starts_with("0xc7a4e83d"));
}

#[test]
fn list_show_and_filters() {
    let env = Env::new();
    let id = env.create("checkout");
    let other = env.create("refunds");
    env.run(&["session", "revoke", &other, "--reason", "test"])
        .expect_code(0);
    let run = env.run(&["session", "list"]);
    run.expect_code(0);
    let out = run.out();
    assert!(out.starts_with(
        "ID                 STATUS   ACCOUNT                                    VALID UNTIL          LABEL\n"
    ));
    assert!(
        out.contains("<id> active   <addr> <time> checkout\n"),
        "{out}"
    );
    assert!(
        out.contains("<id> revoked  <addr> <time> refunds\n"),
        "{out}"
    );

    let run = env.run(&["--json", "session", "list", "--status", "active"]);
    run.expect_code(0);
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["localId"], id.as_str());
    assert_eq!(list[0]["permissions"]["maxUses"], 10);

    let run = env.run(&[
        "--json",
        "session",
        "list",
        "--expiring-before",
        "2099-01-01T00:00:00Z",
    ]);
    run.expect_code(0);
    assert_eq!(run.json().as_array().unwrap().len(), 0);
    let run = env.run(&[
        "--json",
        "session",
        "list",
        "--expiring-before",
        "4102444801",
    ]);
    assert_eq!(run.json().as_array().unwrap().len(), 2);
    let run = env.run(&[
        "session",
        "list",
        "--account",
        "0x3333333333333333333333333333333333333333",
    ]);
    assert_eq!(run.stdout, "no sessions\n");

    let run = env.run(&["session", "show", &id]);
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "session <id> (active)\n  label:       checkout\n  account:     <addr> (chain 8453)\n  \
         entry point: <addr>\n  module:      <addr>\n  session id:  <hash>\n  signer:      <addr>\n  \
         window:      <time> .. <time>\n  created:     <time>\n  grant:\n    uses:      10\n    \
         call:      <addr> 0xa9059cbb\n    token:     <addr> up to 5000000 base units\n    \
         native:    0 ETH (0 wei)\n    fees:      0.001 ETH (1000000000000000 wei)\n  \
         pays:        its own ETH, up to 0.001 ETH (1000000000000000 wei) in max fees\n  \
         (offline: pass --rpc-url URL to read what is left on-chain)\n"
    );
}

#[test]
fn list_refuses_bad_filters() {
    let env = Env::new();
    let run = env.run(&["session", "list", "--status", "sleeping"]);
    run.expect_code(2);
    assert_eq!(
        run.err(),
        "error: --status: unknown status \"sleeping\" (expected active, paused or revoked)\n\
         hint: use active, expired, paused or revoked\n"
    );
    let run = env.run(&["session", "list", "--expiring-before", "tomorrow"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: --expiring-before \"tomorrow\": not a unix time or an RFC 3339 time\n\
         hint: write e.g. 1767225600 or 2026-01-01T00:00:00Z\n"
    );
}

#[test]
fn unknown_session_is_exit_4() {
    let env = Env::new();
    let run = env.run(&["session", "show", "s_0123456789abcdef"]);
    run.expect_code(4);
    assert_eq!(
        run.stderr,
        "error: session s_0123456789abcdef: not found\nhint: list the known sessions with `leash session list`\n"
    );
    let run = env.run(&["--json", "session", "pause", "s_0123456789abcdef"]);
    run.expect_code(4);
    let error: serde_json::Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(
        error,
        serde_json::json!({"error": {
            "code": 4,
            "kind": "not_found",
            "message": "session s_0123456789abcdef: not found",
            "hint": "list the known sessions with `leash session list`",
        }})
    );
}

#[test]
fn bad_permission_file_names_the_json_path() {
    let env = Env::new();
    let bad = PERMISSIONS.replace("\"5000000\"", "\"lots\"");
    let permissions = env.file("bad.json", &bad);
    let run = env.run(&create_args(path(&permissions)));
    run.expect_code(2);
    let err = run.err();
    assert!(err.starts_with("error: permissions file <tmp>/"), "{err}");
    assert!(
        err.contains("/bad.json: tokens[0].amount: not a number: \"lots\""),
        "{err}"
    );
    assert!(err.ends_with(
        "hint: fix the value at that JSON path; the format is described in the leash-keys README\n"
    ));
    let run = env.run(&create_args("/nonexistent/perm.json"));
    run.expect_code(4);
    assert!(run
        .stderr
        .starts_with("error: --permissions /nonexistent/perm.json: No such file"));
}

#[test]
fn clap_usage_errors_are_exit_2() {
    let env = Env::new();
    let run = env.run(&[
        "session",
        "create",
        "--entry-point",
        ENTRY_POINT,
        "--module",
        MODULE,
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("--permissions <FILE>"),
        "{}",
        run.stderr
    );
    let run = env.run(&[]);
    run.expect_code(2);
    assert!(run.stderr.contains("Usage: leash"), "{}", run.stderr);
    let run = env.run(&["--json", "session", "frobnicate"]);
    run.expect_code(2);
    let error: serde_json::Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["error"]["code"], 2);
    assert_eq!(error["error"]["kind"], "usage");
}

#[test]
fn erc7715_request_is_imported() {
    let env = Env::new();
    let request = format!(
        r#"{{"chainId": "0x2105", "address": "{ACCOUNT}", "expiry": 4102444800,
            "permissions": [
              {{"type": "erc20-token-transfer", "data": {{"address": "{token}", "allowance": "0x4c4b40"}}}},
              {{"type": "functions-on-contract", "data": {{"address": "{token}", "functions": ["transfer(address,uint256)"]}}}}
            ]}}"#,
        token = common::TOKEN
    );
    let file = env.file("request.json", &request);
    let mut args = vec![
        "--json",
        "session",
        "create",
        "--erc7715",
        path(&file),
        "--entry-point",
        ENTRY_POINT,
        "--module",
        MODULE,
    ];
    args.extend(PW);
    // The request sets no fee budget and no paymaster: refused, with the fix.
    let run = env.run(&args);
    run.expect_code(2);
    assert!(
        run.stderr.contains("could never send an op")
            && run.stderr.contains("--fee-budget AMOUNT")
            && run.stderr.contains("--paymaster ADDR"),
        "{}",
        run.stderr
    );
    args.extend(["--fee-budget", "0.001ether"]);
    let run = env.run(&args);
    run.expect_code(0);
    let id = run.json()["localId"].as_str().unwrap().to_owned();
    let shown = env.run(&["--json", "session", "show", &id]).json();
    assert_eq!(shown["chainId"], 8453);
    assert_eq!(shown["permissions"]["tokens"][0]["amount"], "5000000");
    assert_eq!(shown["permissions"]["feeBudget"], "1000000000000000");
    assert_eq!(shown["payment"]["canPay"], true);

    let mut args = vec![
        "session",
        "create",
        "--erc7715",
        path(&file),
        "--chain-id",
        "1",
    ];
    args.extend(["--entry-point", ENTRY_POINT, "--module", MODULE]);
    args.extend(PW);
    let run = env.run(&args);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("chainId: 8453 differs from the chain asked for (1); make them agree"),
        "{}",
        run.stderr
    );
}

#[test]
fn lifecycle_pause_resume_revoke_delete() {
    let env = Env::new();
    let id = env.create("checkout");
    let run = env.run(&["session", "pause", &id]);
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "session <id> paused\non-chain: the account calls pauseSession(<hash>) on the module <addr> for the same effect there\n"
    );
    env.run(&["session", "resume", &id]).expect_code(0);

    let run = env.run(&["session", "delete", &id]);
    run.expect_code(2);
    assert_eq!(
        run.err(),
        "error: session <id> is active: cannot delete it (only revoked sessions can be deleted; revoke it first)\n\
         hint: check the session's status with `leash session show ID`\n"
    );

    let run = env.run(&["session", "revoke", &id, "--reason", "key leaked"]);
    run.expect_code(0);
    assert!(run.out().starts_with("session <id> revoked\n"));
    let shown = env.run(&["--json", "session", "show", &id]).json();
    assert_eq!(shown["status"], "revoked");
    assert_eq!(shown["revokeReason"], "key leaked");

    let run = env.run(&["session", "resume", &id]);
    run.expect_code(2);
    assert!(
        run.err()
            .starts_with("error: session <id> is revoked: cannot resume it"),
        "{}",
        run.stderr
    );

    let run = env.run(&["session", "delete", &id]);
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "deleted session <id> (record and key file; its audit entries stay)\n"
    );
    env.run(&["session", "show", &id]).expect_code(4);
}

#[test]
fn rotate_without_rpc_url_refuses_to_regrant_the_full_budget() {
    let env = Env::new();
    let id = env.create("checkout");
    let mut args = vec!["session", "rotate", id.as_str()];
    args.extend(PW);
    let run = env.run(&args);
    run.expect_code(2);
    assert_eq!(
        run.err(),
        "error: session rotate <id> without --rpc-url would give the new key the old grant in full: \
         granted on-chain, that is a fresh budget on top of what the old key already spent\n\
         hint: pass --rpc-url URL to carry over only what is left, or --full-budget if a fresh full budget is really meant\n"
    );
    let old = env.run(&["--json", "session", "show", &id]).json();
    assert_eq!(old["status"], "active", "nothing was rotated");
    assert_eq!(
        env.run(&["--json", "session", "list"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1,
        "no key was created"
    );
}

#[test]
fn rotate_full_budget_links_old_and_new() {
    let env = Env::new();
    let id = env.create("checkout");
    let mut args = vec!["session", "rotate", id.as_str(), "--full-budget"];
    args.extend(PW);
    let run = env.run(&args);
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "rotated <id> -> <id>\n  old: revoked (reason \"rotated\")\n  new signer:     <addr>\n  \
         new session id: <hash>\n  new grant:      10 uses, fee budget 0.001 ETH (1000000000000000 wei)\n  \
         new grant:      5000000 base units of token <addr>\n\
         on-chain: the account calls grantSession(new) and revokeSession(<hash>)\n"
    );
    assert!(run.stderr.contains(
        "warning: --full-budget: the new session carries the old grant in full; granting it on-chain \
         gives a fresh budget on top of what the old key spent"
    ));
    let old = env.run(&["--json", "session", "show", &id]).json();
    assert_eq!(old["status"], "revoked");
    assert_eq!(old["revokeReason"], "rotated");
    let new_id = old["rotatedTo"].as_str().unwrap();
    let new = env.run(&["--json", "session", "show", new_id]).json();
    assert_eq!(new["rotatedFrom"], id.as_str());
    assert_eq!(new["permissions"]["tokens"], old["permissions"]["tokens"]);
    assert_ne!(new["signer"], old["signer"]);

    let mut args = vec!["session", "rotate", id.as_str(), "--full-budget"];
    args.extend(PW);
    env.run(&args).expect_code(2);
}

#[test]
fn rotate_with_an_unreachable_node_fails_before_creating_a_key() {
    let env = Env::new();
    let id = env.create("checkout");
    let mut args = vec![
        "--quiet",
        "session",
        "rotate",
        id.as_str(),
        "--rpc-url",
        "http://127.0.0.1:9",
    ];
    args.extend(PW);
    let run = env.run(&args);
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with("error: `eth_chainId` to http://127.0.0.1:9 failed"),
        "{}",
        run.stderr
    );
    let old = env.run(&["--json", "session", "show", &id]).json();
    assert_eq!(old["status"], "active");
}

#[test]
fn missing_password_source_without_a_terminal() {
    let env = Env::new();
    let permissions = env.file("perm.json", PERMISSIONS);
    let mut args = create_args(path(&permissions));
    args.truncate(args.len() - 2);
    let run = env.run(&args);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: no password source: not on a terminal, and neither --password-env nor --password-file was given\n\
         hint: pass --password-env VAR or --password-file PATH\n"
    );
    let run = env.run(&["--json", "session", "list"]);
    assert_eq!(
        run.json().as_array().unwrap().len(),
        0,
        "nothing was created"
    );
}

#[test]
fn password_file_works_and_unset_env_is_reported() {
    let env = Env::new();
    let permissions = env.file("perm.json", PERMISSIONS);
    let password = env.file("pw.txt", &format!("{}\n", common::PASSWORD));
    let mut args = create_args(path(&permissions));
    args.truncate(args.len() - 2);
    args.extend(["--password-file", path(&password)]);
    env.run(&args).expect_code(0);

    let mut args = create_args(path(&permissions));
    args.truncate(args.len() - 2);
    args.extend(["--password-env", "LEASH_NO_SUCH_VARIABLE"]);
    let run = env.run(&args);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "generating and encrypting the session key…\n\
         error: password: environment variable LEASH_NO_SUCH_VARIABLE is not set (or is not valid UTF-8)\n\
         hint: give the password with --password-env VAR or --password-file PATH\n"
    );
}
