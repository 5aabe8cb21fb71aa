//! The demo's story, one method per step.

use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::{Bytes, B256, U256};
use alloy::sol_types::SolCall;
use anyhow::Context;
use leash_contracts::bindings::mocks::MockERC20;
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_keys::permissions::{CallGrant, Selector, Target, TokenAllowance};
use leash_keys::{CreateRequest, PasswordSource, SessionRecord, SessionSpec, Status, Store};
use leash_userop::erc7579::Execution;
use leash_userop::UserOperation;
use serde_json::json;

use super::narrator::Narrator;
use super::world::{OpResult, World, VERSION};
use crate::onchain::{self, status_name};
use crate::output::Ui;
use crate::rotation::carry_over;
use crate::units::{format_amount, format_time, group};

/// One token of the demo ERC-20 (18 decimals).
const TOKEN: u64 = 1_000_000_000_000_000_000;
/// Fee budget of the session: 0.01 ETH.
const FEE_BUDGET_WEI: u64 = 10_000_000_000_000_000;
/// On-chain status codes of the module.
const ACTIVE: u8 = 1;
const REVOKED: u8 = 3;

fn tokens(amount: u64) -> U256 {
    U256::from(amount) * U256::from(TOKEN)
}

/// Runs every step; the error names the first failed expectation.
pub(crate) fn run(ui: Ui) -> anyhow::Result<()> {
    let started = Instant::now();
    ui.progress("starting the in-process chain and deploying contracts…");
    let mut demo = Demo::start(ui)?;
    demo.deploy()?;
    demo.install_module()?;
    demo.create_key()?;
    demo.grant_on_chain()?;
    demo.spend_batch()?;
    demo.spend_single()?;
    demo.overspend()?;
    demo.rotate()?;
    demo.old_key_refused()?;
    demo.new_key_spends()?;
    demo.revoke_new()?;
    let entries = demo.verify_audit()?;
    let seconds = started.elapsed().as_secs_f64();
    let steps = demo.n.count();
    if ui.json {
        ui.result(
            &json!({"ok": true, "steps": demo.n.to_json(), "auditEntries": entries, "seconds": seconds}),
            String::new,
        );
    } else {
        println!("\ndemo passed: {steps} steps, every expectation held ({seconds:.2} s)");
    }
    Ok(())
}

struct Demo {
    n: Narrator,
    world: World,
    store: Store,
    store_dir: tempfile::TempDir,
    password: String,
    old: Option<SessionRecord>,
    new: Option<SessionRecord>,
    stale_old_op: Option<UserOperation>,
}

impl Demo {
    fn start(ui: Ui) -> anyhow::Result<Self> {
        let world = World::deploy()?;
        let store_dir = tempfile::Builder::new()
            .prefix("leash-demo-")
            .tempdir()
            .context("creating the demo's temporary data directory")?;
        // The registry's clock is the chain's (the demo never moves it), so windows and
        // audit times agree with the chain.
        let now = world.chain.timestamp();
        let store = Store::open(store_dir.path())?
            .with_actor("leash-demo")
            .with_clock(Arc::new(move || now));
        Ok(Self {
            n: Narrator::new(ui),
            world,
            store,
            store_dir,
            password: alloy::hex::encode(rand::random::<[u8; 32]>()),
            old: None,
            new: None,
            stale_old_op: None,
        })
    }

    fn password(&self) -> PasswordSource {
        let password = self.password.clone();
        PasswordSource::Prompt(Box::new(move || Ok(password.clone())))
    }

    fn op_line(&mut self, what: &str, result: &OpResult) {
        let charged = match result.charged {
            Some((gas, cost)) => format!(
                ", op charged {} gas = {} ETH",
                group(gas.saturating_to()),
                format_amount(cost)
            ),
            None => String::new(),
        };
        self.n.line(format!(
            "{what}: handleOps used {} gas{charged}",
            group(result.tx_gas)
        ));
    }

    fn expect_accepted(&mut self, what: &str, result: &OpResult) -> anyhow::Result<()> {
        self.op_line(what, result);
        self.n.expect(result.accepted, || {
            format!("expected {what} to be accepted, got: {}", result.reason())
        })
    }

