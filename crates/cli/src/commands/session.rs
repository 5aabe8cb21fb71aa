//! `leash session create|list|show|pause|resume|rotate|revoke|delete`.

use std::path::Path;
use std::str::FromStr;

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use leash_keys::permissions::erc7715;
use leash_keys::{CreateRequest, Filter, SessionRecord, SessionSpec, Status, Store};
use leash_rpc::CallRequest;
use serde_json::{json, Value};

use super::grant::{create_call, op_json, op_lines, owner_calls_module, revoke_call};
use super::{open_store, parse_address, read_file, runtime};
use crate::cli::{
    CreateArgs, GrantArgs, ListArgs, RevokeArgs, RotateArgs, SessionCommand, ShowArgs,
};
use crate::exit::{fail, usage, Exit};
use crate::onchain;
use crate::output::Ui;
use crate::password::{self, Purpose};
use crate::render::{record_json, record_lines};
use crate::signer_source::{KeySource, KeystorePassword};
use crate::tokens::{self, TokenBook};
use crate::units::{format_ether, format_time, format_token, now, parse_amount, parse_time};

const PERMISSIONS_HINT: &str =
    "fix the value at that JSON path; the format is described in the leash-keys README";

/// Runs a `session` subcommand against the store in `dir`.
pub(crate) fn run(command: SessionCommand, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    let mut store = open_store(dir)?;
    match command {
        SessionCommand::Create(args) => create(&mut store, args, ui),
        SessionCommand::List(args) => list(&store, args, ui),
        SessionCommand::Show(args) => show(&store, args, ui),
        SessionCommand::Pause(id) => {
            let record = store.pause(&id.id)?;
            changed(&record, "paused", "pauseSession", ui);
            Ok(())
        }
        SessionCommand::Resume(id) => {
            let record = store.resume(&id.id)?;
            changed(&record, "resumed", "resumeSession", ui);
            Ok(())
        }
        SessionCommand::Grant(args) if args.enable_in_first_op => {
            super::enable::grant_in_first_op(&mut store, args, ui)
        }
        SessionCommand::Grant(args) => grant_on_chain(&store, args, ui),
        SessionCommand::Rotate(args) => rotate(&mut store, args, ui),
        SessionCommand::Revoke(args) => revoke(&mut store, args, ui),
        SessionCommand::Delete(id) => {
            let record = store.delete(&id.id)?;
            ui.result(
                &json!({"deleted": record.local_id, "sessionId": record.session_id}),
                || {
                    format!(
                        "deleted session {} (record and key file; its audit entries stay)",
                        record.local_id
                    )
                },
            );
            Ok(())
        }
    }
}

/// The permissions, account, chain and (when the request names one) signer of a new
/// session, from a permission file or an app's permission request, with the payment flags
/// applied and every new-session check passed.
struct NewGrant {
    spec: SessionSpec,
    account: Address,
    chain_id: u64,
    /// The app's key the session is granted to; `None`: leash generates the key.
    signer: Option<Address>,
}

fn grant(args: &CreateArgs) -> anyhow::Result<NewGrant> {
    let account = args
        .account
        .as_deref()
        .map(|text| parse_address("--account", text))
        .transpose()?;
    let mut grant = if let Some(path) = &args.permissions {
        let text = read_file("--permissions", path)?;
        let mut spec = SessionSpec::from_json_str(&text).map_err(|error| {
            usage(
                format!("permissions file {}: {error}", path.display()),
                PERMISSIONS_HINT,
            )
        })?;
        let account = account.ok_or_else(|| {
            usage(
                "--account is required with --permissions",
                "pass --account ADDR",
            )
        })?;
        let chain_id = args.chain_id.ok_or_else(|| {
            usage(
                "--chain-id is required with --permissions",
                "pass --chain-id N",
            )
        })?;
        // A file that names its signer grants the session to that key (the app signs).
        let signer = (!spec.signer.is_zero()).then_some(spec.signer);
        spec.signer = Address::ZERO;
        NewGrant {
            spec,
            account,
            chain_id,
            signer,
        }
    } else {
        imported(args, account)?
    };
    apply_payment_flags(args, &mut grant.spec)?;
    grant.spec.check_new(now()).map_err(|error| {
        usage(
            format!("the session would be unusable: {error}"),
            "fix the permissions (or the request) and run again",
        )
    })?;
    Ok(grant)
}

