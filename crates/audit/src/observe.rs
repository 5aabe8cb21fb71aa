//! What the chain did, observed independently of the module: every call an account made at
//! the top of its execution (a revm inspector), the validation data each account returned, and
//! the token events and fees of each op (from the logs).

use alloy::{
    primitives::{keccak256, Address, Bytes, Log, U256},
    sol,
    sol_types::SolEvent,
};
use leash_contracts::bindings::mocks::MockERC20;
use leash_evm::{
    inspect::{ChainContext, Inspector},
    DecodedEvent,
};
use revm::{
    database::DatabaseRef,
    interpreter::{CallInputs, CallOutcome, CallValue},
};

sol! {
    /// The Permit2 surface the suite reads (`tests/fixtures/MockPermit2.sol`, same as Uniswap's).
    interface IPermit2 {
        /// An allowance was set.
        event Approval(address indexed owner, address indexed token, address indexed spender, uint160 amount, uint48 expiration);
        /// Sets `spender`'s allowance over the caller's `token`.
        function approve(address token, address spender, uint160 amount, uint48 expiration) external;
        /// The allowance of `spender` over `owner`'s `token`.
        function allowance(address owner, address token, address spender) external view returns (uint160 amount, uint48 expiration, uint48 nonce);
    }
}

/// `validateUserOp(PackedUserOperation,bytes32,uint256)` (same on v0.7 and v0.8).
pub const VALIDATE_USER_OP: [u8; 4] = [0x19, 0x82, 0x2f, 0x7c];

/// One call an account made directly from its execution frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedCall {
    /// Callee.
    pub target: Address,
    /// Value sent.
    pub value: U256,
    /// Call data.
    pub data: Bytes,
    /// Whether the call returned without reverting.
    pub success: bool,
    /// What the call returned or reverted with.
    pub output: Bytes,
    /// The account's holdings when the call started (what a `settle` call measures: the
    /// closing one sees what the calls before it moved, even when it then reverts).
    pub holdings: Holdings,
}

/// What an account holds at one instant: its ETH balance and its balance of each watched token
/// (read from the chain's state, never through the module).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Wei.
    pub native: U256,
    /// Balance of each watched token, in the recorder's token order.
    pub tokens: Vec<U256>,
}

impl Holdings {
    /// What left between `self` (before) and `after`, per asset: the net decrease, 0 when the
    /// balance grew. Returns `(native, per token)`.
    pub fn decrease_to(&self, after: &Self) -> (U256, Vec<U256>) {
        let native = self.native.saturating_sub(after.native);
        let tokens = self
            .tokens
            .iter()
            .zip(&after.tokens)
            .map(|(b, a)| b.saturating_sub(*a))
            .collect();
        (native, tokens)
    }
}

/// One execution frame (EntryPoint → account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedExecution {
    /// The account.
    pub account: Address,
    /// Its direct calls, in order.
    pub calls: Vec<ObservedCall>,
    /// The account's holdings when the EntryPoint called it.
    pub before: Holdings,
    /// The account's holdings when that call returned (equal to `before` if it reverted).
    pub after: Holdings,
}

/// Storage slot of `balanceOf(holder)` in an OpenZeppelin v5 `ERC20` (`_balances` is slot 0), as
/// `MockERC20` lays it out.
pub fn erc20_balance_slot(holder: Address) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[12..32].copy_from_slice(holder.as_slice());
    U256::from_be_bytes(keccak256(preimage).0)
}

/// A storage word as the running transaction sees it, read without touching the journal (no
/// warm/cold change, so gas is the same with or without the recorder).
fn storage_now(context: &ChainContext, address: Address, slot: U256) -> U256 {
    if let Some(word) = context
        .journaled_state
        .inner
        .state
        .get(&address)
        .and_then(|account| account.storage.get(&slot))
    {
        return word.present_value;
    }
    context
        .journaled_state
        .database
        .storage_ref(address, slot)
        .unwrap_or_default()
}