    fn deploy(&mut self) -> anyhow::Result<()> {
        self.n.step(
            "Deploy on an in-process chain (revm, Cancun): EntryPoint v0.7, module, account, token",
        );
        let w = &self.world;
        let lines = [
            format!(
                "chain id {}, block time {}",
                w.chain.chain_id(),
                format_time(w.chain.timestamp())
            ),
            format!("EntryPoint v0.7      {}", VERSION.canonical_address()),
            format!("SessionKeyValidator  {}", w.module),
            format!(
                "account              {} (OpenZeppelin AccountERC7579, owner validator {})",
                w.account.address, w.account.owner_validator
            ),
            format!("owner                {}", w.account.owner()),
            format!("token MOCK           {} (MockERC20, 18 decimals)", w.token),
        ];
        for line in lines {
            self.n.line(line);
        }
        let (token, account) = (self.world.token, self.world.account.address);
        self.world.chain.mint(token, account, tokens(1_000))?;
        let balance = self.world.balance(account)?;
        self.n.line(format!(
            "minted: the account holds {} MOCK",
            format_amount(balance)
        ));
        self.n.expect(balance == tokens(1_000), || {
            "expected 1000 MOCK on the account".into()
        })
    }

    fn install_module(&mut self) -> anyhow::Result<()> {
        self.n
            .step("Install the module on the account (owner op: installModule(1, module, \"\"))");
        let result = self.world.install_module()?;
        self.expect_accepted("install", &result)?;
        let installed = self.world.module_installed()?;
        self.n
            .line(format!("isModuleInstalled(validator): {installed}"));
        self.n.expect(installed, || {
            "expected the module installed as a validator".into()
        })
    }

    fn demo_spec(&self) -> SessionSpec {
        let now = self.world.chain.timestamp();
        SessionSpec {
            valid_after: now,
            valid_until: now + 3_600,
            max_uses: 5,
            fee_budget: U256::from(FEE_BUDGET_WEI),
            calls: vec![CallGrant {
                target: Target::Exact(self.world.token),
                selector: Selector::Exact(MockERC20::transferCall::SELECTOR.into()),
            }],
            tokens: vec![TokenAllowance {
                token: self.world.token,
                amount: tokens(100),
            }],
            salt: B256::from(rand::random::<[u8; 32]>()),
            ..SessionSpec::default()
        }
    }

    fn create_key(&mut self) -> anyhow::Result<()> {
        self.n
            .step("Create a session key with leash-keys (temporary data directory)");
        self.n.line(format!(
            "data dir: {} (deleted when the demo ends)",
            self.store_dir.path().display()
        ));
        self.n.line(
            "keystore password: an internal random value (never printed; the keystore is thrown away)",
        );
        let request = CreateRequest {
            label: "demo: pays MOCK".into(),
            account: self.world.account.address,
            chain_id: self.world.chain.chain_id(),
            entry_point: VERSION.canonical_address(),
            module: self.world.module,
            spec: self.demo_spec(),
        };
        let record = self.store.create_session(request, &self.password())?;
        self.n.line(format!("local id:   {}", record.local_id));
        self.n.line(format!("signer:     {}", record.signer));
        self.n.line(format!("session id: {}", record.session_id));
        self.n.line(format!(
            "grant: transfer() on MOCK, 100 MOCK over its life, {} uses, fee budget {} ETH",
            record.spec.max_uses,
            format_amount(record.spec.fee_budget)
        ));
        self.n.line(format!(
            "window: {} .. {} (one hour)",
            format_time(record.valid_after),
            format_time(record.valid_until)
        ));
        let keystore_file = self.store.keystore().path_of(&record.keystore_file)?;
        self.n.expect(keystore_file.exists(), || {
            "expected an encrypted key file in the keystore".into()
        })?;
        self.old = Some(record);
        Ok(())
    }

    fn old(&self) -> anyhow::Result<SessionRecord> {
        self.old
            .clone()
            .context("the first session was not created")
    }

    fn new_session(&self) -> anyhow::Result<SessionRecord> {
        self.new
            .clone()
            .context("the rotated session was not created")
    }

