//! Every custom error and event the module's sources declare is in the module's ABI, so that
//! viem (`decodeErrorResult`, `parseEventLogs`), leash's decoders and the `sol!` bindings can name
//! each revert and each log.
//!
//! solc puts an error or event into a contract's ABI only when a `revert` / `emit` statement
//! reachable from the contract names it or the contract (or a base) declares it. One raised or
//! logged only in assembly (`revert` of its selector, `log3` with its topic) is in neither: that is
//! how `Eip7702InitCallDenied` and the per-use `SessionUsed` event were missing from the ABI. The
//! committed ABI is the compiled one (`abi_fresh.rs` keeps it so).

use serde_json::Value;
use std::{collections::BTreeSet, fs, path::Path};

/// Names of the declarations `kind Name(` (`kind` is `error` or `event`) in the Solidity files
/// under `dir`, recursively.
fn declared(kind: &str, dir: &Path, names: &mut BTreeSet<String>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            declared(kind, &path, names);
        } else if path.extension().is_some_and(|ext| ext == "sol") {
            let source = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            for line in source.lines() {
                let Some(rest) = line
                    .trim_start()
                    .strip_prefix(kind)
                    .and_then(|rest| rest.strip_prefix(' '))
                else {
                    continue;
                };
                if let Some((name, _)) = rest.split_once('(') {
                    names.insert(name.trim().to_string());
                }
            }
        }
    }
}

/// Names of the ABI items of `kind` in the committed module ABI.
fn in_abi(kind: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("abi/SessionKeyValidator.json");
    let abi: Value = serde_json::from_str(
        &fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())),
    )
    .expect("the committed ABI is JSON");
    abi.as_array()
        .expect("an ABI is a JSON array")
        .iter()
        .filter(|item| item["type"] == kind)
        .filter_map(|item| item["name"].as_str().map(str::to_string))
        .collect()
}

/// Fails naming the `kind` declarations under contracts/session that the module's ABI lacks, with
/// `how_they_reach_it`: what puts such a declaration into the ABI.
fn assert_all_in_abi(
    kind: &str,
    expect_at_least: usize,
    expect_one: &str,
    how_they_reach_it: &str,
) {
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/session");
    let mut names = BTreeSet::new();
    declared(kind, &sources, &mut names);
    assert!(
        names.len() >= expect_at_least && names.contains(expect_one),
        "the scan found the module's {kind} declarations: {names:?}"
    );
    let missing: Vec<String> = names.difference(&in_abi(kind)).cloned().collect();
    assert!(
        missing.is_empty(),
        "{kind}s declared in contracts/session but missing from abi/SessionKeyValidator.json: \
         {missing:?}. {how_they_reach_it}; then regenerate the ABI with `make abi`"
    );
}

#[test]
fn every_declared_module_error_is_in_the_module_abi() {
    assert_all_in_abi(
        "error",
        50,
        "Eip7702InitCallDenied",
        "An error raised only in assembly reaches the ABI when ISessionKeyValidator declares it \
         too (see Eip7702InitCallDenied there)",
    );
}

#[test]
fn every_declared_module_event_is_in_the_module_abi() {
    assert_all_in_abi(
        "event",
        10,
        "SessionUsed",
        "An event logged only in assembly reaches the ABI when an `emit` of it is reachable (see \
         SessionCharging.charge) or ISessionKeyValidator declares it",
    );
}
