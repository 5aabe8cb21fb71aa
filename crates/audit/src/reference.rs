//! The reference state machine: the model's storage for both accounts, the clock, and the
//! plan of every bundle (the exact ops to send and what the model says each one does).

use crate::{
    encode::{self, Gas},
    grammar::{
        self, AmountSpec, BundleOp, CallSpec, EnableSpec, EncodingSpec, FeeSpec, GrantSigner,
        GrantSpec, InitSpec, ModeSpec, OpSpec, OwnerAction, PeriodSpec, SelectorSpec, SessionSpec,
        SettleSpec, ShapeSpec, SignerSpec, SponsorSpec, TargetSpec, Transition, WindowSpec,
        MAX_BATCH_CALLS,
    },
    packing,
    world::{install_call, layout, owner_key, session_key, uninstall_call, Layout},
};
use alloy::{
    primitives::{Address, B256, U256},
    sol_types::SolCall,
};
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_model::{
    decode::{decode_call_data, Call, Decoded},
    permissions::{
        ERC20_APPROVE, ERC20_INCREASE_ALLOWANCE, ERC20_TRANSFER, ERC20_TRANSFER_FROM, PERMIT2,
        PERMIT2_APPROVE, PERMIT2_TRANSFER_FROM,
    },
    settlement::{needs_settlement, settle_data},
    validate,
    window::{in_window, op_window, period_at, EntryPointRules},
    AccountState, CallGrant, Context, Envelope, ModuleKind, OpInput, ParsedEnvelope,
    PeriodicAllowance, Rejection, Selector, Session, TokenAllowance, Verdict, GRANT_ANY_SELECTOR,
    GRANT_ANY_TARGET, NATIVE_ASSET,
};
use leash_userop::{
    erc7579::validator_nonce, user_op_hash_v08_with_eip7702_delegate, EntryPointVersion,
    PackedUserOperation, EIP7702_INIT_CODE_MARKER,
};
use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;
use std::collections::HashMap;

/// Native lifetime allowance of a session that has one (wei).
pub const NATIVE_ALLOWANCE: u64 = 100_000;
/// Native periodic allowance (wei per period).
pub const PERIODIC_NATIVE: u64 = 40_000;
/// Token 0 lifetime allowance.
pub const TOKEN0_ALLOWANCE: u64 = 1_000;
/// Token 1 lifetime allowance (a second entry of the token list).
pub const TOKEN1_ALLOWANCE: u64 = 700;
/// Token 0 periodic allowance (a third entry of the periodic list).
pub const PERIODIC_TOKEN0: u64 = 250;
/// Token 1 periodic allowance.
pub const PERIODIC_TOKEN1: u64 = 300;
/// Fee budget (wei): about three unsponsored ops at 1 gwei.
pub const FEE_BUDGET: u64 = 3_000_000_000_000_000;
/// Gas budget (units): about three ops.
pub const GAS_BUDGET: u64 = 3_000_000;
/// Period length (s).
pub const PERIOD: u64 = 3_600;
/// Gas limits of session ops.
pub const SESSION_GAS: Gas = Gas {
    verification: 500_000,
    call: 400_000,
    pre_verification: 60_000,
    max_fee: 0,
};
/// `paymasterVerificationGasLimit` of sponsored ops.
pub const PAYMASTER_GAS: u128 = 100_000;
/// Amount used when an op names an unlimited token.
const UNLIMITED_LEFT: u64 = 5_000;
/// The record selector the recorders see.
pub const RECORD: Selector = Selector::new([0x12, 0x34, 0x56, 0x78]);
/// An unknown selector.
pub const UNKNOWN: Selector = Selector::new([0xde, 0xad, 0xbe, 0xef]);
/// ERC-2612 `permit`.
const PERMIT: Selector = Selector::new([0xd5, 0x05, 0xac, 0xcf]);
/// `PullingRouter.swap(address,uint256)`.
pub const ROUTER_SWAP: Selector = Selector::new([0xd0, 0x04, 0xf0, 0xf7]);
/// `PullingRouter.swapPermit2(address,uint160)`.
pub const ROUTER_SWAP_PERMIT2: Selector = Selector::new([0xed, 0x2b, 0xb8, 0xa6]);
/// `executeUserOp`.
const EXECUTE_USER_OP: Selector = Selector::new([0x8d, 0xd7, 0x71, 0x2f]);
/// The expiration of every Permit2 approval the grammar makes (far in the future).
pub const PERMIT2_EXPIRATION: u64 = (1 << 48) - 1;

/// The reference state of a case.
#[derive(Debug, Clone)]
pub struct RefState {
    /// EntryPoint version of both accounts.
    pub version: EntryPointVersion,
    /// Session templates (granted to the main account).
    pub specs: Vec<SessionSpec>,
    /// `block.timestamp`.
    pub now: u64,
    /// The module's storage for the main account.
    pub main: AccountState,
    /// The module's storage for the other account.
    pub other: AccountState,
}

/// Why a bundle is expected to revert at op `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// `AA23 reverted` with this module error.
    Reverted(Rejection),
    /// `AA24 signature error`.
    SignatureError,
    /// `AA22 expired or not due`.
    OutOfWindow,
}

/// One planned session op.
#[derive(Debug, Clone)]
pub struct SessionPlan {
    /// The grammar's op.
    pub spec: OpSpec,
    /// Sender.
    pub sender: Address,
    /// Template index of the carried session.
    pub session_index: usize,
    /// The session the envelope's packed bytes decode to.
    pub carried: Session,
    /// The op's session id as the module computes it: `keccak256` of the packed bytes as
    /// carried (for a plain envelope, of every byte after its fixed part).
    pub carried_id: B256,
    /// The period the envelope names.
    pub period: u32,
    /// The model's verdict.
    pub verdict: Verdict,
    /// For an accepted op: whether the EntryPoint accepts its window now.
    pub in_window: bool,
    /// Whether the account routes the op to the module (it has it installed); otherwise the
    /// account itself answers SIG_VALIDATION_FAILED and the module never runs.
    pub routed: bool,
    /// The calls the op asks for (empty for a direct account call or a rejected shape).
    pub calls: Vec<Call>,
    /// How many calls the suite put in the op's `execute` (1 for a single call, the batch's
    /// length, whatever the cap or the encoding; 0 for any other shape).
    pub sent_calls: usize,
    /// The enable grant the op carries, if any.
    pub enable: Option<EnablePlan>,
    /// The packed session bytes the envelope carries (what a `settle` call of the op must
    /// carry).
    pub packed: Vec<u8>,
    /// True when the suite signed this very op with the carried session's key: over this op's
    /// hash (this chain, this EntryPoint), the carried id and the period the envelope names
    /// (decided by the suite from what it signed, not by the model).
    pub signed_right: bool,
}

