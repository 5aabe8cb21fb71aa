//! Session ops validated and executed per second through the real EntryPoint in the revm
//! harness: bundles of 8 sponsored ops of one session (each a call to a recorder), the module
//! checking and charging each; and the forge invariant campaign's scenario
//! (`tests/invariant/SessionInvariant.t.sol`: one op per `handleOps` on v0.7, an ERC-20
//! transfer, a native transfer, a batch of both, on a session with token and native
//! allowances), the figure `bench-ratio.sh` compares with forge. Building and signing the ops
//! is not timed; each iteration runs on a fresh copy of the same chain state.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use alloy::primitives::{aliases::U192, Address, U256};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leash_audit::{
    grammar::{
        AmountSpec, BundleOp, CallSpec, EnableSpec, EncodingSpec, FeeSpec, GrantSpec, InitSpec,
        ModeSpec, OpSpec, PeriodSpec, SelectorSpec, SessionSpec, SettleSpec, ShapeSpec, SignerSpec,
        SponsorSpec, TargetSpec, WindowSpec,
    },
    reference::{setup_bundle, RefState},
    world::{module_code, World, BENEFICIARY},
};
use leash_evm::Chain;
use leash_userop::{EntryPointVersion, PackedUserOperation};

const OPS_PER_BUNDLE: usize = 8;

