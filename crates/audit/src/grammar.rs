//! The adversarial grammar: abstract sessions, ops, owner actions and time jumps. Everything
//! here is symbolic (targets by role, amounts relative to what is left); [`crate::reference`]
//! resolves it against the model's state, so shrinking keeps the intent of each step.

use alloy::primitives::U256;
use proptest::prelude::*;

/// Number of session templates per case (granted to the main account).
pub const SESSIONS: usize = 3;
/// Number of session keys (plus one stranger key, index `KEYS`).
pub const KEYS: usize = 3;

/// A session template, resolved to a `Session` by [`crate::reference::RefState::session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSpec {
    /// Which session key signs (index into the world's keys).
    pub key: usize,
    /// Validity window.
    pub window: WindowSpec,
    /// `maxUses` (0 = unlimited).
    pub max_uses: u32,
    /// `root`.
    pub root: bool,
    /// Hourly periods (with `rate_limit` and `periodic`), or none.
    pub periodic: bool,
    /// Periods of [`LONG_PERIOD`] seconds instead of an hour (only with `periodic`): period
    /// indices near the 2^47 window cap fit in 32 bits.
    pub long_period: bool,
    /// Hourly periods counted from [`OLD_SCHEDULE_PERIODS`] periods before genesis (only with
    /// `periodic` and not `long_period`): the current period index is 2^16 at genesis, so a
    /// digest that keeps fewer than 17 bits of it, or none, shows.
    pub old_schedule: bool,
    /// `rateLimit` per period (only with `periodic`).
    pub rate_limit: u32,
    /// A native lifetime allowance.
    pub native: bool,
    /// A fee budget.
    pub fee_budget: bool,
    /// A gas budget.
    pub gas_budget: bool,
    /// Call grants.
    pub grants: Vec<GrantSpec>,
    /// `accountSelectors`.
    pub account_selectors: Vec<SelectorSpec>,
    /// A lifetime allowance on token 0.
    pub token0_allowance: bool,
    /// A lifetime allowance on token 1 too (a token list with several entries).
    pub token1_allowance: bool,
    /// A periodic allowance on token 0 (only with `periodic`; after the native and token 1
    /// entries, so the periodic list can have three entries).
    pub periodic_token0: bool,
    /// Periodic allowances (only with `periodic`).
    pub periodic_native: bool,
    /// A periodic allowance on token 1 (only with `periodic`).
    pub periodic_token1: bool,
    /// The listed paymaster is allowed.
    pub paymaster: bool,
    /// Not created by the set-up bundle: the session comes to life through an enable grant
    /// carried by its first op (rule 13), or a later owner `Grant`.
    pub by_enable: bool,
}

/// A session window relative to genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    /// No bounds.
    Open,
    /// Valid from genesis for two hours.
    TwoHours,
    /// Valid from genesis + 30 minutes, no expiry.
    LaterStart,
}

/// A call grant by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantSpec {
    /// Recorder 0, any selector.
    Recorder0Any,
    /// Recorder 1, the record selector only.
    Recorder1Record,
    /// Token 0, any selector.
    Token0Any,
    /// Token 0, `transfer` named.
    Token0Transfer,
    /// Token 1, `approve` named.
    Token1Approve,
    /// Any target, any selector.
    AnyAny,
    /// Any target, the record selector.
    AnyRecord,
    /// Permit2, any selector.
    Permit2Any,
    /// The pulling router, any selector (an exact grant: the router is no module).
    RouterAny,
    /// A hard-denied address (`DENIED_TOKENS[i]`: the module, EntryPoint v0.6, EntryPoint v0.9)
    /// named by an exact grant, any selector, and listed in `tokens` too: a spending call to it has
    /// the shape of the module's one-pass token path (TokenCallFastPath), which must still deny it.
    DeniedTokenAny(u8),
}

/// The hard-denied addresses a session may list as tokens (`GrantSpec::DeniedTokenAny`): the
/// ones whose address does not depend on the EntryPoint under test.
pub const DENIED_TOKENS: [TargetSpec; 3] = [
    TargetSpec::Module,
    TargetSpec::EntryPointV06,
    TargetSpec::EntryPointV09,
];

/// A selector by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorSpec {
    /// `transfer(to, amount)`.
    Transfer,
    /// `approve(spender, amount)`.
    Approve,
    /// `increaseAllowance(spender, amount)`.
    IncreaseAllowance,
    /// `transferFrom(account, to, amount)`.
    TransferFromAccount,
    /// `transferFrom(other, to, amount)`.
    TransferFromOther,
    /// `permit(...)` (not understood by the module).
    Permit,
    /// A selector the recorder records (`0x12345678`).
    Record,
    /// An unknown selector (`0xdeadbeef`).
    Unknown,
    /// `execute(bytes32,bytes)` (a wrapper when aimed at the account).
    Execute,
    /// Empty call data.
    Empty,
    /// Two bytes of call data.
    Short,
    /// Permit2 `approve(token t, spender, amount, far expiration)`; the spender is the account
    /// itself when the flag is set (so a later Permit2 `transferFrom` works), else recorder 1.
    Permit2Approve(u8, bool),
    /// Permit2 `transferFrom(account, recorder 0, amount, token t)`.
    Permit2TransferFrom(u8),
    /// `approve(router, amount)` (an allowance the router can pull through later).
    ApproveRouter,
    /// Permit2 `approve(token t, router, amount, far expiration)`.
    Permit2ApproveRouter(u8),
    /// Router `swap(token t, amount)`: the router pulls the account's tokens through its ERC-20
    /// allowance (call data a module cannot price).
    RouterSwap(u8),
    /// Router `swapPermit2(token t, amount)`: the router pulls through its Permit2 allowance.
    RouterSwapPermit2(u8),
}

