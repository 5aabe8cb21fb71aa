//! `leash op build|sign|send`: user operations of a session.

use std::path::Path;
use std::time::Duration;

use alloy::primitives::{Bytes, B256, U256};
use leash_keys::enable::PendingEnable;
use leash_keys::envelope::{encode_v1, op_digest};
use leash_keys::registry::check_usable;
use leash_keys::{SessionRecord, Store};
use leash_userop::{EntryPointVersion, RpcUserOperation, UserOperation};
use serde_json::{json, Value};

use super::enable::{self, Carry};
use super::session::read_remaining;
use super::{open_store, parse_address, read_file, runtime};
use crate::account_kind;
use crate::bundle::{self, throwaway_signature, Endpoints, Fees};
use crate::calls;
use crate::cli::{OpArgs, OpCommand, SendArgs, SignArgs, SigningArgs};
use crate::connection;
use crate::eip7702;
use crate::exit::usage;
use crate::factory::{self, Factory};
use crate::onchain::{self, OpGas, Sponsor};
use crate::output::Ui;
use crate::password::{self, Purpose};
use crate::reason;
use crate::settlement;
use crate::tokens;
use crate::units::now;

/// Fees of an op when neither the flags nor a bundler give them: 1 gwei.
const DEFAULT_FEE: u128 = 1_000_000_000;

/// Runs an `op` subcommand against the store in `dir`.
pub(crate) fn run(command: OpCommand, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    let mut store = open_store(dir)?;
    match command {
        OpCommand::Build(args) => {
            let (built, _) = runtime()?.block_on(build(&store, &args, None, ui))?;
            print_op(&built, None, ui);
            Ok(())
        }
        OpCommand::Sign(args) => sign_command(&mut store, &args, ui),
        OpCommand::Send(args) => send(&mut store, &args, ui),
    }
}

/// An op with what identifies it.
struct Built {
    record: SessionRecord,
    version: EntryPointVersion,
    op: UserOperation,
    hash: B256,
}

impl Built {
    fn rehash(&mut self) {
        self.hash = self
            .op
            .hash(self.version, self.record.entry_point, self.record.chain_id);
    }
}

fn session_record(
    store: &Store,
    args: &OpArgs,
) -> anyhow::Result<(SessionRecord, EntryPointVersion)> {
    let record = store.show(&args.session)?;
    if let Some(text) = &args.account {
        let account = parse_address("--account", text)?;
        if account != record.account {
            return Err(usage(
                format!(
                    "--account {account} is not session {}'s account {}",
                    record.local_id, record.account
                ),
                "drop --account or use the session of that account",
            ));
        }
    }
    let version =
        EntryPointVersion::from_canonical_address(record.entry_point).ok_or_else(|| {
            usage(
                format!(
                    "session {}: EntryPoint {} is neither canonical v0.7 nor v0.8",
                    record.local_id, record.entry_point
                ),
                "leash builds ops for the canonical EntryPoints only",
            )
        })?;
    Ok((record, version))
}

/// The op's nonce: the account's profile (`--account-kind`, else its `accountId()` at
/// --rpc-url, else OpenZeppelin's layout) puts the module and `--nonce-key` in the key; the
/// sequence is `--nonce-seq`, else `getNonce` from the EntryPoint at --rpc-url.
async fn op_nonce(args: &OpArgs, record: &SessionRecord, ui: Ui) -> anyhow::Result<U256> {
    let node = args
        .rpc_url
        .as_deref()
        .map(|url| connection::node("--rpc-url", url))
        .transpose()?;
    let kind = match &node {
        Some(node) => account_kind::resolve(args.account_kind, node, record.account, ui).await?,
        None => account_kind::offline(args.account_kind),
    };
    let key = kind
        .nonce_key(record.module, args.nonce_key, false)
        .map_err(|error| {
            usage(
                error.to_string(),
                "pick a --nonce-key that fits the account",
            )
        })?;
    let sequence = match (args.nonce_seq, &node) {
        (Some(seq), _) => seq,
        (None, Some(node)) => {
            ui.progress("reading the nonce from the EntryPoint…");
            bundle::read_nonce_seq(node, record.entry_point, record.account, key).await?
        }
        (None, None) => {
            return Err(usage(
                "the op's nonce is unknown",
                "pass --nonce-seq N, or --rpc-url URL to read it from the EntryPoint",
            ))
        }
    };
    Ok((key << 64) | U256::from(sequence))
}