fn imported(args: &CreateArgs, account: Option<Address>) -> anyhow::Result<NewGrant> {
    let path = args.erc7715.as_ref().ok_or_else(|| {
        usage(
            "no permissions given",
            "pass --permissions FILE or --erc7715 FILE",
        )
    })?;
    let text = read_file("--erc7715", path)?;
    let context = erc7715::ImportContext {
        now: now(),
        chain_id: args.chain_id,
    };
    let imported = erc7715::import_request_in(&text, context).map_err(|error| {
        usage(
            format!("permission request {}: {error}", path.display()),
            PERMISSIONS_HINT,
        )
    })?;
    let account = match (account, imported.account) {
        (Some(flag), Some(request)) if flag != request => {
            return Err(usage(
                format!("--account {flag} differs from the request's account {request}"),
                "drop --account or make them agree",
            ))
        }
        (Some(address), _) | (None, Some(address)) => address,
        (None, None) => {
            return Err(usage(
                "the permission request names no account",
                "pass --account ADDR",
            ))
        }
    };
    Ok(NewGrant {
        spec: imported.spec,
        account,
        chain_id: imported.chain_id,
        signer: imported.signer,
    })
}

/// `--fee-budget` and `--paymaster`: how the session pays, when the permissions say nothing.
fn apply_payment_flags(args: &CreateArgs, spec: &mut SessionSpec) -> anyhow::Result<()> {
    if let Some(text) = &args.fee_budget {
        let budget = parse_amount("--fee-budget", text)?;
        if !spec.fee_budget.is_zero() && spec.fee_budget != budget {
            return Err(usage(
                format!(
                    "--fee-budget {text} differs from the fee budget the permissions set ({} wei)",
                    spec.fee_budget
                ),
                "drop --fee-budget or change the permissions",
            ));
        }
        spec.fee_budget = budget;
    }
    for text in &args.paymaster {
        let paymaster = parse_address("--paymaster", text)?;
        if !spec.paymasters.contains(&paymaster) {
            spec.paymasters.push(paymaster);
        }
    }
    Ok(())
}

/// `session create` (and `key import`, which requires an import flag).
pub(crate) fn create(store: &mut Store, args: CreateArgs, ui: Ui) -> anyhow::Result<()> {
    let grant = grant(&args)?;
    let request = CreateRequest {
        label: args.label.clone(),
        account: grant.account,
        chain_id: grant.chain_id,
        entry_point: super::parse_entry_point_address(&args.entry_point)?,
        module: parse_address("--module", &args.module)?,
        spec: grant.spec,
    };
    let imported = imported_key(&args, ui)?;
    let record =
        match (grant.signer, &imported) {
            (Some(signer), Some((key, from))) if signer != key.address() => return Err(usage(
                format!(
                    "the permission request names signer {signer}, but {from} holds the key of {}",
                    key.address()
                ),
                "import the key the request names, or drop the import to let the app hold its key",
            )),
            (_, Some((key, _))) => {
                let source = password::source(&args.password, Purpose::NewKey)?;
                ui.progress("encrypting the imported session key…");
                store.create_session_with_key(request, key, &source)?
            }
            (Some(signer), None) => store.create_external_session(request, signer)?,
            (None, None) => {
                let source = password::source(&args.password, Purpose::NewKey)?;
                ui.progress("generating and encrypting the session key…");
                store.create_session(request, &source)?
            }
        };
    let imported_from = imported.map(|(_, from)| from);
    let call = onchain::create_session_call(&record.spec)?;
    let key_holder = if record.is_external() { "app" } else { "leash" };
    let mut value = json!({
        "localId": record.local_id,
        "signer": record.signer,
        "keyHeldBy": key_holder,
        "sessionId": record.session_id,
        "payment": payment_json(&record.spec),
        "grantSessionCalldata": call,
    });
    if let Some(from) = &imported_from {
        value["importedFrom"] = json!(from);
    }
    ui.result(&value, || {
        let key = if record.is_external() {
            format!(
                "{} (the app's key, named by its request; the app signs its ops)",
                record.signer
            )
        } else if let Some(from) = &imported_from {
            format!("{} (imported from {from})", record.signer)
        } else {
            record.signer.to_string()
        };
        format!(
            "created session {}\n  signer:     {key}\n  session id: {}\n  pays:       {}\n\
                 next: the account grants it on-chain by calling the module {} with\n  {}",
            record.local_id,
            record.session_id,
            record.spec.payment().describe(),
            record.module,
            call
        )
    });
    Ok(())
}