/// A call target by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSpec {
    /// Recorder 0.
    Recorder0,
    /// Recorder 1.
    Recorder1,
    /// Token 0.
    Token0,
    /// Token 1.
    Token1,
    /// The account itself.
    Account,
    /// `address(0)` (the account, for OpenZeppelin).
    Zero,
    /// The session module.
    Module,
    /// The account's EntryPoint.
    EntryPoint,
    /// The other canonical EntryPoint.
    OtherEntryPoint,
    /// Another module installed on the account (a second validator).
    OtherModule,
    /// The owner's validator module.
    OwnerValidator,
    /// The canonical Permit2 address (a mock with real allowance bookkeeping).
    Permit2,
    /// The canonical EntryPoint v0.6 (no code in the harness; a session must not reach it).
    EntryPointV06,
    /// The canonical EntryPoint v0.9 (no code in the harness; a session must not reach it).
    EntryPointV09,
    /// The executor module (type 2) installed on the main account.
    Executor,
    /// The fallback handler (type 3) the main account routes one selector to
    /// ([`crate::world::HANDLED_SELECTOR`], the unknown selector).
    Handler,
    /// The pulling router (the owner gave it allowances at set-up).
    Router,
}

/// An amount relative to what the session has left of the relevant allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountSpec {
    /// 0.
    Zero,
    /// A small fixed amount (1..=50).
    Small(u8),
    /// left - 1.
    LeftMinusOne,
    /// left.
    Left,
    /// left + 1.
    LeftPlusOne,
    /// 2^255.
    Half,
    /// 2^256 - 1.
    Max,
}

/// One call of a session op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSpec {
    /// Target.
    pub target: TargetSpec,
    /// Selector and argument shape.
    pub selector: SelectorSpec,
    /// Native value.
    pub value: AmountSpec,
    /// Token amount argument.
    pub amount: AmountSpec,
}

/// The op's top-level shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeSpec {
    /// `execute` single (first call only).
    Single,
    /// `execute` batch.
    Batch,
    /// `execute` batch with no call.
    EmptyBatch,
    /// A direct account-function call with this selector.
    Direct(SelectorSpec),
    /// `executeUserOp` wrapper.
    ExecuteUserOp,
}

/// Mode variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeSpec {
    /// Default exec type.
    Default,
    /// Try exec type.
    Try,
    /// Call type delegatecall (0xff).
    DelegateCall,
    /// Call type staticcall (0xfe).
    StaticCall,
    /// Exec type 0x02.
    BadExecType,
    /// Non-zero mode selector.
    ModeSelector,
    /// Non-zero mode payload.
    ModePayload,
}

/// Encoding variants of the `execute` call data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSpec {
    /// Canonical ABI.
    Canonical,
    /// Batch: both heads point at the last element.
    DuplicatedHead,
    /// Batch: heads swapped.
    SwappedHeads,
    /// The `bytes` offset of `execute` moved by one word (an extra zero word inserted).
    ShiftedOffset,
    /// An offset pointing past the end of the data.
    EscapingPointer,
    /// Batch: dirty upper bits in the first target word.
    DirtyAddress,
    /// Non-zero padding after the execution bytes.
    DirtyPadding,
    /// 32 trailing zero bytes.
    TrailingBytes,
}

/// Gas and fee choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeSpec {
    /// maxFeePerGas 0.
    Free,
    /// 1 gwei.
    OneGwei,
    /// The largest fee that fits what is left of the budget.
    AtBudget,
    /// One wei per gas more than that.
    OverBudget,
}

/// The op's `initCode` (SPEC rule 1: an EIP-7702 init call is refused). EntryPoint v0.8 only
/// runs an init call for a sender whose code is an EIP-7702 delegation, so the reference puts
/// an `initCode` only on ops of the other account on v0.8, which is a delegated EOA there
/// ([`crate::world::Layout::eip7702_delegate`]); elsewhere the op goes without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitSpec {
    /// No `initCode`.
    None,
    /// The bare 20-byte marker `0x7702 ‖ 0…0` (no init call: a valid op on a delegated EOA).
    Marker,
    /// The marker followed by an `execute` that moves the sender's token 0 to recorder 0: the
    /// EntryPoint has the SenderCreator call the account with it before validation (the
    /// account lets the SenderCreator execute), so whoever chose `initCode` chose a call no
    /// session granted or charged.
    Call,
}

/// Who sponsors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SponsorSpec {
    /// Nobody: the account pays.
    None,
    /// The paymaster sessions may list.
    Listed,
    /// A paymaster no session lists.
    Unlisted,
}

/// The period the envelope names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodSpec {
    /// The period containing the current time.
    Current,
    /// The next one.
    Next,
    /// The previous one.
    Previous,
    /// `u32::MAX`.
    Max,
    /// The current period + 2^16 (beyond 16 bits).
    Plus2To16,
    /// 2^31.
    Far31,
    /// The period whose start is the last before 2^47 (for [`LONG_PERIOD`] sessions; beyond
    /// `u32` for hourly ones, then `u32::MAX`), plus `0..=2`.
    NearCap(u8),
}

/// How the op is signed and which packed session the envelope carries (the envelope names no
/// id: the op's session id is the hash of the packed bytes it carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerSpec {
    /// The session's key over this op.
    Right,
    /// A key that is not the session's.
    WrongKey,
    /// The session's key over the hash for another chain id.
    OtherChain,
    /// The session's key over the hash for the other EntryPoint.
    OtherEntryPoint,
    /// The session's key, but signed for period 0 (period 1 when the envelope names 0): an op
    /// a bundler moved to another period.
    MovedPeriod,
    /// The session's key, signed for the named period with bit 16 flipped: a move only a
    /// digest that keeps 32 bits of the period index sees.
    MovedPeriodFar,
    /// The envelope carries session `j`'s packed bytes, signed by this session's key for `j`'s
    /// id: the op validates as session `j`, whose signer must be this key (an enable grant, if
    /// any, is the owner's grant of this session, not of `j`).
    CarryOther(usize),
    /// The envelope carries a root copy of this session, signed by its key for the copy's id:
    /// an id nobody created (an enable grant, if any, is the owner's grant of this session).
    Escalate,
    /// The envelope carries this session packed non-canonically (its salt replaced by a zero
    /// salt word under the salt flag), signed by its key for the hash of those bytes; an enable
    /// grant, if any, is the owner's grant of that very hash: the module must refuse to create
    /// a session from bytes that are no session's canonical packing.
    NonCanonicalSession,
    /// Envelope version 2.
    BadVersion,
    /// Envelope flags 0x02.
    BadFlags,
    /// A truncated envelope (60 bytes).
    Truncated,
    /// The envelope cut right after the packed session's header (71 + 58 bytes): without ENABLE
    /// the op names the id of the header alone (not found), with it the envelope is malformed.
    ShortPackedSession,
    /// One byte appended (with ENABLE it becomes the last byte of the owner's signature, without
    /// it the last byte of a session no one created).
    TrailingByte,
    /// The ENABLE flag set (with the op's grant, or an all-zero one) and the envelope cut 31
    /// bytes after the packed session: no room for the enable nonce.
    NoEnableNonce,
}

