//! `leash serve`: session keys as a service. JSON-RPC 2.0 over HTTP (ERC-7715 grants, EIP-5792
//! calls, the two-step prepare/send form, API-key administration), every call under a bearer
//! API key, state in `leash-store` (embedded SQLite or PostgreSQL). docs/serve.md documents
//! every method.
//!
//! Lives in the CLI crate because it drives the same op pipeline as `leash op` (calldata,
//! settlement wrapping, bundler estimates, the module's decoded reasons).

pub(crate) mod apikeys;
pub(crate) mod auth;
mod calls;
mod chain;
mod context;
mod grant;
mod http;
pub(crate) mod methods;
mod params;
pub(crate) mod rpc;
mod sealing;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use leash_store::{Engine, Store, StoreError};

pub(crate) use apikeys::{KeyRequest, DEFAULT_RATE_LIMIT};
pub(crate) use rpc::Failure;

use crate::cli::{DatabaseArgs, ServeArgs};
use crate::output::Ui;
use chain::{Chain, ChainConfig};
use sealing::Sealer;

/// The embedded store's file in the data directory.
const SQLITE_FILE: &str = "serve.db";

/// Everything a request handler needs.
pub(crate) struct Service {
    /// The store.
    pub(crate) store: Arc<dyn Store>,
    /// Which engine the store runs on.
    pub(crate) engine: Engine,
    /// The chain served.
    pub(crate) chain: Chain,
    /// Seals server-held session keys.
    pub(crate) sealer: Sealer,
    /// Per-key rate limits.
    pub(crate) limiter: auth::RateLimiter,
}

impl Service {
    /// Runs a store call on a blocking thread (the store's engines block).
    pub(crate) async fn db<T, F>(&self, f: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|error| Failure::internal(format!("store task failed: {error}")))?
            .map_err(apikeys::store_failure)
    }
}

/// The store `--database` names, else the embedded one in `dir`.
pub(crate) fn open_database(args: &DatabaseArgs, dir: &Path) -> anyhow::Result<Box<dyn Store>> {
    let target = match &args.database {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(dir).map_err(|error| {
                anyhow::anyhow!("creating the data directory {}: {error}", dir.display())
            })?;
            dir.join(SQLITE_FILE).display().to_string()
        }
    };
    Ok(leash_store::open(&target)?)
}

/// Runs the server until SIGINT or SIGTERM.
pub(crate) fn run(args: ServeArgs, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::from(open_database(&args.database, dir)?);
    let engine = store.engine();
    let sealer = Sealer::from_env_or_file((engine == Engine::Sqlite).then_some(dir))?;
    let module = match &args.module {
        Some(text) => crate::commands::parse_address("--module", text)?,
        None => crate::commands::deploy::predicted_address(
            &leash_contracts::artifact(crate::module_error::MODULE_ARTIFACT)?.bytecode,
        ),
    };
    let entry_point = crate::commands::parse_entry_point_address(&args.entry_point)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // The store is dropped here, outside the runtime: PostgreSQL's blocking client panics when
    // its connections are closed on a runtime thread.
    let keep_store = Arc::clone(&store);
    let served = runtime.block_on(async move {
        let chain = Chain::connect(ChainConfig {
            rpc_url: args.rpc_url.as_deref(),
            bundler_url: args.bundler_url.as_deref(),
            chain_id: args.chain_id,
            module,
            entry_point,
            account_kind: args.account_kind,
        })
        .await?;
        let service = Arc::new(Service {
            store,
            engine,
            chain,
            sealer,
            limiter: auth::RateLimiter::default(),
        });
        http::serve(
            service,
            http::Limits {
                listen: args.listen,
                max_body_bytes: args.max_body_bytes,
                request_timeout: Duration::from_secs(args.request_timeout),
            },
            ui,
        )
        .await
    });
    drop(runtime);
    drop(keep_store);
    served
}
