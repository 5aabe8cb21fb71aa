//! `leash demo` end to end: exit 0 and the lines that prove each expectation.

use std::process::Command;

#[test]
fn demo_runs_the_whole_lifecycle() {
    let output = Command::new(env!("CARGO_BIN_EXE_leash"))
        .arg("demo")
        .output()
        .expect("run leash demo");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "demo failed\n{stdout}\n{stderr}");
    for line in [
        "[1] Deploy on an in-process chain (revm, Cancun): EntryPoint v0.7, module, account, token",
        "minted: the account holds 1000 MOCK",
        "isModuleInstalled(validator): true",
        "keystore password: an internal random value",
        "grant: transfer() on MOCK, 100 MOCK over its life, 5 uses, fee budget 0.01 ETH",
        ") = 1 (active)",
        "holds 60 MOCK",
        "remainingOf(): 40 MOCK, 4 uses",
        "remainingOf(): 10 MOCK, 3 uses",
        "rejected: TokenAllowanceExceeded(sessionId=0x",
        "TokenAllowanceExceeded: asked 20 MOCK, left 10 MOCK",
        ": 10 MOCK, 3 uses, fee budget",
        "registry: s_",
        "(reason \"rotated\")",
        "on-chain: old revoked, new active",
        "cannot sign with it (revoked is final)",
        "the stale op signed before the rotation: rejected: SessionIsRevoked(sessionId=0x",
        "holds 100 MOCK",
        "remainingOf(): 0 MOCK, 2 uses",
        "dry run before the revocation (transfer 0 MOCK): accepted",
        "the same op now: rejected: SessionIsRevoked(sessionId=0x",
        "audit verify: 10 entries, intact; head 10:0x",
        "demo passed: 12 steps, every expectation held",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}

#[test]
fn demo_json_reports_every_step() {
    let output = Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["--json", "demo"])
        .output()
        .expect("run leash demo");
    assert!(output.status.success());
    assert!(output.stderr.is_empty(), "no progress with --json");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(value["steps"].as_array().unwrap().len(), 12);
    assert_eq!(value["auditEntries"], 10);
}
