//! The command-line grammar (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes, shown at the end of `leash --help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  anything else (I/O, network, a broken store)
  2  usage or bad input (flags, files, ids, passwords, a refused state change)
  3  rejected by the module, the EntryPoint or the bundler
  4  not found (unknown session id)
  5  integrity failure (audit log or key file tampered with)";

/// Session keys for ERC-4337 smart accounts: create, use, rotate and revoke scoped keys,
/// with an encrypted keystore and a tamper-evident audit log.
#[derive(Debug, Parser)]
#[command(name = "leash", version, after_help = EXIT_CODES, propagate_version = true)]
pub(crate) struct Cli {
    /// Data directory (keystore, registry, audit log).
    #[arg(long, global = true, env = "LEASH_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Machine output: JSON on stdout, JSON error objects on stderr, no progress.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// No progress messages on stderr.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// How nodes and bundlers are reached (headers, timeout, CA certificates, retries).
    #[command(flatten)]
    pub(crate) connection: crate::connection::ConnectionArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Top-level commands.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create, inspect and manage sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Session keys themselves.
    #[command(subcommand)]
    Key(KeyCommand),
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Build, sign and send user operations of a session.
    #[command(subcommand)]
    Op(OpCommand),
    /// The whole lifecycle on an in-process chain, step by step.
    Demo,
    /// Deploy the session module at its deterministic address (idempotent).
    Deploy(DeployArgs),
    /// Owner operations on a smart account, through a bundler.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Check a user operation against the ERC-7562 validation rules (simulated, nothing sent).
    #[command(name = "check-7562")]
    Check7562(crate::commands::check7562::Check7562Args),
    /// Serve session keys over JSON-RPC (ERC-7715, EIP-5792) to apps holding API keys.
    Serve(ServeArgs),
    /// API keys of `leash serve`, on its store directly (also to make the first admin key).
    #[command(subcommand)]
    Apikey(ApikeyCommand),
}

/// Where `leash serve` keeps its state.
#[derive(Debug, Args, Clone)]
pub(crate) struct DatabaseArgs {
    /// `postgres://…` (PostgreSQL), `sqlite://PATH` or a file path; default: serve.db in the
    /// data directory.
    #[arg(long, value_name = "URL", env = "LEASH_DATABASE_URL")]
    pub(crate) database: Option<String>,
}

/// `leash serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (loopback by default; put TLS in front for anything else).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8547")]
    pub(crate) listen: String,
    /// The store.
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
    /// The node (reads nonces, what is left, the module's state; enables grants in the first op).
    #[arg(long, value_name = "URL", env = "ETH_RPC_URL")]
    pub(crate) rpc_url: Option<String>,
    /// The bundler ops are sent through (needs --rpc-url).
    #[arg(long, value_name = "URL")]
    pub(crate) bundler_url: Option<String>,
    /// The chain id, when serving without a node.
    #[arg(long, value_name = "N")]
    pub(crate) chain_id: Option<u64>,
    /// The session module (default: the deterministic address `leash deploy` uses).
    #[arg(long, value_name = "ADDR")]
    pub(crate) module: Option<String>,
    /// The EntryPoint of the served accounts: v0.7, v0.8 or its canonical address.
    #[arg(long, value_name = "EP", default_value = "v0.7")]
    pub(crate) entry_point: String,
    /// The kind of every served account (default: read from the account through the node;
    /// openzeppelin without one).
    #[arg(long, value_name = "KIND", value_parser = crate::account_kind::parse)]
    pub(crate) account_kind: Option<leash_userop::account::AccountKind>,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub(crate) max_body_bytes: usize,
    /// Longest a request may take, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub(crate) request_timeout: u64,
}

/// `leash apikey …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApikeyCommand {
    /// Create a key; its secret is shown once.
    Create(ApikeyCreateArgs),
    /// Every key (secrets masked).
    List(DatabaseArgs),
    /// One key.
    Show(ApikeyIdArgs),
    /// Accept a disabled key again.
    Enable(ApikeyIdArgs),
    /// Refuse a key until it is enabled again.
    Disable(ApikeyIdArgs),
    /// Give a key a new secret (shown once); the old one fails at once.
    Rotate(ApikeyIdArgs),
    /// Refuse a key for good.
    Revoke(ApikeyRevokeArgs),
    /// Delete a key.
    Delete(ApikeyIdArgs),
}