/// Who signs an enable grant, and for what (only `Owner` is a grant the account accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantSigner {
    /// The sender's owner, for the sender, this chain, this module and the session the op is
    /// about (for [`SignerSpec::NonCanonicalSession`], the hash of the bytes it carries).
    Owner,
    /// The session key (routed to the owner validator).
    SessionKey,
    /// The session key, routed to the session module's own ERC-1271 (always rejects).
    ModuleRouted,
    /// The owner of the other account.
    OtherOwner,
    /// The sender's owner, for the other account.
    OtherAccount,
    /// The sender's owner, for another chain id.
    OtherChain,
    /// The sender's owner, for another session template's id.
    OtherSession,
    /// The sender's owner, with another verifying contract in the domain.
    OtherVerifier,
}

/// Whether an op carries an enable grant (flag ENABLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnableSpec {
    /// A plain op.
    None,
    /// An enable grant with this per-account nonce (a small range, so replays and
    /// invalidated nonces happen).
    Grant {
        /// The enable nonce.
        nonce: u8,
        /// Who signed it, for what.
        signer: GrantSigner,
    },
}

/// Whether and how an op's calls are wrapped in the module's `settle(periodIndex, packedSession)`
/// calls (rule 16, execution-time settlement). Which ops need the wrapper is the model's
/// [`leash_model::settlement::needs_settlement`], decided on the resolved calls by
/// [`crate::reference`]; only `execute` ops (single or batch with calls) are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleSpec {
    /// Wrapped when a call needs settlement in the carried session: a default-mode batch
    /// `settle, calls…, settle` to the module with the op's period and packed session (a TRY
    /// op becomes default; batches of 7 or 8 calls keep 6 so the wrapped batch is at the cap,
    /// batches of 9 keep 7 so it is one past it).
    Auto,
    /// Never wrapped: an op with a call that needs settlement is refused (`SettlementRequired`).
    Never,
    /// Always wrapped, even when nothing needs settlement (the wrapper is then allowed and
    /// `settle` measures nothing or a balance that does not fall).
    Always,
    /// Wrapped, in TRY exec mode (`SettlementModeInvalid`).
    TryMode,
    /// One `settle` call as a single-call `execute` (`SettlementModeInvalid`).
    SingleCall,
    /// The closing `settle` left out (`SettlementEndMissing`).
    MissingEnd,
    /// A third `settle` between the first inner call and the rest (`SettlementCallMisplaced`).
    Misplaced,
    /// The opening (`false`) or closing (`true`) `settle` names the next period
    /// (`SettlementArgumentsInvalid`).
    WrongPeriod(bool),
    /// Both `settle` calls carry another session template's packed bytes
    /// (`SettlementArgumentsInvalid`).
    OtherSession,
    /// The opening `settle` carries 1 wei (`SettlementArgumentsInvalid`).
    WithValue,
    /// A non-zero byte in the opening `settle`'s padding (`SettlementArgumentsInvalid`).
    DirtyPadding,
    /// The opening `settle` aimed at `address(0)` (the account) instead of the module: the op
    /// is not settled, and its closing `settle` is a misplaced one.
    WrongTarget,
}

/// Enable nonces the grammar uses (indices into [`enable_nonce`]).
pub const ENABLE_NONCES: u8 = 7;

/// Seconds per period of a [`SessionSpec::long_period`] session (2^16: index 2^31 starts
/// near 2^47).
pub const LONG_PERIOD: u64 = 1 << 16;

/// How many hourly periods before genesis an [`SessionSpec::old_schedule`] session's period 0
/// started (its current period at genesis is this index).
pub const OLD_SCHEDULE_PERIODS: u64 = 1 << 16;

/// The enable nonce of grammar index `n`: 0-3, then the last bit of the first bitmap word
/// (255), the first of the second (256) and one far in the top word (2^255 + 3).
pub fn enable_nonce(n: u8) -> U256 {
    match n {
        4 => U256::from(255),
        5 => U256::from(256),
        6 => (U256::from(1) << 255) + U256::from(3),
        n => U256::from(n),
    }
}

/// Most calls of a batch the module accepts (`CallDecoder.MAX_BATCH_CALLS`); the grammar also
/// sends one more.
pub const MAX_BATCH_CALLS: usize = 8;

/// A session op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpSpec {
    /// Session template index.
    pub session: usize,
    /// Sent by the other account (the session belongs to the main one).
    pub other_account: bool,
    /// Shape.
    pub shape: ShapeSpec,
    /// Mode.
    pub mode: ModeSpec,
    /// Encoding.
    pub encoding: EncodingSpec,
    /// Calls (1..=9: mostly up to 3, and batches at and just past the cap of 8).
    pub calls: Vec<CallSpec>,
    /// Fee.
    pub fee: FeeSpec,
    /// Sponsor.
    pub sponsor: SponsorSpec,
    /// Period.
    pub period: PeriodSpec,
    /// Signer.
    pub signer: SignerSpec,
    /// Enable grant.
    pub enable: EnableSpec,
    /// Settlement wrapper (rule 16).
    pub settle: SettleSpec,
    /// `initCode` (EIP-7702 marker, init call).
    pub init: InitSpec,
}

