//! Every failure the suite found, replayed as a fixed sequence on the real module. Each one
//! must now pass every invariant.

use leash_audit::{
    grammar::{
        AmountSpec, BundleOp, CallSpec, EnableSpec, EncodingSpec, FeeSpec, GrantSigner, GrantSpec,
        InitSpec, ModeSpec, OpSpec, OwnerAction, PeriodSpec, SelectorSpec, SessionSpec, SettleSpec,
        ShapeSpec, SignerSpec, SponsorSpec, TargetSpec, Transition, WindowSpec,
    },
    reference::RefState,
    run_case, world, Stats,
};
use leash_userop::EntryPointVersion;

fn spec(periodic: bool) -> SessionSpec {
    SessionSpec {
        key: 0,
        window: WindowSpec::Open,
        max_uses: 0,
        root: false,
        periodic,
        long_period: false,
        old_schedule: false,
        rate_limit: 0,
        native: true,
        fee_budget: true,
        gas_budget: false,
        grants: vec![GrantSpec::Recorder0Any, GrantSpec::Token0Any],
        account_selectors: Vec::new(),
        token0_allowance: true,
        token1_allowance: false,
        periodic_token0: false,
        periodic_native: periodic,
        periodic_token1: false,
        paymaster: true,
        by_enable: false,
    }
}

fn op(session: usize, signer: SignerSpec, calls: Vec<CallSpec>) -> BundleOp {
    BundleOp::Session(OpSpec {
        session,
        other_account: false,
        shape: ShapeSpec::Batch,
        mode: ModeSpec::Default,
        encoding: EncodingSpec::Canonical,
        calls,
        fee: FeeSpec::OneGwei,
        sponsor: SponsorSpec::Listed,
        period: PeriodSpec::Current,
        signer,
        enable: EnableSpec::None,
        settle: SettleSpec::Auto,
        init: InitSpec::None,
    })
}

fn record(value: AmountSpec) -> CallSpec {
    CallSpec {
        target: TargetSpec::Recorder0,
        selector: SelectorSpec::Record,
        value,
        amount: AmountSpec::Small(1),
    }
}

fn replay(
    version: EntryPointVersion,
    specs: Vec<SessionSpec>,
    transitions: &[Transition],
) -> Stats {
    let mut stats = Stats::default();
    let init = RefState::new(version, specs);
    let code = world::module_code().expect("module artifact");
    if let Err(failure) = run_case(&code, true, &init, transitions, None, &mut stats) {
        panic!("{failure}");
    }
    stats
}

/// Found by the suite (seed 2): after the owner uninstalls the module, the OpenZeppelin account
/// no longer routes ops to it and answers SIG_VALIDATION_FAILED itself (AA24), not the module's
/// NotInitialized; its validation data carries no window.
#[test]
fn op_after_uninstall_fails_in_the_account_with_aa24() {
    for version in [EntryPointVersion::V07, EntryPointVersion::V08] {
        let stats = replay(
            version,
            vec![spec(false), spec(false), spec(true)],
            &[
                Transition::Bundle(vec![
                    BundleOp::Owner(OwnerAction::Uninstall),
                    BundleOp::Owner(OwnerAction::Grant(0)),
                ]),
                Transition::Bundle(vec![op(
                    2,
                    SignerSpec::Right,
                    vec![record(AmountSpec::Zero)],
                )]),
            ],
        );
        assert_eq!(
            stats
                .rejections
                .get("AA24 module not installed on the account"),
            Some(&1)
        );
    }
}

/// The first module draft checked no session id: an envelope could claim a granted id while
/// carrying a root copy of the session. The envelope now names no id: a root copy of the
/// session is an id nobody created, so the suite's `Escalate` signer must be refused.
#[test]
fn escalated_envelope_is_refused() {
    let stats = replay(
        EntryPointVersion::V07,
        vec![spec(false), spec(false), spec(false)],
        &[Transition::Bundle(vec![op(
            0,
            SignerSpec::Escalate,
            vec![record(AmountSpec::Zero)],
        )])],
    );
    assert_eq!(stats.rejections.get("SessionNotFound"), Some(&1));
}

