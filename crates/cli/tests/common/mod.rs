//! Runs the real `leash` binary in a temporary data directory and normalises its output.

#![allow(dead_code, unreachable_pub)]

pub mod anvil;
pub mod checksum;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The password the tests put in `LEASH_TEST_PASSWORD`.
pub const PASSWORD: &str = "correct horse battery staple";
/// An account address used by the tests.
pub const ACCOUNT: &str = "0x1111111111111111111111111111111111111111";
/// A module address used by the tests.
pub const MODULE: &str = "0x2222222222222222222222222222222222222222";
/// EntryPoint v0.7.
pub const ENTRY_POINT: &str = "0x0000000071727De22E5E9d8BAf0edAc6f37da032";
/// The token of the test permission file.
pub const TOKEN: &str = "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238";

/// A valid permission file: transfer() on TOKEN, 5,000,000 units, fee budget, until 2100.
pub const PERMISSIONS: &str = r#"{
  "validAfter": 0,
  "validUntil": 4102444800,
  "maxUses": 10,
  "feeBudget": "1000000000000000",
  "calls": [{ "target": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "selector": "transfer(address,uint256)" }],
  "tokens": [{ "token": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", "amount": "5000000" }]
}"#;

/// What one run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout, normalised.
    pub fn out(&self) -> String {
        normalise(&self.stdout)
    }

    /// stderr, normalised.
    pub fn err(&self) -> String {
        normalise(&self.stderr)
    }

    /// stdout as JSON, whose addresses must all be checksummed (EIP-55): every test that
    /// reads a JSON result checks it.
    pub fn json(&self) -> serde_json::Value {
        let value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout));
        checksum::assert_checksummed("leash --json", &value);
        value
    }
}

/// A temporary data directory and files.
pub struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The data directory given to leash.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Writes `text` to `name` in the temp dir and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// Runs `leash args...` with stdin closed (never a terminal).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// [`Env::run`] with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_leash"))
            .args(args)
            // Connection settings of the machine running the tests must not leak in.
            .env_remove("ETH_RPC_URL")
            .env_remove("ETH_RPC_TIMEOUT")
            .env_remove("LEASH_RPC_CA_CERT")
            // Nor cast's keystore settings.
            .env_remove("ETH_PASSWORD")
            .env_remove("FOUNDRY_KEYSTORES_DIR")
            .env_remove("ETH_KEYSTORE")
            .env_remove("ETH_KEYSTORE_ACCOUNT")
            .envs(vars.iter().copied())
            .env("LEASH_DATA_DIR", self.data_dir())
            .env("LEASH_TEST_PASSWORD", PASSWORD)
            .env("LEASH_WRONG_PASSWORD", "not the password")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .output()
            .expect("run leash");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }

    /// Creates a session from [`PERMISSIONS`] and returns its local id.
    pub fn create(&self, label: &str) -> String {
        let permissions = self.file("perm.json", PERMISSIONS);
        let run = self.run(&[
            "--json",
            "session",
            "create",
            "--permissions",
            path(&permissions),
            "--account",
            ACCOUNT,
            "--chain-id",
            "8453",
            "--entry-point",
            ENTRY_POINT,
            "--module",
            MODULE,
            "--label",
            label,
            "--password-env",
            "LEASH_TEST_PASSWORD",
        ]);
        run.expect_code(0);
        run.json()["localId"].as_str().expect("localId").to_owned()
    }
}

/// A path as a flag value.
pub fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Replaces the parts that change from run to run: `s_` ids → `<id>`, 32-byte hex → `<hash>`,
/// 20-byte hex → `<addr>`, longer hex → `<hex>`, RFC 3339 times → `<time>`, and the temp
/// directory's paths → `<tmp>`.
pub fn normalise(text: &str) -> String {
    let tmp = std::env::temp_dir();
    let text = text.replace(path(&tmp).trim_end_matches('/'), "<tmp>");
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"0x") {
            let run = hex_len(&bytes[i + 2..]);
            let replacement = match run {
                40 => Some("<addr>"),
                64 => Some("<hash>"),
                n if n > 64 => Some("<hex>"),
                _ => None,
            };
            if let Some(replacement) = replacement {
                out.push_str(replacement);
                i += 2 + run;
                continue;
            }
        }
        if bytes[i..].starts_with(b"s_") && hex_len(&bytes[i + 2..]) == 16 {
            out.push_str("<id>");
            i += 18;
            continue;
        }
        if is_time(&bytes[i..]) {
            out.push_str("<time>");
            i += 20;
            continue;
        }
        let ch = text[i..].chars().next().expect("char");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn hex_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_hexdigit()).count()
}

/// `dddd-dd-ddTdd:dd:ddZ`.
fn is_time(bytes: &[u8]) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";
    bytes.len() >= SHAPE.len()
        && SHAPE.iter().zip(bytes).all(|(shape, byte)| match shape {
            b'd' => byte.is_ascii_digit(),
            other => other == byte,
        })
}