/// `--import-keystore` / `--import-account`: the key to use as the session key and where it
/// came from (for the output), decrypted with its own password.
fn imported_key(args: &CreateArgs, ui: Ui) -> anyhow::Result<Option<(PrivateKeySigner, String)>> {
    let (source, from) = match (&args.import_keystore, &args.import_account) {
        (Some(path), _) => (
            KeySource::Keystore {
                flag: "--import-keystore",
                path: path.clone(),
            },
            path.display().to_string(),
        ),
        (None, Some(name)) => (
            KeySource::Account {
                flag: "--import-account",
                name: name.clone(),
            },
            format!("foundry account {name}"),
        ),
        (None, None) => return Ok(None),
    };
    let password = KeystorePassword {
        file_flag: "--import-password-file",
        file: args.import_password_file.as_deref(),
    };
    ui.progress(&format!("decrypting the key to import ({from})…"));
    Ok(Some((source.signer(password, ui)?, from)))
}

/// How a session pays, for JSON output.
pub(crate) fn payment_json(spec: &SessionSpec) -> Value {
    json!({
        "canPay": spec.payment() != leash_keys::permissions::Payment::CannotPay,
        "feeBudget": spec.fee_budget.to_string(),
        "paymasters": spec.paymasters,
        "description": spec.payment().describe(),
    })
}

fn list(store: &Store, args: ListArgs, ui: Ui) -> anyhow::Result<()> {
    let filter = Filter {
        account: args
            .account
            .as_deref()
            .map(|text| parse_address("--account", text))
            .transpose()?,
        chain_id: None,
        status: match args.status.as_deref() {
            None => None,
            Some("expired") => Some(Status::Active),
            Some(text) => Some(Status::from_str(text).map_err(|reason| {
                usage(
                    format!("--status: {reason}"),
                    "use active, expired, paused or revoked",
                )
            })?),
        },
        expiring_before: args
            .expiring_before
            .as_deref()
            .map(|text| parse_time("--expiring-before", text))
            .transpose()?,
    };
    let now = now();
    let (mut records, bad) = store.list_report(&filter)?;
    if let Some(wanted) = args.status.as_deref() {
        records.retain(|record| record.status_at(now) == wanted);
    }
    let value = Value::Array(records.iter().map(record_json).collect());
    ui.result(&value, || {
        if records.is_empty() {
            return "no sessions".to_owned();
        }
        let mut out = format!(
            "{:<18} {:<8} {:<42} {:<20} LABEL\n",
            "ID", "STATUS", "ACCOUNT", "VALID UNTIL"
        );
        for record in &records {
            out.push_str(&format!(
                "{:<18} {:<8} {:<42} {:<20} {}\n",
                record.local_id,
                record.status_at(now),
                record.account.to_string(),
                format_time(record.valid_until),
                record.label
            ));
        }
        out
    });
    // The readable sessions are listed above; each unreadable one is named, and the command
    // fails (exit 5) so a script notices.
    let mut bad = bad.into_iter();
    if let Some(first) = bad.next() {
        for error in bad {
            eprintln!("error: {error}");
        }
        return Err(leash_keys::Error::Registry(first).into());
    }
    Ok(())
}