/// An op signed for period 0 and sent naming period 1 must fail its signature (rule 10).
#[test]
fn op_moved_to_another_period_fails_its_signature() {
    let stats = replay(
        EntryPointVersion::V08,
        vec![spec(true), spec(true), spec(true)],
        &[Transition::Bundle(vec![op(
            0,
            SignerSpec::MovedPeriod,
            vec![record(AmountSpec::Zero)],
        )])],
    );
    assert_eq!(stats.rejections.get("AA24 signature error"), Some(&1));
}

/// A batch spending the whole native allowance twice is charged the sum and refused; the
/// same batch within the allowance passes and the ledger holds.
#[test]
fn batch_amounts_are_summed_against_the_allowance() {
    let stats = replay(
        EntryPointVersion::V07,
        vec![spec(false), spec(false), spec(false)],
        &[
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![record(AmountSpec::Left), record(AmountSpec::Left)],
            )]),
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![record(AmountSpec::Small(10)), record(AmountSpec::Small(10))],
            )]),
        ],
    );
    assert_eq!(stats.rejections.get("NativeAllowanceExceeded"), Some(&1));
    assert_eq!(stats.accepted, 1);
}

fn enable_op(session: usize, nonce: u8, signer: GrantSigner) -> BundleOp {
    match op(session, SignerSpec::Right, vec![record(AmountSpec::Zero)]) {
        BundleOp::Session(spec) => BundleOp::Session(OpSpec {
            enable: EnableSpec::Grant { nonce, signer },
            ..spec
        }),
        owner => owner,
    }
}

/// Rule 13 on the chain: an owner's grant enables a session in its first op once; the replay,
/// a nonce the owner invalidated, and grants the account must not accept (signed by the
/// session key, routed to the module, by another owner, for another account, chain, session
/// or verifying contract) are refused; the model agrees on every verdict and nonce.
#[test]
fn enable_grant_works_once_and_only_from_the_owner() {
    let enabled = SessionSpec {
        by_enable: true,
        ..spec(false)
    };
    for version in [EntryPointVersion::V07, EntryPointVersion::V08] {
        let mut steps = vec![
            Transition::Bundle(vec![enable_op(0, 1, GrantSigner::Owner)]),
            Transition::Bundle(vec![enable_op(0, 1, GrantSigner::Owner)]),
            Transition::Bundle(vec![BundleOp::Owner(OwnerAction::InvalidateNonce(2))]),
            Transition::Bundle(vec![enable_op(1, 2, GrantSigner::Owner)]),
        ];
        for signer in [
            GrantSigner::SessionKey,
            GrantSigner::ModuleRouted,
            GrantSigner::OtherOwner,
            GrantSigner::OtherAccount,
            GrantSigner::OtherChain,
            GrantSigner::OtherSession,
            GrantSigner::OtherVerifier,
        ] {
            steps.push(Transition::Bundle(vec![enable_op(1, 3, signer)]));
        }
        steps.push(Transition::Bundle(vec![enable_op(
            1,
            3,
            GrantSigner::Owner,
        )]));
        let stats = replay(
            version,
            vec![enabled.clone(), enabled.clone(), spec(false)],
            &steps,
        );
        assert_eq!(stats.accepted, 2, "{:?}", stats.rejections);
        assert_eq!(stats.rejections.get("EnableNonceUsed"), Some(&2));
        assert_eq!(stats.rejections.get("EnableSignatureInvalid"), Some(&7));
    }
}

