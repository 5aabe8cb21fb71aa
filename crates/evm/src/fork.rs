//! A chain forked from a live node: its state is read lazily over JSON-RPC at one pinned
//! block, cached, and transactions run on it in-process without sending anything.
//!
//! [`ForkDb`] is a revm [`DatabaseRef`] that asks the node (`eth_getBalance`,
//! `eth_getTransactionCount`, `eth_getCode`, `eth_getStorageAt`, `eth_getBlockByNumber`,
//! all at the pinned block) for what execution touches. [`ForkedChain`] puts revm's
//! [`CacheDB`] over it, so every account, slot and block hash is fetched at most once, and
//! simulates `handleOps` under any inspector (the ERC-7562 checker) on the node's real state.
//!
//! The node is reached through [`leash_rpc::JsonRpcTransport`] on a dedicated thread that
//! owns its own single-threaded tokio runtime; the database blocks on a channel, so it works
//! the same from plain threads and from inside an async runtime (no runtime is nested).

use crate::{
    entry_point::BUNDLER, DecodedEvent, DecodedRevert, ErrorRegistry, EvmError, HandleOpsOutcome,
};
use alloy::{
    json_abi::JsonAbi,
    primitives::{Address, Bytes, TxKind, B256, U256, U64},
    sol_types::SolCall,
};
use leash_contracts::bindings::entry_point::IEntryPoint;
use leash_rpc::{JsonRpcTransport, RpcError};
use leash_userop::{EntryPointVersion, PackedUserOperation};
use revm::{
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    context_interface::result::{EVMError, ExecutionResult},
    database::{CacheDB, DBErrorMarker, Database, DatabaseRef},
    handler::MainnetContext,
    primitives::{hardfork::SpecId, StorageKey, StorageValue},
    state::{AccountInfo, Bytecode},
    InspectEvm, Inspector, MainBuilder, MainContext,
};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    sync::{mpsc, Mutex, PoisonError},
    thread,
    time::{SystemTime, UNIX_EPOCH},
};

/// The hardfork a [`ForkedChain`] executes with (anvil's default, `latest`).
pub const FORK_SPEC: SpecId = SpecId::OSAKA;
/// EIP-7825's per-transaction gas cap (Osaka); `handleOps` gets the block's gas limit up to it.
const TX_GAS_LIMIT_CAP: u64 = 1 << 24;

/// Why a forked chain could not read the node or run a transaction.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    /// The node could not be reached or answered with an error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The node does not know the requested block.
    #[error("the node has no block {0}")]
    UnknownBlock(u64),
    /// The node answered something that is not what the method returns.
    #[error("`{method}` returned an unexpected answer: {reason}")]
    InvalidResponse {
        /// The JSON-RPC method.
        method: &'static str,
        /// What did not fit.
        reason: String,
    },
    /// The thread that talks to the node could not start or has stopped.
    #[error("the node client thread is not running: {0}")]
    Client(String),
    /// The EVM refused the transaction, or the harness failed otherwise.
    #[error(transparent)]
    Evm(#[from] EvmError),
}

impl DBErrorMarker for ForkError {}

/// One request for the client thread.
struct Job {
    method: &'static str,
    params: Value,
    reply: mpsc::Sender<Result<Value, RpcError>>,
}

/// A blocking JSON-RPC client: requests go to a dedicated thread running the async
/// transport on its own runtime. The thread ends when the client is dropped.
#[derive(Debug)]
struct BlockingRpc {
    url: String,
    jobs: mpsc::Sender<Job>,
}

impl BlockingRpc {
    fn start(transport: JsonRpcTransport) -> Result<Self, ForkError> {
        let url = transport.url().to_owned();
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::channel::<Result<(), String>>();
        thread::Builder::new()
            .name("leash-fork-rpc".to_owned())
            .spawn(move || serve(transport, &queue, &ready))
            .map_err(|error| ForkError::Client(error.to_string()))?;
        started
            .recv()
            .map_err(|_| ForkError::Client("it exited while starting".to_owned()))?
            .map_err(ForkError::Client)?;
        Ok(Self { url, jobs })
    }

