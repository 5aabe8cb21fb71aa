//! `leash check-7562`: runs one user operation through `handleOps` under the ERC-7562
//! rules checker, on a node's state (forked over JSON-RPC) or on the in-process chain,
//! without sending anything.

use std::path::PathBuf;

use alloy::primitives::{address, Address, Bytes};
use anyhow::Context as _;
use clap::Args;
use leash_erc7562::{
    Erc7562Inspector, Violation, CREATE_SENDER, VALIDATE_PAYMASTER_USER_OP, VALIDATE_USER_OP,
};
use leash_evm::inspect::revm::interpreter::{
    CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome,
};
use leash_evm::inspect::{ContextTr, Inspector};
use leash_evm::{Chain, ForkedChain, HandleOpsOutcome};
use leash_userop::{EntryPointVersion, RpcUserOperation, UserOperation};
use serde_json::{json, Value};

use crate::commands::read_file;
use crate::exit::{fail, usage, Exit};
use crate::output::Ui;

/// Receives the simulated bundle's fees; nothing is paid for real.
const BENEFICIARY: Address = address!("0x000000000000000000000000000000000000bEEF");

/// `leash check-7562`.
#[derive(Debug, Args)]
pub(crate) struct Check7562Args {
    /// The user operation, as bundler JSON (`sender`, `nonce`, `callData`, …, `signature`).
    #[arg(long, value_name = "FILE")]
    pub(crate) op: PathBuf,
    /// The EntryPoint: `v07`, `v08` or an address.
    #[arg(long, value_name = "ADDR|v07|v08")]
    pub(crate) entry_point: String,
    /// A node whose state the op is checked on (forked locally, nothing is sent). Without
    /// it, the in-process chain (only the canonical EntryPoints are deployed there).
    #[arg(long, value_name = "URL", env = "ETH_RPC_URL")]
    pub(crate) rpc_url: Option<String>,
    /// The block whose state is used (default: the node's latest).
    #[arg(long, value_name = "N", requires = "rpc_url")]
    pub(crate) block: Option<u64>,
}

/// What one check found.
struct Report {
    /// Where the op ran, for the progress line.
    place: String,
    /// Call and create frames run inside validation phases.
    frames: usize,
    violations: Vec<Violation>,
    /// Why `handleOps` reverted (a failed validation), if it did.
    failure: Option<String>,
}

/// Runs the check and prints the result; exits 3 on violations or a failed validation.
pub(crate) fn run(args: Check7562Args, ui: Ui) -> anyhow::Result<()> {
    let text = read_file("--op", &args.op)?;
    let op = parse_op(&text)?;
    let entry_point = super::parse_entry_point_address(&args.entry_point)?;
    let report = match &args.rpc_url {
        Some(url) => on_node(url, args.block, entry_point, &op)?,
        None => in_process(entry_point, &op)?,
    };
    ui.progress(&format!(
        "checked on {}: {} validation frames",
        report.place, report.frames
    ));
    print(&report, ui);
    verdict(&report)
}

/// Reads the op strictly; a bad field is named.
fn parse_op(text: &str) -> anyhow::Result<UserOperation> {
    let hint = "give the op as bundler JSON (camelCase hex fields, as `leash op sign` prints)";
    let rpc =
        RpcUserOperation::from_json(text).map_err(|error| usage(format!("--op: {error}"), hint))?;
    UserOperation::try_from(&rpc).map_err(|error| usage(format!("--op: {error}"), hint))
}

fn on_node(
    url: &str,
    block: Option<u64>,
    entry_point: Address,
    op: &UserOperation,
) -> anyhow::Result<Report> {
    let unreachable = |error: leash_evm::ForkError| {
        fail(
            Exit::Failure,
            format!("cannot fork the node at {url}: {error}"),
            Some("check --rpc-url (is the node running?) and --block"),
        )
    };
    let transport = crate::connection::transport("--rpc-url", url)?;
    let mut chain = ForkedChain::connect_with(transport, block).map_err(unreachable)?;
    if block.is_none() {
        chain.timestamp_at_least_now();
    }
    let place = format!("{url} at block {}", chain.pinned_block());
    if chain.code(entry_point).map_err(unreachable)?.is_empty() {
        return Err(fail(
            Exit::Failure,
            format!("no EntryPoint at {entry_point} on {place}: the address has no code"),
            Some("deploy the EntryPoint there or pass the right --entry-point"),
        ));
    }
    let mut inspector = checkers(entry_point);
    let outcome = chain
        .handle_ops_with_inspector(entry_point, &[op.pack()], BENEFICIARY, &mut inspector)
        .with_context(|| format!("simulating handleOps on {place}"))?;
    let undeployed = chain.code(op.sender).map_err(unreachable)?.is_empty();
    Ok(report(
        place,
        outcome,
        inspector,
        undeployed && op.factory.is_none(),
    ))
}

