//! A real anvil for the tests that need a chain (node_modules/.bin/anvil, started on a free
//! port, killed when the guard drops). Tests skip, with a message, only when node_modules is
//! missing (run `make setup`).

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `node_modules/.bin/NAME`, or `None` (with a SKIPPED message) when it is missing.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = root().join("node_modules/.bin").join(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: node_modules/.bin/{name} is missing; run `make setup` (npm ci) first");
        None
    }
}

/// Runs foundry's `cast` (next to anvil) with `args`; its trimmed stdout. Panics, with cast's
/// stderr, when it fails.
pub fn cast(args: &[&str]) -> String {
    let cast = tool("cast").expect("cast next to anvil");
    let output = Command::new(cast).args(args).output().expect("run cast");
    assert!(
        output.status.success(),
        "cast {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// A running anvil, killed on drop.
pub struct Anvil {
    child: Child,
    /// Its JSON-RPC URL.
    pub url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts anvil on a free port and waits (bounded) until its port accepts connections.
pub fn start_anvil() -> Option<Anvil> {
    let binary = tool("anvil")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local address")
        .port();
    let child = Command::new(binary)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--silent",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("anvil starts");
    let anvil = Anvil {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "anvil did not listen on {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(anvil)
}

/// anvil's first dev account (unlocked: `--unlocked` / `cast send --unlocked --from`).
pub const DEV_ACCOUNT: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// Deploys the session-key module with `leash --json deploy` from the dev account; its address.
pub fn deploy_module(env: &super::Env, url: &str) -> String {
    let deployed = env.run(&[
        "--json",
        "deploy",
        "--rpc-url",
        url,
        "--unlocked",
        DEV_ACCOUNT,
    ]);
    deployed.expect_code(0);
    deployed.json()["address"]
        .as_str()
        .expect("deploy prints the module's address")
        .to_owned()
}

/// Deploys the compiled contract `name` (its creation code followed by the ABI-encoded
/// `constructor_args`, hex, `0x` or empty for none) from the dev account with `cast send
/// --create`; its address.
pub fn create_contract(url: &str, name: &str, constructor_args: &str) -> String {
    let code = &leash_contracts::artifact(name)
        .unwrap_or_else(|error| panic!("the artifact of {name}: {error}"))
        .bytecode;
    let receipt: serde_json::Value = serde_json::from_str(&cast(&[
        "send",
        "--unlocked",
        "--from",
        DEV_ACCOUNT,
        "--rpc-url",
        url,
        "--json",
        "--create",
        &format!("{code}{}", constructor_args.trim_start_matches("0x")),
    ]))
    .expect("cast send --json prints a receipt");
    receipt["contractAddress"]
        .as_str()
        .expect("the receipt names the created contract")
        .to_owned()
}