/// Rule 6 with Permit2 (a mock at the canonical address): approvals and transfers from the
/// account through Permit2 are charged to the limited token; the first op past the allowance
/// is refused, and LEDGER counts the Permit2 approval as an outflow.
#[test]
fn permit2_spending_is_charged_to_the_token() {
    let session = SessionSpec {
        grants: vec![GrantSpec::Permit2Any],
        ..spec(false)
    };
    let permit2 = |selector: SelectorSpec, amount: AmountSpec| CallSpec {
        target: TargetSpec::Permit2,
        selector,
        value: AmountSpec::Zero,
        amount,
    };
    let stats = replay(
        EntryPointVersion::V07,
        vec![session.clone(), session.clone(), session],
        &[
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![
                    permit2(SelectorSpec::Permit2Approve(0, true), AmountSpec::Small(40)),
                    permit2(SelectorSpec::Permit2TransferFrom(0), AmountSpec::Small(30)),
                ],
            )]),
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![permit2(
                    SelectorSpec::Permit2Approve(0, false),
                    AmountSpec::LeftPlusOne,
                )],
            )]),
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![permit2(
                    SelectorSpec::Permit2Approve(0, false),
                    AmountSpec::Left,
                )],
            )]),
        ],
    );
    assert_eq!(stats.accepted, 2, "{:?}", stats.rejections);
    assert_eq!(stats.rejections.get("TokenAllowanceExceeded"), Some(&1));
}

fn signed_by(op: BundleOp, signer: SignerSpec) -> BundleOp {
    match op {
        BundleOp::Session(spec) => BundleOp::Session(OpSpec { signer, ..spec }),
        owner => owner,
    }
}

/// The packed envelope on the chain: cut inside its packed session, or followed by a byte,
/// without an enable grant it names the id of the bytes it carries, which no session has
/// (SessionNotFound; with a grant, the cut is malformed); with a grant a trailing byte lengthens the owner's
/// signature, which the account then refuses; an enable envelope without room for its nonce is
/// malformed; a grant of non-canonical packed bytes (owner-signed for their very hash) is
/// refused (SessionEncodingNotCanonical) and enables nothing, so the genuine grant still works
/// afterwards; an op carrying another session's packed bytes validates as that session (same
/// key here) once it exists, and names an unknown id before.
#[test]
fn the_packed_envelope_is_parsed_like_the_module_does() {
    let enabled = SessionSpec {
        by_enable: true,
        ..spec(false)
    };
    for version in [EntryPointVersion::V07, EntryPointVersion::V08] {
        let plain =
            |signer| Transition::Bundle(vec![op(2, signer, vec![record(AmountSpec::Zero)])]);
        let granted = |session, nonce, signer| {
            Transition::Bundle(vec![signed_by(
                enable_op(session, nonce, GrantSigner::Owner),
                signer,
            )])
        };
        let stats = replay(
            version,
            vec![enabled.clone(), enabled.clone(), spec(false)],
            &[
                plain(SignerSpec::ShortPackedSession),
                plain(SignerSpec::TrailingByte),
                plain(SignerSpec::NoEnableNonce),
                plain(SignerSpec::Right),
                plain(SignerSpec::CarryOther(0)),
                granted(0, 1, SignerSpec::NonCanonicalSession),
                granted(0, 1, SignerSpec::Escalate),
                granted(0, 1, SignerSpec::Right),
                plain(SignerSpec::CarryOther(0)),
                granted(1, 2, SignerSpec::ShortPackedSession),
                granted(1, 2, SignerSpec::NoEnableNonce),
                granted(1, 2, SignerSpec::TrailingByte),
                granted(1, 2, SignerSpec::Right),
            ],
        );
        assert_eq!(stats.rejections.get("MalformedEnvelope"), Some(&3));
        assert_eq!(stats.rejections.get("SessionNotFound"), Some(&3));
        assert_eq!(
            stats.rejections.get("SessionEncodingNotCanonical"),
            Some(&1)
        );
        assert_eq!(stats.rejections.get("EnableSignatureInvalid"), Some(&2));
        assert_eq!(stats.accepted, 4, "{:?}", stats.rejections);
    }
}

fn settled(op: BundleOp, settle: SettleSpec) -> BundleOp {
    match op {
        BundleOp::Session(spec) => BundleOp::Session(OpSpec { settle, ..spec }),
        owner => owner,
    }
}

