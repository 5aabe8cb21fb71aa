//! How leash reaches nodes and bundlers: the global connection flags (headers, timeout,
//! extra CA certificates, retries), checked once at start-up and applied to every node and
//! bundler client the commands make.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use clap::Args;
use leash_rpc::{
    BundlerClient, Endpoint, JsonRpcTransport, NodeClient, RpcError, DEFAULT_INITIAL_BACKOFF,
};

use crate::exit::{usage, Exit};

/// Connection flags shared by every command that talks to a node or a bundler.
#[derive(Debug, Clone, Args)]
pub(crate) struct ConnectionArgs {
    /// An extra HTTP header for node requests, `Name: value` (repeat for more), e.g. an
    /// API key: --rpc-header "x-api-key: KEY".
    #[arg(
        long = "rpc-header",
        visible_alias = "rpc-headers",
        value_name = "NAME: VALUE",
        global = true
    )]
    pub(crate) rpc_headers: Vec<String>,
    /// An extra HTTP header for bundler requests, `Name: value` (repeat for more).
    #[arg(long = "bundler-header", value_name = "NAME: VALUE", global = true)]
    pub(crate) bundler_headers: Vec<String>,
    /// Seconds one JSON-RPC request (node or bundler) may take.
    #[arg(
        long,
        value_name = "SECS",
        env = "ETH_RPC_TIMEOUT",
        default_value_t = 30,
        global = true
    )]
    pub(crate) rpc_timeout: u64,
    /// A PEM file of CA certificates to trust for https endpoints, on top of the system's
    /// (for a node or bundler behind a private CA).
    #[arg(long, value_name = "FILE", env = "LEASH_RPC_CA_CERT", global = true)]
    pub(crate) rpc_ca_cert: Option<PathBuf>,
    /// How many times a rate-limited request (HTTP 429) is retried; reads are also retried
    /// after HTTP 502/503/504, sends never are.
    #[arg(long, value_name = "N", default_value_t = 3, global = true)]
    pub(crate) rpc_retries: u32,
}

/// The checked settings.
#[derive(Debug, Clone)]
struct Settings {
    rpc_headers: Vec<String>,
    bundler_headers: Vec<String>,
    timeout: Duration,
    ca_pem: Option<(PathBuf, Vec<u8>)>,
    retries: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rpc_headers: Vec::new(),
            bundler_headers: Vec::new(),
            timeout: leash_rpc::DEFAULT_REQUEST_TIMEOUT,
            ca_pem: None,
            retries: leash_rpc::DEFAULT_MAX_RETRIES,
        }
    }
}

/// Set once by [`init`]; the clients of one process all use it.
static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Checks the flags (bad headers, an unreadable CA file and a zero timeout are usage errors)
/// and keeps them for [`node`] and [`bundler`].
pub(crate) fn init(args: ConnectionArgs) -> anyhow::Result<()> {
    if args.rpc_timeout == 0 {
        return Err(usage(
            "--rpc-timeout 0: a request needs at least one second",
            "give --rpc-timeout SECS (or ETH_RPC_TIMEOUT) of 1 or more",
        ));
    }
    let ca_pem = match args.rpc_ca_cert {
        Some(path) => {
            let pem = std::fs::read(&path).map_err(|error| {
                usage(
                    format!("--rpc-ca-cert {}: {error}", path.display()),
                    "give the path of a PEM file with the CA certificate",
                )
            })?;
            Some((path, pem))
        }
        None => None,
    };
    let settings = Settings {
        rpc_headers: args.rpc_headers,
        bundler_headers: args.bundler_headers,
        timeout: Duration::from_secs(args.rpc_timeout),
        ca_pem,
        retries: args.rpc_retries,
    };
    // Apply to a placeholder URL now, so bad input fails before anything else runs.
    endpoint(
        &settings,
        "--rpc-header",
        &settings.rpc_headers,
        "http://127.0.0.1",
    )?;
    endpoint(
        &settings,
        "--bundler-header",
        &settings.bundler_headers,
        "http://127.0.0.1",
    )?;
    // A second call would be a bug; the first settings stay.
    let _ = SETTINGS.set(settings);
    Ok(())
}