    fn request<R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<R, ForkError> {
        let (reply, answer) = mpsc::channel();
        let stopped = || ForkError::Client(format!("no answer to `{method}`"));
        self.jobs
            .send(Job {
                method,
                params,
                reply,
            })
            .map_err(|_| stopped())?;
        let value = answer.recv().map_err(|_| stopped())??;
        serde_json::from_value(value).map_err(|error| ForkError::InvalidResponse {
            method,
            reason: error.to_string(),
        })
    }
}

/// The client thread: one runtime, one request at a time, until every sender is gone.
fn serve(
    transport: JsonRpcTransport,
    queue: &mpsc::Receiver<Job>,
    ready: &mpsc::Sender<Result<(), String>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(format!("cannot start its runtime: {error}")));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        return;
    }
    while let Ok(job) = queue.recv() {
        let result = runtime.block_on(transport.request::<_, Value>(job.method, job.params));
        let _ = job.reply.send(result);
    }
}

/// The state is missing only when a simulation panicked half-way.
fn interrupted() -> ForkError {
    ForkError::Client("a previous simulation was interrupted".to_owned())
}

/// A hex JSON-RPC quantity.
fn quantity(number: u64) -> String {
    format!("{number:#x}")
}

/// The header fields a forked block environment needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    number: U64,
    hash: B256,
    timestamp: U64,
    gas_limit: U64,
    #[serde(default)]
    base_fee_per_gas: Option<U256>,
    miner: Address,
    #[serde(default)]
    mix_hash: Option<B256>,
}

/// A revm database that reads a live node's state at one pinned block.
///
/// Nothing is written back; wrap it in [`CacheDB`] (as [`ForkedChain`] does) so each
/// account, slot and block hash is fetched once. Accounts with no balance, nonce or code
/// read as absent, as the node cannot tell them from accounts that never existed.
#[derive(Debug)]
pub struct ForkDb {
    rpc: BlockingRpc,
    block: u64,
    codes: Mutex<HashMap<B256, Bytecode>>,
}

impl ForkDb {
    /// Connects to the node at `rpc_url` and pins its state at `block` (the node's latest
    /// block when `None`, read once so that every later read sees the same state).
    ///
    /// # Errors
    ///
    /// [`ForkError::Rpc`] when the URL is invalid or the node does not answer,
    /// [`ForkError::UnknownBlock`] when `block` is beyond the node's head.
    pub fn connect(rpc_url: &str, block: Option<u64>) -> Result<Self, ForkError> {
        Self::connect_with(JsonRpcTransport::new(rpc_url)?, block)
    }

    /// [`ForkDb::connect`] over a configured transport (headers, CA certificates, timeout
    /// and retries of a [`leash_rpc::Endpoint`]).
    ///
    /// # Errors
    ///
    /// As [`ForkDb::connect`].
    pub fn connect_with(
        transport: JsonRpcTransport,
        block: Option<u64>,
    ) -> Result<Self, ForkError> {
        let rpc = BlockingRpc::start(transport)?;
        let head: U64 = rpc.request("eth_blockNumber", json!([]))?;
        let head = head.to::<u64>();
        let block = block.unwrap_or(head);
        if block > head {
            return Err(ForkError::UnknownBlock(block));
        }
        Ok(Self {
            rpc,
            block,
            codes: Mutex::new(HashMap::new()),
        })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.rpc.url
    }

    /// The block whose state this database reads.
    pub fn block_number(&self) -> u64 {
        self.block
    }

    fn at(&self) -> String {
        quantity(self.block)
    }

    fn header(&self, number: u64) -> Result<Option<Header>, ForkError> {
        self.rpc
            .request("eth_getBlockByNumber", json!([quantity(number), false]))
    }

