//! Bytes on the wire: sessions as the module's ABI type and packed (see [`crate::packing`]),
//! session ids, signature envelopes, `execute` call data in canonical and adversarial
//! encodings, packed and signed ops.

use crate::grammar::{EncodingSpec, ModeSpec};
use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    sol_types::SolValue,
};
use leash_contracts::bindings::session as abi;
use leash_model::{
    decode::{encode_execution, Call, EXECUTE},
    Session,
};
use leash_userop::{
    pack_u128_pair, sign_hash, user_op_hash_v07, user_op_hash_v08, EntryPointVersion,
    PackedUserOperation, SigningKey,
};

/// The module's `Session` ABI type for a model session.
pub fn to_abi(session: &Session) -> abi::Session {
    abi::Session {
        signer: session.signer,
        validAfter: alloy::primitives::aliases::U48::from(session.valid_after),
        validUntil: alloy::primitives::aliases::U48::from(session.valid_until),
        maxUses: session.max_uses,
        root: session.root,
        period: alloy::primitives::aliases::U48::from(session.period),
        periodStart: alloy::primitives::aliases::U48::from(session.period_start),
        rateLimit: session.rate_limit,
        nativeAllowance: session.native_allowance,
        feeBudget: session.fee_budget,
        gasBudget: session.gas_budget,
        calls: session
            .calls
            .iter()
            .map(|g| abi::CallGrant {
                target: g.target,
                selector: g.selector,
                flags: g.flags,
            })
            .collect(),
        accountSelectors: session.account_selectors.clone(),
        tokens: session
            .tokens
            .iter()
            .map(|t| abi::TokenAllowance {
                token: t.token,
                amount: t.amount,
            })
            .collect(),
        periodic: session
            .periodic
            .iter()
            .map(|p| abi::PeriodicAllowance {
                asset: p.asset,
                amount: p.amount,
            })
            .collect(),
        paymasters: session.paymasters.clone(),
        salt: B256::from(session.salt),
    }
}

/// `keccak256(pack(session))`.
///
/// # Panics
///
/// If `session` has no packed encoding (a list over 255 entries, a time over uint48): the
/// grammar's sessions have at most 16 entries per list and uint48 times.
pub fn session_id(session: &Session) -> B256 {
    keccak256(packed_session(session))
}

/// `pack(session)`.
///
/// # Panics
///
/// As [`session_id`].
pub fn packed_session(session: &Session) -> Vec<u8> {
    match crate::packing::pack(session) {
        Ok(packed) => packed,
        Err(e) => panic!("a grammar session always packs: {e}"),
    }
}

/// `keccak256("LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)")`.
pub fn session_op_typehash() -> B256 {
    keccak256("LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)")
}

/// The digest a session key signs.
pub fn op_digest(user_op_hash: B256, session_id: B256, period: u32) -> B256 {
    keccak256((session_op_typehash(), user_op_hash, session_id, period).abi_encode())
}

/// Bytes of an envelope before its packed session: version, flags, period index and the
/// 65-byte signature (the envelope names no session id).
pub const ENVELOPE_FIXED_LENGTH: usize = 71;

/// The owner's enable grant an envelope carries after the packed session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFields<'a> {
    /// Enable nonce (32 bytes, right after the packed session).
    pub nonce: U256,
    /// The owner's grant as the account's ERC-1271 reads it (every remaining byte).
    pub signature: &'a [u8],
}

/// The fields of a v1 envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeFields<'a> {
    /// Version byte.
    pub version: u8,
    /// Flags byte.
    pub flags: u8,
    /// Period index.
    pub period: u32,
    /// The session key's 65-byte signature.
    pub signature: &'a [u8],
    /// The carried packed session, as is (canonical or not).
    pub packed: &'a [u8],
    /// The enable grant, appended as `nonce ‖ signature` whatever the flags say.
    pub grant: Option<GrantFields<'a>>,
}

