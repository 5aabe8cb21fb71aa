//! The chain a server serves: its id, the module and EntryPoint, and (optionally) a node and a
//! bundler. Without a node the server still grants (owner-op form) and signs (`leash_signCalls`,
//! gas from the request); without a bundler it cannot send.

use alloy::primitives::Address;
use leash_rpc::NodeClient;
use leash_userop::account::AccountKind;
use leash_userop::EntryPointVersion;

use super::rpc::Failure;
use crate::bundle::Endpoints;
use crate::txsend::connect_node;

/// What `leash serve` was told about its chain.
pub(crate) struct ChainConfig<'a> {
    /// `--rpc-url`.
    pub(crate) rpc_url: Option<&'a str>,
    /// `--bundler-url`.
    pub(crate) bundler_url: Option<&'a str>,
    /// `--chain-id` (needed without a node).
    pub(crate) chain_id: Option<u64>,
    /// The module.
    pub(crate) module: Address,
    /// The EntryPoint.
    pub(crate) entry_point: Address,
    /// `--account-kind`, when every account served is of one kind.
    pub(crate) account_kind: Option<AccountKind>,
}

/// The connected chain.
pub(crate) struct Chain {
    /// Chain id (the node's when there is one); `None` without a node or `--chain-id`: each
    /// request names its chain.
    pub(crate) chain_id: Option<u64>,
    /// The session module.
    pub(crate) module: Address,
    /// The EntryPoint every served op goes to.
    pub(crate) entry_point: Address,
    /// Its version.
    pub(crate) version: EntryPointVersion,
    /// The node, if any.
    pub(crate) node: Option<NodeClient>,
    /// Node and bundler, if a bundler was given.
    pub(crate) endpoints: Option<Endpoints>,
    /// The account kind to assume, if given.
    pub(crate) account_kind: Option<AccountKind>,
}

impl Chain {
    /// Connects to what `config` names and checks they agree.
    pub(crate) async fn connect(config: ChainConfig<'_>) -> anyhow::Result<Self> {
        let version =
            EntryPointVersion::from_canonical_address(config.entry_point).ok_or_else(|| {
                anyhow::anyhow!(
                    "--entry-point {}: not a canonical EntryPoint v0.7 or v0.8 address",
                    config.entry_point
                )
            })?;
        let (node, chain_id) = match config.rpc_url {
            Some(url) => {
                let (node, chain_id) = connect_node("--rpc-url", url).await?;
                if let Some(flag) = config.chain_id.filter(|flag| *flag != chain_id) {
                    anyhow::bail!("--chain-id {flag} but the node at {url} is chain {chain_id}: drop --chain-id or use that chain's node");
                }
                (Some(node), Some(chain_id))
            }
            None => (None, config.chain_id),
        };
        let endpoints = match config.bundler_url {
            Some(bundler_url) => {
                let rpc_url = config.rpc_url.ok_or_else(|| {
                    anyhow::anyhow!(
                        "--bundler-url needs --rpc-url (the node the bundler works against)"
                    )
                })?;
                Some(Endpoints::connect(rpc_url, bundler_url, config.entry_point).await?)
            }
            None => None,
        };
        Ok(Self {
            chain_id,
            module: config.module,
            entry_point: config.entry_point,
            version,
            node,
            endpoints,
            account_kind: config.account_kind,
        })
    }

    /// The chain a request works on: this server's (refusing another), or, on a server
    /// started without a chain, the one the request names.
    pub(crate) fn chain_for(&self, asked: Option<u64>) -> Result<u64, Failure> {
        match (self.chain_id, asked) {
            (Some(served), Some(id)) if id != served => Err(Failure::new(
                super::rpc::UNSUPPORTED_CHAIN,
                format!("this server serves chain {served} only, not chain {id}"),
            )),
            (Some(served), _) => Ok(served),
            (None, Some(id)) => Ok(id),
            (None, None) => Err(Failure::params(
                "this server was started without a chain (no --rpc-url, no --chain-id): the request must name its chainId",
            )),
        }
    }

    /// How the ready line and `/healthz` name the chain.
    pub(crate) fn describe(&self) -> String {
        self.chain_id.map_or_else(
            || "any (named by each request)".to_owned(),
            |id| id.to_string(),
        )
    }

    /// The node, or the error saying the server runs without one.
    pub(crate) fn node(&self, what: &str) -> Result<&NodeClient, Failure> {
        self.node.as_ref().ok_or_else(|| {
            Failure::internal(format!(
                "{what} needs the chain: this server runs without --rpc-url"
            ))
        })
    }

    /// Node and bundler, or the error saying the server has no bundler.
    pub(crate) fn endpoints(&self, what: &str) -> Result<&Endpoints, Failure> {
        self.endpoints.as_ref().ok_or_else(|| {
            Failure::internal(format!(
                "{what} needs a bundler: this server runs without --bundler-url (leash_signCalls signs without sending)"
            ))
        })
    }
}