/// `leash apikey create`.
#[derive(Debug, Args)]
pub(crate) struct ApikeyCreateArgs {
    /// A name for people.
    #[arg(long)]
    pub(crate) name: String,
    /// `app` (its accounts only) or `admin` (manages keys, every account).
    #[arg(long, default_value = "app", value_parser = ["app", "admin"])]
    pub(crate) role: String,
    /// An account the app key may use (repeat for more).
    #[arg(long = "account", value_name = "ADDR")]
    pub(crate) accounts: Vec<String>,
    /// A method the app key may call (repeat; default: every app method).
    #[arg(long = "method", value_name = "NAME")]
    pub(crate) methods: Vec<String>,
    /// Requests per minute.
    #[arg(long, value_name = "N", default_value_t = crate::serve::DEFAULT_RATE_LIMIT)]
    pub(crate) rate_limit: u32,
    /// The store.
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
}

/// A command on one key.
#[derive(Debug, Args)]
pub(crate) struct ApikeyIdArgs {
    /// The key's id.
    pub(crate) id: String,
    /// The store.
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
}

/// `leash apikey revoke`.
#[derive(Debug, Args)]
pub(crate) struct ApikeyRevokeArgs {
    /// The key's id.
    pub(crate) id: String,
    /// Why (kept in the key and the audit log).
    #[arg(long)]
    pub(crate) reason: String,
    /// The store.
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
}

/// `leash deploy`.
#[derive(Debug, Args)]
// Not `required`: $ETH_KEYSTORE / $ETH_KEYSTORE_ACCOUNT may name the key (read in code, so a
// flag always wins over them).
#[command(group(clap::ArgGroup::new("deployer").args(["private_key_env", "private_key", "keystore", "account", "unlocked"])))]
pub(crate) struct DeployArgs {
    /// The node's JSON-RPC endpoint (http or https).
    #[arg(long, value_name = "URL", env = "ETH_RPC_URL")]
    pub(crate) rpc_url: String,
    /// Sign the deployment with the private key (hex) held in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub(crate) private_key_env: Option<String>,
    /// Sign with this private key (hex), as cast takes it. Visible to other users of the
    /// machine (ps, shell history): prefer --keystore or --account.
    #[arg(long, value_name = "HEX")]
    pub(crate) private_key: Option<String>,
    /// Sign with the key of this Web3 Secret Storage file (`cast wallet import`, geth), or of
    /// the only file of this directory. Default, when no key flag is given: $ETH_KEYSTORE.
    #[arg(long, value_name = "PATH")]
    pub(crate) keystore: Option<PathBuf>,
    /// Sign with this account of foundry's keystore folder ($FOUNDRY_KEYSTORES_DIR, else
    /// ~/.foundry/keystores), like cast's --account. Default, when no key flag is given:
    /// $ETH_KEYSTORE_ACCOUNT.
    #[arg(long, value_name = "NAME")]
    pub(crate) account: Option<String>,
    /// The password of --keystore / --account, from this file (one trailing newline ignored);
    /// default: $ETH_PASSWORD, else a prompt on a terminal.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// Let the node sign for this unlocked account (anvil's dev accounts).
    #[arg(long, value_name = "FROM")]
    pub(crate) unlocked: Option<String>,
    /// Seconds to wait for the transaction's receipt.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) timeout: u64,
}