/// An enable grant carried by a planned op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnablePlan {
    /// The enable nonce.
    pub nonce: U256,
    /// True when the grant is the sender's owner's signature over this account, chain, module
    /// and session (what the account's ERC-1271 must accept; decided by the suite, not read
    /// from the module).
    pub owner_signed: bool,
}

/// One planned op of a bundle.
#[derive(Debug, Clone)]
pub enum OpPlan {
    /// An owner op and whether its execution is expected to succeed.
    Owner(OwnerAction, bool),
    /// A session op.
    Session(Box<SessionPlan>),
}

/// A planned bundle: the ops to send, what each does, and the state after.
#[derive(Debug, Clone)]
pub struct BundlePlan {
    /// Packed, signed ops in order.
    pub ops: Vec<PackedUserOperation>,
    /// Per op.
    pub plans: Vec<OpPlan>,
    /// The first op expected to fail validation, and how.
    pub failure: Option<(usize, Expected)>,
    /// The reference state after the bundle.
    pub after: RefState,
}

fn selector_bytes(spec: SelectorSpec) -> Selector {
    match spec {
        SelectorSpec::Transfer => ERC20_TRANSFER,
        SelectorSpec::Approve => ERC20_APPROVE,
        SelectorSpec::IncreaseAllowance => ERC20_INCREASE_ALLOWANCE,
        SelectorSpec::TransferFromAccount | SelectorSpec::TransferFromOther => ERC20_TRANSFER_FROM,
        SelectorSpec::Permit => PERMIT,
        SelectorSpec::Record => RECORD,
        SelectorSpec::Unknown => UNKNOWN,
        SelectorSpec::Execute => leash_model::decode::EXECUTE,
        SelectorSpec::Empty | SelectorSpec::Short => Selector::ZERO,
        SelectorSpec::Permit2Approve(..) | SelectorSpec::Permit2ApproveRouter(_) => PERMIT2_APPROVE,
        SelectorSpec::Permit2TransferFrom(_) => PERMIT2_TRANSFER_FROM,
        SelectorSpec::ApproveRouter => ERC20_APPROVE,
        SelectorSpec::RouterSwap(_) => ROUTER_SWAP,
        SelectorSpec::RouterSwapPermit2(_) => ROUTER_SWAP_PERMIT2,
    }
}

fn address_word(a: Address) -> [u8; 32] {
    B256::left_padding_from(a.as_slice()).0
}

impl RefState {
    /// A case's start: both accounts have the module installed, no session yet.
    pub fn new(version: EntryPointVersion, specs: Vec<SessionSpec>) -> Self {
        let layout = layout(version);
        let mut state = Self {
            version,
            specs,
            now: layout.genesis,
            main: AccountState::default(),
            other: AccountState::default(),
        };
        state.main.install().expect("fresh install");
        state.other.install().expect("fresh install");
        state
    }

    /// The addresses of this case's world.
    pub fn layout(&self) -> Layout {
        layout(self.version)
    }

    /// Session template `i` resolved to a session.
    pub fn session(&self, i: usize) -> Session {
        resolve_session(&self.specs[i], i, &self.layout())
    }

    /// The id of session template `i`.
    pub fn session_id(&self, i: usize) -> B256 {
        encode::session_id(&self.session(i))
    }

    /// The EntryPoint's window rules.
    pub fn rules(&self) -> EntryPointRules {
        match self.version {
            EntryPointVersion::V07 => EntryPointRules::V07,
            EntryPointVersion::V08 => EntryPointRules::V08,
        }
    }

    fn context(&self, other: bool) -> Context {
        let l = self.layout();
        let (account, state) = if other {
            (l.other_account, &self.other)
        } else {
            (l.account, &self.main)
        };
        // The other account on v0.8 is a delegated EOA: it signs for itself, no owner validator.
        let mut installed = if other && l.eip7702_delegate.is_some() {
            Vec::new()
        } else {
            vec![(ModuleKind::Validator, l.owner_validator)]
        };
        if !other {
            installed.push((ModuleKind::Validator, l.extra_module));
            installed.push((ModuleKind::Executor, l.executor));
            installed.push((
                ModuleKind::Fallback(Selector::new(crate::world::HANDLED_SELECTOR)),
                l.handler,
            ));
        }
        if state.installed {
            installed.push((ModuleKind::Validator, l.module));
        }
        Context {
            account,
            module: l.module,
            installed,
        }
    }

    /// Plans `bundle`; `nonce(sender, nonce_key)` gives the next sequence-0 nonce of a key.
    pub fn plan(
        &self,
        bundle: &[BundleOp],
        nonce: &mut dyn FnMut(Address, U256) -> U256,
    ) -> BundlePlan {
        let l = self.layout();
        let mut validation = self.clone();
        let mut used: HashMap<(Address, U256), U256> = HashMap::new();
        let mut next_nonce =
            |sender: Address, key: U256, nonce: &mut dyn FnMut(Address, U256) -> U256| {
                let entry = used
                    .entry((sender, key))
                    .or_insert_with(|| nonce(sender, key));
                let value = *entry;
                *entry += U256::from(1);
                value
            };
        let mut ops = Vec::new();
        let mut plans = Vec::new();
        let mut failure = None;
        for (index, op) in bundle.iter().enumerate() {
            match op {
                BundleOp::Owner(action) => {
                    let key = validator_nonce(l.owner_validator, 0, 0);
                    let n = next_nonce(l.account, key, nonce);
                    ops.push(self.owner_op(*action, n));
                    plans.push(OpPlan::Owner(*action, false));
                }
                BundleOp::Session(spec) => {
                    let sender = if spec.other_account {
                        l.other_account
                    } else {
                        l.account
                    };
                    let key = validator_nonce(l.module, spec.session as u32, 0);
                    let n = next_nonce(sender, key, nonce);
                    let (packed, plan) = validation.session_op(spec, sender, n);
                    ops.push(packed);
                    if failure.is_none() {
                        match &plan.verdict {
                            _ if !plan.routed => failure = Some((index, Expected::SignatureError)),
                            Verdict::Reject(r) => {
                                failure = Some((index, Expected::Reverted(r.clone())))
                            }
                            Verdict::SigFailed(_) => {
                                failure = Some((index, Expected::SignatureError))
                            }
                            Verdict::Accept(_) if !plan.in_window => {
                                failure = Some((index, Expected::OutOfWindow))
                            }
                            Verdict::Accept(a) => {
                                let store = if spec.other_account {
                                    &mut validation.other
                                } else {
                                    &mut validation.main
                                };
                                store.commit(a);
                            }
                        }
                    }
                    plans.push(OpPlan::Session(Box::new(plan)));
                }
            }
        }
        let after = if failure.is_some() {
            self.clone()
        } else {
            let mut after = validation;
            for plan in &mut plans {
                if let OpPlan::Owner(action, succeeds) = plan {
                    *succeeds = after.execute_owner(*action);
                }
            }
            after
        };
        BundlePlan {
            ops,
            plans,
            failure,
            after,
        }
    }