/// An owner action (an op of the owner through its validator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerAction {
    /// `grantSession(session i)`.
    Grant(usize),
    /// `pauseSession`.
    Pause(usize),
    /// `resumeSession`.
    Resume(usize),
    /// `revokeSession`.
    Revoke(usize),
    /// `uninstallModule(1, module, "")`.
    Uninstall,
    /// `installModule(1, module, "")`.
    Reinstall,
    /// `invalidateEnableNonce(n)`.
    InvalidateNonce(u8),
}

/// One op of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleOp {
    /// A session op.
    Session(OpSpec),
    /// An owner op.
    Owner(OwnerAction),
}

/// A step of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `handleOps` with 1-4 ops.
    Bundle(Vec<BundleOp>),
    /// Move the clock forward.
    Warp(u64),
}

fn amount() -> impl Strategy<Value = AmountSpec> {
    prop_oneof![
        4 => Just(AmountSpec::Zero),
        4 => (1u8..=50).prop_map(AmountSpec::Small),
        2 => Just(AmountSpec::LeftMinusOne),
        3 => Just(AmountSpec::Left),
        3 => Just(AmountSpec::LeftPlusOne),
        1 => Just(AmountSpec::Half),
        1 => Just(AmountSpec::Max),
    ]
}

fn selector() -> impl Strategy<Value = SelectorSpec> {
    prop_oneof![
        4 => Just(SelectorSpec::Transfer),
        2 => Just(SelectorSpec::Approve),
        2 => Just(SelectorSpec::IncreaseAllowance),
        1 => Just(SelectorSpec::TransferFromAccount),
        1 => Just(SelectorSpec::TransferFromOther),
        1 => Just(SelectorSpec::Permit),
        4 => Just(SelectorSpec::Record),
        1 => Just(SelectorSpec::Unknown),
        1 => Just(SelectorSpec::Execute),
        2 => Just(SelectorSpec::Empty),
        1 => Just(SelectorSpec::Short),
        1 => (0u8..2, any::<bool>()).prop_map(|(t, own)| SelectorSpec::Permit2Approve(t, own)),
        1 => (0u8..2).prop_map(SelectorSpec::Permit2TransferFrom),
        1 => Just(SelectorSpec::ApproveRouter),
        1 => (0u8..2).prop_map(SelectorSpec::Permit2ApproveRouter),
        1 => (0u8..2).prop_map(SelectorSpec::RouterSwap),
        1 => (0u8..2).prop_map(SelectorSpec::RouterSwapPermit2),
    ]
}

fn target() -> impl Strategy<Value = TargetSpec> {
    prop_oneof![
        5 => Just(TargetSpec::Recorder0),
        3 => Just(TargetSpec::Recorder1),
        4 => Just(TargetSpec::Token0),
        2 => Just(TargetSpec::Token1),
        1 => Just(TargetSpec::Account),
        1 => Just(TargetSpec::Zero),
        1 => Just(TargetSpec::Module),
        1 => Just(TargetSpec::EntryPoint),
        1 => Just(TargetSpec::OtherEntryPoint),
        1 => Just(TargetSpec::OtherModule),
        1 => Just(TargetSpec::OwnerValidator),
        2 => Just(TargetSpec::Permit2),
        1 => Just(TargetSpec::EntryPointV06),
        1 => Just(TargetSpec::EntryPointV09),
        1 => Just(TargetSpec::Executor),
        2 => Just(TargetSpec::Handler),
        2 => Just(TargetSpec::Router),
    ]
}

/// Every address a non-root session must never reach (the module, every EntryPoint, every
/// installed module, the account itself with a wrapper), for the "denied call late in a
/// batch" twist.
fn denied_call() -> impl Strategy<Value = CallSpec> {
    (
        prop_oneof![
            Just((TargetSpec::Module, SelectorSpec::Record)),
            Just((TargetSpec::EntryPoint, SelectorSpec::Unknown)),
            Just((TargetSpec::OtherEntryPoint, SelectorSpec::Empty)),
            // The record selector: an any-target grant of that selector allows the call too, so
            // only the hard denial stands between it and the EntryPoint.
            Just((TargetSpec::EntryPoint, SelectorSpec::Record)),
            Just((TargetSpec::OtherEntryPoint, SelectorSpec::Record)),
            Just((TargetSpec::EntryPointV06, SelectorSpec::Record)),
            Just((TargetSpec::EntryPointV09, SelectorSpec::Empty)),
            Just((TargetSpec::OwnerValidator, SelectorSpec::Record)),
            Just((TargetSpec::OtherModule, SelectorSpec::Unknown)),
            Just((TargetSpec::Executor, SelectorSpec::Record)),
            Just((TargetSpec::Handler, SelectorSpec::Unknown)),
            Just((TargetSpec::Account, SelectorSpec::Execute)),
            Just((TargetSpec::Zero, SelectorSpec::Execute)),
        ],
        prop_oneof![3 => Just(AmountSpec::Zero), 1 => Just(AmountSpec::Small(1))],
    )
        .prop_map(|((target, selector), value)| CallSpec {
            target,
            selector,
            value,
            amount: AmountSpec::Small(1),
        })
}

/// How many calls an op carries: mostly 1-3, sometimes 4-7, and batches of exactly the cap
/// (8) and one past it (9).
fn call_count() -> impl Strategy<Value = usize> {
    prop_oneof![
        12 => 1usize..=3,
        2 => 4usize..=7,
        1 => Just(MAX_BATCH_CALLS),
        1 => Just(MAX_BATCH_CALLS + 1),
    ]
}

fn call() -> impl Strategy<Value = CallSpec> {
    (
        target(),
        selector(),
        prop_oneof![3 => Just(AmountSpec::Zero), 2 => amount()],
        amount(),
    )
        .prop_map(|(target, selector, value, amount)| CallSpec {
            target,
            selector,
            value,
            amount,
        })
}

