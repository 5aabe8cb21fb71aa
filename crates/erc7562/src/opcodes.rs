//! Opcode classes the rules refer to.

use alloy_primitives::Address;
use revm::bytecode::opcode::{self, OpCode};

/// What the opcode rules say about one opcode, judged alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpcodeClass {
    /// No rule about this opcode by itself.
    Allowed,
    /// OP-011: reads the environment or is otherwise banned.
    Banned,
    /// OP-080: balance access.
    Balance,
    /// OP-013: not an assigned opcode.
    Unassigned,
}

/// OP-011's list, plus the environment opcodes added after it was written (`BLOBHASH`,
/// `BLOBBASEFEE`). `CREATE` is judged apart, at the creation (deployment may create the
/// sender).
const BANNED: [u8; 13] = [
    opcode::ORIGIN,
    opcode::GASPRICE,
    opcode::BLOCKHASH,
    opcode::COINBASE,
    opcode::TIMESTAMP,
    opcode::NUMBER,
    opcode::DIFFICULTY,
    opcode::GASLIMIT,
    opcode::BASEFEE,
    opcode::BLOBHASH,
    opcode::BLOBBASEFEE,
    opcode::INVALID,
    opcode::SELFDESTRUCT,
];

/// Classifies one opcode.
pub(crate) fn classify(op: u8) -> OpcodeClass {
    if BANNED.contains(&op) {
        OpcodeClass::Banned
    } else if op == opcode::BALANCE || op == opcode::SELFBALANCE {
        OpcodeClass::Balance
    } else if OpCode::new(op).is_none() {
        OpcodeClass::Unassigned
    } else {
        OpcodeClass::Allowed
    }
}

/// `CALL`, `CALLCODE`, `DELEGATECALL`, `STATICCALL`: what OP-012 lets follow `GAS`.
pub(crate) const fn is_call(op: u8) -> bool {
    matches!(
        op,
        opcode::CALL | opcode::CALLCODE | opcode::DELEGATECALL | opcode::STATICCALL
    )
}

/// `EXTCODESIZE`, `EXTCODECOPY`, `EXTCODEHASH`: the code accesses of OP-041.
pub(crate) const fn is_extcode(op: u8) -> bool {
    matches!(
        op,
        opcode::EXTCODESIZE | opcode::EXTCODECOPY | opcode::EXTCODEHASH
    )
}

/// The opcode byte of a call scheme.
pub(crate) const fn call_opcode(scheme: revm::interpreter::CallScheme) -> u8 {
    use revm::interpreter::CallScheme;
    match scheme {
        CallScheme::Call => opcode::CALL,
        CallScheme::CallCode => opcode::CALLCODE,
        CallScheme::DelegateCall => opcode::DELEGATECALL,
        CallScheme::StaticCall => opcode::STATICCALL,
    }
}

/// OP-062: the precompiles validation may call: the core 0x01..=0x09 and RIP-7212's
/// secp256r1 verifier at 0x100 (EIP-7951 on mainnet).
pub(crate) fn is_allowed_precompile(address: Address) -> bool {
    let bytes = address.as_slice();
    let (high, low) = bytes.split_at(18);
    if high.iter().any(|b| *b != 0) {
        return false;
    }
    let n = u16::from_be_bytes([low[0], low[1]]);
    (1..=9).contains(&n) || n == 0x100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_opcodes_are_banned() {
        for op in [
            0x32, 0x3a, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x48, 0x49, 0x4a, 0xfe, 0xff,
        ] {
            assert_eq!(classify(op), OpcodeClass::Banned, "opcode {op:#x}");
        }
    }

    #[test]
    fn balance_opcodes_have_their_own_rule() {
        assert_eq!(classify(0x31), OpcodeClass::Balance);
        assert_eq!(classify(0x47), OpcodeClass::Balance);
    }

    #[test]
    fn ordinary_opcodes_are_allowed_and_gaps_are_unassigned() {
        for op in [0x00, 0x01, 0x20, 0x54, 0x55, 0x5a, 0xf1, 0xf5, 0xfd] {
            assert_eq!(classify(op), OpcodeClass::Allowed, "opcode {op:#x}");
        }
        assert_eq!(classify(0x0c), OpcodeClass::Unassigned);
        assert_eq!(classify(0xef), OpcodeClass::Unassigned);
    }

    #[test]
    fn precompile_allow_list() {
        let at = |n: u16| {
            let mut b = [0u8; 20];
            b[18..].copy_from_slice(&n.to_be_bytes());
            Address::from(b)
        };
        assert!(is_allowed_precompile(at(1)));
        assert!(is_allowed_precompile(at(9)));
        assert!(is_allowed_precompile(at(0x100)));
        assert!(!is_allowed_precompile(at(0)));
        assert!(!is_allowed_precompile(at(0x0a)));
        assert!(!is_allowed_precompile(at(0x11)));
        let mut high = [0u8; 20];
        high[0] = 1;
        high[19] = 1;
        assert!(!is_allowed_precompile(Address::from(high)));
    }
}