    /// Applies an owner action's execution; false when the account's call reverts.
    fn execute_owner(&mut self, action: OwnerAction) -> bool {
        match action {
            OwnerAction::Grant(i) => {
                let (id, session) = (self.session_id(i), self.session(i));
                self.main.create(id, &session).is_ok()
            }
            OwnerAction::Pause(i) => {
                let id = self.session_id(i);
                self.main.pause(id).is_ok()
            }
            OwnerAction::Resume(i) => {
                let id = self.session_id(i);
                self.main.resume(id).is_ok()
            }
            OwnerAction::Revoke(i) => {
                let id = self.session_id(i);
                self.main.revoke(id).is_ok()
            }
            OwnerAction::Uninstall => {
                // The account reverts when the module is not installed.
                let installed = self.main.installed;
                if installed {
                    self.main.uninstall();
                }
                installed
            }
            OwnerAction::Reinstall => self.main.install().is_ok(),
            OwnerAction::InvalidateNonce(n) => {
                self.main.consume_nonce(grammar::enable_nonce(n)).is_ok()
            }
        }
    }

    /// The owner's op for `action` with full nonce `nonce`, signed.
    fn owner_op(&self, action: OwnerAction, nonce: U256) -> PackedUserOperation {
        let l = self.layout();
        let module_call = |data: Vec<u8>| -> Vec<u8> {
            leash_model::decode::encode_execute(
                leash_model::decode::CallType::Single,
                leash_model::decode::ExecType::Default,
                &[Call {
                    target: l.module,
                    value: U256::ZERO,
                    data,
                }],
            )
        };
        let call_data = match action {
            OwnerAction::Grant(i) => module_call(
                ISessionKeyValidator::grantSessionCall {
                    session: encode::to_abi(&self.session(i)),
                }
                .abi_encode(),
            ),
            OwnerAction::Pause(i) => module_call(
                ISessionKeyValidator::pauseSessionCall {
                    sessionId: self.session_id(i),
                }
                .abi_encode(),
            ),
            OwnerAction::Resume(i) => module_call(
                ISessionKeyValidator::resumeSessionCall {
                    sessionId: self.session_id(i),
                }
                .abi_encode(),
            ),
            OwnerAction::Revoke(i) => module_call(
                ISessionKeyValidator::revokeSessionCall {
                    sessionId: self.session_id(i),
                }
                .abi_encode(),
            ),
            OwnerAction::Uninstall => uninstall_call(l.module),
            OwnerAction::Reinstall => install_call(l.module, Vec::new()),
            OwnerAction::InvalidateNonce(n) => module_call(
                ISessionKeyValidator::invalidateEnableNonceCall {
                    nonce: grammar::enable_nonce(n),
                }
                .abi_encode(),
            ),
        };
        let gas = Gas {
            verification: 300_000,
            call: 1_000_000,
            pre_verification: 60_000,
            max_fee: 1_000_000_000,
        };
        let mut op = encode::packed(l.account, nonce, call_data, gas, Vec::new());
        let hash = encode::user_op_hash(
            &op,
            self.version,
            self.version.canonical_address(),
            l.chain_id,
        );
        op.signature = encode::sign(&owner_key(false), hash).into();
        op
    }

    fn period_for(&self, session: &Session, spec: PeriodSpec) -> u32 {
        let current = period_at(session, self.now).unwrap_or(0);
        match (session.period, spec) {
            (_, PeriodSpec::Current) => current,
            (_, PeriodSpec::Max) => u32::MAX,
            (0, PeriodSpec::Next) => 1,
            (0, PeriodSpec::Previous) => 0,
            (_, PeriodSpec::Next) => current.saturating_add(1),
            (_, PeriodSpec::Previous) => current.saturating_sub(1),
            (_, PeriodSpec::Plus2To16) => current.saturating_add(1 << 16),
            (_, PeriodSpec::Far31) => 1 << 31,
            (0, PeriodSpec::NearCap(_)) => u32::MAX,
            (length, PeriodSpec::NearCap(d)) => {
                // The last period starting before 2^47, then the next ones.
                let index = ((1u64 << 47) - 1).saturating_sub(session.period_start) / length;
                u32::try_from(index)
                    .unwrap_or(u32::MAX)
                    .saturating_add(u32::from(d))
            }
        }
    }

    /// What is left for `asset` (native or a token) to this session in `period`, capped by
    /// every allowance that applies; a generous amount for an unlimited token.
    fn left(&self, session: &Session, asset: Address, period: u32, other: bool) -> U256 {
        let store = if other { &self.other } else { &self.main };
        let state = store.session(encode::session_id(session));
        let mut left: Option<U256> = None;
        let mut cap = |value: U256| left = Some(left.map_or(value, |l| l.min(value)));
        if asset == NATIVE_ASSET {
            cap(session.native_allowance.saturating_sub(state.native_spent));
        } else if let Some(t) = session.token_index(asset) {
            cap(session.tokens[t].amount.saturating_sub(state.token(asset)));
        }
        if let Some(p) = session.periodic_index(asset) {
            cap(session.periodic[p]
                .amount
                .saturating_sub(state.periodic(asset, period)));
        }
        left.unwrap_or(U256::from(UNLIMITED_LEFT))
    }