/// What an owner op needs: the chain, a bundler, the account owner's key and validator.
#[derive(Debug, Args, Clone)]
#[command(group(clap::ArgGroup::new("owner_key").multiple(false).args(["owner_key_env", "private_key", "keystore", "owner_account"])))]
pub(crate) struct OwnerArgs {
    /// The node's JSON-RPC endpoint (http or https).
    #[arg(long, value_name = "URL", env = "ETH_RPC_URL")]
    pub(crate) rpc_url: Option<String>,
    /// The bundler's JSON-RPC endpoint (owner ops go through it).
    #[arg(long, value_name = "URL")]
    pub(crate) bundler_url: Option<String>,
    /// Environment variable holding the account owner's private key (hex). One owner key
    /// source at most: this, --private-key, --keystore or --owner-account.
    #[arg(long, value_name = "VAR")]
    pub(crate) owner_key_env: Option<String>,
    /// The account owner's private key (hex), as cast takes it. Visible to other users of the
    /// machine (ps, shell history): prefer --keystore or --owner-account.
    #[arg(long, value_name = "HEX")]
    pub(crate) private_key: Option<String>,
    /// The account owner's key in a Web3 Secret Storage file (`cast wallet import`, geth), or
    /// a directory holding exactly one. Default, when the command needs the owner's key and no
    /// key flag is given: $ETH_KEYSTORE.
    #[arg(long, value_name = "PATH")]
    pub(crate) keystore: Option<PathBuf>,
    /// The account owner's key as an account of foundry's keystore folder
    /// ($FOUNDRY_KEYSTORES_DIR, else ~/.foundry/keystores): cast's --account (here `--account`
    /// names the smart account). Default, when the command needs the owner's key and no key
    /// flag is given: $ETH_KEYSTORE_ACCOUNT.
    #[arg(long, value_name = "NAME")]
    pub(crate) owner_account: Option<String>,
    /// The password of --keystore / --owner-account, from this file (one trailing newline
    /// ignored); default: $ETH_PASSWORD, else a prompt on a terminal. Not the session
    /// keystore's password (--password-env / --password-file).
    #[arg(long, value_name = "FILE")]
    pub(crate) owner_password_file: Option<PathBuf>,
    /// The account's owner validator (the module that checks the owner's signature; on Kernel
    /// its root validator).
    #[arg(long, value_name = "ADDR")]
    pub(crate) owner_validator: Option<String>,
    /// The account implementation: openzeppelin, msa, nexus, safe7579, kernel or eip7702 (an
    /// EOA delegated to OpenZeppelin's ERC-7579 account; default: read from the account's
    /// ERC-7579 accountId() and code at --rpc-url). Sets the nonce layout, the install data and
    /// the ERC-1271 format of the owner's grant (eip7702: the EOA's own signature, no
    /// --owner-validator).
    #[arg(long, value_name = "KIND", value_parser = crate::account_kind::parse)]
    pub(crate) account_kind: Option<leash_userop::account::AccountKind>,
    /// Seconds to wait for a receipt.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) timeout: u64,
    /// The factory of a counterfactual account (not deployed yet): the owner op carries it
    /// (`initCode = factory ‖ --factory-data`) and deploys the account. Refused when the
    /// account already has code.
    #[arg(long, value_name = "ADDR")]
    pub(crate) factory: Option<String>,
    /// The call data the factory is called with (0x-hex). Needs --factory.
    #[arg(long, value_name = "HEX", requires = "factory")]
    pub(crate) factory_data: Option<String>,
}

/// `leash account ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AccountCommand {
    /// Install the session module as a validator (owner op: installModule(1, module, "")).
    InstallModule(InstallModuleArgs),
}

/// `leash account install-module`.
#[derive(Debug, Args)]
pub(crate) struct InstallModuleArgs {
    /// The smart account.
    #[arg(long, value_name = "ADDR")]
    pub(crate) account: String,
    /// The module (default: the deterministic address `leash deploy` uses).
    #[arg(long, value_name = "ADDR")]
    pub(crate) module: Option<String>,
    /// The account's EntryPoint: v0.7, v0.8 or its canonical address.
    #[arg(long, value_name = "EP", default_value = "v0.7")]
    pub(crate) entry_point: String,
    /// Node, bundler and owner.
    #[command(flatten)]
    pub(crate) owner: OwnerArgs,
}

/// `leash session ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Generate a key and record a session with its permissions.
    Create(CreateArgs),
    /// List sessions.
    List(ListArgs),
    /// Show one session (and, with --rpc-url, what is left on-chain).
    Show(ShowArgs),
    /// Stop signing with a session until it is resumed.
    Pause(IdArg),
    /// Sign with a paused session again.
    Resume(IdArg),
    /// Grant a session on-chain (owner op: the account calls grantSession on the module).
    Grant(GrantArgs),
    /// Replace a session's key, carrying over only what is left (--rpc-url); the old one is
    /// revoked ("rotated").
    Rotate(RotateArgs),
    /// Revoke a session for good.
    Revoke(RevokeArgs),
    /// Delete a revoked session's record and key file (its audit entries stay).
    Delete(IdArg),
}

