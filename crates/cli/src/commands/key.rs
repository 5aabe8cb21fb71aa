//! `leash key export|import`.

use std::path::Path;

use serde_json::json;

use super::open_store;
use crate::cli::{ExportArgs, KeyCommand, KeyImportArgs};
use crate::output::Ui;
use crate::password::{self, Purpose};

/// Runs a `key` subcommand against the store in `dir`.
pub(crate) fn run(command: KeyCommand, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    match command {
        KeyCommand::Export(args) => export(dir, args, ui),
        KeyCommand::Import(args) => import(dir, args, ui),
    }
}

/// `key import` is `session create` with the key imported: one implementation, so the
/// imported key is checked, re-encrypted, audited and reported exactly as there.
fn import(dir: &Path, args: KeyImportArgs, ui: Ui) -> anyhow::Result<()> {
    let mut store = open_store(dir)?;
    super::session::create(&mut store, args.create, ui)
}

fn export(dir: &Path, args: ExportArgs, ui: Ui) -> anyhow::Result<()> {
    let mut store = open_store(dir)?;
    let source = password::source(&args.password, Purpose::Unlock)?;
    let key = store.export_private_key(&args.id, &source)?;
    let secret = key.to_hex();
    let warning = format!(
        "this is session {}'s private key in clear: whoever holds it can spend the session's \
         grant. The export was recorded in the audit log. Store it like a password; revoke \
         the session if it leaks.",
        args.id
    );
    ui.warn(&warning);
    ui.result(
        &json!({
            "localId": args.id,
            "address": key.address(),
            "privateKey": secret.as_str(),
            "warning": warning,
        }),
        || secret.as_str().to_owned(),
    );
    Ok(())
}
