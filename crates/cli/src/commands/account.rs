//! `leash account install-module`: an owner op that installs the session module as a
//! validator of the account (`installModule(1, module, "")`).

use alloy::primitives::U256;
use alloy::sol_types::SolCall;
use leash_contracts::artifact;
use leash_contracts::bindings::account::IERC7579Account;
use leash_contracts::bindings::session::MODULE_TYPE_VALIDATOR;
use leash_userop::EntryPointVersion;
use serde_json::json;

use super::deploy::predicted_address;
use super::{parse_address, runtime};
use crate::bundle::Endpoints;
use crate::cli::{AccountCommand, InstallModuleArgs};
use crate::exit::usage;
use crate::module_error::MODULE_ARTIFACT;
use crate::output::Ui;
use crate::owner::send_owner_op;

/// Runs an `account` subcommand.
pub(crate) fn run(command: AccountCommand, ui: Ui) -> anyhow::Result<()> {
    match command {
        AccountCommand::InstallModule(args) => install_module(args, ui),
    }
}

/// `v0.7`, `v0.8` or a canonical EntryPoint address.
pub(crate) fn parse_entry_point(text: &str) -> anyhow::Result<EntryPointVersion> {
    let by_name = text
        .trim_start_matches('v')
        .parse::<EntryPointVersion>()
        .ok();
    let by_address = text
        .parse()
        .ok()
        .and_then(EntryPointVersion::from_canonical_address);
    by_name.or(by_address).ok_or_else(|| {
        usage(
            format!(
                "--entry-point {text:?}: neither v0.7, v0.8 nor a canonical EntryPoint address"
            ),
            "leash sends ops to the canonical EntryPoints v0.7 and v0.8 only",
        )
    })
}

fn install_module(args: InstallModuleArgs, ui: Ui) -> anyhow::Result<()> {
    let account = parse_address("--account", &args.account)?;
    let module = match &args.module {
        Some(text) => parse_address("--module", text)?,
        None => predicted_address(&artifact(MODULE_ARTIFACT)?.bytecode),
    };
    let version = parse_entry_point(&args.entry_point)?;
    let owner = args.owner.require("account install-module", ui)?;
    let (receipt, kind) = runtime()?.block_on(async {
        let endpoints = Endpoints::connect(
            &owner.rpc_url,
            &owner.bundler_url,
            version.canonical_address(),
        )
        .await?;
        let kind =
            crate::account_kind::resolve(owner.account_kind, &endpoints.node, account, ui).await?;
        // The module's own install data is empty; the account may wrap it (Kernel: no hook,
        // `execute` allowed for the module).
        let call = IERC7579Account::installModuleCall {
            moduleTypeId: U256::from(MODULE_TYPE_VALIDATOR),
            module,
            initData: kind.install_validator_data(&[]),
        };
        ui.progress(&format!(
            "owner op: installModule(1, {module}, …) on {account} ({kind}) through {}…",
            owner.bundler_url
        ));
        let receipt = send_owner_op(
            &endpoints,
            version,
            account,
            kind,
            &owner.owner,
            call.abi_encode().into(),
            owner.factory.as_ref(),
            owner.timeout,
        )
        .await?;
        anyhow::Ok((receipt, kind))
    })?;
    ui.result(
        &json!({
            "account": account,
            "module": module,
            "accountKind": kind.as_str(),
            "entryPoint": version.canonical_address(),
            "userOpHash": receipt.user_op_hash,
            "transactionHash": receipt.receipt.transaction_hash,
        }),
        || {
            format!(
                "installed {module} as a validator of {account} ({} EntryPoint)\n  op {} in transaction {}",
                version.as_str(),
                receipt.user_op_hash,
                receipt.receipt.transaction_hash
            )
        },
    );
    Ok(())
}