/// The unsigned op of `args` (its nonce read as [`op_nonce`] says). Calls that the module
/// requires to be settled are wrapped in its `settle` calls (rule 16) for the op's period (the
/// `period` flag, else the period containing now), which is then returned too.
async fn build(
    store: &Store,
    args: &OpArgs,
    period: Option<u32>,
    ui: Ui,
) -> anyhow::Result<(Built, Option<u32>)> {
    let (record, version) = session_record(store, args)?;
    let executions = match &args.calls_file {
        Some(path) => calls::from_file(path)?,
        None => calls::from_flags(&args.calls)?,
    };
    let mut settled_for = None;
    let executions = settlement::wrap(&record, executions, || {
        let index = period_index(&record, period)?;
        settled_for = Some(index);
        Ok(index)
    })?;
    let sponsor = args
        .paymaster
        .as_deref()
        .map(|text| -> anyhow::Result<Sponsor> {
            Ok(Sponsor {
                paymaster: parse_address("--paymaster", text)?,
                verification_gas_limit: args.paymaster_verification_gas_limit,
                post_op_gas_limit: args.paymaster_post_op_gas_limit,
                data: parse_hex("--paymaster-data", args.paymaster_data.as_deref())?,
            })
        })
        .transpose()?;
    let call_data = onchain::execute_call_data(&executions)?;
    let factory = Factory::from_flags(args.factory.as_deref(), args.factory_data.as_deref())?;
    if let (Some(_), Some(url)) = (&factory, &args.rpc_url) {
        factory::check_undeployed(&connection::node("--rpc-url", url)?, record.account).await?;
    }
    let nonce = op_nonce(args, &record, ui).await?;
    let gas = OpGas {
        call_gas_limit: args.call_gas_limit,
        verification_gas_limit: args.verification_gas_limit,
        pre_verification_gas: args.pre_verification_gas,
        max_fee_per_gas: args.max_fee_per_gas.unwrap_or(DEFAULT_FEE),
        max_priority_fee_per_gas: args.max_priority_fee_per_gas.unwrap_or(DEFAULT_FEE),
    };
    let mut op = onchain::session_user_op(record.account, nonce, call_data, gas, sponsor.as_ref())?;
    if let Some(factory) = &factory {
        factory.attach(&mut op);
    }
    if let Some(authorization) =
        eip7702::authorization(args, version, record.account, record.chain_id, ui).await?
    {
        eip7702::attach(&mut op, authorization);
    }
    eip7702::refuse_init_call(&op)?;
    let mut built = Built {
        record,
        version,
        op,
        hash: B256::ZERO,
    };
    built.rehash();
    Ok((built, settled_for))
}

fn explicit_fees(args: &OpArgs) -> Option<Fees> {
    Some(Fees {
        max_fee_per_gas: args.max_fee_per_gas?,
        max_priority_fee_per_gas: args.max_priority_fee_per_gas?,
    })
}

fn parse_hex(flag: &str, text: Option<&str>) -> anyhow::Result<Bytes> {
    match text {
        None | Some("") => Ok(Bytes::new()),
        Some(text) => text.parse().map_err(|_| {
            usage(
                format!("{flag} {text:?}: not 0x-prefixed hex bytes"),
                "write bytes as 0x followed by an even number of hex digits",
            )
        }),
    }
}

/// The period the op is built and signed for: the flag, else the period containing now.
fn period_index(record: &SessionRecord, flag: Option<u32>) -> anyhow::Result<u32> {
    match flag {
        Some(index) => Ok(index),
        None => record
            .spec
            .period_index_at(now())
            .map_err(|error| usage(error.to_string(), "pass --period-index N")),
    }
}

