//! The ABI files the `sol!` bindings are generated from (`crates/contracts/abi/`) are the ABIs of
//! the contracts as compiled now.
//!
//! The bindings read committed files because `sol!` needs a literal path and a file that exists
//! before the build script runs; this test is what keeps those files from going stale. After a
//! change to a contract's external surface, regenerate them with
//! `LEASH_WRITE_ABI=1 cargo test -p leash-contracts --test abi_fresh` and commit the result.

use leash_contracts::artifact;
use std::{collections::BTreeSet, fs, path::PathBuf};

/// The command that rewrites every committed ABI file from the fresh artifacts.
const REGENERATE: &str = "LEASH_WRITE_ABI=1 cargo test -p leash-contracts --test abi_fresh";

/// Contracts whose ABI a `sol!` binding reads (`abi/<name>.json`), in this crate or in
/// leash-keys (which points `sol!` at `SessionKeyValidator.json` by a relative path).
const BOUND: &[&str] = &[
    "SessionKeyValidator",
    "TestAccount",
    "TestAccountFactory",
    "OwnerValidator",
    "MockERC20",
    "RecordingTarget",
    "AcceptAllPaymaster",
];

fn abi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("abi")
}

/// The committed form of `name`'s ABI: pretty JSON with a final newline, so a diff of the file
/// reads as a diff of the contract's external surface.
fn fresh_abi(name: &str) -> String {
    let compiled = artifact(name).unwrap_or_else(|error| panic!("{error}"));
    let mut text = serde_json::to_string_pretty(&compiled.abi).expect("an ABI serializes");
    text.push('\n');
    text
}

#[test]
fn committed_abi_files_match_the_compiled_contracts() {
    let dir = abi_dir();
    let write = std::env::var_os("LEASH_WRITE_ABI").is_some_and(|value| value == "1");
    if write {
        fs::create_dir_all(&dir).expect("create crates/contracts/abi");
    }

    let mut problems = Vec::new();
    for name in BOUND {
        let path = dir.join(format!("{name}.json"));
        let fresh = fresh_abi(name);
        if write {
            fs::write(&path, &fresh).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(committed) if committed == fresh => {}
            Ok(_) => problems.push(format!(
                "{} differs from the compiled {name}",
                path.display()
            )),
            Err(error) => problems.push(format!("{} cannot be read: {error}", path.display())),
        }
    }

    let expected: BTreeSet<String> = BOUND.iter().map(|name| format!("{name}.json")).collect();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let file_name = entry.expect("a directory entry").file_name();
        let file_name = file_name.to_string_lossy().into_owned();
        if !expected.contains(&file_name) {
            problems.push(format!(
                "{} is not read by any binding: delete it, or add its contract to BOUND in {}",
                dir.join(&file_name).display(),
                file!()
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "the committed ABI files are stale:\n  {}\nregenerate them with `{REGENERATE}` \
         (from the repository root) and commit crates/contracts/abi/",
        problems.join("\n  ")
    );
}