/// A session's local id.
#[derive(Debug, Args)]
pub(crate) struct IdArg {
    /// The session's local id (`s_...`, see `leash session list`).
    pub(crate) id: String,
}

/// Where the keystore password comes from (never from argv).
#[derive(Debug, Args, Clone)]
pub(crate) struct PasswordArgs {
    /// Read the keystore password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    pub(crate) password_env: Option<String>,
    /// Read the keystore password from this file (one trailing newline ignored).
    #[arg(long, value_name = "PATH")]
    pub(crate) password_file: Option<PathBuf>,
}

/// `leash session create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Permission file (leash JSON format, see the leash-keys README).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "erc7715",
        conflicts_with = "erc7715"
    )]
    pub(crate) permissions: Option<PathBuf>,
    /// A permission request as apps send it, to import instead: ERC-7715
    /// `wallet_grantPermissions` / `wallet_requestExecutionPermissions` (a request, a params
    /// array or a whole JSON-RPC body; viem, MetaMask, reown, Openfort), Alchemy
    /// `wallet_createSession`, or a Coinbase/Base spend permission. A request that names its
    /// signer gets the session granted to that key (the app signs).
    #[arg(long, value_name = "FILE")]
    pub(crate) erc7715: Option<PathBuf>,
    /// How much the session may spend on fees of ops it pays itself: wei, or with a unit
    /// (0.01ether, 5gwei). Needed when the permissions set neither a fee budget nor a
    /// paymaster (a session that cannot pay is refused).
    #[arg(long, value_name = "AMOUNT")]
    pub(crate) fee_budget: Option<String>,
    /// A paymaster that may sponsor the session's ops (repeatable, at most 4 in all).
    #[arg(long, value_name = "ADDR")]
    pub(crate) paymaster: Vec<String>,
    /// The smart account (optional with --erc7715 when the request names it).
    #[arg(long, value_name = "ADDR")]
    pub(crate) account: Option<String>,
    /// EIP-155 chain id (optional with --erc7715 when the request names its chainId; a
    /// request without one, like viem's, takes this).
    #[arg(long, value_name = "N")]
    pub(crate) chain_id: Option<u64>,
    /// The EntryPoint the account uses: v0.7, v0.8 or an address.
    #[arg(long, value_name = "EP")]
    pub(crate) entry_point: String,
    /// The session-key validator module's address.
    #[arg(long, value_name = "ADDR")]
    pub(crate) module: String,
    /// Free text for operators.
    #[arg(long, value_name = "L", default_value = "session")]
    pub(crate) label: String,
    /// Use the key of this Web3 Secret Storage file (`cast wallet import`, geth; or the only
    /// file of this directory) as the session key instead of generating one; leash stores it
    /// re-encrypted under its own keystore password.
    #[arg(long, value_name = "PATH", conflicts_with = "import_account")]
    pub(crate) import_keystore: Option<PathBuf>,
    /// Like --import-keystore, for an account of foundry's keystore folder
    /// ($FOUNDRY_KEYSTORES_DIR, else ~/.foundry/keystores), as cast's --account names it.
    #[arg(long, value_name = "NAME")]
    pub(crate) import_account: Option<String>,
    /// The password of the imported keystore, from this file (one trailing newline ignored);
    /// default: $ETH_PASSWORD, else a prompt on a terminal. leash's own keystore password
    /// still comes from --password-env / --password-file.
    #[arg(long, value_name = "FILE")]
    pub(crate) import_password_file: Option<PathBuf>,
    /// Password source.
    #[command(flatten)]
    pub(crate) password: PasswordArgs,
}

/// `leash session list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only this account's sessions.
    #[arg(long, value_name = "ADDR")]
    pub(crate) account: Option<String>,
    /// Only sessions in this status (active, expired, paused, revoked).
    #[arg(long, value_name = "S")]
    pub(crate) status: Option<String>,
    /// Only sessions whose window ends before this time (unix seconds or RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub(crate) expiring_before: Option<String>,
}