    fn amount(&self, spec: AmountSpec, left: U256) -> U256 {
        match spec {
            AmountSpec::Zero => U256::ZERO,
            AmountSpec::Small(n) => U256::from(n),
            AmountSpec::LeftMinusOne => left.saturating_sub(U256::from(1)),
            AmountSpec::Left => left,
            AmountSpec::LeftPlusOne => left.saturating_add(U256::from(1)),
            AmountSpec::Half => U256::from(1) << 255,
            AmountSpec::Max => U256::MAX,
        }
    }

    fn target(&self, spec: TargetSpec, sender: Address) -> Address {
        let l = self.layout();
        match spec {
            TargetSpec::Recorder0 => l.recorders[0],
            TargetSpec::Recorder1 => l.recorders[1],
            TargetSpec::Token0 => l.tokens[0],
            TargetSpec::Token1 => l.tokens[1],
            TargetSpec::Account => sender,
            TargetSpec::Zero => Address::ZERO,
            TargetSpec::Module => l.module,
            TargetSpec::EntryPoint => self.version.canonical_address(),
            TargetSpec::OtherEntryPoint => other_version(self.version).canonical_address(),
            TargetSpec::OtherModule => l.extra_module,
            TargetSpec::OwnerValidator => l.owner_validator,
            TargetSpec::Permit2 => PERMIT2,
            TargetSpec::EntryPointV06 => leash_model::permissions::ENTRY_POINT_V06,
            TargetSpec::EntryPointV09 => leash_model::permissions::ENTRY_POINT_V09,
            TargetSpec::Executor => l.executor,
            TargetSpec::Handler => l.handler,
            TargetSpec::Router => l.router,
        }
    }

    fn call_data(&self, selector: SelectorSpec, amount: U256, sender: Address) -> Vec<u8> {
        let l = self.layout();
        let mut data = selector_bytes(selector).to_vec();
        let amount_word = amount.to_be_bytes::<32>();
        match selector {
            SelectorSpec::Transfer => {
                data.extend_from_slice(&address_word(l.recorders[0]));
                data.extend_from_slice(&amount_word);
            }
            SelectorSpec::Approve | SelectorSpec::IncreaseAllowance => {
                data.extend_from_slice(&address_word(l.recorders[1]));
                data.extend_from_slice(&amount_word);
            }
            SelectorSpec::TransferFromAccount | SelectorSpec::TransferFromOther => {
                let from = if selector == SelectorSpec::TransferFromAccount {
                    sender
                } else {
                    l.other_account
                };
                data.extend_from_slice(&address_word(from));
                data.extend_from_slice(&address_word(l.recorders[0]));
                data.extend_from_slice(&amount_word);
            }
            SelectorSpec::Permit => data.extend_from_slice(&[0u8; 7 * 32]),
            SelectorSpec::Record => data.extend_from_slice(&amount_word),
            SelectorSpec::Unknown | SelectorSpec::Execute => {}
            SelectorSpec::Empty => data.clear(),
            SelectorSpec::Short => data = vec![0x12, 0x34],
            SelectorSpec::Permit2Approve(t, own) => {
                let spender = if own { sender } else { l.recorders[1] };
                data.extend_from_slice(&address_word(l.tokens[usize::from(t)]));
                data.extend_from_slice(&address_word(spender));
                data.extend_from_slice(&amount_word);
                data.extend_from_slice(&U256::from(PERMIT2_EXPIRATION).to_be_bytes::<32>());
            }
            SelectorSpec::Permit2TransferFrom(t) => {
                data.extend_from_slice(&address_word(sender));
                data.extend_from_slice(&address_word(l.recorders[0]));
                data.extend_from_slice(&amount_word);
                data.extend_from_slice(&address_word(l.tokens[usize::from(t)]));
            }
            SelectorSpec::ApproveRouter => {
                data.extend_from_slice(&address_word(l.router));
                data.extend_from_slice(&amount_word);
            }
            SelectorSpec::Permit2ApproveRouter(t) => {
                data.extend_from_slice(&address_word(l.tokens[usize::from(t)]));
                data.extend_from_slice(&address_word(l.router));
                data.extend_from_slice(&amount_word);
                data.extend_from_slice(&U256::from(PERMIT2_EXPIRATION).to_be_bytes::<32>());
            }
            SelectorSpec::RouterSwap(t) | SelectorSpec::RouterSwapPermit2(t) => {
                data.extend_from_slice(&address_word(l.tokens[usize::from(t)]));
                data.extend_from_slice(&amount_word);
            }
        }
        data
    }

    fn calls(&self, spec: &OpSpec, session: &Session, period: u32, sender: Address) -> Vec<Call> {
        let count = if spec.shape == ShapeSpec::Single {
            1
        } else {
            spec.calls.len()
        };
        spec.calls[..count]
            .iter()
            .map(|c: &CallSpec| {
                let target = self.target(c.target, sender);
                let asset = match c.selector {
                    SelectorSpec::Permit2Approve(t, _)
                    | SelectorSpec::Permit2TransferFrom(t)
                    | SelectorSpec::Permit2ApproveRouter(t)
                    | SelectorSpec::RouterSwap(t)
                    | SelectorSpec::RouterSwapPermit2(t) => self.layout().tokens[usize::from(t)],
                    _ => target,
                };
                let native_left = self.left(session, NATIVE_ASSET, period, spec.other_account);
                let token_left = self.left(session, asset, period, spec.other_account);
                Call {
                    target,
                    value: self.amount(c.value, native_left),
                    data: self.call_data(c.selector, self.amount(c.amount, token_left), sender),
                }
            })
            .collect()
    }

