//! `leash serve` as an app and an admin see it, without a chain (`--chain-id`): API-key
//! lifecycle over HTTP and the CLI, authentication, scopes, rate limits, grants with a
//! server-held key, signed ops checked by recovering their signer, revocation, limits, audit.

mod serve_support;

use alloy::primitives::{Address, B256, U256};
use leash_keys::envelope::{decode_v1, op_digest};
use serde_json::{json, Value};
use serve_support::*;

const ACCOUNT_A: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ACCOUNT_B: &str = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_a_valid_key_are_refused_with_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), None, &[]);
    let health: Value = reqwest::get(format!("{}/healthz", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"], "sqlite");

    let (status, error) = server.err(None, "leash_listPermissions", json!([{}])).await;
    assert_eq!((status, code(&error)), (401, -32001));
    assert!(error["message"].as_str().unwrap().contains("Authorization"));
    let (status, error) = server
        .err(Some("leash_nothex_x"), "leash_listPermissions", json!([{}]))
        .await;
    assert_eq!((status, code(&error)), (401, -32001));
    let forged = format!("leash_{}_{}", "0".repeat(12), "0".repeat(64));
    let (status, error) = server
        .err(Some(&forged), "leash_listPermissions", json!([{}]))
        .await;
    assert_eq!(status, 401);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{error}"
    );

    let admin = admin_secret(dir.path(), None);
    let (_, error) = server
        .err(Some(&admin), "eth_sendTransaction", json!([]))
        .await;
    assert_eq!(code(&error), -32601);
    let (status, body) = server.post(Some(&admin), "{not json".into()).await;
    assert_eq!((status, code(&body["error"])), (400, -32700));
    let (status, _) = server
        .post(Some(&admin), format!("\"{}\"", "x".repeat(2 << 20)))
        .await;
    assert_eq!(status, 413, "bodies over --max-body-bytes are refused");
    assert!(server.stop().success(), "SIGTERM stops the server cleanly");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_have_a_lifecycle_over_http_and_every_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), None, &[]);
    let admin = admin_secret(dir.path(), None);
    let (id, secret) = app_key(&server, &admin, &[ACCOUNT_A], json!({})).await;
    server
        .ok(
            &secret,
            "leash_listPermissions",
            json!([{"address": ACCOUNT_A}]),
        )
        .await;

    let listed = server.ok(&admin, "leash_listApiKeys", json!([])).await;
    let text = listed.to_string();
    assert!(
        !text.contains(&secret[20..]),
        "a listing never shows a secret"
    );
    assert!(!text.contains("sha256"), "nor its digest");
    let shown = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap();
    assert!(shown["secret"].as_str().unwrap().contains('…'));

    let (_, error) = server
        .err(Some(&secret), "leash_listApiKeys", json!([]))
        .await;
    assert_eq!(code(&error), 4100, "app keys cannot administer keys");

    let rotated = server
        .ok(&admin, "leash_rotateApiKey", json!([{"id": id}]))
        .await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    let (status, error) = server
        .err(
            Some(&secret),
            "leash_listPermissions",
            json!([{"address": ACCOUNT_A}]),
        )
        .await;
    assert_eq!(status, 401, "the old secret fails at once: {error}");
    server
        .ok(
            &new_secret,
            "leash_listPermissions",
            json!([{"address": ACCOUNT_A}]),
        )
        .await;

    server
        .ok(&admin, "leash_disableApiKey", json!([{"id": id}]))
        .await;
    let (status, error) = server
        .err(Some(&new_secret), "leash_listPermissions", json!([{}]))
        .await;
    assert_eq!(status, 401);
    assert!(error["message"].as_str().unwrap().contains("disabled"));
    server
        .ok(&admin, "leash_enableApiKey", json!([{"id": id}]))
        .await;
    server
        .ok(&new_secret, "leash_listPermissions", json!([{}]))
        .await;

    let (_, error) = server
        .err(Some(&admin), "leash_revokeApiKey", json!([{"id": id}]))
        .await;
    assert!(error["message"].as_str().unwrap().contains("reason"));
    server
        .ok(
            &admin,
            "leash_revokeApiKey",
            json!([{"id": id, "reason": "leaked in a log"}]),
        )
        .await;
    let (status, error) = server
        .err(Some(&new_secret), "leash_listPermissions", json!([{}]))
        .await;
    assert_eq!(status, 401);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("leaked in a log"));
    let (_, error) = server
        .err(Some(&admin), "leash_enableApiKey", json!([{"id": id}]))
        .await;
    assert_eq!(code(&error), -32602, "a revoked key stays revoked: {error}");
    let (_, error) = server
        .err(Some(&admin), "leash_rotateApiKey", json!([{"id": id}]))
        .await;
    assert_eq!(code(&error), -32602);

    server
        .ok(&admin, "leash_deleteApiKey", json!([{"id": id}]))
        .await;
    let (_, error) = server
        .err(Some(&admin), "leash_getApiKey", json!([{"id": id}]))
        .await;
    assert_eq!(code(&error), -32002);

    let audit = server.ok(&admin, "leash_verifyAudit", json!([])).await;
    assert_eq!(audit["intact"], true, "{audit}");
    // admin create, app create, rotate, disable, enable, revoke, delete.
    assert!(audit["entries"].as_u64().unwrap() >= 7, "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_manages_keys_on_the_store_and_shows_a_secret_once() {
    let dir = tempfile::tempdir().unwrap();
    let created = apikey(
        dir.path(),
        None,
        &[
            "create",
            "--name",
            "ci",
            "--account",
            ACCOUNT_A,
            "--rate-limit",
            "60",
        ],
    );
    let id = created["id"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with(&format!("leash_{id}_")));
    let shown = apikey(dir.path(), None, &["show", id]);
    assert!(!shown.to_string().contains(&secret[20..]));
    assert_eq!(shown["rateLimitPerMinute"], 60);
    let rotated = apikey(dir.path(), None, &["rotate", id]);
    assert_ne!(rotated["secret"], created["secret"]);
    assert_eq!(
        apikey(dir.path(), None, &["disable", id])["status"],
        "disabled"
    );
    assert_eq!(
        apikey(dir.path(), None, &["enable", id])["status"],
        "enabled"
    );
    let revoked = apikey(
        dir.path(),
        None,
        &["revoke", id, "--reason", "rotation policy"],
    );
    assert_eq!(revoked["revokeReason"], "rotation policy");
    apikey(dir.path(), None, &["delete", id]);
    assert_eq!(apikey(dir.path(), None, &["list"]), json!([]));

    let out = leash()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["apikey", "create", "--name", "x", "--role", "app"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one account"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_granted_session_signs_ops_whose_signer_recovers_and_nonces_never_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), None, &[]);
    let admin = admin_secret(dir.path(), None);
    let (_, app) = app_key(
        &server,
        &admin,
        &[ACCOUNT_A],
        json!({"rateLimitPerMinute": 100000}),
    )
    .await;

    let granted = server
        .ok(&app, "wallet_grantPermissions", json!([request(ACCOUNT_A)]))
        .await;
    let context = granted["permissionsContext"].as_str().unwrap().to_owned();
    assert_eq!(granted["context"], granted["permissionsContext"]);
    assert_eq!(granted["leash"]["keyHolder"], "server");
    assert!(
        granted["leash"]["enableGrant"].is_null(),
        "no node: no enable grant offered"
    );
    assert!(granted["leash"]["ownerOp"]["data"].as_str().unwrap().len() > 10);
    let signer: Address = granted["signer"]["data"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let session_id: B256 = granted["leash"]["sessionId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let mut tasks = Vec::new();
    let server = std::sync::Arc::new(server);
    for _ in 0..12 {
        let (server, app, context) = (server.clone(), app.clone(), context.clone());
        tasks.push(tokio::spawn(async move {
            server
                .ok(&app, "leash_signCalls", transfer(ACCOUNT_A, &context, 10))
                .await
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        let signed = task.await.unwrap();
        seqs.push(signed["nonceSeq"].as_u64().unwrap());
        let op = &signed["userOperation"];
        assert_eq!(op["sender"].as_str().unwrap().to_lowercase(), ACCOUNT_A);
        let nonce: U256 = op["nonce"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            nonce & U256::from(u64::MAX),
            U256::from(signed["nonceSeq"].as_u64().unwrap())
        );
        let hash: B256 = signed["id"].as_str().unwrap().parse().unwrap();
        let signature: alloy::primitives::Bytes =
            op["signature"].as_str().unwrap().parse().unwrap();
        let envelope = decode_v1(&signature).expect("the module's envelope");
        let digest = op_digest(hash, session_id, envelope.period_index);
        let recovered = alloy::primitives::Signature::try_from(envelope.signature.as_slice())
            .unwrap()
            .recover_address_from_prehash(&digest)
            .unwrap();
        assert_eq!(recovered, signer, "signed by the granted session key");
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..12).collect::<Vec<u64>>(),
        "every op its own nonce"
    );

    let listed = server
        .ok(
            &app,
            "leash_listPermissions",
            json!([{"address": ACCOUNT_A}]),
        )
        .await;
    assert_eq!(listed["permissions"][0]["state"], "active");
    let revoked = server
        .ok(
            &app,
            "wallet_revokePermissions",
            json!([{"permissionContext": context}]),
        )
        .await;
    assert_eq!(revoked["revoked"], true);
    let (_, error) = server
        .err(
            Some(&app),
            "leash_signCalls",
            transfer(ACCOUNT_A, &context, 10),
        )
        .await;
    assert_eq!(code(&error), -32003);
    assert_eq!(error["data"]["reason"], "PermissionRevoked");

    let audit = server.ok(&admin, "leash_verifyAudit", json!([])).await;
    assert_eq!(audit["intact"], true, "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_key_reaches_only_its_accounts_and_methods_within_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), None, &[]);
    let admin = admin_secret(dir.path(), None);
    let (_, key_a) = app_key(&server, &admin, &[ACCOUNT_A], json!({})).await;
    let (_, key_b) = app_key(&server, &admin, &[ACCOUNT_B], json!({})).await;
    let granted = server
        .ok(
            &key_a,
            "wallet_grantPermissions",
            json!([request(ACCOUNT_A)]),
        )
        .await;
    let context = granted["context"].as_str().unwrap().to_owned();

    let (_, error) = server
        .err(
            Some(&key_b),
            "leash_listPermissions",
            json!([{"address": ACCOUNT_A}]),
        )
        .await;
    assert_eq!(code(&error), 4100, "B's key cannot read A's permissions");
    let (_, error) = server
        .err(
            Some(&key_b),
            "leash_signCalls",
            transfer(ACCOUNT_A, &context, 1),
        )
        .await;
    assert_eq!(code(&error), 4100, "nor use them");
    let (_, error) = server
        .err(
            Some(&key_b),
            "wallet_revokePermissions",
            json!([{"permissionContext": context}]),
        )
        .await;
    assert_eq!(code(&error), 4100, "nor revoke them");
    let (_, error) = server
        .err(
            Some(&key_b),
            "wallet_grantPermissions",
            json!([request(ACCOUNT_A)]),
        )
        .await;
    assert_eq!(code(&error), 4100, "nor grant on A");
    let (_, error) = server
        .err(
            Some(&key_a),
            "leash_signCalls",
            transfer(ACCOUNT_B, &context, 1),
        )
        .await;
    assert_eq!(
        code(&error),
        -32602,
        "from must be the permission's account: {error}"
    );

    let (_, read_only) = app_key(
        &server,
        &admin,
        &[ACCOUNT_A],
        json!({"methods": ["leash_listPermissions"]}),
    )
    .await;
    server
        .ok(&read_only, "leash_listPermissions", json!([{}]))
        .await;
    let (_, error) = server
        .err(
            Some(&read_only),
            "leash_signCalls",
            transfer(ACCOUNT_A, &context, 1),
        )
        .await;
    assert_eq!(code(&error), 4100);

    let (_, slow) = app_key(
        &server,
        &admin,
        &[ACCOUNT_A],
        json!({"rateLimitPerMinute": 3}),
    )
    .await;
    for _ in 0..3 {
        server.ok(&slow, "leash_listPermissions", json!([{}])).await;
    }
    let (status, error) = server
        .err(Some(&slow), "leash_listPermissions", json!([{}]))
        .await;
    assert_eq!((status, code(&error)), (429, -32005));
    assert!(error["message"].as_str().unwrap().contains("retry in"));
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_that_could_not_be_enforced_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), None, &[]);
    let admin = admin_secret(dir.path(), None);
    let (_, app) = app_key(&server, &admin, &[ACCOUNT_A, ACCOUNT_B], json!({})).await;

    let mut no_fee = request(ACCOUNT_A);
    no_fee["permissions"].as_array_mut().unwrap().pop();
    let (_, error) = server
        .err(Some(&app), "wallet_grantPermissions", json!([no_fee]))
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("fee budget"),
        "{error}"
    );

    let mut millis = request(ACCOUNT_A);
    millis["expiry"] = json!((now() + 3600) * 1000);
    let (_, error) = server
        .err(Some(&app), "wallet_grantPermissions", json!([millis]))
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("milliseconds"),
        "{error}"
    );

    let mut other_chain = request(ACCOUNT_A);
    other_chain["chainId"] = json!("0x1");
    let (_, error) = server
        .err(Some(&app), "wallet_grantPermissions", json!([other_chain]))
        .await;
    assert!(matches!(code(&error), 5710 | -32602), "{error}");

    let mut no_account = request(ACCOUNT_A);
    no_account.as_object_mut().unwrap().remove("address");
    let (_, error) = server
        .err(Some(&app), "wallet_grantPermissions", json!([no_account]))
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("address"),
        "{error}"
    );

    let (_, error) = server
        .err(
            Some(&app),
            "wallet_sendCalls",
            transfer(ACCOUNT_A, "0x1234", 1),
        )
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("bundler"),
        "no bundler: {error}"
    );
    let (_, error) = server
        .err(
            Some(&app),
            "leash_signCalls",
            transfer(ACCOUNT_A, "0x1234", 1),
        )
        .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("permission context"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_only_a_data_dir_it_starts_on_the_embedded_store_and_makes_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    // No --chain-id, no node, no LEASH_SERVE_SECRET: the defaults (only --listen moves the port).
    let mut command = leash();
    command.env_remove("LEASH_SERVE_SECRET");
    let server = Server::spawn(command, dir.path(), &["--listen", "127.0.0.1:0"]);
    let secret_file = dir.path().join("serve-secret");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&secret_file).unwrap().permissions(),
    );
    assert_eq!(
        mode & 0o777,
        0o600,
        "the generated service secret is private"
    );
    assert!(dir.path().join("serve.db").exists());
    let admin = admin_secret(dir.path(), None);
    let (_, app) = app_key(&server, &admin, &[ACCOUNT_A], json!({})).await;
    let granted = server
        .ok(&app, "wallet_grantPermissions", json!([request(ACCOUNT_A)]))
        .await;
    assert_eq!(
        granted["chainId"],
        format!("{CHAIN_ID:#x}"),
        "the request names the chain"
    );
    let mut no_chain = request(ACCOUNT_A);
    no_chain.as_object_mut().unwrap().remove("chainId");
    let (_, error) = server
        .err(Some(&app), "wallet_grantPermissions", json!([no_chain]))
        .await;
    assert!(
        error["message"].as_str().unwrap().contains("chainId"),
        "{error}"
    );
    let context = granted["context"].as_str().unwrap();
    let signed = server
        .ok(&app, "leash_signCalls", transfer(ACCOUNT_A, context, 5))
        .await;
    assert_eq!(signed["chainId"], format!("{CHAIN_ID:#x}"));
    // The logs never carry a secret or a key.
    let logs = server.logs();
    assert!(logs.contains("leash_signCalls"), "{logs}");
    for secret in [&admin, &app] {
        assert!(!logs.contains(secret.as_str()), "a secret in the logs");
    }
    assert!(!logs.contains(&std::fs::read_to_string(&secret_file).unwrap()));
}
