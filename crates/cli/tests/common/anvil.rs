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