/// `leash session show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The session's local id.
    pub(crate) id: String,
    /// A node to read what is left from (`remainingOf` of the module).
    #[arg(long, value_name = "URL", env = "ETH_RPC_URL")]
    pub(crate) rpc_url: Option<String>,
}

/// `leash session grant`.
#[derive(Debug, Args)]
pub(crate) struct GrantArgs {
    /// The session's local id.
    pub(crate) id: String,
    /// Node, bundler and owner (all required, except the bundler with --enable-in-first-op).
    #[command(flatten)]
    pub(crate) owner: OwnerArgs,
    /// Send no owner op: sign the owner's EIP-712 EnableSession grant and store it; the
    /// session's first `leash op send` carries it (envelope flag ENABLE) and creates the
    /// session on-chain. Needs --rpc-url, an owner key and --owner-validator.
    #[arg(long, conflicts_with = "factory")]
    pub(crate) enable_in_first_op: bool,
    /// The account's enable nonce for the grant (decimal or 0x hex; default: a fresh random
    /// one). Refused when the module says it is used or invalidated.
    #[arg(long, value_name = "N", requires = "enable_in_first_op")]
    pub(crate) enable_nonce: Option<String>,
}

/// `leash session rotate`.
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The session's local id.
    pub(crate) id: String,
    /// Label of the new session (default: the old one's).
    #[arg(long, value_name = "L")]
    pub(crate) label: Option<String>,
    /// Without --rpc-url: give the new key the old grant in full (a fresh budget).
    #[arg(long, conflicts_with = "rpc_url")]
    pub(crate) full_budget: bool,
    /// --rpc-url alone reads what is left; with the bundler and owner flags the rotation
    /// also happens on-chain (one owner op: grantSession(new) + revokeSession(old)).
    #[command(flatten)]
    pub(crate) owner: OwnerArgs,
    /// Password source for the new key.
    #[command(flatten)]
    pub(crate) password: PasswordArgs,
}

/// `leash session revoke`.
#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// The session's local id.
    pub(crate) id: String,
    /// Why (kept in the registry and the audit log).
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: String,
    /// With these, also revoke on-chain (owner op: revokeSession).
    #[command(flatten)]
    pub(crate) owner: OwnerArgs,
}

/// `leash key ...`.
// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Print a session's private key, once, in clear (audited).
    Export(ExportArgs),
    /// Import a cast/geth keystore (Web3 Secret Storage v3, scrypt or pbkdf2) or a foundry
    /// account as the key of a new session: `session create` with --import-keystore or
    /// --import-account required.
    Import(KeyImportArgs),
}

/// `leash key import`: the flags of `session create`, one import source required.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("import_source").required(true).args(["import_keystore", "import_account"])))]
pub(crate) struct KeyImportArgs {
    /// The session the imported key is for.
    #[command(flatten)]
    pub(crate) create: CreateArgs,
}

/// `leash key export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The session's local id.
    pub(crate) id: String,
    /// Password source.
    #[command(flatten)]
    pub(crate) password: PasswordArgs,
}

/// `leash audit ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the hash chain (exit 5 when it is broken).
    Verify(VerifyArgs),
    /// Every entry as JSON lines on stdout.
    Export,
    /// The latest entry as `<seq>:<hash>`, to keep somewhere else as an anchor.
    Head,
}

/// `leash audit verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// An anchor kept elsewhere (`leash audit head` output): detects truncation.
    #[arg(long, value_name = "SEQ:HASH")]
    pub(crate) anchor: Option<String>,
}

/// `leash op ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum OpCommand {
    /// Print the unsigned op (bundler JSON).
    Build(OpArgs),
    /// Print the op signed by the session key (audited).
    Sign(SignArgs),
    /// Sign and send the op to a bundler, then wait for its receipt.
    Send(SendArgs),
}

