//! The inspector on hand-built contracts in plain revm: one rule per test, with the
//! EntryPoint replaced by a mock that opens the phases the way `handleOps` does.

mod raw;

use alloy_primitives::{Address, U256};
use leash_erc7562::{Phase, Site, Violation};
use raw::asm::{deployer, Asm};
use raw::world::*;
use revm::bytecode::opcode as op;
use revm::primitives::hardfork::SpecId;

fn account(asm: Asm) -> World {
    World::new().with_code(ACCOUNT, asm.ops(&[op::STOP]).build())
}

/// Code that stops: a contract the others may call.
fn stop() -> alloy_primitives::Bytes {
    Asm::new().ops(&[op::STOP]).build()
}

/// Code that `op`s the slot `keccak(pad32(CALLER) ‖ 0) + offset`, the way Solidity reaches
/// `mapping(address => ...)[msg.sender]`.
fn touch_caller_slot(opcode: u8, offset: u64) -> alloy_primitives::Bytes {
    let asm = Asm::new()
        .ops(&[op::CALLER])
        .push_n(0)
        .ops(&[op::MSTORE])
        .push_n(0)
        .push_n(32)
        .ops(&[op::MSTORE])
        .push_n(64)
        .push_n(0)
        .ops(&[op::KECCAK256])
        .push_n(offset)
        .ops(&[op::ADD]);
    let asm = if opcode == op::SSTORE {
        asm.push_n(1).ops(&[op::SWAP1, op::SSTORE])
    } else {
        asm.ops(&[opcode, op::POP])
    };
    asm.ops(&[op::STOP]).build()
}

fn account_site(depth: usize) -> Site {
    Site {
        address: ACCOUNT,
        depth,
        phase: Phase::Account,
    }
}

#[test]
fn timestamp_in_validation_is_op_011_and_execution_is_ignored() {
    let violations =
        account(Asm::new().ops(&[op::TIMESTAMP, op::POP])).run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        violations,
        [Violation::BannedOpcode {
            opcode: op::TIMESTAMP,
            site: account_site(1)
        }]
    );
    assert_eq!(
        violations[0].to_string(),
        format!("OP-011 TIMESTAMP at {ACCOUNT} (depth 1, account validation)")
    );
}

#[test]
fn every_environment_opcode_is_op_011() {
    for opcode in [
        op::ORIGIN,
        op::GASPRICE,
        op::COINBASE,
        op::TIMESTAMP,
        op::NUMBER,
        op::DIFFICULTY,
        op::GASLIMIT,
        op::BASEFEE,
        op::BLOBBASEFEE,
    ] {
        let violations =
            account(Asm::new().ops(&[opcode, op::POP])).run(&[validate_user_op(ACCOUNT)]);
        assert_eq!(rules(&violations), ["OP-011"], "opcode {opcode:#x}");
    }
    let blockhash = account(Asm::new().push_n(1).ops(&[op::BLOCKHASH, op::POP]));
    assert_eq!(
        rules(&blockhash.run(&[validate_user_op(ACCOUNT)])),
        ["OP-011"]
    );
}

#[test]
fn balance_is_op_080() {
    let violations = account(
        Asm::new()
            .ops(&[op::SELFBALANCE, op::POP])
            .push_address(TOKEN)
            .ops(&[op::BALANCE, op::POP]),
    )
    .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&violations), ["OP-080", "OP-080"]);
}

#[test]
fn gas_must_feed_a_call() {
    let dangling = account(Asm::new().ops(&[op::GAS, op::POP])).run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        dangling,
        [Violation::GasNotFollowedByCall {
            next: Some(op::POP),
            site: account_site(1)
        }]
    );
    // revm pads code with STOP, which then follows GAS.
    let last = World::new()
        .with_code(ACCOUNT, Asm::new().ops(&[op::GAS]).build())
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        last,
        [Violation::GasNotFollowedByCall {
            next: Some(op::STOP),
            site: account_site(1)
        }]
    );
    let feeding = account(Asm::new().call(op::STATICCALL, TOKEN, 0, 0))
        .with_code(TOKEN, stop())
        .run(&[validate_user_op(ACCOUNT)]);
    assert!(feeding.is_empty(), "{feeding:?}");
}

