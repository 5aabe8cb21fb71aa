//! ERC-7579 encodings against bytes computed by hand from the ABI rules.

use alloy::primitives::{address, hex, Address, Bytes, U256};
use leash_userop::erc7579::{
    encode_batch, encode_mode, encode_single, execute_batch, execute_call_data, execute_single,
    nonce_validator, validator_nonce, CallType, ExecType, Execution, EXECUTE_SELECTOR,
};

const TARGET_A: Address = address!("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const TARGET_B: Address = address!("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");

fn word(hex_text: &str) -> String {
    format!("{hex_text:0>64}")
}

#[test]
fn mode_bytes() {
    let cases = [
        (CallType::Single, ExecType::Default, "00"),
        (CallType::Single, ExecType::Try, "0001"),
        (CallType::Batch, ExecType::Default, "01"),
        (CallType::Batch, ExecType::Try, "0101"),
        (CallType::DelegateCall, ExecType::Default, "ff"),
    ];
    for (call, exec, prefix) in cases {
        let expected = format!("{prefix:0<64}");
        assert_eq!(
            hex::encode(encode_mode(call, exec)),
            expected,
            "{call:?} {exec:?}"
        );
    }
}

#[test]
fn selector_is_execute_bytes32_bytes() {
    assert_eq!(EXECUTE_SELECTOR, [0xe9, 0xae, 0x5c, 0x53]);
    assert_eq!(
        alloy::primitives::keccak256("execute(bytes32,bytes)")[..4],
        EXECUTE_SELECTOR
    );
}

#[test]
fn single_is_packed_target_value_data() {
    let encoded = encode_single(TARGET_A, U256::from(0x1234u64), [0xde, 0xad]);
    let expected = format!("{}{}dead", "aa".repeat(20), word("1234"));
    assert_eq!(hex::encode(&encoded), expected);
    assert_eq!(encoded.len(), 20 + 32 + 2);
}

#[test]
fn execute_single_wraps_in_execute() {
    let call = execute_single(TARGET_A, U256::from(1u64), [0xde, 0xad]);
    let inner = format!("{}{}dead", "aa".repeat(20), word("1"));
    let expected = format!(
        "e9ae5c53{mode}{offset}{len}{inner}{pad}",
        mode = word("0"),
        offset = word("40"),
        len = word("36"), // 20 + 32 + 2 = 54 bytes
        pad = "0".repeat(2 * (64 - 54)),
    );
    assert_eq!(hex::encode(&call), expected);
}

#[test]
fn batch_of_two_is_abi_encoded_tuple_array() {
    let executions = [
        Execution::new(TARGET_A, U256::from(1u64), vec![0x11, 0x22, 0x33, 0x44]),
        Execution::new(TARGET_B, U256::ZERO, Bytes::new()),
    ];
    // abi.encode(Execution[]): offset of the array, its length, offsets of the two tuples
    // (relative to the start of the offsets), then each tuple (address, value, offset of
    // bytes = 0x60, bytes length, bytes padded to 32).
    let expected = [
        word("20"),
        word("2"),
        word("40"),
        word("e0"), // first tuple: 3 head words + length + 1 data word = 0xa0 bytes after 0x40
        word(&"aa".repeat(20)),
        word("1"),
        word("60"),
        word("4"),
        format!("{:0<64}", "11223344"),
        word(&"bb".repeat(20)),
        word("0"),
        word("60"),
        word("0"),
    ]
    .concat();
    assert_eq!(hex::encode(encode_batch(&executions)), expected);

    let call = execute_batch(&executions);
    let batch_len = expected.len() / 2;
    let batch_mode = format!("{:0<64}", "01");
    let batch_len = word(&format!("{batch_len:x}"));
    let wrapped = ["e9ae5c53", &batch_mode, &word("40"), &batch_len, &expected].concat();
    assert_eq!(hex::encode(&call), wrapped);
}

#[test]
fn empty_batch_encodes_an_empty_array() {
    assert_eq!(
        hex::encode(encode_batch(&[])),
        [word("20"), word("0")].concat()
    );
}

#[test]
fn execute_call_data_takes_any_mode() {
    let mode = encode_mode(CallType::Single, ExecType::Try);
    let call = execute_call_data(mode, Bytes::new());
    assert_eq!(
        hex::encode(&call),
        format!("e9ae5c53{:0<64}{}{}", "0001", word("40"), word("0"))
    );
}

#[test]
fn validator_nonce_layout() {
    let validator = address!("0x0102030405060708090a0b0c0d0e0f1011121314");
    let nonce = validator_nonce(validator, 0xa1b2c3d4, 0x0011223344556677);
    assert_eq!(
        hex::encode(nonce.to_be_bytes::<32>()),
        "0102030405060708090a0b0c0d0e0f1011121314a1b2c3d40011223344556677"
    );
    assert_eq!(nonce_validator(nonce), validator);
    // The EntryPoint's nonce key is the upper 192 bits: validator ‖ key.
    assert_eq!(nonce >> 64, validator_nonce(validator, 0xa1b2c3d4, 0) >> 64);
    assert_eq!(validator_nonce(Address::ZERO, 0, 0), U256::ZERO);
    assert_eq!(
        validator_nonce(Address::ZERO, 0, u64::MAX),
        U256::from(u64::MAX)
    );
}