    fn grant_on_chain(&mut self) -> anyhow::Result<()> {
        self.n
            .step("Grant it on-chain (owner op: execute -> module.grantSession(session))");
        let old = self.old()?;
        let result = self
            .world
            .owner_calls_module(&[onchain::create_session_call(&old.spec)?])?;
        self.expect_accepted("grantSession", &result)?;
        let status = self.world.status(old.session_id)?;
        self.n.line(format!(
            "statusOf(account, {}) = {status} ({})",
            old.session_id,
            status_name(status)
        ));
        self.n.expect(status == ACTIVE, || {
            "expected the registry's session id to be active on-chain".into()
        })
    }

    fn transfer(&self, amount: U256) -> Execution {
        let data = MockERC20::transferCall {
            to: self.world.recipient,
            value: amount,
        }
        .abi_encode();
        Execution::new(self.world.token, U256::ZERO, data)
    }

    /// A session op running `calls`, signed with `record`'s key through the store (audited).
    fn signed_op(
        &mut self,
        record: &SessionRecord,
        calls: &[Execution],
    ) -> anyhow::Result<UserOperation> {
        let mut op = self.world.session_op(calls)?;
        let hash = self.world.user_op_hash(&op);
        let signed = self
            .store
            .sign_op(&record.local_id, hash, None, &self.password())?;
        op.signature = signed.envelope;
        Ok(op)
    }

    fn left_line(&mut self, record: &SessionRecord) -> anyhow::Result<onchain::Remaining> {
        let left = self.world.remaining(&record.spec)?;
        let tokens_left = left.tokensLeft.first().copied().unwrap_or_default();
        self.n.line(format!(
            "remainingOf(): {} MOCK, {} uses, fee budget {} ETH",
            format_amount(tokens_left),
            left.usesLeft,
            format_amount(left.feeLeft)
        ));
        Ok(left)
    }

    fn expect_left(
        &mut self,
        record: &SessionRecord,
        tokens_left: u64,
        uses_left: u64,
    ) -> anyhow::Result<()> {
        let left = self.left_line(record)?;
        let got = (left.tokensLeft.first().copied(), left.usesLeft);
        self.n.expect(
            got == (Some(tokens(tokens_left)), U256::from(uses_left)),
            || format!("expected {tokens_left} MOCK and {uses_left} uses left"),
        )
    }

    fn expect_received(&mut self, total: u64) -> anyhow::Result<()> {
        let received = self.world.balance(self.world.recipient)?;
        self.n.line(format!(
            "recipient {} holds {} MOCK",
            self.world.recipient,
            format_amount(received)
        ));
        self.n.expect(received == tokens(total), || {
            format!("expected the recipient to hold {total} MOCK")
        })
    }

    fn spend_batch(&mut self) -> anyhow::Result<()> {
        self.n
            .step("Spend 30 + 30 MOCK in ONE batch op signed by the session key");
        let old = self.old()?;
        let calls = [self.transfer(tokens(30)), self.transfer(tokens(30))];
        let op = self.signed_op(&old, &calls)?;
        self.n.line(format!(
            "op: execute(batch of 2 transfers), nonce {:#x}, signature = v1 envelope ({} bytes)",
            op.nonce,
            op.signature.len()
        ));
        let result = self.world.submit(&op)?;
        self.expect_accepted("batch op", &result)?;
        self.expect_received(60)?;
        self.expect_left(&old, 40, 4)
    }

    fn spend_single(&mut self) -> anyhow::Result<()> {
        self.n.step("Spend 30 MOCK in a single op");
        let old = self.old()?;
        let op = self.signed_op(&old, &[self.transfer(tokens(30))])?;
        let result = self.world.submit(&op)?;
        self.expect_accepted("single op", &result)?;
        self.expect_received(90)?;
        self.expect_left(&old, 10, 3)
    }