fn show(store: &Store, args: ShowArgs, ui: Ui) -> anyhow::Result<()> {
    let record = store.show(&args.id)?;
    let mut value = record_json(&record);
    let Some(url) = &args.rpc_url else {
        let mut lines = record_lines(&record, &TokenBook::new());
        lines.push("  (offline: pass --rpc-url URL to read what is left on-chain)".to_owned());
        ui.result(&value, || lines.join("\n"));
        return Ok(());
    };
    ui.progress(&format!("reading remainingOf() from {url}…"));
    let (left, book) = runtime()?.block_on(async {
        let left = read_remaining(url, &record).await?;
        let node = crate::connection::node("--rpc-url", url)?;
        anyhow::Ok((left, tokens::read_book(&node, &record.spec).await))
    })?;
    value["remaining"] = onchain::remaining_json(&record.spec, &left, &book);
    value["tokenInfo"] = tokens::book_json(&book);
    let mut lines = record_lines(&record, &book);
    lines.push("  left (on-chain, current period):".to_owned());
    lines.extend(
        onchain::remaining_lines(&record.spec, &left, &book)
            .into_iter()
            .map(|line| format!("    {line}")),
    );
    ui.result(&value, || lines.join("\n"));
    Ok(())
}

/// What the module says is left of `record`'s session in the current period (chain time).
pub(crate) async fn read_remaining(
    url: &str,
    record: &SessionRecord,
) -> anyhow::Result<onchain::Remaining> {
    let node = crate::connection::node("--rpc-url", url)?;
    let chain_id = node.chain_id().await?;
    if chain_id != record.chain_id {
        return Err(usage(
            format!(
                "{url} is chain {chain_id}, the session is for chain {}",
                record.chain_id
            ),
            "use a node of the session's chain",
        ));
    }
    let time: u64 = node.latest_block().await?.timestamp.to();
    let period = record
        .spec
        .period_index_at(time)
        .map_err(|error| fail(Exit::Usage, error.to_string(), None))?;
    let data = onchain::remaining_call(record.account, &record.spec, period)?;
    let output = node.call(&CallRequest::call(record.module, data)).await?;
    onchain::decode_remaining(&output)
}

fn changed(record: &SessionRecord, what: &str, function: &str, ui: Ui) {
    ui.result(&record_json(record), || {
        format!(
            "session {} {what}\non-chain: the account calls {function}({}) on the module {} for the same effect there",
            record.local_id, record.session_id, record.module
        )
    });
}

fn grant_on_chain(store: &Store, args: GrantArgs, ui: Ui) -> anyhow::Result<()> {
    let record = store.show(&args.id)?;
    if record.status != Status::Active {
        return Err(usage(
            format!(
                "session {} is {}: only an active session is granted on-chain",
                record.local_id, record.status
            ),
            "resume it first, or create a new session",
        ));
    }
    let owner = args.owner.require("session grant", ui)?;
    let op = runtime()?.block_on(owner_calls_module(
        &owner,
        &record,
        &[create_call(&record)?],
        &[record.session_id],
        ui,
    ))?;
    let mut value = record_json(&record);
    value["onChain"] = op_json(&op);
    ui.result(&value, || {
        let mut lines = vec![format!(
            "granted session {} on-chain: {} called grantSession on {}",
            record.local_id, record.account, record.module
        )];
        lines.extend(op_lines(&op));
        lines.join("\n")
    });
    Ok(())
}

/// The permissions of the session that replaces `old`: what is left of it on-chain (with
/// --rpc-url), or its full grant (with --full-budget).
fn rotated_spec(
    old: &SessionRecord,
    args: &RotateArgs,
    ui: Ui,
) -> anyhow::Result<Option<SessionSpec>> {
    match (&args.owner.rpc_url, args.full_budget) {
        (Some(url), _) => {
            ui.progress(&format!("reading what is left from {url}…"));
            let left = runtime()?.block_on(read_remaining(url, old))?;
            let salt = alloy::primitives::B256::from(rand::random::<[u8; 32]>());
            let spec = crate::rotation::carry_over(&old.spec, &left, salt)
                .map_err(|reason| usage(format!("rotation refused: {reason}"), "create a new session instead"))?;
            Ok(Some(SessionSpec {
                signer: Address::ZERO,
                ..spec
            }))
        }
        (None, true) => Ok(None),
        (None, false) => Err(usage(
            format!(
                "session rotate {} without --rpc-url would give the new key the old grant in full: \
                 granted on-chain, that is a fresh budget on top of what the old key already spent",
                old.local_id
            ),
            "pass --rpc-url URL to carry over only what is left, or --full-budget if a fresh full budget is really meant",
        )),
    }
}

