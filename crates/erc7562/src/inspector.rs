//! The revm [`Inspector`] that watches the validation phases of `handleOps`.

use crate::association::Preimages;
use crate::opcodes::{self, OpcodeClass};
use crate::phase;
use crate::rules::{self, CreateKind, Observation, PhaseFacts};
use crate::violation::{Phase, Site, StorageAccess, StorageOp, Violation};
use alloy_primitives::{Address, B256, U256};
use revm::bytecode::opcode;
use revm::context::JournalTr;
use revm::context_interface::{ContextTr, CreateScheme};
use revm::interpreter::interpreter_types::{InputsTr, Jumps, LoopControl, MemoryTr};
use revm::interpreter::{
    CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, InstructionResult,
    Interpreter,
};
use revm::primitives::KECCAK_EMPTY;
use revm::state::EvmState;
use revm::Inspector;
use std::collections::HashSet;

/// Checks the ERC-7562 validation rules while `handleOps` runs.
///
/// Construct it with the EntryPoint's address and pass it to revm's inspection API. It
/// recognises the validation phases by the calls the EntryPoint's `handleOps` frame makes:
/// `createSender(bytes)` (deployment), `validateUserOp` (account) and
/// `validatePaymasterUserOp` (paymaster). Everything those calls run, down to any depth,
/// is checked; the EntryPoint's own code, execution and `postOp` are not. Execution runs
/// in the EntryPoint's `innerHandleOp` self-call, so an execution call that happens to
/// carry a validation selector is not mistaken for validation.
///
/// Every entity is treated as unstaked.
#[derive(Clone, Debug)]
pub struct Erc7562Inspector {
    entry_point: Address,
    frames: Vec<Frame>,
    active: Option<ActivePhase>,
    op: OpState,
    preimages: Preimages,
    pending_keccak: Option<B256>,
    pending_extcode: Option<(u8, Address)>,
    pending_gas: bool,
    violations: Vec<Violation>,
    reported: HashSet<Violation>,
}

/// One call or create frame on the EVM's stack.
#[derive(Clone, Debug)]
struct Frame {
    /// The address whose context the frame runs in.
    address: Address,
    /// Who called (or created) it.
    caller: Address,
    /// The last instruction of this frame was `GAS` (OP-012 wants a call next).
    gas_pending: bool,
    /// The last instruction was `EXTCODESIZE` of the EntryPoint (OP-051 wants `ISZERO`).
    entry_point_size_pending: bool,
    /// For a creation inside a phase: its observation's index.
    creation: Option<usize>,
}

/// The phase being run, from its root call until that call returns.
#[derive(Clone, Debug)]
struct ActivePhase {
    phase: Phase,
    /// Depth of the root frame (the call from the EntryPoint).
    root_depth: usize,
    /// The sender, when known at the start (account and paymaster phases).
    sender: Option<Address>,
    /// The factory or paymaster (the factory becomes known at its first call).
    entity: Option<Address>,
    observations: Vec<Observation>,
}

/// What the checker learned about the user operation being validated.
#[derive(Clone, Debug, Default)]
struct OpState {
    sender: Option<Address>,
    factory: Option<Address>,
    /// The sender the last deployment phase created.
    deployed_sender: Option<Address>,
}

impl Erc7562Inspector {
    /// A checker for `handleOps` on the EntryPoint at `entry_point` (v0.7 or v0.8).
    pub fn new(entry_point: Address) -> Self {
        Self {
            entry_point,
            frames: Vec::new(),
            active: None,
            op: OpState::default(),
            preimages: Preimages::default(),
            pending_keccak: None,
            pending_extcode: None,
            pending_gas: false,
            violations: Vec::new(),
            reported: HashSet::new(),
        }
    }

    /// The EntryPoint this checker watches.
    pub const fn entry_point(&self) -> Address {
        self.entry_point
    }

    /// The violations found so far, each reported once, in the order they were judged.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Takes the violations found so far, leaving the checker ready for another
    /// transaction.
    pub fn take_violations(&mut self) -> Vec<Violation> {
        let violations = std::mem::take(&mut self.violations);
        *self = Self::new(self.entry_point);
        violations
    }