/// An ETH balance as the running transaction sees it (same rule as [`storage_now`]).
fn balance_now(context: &ChainContext, address: Address) -> U256 {
    if let Some(account) = context.journaled_state.inner.state.get(&address) {
        return account.info.balance;
    }
    context
        .journaled_state
        .database
        .basic_ref(address)
        .ok()
        .flatten()
        .map_or(U256::ZERO, |info| info.balance)
}

#[derive(Debug, Clone)]
enum FrameKind {
    Validation(Address),
    Execution,
    Recorded(usize, usize),
    Other,
}

/// Records account executions and validation data during `handleOps`.
#[derive(Debug, Clone)]
pub struct CallRecorder {
    entry_point: Address,
    accounts: Vec<Address>,
    tokens: Vec<Address>,
    stack: Vec<FrameKind>,
    execution_depth: Option<usize>,
    /// Every execution, in order.
    pub executions: Vec<ObservedExecution>,
    /// `(account, returned data)` of every `validateUserOp`, in order.
    pub validations: Vec<(Address, Bytes)>,
}

impl CallRecorder {
    /// A recorder for `accounts` on the EntryPoint at `entry_point`, watching the accounts'
    /// balances of `tokens` (OpenZeppelin ERC-20 layout) and ETH around each execution.
    pub fn new(entry_point: Address, accounts: Vec<Address>, tokens: Vec<Address>) -> Self {
        Self {
            entry_point,
            accounts,
            tokens,
            stack: Vec::new(),
            execution_depth: None,
            executions: Vec::new(),
            validations: Vec::new(),
        }
    }
}

impl CallRecorder {
    fn holdings(&self, context: &ChainContext, account: Address) -> Holdings {
        let slot = erc20_balance_slot(account);
        Holdings {
            native: balance_now(context, account),
            tokens: self
                .tokens
                .iter()
                .map(|token| storage_now(context, *token, slot))
                .collect(),
        }
    }
}

impl Inspector<ChainContext> for CallRecorder {
    fn call(&mut self, context: &mut ChainContext, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let depth = self.stack.len();
        let from_entry_point =
            inputs.caller == self.entry_point && self.accounts.contains(&inputs.target_address);
        let kind = if from_entry_point {
            let data = inputs.input.bytes(context);
            if data.get(..4) == Some(&VALIDATE_USER_OP[..]) {
                FrameKind::Validation(inputs.target_address)
            } else {
                self.execution_depth = Some(depth);
                let before = self.holdings(context, inputs.target_address);
                self.executions.push(ObservedExecution {
                    account: inputs.target_address,
                    calls: Vec::new(),
                    after: before.clone(),
                    before,
                });
                FrameKind::Execution
            }
        } else if self.execution_depth.map(|d| d + 1) == Some(depth) {
            let execution = self.executions.len() - 1;
            let data = inputs.input.bytes(context);
            let value = match inputs.value {
                CallValue::Transfer(v) => v,
                CallValue::Apparent(_) => U256::ZERO,
            };
            let account = self.executions[execution].account;
            let holdings = self.holdings(context, account);
            let calls = &mut self.executions[execution].calls;
            calls.push(ObservedCall {
                target: inputs.target_address,
                value,
                data,
                success: false,
                output: Bytes::new(),
                holdings,
            });
            FrameKind::Recorded(execution, calls.len() - 1)
        } else {
            FrameKind::Other
        };
        self.stack.push(kind);
        None
    }