    /// Builds the session op of `spec` and the model's verdict on it.
    fn session_op(
        &self,
        spec: &OpSpec,
        sender: Address,
        nonce: U256,
    ) -> (PackedUserOperation, SessionPlan) {
        let l = self.layout();
        let own = self.session(spec.session);
        let own_id = encode::session_id(&own);
        // The session the packed bytes decode to, and the bytes themselves.
        let (carried, packed, canonical) = match spec.signer {
            SignerSpec::CarryOther(j) => {
                let other = self.session(j);
                let packed = encode::packed_session(&other);
                (other, packed, true)
            }
            SignerSpec::Escalate => {
                let root = Session {
                    root: true,
                    ..own.clone()
                };
                let packed = encode::packed_session(&root);
                (root, packed, true)
            }
            SignerSpec::NonCanonicalSession => {
                let packed = match packing::pack_with_zero_salt(&own) {
                    Ok(packed) => packed,
                    Err(e) => panic!("a grammar session always packs: {e}"),
                };
                let unsalted = Session {
                    salt: [0u8; 32],
                    ..own.clone()
                };
                (unsalted, packed, false)
            }
            _ => (own.clone(), encode::packed_session(&own), true),
        };
        let carried_id = alloy::primitives::keccak256(&packed);
        // What the owner's enable grant (if any) is for: the session the op is about, or for a
        // non-canonical packing the very bytes carried.
        let intended_id = match spec.signer {
            SignerSpec::NonCanonicalSession => carried_id,
            _ => own_id,
        };
        let period = self.period_for(&own, spec.period);
        let calls = self.calls(spec, &own, period, sender);
        let (calls, shape, mode) = self.settlement(spec, calls, &carried, &packed, period, sender);
        let sent_calls = match shape {
            ShapeSpec::Single => calls.len().min(1),
            ShapeSpec::Batch => calls.len(),
            _ => 0,
        };
        let call_data = match shape {
            ShapeSpec::Single => encode::execute_call_data(false, mode, spec.encoding, &calls),
            ShapeSpec::Batch => encode::execute_call_data(true, mode, spec.encoding, &calls),
            ShapeSpec::EmptyBatch => {
                encode::execute_call_data(true, spec.mode, EncodingSpec::Canonical, &[])
            }
            ShapeSpec::Direct(selector) => self.call_data(selector, U256::from(1), sender),
            ShapeSpec::ExecuteUserOp => {
                let mut data = EXECUTE_USER_OP.to_vec();
                data.extend_from_slice(&[0u8; 64]);
                data
            }
        };
        let gas_total = SESSION_GAS.verification + SESSION_GAS.call + SESSION_GAS.pre_verification;
        let store = if spec.other_account {
            &self.other
        } else {
            &self.main
        };
        let fee_left = own
            .fee_budget
            .saturating_sub(store.session(encode::session_id(&own)).fee_spent);
        let at_budget = if own.fee_budget.is_zero() {
            1_000_000_000
        } else {
            (fee_left / U256::from(gas_total)).to::<u128>()
        };
        let max_fee = match spec.fee {
            FeeSpec::Free => 0,
            FeeSpec::OneGwei => 1_000_000_000,
            FeeSpec::AtBudget => at_budget,
            FeeSpec::OverBudget => at_budget + 1,
        };
        let gas = Gas {
            max_fee,
            ..SESSION_GAS
        };
        let paymaster_and_data = match spec.sponsor {
            SponsorSpec::None => Vec::new(),
            SponsorSpec::Listed => encode::paymaster_and_data(l.paymasters[0], PAYMASTER_GAS),
            SponsorSpec::Unlisted => encode::paymaster_and_data(l.paymasters[1], PAYMASTER_GAS),
        };
        let mut op = encode::packed(
            sender,
            nonce,
            call_data.clone(),
            gas,
            paymaster_and_data.clone(),
        );
        op.initCode = self.init_code(spec.init, sender).into();
        let (hash_version, hash_entry_point, hash_chain) = match spec.signer {
            SignerSpec::OtherChain => (
                self.version,
                self.version.canonical_address(),
                l.chain_id + 1,
            ),
            SignerSpec::OtherEntryPoint => {
                let other = other_version(self.version);
                (other, other.canonical_address(), l.chain_id)
            }
            _ => (self.version, self.version.canonical_address(), l.chain_id),
        };
        let hash = match (hash_version, l.eip7702_delegate) {
            // EntryPoint v0.8 hashes a marker `initCode` with the sender's delegate in its place.
            (EntryPointVersion::V08, Some(delegate)) if sender == l.other_account => {
                user_op_hash_v08_with_eip7702_delegate(&op, hash_entry_point, hash_chain, delegate)
            }
            _ => encode::user_op_hash(&op, hash_version, hash_entry_point, hash_chain),
        };
        let signed_period = match (spec.signer, period) {
            (SignerSpec::MovedPeriod, 0) => 1,
            (SignerSpec::MovedPeriod, _) => 0,
            (SignerSpec::MovedPeriodFar, _) => period ^ (1 << 16),
            _ => period,
        };
        let key = if spec.signer == SignerSpec::WrongKey {
            grammar::KEYS
        } else {
            self.specs[spec.session].key
        };
        let signature = encode::sign(
            &session_key(key),
            encode::op_digest(hash, carried_id, signed_period),
        );
        // The module recovers the signer over the carried id and compares it with the carried
        // session's signer.
        let signature_valid = matches!(
            spec.signer,
            SignerSpec::Right
                | SignerSpec::CarryOther(_)
                | SignerSpec::Escalate
                | SignerSpec::NonCanonicalSession
                | SignerSpec::BadVersion
                | SignerSpec::BadFlags
                | SignerSpec::ShortPackedSession
                | SignerSpec::TrailingByte
                | SignerSpec::NoEnableNonce
        ) && l.keys.get(key) == Some(&carried.signer);
        let (version_byte, mut flags) = match spec.signer {
            SignerSpec::BadVersion => (2, 0),
            SignerSpec::BadFlags => (1, 2),
            _ => (1, 0),
        };
        let (mut enable, enable_signature) = match spec.enable {
            EnableSpec::None => (None, Vec::new()),
            EnableSpec::Grant { nonce, signer } => {
                flags |= 1;
                let (plan, bytes) =
                    self.enable_grant(spec, sender, intended_id, carried_id, nonce, signer);
                (Some(plan), bytes)
            }
        };
        if spec.signer == SignerSpec::NoEnableNonce {
            flags |= 1;
        }
        let mut envelope_bytes = encode::envelope(&encode::EnvelopeFields {
            version: version_byte,
            flags,
            period,
            signature: &signature,
            packed: &packed,
            grant: enable.map(|e| encode::GrantFields {
                nonce: e.nonce,
                signature: &enable_signature,
            }),
        });
        let packed_end = encode::ENVELOPE_FIXED_LENGTH + packed.len();
        let mut module_id = carried_id;
        let length_fits = match spec.signer {
            SignerSpec::ShortPackedSession => {
                // Every template carries its salt, so its packing is longer than the header. A
                // plain envelope's session is every byte after the fixed part (the module measures
                // no header there), so the cut names the id of the header alone; an enable
                // envelope's header says more than it carries.
                envelope_bytes.truncate(encode::ENVELOPE_FIXED_LENGTH + packing::HEADER_LENGTH);
                enable.is_none()
            }
            SignerSpec::TrailingByte => {
                envelope_bytes.push(0);
                // With ENABLE the byte lengthens the owner's signature, which then no longer
                // verifies; without, it is the last byte of the session the op names.
                if let Some(grant) = enable.as_mut() {
                    grant.owner_signed = false;
                }
                true
            }
            SignerSpec::NoEnableNonce => {
                envelope_bytes.resize(packed_end + 31, 0);
                false
            }
            _ => true,
        };
        if enable.is_none() && envelope_bytes.len() >= encode::ENVELOPE_FIXED_LENGTH {
            module_id =
                alloy::primitives::keccak256(&envelope_bytes[encode::ENVELOPE_FIXED_LENGTH..]);
        }
        let envelope = if spec.signer == SignerSpec::Truncated {
            envelope_bytes.truncate(60);
            Envelope::Short
        } else {
            Envelope::Parsed(Box::new(ParsedEnvelope {
                version: version_byte,
                flags,
                length_fits,
                period_index: period,
                session: carried.clone(),
                canonical,
                carried_id: module_id,
                enable_nonce: enable.map_or(U256::ZERO, |e| e.nonce),
                enable_signature_valid: enable.is_some_and(|e| e.owner_signed),
            }))
        };
        op.signature = envelope_bytes.into();
        let input = OpInput {
            sender,
            init_code: op.initCode.to_vec(),
            call_data: call_data.clone(),
            verification_gas_limit: gas.verification,
            call_gas_limit: gas.call,
            pre_verification_gas: U256::from(gas.pre_verification),
            max_fee_per_gas: gas.max_fee,
            paymaster_and_data,
            envelope,
            signature_valid,
        };
        let verdict = validate(store, &input, &self.context(spec.other_account));
        let in_window = match &verdict {
            Verdict::Accept(a) => in_window(self.rules(), a.valid_after, a.valid_until, self.now),
            _ => false,
        };
        let decoded_calls = match decode_call_data(&call_data) {
            Ok(Decoded::Execute { calls, .. }) => calls,
            _ => Vec::new(),
        };
        let plan = SessionPlan {
            spec: spec.clone(),
            sender,
            session_index: spec.session,
            carried,
            carried_id: module_id,
            period,
            verdict,
            in_window,
            routed: store.installed,
            calls: decoded_calls,
            sent_calls,
            enable,
            packed,
            signed_right: signature_valid,
        };
        (op, plan)
    }