fn settings() -> Settings {
    SETTINGS.get().cloned().unwrap_or_default()
}

/// The endpoint at `url` with `headers` and the shared settings; errors name `flag`.
fn endpoint(
    settings: &Settings,
    flag: &str,
    headers: &[String],
    url: &str,
) -> anyhow::Result<Endpoint> {
    let example = if flag.contains("bundler") {
        "give the bundler's JSON-RPC endpoint, e.g. http://127.0.0.1:4337"
    } else {
        "give the node's JSON-RPC endpoint, e.g. http://127.0.0.1:8545"
    };
    let mut endpoint = Endpoint::new(url)
        .map_err(|error| usage(format!("{flag}: {error}"), example))?
        .with_timeout(settings.timeout)
        .with_retries(settings.retries, DEFAULT_INITIAL_BACKOFF);
    for line in headers {
        endpoint = endpoint.with_header_line(line).map_err(|error| {
            usage(
                format!("{flag}: {error}"),
                "write each header as \"Name: value\", e.g. \"x-api-key: KEY\"",
            )
        })?;
    }
    if let Some((path, pem)) = &settings.ca_pem {
        endpoint = endpoint.with_ca_cert_pem(pem).map_err(|error| {
            usage(
                format!("--rpc-ca-cert {}: {error}", path.display()),
                "give a PEM file with -----BEGIN CERTIFICATE----- blocks",
            )
        })?;
    }
    Ok(endpoint)
}

/// The node at `url` (given with `flag`), with the connection flags.
pub(crate) fn node(flag: &str, url: &str) -> anyhow::Result<NodeClient> {
    let settings = settings();
    let endpoint = endpoint(&settings, flag, &settings.rpc_headers, url)?;
    NodeClient::connect(&endpoint).map_err(|error| setup_failure(flag, &error))
}

/// An untyped transport to the node at `url` (given with `flag`), with the connection flags.
pub(crate) fn transport(flag: &str, url: &str) -> anyhow::Result<JsonRpcTransport> {
    let settings = settings();
    let endpoint = endpoint(&settings, flag, &settings.rpc_headers, url)?;
    JsonRpcTransport::connect(&endpoint).map_err(|error| setup_failure(flag, &error))
}

/// The bundler at `url` (given with `flag`), with the connection flags.
pub(crate) fn bundler(flag: &str, url: &str) -> anyhow::Result<BundlerClient> {
    let settings = settings();
    let endpoint = endpoint(&settings, flag, &settings.bundler_headers, url)?;
    BundlerClient::connect(&endpoint).map_err(|error| setup_failure(flag, &error))
}

fn setup_failure(flag: &str, error: &RpcError) -> anyhow::Error {
    crate::exit::fail(
        Exit::Failure,
        format!("{flag}: {error}"),
        Some("install the system's CA certificates, or give --rpc-ca-cert FILE"),
    )
}

/// What to do about an endpoint that did not answer as it should; `otherwise` when the
/// error says nothing more specific.
pub(crate) fn hint(error: &RpcError, otherwise: &'static str) -> &'static str {
    match error {
        RpcError::UntrustedCertificate { .. } => {
            "trust the endpoint's CA with --rpc-ca-cert FILE (or LEASH_RPC_CA_CERT), or use an \
             endpoint with a publicly trusted certificate"
        }
        RpcError::RequestTimeout { .. } => {
            "check that the endpoint is up, or allow more time with --rpc-timeout SECS (or \
             ETH_RPC_TIMEOUT)"
        }
        RpcError::RetriesExhausted { .. } => {
            "the endpoint is rate-limiting or unavailable: wait and retry, raise --rpc-retries, \
             or use another endpoint (an API key header may lift the limit)"
        }
        RpcError::Http {
            status: 401 | 403, ..
        } => "the endpoint wants credentials: pass them with --rpc-header/--bundler-header \"Name: value\"",
        _ => otherwise,
    }
}