fn shape() -> impl Strategy<Value = ShapeSpec> {
    prop_oneof![
        6 => Just(ShapeSpec::Single),
        6 => Just(ShapeSpec::Batch),
        1 => Just(ShapeSpec::EmptyBatch),
        1 => selector().prop_map(ShapeSpec::Direct),
        1 => Just(ShapeSpec::ExecuteUserOp),
    ]
}

fn mode() -> impl Strategy<Value = ModeSpec> {
    prop_oneof![
        12 => Just(ModeSpec::Default),
        4 => Just(ModeSpec::Try),
        1 => Just(ModeSpec::DelegateCall),
        1 => Just(ModeSpec::StaticCall),
        1 => Just(ModeSpec::BadExecType),
        1 => Just(ModeSpec::ModeSelector),
        1 => Just(ModeSpec::ModePayload),
    ]
}

fn encoding() -> impl Strategy<Value = EncodingSpec> {
    prop_oneof![
        14 => Just(EncodingSpec::Canonical),
        2 => Just(EncodingSpec::DuplicatedHead),
        1 => Just(EncodingSpec::SwappedHeads),
        1 => Just(EncodingSpec::ShiftedOffset),
        1 => Just(EncodingSpec::EscapingPointer),
        1 => Just(EncodingSpec::DirtyAddress),
        1 => Just(EncodingSpec::DirtyPadding),
        1 => Just(EncodingSpec::TrailingBytes),
    ]
}

fn signer() -> impl Strategy<Value = SignerSpec> {
    prop_oneof![
        24 => Just(SignerSpec::Right),
        1 => Just(SignerSpec::WrongKey),
        1 => Just(SignerSpec::OtherChain),
        1 => Just(SignerSpec::OtherEntryPoint),
        1 => Just(SignerSpec::MovedPeriod),
        1 => Just(SignerSpec::MovedPeriodFar),
        1 => (0..SESSIONS).prop_map(SignerSpec::CarryOther),
        2 => Just(SignerSpec::Escalate),
        1 => Just(SignerSpec::NonCanonicalSession),
        1 => Just(SignerSpec::BadVersion),
        1 => Just(SignerSpec::BadFlags),
        1 => Just(SignerSpec::Truncated),
        1 => Just(SignerSpec::ShortPackedSession),
        1 => Just(SignerSpec::TrailingByte),
        1 => Just(SignerSpec::NoEnableNonce),
    ]
}

/// A signer twist (every [`signer`] choice but `Right`).
fn adversarial_signer() -> impl Strategy<Value = SignerSpec> {
    prop_oneof![
        Just(SignerSpec::WrongKey),
        Just(SignerSpec::OtherChain),
        Just(SignerSpec::OtherEntryPoint),
        Just(SignerSpec::MovedPeriod),
        Just(SignerSpec::MovedPeriodFar),
        (0..SESSIONS).prop_map(SignerSpec::CarryOther),
        Just(SignerSpec::Escalate),
        Just(SignerSpec::NonCanonicalSession),
        Just(SignerSpec::BadVersion),
        Just(SignerSpec::BadFlags),
        Just(SignerSpec::Truncated),
        Just(SignerSpec::ShortPackedSession),
        Just(SignerSpec::TrailingByte),
        Just(SignerSpec::NoEnableNonce),
    ]
}

fn grant_signer() -> impl Strategy<Value = GrantSigner> {
    prop_oneof![
        8 => Just(GrantSigner::Owner),
        1 => Just(GrantSigner::SessionKey),
        1 => Just(GrantSigner::ModuleRouted),
        1 => Just(GrantSigner::OtherOwner),
        1 => Just(GrantSigner::OtherAccount),
        1 => Just(GrantSigner::OtherChain),
        1 => Just(GrantSigner::OtherSession),
        1 => Just(GrantSigner::OtherVerifier),
    ]
}

fn adversarial_grant_signer() -> impl Strategy<Value = GrantSigner> {
    prop_oneof![
        Just(GrantSigner::SessionKey),
        Just(GrantSigner::ModuleRouted),
        Just(GrantSigner::OtherOwner),
        Just(GrantSigner::OtherAccount),
        Just(GrantSigner::OtherChain),
        Just(GrantSigner::OtherSession),
        Just(GrantSigner::OtherVerifier),
    ]
}

fn enable_grant(signer: impl Strategy<Value = GrantSigner>) -> impl Strategy<Value = EnableSpec> {
    (0..ENABLE_NONCES, signer).prop_map(|(nonce, signer)| EnableSpec::Grant { nonce, signer })
}

fn enable() -> impl Strategy<Value = EnableSpec> {
    prop_oneof![6 => Just(EnableSpec::None), 1 => enable_grant(grant_signer())]
}

/// A settlement wrapper the module must refuse, or none where one is needed.
fn malformed_settle() -> impl Strategy<Value = SettleSpec> {
    prop_oneof![
        3 => Just(SettleSpec::Never),
        2 => Just(SettleSpec::TryMode),
        1 => Just(SettleSpec::SingleCall),
        2 => Just(SettleSpec::MissingEnd),
        2 => Just(SettleSpec::Misplaced),
        2 => any::<bool>().prop_map(SettleSpec::WrongPeriod),
        1 => Just(SettleSpec::OtherSession),
        1 => Just(SettleSpec::WithValue),
        1 => Just(SettleSpec::DirtyPadding),
        1 => Just(SettleSpec::WrongTarget),
    ]
}

/// Any settlement choice: mostly the right wrapper where one is needed.
fn settle_any() -> impl Strategy<Value = SettleSpec> {
    prop_oneof![
        8 => Just(SettleSpec::Auto),
        1 => Just(SettleSpec::Always),
        3 => malformed_settle(),
    ]
}