    /// The op's calls, shape and mode after its settlement wrapper (rule 16): whether the op
    /// needs one is the model's [`needs_settlement`] on the carried session (the session the
    /// module checks), for the calls as resolved; the wrapper's `settle` calls carry the op's
    /// period and the envelope's packed bytes ([`settle_data`]) unless `spec.settle` asks for a
    /// malformed one. Only `execute` ops with calls (single or batch) are wrapped.
    fn settlement(
        &self,
        spec: &OpSpec,
        calls: Vec<Call>,
        carried: &Session,
        packed: &[u8],
        period: u32,
        sender: Address,
    ) -> (Vec<Call>, ShapeSpec, ModeSpec) {
        if !matches!(spec.shape, ShapeSpec::Single | ShapeSpec::Batch) {
            return (calls, spec.shape, spec.mode);
        }
        let module = self.layout().module;
        let settle = |period: u32, packed: &[u8]| Call {
            target: module,
            value: U256::ZERO,
            data: settle_data(period, packed),
        };
        let needed = calls.iter().any(|c| {
            let target = if c.target.is_zero() { sender } else { c.target };
            needs_settlement(carried, target, c.selector(), sender)
        });
        let good = settle(period, packed);
        // A settled op must be a default-mode batch: a TRY op the grammar allows becomes default
        // (other mode twists stay: the decoder refuses them first).
        let mode = if spec.mode == ModeSpec::Try {
            ModeSpec::Default
        } else {
            spec.mode
        };
        let wrap = |first: Call, inner: Vec<Call>, last: Option<Call>| {
            let mut out = vec![first];
            out.extend(inner);
            out.extend(last);
            out
        };
        let batch = |calls| (calls, ShapeSpec::Batch, mode);
        match spec.settle {
            SettleSpec::Never => (calls, spec.shape, spec.mode),
            SettleSpec::Auto if !needed => (calls, spec.shape, spec.mode),
            SettleSpec::Auto => {
                // The batch cap counts the two settle calls: 7 or 8 calls keep 6 (a wrapped
                // batch at the cap); 9 keep 7 (a wrapped batch one past it).
                let mut inner = calls;
                if inner.len() <= MAX_BATCH_CALLS {
                    inner.truncate(MAX_BATCH_CALLS - 2);
                } else {
                    inner.truncate(MAX_BATCH_CALLS - 1);
                }
                batch(wrap(good.clone(), inner, Some(good)))
            }
            SettleSpec::Always => batch(wrap(good.clone(), calls, Some(good))),
            SettleSpec::TryMode => {
                let (calls, shape, _) = batch(wrap(good.clone(), calls, Some(good)));
                (calls, shape, ModeSpec::Try)
            }
            SettleSpec::SingleCall => (vec![good], ShapeSpec::Single, mode),
            SettleSpec::MissingEnd => batch(wrap(good, calls, None)),
            SettleSpec::Misplaced => {
                let mut inner = calls;
                inner.insert(inner.len().min(1), good.clone());
                batch(wrap(good.clone(), inner, Some(good)))
            }
            SettleSpec::WrongPeriod(closing) => {
                let moved = settle(period.wrapping_add(1), packed);
                if closing {
                    batch(wrap(good, calls, Some(moved)))
                } else {
                    batch(wrap(moved, calls, Some(good)))
                }
            }
            SettleSpec::OtherSession => {
                let n = self.specs.len();
                let other = (1..=n)
                    .map(|d| encode::packed_session(&self.session((spec.session + d) % n)))
                    .find(|p| p[..] != packed[..])
                    .unwrap_or_else(|| packed[..packed.len() - 1].to_vec());
                let wrong = settle(period, &other);
                batch(wrap(wrong.clone(), calls, Some(wrong)))
            }
            SettleSpec::WithValue => {
                let mut first = good.clone();
                first.value = U256::from(1);
                batch(wrap(first, calls, Some(good)))
            }
            SettleSpec::DirtyPadding => {
                let mut first = good.clone();
                if packed.len().is_multiple_of(32) {
                    first.data.extend_from_slice(&[0u8; 32]);
                }
                if let Some(last) = first.data.last_mut() {
                    *last = 1;
                }
                batch(wrap(first, calls, Some(good)))
            }
            SettleSpec::WrongTarget => {
                let mut first = good.clone();
                first.target = Address::ZERO;
                batch(wrap(first, calls, Some(good)))
            }
        }
    }