/// Replaces the op's gas and fees with the bundler's, estimated with a placeholder envelope
/// of the final length (carrying `enable` when the signed op will).
async fn estimate(
    endpoints: &Endpoints,
    built: &mut Built,
    fees: Option<Fees>,
    period: u32,
    enable: Option<&PendingEnable>,
) -> anyhow::Result<()> {
    // A session this store will not sign for is refused here, before the bundler is asked.
    check_usable(&built.record, now())?;
    let session = built.record.spec.to_sol()?;
    let digest = op_digest(built.hash, built.record.session_id, period);
    let grant = enable.map(PendingEnable::grant);
    let placeholder = encode_v1(
        &session,
        period,
        &throwaway_signature(digest)?,
        grant.as_ref(),
    )?;
    let prepared = endpoints
        .prepare(&mut built.op, built.record.entry_point, fees, placeholder)
        .await;
    // On a refusal the op still carries the placeholder: the module's checks before the
    // signature run as they would for the signed op.
    reason::with_module_reason(
        prepared,
        &endpoints.node,
        built.record.module,
        &built.op,
        built.hash,
    )
    .await?;
    built.rehash();
    Ok(())
}

/// Signs the op with the session's key through the store (audited), carrying `enable`.
fn sign_built(
    store: &mut Store,
    built: &mut Built,
    signing: &SigningArgs,
    period: u32,
    enable: Option<&PendingEnable>,
) -> anyhow::Result<u64> {
    let source = password::source(&signing.password, Purpose::Unlock)?;
    let signed = store.sign_op_enabling(
        &built.record.local_id,
        built.hash,
        Some(period),
        enable,
        &source,
    )?;
    built.op.signature = signed.envelope;
    Ok(signed.audit_seq)
}

fn sign_command(store: &mut Store, args: &SignArgs, ui: Ui) -> anyhow::Result<()> {
    let built = runtime()?.block_on(async {
        let (mut built, settled_for) = match &args.op_file {
            Some(path) => (load_unsigned(store, &args.op, path, ui).await?, None),
            None => build(store, &args.op, args.signing.period_index, ui).await?,
        };
        let period = match settled_for {
            Some(index) => index,
            None => period_index(&built.record, args.signing.period_index)?,
        };
        let node = match &args.op.rpc_url {
            Some(url) => Some(connection::node("--rpc-url", url)?),
            None => None,
        };
        let carry = enable::carry(store, &built.record, node.as_ref(), ui).await?;
        if let Some(bundler_url) = &args.bundler_url {
            let rpc_url = args.op.rpc_url.as_deref().ok_or_else(|| {
                usage(
                    "--bundler-url needs --rpc-url (the node the bundler estimates against)",
                    "pass --rpc-url URL",
                )
            })?;
            ui.progress(&format!("estimating gas with {bundler_url}…"));
            let endpoints =
                Endpoints::connect(rpc_url, bundler_url, built.record.entry_point).await?;
            estimate(
                &endpoints,
                &mut built,
                explicit_fees(&args.op),
                period,
                carry.grant(),
            )
            .await?;
        }
        Ok::<_, anyhow::Error>((built, period, carry))
    });
    let (mut built, period, carry) = built?;
    let seq = sign_built(store, &mut built, &args.signing, period, carry.grant())?;
    print_op(&built, Some(seq), ui);
    Ok(())
}

fn op_json(built: &Built, audit_seq: Option<u64>) -> Value {
    let mut value = json!({
        "userOperation": RpcUserOperation::from(&built.op),
        "userOpHash": built.hash,
        "entryPoint": built.record.entry_point,
        "entryPointVersion": built.version.as_str(),
        "chainId": built.record.chain_id,
        "session": built.record.local_id,
    });
    if let Some(seq) = audit_seq {
        value["auditSeq"] = json!(seq);
    }
    value
}

fn print_op(built: &Built, audit_seq: Option<u64>, ui: Ui) {
    ui.result(&op_json(built, audit_seq), || {
        serde_json::to_string_pretty(&RpcUserOperation::from(&built.op))
            .expect("an op always serialises")
    });
}

