//! `leash-audit`: the long run of the property suite, and the mutation check.
//!
//! - `leash-audit` runs `AUDIT_CASES` sequences (default 256) of up to `AUDIT_STEPS` steps
//!   (default 16) with seed `AUDIT_SEED` (default: from the clock) and prints a summary table.
//!   `AUDIT_MODEL=off` (or `--no-model`) switches the comparison with the reference model off:
//!   only the invariants computed from chain facts run.
//! - `leash-audit mutants` builds every planted bug (or those named in `AUDIT_MUTANTS`,
//!   comma-separated) and runs the suite on each within `AUDIT_MUTANT_CASES` sequences (default
//!   256), with and without the model, printing mutant → invariant → shrunk length and the kill
//!   rate of both.

use anyhow::{bail, Context as _};
use leash_audit::{mutants, run, world, RunConfig};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{name} must be a number, got {text:?}")),
        Err(_) => Ok(default),
    }
}

fn seed() -> anyhow::Result<[u8; 32]> {
    let n = match std::env::var("AUDIT_SEED") {
        Ok(text) => text
            .parse::<u64>()
            .with_context(|| format!("AUDIT_SEED must be a number, got {text:?}"))?,
        Err(_) => SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
    };
    println!("seed: {n} (replay with AUDIT_SEED={n})");
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    Ok(seed)
}

/// False when `AUDIT_MODEL=off` (or `0`, `false`) or `--no-model` is given.
fn model_checks() -> anyhow::Result<bool> {
    let flag = std::env::args().any(|a| a == "--no-model");
    let env = match std::env::var("AUDIT_MODEL") {
        Ok(text) => match text.as_str() {
            "on" | "1" | "true" => true,
            "off" | "0" | "false" => false,
            other => bail!("AUDIT_MODEL must be on or off, got {other:?}"),
        },
        Err(_) => true,
    };
    let on = env && !flag;
    println!(
        "model comparison: {}",
        if on {
            "on"
        } else {
            "off (chain-fact invariants only)"
        }
    );
    Ok(on)
}

fn suite() -> anyhow::Result<()> {
    let config = RunConfig {
        cases: u32::try_from(env_number("AUDIT_CASES", 256)?)?,
        max_steps: usize::try_from(env_number("AUDIT_STEPS", 16)?)?,
        module_code: world::module_code()?,
        seed: seed()?,
        model_checks: model_checks()?,
    };
    let start = Instant::now();
    let (stats, result) = run(&config);
    println!("{stats}");
    println!("elapsed: {:.1} s", start.elapsed().as_secs_f64());
    if let Err(counterexample) = result {
        println!(
            "FAILED after shrinking to {} steps: {}",
            counterexample.transitions.len(),
            counterexample.message
        );
        println!("initial sessions: {:#?}", counterexample.init.specs);
        println!("version: {:?}", counterexample.init.version);
        println!("transitions: {:#?}", counterexample.transitions);
        bail!("an invariant broke");
    }
    if stats.violations_7562 != 0 {
        bail!("{} ERC-7562 violations", stats.violations_7562);
    }
    Ok(())
}

fn mutation_check() -> anyhow::Result<()> {
    let cases = u32::try_from(env_number("AUDIT_MUTANT_CASES", 256)?)?;
    let max_steps = usize::try_from(env_number("AUDIT_STEPS", 16)?)?;
    let seed = seed()?;
    let only: Option<Vec<String>> = std::env::var("AUDIT_MUTANTS")
        .ok()
        .map(|names| names.split(',').map(|n| n.trim().to_owned()).collect());
    if let Some(names) = &only {
        for name in names {
            if !mutants::MUTANTS.iter().any(|m| m.name == name) {
                bail!("AUDIT_MUTANTS names {name:?}, which is no mutant of mutants::MUTANTS");
            }
        }
    }
    let mut survivors = Vec::new();
    let (mut run_count, mut killed_with, mut killed_without) = (0u32, 0u32, 0u32);
    println!("| mutant | caught by (all invariants) | shrunk steps | caught by (chain-measured only) | shrunk steps | time (s) |");
    println!("|---|---|---:|---|---:|---:|");
    for mutant in mutants::MUTANTS {
        if only
            .as_ref()
            .is_some_and(|names| !names.iter().any(|n| n == mutant.name))
        {
            continue;
        }
        let start = Instant::now();
        let module_code = mutants::build(mutant)?;
        let mut cells = Vec::new();
        for model_checks in [true, false] {
            let config = RunConfig {
                cases,
                max_steps,
                module_code: module_code.clone(),
                seed,
                model_checks,
            };
            match run(&config).1 {
                Err(counterexample) => {
                    eprintln!(
                        "{} (model checks {model_checks}): {}",
                        mutant.name, counterexample.message
                    );
                    cells.push((
                        counterexample.invariant,
                        counterexample.transitions.len().to_string(),
                    ));
                }
                Ok(()) => cells.push(("SURVIVED".to_owned(), "-".to_owned())),
            }
        }
        run_count += 1;
        killed_with += u32::from(cells[0].0 != "SURVIVED");
        killed_without += u32::from(cells[1].0 != "SURVIVED");
        if cells[0].0 == "SURVIVED" {
            survivors.push(mutant.name);
        }
        println!(
            "| {} | {} | {} | {} | {} | {:.0} |",
            mutant.name,
            cells[0].0,
            cells[0].1,
            cells[1].0,
            cells[1].1,
            start.elapsed().as_secs_f64()
        );
    }
    println!(
        "killed: {killed_with} of {run_count} with the model, {killed_without} of {run_count} without"
    );
    if !survivors.is_empty() {
        bail!("mutants survived: {survivors:?}");
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match std::env::args().nth(1).as_deref() {
        None | Some("--no-model") => suite(),
        Some("mutants") => mutation_check(),
        Some(other) => bail!("unknown command {other:?}: run without arguments, or `mutants`"),
    }
}