    /// The enable grant of `spec` for the op of `sender` meant to enable `id`, whose envelope
    /// carries the packed session of id `carried_id`: the nonce, whether it is the sender's
    /// owner's grant for exactly this account, chain, module and carried session, and the bytes
    /// the account's ERC-1271 receives (`validator ‖ ECDSA signature`).
    /// The `initCode` of an op with `init` from `sender`: only the delegated EOA on v0.8 (the
    /// other account there) gets one, since EntryPoint v0.8 runs an init call only for an
    /// EIP-7702 sender (for any other sender it cannot even hash the op) and v0.7 has no
    /// EIP-7702 support. The init call moves one unit of the sender's token 0 to recorder 0.
    fn init_code(&self, init: InitSpec, sender: Address) -> Vec<u8> {
        let l = self.layout();
        if l.eip7702_delegate.is_none() || sender != l.other_account {
            return Vec::new();
        }
        let mut init_code = EIP7702_INIT_CODE_MARKER.to_vec();
        match init {
            InitSpec::None => return Vec::new(),
            InitSpec::Marker => {}
            InitSpec::Call => {
                let transfer = self.call_data(SelectorSpec::Transfer, U256::from(1), sender);
                init_code.extend_from_slice(&encode::execute_call_data(
                    false,
                    ModeSpec::Default,
                    EncodingSpec::Canonical,
                    &[Call {
                        target: l.tokens[0],
                        value: U256::ZERO,
                        data: transfer,
                    }],
                ));
            }
        }
        init_code
    }

    fn enable_grant(
        &self,
        spec: &OpSpec,
        sender: Address,
        id: B256,
        carried_id: B256,
        nonce: u8,
        signer: GrantSigner,
    ) -> (EnablePlan, Vec<u8>) {
        let l = self.layout();
        let nonce = grammar::enable_nonce(nonce);
        let sender_is_other = sender == l.other_account;
        let other_of_sender = if sender_is_other {
            l.account
        } else {
            l.other_account
        };
        let (mut chain, mut verifier, mut account, mut granted_id) =
            (l.chain_id, l.module, sender, id);
        let mut prefix = l.owner_validator;
        let mut key = owner_key(sender_is_other);
        let mut by_owner = true;
        match signer {
            GrantSigner::Owner => {}
            GrantSigner::SessionKey => {
                key = session_key(self.specs[spec.session].key);
                by_owner = false;
            }
            GrantSigner::ModuleRouted => {
                key = session_key(self.specs[spec.session].key);
                prefix = l.module;
                by_owner = false;
            }
            GrantSigner::OtherOwner => {
                key = owner_key(!sender_is_other);
                by_owner = false;
            }
            GrantSigner::OtherAccount => account = other_of_sender,
            GrantSigner::OtherChain => chain += 1,
            GrantSigner::OtherSession => {
                granted_id = self.session_id((spec.session + 1) % self.specs.len());
            }
            GrantSigner::OtherVerifier => verifier = l.extra_module,
        }
        let digest = encode::enable_digest(chain, verifier, account, granted_id, nonce);
        // The delegated EOA (other account, v0.8) has no owner validator: its ERC-1271 takes the
        // EOA's own 65-byte signature, unprefixed (a prefix naming the module still routes there).
        let eoa_signs = sender_is_other && l.eip7702_delegate.is_some();
        let mut bytes = if eoa_signs && prefix == l.owner_validator {
            Vec::new()
        } else {
            prefix.to_vec()
        };
        bytes.extend_from_slice(&encode::sign(&key, digest));
        // What the account's ERC-1271 accepts: its owner's key through the owner validator, over
        // the digest the module computes (this account, chain and module, the carried id).
        let owner_signed = by_owner
            && prefix == l.owner_validator
            && digest == encode::enable_digest(l.chain_id, l.module, sender, carried_id, nonce);
        let plan = EnablePlan {
            nonce,
            owner_signed,
        };
        (plan, bytes)
    }

    /// The periods whose counters the suite compares for session `i` (current and the ones
    /// ops can name), each with a window the `remainingOf` view can compute.
    pub fn periods_of_interest(&self, i: usize) -> Vec<u32> {
        let session = self.session(i);
        if session.period == 0 {
            return vec![0];
        }
        let current = period_at(&session, self.now).unwrap_or(0);
        let mut periods = vec![current.saturating_sub(1), current, current + 1];
        periods.dedup();
        periods.retain(|p| op_window(&session, *p).is_ok());
        periods
    }
}

/// The other EntryPoint version.
pub fn other_version(version: EntryPointVersion) -> EntryPointVersion {
    match version {
        EntryPointVersion::V07 => EntryPointVersion::V08,
        EntryPointVersion::V08 => EntryPointVersion::V07,
    }
}

/// The address of `grammar::DENIED_TOKENS[d]` in `layout`'s world (none depends on the EntryPoint).
fn denied_token(layout: &Layout, d: u8) -> Address {
    match grammar::DENIED_TOKENS[usize::from(d)] {
        TargetSpec::Module => layout.module,
        TargetSpec::EntryPointV06 => leash_model::permissions::ENTRY_POINT_V06,
        TargetSpec::EntryPointV09 => leash_model::permissions::ENTRY_POINT_V09,
        other => unreachable!("DENIED_TOKENS lists no {other:?}"),
    }
}