/// An op signed earlier (`leash --json op sign` output, or a bare bundler-JSON op) for the
/// session named by `--session`.
fn load_signed(store: &Store, args: &SendArgs, path: &Path) -> anyhow::Result<Built> {
    load_op(
        store,
        &args.op,
        "--signed-op",
        path,
        "give the output of `leash --json op sign` (or a bundler-JSON user operation)",
    )
}

/// `op sign --op FILE`: an op built elsewhere (a bundler-JSON op, or `{userOperation,
/// entryPoint}` as viem and `leash --json op build` write it) for the session named by
/// `--session`, whose nonce must name the session's module (any lane).
async fn load_unsigned(store: &Store, args: &OpArgs, path: &Path, ui: Ui) -> anyhow::Result<Built> {
    let hint = "give a bundler-JSON user operation, or {\"userOperation\", \"entryPoint\"} (`leash --json op build` output)";
    let built = load_op(store, args, "--op", path, hint)?;
    let kind = match &args.rpc_url {
        Some(url) => {
            let node = connection::node("--rpc-url", url)?;
            account_kind::resolve(args.account_kind, &node, built.record.account, ui).await?
        }
        None => account_kind::offline(args.account_kind),
    };
    let validator = kind.nonce_validator(built.op.nonce);
    if validator != Some(built.record.module) {
        let named = match validator {
            Some(address) => address.to_string(),
            None => "the account's root validator".to_owned(),
        };
        return Err(usage(
            format!(
                "--op {}: the op's nonce {:#x} names {named} as the validator on a {kind} account, not session {}'s module {}",
                path.display(),
                built.op.nonce,
                built.record.local_id,
                built.record.module
            ),
            "build the op with the module's nonce key (`leash op build` shows it), or pass the right --account-kind",
        ));
    }
    Ok(built)
}

/// The op in `path` (given with `flag`) for the session `--session` names: the file's
/// EntryPoint, when it names one, and the op's sender must be the session's.
fn load_op(
    store: &Store,
    args: &OpArgs,
    flag: &str,
    path: &Path,
    hint: &str,
) -> anyhow::Result<Built> {
    let (record, version) = session_record(store, args)?;
    let text = read_file(flag, path)?;
    let bad = |reason: String| usage(format!("{flag} {}: {reason}", path.display()), hint);
    let value: Value = serde_json::from_str(&text).map_err(|error| bad(error.to_string()))?;
    if let Some(entry_point) = value.get("entryPoint").and_then(Value::as_str) {
        let entry_point = parse_address(&format!("{flag} entryPoint"), entry_point)?;
        if entry_point != record.entry_point {
            return Err(bad(format!(
                "signed for EntryPoint {entry_point}, the session uses {}",
                record.entry_point
            )));
        }
    }
    let op_value = value.get("userOperation").cloned().unwrap_or(value);
    let rpc: RpcUserOperation =
        serde_json::from_value(op_value).map_err(|error| bad(error.to_string()))?;
    let op = UserOperation::try_from(rpc).map_err(|error| bad(error.to_string()))?;
    if op.sender != record.account {
        return Err(bad(format!(
            "the op's sender {} is not session {}'s account {}",
            op.sender, record.local_id, record.account
        )));
    }
    eip7702::refuse_init_call(&op)?;
    if let Some(authorization) = &op.eip7702_auth {
        leash_userop::eip7702::check_authorization(authorization, record.account, record.chain_id)
            .map_err(|error| bad(error.to_string()))?;
    }
    let mut built = Built {
        record,
        version,
        op,
        hash: B256::ZERO,
    };
    built.rehash();
    Ok(built)
}

