//! Session ops of an EOA delegated with EIP-7702: the authorization an op carries
//! (`--eip7702-delegate` with the EOA's key, or `--eip7702-auth FILE`), and the refusal of an
//! EIP-7702 init call.

use std::path::Path;

use alloy::primitives::{Address, Bytes};
use leash_userop::eip7702::{check_authorization, sign_authorization, SignedAuthorization};
use leash_userop::{
    is_eip7702_init_code, EntryPointVersion, RpcEip7702Auth, UserOperation,
    EIP7702_INIT_CODE_MARKER,
};

use crate::cli::OpArgs;
use crate::commands::{parse_address, read_file};
use crate::exit::usage;
use crate::output::Ui;
use crate::signer_source::{KeyFlags, KeystorePassword};

/// The authorization `args` ask the op to carry, checked to be signed by `account` for
/// `chain_id`; `None` without `--eip7702-delegate` or `--eip7702-auth`.
///
/// With `--eip7702-delegate`, the EOA's key comes from `--owner-key-env`, `--private-key`,
/// `--keystore` or `--owner-account` and the authorization
/// nonce from `--eip7702-nonce`, else the EOA's transaction count at `--rpc-url` (a bundler sends
/// the type-4 transaction, so the EOA's current nonce is the one that applies).
///
/// # Errors
///
/// A usage error naming the flag: v0.7 (no EIP-7702 there), a key that is not the session's
/// account, a file that is not viem's `eip7702Auth` JSON, an authorization for another account
/// or chain, an unknown nonce.
pub(crate) async fn authorization(
    args: &OpArgs,
    version: EntryPointVersion,
    account: Address,
    chain_id: u64,
    ui: Ui,
) -> anyhow::Result<Option<SignedAuthorization>> {
    let authorization = match (&args.eip7702_delegate, &args.eip7702_auth) {
        (None, None) => return Ok(None),
        (Some(delegate), _) => sign(args, delegate, account, chain_id, ui).await?,
        (None, Some(path)) => from_file(path)?,
    };
    if version != EntryPointVersion::V08 {
        return Err(usage(
            format!(
                "an EIP-7702 authorization needs EntryPoint v0.8; the session uses {}",
                version.as_str()
            ),
            "EntryPoint v0.7 has no EIP-7702 support: create the session for v0.8",
        ));
    }
    check_authorization(&authorization, account, chain_id).map_err(|error| {
        usage(
            error.to_string(),
            "the authorization must be signed by the session's account (the EOA) for the session's chain",
        )
    })?;
    Ok(Some(authorization))
}

async fn sign(
    args: &OpArgs,
    delegate: &str,
    account: Address,
    chain_id: u64,
    ui: Ui,
) -> anyhow::Result<SignedAuthorization> {
    let delegate = parse_address("--eip7702-delegate", delegate)?;
    let source = KeyFlags {
        env: ("--owner-key-env", args.owner_key_env.as_deref()),
        private_key: args.private_key.as_deref(),
        keystore: args.keystore.as_deref(),
        account: ("--owner-account", args.owner_account.as_deref()),
    }
    .source_or_env()?
    .ok_or_else(|| {
        usage(
            "--eip7702-delegate needs the EOA's key to sign the authorization",
            "pass --owner-key-env VAR, --private-key HEX, --keystore PATH or --owner-account NAME with the EOA's key (or set $ETH_KEYSTORE / $ETH_KEYSTORE_ACCOUNT)",
        )
    })?;
    let password = KeystorePassword {
        file_flag: "--owner-password-file",
        file: args.owner_password_file.as_deref(),
    };
    let signer = source.signer(password, ui)?;
    if signer.address() != account {
        return Err(usage(
            format!(
                "{} holds the key of {}, not of the session's account {account}",
                source.describe(),
                signer.address()
            ),
            "an EIP-7702 authorization is signed by the EOA itself: give the account's key",
        ));
    }
    let nonce =
        match (args.eip7702_nonce, &args.rpc_url) {
            (Some(nonce), _) => nonce,
            (None, Some(url)) => {
                ui.progress("reading the EOA's nonce for the EIP-7702 authorization…");
                crate::connection::node("--rpc-url", url)?
                    .get_transaction_count(account)
                    .await?
            }
            (None, None) => return Err(usage(
                "the EIP-7702 authorization's nonce is unknown",
                "pass --eip7702-nonce N (the EOA's transaction count), or --rpc-url URL to read it",
            )),
        };
    Ok(sign_authorization(&signer, chain_id, delegate, nonce)?)
}

fn from_file(path: &Path) -> anyhow::Result<SignedAuthorization> {
    let text = read_file("--eip7702-auth", path)?;
    RpcEip7702Auth::signed_from_json(&text).map_err(|error| {
        usage(
            format!("--eip7702-auth {}: {error}", path.display()),
            "give a signed authorization as viem writes eip7702Auth: {\"address\", \"chainId\", \"nonce\", \"r\", \"s\", \"yParity\"} in hex",
        )
    })
}

/// Makes `op` an EIP-7702 op carrying `authorization`: `initCode` the bare marker (the
/// EntryPoint then hashes the delegate in its place), the authorization beside the op.
pub(crate) fn attach(op: &mut UserOperation, authorization: SignedAuthorization) {
    op.factory = Some(EIP7702_INIT_CODE_MARKER);
    op.factory_data = Bytes::new();
    op.eip7702_auth = Some(authorization);
}

/// Refuses a session op whose `initCode` is the EIP-7702 marker followed by data.
///
/// EntryPoint v0.8 makes its SenderCreator call the account with that data *before* it
/// validates the op: whoever chooses a session op's `initCode` would choose what the account
/// runs, whatever the session allows. The module refuses such ops (`Eip7702InitCallDenied`),
/// so leash never builds or sends one.
///
/// # Errors
///
/// A usage error saying how to fix the op.
pub(crate) fn refuse_init_call(op: &UserOperation) -> anyhow::Result<()> {
    let init_code = op.pack().initCode;
    if is_eip7702_init_code(&init_code) && init_code.len() > 20 {
        return Err(usage(
            format!(
                "the op's initCode is the EIP-7702 marker followed by {} bytes of data: EntryPoint v0.8 \
                 would call the account with them before validating the op, so the session module \
                 refuses it (Eip7702InitCallDenied)",
                init_code.len() - 20
            ),
            "a session op may carry only the bare marker (factory 0x7702…, empty factoryData); \
             set the delegate up with an owner transaction instead",
        ));
    }
    Ok(())
}