/// Template `spec` (number `index`) as a session in `layout`'s world.
pub fn resolve_session(spec: &SessionSpec, index: usize, layout: &Layout) -> Session {
    let g = layout.genesis;
    let (valid_after, valid_until) = match spec.window {
        WindowSpec::Open => (0, 0),
        WindowSpec::TwoHours => (g, g + 7_200),
        WindowSpec::LaterStart => (g + 1_800, 0),
    };
    let grant = |grant: GrantSpec| match grant {
        GrantSpec::Recorder0Any => CallGrant {
            target: layout.recorders[0],
            selector: Selector::ZERO,
            flags: GRANT_ANY_SELECTOR,
        },
        GrantSpec::Recorder1Record => CallGrant {
            target: layout.recorders[1],
            selector: RECORD,
            flags: 0,
        },
        GrantSpec::Token0Any => CallGrant {
            target: layout.tokens[0],
            selector: Selector::ZERO,
            flags: GRANT_ANY_SELECTOR,
        },
        GrantSpec::Token0Transfer => CallGrant {
            target: layout.tokens[0],
            selector: ERC20_TRANSFER,
            flags: 0,
        },
        GrantSpec::Token1Approve => CallGrant {
            target: layout.tokens[1],
            selector: ERC20_APPROVE,
            flags: 0,
        },
        GrantSpec::AnyAny => CallGrant {
            target: Address::ZERO,
            selector: Selector::ZERO,
            flags: GRANT_ANY_TARGET | GRANT_ANY_SELECTOR,
        },
        GrantSpec::AnyRecord => CallGrant {
            target: Address::ZERO,
            selector: RECORD,
            flags: GRANT_ANY_TARGET,
        },
        GrantSpec::Permit2Any => CallGrant {
            target: PERMIT2,
            selector: Selector::ZERO,
            flags: GRANT_ANY_SELECTOR,
        },
        GrantSpec::RouterAny => CallGrant {
            target: layout.router,
            selector: Selector::ZERO,
            flags: GRANT_ANY_SELECTOR,
        },
        GrantSpec::DeniedTokenAny(d) => CallGrant {
            target: denied_token(layout, d),
            selector: Selector::ZERO,
            flags: GRANT_ANY_SELECTOR,
        },
    };
    let mut periodic = Vec::new();
    if spec.periodic_native {
        periodic.push(PeriodicAllowance {
            asset: NATIVE_ASSET,
            amount: U256::from(PERIODIC_NATIVE),
        });
    }
    if spec.periodic_token1 {
        periodic.push(PeriodicAllowance {
            asset: layout.tokens[1],
            amount: U256::from(PERIODIC_TOKEN1),
        });
    }
    if spec.periodic_token0 {
        periodic.push(PeriodicAllowance {
            asset: layout.tokens[0],
            amount: U256::from(PERIODIC_TOKEN0),
        });
    }
    let mut tokens = Vec::new();
    if spec.token0_allowance {
        tokens.push(TokenAllowance {
            token: layout.tokens[0],
            amount: U256::from(TOKEN0_ALLOWANCE),
        });
    }
    if spec.token1_allowance {
        tokens.push(TokenAllowance {
            token: layout.tokens[1],
            amount: U256::from(TOKEN1_ALLOWANCE),
        });
    }
    // A denied address a grant names is listed as a token too (once), after the real tokens.
    for grant in &spec.grants {
        if let GrantSpec::DeniedTokenAny(d) = *grant {
            let token = denied_token(layout, d);
            if tokens.iter().all(|t| t.token != token) {
                tokens.push(TokenAllowance {
                    token,
                    amount: U256::from(TOKEN1_ALLOWANCE),
                });
            }
        }
    }
    let mut account_selectors: Vec<Selector> = spec
        .account_selectors
        .iter()
        .map(|s| selector_bytes(*s))
        .collect();
    account_selectors.dedup();
    Session {
        signer: layout.keys[spec.key],
        valid_after,
        valid_until,
        max_uses: spec.max_uses,
        root: spec.root,
        period: match (spec.periodic, spec.long_period) {
            (false, _) => 0,
            (true, false) => PERIOD,
            (true, true) => grammar::LONG_PERIOD,
        },
        // Hourly and long periods: period 1 (period 0 for long ones) is current at genesis; an
        // old schedule's period 2^16.
        period_start: match (spec.periodic, spec.old_schedule) {
            (false, _) => 0,
            (true, false) => g - 4_200,
            (true, true) => g - 600 - grammar::OLD_SCHEDULE_PERIODS * PERIOD,
        },
        rate_limit: spec.rate_limit,
        native_allowance: if spec.native {
            U256::from(NATIVE_ALLOWANCE)
        } else {
            U256::ZERO
        },
        fee_budget: if spec.fee_budget {
            U256::from(FEE_BUDGET)
        } else {
            U256::ZERO
        },
        gas_budget: if spec.gas_budget {
            U256::from(GAS_BUDGET)
        } else {
            U256::ZERO
        },
        calls: spec.grants.iter().map(|g| grant(*g)).collect(),
        account_selectors,
        tokens,
        periodic,
        paymasters: if spec.paymaster {
            vec![layout.paymasters[0]]
        } else {
            Vec::new()
        },
        salt: [index as u8 + 1; 32],
    }
}

/// The bundle that opens every case: the owner grants every session template that is not
/// left for an enable grant.
pub fn setup_bundle(specs: &[SessionSpec]) -> Vec<BundleOp> {
    specs
        .iter()
        .enumerate()
        .filter(|(_, spec)| !spec.by_enable)
        .map(|(i, _)| BundleOp::Owner(OwnerAction::Grant(i)))
        .collect()
}

/// The proptest-state-machine reference: generation and the model's transition function.
#[derive(Debug, Clone, Copy)]
pub struct SessionMachine;

fn version() -> impl Strategy<Value = EntryPointVersion> {
    prop_oneof![Just(EntryPointVersion::V07), Just(EntryPointVersion::V08)]
}

impl ReferenceStateMachine for SessionMachine {
    type State = RefState;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Self::State> {
        (
            version(),
            prop::collection::vec(grammar::session_spec(), grammar::SESSIONS),
        )
            .prop_map(|(version, specs)| {
                let setup = setup_bundle(&specs);
                let state = RefState::new(version, specs);
                state.plan(&setup, &mut |_, key| key).after
            })
            .boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        grammar::transition_for(&state.specs)
    }

    fn apply(state: Self::State, transition: &Self::Transition) -> Self::State {
        match transition {
            Transition::Warp(secs) => RefState {
                now: state.now + secs,
                ..state
            },
            Transition::Bundle(ops) => state.plan(ops, &mut |_, key| key).after,
        }
    }
}
