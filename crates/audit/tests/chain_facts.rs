//! The planted bugs that survived the chain-fact invariants alone (`AUDIT_MODEL=off`) before
//! issue 11 item 7's grammar widening and stricter checks, each as a fixed sequence of the
//! grammar's constructs. On the real module every sequence passes every invariant with and
//! without the model, and the module refuses the probing op with the error named here; built
//! with its mutant (`mutants_are_killed_without_the_model`, ignored: it runs forge), each
//! sequence breaks the named chain-fact invariant with the model off. Some probes put the
//! probing op before an op that fails validation, so that the bundle never validates: only the
//! checks on what the module answered for each op (SIGNED, DENY, CAP on its validation data)
//! can see it.

use leash_audit::{
    grammar::{
        AmountSpec, BundleOp, CallSpec, EnableSpec, EncodingSpec, FeeSpec, GrantSigner, GrantSpec,
        InitSpec, ModeSpec, OpSpec, PeriodSpec, SelectorSpec, SessionSpec, SettleSpec, ShapeSpec,
        SignerSpec, SponsorSpec, TargetSpec, Transition, WindowSpec,
    },
    mutants,
    reference::RefState,
    run_case, world, Failure, Stats,
};
use leash_userop::EntryPointVersion;

fn spec(grants: Vec<GrantSpec>) -> SessionSpec {
    SessionSpec {
        key: 0,
        window: WindowSpec::Open,
        max_uses: 0,
        root: false,
        periodic: false,
        long_period: false,
        old_schedule: false,
        rate_limit: 0,
        native: false,
        fee_budget: true,
        gas_budget: false,
        grants,
        account_selectors: Vec::new(),
        token0_allowance: false,
        token1_allowance: false,
        periodic_token0: false,
        periodic_native: false,
        periodic_token1: false,
        paymaster: true,
        by_enable: false,
    }
}

fn call(target: TargetSpec, selector: SelectorSpec) -> CallSpec {
    CallSpec {
        target,
        selector,
        value: AmountSpec::Zero,
        amount: AmountSpec::Small(1),
    }
}

fn op(calls: Vec<CallSpec>) -> OpSpec {
    OpSpec {
        session: 0,
        other_account: false,
        shape: ShapeSpec::Batch,
        mode: ModeSpec::Default,
        encoding: EncodingSpec::Canonical,
        calls,
        fee: FeeSpec::OneGwei,
        sponsor: SponsorSpec::Listed,
        period: PeriodSpec::Current,
        signer: SignerSpec::Right,
        enable: EnableSpec::None,
        settle: SettleSpec::Auto,
        init: InitSpec::None,
    }
}

fn record() -> CallSpec {
    call(TargetSpec::Recorder0, SelectorSpec::Record)
}

/// One former survivor: the mutant, the sessions, the steps, the rejection the real module
/// answers (`None`: every op is accepted) and the invariant the mutant breaks.
struct Probe {
    mutant: &'static str,
    version: EntryPointVersion,
    sessions: Vec<SessionSpec>,
    steps: Vec<Transition>,
    rejection: Option<&'static str>,
    invariant: &'static str,
}

fn one(op: OpSpec) -> Vec<Transition> {
    vec![Transition::Bundle(vec![BundleOp::Session(op)])]
}

/// `op` of session 0, then an op of session 1 (left for an enable grant, never enabled) that
/// fails validation (`SessionNotFound`), in one bundle: the bundle never validates, so only the
/// checks on what the module answered for each op can see the first one.
fn then_fail(op: OpSpec) -> Vec<Transition> {
    vec![Transition::Bundle(vec![
        BundleOp::Session(op),
        BundleOp::Session(OpSpec {
            session: 1,
            ..self::op(vec![record()])
        }),
    ])]
}

