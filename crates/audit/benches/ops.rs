//! Session ops validated and executed per second through the real EntryPoint in the revm
//! harness: bundles of 8 sponsored ops of one session (each a call to a recorder), the module
//! checking and charging each. Building and signing the ops is not timed; each iteration runs
//! on a fresh copy of the same chain state.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leash_audit::{
    grammar::{
        AmountSpec, BundleOp, CallSpec, EncodingSpec, FeeSpec, GrantSpec, ModeSpec, OpSpec,
        PeriodSpec, SelectorSpec, SessionSpec, ShapeSpec, SignerSpec, SponsorSpec, TargetSpec,
        WindowSpec,
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
        rate_limit: 0,
        native: false,
        fee_budget: false,
        gas_budget: false,
        grants: vec![GrantSpec::Recorder0Any],
        account_selectors: Vec::new(),
        token0_allowance: false,
        periodic_native: false,
        periodic_token1: false,
        paymaster: true,
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
    })
}

fn prepared(version: EntryPointVersion) -> (Chain, Vec<PackedUserOperation>) {
    let world = World::build(version, &module_code().expect("module artifact")).expect("world");
    let mut chain = world.chain;
    let reference = RefState::new(version, vec![session(), session(), session()]);
    let setup = reference.plan(&setup_bundle(), &mut |sender, key| {
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

criterion_group!(benches, bench);
criterion_main!(benches);
