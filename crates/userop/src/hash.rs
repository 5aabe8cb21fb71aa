//! userOpHash for EntryPoint v0.7 (nested `abi.encode`) and v0.8 (EIP-712).
//!
//! Both hashes cover every field but the signature; each is bound to one EntryPoint and one
//! chain so that a signature can't be replayed elsewhere.

use crate::PackedUserOperation;
use alloy::primitives::{address, keccak256, Address, B256, U256};
use std::sync::LazyLock;

/// The EIP-712 type string of `PackedUserOperation` in EntryPoint v0.8.
pub const PACKED_USER_OP_TYPE: &str = "PackedUserOperation(address sender,uint256 nonce,\
bytes initCode,bytes callData,bytes32 accountGasLimits,uint256 preVerificationGas,\
bytes32 gasFees,bytes paymasterAndData)";

/// The EIP-712 type string of the domain used by EntryPoint v0.8.
const EIP712_DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

/// EIP-712 domain name of EntryPoint v0.8.
pub const EIP712_DOMAIN_NAME: &str = "ERC4337";
/// EIP-712 domain version of EntryPoint v0.8.
pub const EIP712_DOMAIN_VERSION: &str = "1";

/// `initCode` of an EIP-7702 account starts with this "address" (`0x7702` then 18 zero bytes);
/// EntryPoint v0.8 then hashes the sender's delegate in place of it.
pub const EIP7702_INIT_CODE_MARKER: Address =
    address!("0x7702000000000000000000000000000000000000");

static PACKED_USER_OP_TYPEHASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(PACKED_USER_OP_TYPE.as_bytes()));
static EIP712_DOMAIN_TYPEHASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(EIP712_DOMAIN_TYPE.as_bytes()));
static DOMAIN_NAME_HASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(EIP712_DOMAIN_NAME.as_bytes()));
static DOMAIN_VERSION_HASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(EIP712_DOMAIN_VERSION.as_bytes()));

/// keccak256 of [`PACKED_USER_OP_TYPE`] (what v0.8's `getPackedUserOpTypeHash()` returns).
pub fn packed_user_op_typehash() -> B256 {
    *PACKED_USER_OP_TYPEHASH
}

/// The userOpHash EntryPoint v0.7 computes in `getUserOpHash`:
/// `keccak256(abi.encode(keccak256(abi.encode(sender, nonce, keccak(initCode),
/// keccak(callData), accountGasLimits, preVerificationGas, gasFees,
/// keccak(paymasterAndData))), entryPoint, chainId))`.
pub fn user_op_hash_v07(op: &PackedUserOperation, entry_point: Address, chain_id: u64) -> B256 {
    let mut inner = [0u8; 32 * 8];
    write_fields(&mut inner, op, keccak256(&op.initCode));
    let mut outer = [0u8; 32 * 3];
    outer[..32].copy_from_slice(keccak256(inner).as_slice());
    outer[32..64].copy_from_slice(address_word(entry_point).as_slice());
    outer[64..].copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    keccak256(outer)
}

/// The userOpHash EntryPoint v0.8 computes in `getUserOpHash` for an operation whose
/// `initCode` is not an EIP-7702 authorization: the EIP-712 hash of the
/// `PackedUserOperation` struct (signature excluded) under the domain
/// `{name: "ERC4337", version: "1", chainId, verifyingContract: entryPoint}`.
///
/// When `initCode` starts with [`EIP7702_INIT_CODE_MARKER`] the EntryPoint replaces
/// `keccak(initCode)` with a hash over the sender's on-chain delegate, which this function
/// can't read: it then hashes `initCode` literally and the result will not match. Use
/// [`user_op_hash_v08_with_eip7702_delegate`] for such operations.
pub fn user_op_hash_v08(op: &PackedUserOperation, entry_point: Address, chain_id: u64) -> B256 {
    typed_data_hash(op, keccak256(&op.initCode), entry_point, chain_id)
}

/// The v0.8 userOpHash of an operation whose sender is an EIP-7702 account delegating to
/// `delegate`. If `initCode` carries the EIP-7702 marker, `keccak(initCode)` is replaced by
/// `keccak(delegate ‖ initCode[20..])` as EntryPoint v0.8 does; otherwise this equals
/// [`user_op_hash_v08`] and `delegate` is not used.
pub fn user_op_hash_v08_with_eip7702_delegate(
    op: &PackedUserOperation,
    entry_point: Address,
    chain_id: u64,
    delegate: Address,
) -> B256 {
    let init_code_hash = if is_eip7702_init_code(&op.initCode) {
        eip7702_init_code_hash(&op.initCode, delegate)
    } else {
        keccak256(&op.initCode)
    };
    typed_data_hash(op, init_code_hash, entry_point, chain_id)
}

/// Whether EntryPoint v0.8 reads `init_code` as an EIP-7702 authorization: at least two
/// bytes long and its first 20 bytes (zero-padded) equal [`EIP7702_INIT_CODE_MARKER`].
pub fn is_eip7702_init_code(init_code: &[u8]) -> bool {
    if init_code.len() < 2 {
        return false;
    }
    let mut start = [0u8; 20];
    let len = init_code.len().min(20);
    start[..len].copy_from_slice(&init_code[..len]);
    start == EIP7702_INIT_CODE_MARKER.0 .0
}

