//! `leash op build|sign|send` through the real binary.

mod common;

use common::{path, Env, MODULE as MODULE_HEX, TOKEN};

const PW: [&str; 2] = ["--password-env", "LEASH_TEST_PASSWORD"];
const RECIPIENT: &str = "0x3333333333333333333333333333333333333333";

fn transfer_data() -> String {
    // transfer(RECIPIENT, 1000)
    format!(
        "0xa9059cbb000000000000000000000000{}{:064x}",
        &RECIPIENT[2..],
        1000
    )
}

#[test]
fn build_prints_the_unsigned_op() {
    let env = Env::new();
    let id = env.create("checkout");
    let call = format!("{TOKEN},0,{}", transfer_data());
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "7",
        "--call",
        &call,
    ]);
    run.expect_code(0);
    assert_eq!(
        run.out(),
        "{\n  \"sender\": \"<addr>\",\n  \"nonce\": \"<hash>\",\n  \"callData\": \"<hex>\",\n  \
         \"callGasLimit\": \"0x30d40\",\n  \"verificationGasLimit\": \"0x493e0\",\n  \
         \"preVerificationGas\": \"0xea60\",\n  \"maxFeePerGas\": \"0x3b9aca00\",\n  \
         \"maxPriorityFeePerGas\": \"0x3b9aca00\",\n  \"signature\": \"0x\"\n}\n"
    );
    let op: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        op["nonce"],
        "0x2222222222222222222222222222222222222222000000000000000000000007"
    );
    assert!(op["callData"].as_str().unwrap().starts_with("0xe9ae5c53"));
    let json = env
        .run(&[
            "--json",
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "7",
            "--call",
            &call,
        ])
        .json();
    assert_eq!(json["entryPointVersion"], "v0.7");
    assert_eq!(json["userOperation"], op);
    assert_eq!(
        env.run(&["audit", "export"]).stdout.lines().count(),
        1,
        "build signs nothing"
    );
}

#[test]
fn two_calls_make_a_batch_and_a_calls_file_works() {
    let env = Env::new();
    let id = env.create("checkout");
    let call = format!("{TOKEN},0,{}", transfer_data());
    let single = env
        .run(&[
            "--json",
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "0",
            "--call",
            &call,
        ])
        .json();
    let batch = env
        .run(&[
            "--json",
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "0",
            "--call",
            &call,
            "--call",
            &call,
        ])
        .json();
    let single_data = single["userOperation"]["callData"].as_str().unwrap();
    let batch_data = batch["userOperation"]["callData"].as_str().unwrap();
    // execute(mode, ...): call type byte 0x00 (single) vs 0x01 (batch).
    assert_eq!(&single_data[10..12], "00");
    assert_eq!(&batch_data[10..12], "01");
    let file = env.file(
        "calls.json",
        &format!(
            r#"[{{"target": "{TOKEN}", "value": "0", "data": "{d}"}}, {{"target": "{TOKEN}", "value": 0, "data": "{d}"}}]"#,
            d = transfer_data()
        ),
    );
    let from_file = env
        .run(&[
            "--json",
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "0",
            "--calls-file",
            path(&file),
        ])
        .json();
    assert_eq!(from_file["userOperation"], batch["userOperation"]);
}

#[test]
fn bad_calls_are_exit_2() {
    let env = Env::new();
    let id = env.create("checkout");
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        "0x1234,0",
    ]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: --call \"0x1234,0\": expected TARGET,VALUE,DATA (3 comma-separated fields), got 2\n\
         hint: write --call TARGET,VALUE,DATA, e.g. --call 0x1111111111111111111111111111111111111111,0,0xa9059cbb...\n"
    );
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        "0x1234,0,0x",
    ]);
    run.expect_code(2);
    assert!(run.stderr.starts_with(
        "error: --call \"0x1234,0,0x\": target \"0x1234\" is not a 20-byte 0x address\n"
    ));
    let call = format!("{TOKEN},ten,0x");
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("value \"ten\" is not a wei amount"),
        "{}",
        run.stderr
    );
    let file = env.file("calls.json", r#"[{"target": "0x11"}]"#);
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--calls-file",
        path(&file),
    ]);
    run.expect_code(2);
    assert!(
        run.err()
            .contains("/calls.json: [0].target: target \"0x11\" is not a 20-byte 0x address"),
        "{}",
        run.stderr
    );
    let run = env.run(&["op", "build", "--session", &id, "--nonce-seq", "0"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: an op needs at least one call\nhint: pass --call TARGET,VALUE,DATA or --calls-file FILE\n"
    );
    let call = format!("{TOKEN},0,0x");
    let run = env.run(&["op", "build", "--session", &id, "--call", &call]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: the op's nonce is unknown\nhint: pass --nonce-seq N, or --rpc-url URL to read it from the EntryPoint\n"
    );
    let run = env.run(&[
        "op",
        "build",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        "--account",
        RECIPIENT,
    ]);
    run.expect_code(2);
    assert!(run
        .err()
        .starts_with("error: --account <addr> is not session <id>'s account <addr>\n"));
}

