//! What the checker reports: one [`Violation`] per broken ERC-7562 rule occurrence.

use alloy_primitives::{Address, U256};
use revm::bytecode::opcode::OpCode;
use std::fmt;

/// The validation phase a frame belongs to (ERC-7562 "validation phases").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Account deployment: the EntryPoint's `createSender(initCode)` call into the
    /// SenderCreator, which calls the factory.
    Deployment,
    /// The sender's `validateUserOp`.
    Account,
    /// The paymaster's `validatePaymasterUserOp`.
    Paymaster,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Deployment => "factory deployment",
            Self::Account => "account validation",
            Self::Paymaster => "paymaster validation",
        })
    }
}

/// Where a violation happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Site {
    /// The address whose context ran the offending instruction (the storage owner; for a
    /// `DELEGATECALL`ed library this is the delegating contract).
    pub address: Address,
    /// Call depth of that frame; the transaction's own frame is depth 0.
    pub depth: usize,
    /// The validation phase the frame belongs to.
    pub phase: Phase,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at {} (depth {}, {})",
            self.address, self.depth, self.phase
        )
    }
}

/// The storage instruction of a [`StorageAccess`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageOp {
    /// `SLOAD`.
    Sload,
    /// `SSTORE`.
    Sstore,
    /// `TLOAD` (OP-070: transient storage follows the storage rules).
    Tload,
    /// `TSTORE` (OP-070: transient storage follows the storage rules).
    Tstore,
}

impl StorageOp {
    /// Whether the instruction writes.
    pub const fn is_write(self) -> bool {
        matches!(self, Self::Sstore | Self::Tstore)
    }

    /// The instruction's mnemonic.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sload => "SLOAD",
            Self::Sstore => "SSTORE",
            Self::Tload => "TLOAD",
            Self::Tstore => "TSTORE",
        }
    }
}

/// One storage (or transient storage) access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StorageAccess {
    /// The contract whose storage was accessed.
    pub contract: Address,
    /// The slot.
    pub slot: U256,
    /// The instruction.
    pub op: StorageOp,
}

impl fmt::Display for StorageAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} slot {:#x}",
            self.op.name(),
            self.contract,
            self.slot
        )
    }
}

/// A broken ERC-7562 rule. Each variant is one rule; [`Violation::rule_id`] gives its id.
///
/// All rules are checked as if every entity were unstaked (the strictest reading): rules
/// that an entity could pass only with stake (STO-022, STO-031..033, OP-080) are reported.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Violation {
    /// OP-011: an opcode that reads the environment (`ORIGIN`, `GASPRICE`, `BLOCKHASH`,
    /// `COINBASE`, `TIMESTAMP`, `NUMBER`, `PREVRANDAO`, `GASLIMIT`, `BASEFEE`, `BLOBHASH`,
    /// `BLOBBASEFEE`), or `CREATE` (other than creating the sender in deployment),
    /// `INVALID`, `SELFDESTRUCT`.
    BannedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Where.
        site: Site,
    },
    /// OP-012: `GAS` not immediately followed by a `*CALL`.
    GasNotFollowedByCall {
        /// The opcode that followed, `None` when the frame ended right after `GAS`.
        next: Option<u8>,
        /// Where.
        site: Site,
    },
    /// OP-013: an unassigned opcode.
    UnassignedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Where.
        site: Site,
    },
    /// OP-020: a frame ran out of gas.
    OutOfGas {
        /// The frame that ran out of gas.
        site: Site,
    },
    /// OP-031: `CREATE2` other than the single creation of the sender in deployment.
    Create2 {
        /// The created address, `None` when the creation failed.
        created: Option<Address>,
        /// Where (the creating contract).
        site: Site,
    },
    /// OP-041: `*CALL` or `EXTCODE*` on an address without code (OP-042: the sender is
    /// exempt during deployment).
    CodelessAccess {
        /// The address without code.
        target: Address,
        /// The accessing opcode.
        opcode: u8,
        /// Where (the accessing contract).
        site: Site,
    },
    /// OP-054: access to the EntryPoint other than `depositTo(sender)` from the sender or
    /// factory (OP-052), the fallback from the sender (OP-053), or `EXTCODESIZE` followed
    /// by `ISZERO` (OP-051).
    EntryPointAccess {
        /// The accessing opcode.
        opcode: u8,
        /// The called selector, `None` for code access or calls with under 4 bytes of data.
        selector: Option<[u8; 4]>,
        /// Where (the accessing contract).
        site: Site,
    },
    /// OP-061: a call with value to anything but the EntryPoint.
    CallWithValue {
        /// The callee.
        target: Address,
        /// The value sent.
        value: U256,
        /// Where (the caller).
        site: Site,
    },
    /// OP-062: a call to a precompile other than the core 0x01..=0x09 and RIP-7212's
    /// secp256r1 verifier at 0x100.
    ForbiddenPrecompile {
        /// The precompile.
        precompile: Address,
        /// Where (the caller).
        site: Site,
    },
    /// OP-080: `BALANCE` or `SELFBALANCE` (allowed only to staked entities).
    BalanceAccess {
        /// The opcode byte.
        opcode: u8,
        /// Where.
        site: Site,
    },
    /// STO-021: a write to a slot of another contract that is not associated with the
    /// sender.
    UnassociatedStorage {
        /// The access.
        access: StorageAccess,
        /// Where.
        site: Site,
    },
    /// STO-022: access to storage associated with the sender while the sender is being
    /// deployed by this operation (needs a staked factory).
    AssociatedStorageDuringDeployment {
        /// The access.
        access: StorageAccess,
        /// Where.
        site: Site,
    },
    /// STO-031: access to the factory's or paymaster's own storage (needs stake).
    EntityStorage {
        /// The access.
        access: StorageAccess,
        /// Where.
        site: Site,
    },
    /// STO-032: access to storage associated with the factory or paymaster (needs stake).
    EntityAssociatedStorage {
        /// The access.
        access: StorageAccess,
        /// Where.
        site: Site,
    },
    /// STO-033: a read of another contract's slot that is not associated with the sender
    /// (read-only access needs a staked entity).
    UnassociatedStorageRead {
        /// The access.
        access: StorageAccess,
        /// Where.
        site: Site,
    },
}