#[test]
fn unassigned_opcode_is_op_013() {
    let violations = World::new()
        .with_code(ACCOUNT, Asm::new().ops(&[0x0c]).build())
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&violations), ["OP-013"]);
}

#[test]
fn running_out_of_gas_is_op_020() {
    // The account gives a spinning contract 1000 gas.
    let spin = Asm::new()
        .label("top")
        .push_label("top")
        .ops(&[op::JUMP])
        .build();
    let account_code = Asm::new()
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .push_address(TOKEN)
        .push_n(1000)
        .ops(&[op::STATICCALL, op::POP, op::STOP])
        .build();
    let violations = World::new()
        .with_code(ACCOUNT, account_code)
        .with_code(TOKEN, spin)
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        violations,
        [Violation::OutOfGas {
            site: Site {
                address: TOKEN,
                depth: 2,
                phase: Phase::Account
            }
        }]
    );
}

#[test]
fn own_and_associated_storage_pass() {
    let violations = account(
        Asm::new()
            .push_n(1)
            .push_n(7)
            .ops(&[op::SSTORE])
            .call(op::CALL, TOKEN, 0, 0)
            .call(op::CALL, PAYMASTER, 0, 0),
    )
    .with_code(TOKEN, touch_caller_slot(op::SSTORE, 0))
    .with_code(PAYMASTER, touch_caller_slot(op::TLOAD, 127))
    .run(&[validate_user_op(ACCOUNT)]);
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn unassociated_storage_is_sto_021_for_writes_and_sto_033_for_reads() {
    let write = account(Asm::new().call(op::CALL, TOKEN, 0, 0))
        .with_code(
            TOKEN,
            Asm::new()
                .push_n(1)
                .push_n(1)
                .ops(&[op::SSTORE, op::STOP])
                .build(),
        )
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&write), ["STO-021"]);
    let past_range = account(Asm::new().call(op::CALL, TOKEN, 0, 0))
        .with_code(TOKEN, touch_caller_slot(op::SSTORE, 128))
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&past_range), ["STO-021"]);
    let read = account(Asm::new().call(op::STATICCALL, TOKEN, 0, 0))
        .with_code(
            TOKEN,
            Asm::new().push_n(3).ops(&[op::SLOAD, op::STOP]).build(),
        )
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&read), ["STO-033"]);
    let Violation::UnassociatedStorageRead { access, site } = &read[0] else {
        panic!("expected a read violation, got {read:?}");
    };
    assert_eq!(
        (access.contract, access.slot, site.depth),
        (TOKEN, U256::from(3), 2)
    );
}

#[test]
fn calls_to_addresses_without_code_are_op_041() {
    let violations =
        account(Asm::new().call(op::CALL, NOBODY, 0, 0)).run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        violations,
        [Violation::CodelessAccess {
            target: NOBODY,
            opcode: op::CALL,
            site: account_site(1)
        }]
    );
    let extcode = account(
        Asm::new()
            .push_address(NOBODY)
            .ops(&[op::EXTCODESIZE, op::POP]),
    )
    .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&extcode), ["OP-041"]);
    let with_code = account(
        Asm::new()
            .push_address(TOKEN)
            .ops(&[op::EXTCODEHASH, op::POP]),
    )
    .with_code(TOKEN, stop())
    .run(&[validate_user_op(ACCOUNT)]);
    assert!(with_code.is_empty(), "{with_code:?}");
}

#[test]
fn core_precompiles_pass_and_others_are_op_062() {
    let precompile = |n: u8| {
        let mut bytes = [0u8; 20];
        bytes[19] = n;
        Address::from(bytes)
    };
    let sha256 = account(Asm::new().call(op::STATICCALL, precompile(2), 0, 0))
        .run(&[validate_user_op(ACCOUNT)]);
    assert!(sha256.is_empty(), "{sha256:?}");
    let point_evaluation = account(Asm::new().call(op::STATICCALL, precompile(0x0a), 0, 0))
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&point_evaluation), ["OP-062"]);
    let mut p256 = [0u8; 20];
    p256[18] = 1;
    let p256 = Address::from(p256);
    let with_p256 =
        account(Asm::new().call(op::STATICCALL, p256, 0, 0)).run(&[validate_user_op(ACCOUNT)]);
    assert!(
        with_p256.is_empty(),
        "Osaka has the secp256r1 precompile: {with_p256:?}"
    );
    let without_p256 = account(Asm::new().call(op::STATICCALL, p256, 0, 0))
        .spec(SpecId::CANCUN)
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        rules(&without_p256),
        ["OP-041"],
        "Cancun has no code at 0x100"
    );
    let size_of_ecrecover = account(
        Asm::new()
            .push_address(precompile(1))
            .ops(&[op::EXTCODESIZE, op::POP]),
    )
    .run(&[validate_user_op(ACCOUNT)]);
    assert!(size_of_ecrecover.is_empty(), "{size_of_ecrecover:?}");
}