/// The v1 envelope bytes: `version ‖ flags ‖ period ‖ signature ‖ packed session`, then the
/// grant's nonce and owner signature if any.
pub fn envelope(fields: &EnvelopeFields<'_>) -> Vec<u8> {
    let mut out = vec![fields.version, fields.flags];
    out.extend_from_slice(&fields.period.to_be_bytes());
    out.extend_from_slice(fields.signature);
    out.extend_from_slice(fields.packed);
    if let Some(grant) = &fields.grant {
        out.extend_from_slice(&grant.nonce.to_be_bytes::<32>());
        out.extend_from_slice(grant.signature);
    }
    out
}

/// The EIP-712 digest of `EnableSession(account, sessionId, nonce)` in the domain
/// `{name: "LeashSessionKeyValidator", version: "1", chainId, verifyingContract}`, computed
/// from the definition (never read from the module).
pub fn enable_digest(
    chain_id: u64,
    verifying_contract: Address,
    account: Address,
    session_id: B256,
    nonce: U256,
) -> B256 {
    let domain_typehash = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    );
    let domain = keccak256(
        (
            domain_typehash,
            keccak256("LeashSessionKeyValidator"),
            keccak256("1"),
            U256::from(chain_id),
            verifying_contract,
        )
            .abi_encode(),
    );
    let typehash = keccak256("EnableSession(address account,bytes32 sessionId,uint256 nonce)");
    let struct_hash = keccak256((typehash, account, session_id, nonce).abi_encode());
    let mut preimage = vec![0x19, 0x01];
    preimage.extend_from_slice(domain.as_slice());
    preimage.extend_from_slice(struct_hash.as_slice());
    keccak256(preimage)
}

/// The 32-byte mode of a [`ModeSpec`] for call type `call_type` (0 single, 1 batch).
pub fn mode_word(mode: ModeSpec, call_type: u8) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[0] = call_type;
    match mode {
        ModeSpec::Default => {}
        ModeSpec::Try => word[1] = 1,
        ModeSpec::DelegateCall => word[0] = 0xff,
        ModeSpec::StaticCall => word[0] = 0xfe,
        ModeSpec::BadExecType => word[1] = 2,
        ModeSpec::ModeSelector => word[6] = 0x5e,
        ModeSpec::ModePayload => word[31] = 0x01,
    }
    word
}

fn word(n: usize) -> [u8; 32] {
    U256::from(n).to_be_bytes::<32>()
}

/// `execute(mode, executionCalldata)` with `execution` as the bytes argument.
fn execute_with(mode: [u8; 32], execution: &[u8]) -> Vec<u8> {
    let mut out = EXECUTE.to_vec();
    out.extend_from_slice(&mode);
    out.extend_from_slice(&word(64));
    out.extend_from_slice(&word(execution.len()));
    out.extend_from_slice(execution);
    out.resize(out.len() + (32 - execution.len() % 32) % 32, 0);
    out
}

/// The batch `abi.encode(Execution[])` with the heads given explicitly.
fn batch_with_heads(calls: &[Call], heads: &[usize]) -> Vec<u8> {
    let mut out = word(32).to_vec();
    out.extend_from_slice(&word(calls.len()));
    for head in heads {
        out.extend_from_slice(&word(*head));
    }
    for call in calls {
        out.extend_from_slice(&encode_execution(call));
    }
    out
}

fn canonical_heads(calls: &[Call]) -> Vec<usize> {
    let mut heads = Vec::with_capacity(calls.len());
    let mut offset = 32 * calls.len();
    for call in calls {
        heads.push(offset);
        offset += encode_execution(call).len();
    }
    heads
}

