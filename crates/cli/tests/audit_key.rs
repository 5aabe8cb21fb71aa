//! `leash key export` and `leash audit ...` through the real binary.

mod common;

use common::Env;

const PW: [&str; 2] = ["--password-env", "LEASH_TEST_PASSWORD"];

#[test]
fn key_export_warns_and_is_audited() {
    let env = Env::new();
    let id = env.create("checkout");
    let run = env.run(&["key", "export", &id, PW[0], PW[1]]);
    run.expect_code(0);
    let key = run.stdout.trim();
    assert!(key.starts_with("0x") && key.len() == 66, "{key}");
    assert!(
        run.err()
            .starts_with("warning: this is session <id>'s private key in clear"),
        "{}",
        run.stderr
    );
    let run = env.run(&["--json", "key", "export", &id, PW[0], PW[1]]);
    run.expect_code(0);
    let value = run.json();
    assert_eq!(value["privateKey"], key);
    assert!(value["warning"]
        .as_str()
        .unwrap()
        .contains("private key in clear"));
    let shown = env.run(&["--json", "session", "show", &id]).json();
    assert_eq!(value["address"], shown["signer"]);

    let export = env.run(&["audit", "export"]);
    export.expect_code(0);
    let actions: Vec<String> = export
        .stdout
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            entry["action"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(actions, ["create", "export_key", "export_key"]);
}

#[test]
fn wrong_password_is_exit_2() {
    let env = Env::new();
    let id = env.create("checkout");
    let run = env.run(&[
        "key",
        "export",
        &id,
        "--password-env",
        "LEASH_WRONG_PASSWORD",
    ]);
    run.expect_code(2);
    let err = run.err();
    assert!(err.starts_with("error: keystore <tmp>/"), "{err}");
    assert!(
        err.ends_with(
            ".json: wrong password (MAC mismatch)\nhint: use the password the session was created with\n"
        ),
        "{err}"
    );
    assert_eq!(run.stdout, "");
    let export = env.run(&["audit", "export"]);
    assert_eq!(
        export.stdout.lines().count(),
        1,
        "a failed export is not logged"
    );
}

#[test]
fn audit_verify_head_and_anchor() {
    let env = Env::new();
    let run = env.run(&["audit", "head"]);
    run.expect_code(4);
    assert_eq!(
        run.stderr,
        "error: the audit log is empty\nhint: entries appear once sessions are created\n"
    );
    let id = env.create("checkout");
    env.run(&["session", "pause", &id]).expect_code(0);
    let run = env.run(&["audit", "verify"]);
    run.expect_code(0);
    assert_eq!(run.out(), "audit log intact: 2 entries, head 2:<hash>\n");
    let head = env.run(&["audit", "head"]);
    head.expect_code(0);
    assert_eq!(head.out(), "2:<hash>\n");
    let anchor = head.stdout.trim().to_owned();

    env.run(&["session", "resume", &id]).expect_code(0);
    let run = env.run(&["audit", "verify", "--anchor", &anchor]);
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "audit log intact: 3 entries, head 3:<hash>, anchor matches\n"
    );
    let json = env.run(&["--json", "audit", "verify"]).json();
    assert_eq!(json["entries"], 3);
    assert_eq!(json["intact"], true);

    let wrong = format!("2:0x{}", "ab".repeat(32));
    let run = env.run(&["audit", "verify", "--anchor", &wrong]);
    run.expect_code(5);
    assert_eq!(
        run.stderr,
        "error: audit log broken: entry 2 does not match the anchor's hash\n\
         hint: the log was changed outside leash; compare with a backup or an exported copy\n"
    );
    let run = env.run(&["audit", "verify", "--anchor", "two:0x00"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: audit anchor \"two:0x00\": \"two\" is not a sequence number\nhint: pass the output of `leash audit head`\n"
    );
}

#[test]
fn tampered_audit_log_is_exit_5() {
    let env = Env::new();
    let id = env.create("checkout");
    env.run(&["session", "pause", &id]).expect_code(0);
    env.run(&["session", "resume", &id]).expect_code(0);
    {
        let db = rusqlite::Connection::open(env.data_dir().join("registry.sqlite")).unwrap();
        db.execute_batch(
            "DROP TRIGGER audit_no_update;
             UPDATE audit SET actor = 'mallory' WHERE seq = 2;",
        )
        .unwrap();
    }
    let run = env.run(&["audit", "verify"]);
    run.expect_code(5);
    assert_eq!(
        run.stderr,
        "error: audit log broken: entry 2 was edited: its contents do not match its hash\n\
         hint: the log was changed outside leash; compare with a backup or an exported copy\n"
    );
    let run = env.run(&["--json", "audit", "verify"]);
    run.expect_code(5);
    let error: serde_json::Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["error"]["kind"], "integrity");
    assert_eq!(error["error"]["code"], 5);
}