#[test]
fn value_to_anything_but_the_entry_point_is_op_061() {
    let violations = account(Asm::new().call(op::CALL, TOKEN, 5, 0))
        .with_code(TOKEN, stop())
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        violations,
        [Violation::CallWithValue {
            target: TOKEN,
            value: U256::from(5),
            site: account_site(1)
        }]
    );
    let prefund =
        account(Asm::new().call(op::CALL, ENTRY_POINT, 5, 0)).run(&[validate_user_op(ACCOUNT)]);
    assert!(prefund.is_empty(), "{prefund:?}");
}

#[test]
fn entry_point_access_is_op_054_except_deposits() {
    let deposit_to = |beneficiary: Address| {
        let mut data = leash_erc7562::DEPOSIT_TO.to_vec();
        data.extend_from_slice(beneficiary.into_word().as_slice());
        data
    };
    let deposit = account(Asm::new().call_with(op::CALL, ENTRY_POINT, 3, &deposit_to(ACCOUNT)))
        .run(&[validate_user_op(ACCOUNT)]);
    assert!(deposit.is_empty(), "{deposit:?}");
    let other_deposit = account(Asm::new().call_with(op::CALL, ENTRY_POINT, 3, &deposit_to(TOKEN)))
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&other_deposit), ["OP-054"]);
    let balance_of =
        account(Asm::new().call_with(op::STATICCALL, ENTRY_POINT, 0, &[0x70, 0xa0, 0x82, 0x31]))
            .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        balance_of,
        [Violation::EntryPointAccess {
            opcode: op::STATICCALL,
            selector: Some([0x70, 0xa0, 0x82, 0x31]),
            site: account_site(1)
        }]
    );
    let size_check =
        account(
            Asm::new()
                .push_address(ENTRY_POINT)
                .ops(&[op::EXTCODESIZE, op::ISZERO, op::POP]),
        )
        .run(&[validate_user_op(ACCOUNT)]);
    assert!(size_check.is_empty(), "{size_check:?}");
    let size_read = account(
        Asm::new()
            .push_address(ENTRY_POINT)
            .ops(&[op::EXTCODESIZE, op::POP]),
    )
    .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&size_read), ["OP-054"]);
    let hash = account(
        Asm::new()
            .push_address(ENTRY_POINT)
            .ops(&[op::EXTCODEHASH, op::POP]),
    )
    .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&hash), ["OP-054"]);
}

#[test]
fn paymaster_phase_is_checked_with_its_own_entity() {
    let paymaster = Asm::new()
        .push_n(0)
        .ops(&[op::SLOAD, op::POP, op::NUMBER, op::POP])
        .call(op::CALL, TOKEN, 0, 0)
        .ops(&[op::STOP])
        .build();
    let violations = account(Asm::new())
        .with_code(PAYMASTER, paymaster)
        .with_code(TOKEN, touch_caller_slot(op::SLOAD, 0))
        .run(&[
            validate_user_op(ACCOUNT),
            validate_paymaster_user_op(PAYMASTER, ACCOUNT),
        ]);
    let site = Site {
        address: PAYMASTER,
        depth: 1,
        phase: Phase::Paymaster,
    };
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert_eq!(
        violations[0],
        Violation::BannedOpcode {
            opcode: op::NUMBER,
            site
        }
    );
    // The paymaster's own slot 0, then the token's slot associated with the paymaster.
    assert_eq!(rules(&violations[1..]), ["STO-031", "STO-032"]);
}