fn in_process(entry_point: Address, op: &UserOperation) -> anyhow::Result<Report> {
    let Some(version) = EntryPointVersion::from_canonical_address(entry_point) else {
        return Err(usage(
            format!(
                "--entry-point {entry_point}: the in-process chain only has the canonical EntryPoints"
            ),
            "use v07 or v08, or check against a node with --rpc-url",
        ));
    };
    let mut chain = Chain::new().context("starting the in-process chain")?;
    let mut inspector = checkers(entry_point);
    let outcome = chain
        .handle_ops_with_inspector(version, &[op.pack()], BENEFICIARY, &mut inspector)
        .context("running handleOps on the in-process chain")?;
    let undeployed = chain.code(op.sender).is_empty() && op.factory.is_none();
    Ok(report(
        "the in-process chain".to_owned(),
        outcome,
        inspector,
        undeployed,
    ))
}

fn checkers(entry_point: Address) -> (Erc7562Inspector, ValidationFrames) {
    (
        Erc7562Inspector::new(entry_point),
        ValidationFrames::new(entry_point),
    )
}

fn report(
    place: String,
    outcome: HandleOpsOutcome,
    (checker, frames): (Erc7562Inspector, ValidationFrames),
    sender_undeployed: bool,
) -> Report {
    let note = if sender_undeployed {
        " (the sender has no code there and the op has no factory)"
    } else {
        ""
    };
    Report {
        place,
        frames: frames.count,
        violations: checker.violations().to_vec(),
        failure: outcome.revert.map(|revert| format!("{revert}{note}")),
    }
}

fn print(report: &Report, ui: Ui) {
    let list: Vec<Value> = report
        .violations
        .iter()
        .map(|violation| {
            let site = violation.site();
            json!({
                "rule": violation.rule_id(),
                "address": site.address.to_checksum(None),
                "depth": site.depth,
                "phase": site.phase.to_string(),
                "message": violation.to_string(),
            })
        })
        .collect();
    ui.result(&Value::Array(list), || {
        let mut lines: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        match (&report.failure, lines.is_empty()) {
            (None, true) => lines.push(format!(
                "ok: no ERC-7562 violation in validation ({} frames checked)",
                report.frames
            )),
            (Some(_), true) => lines.push(format!(
                "no ERC-7562 violation in the validation that ran ({} frames checked)",
                report.frames
            )),
            (_, false) => {}
        }
        if let Some(failure) = &report.failure {
            lines.push(format!("validation failed: {failure}"));
        }
        lines.join("\n")
    });
}

/// Exit 3 when a rule is broken or validation failed.
fn verdict(report: &Report) -> anyhow::Result<()> {
    let broken = report.violations.len();
    let message = match (&report.failure, broken) {
        (None, 0) => return Ok(()),
        (None, n) => format!("the op breaks {n} ERC-7562 rule(s) in validation"),
        (Some(failure), 0) => format!("validation failed: {failure}"),
        (Some(failure), n) => {
            format!("validation failed: {failure}; and it breaks {n} ERC-7562 rule(s)")
        }
    };
    Err(fail(
        Exit::Rejected,
        message,
        Some("public bundlers reject this op; see docs/erc7562.md for what each rule forbids"),
    ))
}

/// Counts the call and create frames that run inside validation phases, recognised as the
/// checker recognises them: a `CALL` from the EntryPoint's `handleOps` frame with the
/// selector of `createSender`, `validateUserOp` or `validatePaymasterUserOp`, and
/// everything below it.
#[derive(Debug)]
struct ValidationFrames {
    entry_point: Address,
    stack: Vec<Frame>,
    count: usize,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    /// The called address; `None` for a creation (which never runs `handleOps`).
    address: Option<Address>,
    caller: Address,
    in_validation: bool,
}

impl ValidationFrames {
    fn new(entry_point: Address) -> Self {
        Self {
            entry_point,
            stack: Vec::new(),
            count: 0,
        }
    }

    fn enter(&mut self, address: Option<Address>, caller: Address, opens_phase: bool) {
        let in_validation = opens_phase || self.stack.last().is_some_and(|f| f.in_validation);
        if in_validation {
            self.count += 1;
        }
        self.stack.push(Frame {
            address,
            caller,
            in_validation,
        });
    }

    fn opens_phase(&self, inputs: &CallInputs, calldata: &Bytes) -> bool {
        let Some(parent) = self.stack.last() else {
            return false;
        };
        let from_handle_ops = parent.address == Some(self.entry_point)
            && parent.caller != self.entry_point
            && inputs.caller == self.entry_point
            && inputs.scheme == CallScheme::Call;
        let selector = calldata.get(..4);
        from_handle_ops
            && [CREATE_SENDER, VALIDATE_USER_OP, VALIDATE_PAYMASTER_USER_OP]
                .iter()
                .any(|phase| selector == Some(phase.as_slice()))
    }
}

impl<CTX: ContextTr> Inspector<CTX> for ValidationFrames {
    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let calldata = inputs.input.bytes(context);
        let opens = self.opens_phase(inputs, &calldata);
        self.enter(Some(inputs.target_address), inputs.caller, opens);
        None
    }

    fn call_end(&mut self, _context: &mut CTX, _inputs: &CallInputs, _outcome: &mut CallOutcome) {
        self.stack.pop();
    }

    fn create(&mut self, _context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.enter(None, inputs.caller(), false);
        None
    }

    fn create_end(
        &mut self,
        _context: &mut CTX,
        _inputs: &CreateInputs,
        _outcome: &mut CreateOutcome,
    ) {
        self.stack.pop();
    }
}