    /// Whether no rule was broken.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    fn report(&mut self, violation: Violation) {
        if self.reported.insert(violation.clone()) {
            self.violations.push(violation);
        }
    }

    /// The site of the innermost frame, when it runs inside a phase.
    fn current_site(&self) -> Option<Site> {
        let active = self.active.as_ref()?;
        let frame = self.frames.last()?;
        Some(Site {
            address: frame.address,
            depth: self.frames.len() - 1,
            phase: active.phase,
        })
    }

    fn observe(&mut self, observation: Observation) {
        if let Some(active) = self.active.as_mut() {
            active.observations.push(observation);
        }
    }

    /// If `inputs` is a call from the `handleOps` frame that opens a phase, that phase.
    fn phase_root(&self, inputs: &CallInputs, calldata: &[u8]) -> Option<(Phase, Option<Address>)> {
        let parent = self.frames.last()?;
        let from_handle_ops = parent.address == self.entry_point
            && parent.caller != self.entry_point
            && inputs.caller == self.entry_point
            && inputs.scheme == CallScheme::Call;
        if !from_handle_ops {
            return None;
        }
        let phase = phase::phase_of_selector(phase::selector(calldata)?)?;
        let sender = match phase {
            Phase::Account => Some(inputs.target_address),
            Phase::Paymaster => phase::paymaster_call_sender(calldata).or(self.op.sender),
            Phase::Deployment => None,
        };
        Some((phase, sender))
    }

    fn start_phase(&mut self, phase: Phase, sender: Option<Address>, root: Address) {
        let entity = match phase {
            Phase::Deployment => {
                self.op = OpState::default();
                None
            }
            Phase::Account => {
                if self.op.deployed_sender != sender {
                    self.op = OpState::default();
                }
                self.op.sender = sender;
                None
            }
            Phase::Paymaster => Some(root),
        };
        self.active = Some(ActivePhase {
            phase,
            root_depth: self.frames.len(),
            sender,
            entity,
            observations: Vec::new(),
        });
    }

    /// Judges the phase whose root frame just returned `output`.
    fn finish_phase(&mut self, output: &[u8], succeeded: bool) {
        let Some(active) = self.active.take() else {
            return;
        };
        let sender = match active.phase {
            Phase::Deployment => {
                let created = if succeeded {
                    phase::created_sender(output)
                } else {
                    None
                };
                self.op.sender = created;
                self.op.deployed_sender = created;
                created
            }
            Phase::Account | Phase::Paymaster => active.sender,
        };
        let facts = PhaseFacts {
            phase: active.phase,
            sender,
            factory: self.op.factory,
            entity: active.entity,
            deploying: sender.is_some() && self.op.deployed_sender == sender,
            preimages: &self.preimages,
        };
        for violation in rules::judge(&active.observations, &facts) {
            self.report(violation);
        }
    }

    /// Checks a call made from inside a phase.
    fn check_call<CTX: ContextTr>(&mut self, context: &CTX, inputs: &CallInputs, calldata: &[u8]) {
        let Some(site) = self.current_site() else {
            return;
        };
        let opcode = opcodes::call_opcode(inputs.scheme);
        let code_address = inputs.bytecode_address;
        let touches_entry_point =
            code_address == self.entry_point || inputs.target_address == self.entry_point;
        if touches_entry_point {
            self.observe(Observation::EntryPointCall {
                caller: inputs.caller,
                opcode,
                selector: phase::selector(calldata),
                first_argument: phase::first_address_argument(calldata),
                empty_calldata: calldata.is_empty(),
                site,
            });
        } else {
            if inputs.known_bytecode.1.is_empty() {
                if context
                    .journal_ref()
                    .precompile_addresses()
                    .contains(&code_address)
                {
                    if !opcodes::is_allowed_precompile(code_address) {
                        self.report(Violation::ForbiddenPrecompile {
                            precompile: code_address,
                            site,
                        });
                    }
                } else {
                    // Includes an allowed precompile address on a chain that lacks that
                    // precompile (secp256r1 before its activation): it has no code there.
                    self.observe(Observation::CodelessAccess {
                        target: code_address,
                        opcode,
                        site,
                    });
                }
            }
            if let Some(value) = inputs.transfer_value().filter(|v| !v.is_zero()) {
                self.report(Violation::CallWithValue {
                    target: inputs.target_address,
                    value,
                    site,
                });
            }
        }
        if let Some(active) = self.active.as_mut() {
            // The SenderCreator's first call is the factory.
            let from_sender_creator = self.frames.len() == active.root_depth + 1;
            if active.phase == Phase::Deployment && active.entity.is_none() && from_sender_creator {
                active.entity = Some(code_address);
                self.op.factory = Some(code_address);
            }
        }
    }

    /// End-of-frame checks: a dangling `GAS` or `EXTCODESIZE`, and running out of gas.
    fn end_frame(&mut self, frame: &Frame, result: InstructionResult) {
        let Some(active) = self.active.as_ref() else {
            return;
        };
        let depth = self.frames.len();
        if depth < active.root_depth {
            return;
        }
        let site = Site {
            address: frame.address,
            depth,
            phase: active.phase,
        };
        if frame.gas_pending {
            self.report(Violation::GasNotFollowedByCall { next: None, site });
        }
        if frame.entry_point_size_pending {
            self.report(Violation::EntryPointAccess {
                opcode: opcode::EXTCODESIZE,
                selector: None,
                site,
            });
        }
        if is_out_of_gas(result) {
            self.report(Violation::OutOfGas { site });
        }
    }

    /// OP-012 and OP-051: what the previous instruction of this frame required next.
    fn check_follow_up(&mut self, op: u8, site: Site) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        let gas_pending = std::mem::take(&mut frame.gas_pending);
        let size_pending = std::mem::take(&mut frame.entry_point_size_pending);
        if gas_pending && !opcodes::is_call(op) {
            self.report(Violation::GasNotFollowedByCall {
                next: Some(op),
                site,
            });
        }
        if size_pending && op != opcode::ISZERO {
            self.report(Violation::EntryPointAccess {
                opcode: opcode::EXTCODESIZE,
                selector: None,
                site,
            });
        }
    }
}

