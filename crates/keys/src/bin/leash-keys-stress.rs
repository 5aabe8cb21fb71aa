//! Test helper for tests/concurrency.rs: a separate OS process that writes to a store.
//!
//! ```text
//! leash-keys-stress churn <data_dir> <registry_ops> <store_ops>
//!     creates <registry_ops> sessions through the registry (revoking every second one,
//!     pausing every third) and <store_ops> through the full store (real encrypted keys,
//!     password from LEASH_STRESS_PASSWORD), then exits.
//! leash-keys-stress forever <data_dir>
//!     creates and revokes sessions until killed.
//! ```
//!
//! Every committed change is printed as `<event> <local_id>` and flushed at once, so the
//! parent knows exactly what was committed before the process died.

use std::io::Write;
use std::process::ExitCode;

use alloy::primitives::{Address, FixedBytes, B256};
use leash_keys::permissions::{CallGrant, Selector, SessionSpec, Target};
use leash_keys::registry::{NewSession, Registry};
use leash_keys::store::{default_actor, CreateRequest, Store, REGISTRY_FILE};
use leash_keys::PasswordSource;
use rand::RngCore;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["churn", dir, registry_ops, store_ops] => {
            match (registry_ops.parse(), store_ops.parse()) {
                (Ok(r), Ok(s)) => churn(dir, r, s),
                _ => Err("churn: counts must be integers".to_owned()),
            }
        }
        ["forever", dir] => forever(dir),
        _ => Err(
            "usage: leash-keys-stress churn <dir> <registry_ops> <store_ops> | forever <dir>"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leash-keys-stress: {e}");
            ExitCode::FAILURE
        }
    }
}

fn emit(event: &str, id: &str) {
    let mut out = std::io::stdout().lock();
    // The parent relies on every line arriving before the next change starts.
    let _ = writeln!(out, "{event} {id}");
    let _ = out.flush();
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn spec() -> SessionSpec {
    SessionSpec {
        valid_until: 4_000_000_000,
        calls: vec![CallGrant {
            target: Target::Exact(Address::repeat_byte(0x11)),
            selector: Selector::Exact(FixedBytes([0xa9, 0x05, 0x9c, 0xbb])),
        }],
        salt: B256::from(random::<32>()),
        ..SessionSpec::default()
    }
}

/// A record that names a keystore file without writing one: registry-only load.
fn new_session(label: String) -> NewSession {
    let u = random::<16>();
    let hex = alloy::hex::encode(u);
    NewSession {
        label,
        account: Address::repeat_byte(0xAA),
        chain_id: 31337,
        entry_point: Address::repeat_byte(0xEE),
        module: Address::repeat_byte(0x77),
        spec: SessionSpec {
            signer: Address::from(random::<20>()),
            ..spec()
        },
        keystore_file: format!(
            "{}-{}-{}-{}-{}.json",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ),
    }
}

fn churn(dir: &str, registry_ops: usize, store_ops: usize) -> Result<(), String> {
    let pid = std::process::id();
    let mut registry = Registry::open(
        &std::path::Path::new(dir).join(REGISTRY_FILE),
        default_actor(),
    )
    .map_err(|e| e.to_string())?;
    for i in 0..registry_ops {
        let record = registry
            .create(new_session(format!("worker {pid} #{i}")))
            .map_err(|e| e.to_string())?;
        emit("created", &record.local_id);
        if i % 3 == 0 {
            registry
                .pause(&record.local_id)
                .map_err(|e| e.to_string())?;
            emit("paused", &record.local_id);
        }
        if i % 2 == 0 {
            registry
                .revoke(&record.local_id, "stress")
                .map_err(|e| e.to_string())?;
            emit("revoked", &record.local_id);
        }
    }
    drop(registry);
    let mut store = Store::open(dir).map_err(|e| e.to_string())?;
    let password = PasswordSource::Env("LEASH_STRESS_PASSWORD".to_owned());
    for i in 0..store_ops {
        let record = store
            .create_session(
                CreateRequest {
                    label: format!("worker {pid} key #{i}"),
                    account: Address::repeat_byte(0xAA),
                    chain_id: 31337,
                    entry_point: Address::repeat_byte(0xEE),
                    module: Address::repeat_byte(0x77),
                    spec: spec(),
                },
                &password,
            )
            .map_err(|e| e.to_string())?;
        emit("created", &record.local_id);
        store
            .sign_op(
                &record.local_id,
                B256::from(random::<32>()),
                None,
                &password,
            )
            .map_err(|e| e.to_string())?;
        emit("signed", &record.local_id);
    }
    Ok(())
}

fn forever(dir: &str) -> Result<(), String> {
    let mut registry = Registry::open(&std::path::Path::new(dir).join(REGISTRY_FILE), "stress")
        .map_err(|e| e.to_string())?;
    for i in 0u64.. {
        let record = registry
            .create(new_session(format!("forever #{i}")))
            .map_err(|e| e.to_string())?;
        emit("created", &record.local_id);
        if i % 2 == 0 {
            registry
                .revoke(&record.local_id, "crash test")
                .map_err(|e| e.to_string())?;
            emit("revoked", &record.local_id);
        }
    }
    Ok(())
}