fn rotate(store: &mut Store, args: RotateArgs, ui: Ui) -> anyhow::Result<()> {
    let old = store.show(&args.id)?;
    let on_chain = args.owner.bundler_url.is_some()
        || args.owner.key_source().is_some()
        || args.owner.owner_validator.is_some()
        || args.owner.factory.is_some();
    let owner = if on_chain {
        Some(args.owner.require("session rotate on-chain", ui)?)
    } else {
        None
    };
    let spec = rotated_spec(&old, &args, ui)?;
    let source = password::source(&args.password, Purpose::NewKey)?;
    ui.progress("generating and encrypting the new key…");
    let rotation = match spec {
        Some(spec) => store.rotate_with(&args.id, spec, args.label.clone(), &source)?,
        None => {
            ui.warn(
                "--full-budget: the new session carries the old grant in full; granting it on-chain \
                 gives a fresh budget on top of what the old key spent",
            );
            store.rotate(&args.id, args.label.clone(), &source)?
        }
    };
    let (old, new) = (&rotation.old, &rotation.new);
    let op = match &owner {
        Some(owner) => Some(
            runtime()?
                .block_on(owner_calls_module(
                    owner,
                    new,
                    &[create_call(new)?, revoke_call(old)],
                    &[new.session_id, old.session_id],
                    ui,
                ))
                .map_err(|error| {
                    error.context(format!(
                        "the registry rotated {} -> {} but the on-chain owner op failed; \
                         grant {} with `leash session grant` and revoke {} on-chain",
                        old.local_id, new.local_id, new.local_id, old.session_id
                    ))
                })?,
        ),
        None => None,
    };
    let mut value = json!({"old": record_json(old), "new": record_json(new)});
    if let Some(op) = &op {
        value["onChain"] = op_json(op);
    }
    ui.result(&value, || {
        let mut lines = vec![
            format!("rotated {} -> {}", old.local_id, new.local_id),
            "  old: revoked (reason \"rotated\")".to_owned(),
            format!("  new signer:     {}", new.signer),
            format!("  new session id: {}", new.session_id),
        ];
        lines.extend(grant_summary(new));
        match &op {
            Some(op) => {
                lines.push(
                    "on-chain: grantSession(new) and revokeSession(old) in one owner op".to_owned(),
                );
                lines.extend(op_lines(op));
            }
            None => lines.push(format!(
                "on-chain: the account calls grantSession(new) and revokeSession({})",
                old.session_id
            )),
        }
        lines.join("\n")
    });
    Ok(())
}

/// The budget lines of a session's grant.
fn grant_summary(record: &SessionRecord) -> Vec<String> {
    let spec = &record.spec;
    let mut lines = vec![format!(
        "  new grant:      {} uses, fee budget {}",
        if spec.max_uses == 0 {
            "unlimited".to_owned()
        } else {
            spec.max_uses.to_string()
        },
        format_ether(spec.fee_budget)
    )];
    lines.extend(spec.tokens.iter().map(|token| {
        format!(
            "  new grant:      {} of token {}",
            format_token(token.amount, None),
            token.token
        )
    }));
    lines
}

fn revoke(store: &mut Store, args: RevokeArgs, ui: Ui) -> anyhow::Result<()> {
    let owner = if args.owner.any() {
        Some(args.owner.require("session revoke on-chain", ui)?)
    } else {
        None
    };
    let record = store.revoke(&args.id, &args.reason)?;
    let Some(owner) = owner else {
        changed(&record, "revoked", "revokeSession", ui);
        return Ok(());
    };
    let op = runtime()?
        .block_on(owner_calls_module(
            &owner,
            &record,
            &[revoke_call(&record)],
            &[record.session_id],
            ui,
        ))
        .map_err(|error| {
            error.context(format!(
                "session {} is revoked in the registry but the on-chain revokeSession failed",
                record.local_id
            ))
        })?;
    let mut value = record_json(&record);
    value["onChain"] = op_json(&op);
    ui.result(&value, || {
        let mut lines = vec![format!(
            "session {} revoked, in the registry and on-chain (revokeSession)",
            record.local_id
        )];
        lines.extend(op_lines(&op));
        lines.join("\n")
    });
    Ok(())
}
