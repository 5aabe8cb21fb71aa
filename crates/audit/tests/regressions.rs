//! Every failure the suite found, replayed as a fixed sequence on the real module. Each one
//! must now pass every invariant.

use leash_audit::{
    grammar::{
        AmountSpec, BundleOp, CallSpec, EncodingSpec, FeeSpec, GrantSpec, ModeSpec, OpSpec,
        OwnerAction, PeriodSpec, SelectorSpec, SessionSpec, ShapeSpec, SignerSpec, SponsorSpec,
        TargetSpec, Transition, WindowSpec,
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
        rate_limit: 0,
        native: true,
        fee_budget: true,
        gas_budget: false,
        grants: vec![GrantSpec::Recorder0Any, GrantSpec::Token0Any],
        account_selectors: Vec::new(),
        token0_allowance: true,
        periodic_native: periodic,
        periodic_token1: false,
        paymaster: true,
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
/// carrying a root copy of the session. The suite's `Escalate` signer must be refused.
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
    assert_eq!(stats.rejections.get("SessionIdMismatch"), Some(&1));
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