/// The value v0.8 hashes in place of `keccak(initCode)` for an EIP-7702 account:
/// `keccak(delegate)` when `initCode` is at most 20 bytes, else
/// `keccak(delegate ‖ initCode[20..])`.
pub fn eip7702_init_code_hash(init_code: &[u8], delegate: Address) -> B256 {
    let mut preimage = Vec::with_capacity(20 + init_code.len().saturating_sub(20));
    preimage.extend_from_slice(delegate.as_slice());
    if init_code.len() > 20 {
        preimage.extend_from_slice(&init_code[20..]);
    }
    keccak256(preimage)
}

/// The EIP-712 domain separator of EntryPoint v0.8 at `entry_point` on `chain_id`
/// (what its `getDomainSeparatorV4()` returns when deployed correctly).
pub fn eip712_domain_separator_v08(entry_point: Address, chain_id: u64) -> B256 {
    let mut encoded = [0u8; 32 * 5];
    encoded[..32].copy_from_slice(EIP712_DOMAIN_TYPEHASH.as_slice());
    encoded[32..64].copy_from_slice(DOMAIN_NAME_HASH.as_slice());
    encoded[64..96].copy_from_slice(DOMAIN_VERSION_HASH.as_slice());
    encoded[96..128].copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    encoded[128..].copy_from_slice(address_word(entry_point).as_slice());
    keccak256(encoded)
}

/// The EIP-712 struct hash of `op` with `init_code_hash` standing for `keccak(initCode)`.
pub fn struct_hash_v08(op: &PackedUserOperation, init_code_hash: B256) -> B256 {
    let mut encoded = [0u8; 32 * 9];
    encoded[..32].copy_from_slice(PACKED_USER_OP_TYPEHASH.as_slice());
    write_fields(&mut encoded[32..], op, init_code_hash);
    keccak256(encoded)
}

fn typed_data_hash(
    op: &PackedUserOperation,
    init_code_hash: B256,
    entry_point: Address,
    chain_id: u64,
) -> B256 {
    let mut message = [0u8; 2 + 32 + 32];
    message[..2].copy_from_slice(b"\x19\x01");
    message[2..34].copy_from_slice(eip712_domain_separator_v08(entry_point, chain_id).as_slice());
    message[34..].copy_from_slice(struct_hash_v08(op, init_code_hash).as_slice());
    keccak256(message)
}

/// Writes the eight words both versions hash, in the order of the struct, into `out`
/// (exactly 256 bytes): every dynamic field is replaced by its keccak.
fn write_fields(out: &mut [u8], op: &PackedUserOperation, init_code_hash: B256) {
    let words: [B256; 8] = [
        address_word(op.sender),
        B256::from(op.nonce.to_be_bytes::<32>()),
        init_code_hash,
        keccak256(&op.callData),
        op.accountGasLimits,
        B256::from(op.preVerificationGas.to_be_bytes::<32>()),
        op.gasFees,
        keccak256(&op.paymasterAndData),
    ];
    for (chunk, word) in out.chunks_exact_mut(32).zip(words) {
        chunk.copy_from_slice(word.as_slice());
    }
}

fn address_word(address: Address) -> B256 {
    address.into_word()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::b256;

    #[test]
    fn typehash_matches_entry_point_v08_constant() {
        // keccak256 of the type string in UserOperationLib.PACKED_USEROP_TYPEHASH.
        assert_eq!(
            packed_user_op_typehash(),
            keccak256(
                "PackedUserOperation(address sender,uint256 nonce,bytes initCode,\
bytes callData,bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,\
bytes paymasterAndData)"
            )
        );
        assert_eq!(
            *EIP712_DOMAIN_TYPEHASH,
            b256!("0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f")
        );
    }

    #[test]
    fn eip7702_marker_detection() {
        let marker = EIP7702_INIT_CODE_MARKER.as_slice();
        assert!(is_eip7702_init_code(&marker[..2]));
        assert!(is_eip7702_init_code(&marker[..5]));
        assert!(is_eip7702_init_code(marker));
        assert!(is_eip7702_init_code(&[marker, b"init".as_slice()].concat()));
        assert!(!is_eip7702_init_code(&[]));
        assert!(!is_eip7702_init_code(&[0x77]));
        assert!(!is_eip7702_init_code(&[0x77, 0x02, 0x01]));
        let mut factory = marker.to_vec();
        factory[19] = 1;
        assert!(!is_eip7702_init_code(&factory));
    }

    #[test]
    fn eip7702_init_code_hash_layout() {
        let delegate = Address::repeat_byte(0xde);
        let marker = EIP7702_INIT_CODE_MARKER.as_slice();
        assert_eq!(
            eip7702_init_code_hash(marker, delegate),
            keccak256(delegate)
        );
        assert_eq!(
            eip7702_init_code_hash(&marker[..2], delegate),
            keccak256(delegate)
        );
        let with_call = [marker, &[1, 2, 3]].concat();
        assert_eq!(
            eip7702_init_code_hash(&with_call, delegate),
            keccak256([delegate.as_slice(), &[1, 2, 3]].concat())
        );
    }
}
