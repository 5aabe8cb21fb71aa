//! A `leash serve` process for tests: started on a free loopback port, stopped (SIGTERM) when
//! dropped; JSON-RPC over HTTP with a bearer key; the admin CLI.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

#[path = "../common/checksum.rs"]
pub mod checksum;

/// The service secret every test server uses.
pub const SECRET: &str = "1111111111111111111111111111111111111111111111111111111111111111";
/// The chain the servers serve (no node).
pub const CHAIN_ID: u64 = 31337;

pub fn leash() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leash"));
    command
        .env("LEASH_SERVE_SECRET", SECRET)
        .env_remove("ETH_RPC_URL")
        .env_remove("LEASH_DATABASE_URL");
    command
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A running server.
pub struct Server {
    child: Child,
    pub url: String,
    pub dir: PathBuf,
    logs: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `leash serve` on `dir` (and `database` when given) without a node.
    pub fn start(dir: &Path, database: Option<&str>, extra: &[&str]) -> Self {
        let chain = CHAIN_ID.to_string();
        let mut args = vec!["--listen", "127.0.0.1:0", "--chain-id", &chain];
        if let Some(url) = database {
            args.extend(["--database", url]);
        }
        args.extend(extra);
        Self::spawn(leash(), dir, &args)
    }

    /// Starts `command serve ARGS` on `dir` and waits for its ready line.
    pub fn spawn(mut command: Command, dir: &Path, args: &[&str]) -> Self {
        command
            .arg("--data-dir")
            .arg(dir)
            .arg("serve")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("leash serve starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("leash serve printed its ready line")
                .unwrap();
            if let Some(rest) = line.strip_prefix("leash serve: listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining the logs so the server never blocks on a full pipe.
        let logs = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        Self {
            child,
            url,
            dir: dir.to_path_buf(),
            logs,
        }
    }

    /// What the server logged so far.
    pub fn logs(&self) -> String {
        std::thread::sleep(std::time::Duration::from_millis(200));
        self.logs.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits: the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }

    /// One JSON-RPC call: (HTTP status, body).
    pub async fn call(&self, secret: Option<&str>, method: &str, params: Value) -> (u16, Value) {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        self.post(secret, body.to_string()).await
    }

    /// A raw POST.
    pub async fn post(&self, secret: Option<&str>, body: String) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut request = client
            .post(format!("{}/", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(secret) = secret {
            request = request.bearer_auth(secret);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The result of a call that must succeed.
    pub async fn ok(&self, secret: &str, method: &str, params: Value) -> Value {
        let (status, body) = self.call(Some(secret), method, params).await;
        assert_eq!(status, 200, "{method}: {body}");
        assert!(body.get("error").is_none(), "{method} failed: {body}");
        // Every result of every serve test: addresses are checksummed (EIP-55).
        checksum::assert_checksummed(method, &body["result"]);
        body["result"].clone()
    }

    /// The error of a call that must fail: (HTTP status, error object).
    pub async fn err(&self, secret: Option<&str>, method: &str, params: Value) -> (u16, Value) {
        let (status, body) = self.call(secret, method, params).await;
        assert!(body.get("error").is_some(), "{method} should fail: {body}");
        (status, body["error"].clone())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `leash --json apikey ARGS` on `dir`: its JSON output.
pub fn apikey(dir: &Path, database: Option<&str>, args: &[&str]) -> Value {
    let mut command = leash();
    command
        .arg("--json")
        .arg("--data-dir")
        .arg(dir)
        .arg("apikey")
        .args(args);
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "apikey {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = serde_json::from_slice(&out.stdout).unwrap();
    checksum::assert_checksummed(&format!("apikey {args:?}"), &value);
    value
}

/// A new admin key made with the CLI: its secret.
pub fn admin_secret(dir: &Path, database: Option<&str>) -> String {
    let key = apikey(
        dir,
        database,
        &["create", "--name", "admin", "--role", "admin"],
    );
    key["secret"].as_str().unwrap().to_owned()
}

/// An app key for `accounts` made over HTTP by `admin`: (id, secret).
pub async fn app_key(
    server: &Server,
    admin: &str,
    accounts: &[&str],
    extra: Value,
) -> (String, String) {
    let mut params = json!({"name": "app", "role": "app", "accounts": accounts});
    if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
        params.extend(extra.clone());
    }
    let key = server
        .ok(admin, "leash_createApiKey", json!([params]))
        .await;
    (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    )
}

/// The token the test permissions limit.
pub const TOKEN: &str = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

/// An ERC-7715 request (viem's list form) for `account`: 100 tokens, a fee budget, an hour.
pub fn request(account: &str) -> Value {
    json!({
        "chainId": format!("{CHAIN_ID:#x}"),
        "address": account,
        "expiry": now() + 3600,
        "permissions": [
            {"type": "erc20-token-transfer", "data": {"address": TOKEN, "ticker": "MOCK"},
             "policies": [{"type": "token-allowance", "data": {"allowance": "0x56bc75e2d63100000"}}], "required": true},
            {"type": "gas-limit", "data": {"limit": "0x2386f26fc10000"}, "policies": [], "required": true}
        ]
    })
}

/// `wallet_sendCalls`-shaped params: one token transfer under `context`.
pub fn transfer(account: &str, context: &str, amount: u64) -> Value {
    let recipient = "0x000000000000000000000000000000000000beef";
    let data = format!("0xa9059cbb{:0>64}{:064x}", &recipient[2..], amount);
    json!([{
        "version": "2.0.0",
        "chainId": format!("{CHAIN_ID:#x}"),
        "from": account,
        "calls": [{"to": TOKEN, "data": data, "value": "0x0"}],
        "capabilities": {"permissions": {"context": context}},
        "atomicRequired": true
    }])
}
