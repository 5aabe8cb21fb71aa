//! An op as the model sees it: the raw fields the module reads, with the signature envelope
//! already split into its parts (the envelope's byte layout is the encoder's business).

use crate::{Selector, Session};
use alloy_primitives::{Address, B256, U256};

/// The signature envelope of an op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    /// Shorter than the fixed part plus a packed session's header (71 + 58 bytes).
    Short,
    /// Long enough to read its fixed part and its packed session's header.
    Parsed(Box<ParsedEnvelope>),
}

/// The fields of an envelope that is long enough to parse: the fixed part, the packed session
/// after it, and with the ENABLE flag the enable nonce and the owner's signature after that.
/// The envelope names no session id: the op's session id is `keccak256` of the packed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEnvelope {
    /// Version byte (1 is the only one).
    pub version: u8,
    /// Flags byte (bit 0 = ENABLE).
    pub flags: u8,
    /// Whether the envelope's length fits: without ENABLE every envelope of at least the fixed
    /// part and a packed header fits (the session is every byte after the fixed part, and bytes
    /// that are not a created session's packing name an id no session has); with ENABLE the
    /// envelope holds at least the size the packed header gives plus the 32-byte enable nonce.
    pub length_fits: bool,
    /// The period the op names.
    pub period_index: u32,
    /// The session as the module reads it from the packed bytes.
    pub session: Session,
    /// Whether the packed bytes are the canonical packing of `session` (no unknown flag bit,
    /// no carried budget or salt word equal to zero). Only an enable grant looks at it: a
    /// stored id is always the hash of a canonical packing.
    pub canonical: bool,
    /// The op's session id as the module computes it: `keccak256` of the packed bytes as
    /// carried.
    pub carried_id: B256,
    /// Enable grant: the nonce.
    pub enable_nonce: U256,
    /// Enable grant: whether the account's ERC-1271 accepts the owner's signature.
    pub enable_signature_valid: bool,
}

/// One user operation, as validated by the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpInput {
    /// `userOp.sender`.
    pub sender: Address,
    /// `userOp.initCode`, raw (only its EIP-7702 init-call form matters: rule 1).
    pub init_code: Vec<u8>,
    /// `userOp.callData`, raw.
    pub call_data: Vec<u8>,
    /// `verificationGasLimit`.
    pub verification_gas_limit: u128,
    /// `callGasLimit`.
    pub call_gas_limit: u128,
    /// `preVerificationGas`.
    pub pre_verification_gas: U256,
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `paymasterAndData`, raw.
    pub paymaster_and_data: Vec<u8>,
    /// The signature envelope.
    pub envelope: Envelope,
    /// Whether the session-key signature recovers to the carried session's signer over the
    /// op digest of *this* op (a signature made for another account, chain or EntryPoint, or
    /// by another key, is invalid here).
    pub signature_valid: bool,
}

/// The kinds of modules an ERC-7579 account reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// Type 1.
    Validator,
    /// Type 2.
    Executor,
    /// Type 3, installed for one selector.
    Fallback(Selector),
    /// Type 4 (asked in Safe7579's global form).
    Hook,
    /// Type 5, ERC-7780 policy.
    Policy,
    /// Type 6, ERC-7780 signer.
    Signer,
    /// Type 7, ERC-7780 stateless validator.
    StatelessValidator,
}

/// Who validates: the account, the module, and what the account reports installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The account calling `validateUserOp`.
    pub account: Address,
    /// The module's own address.
    pub module: Address,
    /// Modules the account reports installed (the session module itself included or not:
    /// calls to it are denied before this list is consulted).
    pub installed: Vec<(ModuleKind, Address)>,
}

impl Context {
    /// What the module's `_isInstalledModule(account, target, selector)` answers.
    pub fn reports_installed(&self, target: Address, selector: Selector) -> bool {
        self.installed.iter().any(|(kind, address)| {
            *address == target
                && match kind {
                    ModuleKind::Validator
                    | ModuleKind::Executor
                    | ModuleKind::Hook
                    | ModuleKind::Policy
                    | ModuleKind::Signer
                    | ModuleKind::StatelessValidator => true,
                    ModuleKind::Fallback(s) => *s == selector,
                }
        })
    }
}
