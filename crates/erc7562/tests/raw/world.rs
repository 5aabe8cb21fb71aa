//! A revm world with a mock EntryPoint that opens validation phases like `handleOps`.

use super::asm::Asm;
use alloy_primitives::{address, Address, Bytes, U256};
use leash_erc7562::{Erc7562Inspector, Violation};
use revm::bytecode::opcode as op;
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::{AccountInfo, Bytecode};
use revm::{Context, InspectEvm, MainBuilder, MainContext};

pub(crate) const BUNDLER: Address = address!("0x00000000000000000000000000000000000b0b00");
pub(crate) const ENTRY_POINT: Address = address!("0x0000000000000000000000000000000000e47e47");
pub(crate) const ACCOUNT: Address = address!("0x000000000000000000000000000000000000acc0");
pub(crate) const TOKEN: Address = address!("0x0000000000000000000000000000000000070c3e");
pub(crate) const PAYMASTER: Address = address!("0x00000000000000000000000000000000000047a1");
pub(crate) const SENDER_CREATOR: Address = address!("0x0000000000000000000000000000000000005c5c");
pub(crate) const FACTORY: Address = address!("0x000000000000000000000000000000000000fac7");
pub(crate) const NOBODY: Address = address!("0x0000000000000000000000000000000000000b0d");

/// A call the mock EntryPoint makes from its `handleOps` frame.
pub(crate) struct PhaseCall {
    pub(crate) to: Address,
    pub(crate) calldata: Vec<u8>,
}

/// `validateUserOp` on `sender` (the account never reads its arguments here).
pub(crate) fn validate_user_op(sender: Address) -> PhaseCall {
    PhaseCall {
        to: sender,
        calldata: leash_erc7562::VALIDATE_USER_OP.to_vec(),
    }
}

/// `validatePaymasterUserOp(userOp, ...)` with `userOp.sender == sender`.
pub(crate) fn validate_paymaster_user_op(paymaster: Address, sender: Address) -> PhaseCall {
    let mut calldata = leash_erc7562::VALIDATE_PAYMASTER_USER_OP.to_vec();
    calldata.extend_from_slice(&U256::from(0x60).to_be_bytes::<32>());
    calldata.extend_from_slice(&[0u8; 64]);
    calldata.extend_from_slice(sender.into_word().as_slice());
    PhaseCall {
        to: paymaster,
        calldata,
    }
}

/// `createSender(initCode)` on the SenderCreator (the mock ignores the argument).
pub(crate) fn create_sender() -> PhaseCall {
    PhaseCall {
        to: SENDER_CREATOR,
        calldata: leash_erc7562::CREATE_SENDER.to_vec(),
    }
}

/// Code for the mock EntryPoint. Called by the bundler, it makes `phases` in order, then
/// an "execution" self-call in which it calls `ACCOUNT` again with the `validateUserOp`
/// selector (as a user's callData could); called by anyone else it just stops (it accepts
/// deposits and any other call).
fn entry_point_code(phases: &[PhaseCall]) -> Bytes {
    let mut asm = Asm::new()
        .ops(&[op::CALLER])
        .push_address(BUNDLER)
        .ops(&[op::EQ])
        .push_label("handle_ops")
        .ops(&[op::JUMPI, op::CALLER, op::ADDRESS, op::EQ])
        .push_label("inner")
        .ops(&[op::JUMPI, op::STOP])
        .label("handle_ops")
        // The EntryPoint's own environment reads are out of scope.
        .ops(&[op::TIMESTAMP, op::POP]);
    for phase in phases {
        asm = asm.call_with(op::CALL, phase.to, 0, &phase.calldata);
    }
    asm.call_with(op::CALL, ENTRY_POINT, 0, &[0x00, 0x42, 0xdc, 0x53])
        .ops(&[op::STOP])
        .label("inner")
        .call_with(op::CALL, ACCOUNT, 0, &leash_erc7562::VALIDATE_USER_OP)
        .ops(&[op::STOP])
        .build()
}

/// A world of contracts; run with [`World::run`].
pub(crate) struct World {
    db: CacheDB<EmptyDB>,
    spec: SpecId,
}

impl World {
    pub(crate) fn new() -> Self {
        let mut world = Self {
            db: CacheDB::default(),
            spec: SpecId::OSAKA,
        };
        world.fund(BUNDLER, U256::from(10u64.pow(18)));
        world
    }

    pub(crate) fn with_code(mut self, address: Address, code: Bytes) -> Self {
        self.db.insert_account_info(
            address,
            AccountInfo::from_bytecode(Bytecode::new_raw(code))
                .with_balance(U256::from(10u64.pow(18))),
        );
        self
    }

    /// Runs under hardfork `spec` instead of Osaka.
    pub(crate) fn spec(mut self, spec: SpecId) -> Self {
        self.spec = spec;
        self
    }

    fn fund(&mut self, address: Address, balance: U256) {
        self.db
            .insert_account_info(address, AccountInfo::default().with_balance(balance));
    }

    /// Runs one bundle in which the mock EntryPoint makes `phases`; returns the violations.
    pub(crate) fn run(self, phases: &[PhaseCall]) -> Vec<Violation> {
        let world = self.with_code(ENTRY_POINT, entry_point_code(phases));
        let spec = world.spec;
        let mut evm = Context::mainnet()
            .modify_cfg_chained(|cfg| cfg.set_spec_and_mainnet_gas_params(spec))
            .with_db(world.db)
            .build_mainnet_with_inspector(Erc7562Inspector::new(ENTRY_POINT));
        let tx = TxEnv::builder()
            .caller(BUNDLER)
            .kind(TxKind::Call(ENTRY_POINT))
            .gas_limit(5_000_000)
            .build_fill();
        let result = evm.inspect_one_tx(tx).expect("the bundle runs");
        assert!(
            result.is_success(),
            "the bundle transaction succeeds: {result:?}"
        );
        evm.inspector.violations().to_vec()
    }
}

/// The rule ids of `violations`, in order.
pub(crate) fn rules(violations: &[Violation]) -> Vec<&'static str> {
    violations.iter().map(Violation::rule_id).collect()
}