    fn overspend(&mut self) -> anyhow::Result<()> {
        self.n
            .step("Try to spend 20 MOCK more -> the module rejects it during validation");
        let old = self.old()?;
        let op = self.signed_op(&old, &[self.transfer(tokens(20))])?;
        let result = self.world.submit(&op)?;
        self.n.line(format!("rejected: {}", result.reason()));
        let error = result.module_error.clone();
        let (asked, left) = error
            .as_ref()
            .filter(|e| e.name == "TokenAllowanceExceeded")
            .map(|e| (e.uint("asked"), e.uint("left")))
            .unwrap_or((None, None));
        if let (Some(asked), Some(left)) = (asked, left) {
            self.n.line(format!(
                "TokenAllowanceExceeded: asked {} MOCK, left {} MOCK",
                format_amount(asked),
                format_amount(left)
            ));
        }
        self.n.expect(
            !result.accepted && asked == Some(tokens(20)) && left == Some(tokens(10)),
            || {
                format!(
                    "expected TokenAllowanceExceeded(asked 20, left 10), got: {}",
                    result.reason()
                )
            },
        )?;
        self.expect_received(90)?;
        self.expect_left(&old, 10, 3)
    }

    fn rotate(&mut self) -> anyhow::Result<()> {
        self.n
            .step("Rotate to a new key that gets only WHAT IS LEFT (never a bigger budget)");
        let old = self.old()?;
        // A backend that still holds the old key signs one more op before the rotation.
        let stale = self.signed_op(&old, &[self.transfer(tokens(5))])?;
        self.n.line(
            "a stale backend signed one more op with the old key (transfer 5 MOCK), kept for later",
        );
        self.stale_old_op = Some(stale);
        let left = self.world.remaining(&old.spec)?;
        let spec = carry_over(&old.spec, &left, B256::from(rand::random::<[u8; 32]>()))
            .map_err(anyhow::Error::msg)?;
        let request = CreateRequest {
            label: format!("demo: pays MOCK (rotated from {})", old.local_id),
            account: old.account,
            chain_id: old.chain_id,
            entry_point: old.entry_point,
            module: old.module,
            spec,
        };
        let new = self.store.create_session(request, &self.password())?;
        self.n.line(format!(
            "new key {} ({}): {} MOCK, {} uses, fee budget {} ETH, same window",
            new.signer,
            new.local_id,
            format_amount(new.spec.tokens[0].amount),
            new.spec.max_uses,
            format_amount(new.spec.fee_budget)
        ));
        let revoke_old = ISessionKeyValidator::revokeSessionCall {
            sessionId: old.session_id,
        }
        .abi_encode();
        let result = self.world.owner_calls_module(&[
            onchain::create_session_call(&new.spec)?,
            Bytes::from(revoke_old),
        ])?;
        self.expect_accepted(
            "owner op: batch [grantSession(new), revokeSession(old)]",
            &result,
        )?;
        let old = self.store.revoke(&old.local_id, "rotated")?;
        self.n.line(format!(
            "registry: {} {} (reason \"{}\"), {} {}",
            old.local_id,
            old.status,
            old.revoke_reason.as_deref().unwrap_or_default(),
            new.local_id,
            new.status
        ));
        let statuses = (
            self.world.status(old.session_id)?,
            self.world.status(new.session_id)?,
        );
        self.n.line(format!(
            "on-chain: old {}, new {}",
            status_name(statuses.0),
            status_name(statuses.1)
        ));
        self.n.expect(
            statuses == (REVOKED, ACTIVE)
                && new.spec.tokens[0].amount == tokens(10)
                && new.spec.max_uses == 3
                && new.spec.valid_until == old.spec.valid_until
                && new.spec.fee_budget == left.feeLeft,
            || {
                "expected old revoked, new active with 10 MOCK, 3 uses, the old window and fee left"
                    .into()
            },
        )?;
        self.old = Some(old);
        self.new = Some(new);
        Ok(())
    }

