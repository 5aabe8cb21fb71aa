//! Owner ops: user operations of a test account signed by its owner key (the account's owner
//! validator checks a raw ECDSA signature of the userOpHash), sent through a bundler.

use std::time::Duration;

use alloy::primitives::{Address, Bytes, U256};
use alloy::signers::local::PrivateKeySigner;
use anyhow::Context;
use leash_rpc::UserOperationReceipt;
use leash_userop::account::AccountKind;
use leash_userop::{EntryPointVersion, SigningKey, UserOperation};

use crate::bundle::{throwaway_signature, Endpoints};
use crate::cli::OwnerArgs;
use crate::exit::usage;
use crate::factory::Factory;
use crate::output::Ui;
use crate::signer_source::{KeyFlags, KeySource, KeystorePassword};

/// Gas of the op before the bundler's estimate replaces it.
const PLACEHOLDER_CALL_GAS: u128 = 500_000;
const PLACEHOLDER_VERIFICATION_GAS: u128 = 500_000;
const PLACEHOLDER_PRE_VERIFICATION_GAS: u64 = 100_000;

/// An account's owner: the key and the validator module that checks it.
pub(crate) struct Owner {
    /// The owner's key.
    pub(crate) key: SigningKey,
    /// The account's owner validator (its address is the op's nonce key).
    pub(crate) validator: Address,
}

/// What an owner op needs, from the flags.
pub(crate) struct OwnerContext {
    /// The owner.
    pub(crate) owner: Owner,
    /// Node and bundler URLs.
    pub(crate) rpc_url: String,
    /// The bundler's URL.
    pub(crate) bundler_url: String,
    /// Receipt wait.
    pub(crate) timeout: Duration,
    /// `--account-kind`, if given (else read from the account's `accountId()`).
    pub(crate) account_kind: Option<AccountKind>,
    /// `--factory` / `--factory-data`: the owner op deploys the account.
    pub(crate) factory: Option<Factory>,
}

/// How the owner-key flags are named in errors.
pub(crate) const OWNER_KEY_FLAGS: &str =
    "an owner key (--owner-key-env, --private-key, --keystore or --owner-account; or $ETH_KEYSTORE / $ETH_KEYSTORE_ACCOUNT)";

impl OwnerArgs {
    /// Whether any owner flag was given.
    pub(crate) fn any(&self) -> bool {
        self.rpc_url.is_some()
            || self.bundler_url.is_some()
            || self.key_source().is_some()
            || self.owner_validator.is_some()
            || self.factory.is_some()
    }

    fn key_flags(&self) -> KeyFlags<'_> {
        KeyFlags {
            env: ("--owner-key-env", self.owner_key_env.as_deref()),
            private_key: self.private_key.as_deref(),
            keystore: self.keystore.as_deref(),
            account: ("--owner-account", self.owner_account.as_deref()),
        }
    }

    /// Where the owner's key comes from, if a flag names it (clap allows one at most). Whether
    /// the owner flags were given at all is decided by the flags only: cast's variables do not
    /// turn a registry-only command into an owner op.
    pub(crate) fn key_source(&self) -> Option<KeySource> {
        self.key_flags().source()
    }

    /// The owner's key source for a command that needs one: the flags, else
    /// `$ETH_KEYSTORE` / `$ETH_KEYSTORE_ACCOUNT`.
    pub(crate) fn key_source_or_env(&self) -> anyhow::Result<Option<KeySource>> {
        self.key_flags().source_or_env()
    }

    /// The owner's key from its source ([`OwnerArgs::key_source_or_env`]; decrypting a
    /// keystore, asking its password if need be); `None` without a source.
    pub(crate) fn signer(&self, ui: Ui) -> anyhow::Result<Option<PrivateKeySigner>> {
        let password = KeystorePassword {
            file_flag: "--owner-password-file",
            file: self.owner_password_file.as_deref(),
        };
        self.key_source_or_env()?
            .map(|source| source.signer(password, ui))
            .transpose()
    }

    /// The owner flags, all required for `what`.
    pub(crate) fn require(&self, what: &str, ui: Ui) -> anyhow::Result<OwnerContext> {
        let no_key = self.key_source_or_env()?.is_none();
        let missing: Vec<&str> = [
            ("--rpc-url", self.rpc_url.is_none()),
            ("--bundler-url", self.bundler_url.is_none()),
            (OWNER_KEY_FLAGS, no_key),
            ("--owner-validator", self.owner_validator.is_none()),
        ]
        .into_iter()
        .filter_map(|(flag, absent)| absent.then_some(flag))
        .collect();
        if !missing.is_empty() {
            return Err(usage(
                format!("{what} needs {}", missing.join(", ")),
                "an owner op needs the node, the bundler, the owner's key (an environment variable, a keystore or a foundry account) and the account's owner validator",
            ));
        }
        let factory = Factory::from_flags(self.factory.as_deref(), self.factory_data.as_deref())?;
        let validator = crate::commands::parse_address(
            "--owner-validator",
            self.owner_validator.as_deref().unwrap_or_default(),
        )?;
        let signer = self
            .signer(ui)?
            .expect("a key source was checked to be given");
        Ok(OwnerContext {
            owner: Owner {
                key: signer.credential().clone(),
                validator,
            },
            rpc_url: self.rpc_url.clone().unwrap_or_default(),
            bundler_url: self.bundler_url.clone().unwrap_or_default(),
            timeout: Duration::from_secs(self.timeout),
            account_kind: self.account_kind,
            factory,
        })
    }
}

/// Sends an owner op of `account` running `call_data` and waits for its successful receipt.
///
/// `kind` places the owner validator in the nonce (on Kernel: the root validator, type 0x00).
/// With `factory`, the op deploys the account (refused when it already has code).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send_owner_op(
    endpoints: &Endpoints,
    version: EntryPointVersion,
    account: Address,
    kind: AccountKind,
    owner: &Owner,
    call_data: Bytes,
    factory: Option<&Factory>,
    timeout: Duration,
) -> anyhow::Result<UserOperationReceipt> {
    if factory.is_some() {
        crate::factory::check_undeployed(&endpoints.node, account).await?;
    }
    let entry_point = version.canonical_address();
    let key = kind.nonce_key(owner.validator, 0, true)?;
    let sequence = endpoints.nonce_seq(entry_point, account, key).await?;
    let mut op = UserOperation::builder()
        .sender(account)
        .nonce((key << 64) | U256::from(sequence))
        .call_data(call_data)
        .call_gas_limit(PLACEHOLDER_CALL_GAS)
        .verification_gas_limit(PLACEHOLDER_VERIFICATION_GAS)
        .pre_verification_gas(PLACEHOLDER_PRE_VERIFICATION_GAS)
        .max_fee_per_gas(U256::from(1u64))
        .max_priority_fee_per_gas(U256::from(1u64))
        .build()
        .context("building the owner op")?;
    if let Some(factory) = factory {
        factory.attach(&mut op);
    }
    let hash = op.hash(version, entry_point, endpoints.chain_id);
    let placeholder = Bytes::from(throwaway_signature(hash)?.to_vec());
    endpoints
        .prepare(&mut op, entry_point, None, placeholder)
        .await?;
    op.sign_with(&owner.key, version, entry_point, endpoints.chain_id);
    endpoints.submit(&op, entry_point, timeout).await
}