    /// Sends any JSON-RPC request to the node (tests use it for anvil's cheat methods).
    #[cfg(test)]
    fn raw_request(&self, method: &'static str, params: Value) -> Result<Value, ForkError> {
        self.rpc.request(method, params)
    }
}

impl DatabaseRef for ForkDb {
    type Error = ForkError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, ForkError> {
        let balance: U256 = self
            .rpc
            .request("eth_getBalance", json!([address, self.at()]))?;
        let nonce: U64 = self
            .rpc
            .request("eth_getTransactionCount", json!([address, self.at()]))?;
        let code: Bytes = self
            .rpc
            .request("eth_getCode", json!([address, self.at()]))?;
        if balance.is_zero() && nonce.is_zero() && code.is_empty() {
            return Ok(None);
        }
        let bytecode =
            Bytecode::new_raw_checked(code).map_err(|error| ForkError::InvalidResponse {
                method: "eth_getCode",
                reason: format!("code of {address}: {error}"),
            })?;
        let code_hash = bytecode.hash_slow();
        self.codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(code_hash, bytecode.clone());
        Ok(Some(AccountInfo {
            balance,
            nonce: nonce.to(),
            code_hash,
            code: Some(bytecode),
            ..AccountInfo::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, ForkError> {
        // Accounts always come with their code, so revm only asks for code already seen.
        self.codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&code_hash)
            .cloned()
            .ok_or_else(|| ForkError::InvalidResponse {
                method: "eth_getCode",
                reason: format!("no account read so far has code hash {code_hash}"),
            })
    }

    fn storage_ref(&self, address: Address, index: StorageKey) -> Result<StorageValue, ForkError> {
        let slot = B256::from(index);
        let value: B256 = self
            .rpc
            .request("eth_getStorageAt", json!([address, slot, self.at()]))?;
        Ok(U256::from_be_bytes(value.0))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, ForkError> {
        if number > self.block {
            return Ok(B256::ZERO);
        }
        Ok(self
            .header(number)?
            .map_or(B256::ZERO, |header| header.hash))
    }
}

/// The cached state of a [`ForkedChain`].
pub type ForkCacheDb = CacheDB<ForkDb>;

/// The execution context an inspector of a [`ForkedChain`] transaction receives.
pub type ForkContext = MainnetContext<ForkCacheDb>;

/// A node's state at one block, run in-process: `handleOps` is simulated on it (under an
/// inspector) without sending a transaction. Nothing a simulation does is kept; only what
/// was read from the node is cached.
///
/// The block environment is that of the next block: number `pinned + 1`, the pinned
/// block's gas limit, base fee, coinbase and `prevrandao`, and its timestamp plus one
/// second (move it with [`ForkedChain::set_timestamp`]). `handleOps` comes from the
/// harness's bundler address with a balance that covers exactly its gas.
#[derive(Debug)]
pub struct ForkedChain {
    /// Always `Some` between calls; taken while a transaction runs.
    db: Option<ForkCacheDb>,
    block: BlockEnv,
    cfg: CfgEnv,
    errors: ErrorRegistry,
}

impl ForkedChain {
    /// Forks the node at `rpc_url` at `block` (its latest block when `None`).
    ///
    /// # Errors
    ///
    /// As [`ForkDb::connect`]; [`ForkError::Evm`] if a compiled artifact (for the revert
    /// decoder) is missing.
    pub fn connect(rpc_url: &str, block: Option<u64>) -> Result<Self, ForkError> {
        Self::connect_with(JsonRpcTransport::new(rpc_url)?, block)
    }

    /// [`ForkedChain::connect`] over a configured transport (see [`ForkDb::connect_with`]).
    ///
    /// # Errors
    ///
    /// As [`ForkedChain::connect`].
    pub fn connect_with(
        transport: JsonRpcTransport,
        block: Option<u64>,
    ) -> Result<Self, ForkError> {
        let db = ForkDb::connect_with(transport, block)?;
        let chain_id: U64 = db.rpc.request("eth_chainId", json!([]))?;
        let pinned = db.block_number();
        let header = db.header(pinned)?.ok_or(ForkError::UnknownBlock(pinned))?;
        let mut cfg = CfgEnv::new_with_spec(FORK_SPEC);
        cfg.chain_id = chain_id.to();
        cfg.disable_nonce_check = true;
        let block = BlockEnv {
            number: U256::from(header.number.to::<u64>().saturating_add(1)),
            beneficiary: header.miner,
            timestamp: U256::from(header.timestamp.to::<u64>().saturating_add(1)),
            gas_limit: header.gas_limit.to(),
            basefee: header
                .base_fee_per_gas
                .map_or(0, |fee| fee.saturating_to::<u64>()),
            prevrandao: Some(header.mix_hash.unwrap_or_default()),
            ..BlockEnv::default()
        };
        let mut errors = ErrorRegistry::default();
        for version in EntryPointVersion::ALL {
            errors.register_abi(leash_contracts::entry_point_abi(version));
        }
        for name in leash_contracts::artifact_names() {
            let artifact = leash_contracts::artifact(name).map_err(EvmError::from)?;
            errors.register_abi(&artifact.abi);
        }
        Ok(Self {
            db: Some(CacheDB::new(db)),
            block,
            cfg,
            errors,
        })
    }

    /// The node's chain id.
    pub fn chain_id(&self) -> u64 {
        self.cfg.chain_id
    }

    /// The block whose state is forked.
    pub fn pinned_block(&self) -> u64 {
        self.block.number.saturating_to::<u64>().saturating_sub(1)
    }

    /// `block.timestamp` of simulated transactions.
    pub fn timestamp(&self) -> u64 {
        self.block.timestamp.saturating_to()
    }

    /// Sets `block.timestamp` of simulated transactions.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.block.timestamp = U256::from(timestamp);
    }

    /// Sets `block.timestamp` to the wall clock when that is later than the current value:
    /// what the next block of a live chain will carry.
    pub fn timestamp_at_least_now(&mut self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        if now > self.timestamp() {
            self.set_timestamp(now);
        }
    }

    /// The runtime code at `address` in the forked state (empty for an account without
    /// code).
    ///
    /// # Errors
    ///
    /// [`ForkError::Rpc`] when the node cannot be read.
    pub fn code(&mut self, address: Address) -> Result<Bytes, ForkError> {
        let db = self.db.as_mut().ok_or_else(interrupted)?;
        let info = Database::basic(db, address)?;
        Ok(info
            .and_then(|info| info.code)
            .map(|code| code.original_bytes())
            .unwrap_or_default())
    }

    /// The errors used to decode reverts (the EntryPoints' and every compiled contract's).
    pub fn error_registry(&self) -> &ErrorRegistry {
        &self.errors
    }

    /// Adds every custom error of `abi` to the revert decoder.
    pub fn register_errors(&mut self, abi: &JsonAbi) {
        self.errors.register_abi(abi);
    }

    /// Simulates `handleOps(ops, beneficiary)` on the EntryPoint at `entry_point` with
    /// `inspector` watching every opcode, call and create. Nothing is sent to the node and
    /// nothing the transaction changes is kept.
    ///
    /// # Errors
    ///
    /// [`ForkError::Rpc`] when a state read fails mid-execution, [`ForkError::Evm`] when
    /// revm refuses the transaction. A revert of `handleOps` is reported in
    /// [`HandleOpsOutcome::revert`].
    pub fn handle_ops_with_inspector<I>(
        &mut self,
        entry_point: Address,
        ops: &[PackedUserOperation],
        beneficiary: Address,
        inspector: &mut I,
    ) -> Result<HandleOpsOutcome, ForkError>
    where
        I: Inspector<ForkContext>,
    {
        let data = IEntryPoint::handleOpsCall {
            ops: ops.iter().cloned().map(Into::into).collect(),
            beneficiary,
        }
        .abi_encode();
        let gas_limit = self.block.gas_limit.min(TX_GAS_LIMIT_CAP);
        let gas_price = u128::from(self.block.basefee);
        let tx = TxEnv {
            caller: BUNDLER,
            gas_limit,
            gas_price,
            kind: TxKind::Call(entry_point),
            value: U256::ZERO,
            data: data.into(),
            chain_id: Some(self.cfg.chain_id),
            ..TxEnv::default()
        };
        let mut db = self.db.take().ok_or_else(interrupted)?;
        db.insert_account_info(
            BUNDLER,
            AccountInfo {
                balance: U256::from(gas_limit) * U256::from(gas_price),
                ..AccountInfo::default()
            },
        );
        let mut evm = Context::mainnet()
            .with_db(db)
            .with_block(self.block.clone())
            .with_cfg(self.cfg.clone())
            .build_mainnet_with_inspector(inspector);
        let result = evm.inspect_one_tx(tx);
        self.db = Some(evm.ctx.journaled_state.database);
        let result = result.map_err(|error| match error {
            EVMError::Database(fork) => fork,
            other => ForkError::Evm(EvmError::Rejected(other.to_string())),
        })?;
        Ok(self.outcome(result, entry_point))
    }

    fn outcome(&self, result: ExecutionResult, entry_point: Address) -> HandleOpsOutcome {
        let gas_used = result.tx_gas_used();
        let (success, logs, revert) = match result {
            ExecutionResult::Success { logs, .. } => (true, logs, None),
            ExecutionResult::Revert { output, .. } => (
                false,
                Vec::new(),
                Some(DecodedRevert::decode(&output, &self.errors)),
            ),
            ExecutionResult::Halt { reason, .. } => (
                false,
                Vec::new(),
                Some(DecodedRevert::Halted(format!("{reason:?}"))),
            ),
        };
        let events = logs
            .iter()
            .map(|log| DecodedEvent::decode(log, entry_point, &self.errors))
            .collect();
        HandleOpsOutcome {
            success,
            gas_used,
            logs,
            events,
            revert,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The fork database against a real anvil (node_modules/.bin/anvil, started per test,
    //! killed on drop): state set with anvil's cheat methods reads back through the fork.
    use super::*;
    use std::{
        net::TcpListener,
        path::PathBuf,
        process::{Child, Command, Stdio},
        time::{Duration, Instant},
    };

    const WAIT: Duration = Duration::from_secs(20);

    struct Anvil {
        child: Child,
        url: String,
    }

    impl Drop for Anvil {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn start_anvil() -> Option<Anvil> {
        let binary =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/anvil");
        if !binary.exists() {
            eprintln!("SKIPPED: node_modules/.bin/anvil is missing; run `make setup` first");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--silent",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("anvil starts");
        let anvil = Anvil {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while ForkDb::connect(&anvil.url, None).is_err() {
            assert!(
                started.elapsed() < WAIT,
                "anvil did not answer within {WAIT:?}"
            );
            thread::sleep(Duration::from_millis(100));
        }
        Some(anvil)
    }

    fn cheat(db: &ForkDb, method: &'static str, params: Value) {
        db.raw_request(method, params)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"));
    }

    #[test]
    fn reads_code_balance_nonce_and_storage_set_on_anvil() {
        let Some(anvil) = start_anvil() else {
            return;
        };
        let who = Address::repeat_byte(0x42);
        let runtime = Bytes::from_static(&[0x60, 0x2a, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
        let slot = B256::with_last_byte(7);
        let value = B256::repeat_byte(0xab);
        let setup = ForkDb::connect(&anvil.url, None).expect("anvil answers");
        cheat(&setup, "anvil_setCode", json!([who, runtime]));
        cheat(&setup, "anvil_setStorageAt", json!([who, slot, value]));
        cheat(&setup, "anvil_setBalance", json!([who, "0x1234"]));
        cheat(&setup, "anvil_setNonce", json!([who, "0x5"]));
        cheat(&setup, "evm_mine", json!([]));

        let fork = ForkDb::connect(&anvil.url, None).expect("anvil answers");
        assert_eq!(fork.block_number(), 1);
        let info = fork.basic_ref(who).unwrap().expect("the account exists");
        assert_eq!(info.balance, U256::from(0x1234));
        assert_eq!(info.nonce, 5);
        assert_eq!(info.code.as_ref().unwrap().original_bytes(), runtime);
        assert_eq!(info.code_hash, alloy::primitives::keccak256(&runtime));
        assert_eq!(
            fork.code_by_hash_ref(info.code_hash)
                .unwrap()
                .original_bytes(),
            runtime
        );
        let read = fork.storage_ref(who, U256::from(7)).unwrap();
        assert_eq!(read, U256::from_be_bytes(value.0));
        assert_eq!(fork.storage_ref(who, U256::from(8)).unwrap(), U256::ZERO);
        assert_eq!(fork.basic_ref(Address::repeat_byte(0x43)).unwrap(), None);
        assert_ne!(fork.block_hash_ref(1).unwrap(), B256::ZERO);

        assert!(matches!(
            ForkDb::connect(&anvil.url, Some(99)),
            Err(ForkError::UnknownBlock(99))
        ));

        // Through revm's CacheDB: a later change on the node is not seen (pinned and cached).
        let mut cached = CacheDB::new(fork);
        assert_eq!(
            cached.storage(who, U256::from(7)).unwrap(),
            U256::from_be_bytes(value.0)
        );
        cheat(&setup, "anvil_setStorageAt", json!([who, slot, B256::ZERO]));
        cheat(&setup, "evm_mine", json!([]));
        assert_eq!(
            cached.storage(who, U256::from(7)).unwrap(),
            U256::from_be_bytes(value.0)
        );
    }

    #[test]
    fn reads_are_pinned_to_the_block() {
        let Some(anvil) = start_anvil() else {
            return;
        };
        // anvil's first dev account (unlocked); each transaction mines a block.
        let dev = alloy::primitives::address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let payee = Address::repeat_byte(0x44);
        let setup = ForkDb::connect(&anvil.url, None).expect("anvil answers");
        for _ in 0..2 {
            cheat(
                &setup,
                "eth_sendTransaction",
                json!([{"from": dev, "to": payee, "value": "0x3"}]),
            );
        }
        let balance_at = |block| {
            ForkDb::connect(&anvil.url, Some(block))
                .expect("anvil answers")
                .basic_ref(payee)
                .unwrap()
                .map(|info| info.balance)
        };
        assert_eq!(balance_at(0), None);
        assert_eq!(balance_at(1), Some(U256::from(3)));
        assert_eq!(balance_at(2), Some(U256::from(6)));
        let latest = ForkDb::connect(&anvil.url, None).expect("anvil answers");
        assert_eq!(latest.block_number(), 2);
    }

    #[test]
    fn an_unreachable_node_is_an_rpc_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let error = ForkDb::connect(&format!("http://127.0.0.1:{port}"), None).unwrap_err();
        assert!(matches!(error, ForkError::Rpc(RpcError::Transport { .. })));
        assert!(error.to_string().contains("eth_blockNumber"), "{error}");
        let bad = ForkDb::connect("not a url", None).unwrap_err();
        assert!(matches!(bad, ForkError::Rpc(RpcError::InvalidUrl { .. })));
    }

    #[test]
    fn works_from_inside_an_async_runtime() {
        let Some(anvil) = start_anvil() else {
            return;
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let chain_id = runtime.block_on(async {
            let chain = ForkedChain::connect(&anvil.url, None).expect("anvil answers");
            chain.chain_id()
        });
        assert_eq!(chain_id, 31337);
    }
}
