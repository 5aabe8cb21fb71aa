//! The stateful property suite at CI size: `PROPTEST_CASES` sequences (default 128) of up to 16
//! steps on both EntryPoints (the version is part of each case), fixed seed so CI is
//! reproducible. `leash-audit` (the binary) runs the long version.

use leash_audit::{run, world, RunConfig};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

#[test]
fn every_invariant_holds_on_the_module() {
    let config = RunConfig {
        cases: cases(),
        max_steps: 16,
        module_code: world::module_code().expect("the SessionKeyValidator artifact"),
        seed: [7; 32],
        model_checks: true,
    };
    let (stats, result) = run(&config);
    if let Err(counterexample) = result {
        panic!(
            "{}\nversion {:?}\nsessions {:#?}\ntransitions {:#?}",
            counterexample.message,
            counterexample.init.version,
            counterexample.init.specs,
            counterexample.transitions
        );
    }
    assert_eq!(stats.cases, u64::from(config.cases));
    assert!(
        stats.accepted > 0,
        "no op was accepted: the grammar no longer reaches the module's success path"
    );
    assert!(
        stats.rejections.len() > 5,
        "too few distinct rejections: {:?}",
        stats.rejections
    );
    assert_eq!(stats.violations_7562, 0);
    for invariant in [
        "LEDGER",
        "MONOTONE",
        "CANONICAL",
        "DENY",
        "WINDOW",
        "MODEL",
        "7562",
        "PAUSED",
        "REVOKED",
        "EXPIRED",
        "UNINSTALLED",
        "RATE",
        "SIGNED",
        "CAP",
    ] {
        assert!(
            stats.invariants.get(invariant).copied().unwrap_or(0) > 0,
            "{invariant} was never checked"
        );
    }
}