#[test]
fn sign_returns_the_envelope_and_is_audited() {
    let env = Env::new();
    let id = env.create("checkout");
    let call = format!("{TOKEN},0,{}", transfer_data());
    let run = env.run(&[
        "--json",
        "op",
        "sign",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        PW[0],
        PW[1],
    ]);
    run.expect_code(0);
    let signed = run.json();
    let signature = signed["userOperation"]["signature"].as_str().unwrap();
    let shown = env.run(&["--json", "session", "show", &id]).json();
    let session_id = shown["sessionId"].as_str().unwrap();
    // v1 envelope: version 0x01, flags 0x00, period 0, the 65-byte signature, then the packed
    // session, whose hash is the session id (the envelope names no id).
    assert_eq!(&signature[..6], "0x0100");
    assert_eq!(&signature[6..14], "00000000");
    let packed = alloy::hex::decode(&signature[2 + 2 * 71..]).unwrap();
    assert_eq!(
        alloy::primitives::keccak256(&packed).to_string(),
        session_id
    );
    assert_eq!(signed["auditSeq"], 2);
    let export = env.run(&["audit", "export"]).stdout;
    let entry: serde_json::Value = serde_json::from_str(export.lines().nth(1).unwrap()).unwrap();
    assert_eq!(entry["action"], "sign_op");
    let details: serde_json::Value =
        serde_json::from_str(entry["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["user_op_hash"], signed["userOpHash"]);

    env.run(&["session", "pause", &id]).expect_code(0);
    let run = env.run(&[
        "op",
        "sign",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        PW[0],
        PW[1],
    ]);
    run.expect_code(2);
    assert!(run
        .err()
        .starts_with("error: session <id> is paused: cannot sign with it (resume it first)\n"));
}

#[test]
fn send_needs_a_bundler_url_and_reports_an_unreachable_one() {
    let env = Env::new();
    let id = env.create("checkout");
    let call = format!("{TOKEN},0,{}", transfer_data());
    let run = env.run(&[
        "op",
        "send",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        PW[0],
        PW[1],
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.starts_with(
            "error: the following required arguments were not provided:\n  --bundler-url <URL>\n"
        ),
        "{}",
        run.stderr
    );
    let run = env.run(&[
        "--quiet",
        "op",
        "send",
        "--session",
        &id,
        "--nonce-seq",
        "0",
        "--call",
        &call,
        PW[0],
        PW[1],
        "--bundler-url",
        "http://127.0.0.1:9",
        "--timeout",
        "1",
    ]);
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with("error: `eth_sendUserOperation` to http://127.0.0.1:9"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_call_that_may_pull_a_limited_token_is_wrapped_in_settle_calls() {
    let env = Env::new();
    let id = env.create("checkout");
    let build = |calls: &[&str]| {
        let mut args = vec![
            "--json",
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "0",
        ];
        for call in calls {
            args.extend(["--call", call]);
        }
        let json = env.run(&args).json();
        json["userOperation"]["callData"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // A router call (not the account, not a token transfer) in a session with a token cap: the
    // op becomes the batch [settle, router call, settle] with settle(uint32,bytes) 0x9edb9baf.
    let router = format!("{RECIPIENT},0,0x12345678");
    let data = build(&[&router]);
    assert_eq!(&data[10..12], "01", "a settled op is a batch");
    assert_eq!(&data[12..14], "00", "in exec type default");
    assert_eq!(data.matches("9edb9baf").count(), 2, "settle first and last");
    assert_eq!(
        data.matches(&MODULE_HEX.to_lowercase()[2..]).count(),
        2,
        "both settle calls target the module"
    );
    // Plain token transfers need no settlement: the op stays a single call.
    let transfer = format!("{TOKEN},0,{}", transfer_data());
    let data = build(&[&transfer]);
    assert_eq!(&data[10..12], "00");
    assert!(!data.contains("9edb9baf"));
    // Seven calls plus the two settle calls would exceed the module's batch of 8: refused.
    let seven = vec![router.as_str(); 7];
    let mut args = vec!["op", "build", "--session", &id, "--nonce-seq", "0"];
    for call in &seven {
        args.extend(["--call", call]);
    }
    let run = env.run(&args);
    run.expect_code(2);
    assert!(run.stderr.contains("must be settled"), "{}", run.stderr);
}

/// Who signed `signed` (`leash --json op sign` output) for the session `session_id`.
fn recover_op_signer(signed: &serde_json::Value, session_id: &str) -> alloy::primitives::Address {
    use leash_keys::envelope::{decode_v1, op_digest};
    let hash: alloy::primitives::B256 = signed["userOpHash"].as_str().unwrap().parse().unwrap();
    let signature: alloy::primitives::Bytes = signed["userOperation"]["signature"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let envelope = decode_v1(&signature).expect("the module's envelope");
    let digest = op_digest(hash, session_id.parse().unwrap(), envelope.period_index);
    alloy::primitives::Signature::try_from(envelope.signature.as_slice())
        .unwrap()
        .recover_address_from_prehash(&digest)
        .unwrap()
}

#[test]
fn sign_signs_an_op_built_elsewhere() {
    let env = Env::new();
    let id = env.create("checkout");
    let shown = env.run(&["--json", "session", "show", &id]).json();
    let session_id = shown["sessionId"].as_str().unwrap().to_owned();
    let signer: alloy::primitives::Address = shown["signer"].as_str().unwrap().parse().unwrap();
    let call = format!("{TOKEN},0,{}", transfer_data());
    let built = env
        .run(&[
            "--json",
            "op",
            "build",
            "--session",
            &id,
            "--nonce-seq",
            "3",
            "--call",
            &call,
        ])
        .json();
    // A bare op, as a bundler SDK writes it, and the {userOperation, entryPoint} shape.
    let bare = env.file("bare.json", &built["userOperation"].to_string());
    let wrapped = env.file(
        "wrapped.json",
        &serde_json::json!({
            "userOperation": built["userOperation"],
            "entryPoint": built["entryPoint"],
        })
        .to_string(),
    );
    for file in [&bare, &wrapped] {
        let run = env.run(&[
            "--json",
            "op",
            "sign",
            "--session",
            &id,
            "--op",
            path(file),
            PW[0],
            PW[1],
        ]);
        run.expect_code(0);
        let signed = run.json();
        assert_eq!(
            signed["userOpHash"], built["userOpHash"],
            "same op, same hash"
        );
        assert_eq!(
            signed["userOperation"]["nonce"],
            built["userOperation"]["nonce"]
        );
        assert_eq!(signed["session"], id.as_str());
        assert!(signed["auditSeq"].is_u64());
        assert_eq!(recover_op_signer(&signed, &session_id), signer);
    }

    // Another account's op, or a nonce that names another validator, is refused.
    let mut other = built["userOperation"].clone();
    other["sender"] = serde_json::json!("0x4444444444444444444444444444444444444444");
    let other = env.file("other.json", &other.to_string());
    let run = env.run(&[
        "op",
        "sign",
        "--session",
        &id,
        "--op",
        path(&other),
        PW[0],
        PW[1],
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("is not session"), "{}", run.stderr);
    let mut lane = built["userOperation"].clone();
    lane["nonce"] =
        serde_json::json!("0x5555555555555555555555555555555555555555000000000000000000000003");
    let lane = env.file("lane.json", &lane.to_string());
    let run = env.run(&[
        "op",
        "sign",
        "--session",
        &id,
        "--op",
        path(&lane),
        PW[0],
        PW[1],
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("nonce"), "{}", run.stderr);
    let run = env.run(&[
        "op",
        "sign",
        "--session",
        &id,
        "--op",
        path(&bare),
        "--call",
        &call,
        PW[0],
        PW[1],
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}