fn router(selector: SelectorSpec, amount: AmountSpec) -> CallSpec {
    CallSpec {
        target: TargetSpec::Router,
        selector,
        value: AmountSpec::Zero,
        amount,
    }
}

/// Rule 16 on the chain (the suite found every op of a token-limiting session that calls
/// anything but a limited token refused with `SettlementRequired` once settlement landed): the
/// router pulling through the owner's ERC-20 and Permit2 allowances is settled — charged at
/// execution what the balances lost, on top of what validation charged a transfer in the same
/// op — an op whose closing `settle` finds more lost than is left reverts in execution
/// (`SettledAllowanceExceeded`) while its validation charges stay; the same pull unsettled is
/// refused, and every malformed wrapper is refused with the model's error (a non-root session
/// meets the hard denial of the module or the account first; a root one the misplaced settle).
#[test]
fn router_pulls_are_settled_at_execution() {
    let session = SessionSpec {
        grants: vec![
            GrantSpec::RouterAny,
            GrantSpec::Recorder0Any,
            GrantSpec::Token0Any,
        ],
        token1_allowance: true,
        ..spec(false)
    };
    let root = SessionSpec {
        root: true,
        ..session.clone()
    };
    let swap = |amount| vec![router(SelectorSpec::RouterSwap(0), amount)];
    let one = |session, settle| {
        Transition::Bundle(vec![settled(
            op(session, SignerSpec::Right, swap(AmountSpec::Small(1))),
            settle,
        )])
    };
    for version in [EntryPointVersion::V07, EntryPointVersion::V08] {
        let mut steps = vec![
            Transition::Bundle(vec![op(0, SignerSpec::Right, swap(AmountSpec::Small(30)))]),
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![router(
                    SelectorSpec::RouterSwapPermit2(1),
                    AmountSpec::Small(20),
                )],
            )]),
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                vec![
                    CallSpec {
                        target: TargetSpec::Token0,
                        selector: SelectorSpec::Transfer,
                        value: AmountSpec::Zero,
                        amount: AmountSpec::Small(10),
                    },
                    router(SelectorSpec::RouterSwap(0), AmountSpec::Small(5)),
                ],
            )]),
            Transition::Bundle(vec![op(
                0,
                SignerSpec::Right,
                swap(AmountSpec::LeftPlusOne),
            )]),
            Transition::Bundle(vec![settled(
                op(0, SignerSpec::Right, swap(AmountSpec::Left)),
                SettleSpec::Never,
            )]),
            Transition::Bundle(vec![op(0, SignerSpec::Right, swap(AmountSpec::Left))]),
        ];
        for settle in [
            SettleSpec::TryMode,
            SettleSpec::SingleCall,
            SettleSpec::MissingEnd,
            SettleSpec::WrongPeriod(false),
            SettleSpec::WrongPeriod(true),
            SettleSpec::OtherSession,
            SettleSpec::WithValue,
            SettleSpec::DirtyPadding,
            SettleSpec::Misplaced,
            SettleSpec::WrongTarget,
        ] {
            steps.push(one(1, settle));
        }
        steps.push(one(2, SettleSpec::Misplaced));
        steps.push(one(2, SettleSpec::WrongTarget));
        steps.push(one(1, SettleSpec::Always));
        let stats = replay(
            version,
            vec![session.clone(), session.clone(), root.clone()],
            &steps,
        );
        let count = |name: &str| stats.rejections.get(name).copied().unwrap_or_default();
        assert_eq!(stats.accepted, 6, "{:?}", stats.rejections);
        assert_eq!((stats.settled, stats.settle_reverts), (6, 1));
        assert_eq!(count("SettlementRequired"), 1);
        assert_eq!(count("SettlementModeInvalid"), 2);
        assert_eq!(count("SettlementEndMissing"), 1);
        assert_eq!(count("SettlementArgumentsInvalid"), 5);
        assert_eq!(count("SettlementCallMisplaced"), 2);
        assert_eq!(count("CallDenied"), 1);
        assert_eq!(count("CallNotGranted"), 1);
    }
}
