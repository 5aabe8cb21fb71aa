//! Two `leash serve` replicas on one store: a revoke or a key rotation through one holds on the
//! other at the next request; concurrent signing through both never reuses a nonce and loses
//! nothing; the audit chain stays linear and verifies. On a shared SQLite file always, on
//! PostgreSQL when `LEASH_TEST_POSTGRES_URL` is set (scripts/postgres-test.sh sets it).

mod serve_support;

use serde_json::json;
use serve_support::*;

const ACCOUNT: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

async fn two_replicas_share_one_store(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite;
    let database = match database {
        Some(url) => url.to_owned(),
        None => {
            sqlite = dir.path().join("shared.db").display().to_string();
            sqlite.clone()
        }
    };
    let one = std::sync::Arc::new(Server::start(dir.path(), Some(&database), &[]));
    let two = std::sync::Arc::new(Server::start(dir.path(), Some(&database), &[]));
    let admin = admin_secret(dir.path(), Some(&database));
    let (id, app) = app_key(
        &one,
        &admin,
        &[ACCOUNT],
        json!({"rateLimitPerMinute": 100000}),
    )
    .await;

    let granted = one
        .ok(&app, "wallet_grantPermissions", json!([request(ACCOUNT)]))
        .await;
    let context = granted["context"].as_str().unwrap().to_owned();
    two.ok(&app, "leash_listPermissions", json!([{"address": ACCOUNT}]))
        .await;

    const PER_REPLICA: usize = 15;
    let mut tasks = Vec::new();
    for server in [one.clone(), two.clone()] {
        for _ in 0..PER_REPLICA {
            let (server, app, context) = (server.clone(), app.clone(), context.clone());
            tasks.push(tokio::spawn(async move {
                server
                    .ok(&app, "leash_signCalls", transfer(ACCOUNT, &context, 1))
                    .await["nonceSeq"]
                    .as_u64()
                    .unwrap()
            }));
        }
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..(2 * PER_REPLICA) as u64).collect::<Vec<_>>(),
        "no nonce twice, none lost"
    );

    two.ok(
        &app,
        "wallet_revokePermissions",
        json!([{"permissionContext": context}]),
    )
    .await;
    let (_, error) = one
        .err(
            Some(&app),
            "leash_signCalls",
            transfer(ACCOUNT, &context, 1),
        )
        .await;
    assert_eq!(
        error["data"]["reason"], "PermissionRevoked",
        "a revoke through one replica holds on the other"
    );

    let rotated = two
        .ok(&admin, "leash_rotateApiKey", json!([{"id": id}]))
        .await;
    let (status, _) = one
        .err(Some(&app), "leash_listPermissions", json!([{}]))
        .await;
    assert_eq!(
        status, 401,
        "a rotation through one replica holds on the other"
    );
    one.ok(
        rotated["secret"].as_str().unwrap(),
        "leash_listPermissions",
        json!([{}]),
    )
    .await;

    let audit = one.ok(&admin, "leash_verifyAudit", json!([])).await;
    assert_eq!(audit["intact"], true, "{audit}");
    // admin key, app key, grant, 30 signatures, revoke, rotate.
    assert!(audit["entries"].as_u64().unwrap() >= 35, "{audit}");
    for server in [one, two] {
        let server = std::sync::Arc::try_unwrap(server)
            .ok()
            .expect("no request in flight");
        assert!(server.stop().success(), "SIGTERM stops a replica cleanly");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_one_sqlite_file() {
    two_replicas_share_one_store(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_one_postgres_database() {
    let Ok(url) = std::env::var("LEASH_TEST_POSTGRES_URL") else {
        eprintln!("postgres replica test SKIPPED: LEASH_TEST_POSTGRES_URL unset (run scripts/postgres-test.sh)");
        return;
    };
    two_replicas_share_one_store(Some(&url)).await;
}