/// A session op for one of the sessions.
pub fn op_spec() -> impl Strategy<Value = OpSpec> {
    (
        (0..SESSIONS, prop::bool::weighted(0.05), shape(), mode(), encoding()),
        call_count().prop_flat_map(|n| prop::collection::vec(call(), n)),
        (
            prop_oneof![2 => Just(FeeSpec::Free), 4 => Just(FeeSpec::OneGwei), 2 => Just(FeeSpec::AtBudget), 2 => Just(FeeSpec::OverBudget)],
            prop_oneof![5 => Just(SponsorSpec::None), 3 => Just(SponsorSpec::Listed), 1 => Just(SponsorSpec::Unlisted)],
            prop_oneof![12 => Just(PeriodSpec::Current), 1 => Just(PeriodSpec::Next), 1 => Just(PeriodSpec::Previous), 1 => Just(PeriodSpec::Max), 1 => far_period()],
            signer(),
        ),
        (enable(), settle_any()),
    )
        .prop_map(|((session, other_account, shape, mode, encoding), calls, (fee, sponsor, period, signer), (enable, settle))| OpSpec {
            session,
            other_account,
            shape,
            mode,
            encoding,
            calls,
            fee,
            sponsor,
            period,
            signer,
            enable,
            settle,
            init: InitSpec::None,
        })
}

/// Period indices far beyond 16 bits and near the 2^47 window cap.
fn far_period() -> impl Strategy<Value = PeriodSpec> {
    prop_oneof![
        Just(PeriodSpec::Plus2To16),
        Just(PeriodSpec::Far31),
        (0u8..=2).prop_map(PeriodSpec::NearCap),
    ]
}

fn owner_action() -> impl Strategy<Value = OwnerAction> {
    prop_oneof![
        4 => (0..SESSIONS).prop_map(OwnerAction::Grant),
        2 => (0..SESSIONS).prop_map(OwnerAction::Pause),
        2 => (0..SESSIONS).prop_map(OwnerAction::Resume),
        1 => (0..SESSIONS).prop_map(OwnerAction::Revoke),
        1 => Just(OwnerAction::Uninstall),
        1 => Just(OwnerAction::Reinstall),
        1 => (0..ENABLE_NONCES).prop_map(OwnerAction::InvalidateNonce),
    ]
}

/// A call grant; any-target grants weigh double: only under them do the module's hard denials
/// (the module, every EntryPoint, installed modules) stand alone between a session and those
/// addresses.
fn grant() -> impl Strategy<Value = GrantSpec> {
    prop_oneof![
        1 => Just(GrantSpec::Recorder0Any),
        1 => Just(GrantSpec::Recorder1Record),
        1 => Just(GrantSpec::Token0Any),
        1 => Just(GrantSpec::Token0Transfer),
        1 => Just(GrantSpec::Token1Approve),
        2 => Just(GrantSpec::AnyAny),
        2 => Just(GrantSpec::AnyRecord),
        1 => Just(GrantSpec::Permit2Any),
        1 => Just(GrantSpec::RouterAny),
        1 => (0u8..3).prop_map(GrantSpec::DeniedTokenAny),
    ]
}

/// A session template.
pub fn session_spec() -> impl Strategy<Value = SessionSpec> {
    (
        (
            0..KEYS,
            prop_oneof![3 => Just(WindowSpec::Open), 2 => Just(WindowSpec::TwoHours), 1 => Just(WindowSpec::LaterStart)],
            prop_oneof![3 => Just(0u32), 1 => Just(2), 1 => Just(5)],
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.4),
            prop_oneof![Just(0u32), Just(2)],
        ),
        (prop::bool::weighted(0.7), prop::bool::weighted(0.7), prop::bool::weighted(0.3)),
        prop::collection::vec(grant(), 1..=4),
        prop::collection::vec(prop_oneof![Just(SelectorSpec::Unknown), Just(SelectorSpec::Execute), Just(SelectorSpec::Record)], 0..=2),
        (prop::bool::weighted(0.6), prop::bool::weighted(0.5), prop::bool::weighted(0.5), prop::bool::weighted(0.5)),
        prop::bool::weighted(0.3),
        (
            prop::bool::weighted(0.25),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.5),
        ),
    )
        .prop_map(
            |(
                (key, window, max_uses, root, periodic, rate_limit),
                (native, fee_budget, gas_budget),
                grants,
                account_selectors,
                (token0_allowance, periodic_native, periodic_token1, paymaster),
                by_enable,
                (long_period, token1_allowance, periodic_token0, old_schedule),
            )| SessionSpec {
                key,
                window,
                max_uses,
                root,
                periodic,
                long_period: periodic && long_period,
                old_schedule: periodic && !long_period && old_schedule,
                rate_limit: if periodic { rate_limit } else { 0 },
                native,
                fee_budget,
                gas_budget,
                grants,
                account_selectors,
                token0_allowance,
                token1_allowance,
                periodic_token0: periodic && periodic_token0,
                periodic_native: periodic && periodic_native,
                periodic_token1: periodic && periodic_token1,
                paymaster,
                by_enable,
            },
        )
}

