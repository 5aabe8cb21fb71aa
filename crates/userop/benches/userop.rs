//! User operations built, packed, hashed and signed per second, for each EntryPoint version.

use alloy::primitives::{address, Bytes, U256};
use criterion::{Criterion, Throughput};
use leash_userop::erc7579::{execute_single, validator_nonce};
use leash_userop::{EntryPointVersion, SigningKey, UserOperation};
use std::hint::black_box;

fn build_pack_hash_sign(key: &SigningKey, version: EntryPointVersion, sequence: u64) -> Bytes {
    let mut op = UserOperation::builder()
        .sender(address!("0x1111111111111111111111111111111111111111"))
        .nonce(validator_nonce(
            address!("0x2222222222222222222222222222222222222222"),
            0,
            sequence,
        ))
        .call_data(execute_single(
            address!("0x3333333333333333333333333333333333333333"),
            U256::from(1_000u64),
            [0xa9, 0x05, 0x9c, 0xbb],
        ))
        .call_gas_limit(100_000)
        .verification_gas_limit(300_000)
        .pre_verification_gas(60_000)
        .max_fee_per_gas(30_000_000_000u64)
        .max_priority_fee_per_gas(1_000_000_000u64)
        .paymaster(address!("0x4444444444444444444444444444444444444444"))
        .paymaster_verification_gas_limit(50_000)
        .paymaster_post_op_gas_limit(20_000)
        .paymaster_data(vec![0x55; 64])
        .build()
        .expect("benchmark op is consistent");
    op.sign_with(key, version, version.canonical_address(), 11_155_111);
    let packed = op.pack();
    packed.signature
}

fn bench_userops(c: &mut Criterion) {
    let key = SigningKey::from_slice(&[0x42; 32]).expect("valid secret key");
    let mut group = c.benchmark_group("userop_build_pack_hash_sign");
    group.throughput(Throughput::Elements(1));
    for version in EntryPointVersion::ALL {
        group.bench_function(version.as_str(), |b| {
            let mut sequence = 0u64;
            b.iter(|| {
                sequence = sequence.wrapping_add(1);
                black_box(build_pack_hash_sign(&key, version, black_box(sequence)))
            });
        });
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_userops(&mut criterion);
    criterion.final_summary();
}
