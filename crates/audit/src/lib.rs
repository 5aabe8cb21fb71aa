#![doc = include_str!("../README.md")]

pub mod driver;
pub mod encode;
pub mod facts;
pub mod grammar;
pub mod mutants;
pub mod observe;
pub mod packing;
pub mod reference;
pub mod revert;
mod stats;
pub mod world;

pub use driver::{run_case, Failure};
pub use reference::{RefState, SessionMachine};
pub use stats::Stats;

use alloy::primitives::Bytes;
use grammar::Transition;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::cell::RefCell;

/// Why the suite could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The harness failed.
    #[error("EVM harness: {0}")]
    Evm(#[from] leash_evm::EvmError),
    /// A compiled artifact is missing.
    #[error("contracts: {0}")]
    Contracts(#[from] leash_contracts::ContractsError),
    /// The world could not be set up.
    #[error("set-up: {0}")]
    Setup(String),
    /// A mutant could not be built.
    #[error("mutant {name}: {reason}")]
    Mutant {
        /// The mutant.
        name: String,
        /// What went wrong.
        reason: String,
    },
}

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Sequences to generate.
    pub cases: u32,
    /// Longest sequence (transitions after the set-up bundle).
    pub max_steps: usize,
    /// Creation code of the module under test.
    pub module_code: Bytes,
    /// RNG seed (the same seed replays the same cases).
    pub seed: [u8; 32],
    /// Compare with the reference model op by op (MODEL); false keeps only the invariants
    /// measured on the chain.
    pub model_checks: bool,
}

/// The smallest failing case proptest found after shrinking.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// The failure message of the minimal case (`[INVARIANT] step n: ...`).
    pub message: String,
    /// The invariant named in `message`.
    pub invariant: String,
    /// The minimal case's starting state.
    pub init: RefState,
    /// The minimal case's transitions.
    pub transitions: Vec<Transition>,
}

fn invariant_of(message: &str) -> String {
    message
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map_or_else(|| "UNKNOWN".to_owned(), |(name, _)| name.to_owned())
}

/// Runs `config.cases` sequences; returns the statistics of the cases run before shrinking
/// and, when an invariant broke, the shrunk counterexample.
pub fn run(config: &RunConfig) -> (Stats, Result<(), Counterexample>) {
    let mut proptest_config = Config::with_cases(config.cases);
    proptest_config.failure_persistence = None;
    proptest_config.max_shrink_iters = 4_096;
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &config.seed);
    let mut runner = TestRunner::new_with_rng(proptest_config, rng);
    let stats = RefCell::new(Stats::default());
    let strategy = SessionMachine::sequential_strategy(1..=config.max_steps);
    let result = runner.run(&strategy, |(init, transitions, seen)| {
        let mut local = Stats::default();
        let outcome = run_case(
            &config.module_code,
            config.model_checks,
            &init,
            &transitions,
            seen.as_deref(),
            &mut local,
        );
        if seen.is_some() {
            stats.borrow_mut().merge(&local);
        }
        outcome.map_err(|failure| TestCaseError::fail(failure.to_string()))
    });
    let stats = stats.into_inner();
    match result {
        Ok(()) => (stats, Ok(())),
        Err(TestError::Fail(reason, (init, transitions, _))) => {
            let message = reason.to_string();
            let invariant = invariant_of(&message);
            (
                stats,
                Err(Counterexample {
                    message,
                    invariant,
                    init,
                    transitions,
                }),
            )
        }
        Err(TestError::Abort(reason)) => {
            let message = format!("[ABORT] {reason}");
            let init = RefState::new(leash_userop::EntryPointVersion::V07, Vec::new());
            (
                stats,
                Err(Counterexample {
                    message,
                    invariant: "ABORT".to_owned(),
                    init,
                    transitions: Vec::new(),
                }),
            )
        }
    }
}
