//! `handle_ops_with_inspector` runs the same transaction with an inspector watching.

mod common;

use alloy::{primitives::U256, sol_types::SolCall};
use common::{world, BENEFICIARY};
use leash_contracts::bindings::mocks::MockERC20;
use leash_evm::inspect::{interpreter_types::Jumps, ChainContext, Inspector, Interpreter};
use leash_userop::{erc7579::execute_single, EntryPointVersion};

/// Counts executed opcodes and the `CALL`s (0xf1) among them.
#[derive(Default)]
struct OpcodeCounter {
    steps: u64,
    calls: u64,
}

impl Inspector<ChainContext> for OpcodeCounter {
    fn step(&mut self, interp: &mut Interpreter, _context: &mut ChainContext) {
        self.steps += 1;
        if interp.bytecode.opcode() == 0xf1 {
            self.calls += 1;
        }
    }
}

#[test]
fn inspector_sees_the_handle_ops_transaction() {
    for version in EntryPointVersion::ALL {
        let mut w = world(version);
        let transfer = MockERC20::transferCall {
            to: BENEFICIARY,
            value: U256::from(3),
        };
        let op = w
            .chain
            .owner_op(
                &w.account,
                execute_single(w.token, U256::ZERO, transfer.abi_encode()),
            )
            .unwrap();
        let mut counter = OpcodeCounter::default();
        let outcome = w
            .chain
            .handle_ops_with_inspector(version, &[op], BENEFICIARY, &mut counter)
            .unwrap();
        assert!(
            outcome.all_ops_succeeded(),
            "{version}: {:?}",
            outcome.revert
        );
        assert!(
            counter.steps > 1_000,
            "{version}: only {} steps seen",
            counter.steps
        );
        assert_eq!(
            w.chain.erc20_balance(w.token, BENEFICIARY).unwrap(),
            U256::from(3)
        );
    }
}