/// A call that one of `spec`'s grants (or account selectors) allows, values and amounts near
/// the caps.
fn granted_call(spec: &SessionSpec) -> BoxedStrategy<CallSpec> {
    let grants = spec.grants.clone();
    let value = if spec.native {
        prop_oneof![4 => Just(AmountSpec::Zero), 3 => (1u8..=50).prop_map(AmountSpec::Small), 1 => Just(AmountSpec::Left), 1 => Just(AmountSpec::LeftPlusOne)].boxed()
    } else {
        Just(AmountSpec::Zero).boxed()
    };
    let amount = prop_oneof![
        4 => (1u8..=50).prop_map(AmountSpec::Small),
        1 => Just(AmountSpec::LeftMinusOne),
        2 => Just(AmountSpec::Left),
        2 => Just(AmountSpec::LeftPlusOne),
    ];
    let selectors = spec.account_selectors.clone();
    (0..grants.len() + selectors.len(), 0usize..8, value, amount)
        .prop_map(move |(g, pick8, value, amount)| {
            // Most grants offer four calls; Permit2's offers eight.
            let pick = pick8 % 4;
            if g >= grants.len() {
                let target = if pick % 2 == 0 {
                    TargetSpec::Account
                } else {
                    TargetSpec::Zero
                };
                return CallSpec {
                    target,
                    selector: selectors[g - grants.len()],
                    value,
                    amount,
                };
            }
            let (target, selector) = match grants[g] {
                GrantSpec::Recorder0Any => (
                    TargetSpec::Recorder0,
                    [
                        SelectorSpec::Record,
                        SelectorSpec::Empty,
                        SelectorSpec::Transfer,
                        SelectorSpec::Unknown,
                    ][pick],
                ),
                GrantSpec::Recorder1Record => (TargetSpec::Recorder1, SelectorSpec::Record),
                GrantSpec::Token0Any => (
                    TargetSpec::Token0,
                    [
                        SelectorSpec::Transfer,
                        SelectorSpec::Approve,
                        SelectorSpec::ApproveRouter,
                        SelectorSpec::TransferFromAccount,
                    ][pick],
                ),
                GrantSpec::Token0Transfer => (TargetSpec::Token0, SelectorSpec::Transfer),
                GrantSpec::Token1Approve => (TargetSpec::Token1, SelectorSpec::Approve),
                GrantSpec::AnyAny => (
                    [
                        TargetSpec::Recorder0,
                        TargetSpec::Recorder1,
                        TargetSpec::Token0,
                        TargetSpec::Token1,
                    ][pick],
                    [
                        SelectorSpec::Record,
                        SelectorSpec::Transfer,
                        SelectorSpec::Transfer,
                        SelectorSpec::IncreaseAllowance,
                    ][pick],
                ),
                GrantSpec::AnyRecord => (
                    [
                        TargetSpec::Recorder0,
                        TargetSpec::Recorder1,
                        TargetSpec::Handler,
                        TargetSpec::Recorder0,
                    ][pick],
                    SelectorSpec::Record,
                ),
                GrantSpec::DeniedTokenAny(d) => (
                    DENIED_TOKENS[usize::from(d)],
                    [
                        SelectorSpec::Transfer,
                        SelectorSpec::Approve,
                        SelectorSpec::IncreaseAllowance,
                        SelectorSpec::Transfer,
                    ][pick],
                ),
                GrantSpec::RouterAny => (
                    TargetSpec::Router,
                    [
                        SelectorSpec::RouterSwap(0),
                        SelectorSpec::RouterSwapPermit2(1),
                        SelectorSpec::RouterSwap(1),
                        SelectorSpec::RouterSwapPermit2(0),
                    ][pick],
                ),
                GrantSpec::Permit2Any => (
                    TargetSpec::Permit2,
                    [
                        SelectorSpec::Permit2Approve(0, true),
                        SelectorSpec::Permit2Approve(1, false),
                        SelectorSpec::Permit2TransferFrom(0),
                        SelectorSpec::Permit2TransferFrom(1),
                        SelectorSpec::Permit2ApproveRouter(0),
                        SelectorSpec::Permit2ApproveRouter(1),
                        SelectorSpec::Permit2Approve(1, true),
                        SelectorSpec::Permit2Approve(0, false),
                    ][pick8],
                ),
            };
            CallSpec {
                target,
                selector,
                value,
                amount,
            }
        })
        .boxed()
}

/// A well-formed op of session `index` that its grants allow, signed right, in the current
/// period, paid the way the session permits; its amounts probe the caps.
fn granted_op(index: usize, spec: &SessionSpec) -> BoxedStrategy<OpSpec> {
    let spec_for_calls = spec.clone();
    let sponsor = if spec.paymaster && spec.fee_budget {
        prop_oneof![Just(SponsorSpec::Listed), Just(SponsorSpec::None)].boxed()
    } else if spec.paymaster {
        Just(SponsorSpec::Listed).boxed()
    } else {
        Just(SponsorSpec::None).boxed()
    };
    let enable = if spec.by_enable {
        prop_oneof![1 => Just(EnableSpec::None), 1 => enable_grant(Just(GrantSigner::Owner))]
            .boxed()
    } else {
        prop_oneof![12 => Just(EnableSpec::None), 1 => enable_grant(Just(GrantSigner::Owner))]
            .boxed()
    };
    (
        call_count().prop_flat_map(move |n| prop::collection::vec(granted_call(&spec_for_calls), n)),
        prop_oneof![Just(ShapeSpec::Single), Just(ShapeSpec::Batch)],
        prop_oneof![3 => Just(ModeSpec::Default), 1 => Just(ModeSpec::Try)],
        prop_oneof![2 => Just(FeeSpec::OneGwei), 1 => Just(FeeSpec::AtBudget), 1 => Just(FeeSpec::OverBudget), 1 => Just(FeeSpec::Free)],
        sponsor,
        (
            enable,
            prop_oneof![14 => Just(SettleSpec::Auto), 1 => Just(SettleSpec::Never), 1 => Just(SettleSpec::Always)],
        ),
    )
        .prop_map(move |(calls, shape, mode, fee, sponsor, (enable, settle))| OpSpec {
            session: index,
            other_account: false,
            shape,
            mode,
            encoding: EncodingSpec::Canonical,
            calls,
            fee,
            sponsor,
            period: PeriodSpec::Current,
            signer: SignerSpec::Right,
            enable,
            settle,
            init: InitSpec::None,
        })
        .boxed()
}