#[test]
fn deployment_may_create_the_sender_but_its_associated_storage_needs_a_staked_factory() {
    let account_runtime = Asm::new()
        .call(op::CALL, TOKEN, 0, 0)
        .ops(&[op::STOP])
        .build();
    let init_code = deployer(&account_runtime);
    let salt = [0u8; 32];
    let sender = FACTORY.create2(salt, alloy_primitives::keccak256(&init_code));
    // The factory CREATE2s the account and returns its address.
    let mut factory = Asm::new()
        .store(&init_code)
        .push(&salt)
        .push_n(init_code.len() as u64)
        .push_n(0)
        .push_n(0)
        .ops(&[
            op::CREATE2,
            op::PUSH1,
            0,
            op::MSTORE,
            op::PUSH1,
            32,
            op::PUSH1,
            0,
            op::RETURN,
        ]);
    factory = factory.ops(&[]);
    // The SenderCreator calls the factory and returns its answer.
    let sender_creator = Asm::new()
        .push_n(32)
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .push_address(FACTORY)
        .ops(&[op::GAS, op::CALL, op::POP])
        .push_n(32)
        .push_n(0)
        .ops(&[op::RETURN])
        .build();
    let violations = World::new()
        .with_code(SENDER_CREATOR, sender_creator)
        .with_code(FACTORY, factory.build())
        .with_code(TOKEN, touch_caller_slot(op::SLOAD, 0))
        .run(&[create_sender(), validate_user_op(sender)]);
    assert_eq!(violations.len(), 1, "{violations:?}");
    let Violation::AssociatedStorageDuringDeployment { access, site } = &violations[0] else {
        panic!("expected STO-022, got {violations:?}");
    };
    assert_eq!((access.contract, site.phase), (TOKEN, Phase::Account));
}

#[test]
fn deployment_checks_the_factory() {
    // A factory that reads its own storage, creates something else with CREATE, and
    // returns an address it did not create.
    let factory = Asm::new()
        .push_n(0)
        .ops(&[op::SLOAD, op::POP])
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .ops(&[op::CREATE, op::POP])
        .push_address(ACCOUNT)
        .push_n(0)
        .ops(&[op::MSTORE])
        .push_n(32)
        .push_n(0)
        .ops(&[op::RETURN])
        .build();
    let sender_creator = Asm::new()
        .push_n(32)
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .push_n(0)
        .push_address(FACTORY)
        .ops(&[op::GAS, op::CALL, op::POP])
        .push_n(32)
        .push_n(0)
        .ops(&[op::RETURN])
        .build();
    let violations = account(Asm::new())
        .with_code(SENDER_CREATOR, sender_creator)
        .with_code(FACTORY, factory)
        .run(&[create_sender(), validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&violations), ["STO-031", "OP-011"]);
    assert!(violations
        .iter()
        .all(|v| v.site().phase == Phase::Deployment));
}

#[test]
fn transient_storage_follows_the_storage_rules() {
    let foreign = account(Asm::new().call(op::CALL, TOKEN, 0, 0))
        .with_code(
            TOKEN,
            Asm::new()
                .push_n(1)
                .push_n(9)
                .ops(&[op::TSTORE, op::STOP])
                .build(),
        )
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(rules(&foreign), ["STO-021"]);
    let associated = account(Asm::new().call(op::CALL, TOKEN, 0, 0))
        .with_code(TOKEN, touch_caller_slot(op::TLOAD, 3))
        .run(&[validate_user_op(ACCOUNT)]);
    assert!(associated.is_empty(), "{associated:?}");
}

#[test]
fn delegatecalled_code_writes_the_accounts_own_storage() {
    // A library running in the account's context writes the account's storage (STO-010),
    // and its environment reads are reported at the account.
    let violations = account(Asm::new().call(op::DELEGATECALL, TOKEN, 0, 0))
        .with_code(
            TOKEN,
            Asm::new()
                .push_n(1)
                .push_n(1)
                .ops(&[op::SSTORE, op::ORIGIN, op::POP, op::STOP])
                .build(),
        )
        .run(&[validate_user_op(ACCOUNT)]);
    assert_eq!(
        violations,
        [Violation::BannedOpcode {
            opcode: op::ORIGIN,
            site: account_site(2)
        }]
    );
}