/// `execute` call data of `calls` (single uses the first) in `encoding`.
pub fn execute_call_data(
    batch: bool,
    mode: ModeSpec,
    encoding: EncodingSpec,
    calls: &[Call],
) -> Vec<u8> {
    let mode = mode_word(mode, u8::from(batch));
    let execution = if batch {
        let canonical = canonical_heads(calls);
        let heads = match encoding {
            EncodingSpec::DuplicatedHead if calls.len() > 1 => {
                vec![*canonical.last().expect("non-empty"); calls.len()]
            }
            EncodingSpec::SwappedHeads if calls.len() > 1 => {
                let mut heads = canonical.clone();
                heads.swap(0, 1);
                heads
            }
            EncodingSpec::EscapingPointer => {
                let mut heads = canonical.clone();
                if let Some(first) = heads.first_mut() {
                    *first = 1 << 20;
                }
                heads
            }
            _ => canonical,
        };
        let mut execution = batch_with_heads(calls, &heads);
        if encoding == EncodingSpec::DirtyAddress && !calls.is_empty() {
            let first_element = 64 + 32 * calls.len();
            execution[first_element] = 0x01;
        }
        execution
    } else {
        let call = &calls[0];
        let mut out = call.target.to_vec();
        out.extend_from_slice(&call.value.to_be_bytes::<32>());
        out.extend_from_slice(&call.data);
        out
    };
    let mut out = execute_with(mode, &execution);
    match encoding {
        EncodingSpec::ShiftedOffset => {
            out[4 + 32..4 + 64].copy_from_slice(&word(96));
            out.splice(4 + 64..4 + 64, [0u8; 32]);
        }
        EncodingSpec::EscapingPointer if !batch => {
            out[4 + 32..4 + 64].copy_from_slice(&word(1 << 20))
        }
        EncodingSpec::DirtyPadding if execution.len() % 32 != 0 => {
            let last = out.len() - 1;
            out[last] = 0x01;
        }
        EncodingSpec::TrailingBytes => out.extend_from_slice(&[0u8; 32]),
        _ => {}
    }
    out
}

/// Gas fields of a session op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gas {
    /// `verificationGasLimit`.
    pub verification: u128,
    /// `callGasLimit`.
    pub call: u128,
    /// `preVerificationGas`.
    pub pre_verification: u128,
    /// `maxFeePerGas` (priority fee is the same).
    pub max_fee: u128,
}

/// `paymaster ‖ verificationGas ‖ postOpGas` (no data).
pub fn paymaster_and_data(paymaster: Address, verification_gas: u128) -> Vec<u8> {
    let mut out = paymaster.to_vec();
    out.extend_from_slice(&verification_gas.to_be_bytes());
    out.extend_from_slice(&0u128.to_be_bytes());
    out
}

/// An unsigned packed op.
pub fn packed(
    sender: Address,
    nonce: U256,
    call_data: Vec<u8>,
    gas: Gas,
    paymaster_and_data: Vec<u8>,
) -> PackedUserOperation {
    PackedUserOperation {
        sender,
        nonce,
        initCode: Bytes::new(),
        callData: call_data.into(),
        accountGasLimits: pack_u128_pair(gas.verification, gas.call),
        preVerificationGas: U256::from(gas.pre_verification),
        gasFees: pack_u128_pair(gas.max_fee, gas.max_fee),
        paymasterAndData: paymaster_and_data.into(),
        signature: Bytes::new(),
    }
}

/// The userOpHash of `op` as EntryPoint `version` at `entry_point` on `chain_id` computes it.
pub fn user_op_hash(
    op: &PackedUserOperation,
    version: EntryPointVersion,
    entry_point: Address,
    chain_id: u64,
) -> B256 {
    match version {
        EntryPointVersion::V07 => user_op_hash_v07(op, entry_point, chain_id),
        EntryPointVersion::V08 => user_op_hash_v08(op, entry_point, chain_id),
    }
}

/// 65-byte raw signature of `digest` by `key`.
pub fn sign(key: &SigningKey, digest: B256) -> Vec<u8> {
    sign_hash(key, digest).to_vec()
}