/// A well-formed op with exactly one adversarial twist (encoding, signer, mode, period, enable
/// grant, a late denied call, the fallback handler probe, a missing or malformed settlement
/// wrapper, a signature moved to another period, a paymaster the session does not list, a
/// router pull left unsettled, an EIP-7702 init call or bare marker in the `initCode` of an
/// op of the other account that enables the session there, or one token call whose exact grant
/// names another selector).
fn twisted_op(index: usize, spec: &SessionSpec) -> BoxedStrategy<OpSpec> {
    (
        granted_op(index, spec),
        encoding(),
        adversarial_signer(),
        mode(),
        prop_oneof![
            Just(PeriodSpec::Next),
            Just(PeriodSpec::Previous),
            Just(PeriodSpec::Max),
            far_period(),
        ],
        enable_grant(adversarial_grant_signer()),
        (
            0usize..19,
            denied_call(),
            0usize..=MAX_BATCH_CALLS,
            malformed_settle(),
        ),
        (
            prop_oneof![
                Just(SignerSpec::MovedPeriod),
                Just(SignerSpec::MovedPeriodFar)
            ],
            prop_oneof![2 => Just(SponsorSpec::Unlisted), 1 => Just(SponsorSpec::Listed)],
            prop_oneof![
                3 => Just(SelectorSpec::RouterSwap(0)),
                1 => Just(SelectorSpec::RouterSwapPermit2(1)),
            ],
            1u8..=50,
        ),
    )
        .prop_map(
            |(
                mut op,
                encoding,
                signer,
                mode,
                period,
                grant,
                (which, denied, at, settle),
                (moved, sponsor, pull, pulled),
            )| {
                match which {
                    0 => {
                        op.encoding = encoding;
                        op.shape = ShapeSpec::Batch;
                    }
                    1 => op.signer = signer,
                    2 => op.mode = mode,
                    3 => op.period = period,
                    4 => op.enable = grant,
                    8 | 9 => op.settle = settle,
                    5..=7 => {
                        // A denied call late in a batch: after up to 8 granted calls.
                        op.shape = ShapeSpec::Batch;
                        let keep = at.min(op.calls.len());
                        op.calls.truncate(keep.max(1));
                        op.calls.push(denied);
                    }
                    // Signed for another period than the envelope names (period 0, or bit 16
                    // flipped): only a digest that binds all 32 bits of the index refuses it.
                    10 | 11 => op.signer = moved,
                    // Sponsored by a paymaster the session does not list (the unlisted one, or
                    // the listed one for a session that lists none).
                    12 => op.sponsor = sponsor,
                    13 => {
                        // The router pulls the account's tokens through an allowance the owner
                        // gave at set-up, in an op left unsettled: a session that limits the
                        // token must refuse it (SettlementRequired), since validation cannot
                        // price the pull.
                        op.calls = vec![CallSpec {
                            target: TargetSpec::Router,
                            selector: pull,
                            value: AmountSpec::Zero,
                            amount: AmountSpec::Small(pulled),
                        }];
                        op.settle = SettleSpec::Never;
                    }
                    15 | 16 => {
                        // The session enabled on the other account by its owner in this op (on
                        // v0.8 that account is an EIP-7702 delegated EOA), the op carrying an
                        // init call (rule 1: refused, whatever the session allows) or the bare
                        // marker (a valid op).
                        op.other_account = true;
                        let nonce = match grant {
                            EnableSpec::Grant { nonce, .. } => nonce,
                            EnableSpec::None => 0,
                        };
                        op.enable = EnableSpec::Grant {
                            nonce,
                            signer: GrantSigner::Owner,
                        };
                        op.init = if which == 15 {
                            InitSpec::Call
                        } else {
                            InitSpec::Marker
                        };
                    }
                    17 | 18 => {
                        // One spending call of a token whose exact grant names another
                        // selector (`Token0Transfer` names transfer, `Token1Approve` approve):
                        // the one-pass token path's shape, which must still match the selector.
                        let (target, selector) = if pulled % 2 == 0 {
                            (TargetSpec::Token0, SelectorSpec::Approve)
                        } else {
                            (TargetSpec::Token1, SelectorSpec::Transfer)
                        };
                        op.shape = ShapeSpec::Single;
                        op.calls = vec![CallSpec {
                            target,
                            selector,
                            value: AmountSpec::Zero,
                            amount: AmountSpec::Small(pulled),
                        }];
                        op.settle = SettleSpec::Never;
                    }
                    _ => {
                        // One target, several selectors: the fallback handler with a selector it
                        // does not handle, then with the one it does (item 1).
                        op.shape = ShapeSpec::Batch;
                        op.calls = vec![
                            CallSpec {
                                target: TargetSpec::Handler,
                                selector: SelectorSpec::Record,
                                value: AmountSpec::Zero,
                                amount: AmountSpec::Small(1),
                            },
                            CallSpec {
                                target: TargetSpec::Handler,
                                selector: SelectorSpec::Unknown,
                                value: AmountSpec::Zero,
                                amount: AmountSpec::Small(1),
                            },
                        ];
                    }
                }
                op
            },
        )
        .boxed()
}

/// Steps for a case whose session templates are `specs`: bundles mixing allowed ops,
/// twisted ops, arbitrary adversarial ops and owner actions; time jumps.
pub fn transition_for(specs: &[SessionSpec]) -> BoxedStrategy<Transition> {
    let granted: Vec<BoxedStrategy<OpSpec>> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| granted_op(i, s))
        .collect();
    let twisted: Vec<BoxedStrategy<OpSpec>> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| twisted_op(i, s))
        .collect();
    let granted = proptest::strategy::Union::new(granted);
    let twisted = proptest::strategy::Union::new(twisted);
    let op = prop_oneof![
        8 => granted.prop_map(BundleOp::Session),
        3 => twisted.prop_map(BundleOp::Session),
        2 => op_spec().prop_map(BundleOp::Session),
        2 => owner_action().prop_map(BundleOp::Owner),
    ];
    let size = prop_oneof![6 => Just(1usize), 3 => Just(2), 1 => Just(3), 1 => Just(4)];
    prop_oneof![
        8 => size.prop_flat_map(move |n| prop::collection::vec(op.clone(), n)).prop_map(Transition::Bundle),
        1 => prop_oneof![Just(1u64), Just(600), Just(1_800), Just(3_600), Just(7_200)].prop_map(Transition::Warp),
    ]
    .boxed()
}
