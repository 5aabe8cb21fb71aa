//! Owner-signed user operations through `handleOps` per second, one op per `handleOps`, on
//! EntryPoint v0.7 and v0.8. Each op is an ERC-20 transfer by a `TestAccount` with a fresh
//! nonce; building and signing the ops is outside the timed section.

// `criterion_group!` expands to a public function without documentation.
#![allow(missing_docs)]

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leash_contracts::bindings::mocks::MockERC20;
use leash_evm::{Chain, TestAccountHandle};
use leash_userop::{erc7579::execute_single, EntryPointVersion, PackedUserOperation, SigningKey};
use std::time::{Duration, Instant};

const BENEFICIARY: Address = Address::repeat_byte(0xbe);

struct Setup {
    chain: Chain,
    account: TestAccountHandle,
    token: Address,
}

fn setup(version: EntryPointVersion) -> Setup {
    let mut chain = Chain::new().expect("chain");
    let validator = chain.deploy_owner_validator().expect("validator");
    let owner = SigningKey::from_slice(&[0x42; 32]).expect("key");
    let account = chain
        .deploy_test_account(version, validator, &owner)
        .expect("account");
    let token = chain.deploy_mock_erc20().expect("token");
    chain
        .mint(token, account.address, U256::from(u128::MAX))
        .expect("mint");
    Setup {
        chain,
        account,
        token,
    }
}

/// `count` signed transfer ops with consecutive nonces, starting at the account's next one.
fn next_ops(setup: &Setup, count: u64) -> Vec<PackedUserOperation> {
    let transfer = MockERC20::transferCall {
        to: Address::repeat_byte(0x77),
        value: U256::from(1),
    };
    let call_data = execute_single(setup.token, U256::ZERO, transfer.abi_encode());
    let version = setup.account.version;
    let template = setup
        .chain
        .owner_user_operation(&setup.account, call_data)
        .expect("op");
    (0..count)
        .map(|offset| {
            let mut op = template.clone();
            op.nonce += U256::from(offset);
            op.sign_with(
                &setup.account.owner_key,
                version,
                version.canonical_address(),
                setup.chain.chain_id(),
            );
            op.pack()
        })
        .collect()
}

fn handle_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("handle_ops");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    for version in EntryPointVersion::ALL {
        let mut setup = setup(version);
        group.bench_function(format!("owner_erc20_transfer_{version}"), |b| {
            b.iter_custom(|iterations| {
                let ops = next_ops(&setup, iterations);
                let start = Instant::now();
                for op in ops {
                    let outcome = setup
                        .chain
                        .handle_ops(version, std::slice::from_ref(&op), BENEFICIARY)
                        .expect("tx");
                    assert!(outcome.all_ops_succeeded(), "{:?}", outcome.revert);
                }
                let elapsed: Duration = start.elapsed();
                elapsed
            });
        });
    }
    group.finish();
}

criterion_group!(benches, handle_ops);
criterion_main!(benches);
