//! Counts of a run and the summary table the binary prints.

use std::{collections::BTreeMap, fmt};

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Sequences run.
    pub cases: u64,
    /// Sequences run per EntryPoint version (`V07`, `V08`: the version is part of each case).
    pub versions: BTreeMap<String, u64>,
    /// Transitions applied.
    pub steps: u64,
    /// `handleOps` transactions.
    pub bundles: u64,
    /// Session ops validated (up to the first failing op of each bundle).
    pub session_ops: u64,
    /// Owner ops sent.
    pub owner_ops: u64,
    /// Session ops the module accepted (and the EntryPoint too).
    pub accepted: u64,
    /// Of those, ops of the EIP-7702 delegated EOA (v0.8) whose `initCode` is the bare marker.
    pub eip7702_marker_accepted: u64,
    /// Settled ops (rule 16) the EntryPoint executed whose closing `settle` ran.
    pub settled: u64,
    /// Of those, the ones whose closing `settle` reverted `SettledAllowanceExceeded` (the op's
    /// calls reverted; its validation charges stay).
    pub settle_reverts: u64,
    /// Rejections per module error (plus `AA24 signature` and `AA22 window`).
    pub rejections: BTreeMap<String, u64>,
    /// Invariant checks performed, per invariant.
    pub invariants: BTreeMap<&'static str, u64>,
    /// ERC-7562 violations seen in bundles that validated.
    pub violations_7562: u64,
}

impl Stats {
    /// Counts one check of `invariant`.
    pub fn checked(&mut self, invariant: &'static str) {
        *self.invariants.entry(invariant).or_default() += 1;
    }

    /// Counts one rejection named `name`.
    pub fn rejected(&mut self, name: &str) {
        *self.rejections.entry(name.to_owned()).or_default() += 1;
    }

    /// Adds `other` to `self`.
    pub fn merge(&mut self, other: &Self) {
        self.cases += other.cases;
        self.steps += other.steps;
        self.bundles += other.bundles;
        self.session_ops += other.session_ops;
        self.owner_ops += other.owner_ops;
        self.accepted += other.accepted;
        self.eip7702_marker_accepted += other.eip7702_marker_accepted;
        self.settled += other.settled;
        self.settle_reverts += other.settle_reverts;
        self.violations_7562 += other.violations_7562;
        for (k, v) in &other.versions {
            *self.versions.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.rejections {
            *self.rejections.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.invariants {
            *self.invariants.entry(k).or_default() += v;
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| metric | count |")?;
        writeln!(f, "|---|---:|")?;
        writeln!(f, "| cases (sequences) | {} |", self.cases)?;
        for (version, count) in &self.versions {
            writeln!(f, "| cases on EntryPoint {version} | {count} |")?;
        }
        writeln!(f, "| steps | {} |", self.steps)?;
        writeln!(f, "| handleOps bundles | {} |", self.bundles)?;
        writeln!(f, "| session ops validated | {} |", self.session_ops)?;
        writeln!(f, "| owner ops | {} |", self.owner_ops)?;
        writeln!(f, "| session ops accepted | {} |", self.accepted)?;
        writeln!(
            f,
            "| of which from the EIP-7702 EOA with the bare marker | {} |",
            self.eip7702_marker_accepted
        )?;
        writeln!(
            f,
            "| settled ops executed (closing settle ran) | {} |",
            self.settled
        )?;
        writeln!(
            f,
            "| of which reverted SettledAllowanceExceeded | {} |",
            self.settle_reverts
        )?;
        writeln!(f, "| ERC-7562 violations | {} |", self.violations_7562)?;
        writeln!(f)?;
        writeln!(f, "| rejection | count |")?;
        writeln!(f, "|---|---:|")?;
        for (name, count) in &self.rejections {
            writeln!(f, "| {name} | {count} |")?;
        }
        writeln!(f)?;
        writeln!(f, "| invariant | checks |")?;
        writeln!(f, "|---|---:|")?;
        for (name, count) in &self.invariants {
            writeln!(f, "| {name} | {count} |")?;
        }
        Ok(())
    }
}
