//! One module per command group; each prints its own result.

pub(crate) mod account;
pub(crate) mod apikey;
pub(crate) mod audit;
pub(crate) mod check7562;
pub(crate) mod deploy;
pub(crate) mod enable;
pub(crate) mod grant;
pub(crate) mod key;
pub(crate) mod op;
pub(crate) mod session;

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use leash_keys::Store;

use crate::exit::{usage, Exit};

/// The data directory: `--data-dir`, `$LEASH_DATA_DIR` (clap reads both), else
/// `~/.local/share/leash`.
pub(crate) fn data_dir(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir);
    }
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(Path::new(&home).join(".local/share/leash")),
        _ => Err(usage(
            "no data directory: HOME is not set",
            "pass --data-dir DIR or set LEASH_DATA_DIR",
        )),
    }
}

/// Opens (creating if needed) the store in `dir`.
pub(crate) fn open_store(dir: &Path) -> anyhow::Result<Store> {
    leash_keys::db::set_lock_wait_notice(|| {
        eprintln!(
            "waiting for the registry's write lock: another leash command is changing this \
             store (e.g. a session create, or an op being signed); giving up after 30 s"
        );
    });
    let store = Store::open(dir)?;
    for path in store.cleaned_staging() {
        eprintln!(
            "note: removed {}, left by an interrupted `session create` (it held only an \
             encrypted key no session uses)",
            path.display()
        );
    }
    Ok(store)
}

/// `--entry-point` as every command reads it: `v0.7`, `v0.8` (also `0.7`, `v07`, `07`...)
/// for the canonical EntryPoints, or any 0x address.
pub(crate) fn parse_entry_point_address(text: &str) -> anyhow::Result<Address> {
    if let Ok(version) = text.parse::<leash_userop::EntryPointVersion>() {
        return Ok(version.canonical_address());
    }
    text.parse().map_err(|_| {
        usage(
            format!("--entry-point {text:?}: neither v0.7, v0.8 nor an address"),
            "write v0.7, v0.8 or the EntryPoint's 0x address",
        )
    })
}

/// Parses the address given to `flag`.
pub(crate) fn parse_address(flag: &str, text: &str) -> anyhow::Result<Address> {
    text.parse().map_err(|_| {
        usage(
            format!("{flag} {text:?}: not a 20-byte 0x address"),
            "write the address as 0x followed by 40 hex digits",
        )
    })
}

/// Reads a file given to `flag`; a missing file is "not found" (exit 4).
pub(crate) fn read_file(flag: &str, path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|error| {
        let exit = if error.kind() == std::io::ErrorKind::NotFound {
            Exit::NotFound
        } else {
            Exit::Usage
        };
        crate::exit::fail(
            exit,
            format!("{flag} {}: {error}", path.display()),
            Some("check the path"),
        )
    })
}

/// A current-thread async runtime for the network commands.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