fn probes() -> Vec<Probe> {
    let hourly = SessionSpec {
        periodic: true,
        ..spec(vec![GrantSpec::Recorder0Any])
    };
    let old_schedule = SessionSpec {
        old_schedule: true,
        ..hourly.clone()
    };
    let enabled = SessionSpec {
        by_enable: true,
        ..spec(vec![GrantSpec::Recorder0Any])
    };
    let enable = |session: usize, nonce: u8| {
        Transition::Bundle(vec![BundleOp::Session(OpSpec {
            session,
            enable: EnableSpec::Grant {
                nonce,
                signer: GrantSigner::Owner,
            },
            ..op(vec![record()])
        })])
    };
    let never = SessionSpec {
        by_enable: true,
        ..spec(vec![GrantSpec::Recorder0Any])
    };
    let moved = OpSpec {
        signer: SignerSpec::MovedPeriod,
        ..op(vec![record()])
    };
    let entry_point = op(vec![
        record(),
        call(TargetSpec::EntryPoint, SelectorSpec::Record),
    ]);
    let limited_router = SessionSpec {
        token0_allowance: true,
        ..spec(vec![GrantSpec::RouterAny])
    };
    // Session 0 enabled on the other account (on v0.8 an EOA delegated with EIP-7702) by its
    // owner in an op whose initCode is the marker and an `execute` of a token transfer.
    let init_call = OpSpec {
        other_account: true,
        init: InitSpec::Call,
        enable: EnableSpec::Grant {
            nonce: 0,
            signer: GrantSigner::Owner,
        },
        ..op(vec![record()])
    };
    vec![
        // An EIP-7702 init call chosen by the session key: a module that lets it through
        // answers a valid signature for it.
        Probe {
            version: EntryPointVersion::V08,
            mutant: "eip7702-init-call-allowed",
            sessions: vec![enabled.clone()],
            steps: one(init_call.clone()),
            rejection: Some("Eip7702InitCallDenied"),
            invariant: "INIT",
        },
        Probe {
            version: EntryPointVersion::V08,
            mutant: "eip7702-init-call-allowed",
            sessions: vec![enabled.clone(), never.clone()],
            steps: then_fail(init_call),
            rejection: Some("Eip7702InitCallDenied"),
            invariant: "INIT",
        },
        // Signed for period 0, sent naming the current period 1: a digest without the period
        // index accepts it.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "period-not-bound",
            sessions: vec![hourly.clone()],
            steps: one(moved.clone()),
            rejection: Some("AA24 signature error"),
            invariant: "SIGNED",
        },
        // The same op, in a bundle a later op makes fail: the module's answer for it.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "period-not-bound",
            sessions: vec![hourly.clone(), never.clone()],
            steps: then_fail(moved),
            rejection: Some("AA24 signature error"),
            invariant: "SIGNED",
        },
        // Current period 2^16 (old schedule), signed for period 0 = 2^16 with bit 16 flipped: a
        // digest that keeps 16 bits of the index accepts it.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "period-digest-16-bits",
            sessions: vec![old_schedule],
            steps: one(OpSpec {
                signer: SignerSpec::MovedPeriodFar,
                ..op(vec![record()])
            }),
            rejection: Some("AA24 signature error"),
            invariant: "SIGNED",
        },
        // A paymaster the session does not list.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "paymaster-check-off",
            sessions: vec![spec(vec![GrantSpec::Recorder0Any])],
            steps: one(OpSpec {
                sponsor: SponsorSpec::Unlisted,
                ..op(vec![record()])
            }),
            rejection: Some("PaymasterNotAllowed"),
            invariant: "LEDGER",
        },
        // Enable grants with nonces 0 then 1 (same bitmap word): the module's view must still
        // report nonce 0 used.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "nonce-bitmap-overwritten",
            sessions: vec![enabled.clone(), enabled],
            steps: vec![enable(0, 0), enable(1, 1)],
            rejection: None,
            invariant: "REPLAY",
        },
        // The account's EntryPoint v0.7 with a selector an any-target grant allows.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "entrypoint-v07-typo",
            sessions: vec![spec(vec![GrantSpec::AnyRecord])],
            steps: one(entry_point.clone()),
            rejection: Some("CallDenied"),
            invariant: "DENY",
        },
        Probe {
            version: EntryPointVersion::V07,
            mutant: "entrypoint-v07-typo",
            sessions: vec![spec(vec![GrantSpec::AnyRecord]), never.clone()],
            steps: then_fail(entry_point),
            rejection: Some("CallDenied"),
            invariant: "DENY",
        },
        // Nine granted calls: one past the cap.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "batch-cap-typo",
            sessions: vec![spec(vec![GrantSpec::Recorder0Any])],
            steps: one(op(vec![record(); 9])),
            rejection: Some("BatchTooLarge"),
            invariant: "CAP",
        },
        Probe {
            version: EntryPointVersion::V07,
            mutant: "batch-cap-typo",
            sessions: vec![spec(vec![GrantSpec::Recorder0Any]), never],
            steps: then_fail(op(vec![record(); 9])),
            rejection: Some("BatchTooLarge"),
            invariant: "CAP",
        },
        // The router pulls 7 of the limited token 0 through the owner's set-up allowance in an
        // op left unsettled.
        Probe {
            version: EntryPointVersion::V07,
            mutant: "settlement-required-off",
            sessions: vec![limited_router],
            steps: one(OpSpec {
                settle: SettleSpec::Never,
                ..op(vec![CallSpec {
                    amount: AmountSpec::Small(7),
                    ..call(TargetSpec::Router, SelectorSpec::RouterSwap(0))
                }])
            }),
            rejection: Some("SettlementRequired"),
            invariant: "LEDGER",
        },
    ]
}

