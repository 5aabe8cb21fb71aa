//! The stateful property suite at CI size: `PROPTEST_CASES` sequences (default 128) of up to 16
//! steps on both EntryPoints (the version is part of each case), fixed seed so CI is
//! reproducible (`AUDIT_SEED` overrides it; `AUDIT_MODEL=off` drops the model comparison).
//! `leash-audit` (the binary) runs the long version.

use leash_audit::{run, world, RunConfig};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

fn seed() -> [u8; 32] {
    match std::env::var("AUDIT_SEED")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
    {
        Some(n) => {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&n.to_le_bytes());
            seed
        }
        None => [7; 32],
    }
}

fn model_checks() -> bool {
    !matches!(
        std::env::var("AUDIT_MODEL").as_deref(),
        Ok("off" | "0" | "false")
    )
}

#[test]
fn every_invariant_holds_on_the_module() {
    let config = RunConfig {
        cases: cases(),
        max_steps: 16,
        module_code: world::module_code().expect("the SessionKeyValidator artifact"),
        seed: seed(),
        model_checks: model_checks(),
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
    eprintln!("{stats}");
    // Settlement (rule 16) is exercised both ways: settled ops run their closing `settle`, and
    // ops that need settlement without it or with a malformed wrapper are refused.
    assert!(stats.settled > 0, "no settled op ran its closing settle");
    for rejection in ["SettlementRequired", "SettlementArgumentsInvalid"] {
        assert!(
            stats.rejections.contains_key(rejection),
            "no {rejection} rejection: {:?}",
            stats.rejections
        );
    }
    for invariant in [
        "LEDGER",
        "MONOTONE",
        "CANONICAL",
        "DENY",
        "WINDOW",
        "7562",
        "PAUSED",
        "REVOKED",
        "EXPIRED",
        "UNINSTALLED",
        "RATE",
        "SIGNED",
        "REPLAY",
        "CAP",
    ]
    .into_iter()
    .chain(config.model_checks.then_some("MODEL"))
    {
        assert!(
            stats.invariants.get(invariant).copied().unwrap_or(0) > 0,
            "{invariant} was never checked"
        );
    }
}