fn is_out_of_gas(result: InstructionResult) -> bool {
    matches!(
        result,
        InstructionResult::OutOfGas
            | InstructionResult::MemoryOOG
            | InstructionResult::MemoryLimitOOG
            | InstructionResult::PrecompileOOG
            | InstructionResult::InvalidOperandOOG
            | InstructionResult::ReentrancySentryOOG
    )
}

fn storage_op(op: u8) -> Option<StorageOp> {
    match op {
        opcode::SLOAD => Some(StorageOp::Sload),
        opcode::SSTORE => Some(StorageOp::Sstore),
        opcode::TLOAD => Some(StorageOp::Tload),
        opcode::TSTORE => Some(StorageOp::Tstore),
        _ => None,
    }
}

fn word_to_address(word: U256) -> Address {
    Address::from_word(B256::from(word.to_be_bytes::<32>()))
}

/// The first 32 bytes of memory at `offset`, zero past the end of memory (as `KECCAK256`
/// sees them after expanding memory).
fn leading_word(interp: &Interpreter, offset: U256) -> B256 {
    let mut word = [0u8; 32];
    let size = interp.memory.size();
    if let Ok(start) = usize::try_from(offset) {
        if start < size {
            let end = size.min(start.saturating_add(32));
            word[..end - start].copy_from_slice(&interp.memory.slice(start..end));
        }
    }
    B256::from(word)
}