fn send(store: &mut Store, args: &SendArgs, ui: Ui) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(args.timeout);
    let runtime = runtime()?;
    let entry_point = store.show(&args.op.session)?.entry_point;
    let endpoints = match &args.op.rpc_url {
        Some(url) => {
            Some(runtime.block_on(Endpoints::connect(url, &args.bundler_url, entry_point))?)
        }
        None => None,
    };
    let (mut built, seq, carry) = match &args.signed_op {
        Some(path) => (load_signed(store, args, path)?, None, Carry::Nothing),
        None => {
            let (mut built, settled_for) =
                runtime.block_on(build(store, &args.op, args.signing.period_index, ui))?;
            let period = match settled_for {
                Some(index) => index,
                None => period_index(&built.record, args.signing.period_index)?,
            };
            let node = endpoints.as_ref().map(|endpoints| &endpoints.node);
            let carry = runtime.block_on(enable::carry(store, &built.record, node, ui))?;
            if let Some(endpoints) = &endpoints {
                ui.progress(&format!("estimating gas with {}…", args.bundler_url));
                runtime.block_on(estimate(
                    endpoints,
                    &mut built,
                    explicit_fees(&args.op),
                    period,
                    carry.grant(),
                ))?;
            }
            let seq = sign_built(store, &mut built, &args.signing, period, carry.grant())?;
            (built, Some(seq), carry)
        }
    };
    built.rehash();
    ui.progress(&format!("sending the op to {}…", args.bundler_url));
    let receipt = runtime.block_on(async {
        match &endpoints {
            Some(endpoints) => {
                endpoints
                    .submit_session(
                        &built.op,
                        entry_point,
                        timeout,
                        built.record.module,
                        built.hash,
                    )
                    .await
            }
            None => {
                let bundler = connection::bundler("--bundler-url", &args.bundler_url)?;
                bundle::submit(&bundler, &built.op, entry_point, timeout).await
            }
        }
    })?;
    // Included means validated: an op that carried the grant created the session.
    let enabled = match (&carry, &endpoints) {
        (Carry::Grant(_), Some(endpoints)) => {
            Some(runtime.block_on(enable::settle(store, &built.record, &endpoints.node))?)
        }
        (Carry::Grant(_), None) => {
            store.clear_enable_grant(&built.record.local_id)?;
            Some("active")
        }
        (Carry::Nothing | Carry::Dropped(_), _) => None,
    };
    let left = match &args.op.rpc_url {
        Some(url) => Some(runtime.block_on(async {
            let left = read_remaining(url, &built.record).await?;
            let node = connection::node("--rpc-url", url)?;
            anyhow::Ok((left, tokens::read_book(&node, &built.record.spec).await))
        })?),
        None => None,
    };
    let mut value = op_json(&built, seq);
    value["included"] = json!({
        "transactionHash": receipt.receipt.transaction_hash,
        "actualGasUsed": receipt.actual_gas_used.to_string(),
        "actualGasCost": receipt.actual_gas_cost.to_string(),
    });
    if let Some((left, book)) = &left {
        value["remaining"] = onchain::remaining_json(&built.record.spec, left, book);
    }
    value["enable"] = match (&carry, enabled) {
        (Carry::Grant(grant), Some(status)) => {
            json!({"carried": true, "nonce": grant.nonce.to_string(), "status": status})
        }
        (Carry::Dropped(status), _) => json!({"carried": false, "status": status}),
        _ => json!({"carried": false}),
    };
    ui.result(&value, || {
        let mut lines = vec![
            format!(
                "op {} included in transaction {}",
                receipt.user_op_hash, receipt.receipt.transaction_hash
            ),
            format!(
                "  gas used {}, cost {} wei",
                receipt.actual_gas_used, receipt.actual_gas_cost
            ),
        ];
        match (&carry, enabled) {
            (Carry::Grant(grant), Some(status)) => lines.push(format!(
                "  enabled in this op (owner grant, nonce {}): on-chain status {status}; later ops carry no grant",
                grant.nonce
            )),
            (Carry::Dropped(status), _) => lines.push(format!(
                "  enable grant not carried: the session was already {status} on-chain"
            )),
            _ => {}
        }
        if let Some((left, book)) = &left {
            lines.push("  left (on-chain, current period):".to_owned());
            lines.extend(
                onchain::remaining_lines(&built.record.spec, left, book)
                    .into_iter()
                    .map(|line| format!("    {line}")),
            );
        }
        lines.join("\n")
    });
    Ok(())
}