fn session() -> SessionSpec {
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
        fee_budget: false,
        gas_budget: false,
        grants: vec![GrantSpec::Recorder0Any],
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

fn op() -> BundleOp {
    BundleOp::Session(OpSpec {
        session: 0,
        other_account: false,
        shape: ShapeSpec::Single,
        mode: ModeSpec::Default,
        encoding: EncodingSpec::Canonical,
        calls: vec![CallSpec {
            target: TargetSpec::Recorder0,
            selector: SelectorSpec::Record,
            value: AmountSpec::Zero,
            amount: AmountSpec::Small(1),
        }],
        fee: FeeSpec::Free,
        sponsor: SponsorSpec::Listed,
        period: PeriodSpec::Current,
        signer: SignerSpec::Right,
        enable: EnableSpec::None,
        settle: SettleSpec::Auto,
        init: InitSpec::None,
    })
}

fn prepared(version: EntryPointVersion) -> (Chain, Vec<PackedUserOperation>) {
    let world = World::build(version, &module_code().expect("module artifact")).expect("world");
    let mut chain = world.chain;
    let reference = RefState::new(version, vec![session(), session(), session()]);
    let setup = reference.plan(&setup_bundle(&reference.specs), &mut |sender, key| {
        chain
            .nonce(
                version,
                sender,
                alloy::primitives::aliases::U192::from(key >> 64),
            )
            .expect("nonce")
    });
    let outcome = chain
        .handle_ops(version, &setup.ops, BENEFICIARY)
        .expect("setup");
    assert!(
        outcome.all_ops_succeeded(),
        "setup bundle failed: {outcome:?}"
    );
    let bundle = setup
        .after
        .plan(&vec![op(); OPS_PER_BUNDLE], &mut |sender, key| {
            chain
                .nonce(
                    version,
                    sender,
                    alloy::primitives::aliases::U192::from(key >> 64),
                )
                .expect("nonce")
        });
    assert!(
        bundle.failure.is_none(),
        "the benchmark bundle must validate: {:?}",
        bundle.failure
    );
    (chain, bundle.ops)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_ops");
    group.throughput(Throughput::Elements(OPS_PER_BUNDLE as u64));
    for version in [EntryPointVersion::V07, EntryPointVersion::V08] {
        let (chain, ops) = prepared(version);
        let check = chain
            .clone()
            .handle_ops(version, &ops, BENEFICIARY)
            .expect("handleOps");
        assert!(
            check.all_ops_succeeded(),
            "benchmark ops must succeed: {:?}",
            check.revert
        );
        group.bench_function(format!("{version:?}/handleOps_x{OPS_PER_BUNDLE}"), |b| {
            b.iter_batched(
                || chain.clone(),
                |mut chain| {
                    chain
                        .handle_ops(version, &ops, BENEFICIARY)
                        .expect("handleOps")
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// The invariant campaign's session: token 0 and native allowances, grants on token 0 and
/// recorder 0, sponsored.
fn transfer_session() -> SessionSpec {
    SessionSpec {
        native: true,
        grants: vec![GrantSpec::Token0Any, GrantSpec::Recorder0Any],
        token0_allowance: true,
        ..session()
    }
}

fn transfer_call(target: TargetSpec, value: AmountSpec, amount: AmountSpec) -> CallSpec {
    CallSpec {
        target,
        selector: if target == TargetSpec::Token0 {
            SelectorSpec::Transfer
        } else {
            SelectorSpec::Empty
        },
        value,
        amount,
    }
}

/// The campaign's three op kinds: token transfer, native transfer, batch of both.
fn transfer_ops() -> Vec<BundleOp> {
    let token = transfer_call(TargetSpec::Token0, AmountSpec::Zero, AmountSpec::Small(7));
    let native = transfer_call(
        TargetSpec::Recorder0,
        AmountSpec::Small(9),
        AmountSpec::Zero,
    );
    [
        (ShapeSpec::Single, vec![token]),
        (ShapeSpec::Single, vec![native]),
        (ShapeSpec::Batch, vec![token, native]),
    ]
    .into_iter()
    .map(|(shape, calls)| match op() {
        BundleOp::Session(spec) => BundleOp::Session(OpSpec {
            shape,
            calls,
            ..spec
        }),
        owner => owner,
    })
    .collect()
}

/// A chain with the transfer session granted on v0.7 and the three ops, one bundle each, signed
/// with consecutive nonces (found by running them once on a copy).
fn prepared_transfers() -> (Chain, Vec<PackedUserOperation>) {
    let version = EntryPointVersion::V07;
    let world = World::build(version, &module_code().expect("module artifact")).expect("world");
    let mut chain = world.chain;
    let specs = vec![transfer_session(), session(), session()];
    let mut reference = RefState::new(version, specs);
    fn next(chain: &Chain, sender: Address, key: U256) -> U256 {
        chain
            .nonce(EntryPointVersion::V07, sender, U192::from(key >> 64))
            .expect("nonce")
    }
    let setup = reference.plan(&setup_bundle(&reference.specs), &mut |sender, key| {
        next(&chain, sender, key)
    });
    assert!(chain
        .handle_ops(version, &setup.ops, BENEFICIARY)
        .expect("setup")
        .all_ops_succeeded());
    reference = setup.after;
    let start = chain.clone();
    let mut ops = Vec::new();
    for op in transfer_ops() {
        let plan = reference.plan(&[op], &mut |sender, key| next(&chain, sender, key));
        assert!(
            plan.failure.is_none(),
            "campaign op must validate: {:?}",
            plan.failure
        );
        let outcome = chain
            .handle_ops(version, &plan.ops, BENEFICIARY)
            .expect("handleOps");
        assert!(
            outcome.all_ops_succeeded(),
            "campaign op must succeed: {:?}",
            outcome.revert
        );
        ops.extend(plan.ops);
        reference = plan.after;
    }
    (start, ops)
}

fn bench_campaign(c: &mut Criterion) {
    let mut group = c.benchmark_group("invariant_scenario");
    let (chain, ops) = prepared_transfers();
    group.throughput(Throughput::Elements(ops.len() as u64));
    group.bench_function("V07/transfers_one_op_per_handleOps", |b| {
        b.iter_batched(
            || chain.clone(),
            |mut chain| {
                for op in &ops {
                    chain
                        .handle_ops(
                            EntryPointVersion::V07,
                            std::slice::from_ref(op),
                            BENEFICIARY,
                        )
                        .expect("handleOps");
                }
                chain
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench, bench_campaign);
criterion_main!(benches);