    fn old_key_refused(&mut self) -> anyhow::Result<()> {
        self.n
            .step("The old key is refused: by the registry, and on-chain");
        let old = self.old()?;
        let local = self.signed_op(&old, &[self.transfer(tokens(1))]);
        let local_error = match &local {
            Ok(_) => "signed".to_owned(),
            Err(error) => format!("{error:#}"),
        };
        self.n.line(format!("leash refuses to sign: {local_error}"));
        self.n
            .expect(local.is_err() && local_error.contains("revoked"), || {
                "expected the registry to refuse signing with the revoked key".into()
            })?;
        let stale = self.stale_old_op.take().context("no stale op was signed")?;
        let result = self.world.submit(&stale)?;
        self.n.line(format!(
            "the stale op signed before the rotation: rejected: {}",
            result.reason()
        ));
        let named = result.module_error.as_ref().is_some_and(|e| {
            e.name == "SessionIsRevoked" && e.word("sessionId") == Some(old.session_id)
        });
        self.n.expect(!result.accepted && named, || {
            format!(
                "expected SessionIsRevoked(old id), got: {}",
                result.reason()
            )
        })?;
        self.expect_received(90)
    }

    fn new_key_spends(&mut self) -> anyhow::Result<()> {
        self.n.step("The new key spends the 10 MOCK that were left");
        let new = self.new_session()?;
        let op = self.signed_op(&new, &[self.transfer(tokens(10))])?;
        let result = self.world.submit(&op)?;
        self.expect_accepted("op of the new key", &result)?;
        self.expect_received(100)?;
        self.expect_left(&new, 0, 2)
    }

    fn revoke_new(&mut self) -> anyhow::Result<()> {
        self.n.step(
            "Revoke the new session (on-chain and in the registry) -> its next op is rejected",
        );
        let new = self.new_session()?;
        // Signed while the session is active; a 0 MOCK transfer it would otherwise allow.
        let op = self.signed_op(&new, &[self.transfer(U256::ZERO)])?;
        let before = self.world.chain.snapshot();
        let dry_run = self.world.submit(&op)?;
        self.world.chain.restore(before);
        self.n.line(format!(
            "dry run before the revocation (transfer 0 MOCK): {}",
            if dry_run.accepted {
                "accepted"
            } else {
                "rejected"
            }
        ));
        self.n.expect(dry_run.accepted, || {
            format!(
                "expected the op to pass while the session is active, got: {}",
                dry_run.reason()
            )
        })?;
        let revoke = ISessionKeyValidator::revokeSessionCall {
            sessionId: new.session_id,
        }
        .abi_encode();
        let result = self.world.owner_calls_module(&[Bytes::from(revoke)])?;
        self.expect_accepted("owner op: revokeSession(new)", &result)?;
        let new = self.store.revoke(&new.local_id, "demo finished")?;
        self.n.line(format!(
            "registry: {} {} (reason \"{}\")",
            new.local_id,
            new.status,
            new.revoke_reason.as_deref().unwrap_or_default()
        ));
        let result = self.world.submit(&op)?;
        self.n
            .line(format!("the same op now: rejected: {}", result.reason()));
        let named = result.module_error.as_ref().is_some_and(|e| {
            e.name == "SessionIsRevoked" && e.word("sessionId") == Some(new.session_id)
        });
        self.n.expect(
            !result.accepted && named && new.status == Status::Revoked,
            || {
                format!(
                    "expected SessionIsRevoked(new id), got: {}",
                    result.reason()
                )
            },
        )
    }

    fn verify_audit(&mut self) -> anyhow::Result<u64> {
        self.n.step("Verify the temporary store's audit log");
        let report = self.store.audit_verify(None)?;
        let head = report
            .head
            .map(|head| head.to_string())
            .unwrap_or_else(|| "empty".to_owned());
        self.n.line(format!(
            "audit verify: {} entries, {}; head {head}",
            report.entries,
            if report.is_intact() {
                "intact"
            } else {
                "BROKEN"
            }
        ));
        let actions: Vec<String> = self
            .store
            .audit_entries(None)?
            .into_iter()
            .map(|entry| entry.action)
            .collect();
        self.n.line(format!("actions: {}", actions.join(", ")));
        self.n
            .expect(report.is_intact() && report.entries > 0, || {
                format!(
                    "expected an intact, non-empty audit log, got: {}",
                    report
                        .problem
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "no entries".into())
                )
            })?;
        Ok(report.entries)
    }
}
