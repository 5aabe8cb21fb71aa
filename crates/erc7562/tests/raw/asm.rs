//! A tiny EVM assembler for hand-built test contracts.

use alloy_primitives::{Address, Bytes, U256};
use revm::bytecode::opcode as op;
use std::collections::HashMap;

/// Bytecode under construction, with forward-referenced jump labels.
#[derive(Default)]
pub(crate) struct Asm {
    code: Vec<u8>,
    labels: HashMap<&'static str, usize>,
    fixups: Vec<(usize, &'static str)>,
}

impl Asm {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends raw opcodes.
    pub(crate) fn ops(mut self, ops: &[u8]) -> Self {
        self.code.extend_from_slice(ops);
        self
    }

    /// `PUSHn bytes` (1..=32 bytes).
    pub(crate) fn push(mut self, bytes: &[u8]) -> Self {
        assert!((1..=32).contains(&bytes.len()));
        self.code.push(op::PUSH1 + bytes.len() as u8 - 1);
        self.code.extend_from_slice(bytes);
        self
    }

    /// Pushes a number with the fewest bytes.
    pub(crate) fn push_u(self, value: U256) -> Self {
        let bytes = value.to_be_bytes::<32>();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(31);
        self.push(&bytes[first..])
    }

    pub(crate) fn push_n(self, value: u64) -> Self {
        self.push_u(U256::from(value))
    }

    pub(crate) fn push_address(self, address: Address) -> Self {
        self.push(address.as_slice())
    }

    /// `PUSH2 <label>`, resolved by [`Asm::build`].
    pub(crate) fn push_label(mut self, name: &'static str) -> Self {
        self.code.push(op::PUSH2);
        self.fixups.push((self.code.len(), name));
        self.code.extend_from_slice(&[0, 0]);
        self
    }

    /// `JUMPDEST` named `name`.
    pub(crate) fn label(mut self, name: &'static str) -> Self {
        self.labels.insert(name, self.code.len());
        self.code.push(op::JUMPDEST);
        self
    }

    /// Writes `data` to memory from offset 0, one word at a time.
    pub(crate) fn store(mut self, data: &[u8]) -> Self {
        for (i, chunk) in data.chunks(32).enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            self = self.push(&word).push_n(32 * i as u64).ops(&[op::MSTORE]);
        }
        self
    }

    /// `CALL`-family to `to` with memory `[0, args_len)` as calldata, `GAS` as gas, and the
    /// result popped. `value` is only used by `CALL`.
    pub(crate) fn call(self, kind: u8, to: Address, value: u64, args_len: u64) -> Self {
        let with_value = matches!(kind, op::CALL | op::CALLCODE);
        let mut asm = self.push_n(0).push_n(0).push_n(args_len).push_n(0);
        if with_value {
            asm = asm.push_n(value);
        }
        asm.push_address(to).ops(&[op::GAS, kind, op::POP])
    }

    /// Stores `data` then calls `to` with it.
    pub(crate) fn call_with(self, kind: u8, to: Address, value: u64, data: &[u8]) -> Self {
        self.store(data).call(kind, to, value, data.len() as u64)
    }

    pub(crate) fn build(mut self) -> Bytes {
        for (at, name) in std::mem::take(&mut self.fixups) {
            let target = self.labels[name] as u16;
            self.code[at..at + 2].copy_from_slice(&target.to_be_bytes());
        }
        self.code.into()
    }
}

/// Init code that deploys `runtime` as is.
pub(crate) fn deployer(runtime: &[u8]) -> Bytes {
    // PUSH2 len DUP1 PUSH2 offset PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime.
    let len = runtime.len() as u16;
    let mut code = vec![op::PUSH2];
    code.extend_from_slice(&len.to_be_bytes());
    code.push(op::DUP1);
    code.push(op::PUSH2);
    code.extend_from_slice(&13u16.to_be_bytes());
    code.extend_from_slice(&[op::PUSH1, 0, op::CODECOPY, op::PUSH1, 0, op::RETURN]);
    assert_eq!(code.len(), 13);
    code.extend_from_slice(runtime);
    code.into()
}
