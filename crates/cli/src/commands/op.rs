//! `leash op build|sign|send`: user operations of a session.

use std::path::Path;
use std::time::Duration;

use alloy::primitives::{aliases::U192, Bytes, B256, U256};
use alloy::sol_types::SolCall;
use leash_contracts::bindings::entry_point::IEntryPoint;
use leash_keys::{SessionRecord, Store};
use leash_rpc::{decode_revert, revert_data, BundlerClient, CallRequest, NodeClient, RpcError};
use leash_userop::erc7579::validator_nonce;
use leash_userop::{EntryPointVersion, RpcUserOperation, UserOperation};
use serde_json::{json, Value};

use super::{open_store, parse_address, runtime};
use crate::calls;
use crate::cli::{OpArgs, OpCommand, SendArgs, SignArgs};
use crate::exit::{fail, usage, Exit};
use crate::module_error::{ModuleError, MODULE_ARTIFACT};
use crate::onchain::{self, OpGas, Sponsor};
use crate::output::Ui;
use crate::password::{self, Purpose};

/// Runs an `op` subcommand against the store in `dir`.
pub(crate) fn run(command: OpCommand, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    let mut store = open_store(dir)?;
    match command {
        OpCommand::Build(args) => {
            let built = build(&store, &args, ui)?;
            print_op(&built, None, ui);
            Ok(())
        }
        OpCommand::Sign(args) => {
            let (built, seq) = sign(&mut store, &args, ui)?;
            print_op(&built, Some(seq), ui);
            Ok(())
        }
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

fn build(store: &Store, args: &OpArgs, ui: Ui) -> anyhow::Result<Built> {
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
    let executions = match &args.calls_file {
        Some(path) => calls::from_file(path)?,
        None => calls::from_flags(&args.calls)?,
    };
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
    let nonce_seq = match (args.nonce_seq, &args.rpc_url) {
        (Some(seq), _) => seq,
        (None, Some(url)) => {
            ui.progress(&format!("reading the nonce from {url}…"));
            runtime()?.block_on(read_nonce_seq(url, &record, version, args.nonce_key))?
        }
        (None, None) => {
            return Err(usage(
                "the op's nonce is unknown",
                "pass --nonce-seq N, or --rpc-url URL to read it from the EntryPoint",
            ))
        }
    };
    let gas = OpGas {
        call_gas_limit: args.call_gas_limit,
        verification_gas_limit: args.verification_gas_limit,
        pre_verification_gas: args.pre_verification_gas,
        max_fee_per_gas: args.max_fee_per_gas,
        max_priority_fee_per_gas: args.max_priority_fee_per_gas,
    };
    let op = onchain::session_user_op(
        record.account,
        record.module,
        args.nonce_key,
        nonce_seq,
        call_data,
        gas,
        sponsor.as_ref(),
    )?;
    let hash = op.hash(version, record.entry_point, record.chain_id);
    Ok(Built {
        record,
        version,
        op,
        hash,
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

async fn read_nonce_seq(
    url: &str,
    record: &SessionRecord,
    version: EntryPointVersion,
    nonce_key: u32,
) -> anyhow::Result<u64> {
    let node = NodeClient::new(url)?;
    let key: U256 = validator_nonce(record.module, nonce_key, 0) >> 64;
    let call = IEntryPoint::getNonceCall {
        sender: record.account,
        key: key.to::<U192>(),
    };
    let output = node
        .call(&CallRequest::call(
            version.canonical_address(),
            call.abi_encode(),
        ))
        .await?;
    let nonce = IEntryPoint::getNonceCall::abi_decode_returns(&output)?;
    Ok((nonce & U256::from(u64::MAX)).to())
}

fn sign(store: &mut Store, args: &SignArgs, ui: Ui) -> anyhow::Result<(Built, u64)> {
    let mut built = build(store, &args.op, ui)?;
    let source = password::source(&args.password, Purpose::Unlock)?;
    let signed = store.sign_op(
        &built.record.local_id,
        built.hash,
        args.period_index,
        &source,
    )?;
    built.op.signature = signed.envelope;
    Ok((built, signed.audit_seq))
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

fn send(store: &mut Store, args: &SendArgs, ui: Ui) -> anyhow::Result<()> {
    let (built, seq) = sign(store, &args.sign, ui)?;
    let rpc_op = RpcUserOperation::from(&built.op);
    let timeout = Duration::from_secs(args.timeout);
    runtime()?.block_on(async {
        let bundler = BundlerClient::new(&args.bundler_url)?;
        ui.progress(&format!("sending the op to {}…", args.bundler_url));
        let hash = bundler
            .send_user_operation(&rpc_op, built.record.entry_point)
            .await
            .map_err(refusal)?;
        ui.progress("waiting for receipt…");
        let receipt = bundler.wait_for_receipt(hash, timeout).await?;
        if !receipt.success {
            let why = receipt
                .reason
                .as_ref()
                .and_then(|data| decode_revert(data, &abis()))
                .unwrap_or_else(|| "no reason given".to_owned());
            return Err(fail(
                Exit::Rejected,
                format!("op {hash} was included but its execution reverted: {why}"),
                Some("the session's charges for it are spent; check the call data"),
            ));
        }
        let mut value = op_json(&built, Some(seq));
        value["included"] = json!({
            "transactionHash": receipt.receipt.transaction_hash,
            "actualGasUsed": receipt.actual_gas_used.to_string(),
            "actualGasCost": receipt.actual_gas_cost.to_string(),
        });
        ui.result(&value, || {
            format!(
                "op {hash} included in transaction {}\n  gas used {}, cost {} wei",
                receipt.receipt.transaction_hash, receipt.actual_gas_used, receipt.actual_gas_cost
            )
        });
        Ok(())
    })
}

fn abis() -> Vec<&'static alloy::json_abi::JsonAbi> {
    let mut abis = vec![
        leash_contracts::entry_point_abi(EntryPointVersion::V07),
        leash_contracts::entry_point_abi(EntryPointVersion::V08),
    ];
    if let Ok(module) = leash_contracts::artifact(MODULE_ARTIFACT) {
        abis.insert(0, &module.abi);
    }
    abis
}

/// A bundler's refusal is a rejection (exit 3) with the module's error decoded; anything
/// else (unreachable bundler, bad answer) is a plain failure.
fn refusal(error: RpcError) -> anyhow::Error {
    let Some(json_rpc) = error.json_rpc() else {
        return error.into();
    };
    let data = revert_data(json_rpc);
    let decoded = data.as_ref().and_then(|data| {
        ModuleError::decode(data)
            .map(|e| e.to_string())
            .or_else(|| decode_revert(data, &abis()))
    });
    fail(
        Exit::Rejected,
        format!(
            "the bundler rejected the op: {}",
            decoded.unwrap_or_else(|| json_rpc.message.clone())
        ),
        Some("the error names the permission that failed; `leash session show ID --rpc-url URL` shows what is left"),
    )
}