/// What the op does and how it is paid for.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("eoa_key").multiple(false).args(["owner_key_env", "private_key", "keystore", "owner_account"])))]
pub(crate) struct OpArgs {
    /// The session's local id.
    #[arg(long, value_name = "ID")]
    pub(crate) session: String,
    /// The account (must be the session's; default: the session's).
    #[arg(long, value_name = "ADDR")]
    pub(crate) account: Option<String>,
    /// A call `TARGET,VALUE,DATA` (value in wei, data 0x-hex); repeat for a batch.
    #[arg(
        long = "call",
        value_name = "TARGET,VALUE,DATA",
        conflicts_with = "calls_file"
    )]
    pub(crate) calls: Vec<String>,
    /// A JSON array of `{"target", "value", "data"}` calls.
    #[arg(long, value_name = "FILE")]
    pub(crate) calls_file: Option<PathBuf>,
    /// The nonce lane under the module (parallel lanes; 4 bytes on OpenZeppelin, MSAAdvanced
    /// and Safe7579, 2 on Kernel, none on Nexus).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub(crate) nonce_key: u32,
    /// The account implementation: openzeppelin, msa, nexus, safe7579, kernel or eip7702
    /// (default: read from the account's ERC-7579 accountId() and code at --rpc-url, else
    /// openzeppelin). Sets where the nonce names the module.
    #[arg(long, value_name = "KIND", value_parser = crate::account_kind::parse)]
    pub(crate) account_kind: Option<leash_userop::account::AccountKind>,
    /// The nonce sequence number (EntryPoint `getNonce`); read from --rpc-url when omitted.
    #[arg(long, value_name = "N")]
    pub(crate) nonce_seq: Option<u64>,
    /// A node to read the nonce from.
    #[arg(long, value_name = "URL", env = "ETH_RPC_URL")]
    pub(crate) rpc_url: Option<String>,
    /// `callGasLimit` (replaced by the bundler's estimate with --bundler-url and --rpc-url).
    #[arg(long, value_name = "GAS", default_value_t = 200_000)]
    pub(crate) call_gas_limit: u128,
    /// `verificationGasLimit`.
    #[arg(long, value_name = "GAS", default_value_t = 300_000)]
    pub(crate) verification_gas_limit: u128,
    /// `preVerificationGas`.
    #[arg(long, value_name = "GAS", default_value_t = 60_000)]
    pub(crate) pre_verification_gas: u64,
    /// `maxFeePerGas` in wei (default: the bundler's fees with --bundler-url, else 1 gwei).
    #[arg(long, value_name = "WEI", requires = "max_priority_fee_per_gas")]
    pub(crate) max_fee_per_gas: Option<u128>,
    /// `maxPriorityFeePerGas` in wei (same default).
    #[arg(long, value_name = "WEI", requires = "max_fee_per_gas")]
    pub(crate) max_priority_fee_per_gas: Option<u128>,
    /// A paymaster that sponsors the op (must be in the session's paymasters).
    #[arg(long, value_name = "ADDR")]
    pub(crate) paymaster: Option<String>,
    /// The paymaster's validation gas limit.
    #[arg(long, value_name = "GAS", default_value_t = 0, requires = "paymaster")]
    pub(crate) paymaster_verification_gas_limit: u128,
    /// The paymaster's `postOp` gas limit.
    #[arg(long, value_name = "GAS", default_value_t = 0, requires = "paymaster")]
    pub(crate) paymaster_post_op_gas_limit: u128,
    /// Data for the paymaster (0x-hex).
    #[arg(long, value_name = "HEX", requires = "paymaster")]
    pub(crate) paymaster_data: Option<String>,
    /// EIP-7702 (EntryPoint v0.8): the account is an EOA; sign an authorization delegating it
    /// to this contract (with the EOA's key: --owner-key-env, --private-key, --keystore or
    /// --owner-account) and send it with the op. The op's initCode becomes the bare 0x7702
    /// marker.
    #[arg(long, value_name = "ADDR", conflicts_with = "eip7702_auth")]
    pub(crate) eip7702_delegate: Option<String>,
    /// Environment variable holding the EOA's private key (hex), for --eip7702-delegate.
    #[arg(long, value_name = "VAR", requires = "eip7702_delegate")]
    pub(crate) owner_key_env: Option<String>,
    /// The EOA's private key (hex) for --eip7702-delegate, as cast takes it (visible to other
    /// users of the machine: prefer a keystore).
    #[arg(long, value_name = "HEX", requires = "eip7702_delegate")]
    pub(crate) private_key: Option<String>,
    /// The EOA's key for --eip7702-delegate in a Web3 Secret Storage file (or a directory
    /// holding exactly one). Default, when no key flag is given: $ETH_KEYSTORE.
    #[arg(long, value_name = "PATH", requires = "eip7702_delegate")]
    pub(crate) keystore: Option<PathBuf>,
    /// The EOA's key for --eip7702-delegate as an account of foundry's keystore folder
    /// ($FOUNDRY_KEYSTORES_DIR, else ~/.foundry/keystores). Default, when no key flag is
    /// given: $ETH_KEYSTORE_ACCOUNT.
    #[arg(long, value_name = "NAME", requires = "eip7702_delegate")]
    pub(crate) owner_account: Option<String>,
    /// The password of --keystore / --owner-account, from this file; default: $ETH_PASSWORD,
    /// else a prompt on a terminal.
    #[arg(long, value_name = "FILE", requires = "eip7702_delegate")]
    pub(crate) owner_password_file: Option<PathBuf>,
    /// The EOA's nonce the authorization is for (default: its transaction count at --rpc-url).
    #[arg(long, value_name = "N", requires = "eip7702_delegate")]
    pub(crate) eip7702_nonce: Option<u64>,
    /// EIP-7702 (EntryPoint v0.8): send this signed authorization with the op (viem's
    /// `eip7702Auth` JSON: address, chainId, nonce, r, s, yParity in hex). The op's initCode
    /// becomes the bare 0x7702 marker.
    #[arg(long, value_name = "FILE")]
    pub(crate) eip7702_auth: Option<PathBuf>,
    /// The factory of a counterfactual account (not deployed yet): the op carries it
    /// (`initCode = factory ‖ --factory-data`) and deploys the account. Refused when the
    /// account already has code at --rpc-url. Deploying costs verification gas: raise
    /// --verification-gas-limit, or let --bundler-url estimate.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["eip7702_delegate", "eip7702_auth"])]
    pub(crate) factory: Option<String>,
    /// The call data the factory is called with (e.g. `createAccount(…)`; 0x-hex). Needs
    /// --factory.
    #[arg(long, value_name = "HEX", requires = "factory")]
    pub(crate) factory_data: Option<String>,
}

