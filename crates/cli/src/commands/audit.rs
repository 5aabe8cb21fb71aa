//! `leash audit verify|export|head`.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use leash_keys::audit::AuditHead;
use serde_json::json;

use super::open_store;
use crate::cli::{AuditCommand, VerifyArgs};
use crate::exit::{fail, usage, Exit};
use crate::output::Ui;

/// Runs an `audit` subcommand against the store in `dir`.
pub(crate) fn run(command: AuditCommand, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    let store = open_store(dir)?;
    match command {
        AuditCommand::Verify(args) => verify(&store, args, ui),
        AuditCommand::Export => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match store.audit_export(&mut out).map(|()| out.flush()) {
                Ok(Ok(())) => Ok(()),
                // A closed pipe (`leash audit export | head`) is the reader's choice.
                Ok(Err(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Ok(Err(error)) => Err(error.into()),
                Err(leash_keys::Error::Audit(leash_keys::audit::AuditError::Io(error)))
                    if error.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    Ok(())
                }
                Err(error) => Err(error.into()),
            }
        }
        AuditCommand::Head => {
            let head = store.audit_head()?.ok_or_else(|| {
                fail(
                    Exit::NotFound,
                    "the audit log is empty",
                    Some("entries appear once sessions are created"),
                )
            })?;
            ui.result(&json!({"seq": head.seq, "hash": head.hash}), || {
                head.to_string()
            });
            Ok(())
        }
    }
}

fn verify(store: &leash_keys::Store, args: VerifyArgs, ui: Ui) -> anyhow::Result<()> {
    let anchor = args
        .anchor
        .as_deref()
        .map(|text| {
            AuditHead::from_str(text)
                .map_err(|reason| usage(reason, "pass the output of `leash audit head`"))
        })
        .transpose()?;
    let report = store.audit_verify(anchor.as_ref())?;
    if let Some(problem) = &report.problem {
        return Err(fail(
            Exit::Integrity,
            format!("audit log broken: {problem}"),
            Some("the log was changed outside leash; compare with a backup or an exported copy"),
        ));
    }
    let head = report.head.map(|h| h.to_string());
    ui.result(
        &json!({"intact": true, "entries": report.entries, "head": head, "anchored": anchor.is_some()}),
        || {
            format!(
                "audit log intact: {} entries{}{}",
                report.entries,
                head.as_deref()
                    .map(|h| format!(", head {h}"))
                    .unwrap_or_default(),
                if anchor.is_some() { ", anchor matches" } else { "" }
            )
        },
    );
    Ok(())
}