fn replay(
    code: &alloy::primitives::Bytes,
    model_checks: bool,
    probe: &Probe,
) -> (Stats, Result<(), Failure>) {
    let mut stats = Stats::default();
    let init = RefState::new(probe.version, probe.sessions.clone());
    let result = run_case(code, model_checks, &init, &probe.steps, None, &mut stats);
    (stats, result)
}

#[test]
fn every_probe_passes_on_the_module() {
    let code = world::module_code().expect("module artifact");
    for probe in probes() {
        for model_checks in [true, false] {
            let (stats, result) = replay(&code, model_checks, &probe);
            if let Err(failure) = result {
                panic!("{} (model {model_checks}): {failure}", probe.mutant);
            }
            match probe.rejection {
                Some(rejection) => {
                    assert_eq!(
                        stats.rejections.get(rejection),
                        Some(&1),
                        "{}: {:?}",
                        probe.mutant,
                        stats.rejections
                    );
                    assert_eq!(stats.accepted, 0, "{}", probe.mutant);
                }
                None => {
                    let ops = u64::try_from(probe.steps.len()).unwrap_or(u64::MAX);
                    assert_eq!(
                        stats.accepted, ops,
                        "{}: {:?}",
                        probe.mutant, stats.rejections
                    );
                }
            }
        }
    }
}

/// Builds each mutant with forge (`make setup` toolchain): `cargo test -p leash-audit --test
/// chain_facts -- --ignored`.
#[test]
#[ignore = "builds mutants with forge (minutes)"]
fn mutants_are_killed_without_the_model() {
    let mut built: Vec<(&str, alloy::primitives::Bytes)> = Vec::new();
    for probe in probes() {
        if !built.iter().any(|(name, _)| *name == probe.mutant) {
            let mutant = mutants::MUTANTS
                .iter()
                .find(|m| m.name == probe.mutant)
                .expect("a mutant of mutants::MUTANTS");
            built.push((
                probe.mutant,
                mutants::build(mutant).expect("the mutant builds"),
            ));
        }
        let code = &built
            .iter()
            .find(|(name, _)| *name == probe.mutant)
            .expect("built above")
            .1;
        let (_, result) = replay(code, false, &probe);
        match result {
            Err(failure) => assert_eq!(
                failure.invariant, probe.invariant,
                "{}: {failure}",
                probe.mutant
            ),
            Ok(()) => panic!("{} survived its probe without the model", probe.mutant),
        }
    }
}
