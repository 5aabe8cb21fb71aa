//! `leash demo`: the whole lifecycle of a session key on an in-process chain, every step
//! printed from real results and checked; the first unmet expectation stops the demo with
//! a non-zero exit.

mod narrator;
mod scenario;
mod world;

use crate::output::Ui;

/// Runs the demo.
pub(crate) fn run(ui: Ui) -> anyhow::Result<()> {
    scenario::run(ui)
}
