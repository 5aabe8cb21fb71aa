//! Several OS processes writing one store at once, and a writer killed mid-write.
//! The writers are the `leash-keys-stress` helper binary of this crate.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use leash_keys::registry::{Filter, Registry, Status};
use leash_keys::store::REGISTRY_FILE;
use rand::Rng;

const STRESS: &str = env!("CARGO_BIN_EXE_leash-keys-stress");

/// Events a child printed, per local id.
fn parse_events(output: &str) -> HashMap<String, Vec<String>> {
    let mut events: HashMap<String, Vec<String>> = HashMap::new();
    for line in output.lines() {
        let (event, id) = line.split_once(' ').expect("event line");
        events
            .entry(id.to_owned())
            .or_default()
            .push(event.to_owned());
    }
    events
}

fn open(dir: &Path) -> Registry {
    Registry::open(&dir.join(REGISTRY_FILE), "checker").unwrap()
}

/// Every row parses, the audit chain verifies, and each committed row has exactly the audit
/// entries of the changes it went through (so no change committed without its entry).
fn check_consistent(registry: &Registry) -> Vec<leash_keys::SessionRecord> {
    assert!(
        registry.database().integrity_check().unwrap().is_empty(),
        "integrity_check failed"
    );
    let report = registry.audit_verify(None).unwrap();
    assert!(
        report.is_intact(),
        "audit chain broken: {:?}",
        report.problem
    );
    let records = registry.list(&Filter::default()).unwrap();
    let entries = registry.audit_entries(None).unwrap();
    let mut per_session: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in &entries {
        per_session
            .entry(e.session.as_deref().unwrap())
            .or_default()
            .push(e.action.as_str());
    }
    for r in &records {
        let actions = per_session
            .get(r.local_id.as_str())
            .expect("a row without audit entries");
        assert_eq!(actions[0], "create", "{}", r.local_id);
        assert_eq!(
            r.status == Status::Revoked,
            actions.contains(&"revoke"),
            "{}: status {} vs audit {actions:?}",
            r.local_id,
            r.status
        );
    }
    assert_eq!(
        per_session.len(),
        records.len(),
        "audit entries for sessions that have no row"
    );
    records
}

#[test]
fn four_processes_write_concurrently_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    // Create the schema once so the children race on data, not on the first migration.
    drop(open(dir.path()));
    const WORKERS: usize = 4;
    const REGISTRY_OPS: usize = 40;
    const STORE_OPS: usize = 2;
    let children: Vec<_> = (0..WORKERS)
        .map(|_| {
            Command::new(STRESS)
                .args(["churn", dir.path().to_str().unwrap()])
                .arg(REGISTRY_OPS.to_string())
                .arg(STORE_OPS.to_string())
                .env("LEASH_STRESS_PASSWORD", "stress password")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut events = HashMap::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "worker failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        events.extend(parse_events(&String::from_utf8(out.stdout).unwrap()));
    }

    let registry = open(dir.path());
    let records = check_consistent(&registry);
    let per_worker = REGISTRY_OPS + STORE_OPS;
    assert_eq!(records.len(), WORKERS * per_worker);
    assert_eq!(events.len(), WORKERS * per_worker);
    let by_id: HashMap<_, _> = records.iter().map(|r| (r.local_id.clone(), r)).collect();
    let mut expected_entries = 0;
    for (id, evs) in &events {
        let record = by_id.get(id).unwrap_or_else(|| panic!("{id} lost"));
        let expected = if evs.contains(&"revoked".to_owned()) {
            Status::Revoked
        } else if evs.contains(&"paused".to_owned()) {
            Status::Paused
        } else {
            Status::Active
        };
        assert_eq!(record.status, expected, "{id}");
        expected_entries += evs.len();
    }
    let revoked = records
        .iter()
        .filter(|r| r.status == Status::Revoked)
        .count();
    assert_eq!(revoked, WORKERS * REGISTRY_OPS / 2);
    assert_eq!(
        registry.audit_entries(None).unwrap().len(),
        expected_entries
    );
    // Keys written by the full store are all referenced and none is left half-written.
    let keystore = leash_keys::keystore::Keystore::open(dir.path().join("keystore")).unwrap();
    assert_eq!(keystore.file_names().unwrap().len(), WORKERS * STORE_OPS);
    let leftovers: Vec<_> = std::fs::read_dir(keystore.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn a_writer_killed_mid_write_leaves_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let mut rng = rand::thread_rng();
    let mut committed: HashMap<String, Vec<String>> = HashMap::new();
    for round in 0..4 {
        let mut child = Command::new(STRESS)
            .args(["forever", dir.path().to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert!(
            first.starts_with("created "),
            "round {round}: child did not start writing"
        );
        // Kill at a random moment while it is in its write loop.
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..400)));
        child.kill().unwrap();
        child.wait().unwrap();
        let mut rest = String::new();
        for line in stdout.lines() {
            rest.push_str(&line.unwrap());
            rest.push('\n');
        }
        for (id, evs) in parse_events(&format!("{first}{rest}")) {
            committed.entry(id).or_default().extend(evs);
        }

        // A fresh process opens the file the killed one was writing.
        let registry = open(dir.path());
        let records = check_consistent(&registry);
        let by_id: HashMap<_, _> = records.iter().map(|r| (r.local_id.clone(), r)).collect();
        for (id, evs) in &committed {
            let record = by_id
                .get(id)
                .unwrap_or_else(|| panic!("round {round}: committed {id} lost"));
            if evs.contains(&"revoked".to_owned()) {
                assert_eq!(record.status, Status::Revoked, "round {round}: {id}");
            }
        }
        // Per killed process, at most the one change in flight when it died was committed
        // without being reported.
        let reported: HashSet<_> = committed.keys().collect();
        let unreported = records
            .iter()
            .filter(|r| !reported.contains(&r.local_id))
            .count();
        assert!(
            unreported <= round + 1,
            "round {round}: {unreported} rows nobody reported"
        );
        assert!(records.len() >= committed.len());
    }
}