impl<CTX> Inspector<CTX> for Erc7562Inspector
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>>,
{
    fn step(&mut self, interp: &mut Interpreter, _context: &mut CTX) {
        if self.active.is_none() {
            return;
        }
        let op = interp.bytecode.opcode();
        if let Some(frame) = self.frames.last_mut() {
            frame.address = interp.input.target_address();
        }
        let Some(site) = self.current_site() else {
            return;
        };
        self.check_follow_up(op, site);
        match opcodes::classify(op) {
            OpcodeClass::Banned => self.report(Violation::BannedOpcode { opcode: op, site }),
            OpcodeClass::Balance => self.report(Violation::BalanceAccess { opcode: op, site }),
            OpcodeClass::Unassigned => {
                self.report(Violation::UnassignedOpcode { opcode: op, site })
            }
            OpcodeClass::Allowed => {}
        }
        if op == opcode::GAS {
            self.pending_gas = true;
        } else if let Some(storage) = storage_op(op) {
            if let Ok(slot) = interp.stack.peek(0) {
                self.observe(Observation::Storage {
                    access: StorageAccess {
                        contract: site.address,
                        slot,
                        op: storage,
                    },
                    site,
                });
            }
        } else if op == opcode::KECCAK256 {
            if let (Ok(offset), Ok(len)) = (interp.stack.peek(0), interp.stack.peek(1)) {
                if len >= U256::from(32) {
                    self.pending_keccak = Some(leading_word(interp, offset));
                }
            }
        } else if opcodes::is_extcode(op) {
            if let Ok(word) = interp.stack.peek(0) {
                let target = word_to_address(word);
                if target == self.entry_point {
                    if op == opcode::EXTCODESIZE {
                        if let Some(frame) = self.frames.last_mut() {
                            frame.entry_point_size_pending = true;
                        }
                    } else {
                        self.report(Violation::EntryPointAccess {
                            opcode: op,
                            selector: None,
                            site,
                        });
                    }
                } else {
                    self.pending_extcode = Some((op, target));
                }
            }
        }
    }

    fn step_end(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        let keccak = self.pending_keccak.take();
        let extcode = self.pending_extcode.take();
        let gas = std::mem::take(&mut self.pending_gas);
        if interp.bytecode.action().is_some() {
            // The instruction halted the frame; it produced nothing to look at.
            return;
        }
        if gas {
            if let Some(frame) = self.frames.last_mut() {
                frame.gas_pending = true;
            }
        }
        if let Some(leading) = keccak {
            if let Ok(hash) = interp.stack.peek(0) {
                self.preimages.record(leading, hash);
            }
        }
        if let Some((op, target)) = extcode {
            // The instruction has loaded the account, so the journal holds its code hash.
            let journal = context.journal_ref();
            let allowed_precompile = opcodes::is_allowed_precompile(target)
                && journal.precompile_addresses().contains(&target);
            let codeless = !allowed_precompile
                && journal.evm_state().get(&target).is_some_and(|account| {
                    account.info.code_hash == KECCAK_EMPTY || account.info.code_hash.is_zero()
                });
            if let (true, Some(site)) = (codeless, self.current_site()) {
                self.observe(Observation::CodelessAccess {
                    target,
                    opcode: op,
                    site,
                });
            }
        }
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let calldata = inputs.input.bytes(context);
        if self.active.is_some() {
            self.check_call(context, inputs, &calldata);
        } else if let Some((phase, sender)) = self.phase_root(inputs, &calldata) {
            self.start_phase(phase, sender, inputs.target_address);
        }
        self.frames.push(Frame {
            address: inputs.target_address,
            caller: inputs.caller,
            gas_pending: false,
            entry_point_size_pending: false,
            creation: None,
        });
        None
    }

    fn call_end(&mut self, _context: &mut CTX, _inputs: &CallInputs, outcome: &mut CallOutcome) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let result = outcome.result.result;
        self.end_frame(&frame, result);
        let is_root = self
            .active
            .as_ref()
            .is_some_and(|active| active.root_depth == self.frames.len());
        if is_root {
            let output = outcome.result.output.clone();
            self.finish_phase(&output, result.is_ok());
        }
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        let caller = inputs.caller();
        let address = match inputs.scheme() {
            CreateScheme::Create2 { salt } => {
                caller.create2(salt.to_be_bytes::<32>(), inputs.init_code_hash())
            }
            CreateScheme::Custom { address } => address,
            CreateScheme::Create => {
                let nonce = context
                    .journal_ref()
                    .evm_state()
                    .get(&caller)
                    .map_or(0, |account| account.info.nonce);
                caller.create(nonce)
            }
        };
        let mut creation = None;
        if let Some(site) = self.current_site() {
            let kind = match inputs.scheme() {
                CreateScheme::Create2 { .. } => CreateKind::Create2,
                CreateScheme::Create | CreateScheme::Custom { .. } => CreateKind::Create,
            };
            if let Some(active) = self.active.as_mut() {
                creation = Some(active.observations.len());
                active.observations.push(Observation::Creation {
                    kind,
                    created: None,
                    site,
                });
            }
        }
        self.frames.push(Frame {
            address,
            caller,
            gas_pending: false,
            entry_point_size_pending: false,
            creation,
        });
        None
    }

    fn create_end(
        &mut self,
        _context: &mut CTX,
        _inputs: &CreateInputs,
        outcome: &mut CreateOutcome,
    ) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let result = outcome.result.result;
        if let (Some(index), Some(active)) = (frame.creation, self.active.as_mut()) {
            if let Some(Observation::Creation { created, .. }) = active.observations.get_mut(index)
            {
                *created = if result.is_ok() {
                    outcome.address
                } else {
                    None
                };
            }
        }
        self.end_frame(&frame, result);
    }
}