/// How an op is signed.
#[derive(Debug, Args)]
pub(crate) struct SigningArgs {
    /// The period index to sign for (default: the period containing now).
    #[arg(long, value_name = "N")]
    pub(crate) period_index: Option<u32>,
    /// Password source.
    #[command(flatten)]
    pub(crate) password: PasswordArgs,
}

/// `leash op sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The op.
    #[command(flatten)]
    pub(crate) op: OpArgs,
    /// Signing.
    #[command(flatten)]
    pub(crate) signing: SigningArgs,
    /// Take gas limits from this bundler's estimate and fees from it (needs --rpc-url).
    #[arg(long, value_name = "URL")]
    pub(crate) bundler_url: Option<String>,
    /// Sign this op, built elsewhere (viem, a bundler SDK, `leash --json op build`): a
    /// bundler-JSON user operation or `{"userOperation", "entryPoint"}`. Its sender must be
    /// the session's account and its nonce key the module's; the op's own gas, fees and
    /// paymaster are kept (the op flags that build one are not used).
    #[arg(
        long = "op",
        value_name = "FILE",
        conflicts_with_all = ["calls", "calls_file", "nonce_seq", "paymaster", "eip7702_delegate", "eip7702_auth", "factory"]
    )]
    pub(crate) op_file: Option<PathBuf>,
}

/// `leash op send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The op.
    #[command(flatten)]
    pub(crate) op: OpArgs,
    /// Signing.
    #[command(flatten)]
    pub(crate) signing: SigningArgs,
    /// The bundler's JSON-RPC endpoint; with --rpc-url, gas comes from its estimate.
    #[arg(long, value_name = "URL")]
    pub(crate) bundler_url: String,
    /// Send this op as signed earlier (`leash --json op sign` output) instead of building one.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["calls", "calls_file", "factory"])]
    pub(crate) signed_op: Option<PathBuf>,
    /// Seconds to wait for the receipt.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) timeout: u64,
}