    fn call_end(
        &mut self,
        context: &mut ChainContext,
        _inputs: &CallInputs,
        outcome: &mut CallOutcome,
    ) {
        match self.stack.pop() {
            Some(FrameKind::Validation(account)) => self
                .validations
                .push((account, outcome.result.output.clone())),
            Some(FrameKind::Execution) => {
                self.execution_depth = None;
                if let Some(last) = self.executions.len().checked_sub(1) {
                    // A reverted execution moved nothing (whether or not the journal is
                    // already rolled back when this hook runs).
                    if outcome.result.is_ok() {
                        let account = self.executions[last].account;
                        self.executions[last].after = self.holdings(context, account);
                    }
                }
            }
            Some(FrameKind::Recorded(execution, call)) => {
                let observed = &mut self.executions[execution].calls[call];
                observed.success = outcome.result.is_ok();
                observed.output = outcome.result.output.clone();
            }
            Some(FrameKind::Other) | None => {}
        }
    }
}

/// Token movements and approvals by `account` seen in one op's execution logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFlows {
    /// `(token, amount)` of every `Transfer` from the account.
    pub transfers: Vec<(Address, U256)>,
    /// `(owner, token, spender, new allowance)` of every ERC-20 `Approval` by an account.
    pub approvals: Vec<(Address, Address, Address, U256)>,
    /// `(token, amount)` of every Permit2 `Approval` by the account (an allowance granted
    /// through Permit2, counted gross like the module charges it).
    pub permit2_approvals: Vec<(Address, U256)>,
}

/// What one op's `UserOperationEvent` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpEvent {
    /// Sender.
    pub sender: Address,
    /// Paymaster (zero when the account paid).
    pub paymaster: Address,
    /// Whether the execution succeeded.
    pub success: bool,
    /// Wei charged.
    pub actual_gas_cost: U256,
    /// Token flows of this op's execution.
    pub flows: TokenFlows,
}

/// Splits the logs of a successful `handleOps` into ops: each op's execution logs come before
/// its `UserOperationEvent`, after `BeforeExecution`.
pub fn op_events(logs: &[Log], events: &[DecodedEvent], accounts: &[Address]) -> Vec<OpEvent> {
    let before_execution = keccak256("BeforeExecution()");
    let mut started = false;
    let mut flows = TokenFlows::default();
    let mut out = Vec::new();
    for (log, event) in logs.iter().zip(events) {
        if log.topics().first() == Some(&before_execution) {
            started = true;
            continue;
        }
        if !started {
            continue;
        }
        if let DecodedEvent::UserOperationEvent {
            sender,
            paymaster,
            success,
            actual_gas_cost,
            ..
        } = event
        {
            out.push(OpEvent {
                sender: *sender,
                paymaster: *paymaster,
                success: *success,
                actual_gas_cost: *actual_gas_cost,
                flows: std::mem::take(&mut flows),
            });
            continue;
        }
        if log.address == leash_model::permissions::PERMIT2 {
            if let Ok(approval) = IPermit2::Approval::decode_log_data(&log.data) {
                if accounts.contains(&approval.owner) {
                    flows
                        .permit2_approvals
                        .push((approval.token, U256::from(approval.amount)));
                }
            }
            continue;
        }
        if let Ok(transfer) = MockERC20::Transfer::decode_log_data(&log.data) {
            if accounts.contains(&transfer.from) {
                flows.transfers.push((log.address, transfer.value));
            }
        } else if let Ok(approval) = MockERC20::Approval::decode_log_data(&log.data) {
            if accounts.contains(&approval.owner) {
                flows.approvals.push((
                    approval.owner,
                    log.address,
                    approval.spender,
                    approval.value,
                ));
            }
        }
    }
    out
}

/// `(validAfter, validUntil, sigFailed)` of returned validation data.
pub fn split_validation_data(data: &Bytes) -> Option<(u64, u64, bool)> {
    if data.len() != 32 {
        return None;
    }
    let word = U256::from_be_slice(data);
    let low: U256 = word & ((U256::from(1) << 160) - U256::from(1));
    let until: U256 = (word >> 160) & U256::from((1u64 << 48) - 1);
    let after: U256 = word >> 208;
    Some((after.to::<u64>(), until.to::<u64>(), low == U256::from(1)))
}