impl Violation {
    /// The ERC-7562 rule id, e.g. `"OP-011"`.
    pub const fn rule_id(&self) -> &'static str {
        match self {
            Self::BannedOpcode { .. } => "OP-011",
            Self::GasNotFollowedByCall { .. } => "OP-012",
            Self::UnassignedOpcode { .. } => "OP-013",
            Self::OutOfGas { .. } => "OP-020",
            Self::Create2 { .. } => "OP-031",
            Self::CodelessAccess { .. } => "OP-041",
            Self::EntryPointAccess { .. } => "OP-054",
            Self::CallWithValue { .. } => "OP-061",
            Self::ForbiddenPrecompile { .. } => "OP-062",
            Self::BalanceAccess { .. } => "OP-080",
            Self::UnassociatedStorage { .. } => "STO-021",
            Self::AssociatedStorageDuringDeployment { .. } => "STO-022",
            Self::EntityStorage { .. } => "STO-031",
            Self::EntityAssociatedStorage { .. } => "STO-032",
            Self::UnassociatedStorageRead { .. } => "STO-033",
        }
    }

    /// Where the violation happened.
    pub const fn site(&self) -> &Site {
        match self {
            Self::BannedOpcode { site, .. }
            | Self::GasNotFollowedByCall { site, .. }
            | Self::UnassignedOpcode { site, .. }
            | Self::OutOfGas { site }
            | Self::Create2 { site, .. }
            | Self::CodelessAccess { site, .. }
            | Self::EntryPointAccess { site, .. }
            | Self::CallWithValue { site, .. }
            | Self::ForbiddenPrecompile { site, .. }
            | Self::BalanceAccess { site, .. }
            | Self::UnassociatedStorage { site, .. }
            | Self::AssociatedStorageDuringDeployment { site, .. }
            | Self::EntityStorage { site, .. }
            | Self::EntityAssociatedStorage { site, .. }
            | Self::UnassociatedStorageRead { site, .. } => site,
        }
    }
}

/// The mnemonic of an opcode byte, or its hex value when unassigned.
fn opcode_name(opcode: u8) -> String {
    OpCode::new(opcode).map_or_else(
        || format!("opcode {opcode:#04x}"),
        |op| op.as_str().to_owned(),
    )
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.rule_id();
        match self {
            Self::BannedOpcode { opcode, site } => write!(f, "{rule} {} {site}", opcode_name(*opcode)),
            Self::GasNotFollowedByCall { next, site } => match next {
                Some(next) => write!(f, "{rule} GAS followed by {} {site}", opcode_name(*next)),
                None => write!(f, "{rule} GAS ends the frame {site}"),
            },
            Self::UnassignedOpcode { opcode, site } => {
                write!(f, "{rule} unassigned {} {site}", opcode_name(*opcode))
            }
            Self::OutOfGas { site } => write!(f, "{rule} out of gas {site}"),
            Self::Create2 { created, site } => match created {
                Some(created) => write!(f, "{rule} CREATE2 of {created} {site}"),
                None => write!(f, "{rule} failed CREATE2 {site}"),
            },
            Self::CodelessAccess { target, opcode, site } => write!(
                f,
                "{rule} {} to {target} which has no code {site}",
                opcode_name(*opcode)
            ),
            Self::EntryPointAccess { opcode, selector, site } => match selector {
                Some(sel) => write!(
                    f,
                    "{rule} {} to the EntryPoint with selector 0x{:02x}{:02x}{:02x}{:02x} {site}",
                    opcode_name(*opcode),
                    sel[0],
                    sel[1],
                    sel[2],
                    sel[3]
                ),
                None => write!(f, "{rule} {} on the EntryPoint {site}", opcode_name(*opcode)),
            },
            Self::CallWithValue { target, value, site } => {
                write!(f, "{rule} call with value {value} wei to {target} {site}")
            }
            Self::ForbiddenPrecompile { precompile, site } => {
                write!(f, "{rule} call to precompile {precompile} {site}")
            }
            Self::BalanceAccess { opcode, site } => write!(f, "{rule} {} {site}", opcode_name(*opcode)),
            Self::UnassociatedStorage { access, site } => {
                write!(f, "{rule} {access} is not associated with the sender {site}")
            }
            Self::AssociatedStorageDuringDeployment { access, site } => write!(
                f,
                "{rule} {access} is associated with a sender being deployed (needs a staked factory) {site}"
            ),
            Self::EntityStorage { access, site } => {
                write!(f, "{rule} {access} is the entity's own storage (needs stake) {site}")
            }
            Self::EntityAssociatedStorage { access, site } => {
                write!(f, "{rule} {access} is associated with the entity (needs stake) {site}")
            }
            Self::UnassociatedStorageRead { access, site } => write!(
                f,
                "{rule} {access} is not associated with the sender (read needs stake) {site}"
            ),
        }
    }
}
