//! The packed session encoding: the bytes a session id hashes (`keccak256(pack(session))`) and
//! an op's signature envelope carries. Same layout as `contracts/session/SessionPacking.sol`:
//!
//! ```text
//! offset size     field (integers big-endian, no padding)
//! 0      20       signer
//! 20     6        validAfter
//! 26     6        validUntil
//! 32     6        period
//! 38     6        periodStart
//! 44     4        maxUses
//! 48     4        rateLimit
//! 52     1        flags: bit0 root, bit1 nativeAllowance, bit2 feeBudget, bit3 gasBudget,
//!                 bit4 salt present
//! 53     5        lengths of calls, tokens, periodic, paymasters, accountSelectors (1 byte each)
//! 58     25 each  calls: target ‖ selector ‖ grant flags
//!        52 each  tokens: token ‖ amount
//!        52 each  periodic: asset ‖ amount
//!        20 each  paymasters
//!        4 each   accountSelectors
//!        32 each  the present budgets: nativeAllowance, feeBudget, gasBudget, in that order
//!        32       salt, only when non-zero
//! ```
//!
//! The encoding is canonical: a budget or the salt is carried iff it is non-zero, so each
//! session has exactly one byte string and [`unpack_session`] accepts only that string.

use std::fmt;

use alloy::primitives::{aliases::U48, Address, FixedBytes, B256, U256};

use super::onchain::{CallGrant, PeriodicAllowance, Session, TokenAllowance};

/// Bytes of the fixed header, before the lists.
pub const PACKED_HEADER_LEN: usize = 58;
/// Longest list a 1-byte length can describe.
pub const MAX_PACKED_LIST_LEN: usize = 255;

const FLAG_ROOT: u8 = 0x01;
const FLAG_NATIVE: u8 = 0x02;
const FLAG_FEE: u8 = 0x04;
const FLAG_GAS: u8 = 0x08;
const FLAG_SALT: u8 = 0x10;
/// The flag bits that each announce one carried 32-byte word (three budgets and the salt).
const WORD_FLAGS: u8 = FLAG_NATIVE | FLAG_FEE | FLAG_GAS | FLAG_SALT;
const KNOWN_FLAGS: u8 = FLAG_ROOT | WORD_FLAGS;
const FLAGS_AT: usize = 52;
const LENGTHS_AT: usize = 53;

const WORD: usize = 32;
const CALL_SIZE: usize = 25;
const SELECTOR_SIZE: usize = 4;
const ASSET_SIZE: usize = 52;
const PAYMASTER_SIZE: usize = 20;

/// The five lists of a session; the discriminant is the `field` argument of the module's
/// `SessionListTooLong(uint8 field, uint256 length, uint256 max)` (the packed order differs:
/// calls, tokens, periodic, paymasters, accountSelectors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionList {
    /// `calls` (field 0).
    Calls = 0,
    /// `accountSelectors` (field 1).
    AccountSelectors = 1,
    /// `tokens` (field 2).
    Tokens = 2,
    /// `periodic` (field 3).
    Periodic = 3,
    /// `paymasters` (field 4).
    Paymasters = 4,
}

impl SessionList {
    /// The list's field name in the `Session` struct.
    pub fn name(self) -> &'static str {
        match self {
            Self::Calls => "calls",
            Self::AccountSelectors => "accountSelectors",
            Self::Tokens => "tokens",
            Self::Periodic => "periodic",
            Self::Paymasters => "paymasters",
        }
    }

    /// The `field` number the module's `SessionListTooLong` error reports.
    pub fn field(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for SessionList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The three budgets the packed encoding carries only when non-zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Budget {
    /// `nativeAllowance` (flags bit 1).
    NativeAllowance,
    /// `feeBudget` (flags bit 2).
    FeeBudget,
    /// `gasBudget` (flags bit 3).
    GasBudget,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NativeAllowance => "nativeAllowance",
            Self::FeeBudget => "feeBudget",
            Self::GasBudget => "gasBudget",
        })
    }
}

/// A session that has no packed encoding.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// A list longer than a 1-byte length can describe (the module reverts
    /// `SessionListTooLong(field, length, 255)`).
    #[error(
        "session.{list}: {length} entries, the packed encoding holds at most \
         {MAX_PACKED_LIST_LEN} (SessionListTooLong field {})",
        list.field()
    )]
    ListTooLong {
        /// Which list.
        list: SessionList,
        /// Its length.
        length: usize,
    },
}

/// Bytes that are not the canonical packed encoding of any session.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnpackError {
    /// Shorter than the fixed header.
    #[error("packed session: {0} bytes, shorter than the {PACKED_HEADER_LEN}-byte header")]
    ShortHeader(usize),
    /// Header flag bits 5-7 are set.
    #[error(
        "packed session: header flags {0:#04x} set bits other than root, the three budgets \
         and the salt"
    )]
    UnknownFlags(u8),
    /// The length is not the one the header describes (short or trailing bytes).
    #[error("packed session: the header describes {expected} bytes, got {actual}")]
    LengthMismatch {
        /// Length the header describes.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// A budget word is present (its flag is set) but zero; a zero budget is encoded by
    /// leaving its flag clear.
    #[error("packed session: {0} is carried but zero (non-canonical: its flag must be clear)")]
    ZeroBudget(Budget),
    /// The salt word is present (flags bit 4) but zero; a zero salt is encoded by leaving the
    /// flag clear.
    #[error(
        "packed session: the salt is carried but zero (non-canonical: its flag must be clear)"
    )]
    ZeroSalt,
}

/// The packed encoding of `session`; fails for a list longer than 255 entries.
pub fn pack_session(session: &Session) -> Result<Vec<u8>, PackError> {
    let lengths = header_lengths(session)?;
    let budgets = present_budgets(session);
    let mut flags = if session.root { FLAG_ROOT } else { 0 };
    for (budget, _) in &budgets {
        flags |= budget_flag(*budget);
    }
    if !session.salt.is_zero() {
        flags |= FLAG_SALT;
    }
    let mut out = Vec::with_capacity(described_len(flags, &lengths));
    out.extend_from_slice(session.signer.as_slice());
    for value in [
        session.validAfter,
        session.validUntil,
        session.period,
        session.periodStart,
    ] {
        out.extend_from_slice(&value.to_be_bytes::<6>());
    }
    out.extend_from_slice(&session.maxUses.to_be_bytes());
    out.extend_from_slice(&session.rateLimit.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&lengths);
    for grant in &session.calls {
        out.extend_from_slice(grant.target.as_slice());
        out.extend_from_slice(grant.selector.as_slice());
        out.push(grant.flags);
    }
    for token in &session.tokens {
        out.extend_from_slice(token.token.as_slice());
        out.extend_from_slice(&token.amount.to_be_bytes::<WORD>());
    }
    for periodic in &session.periodic {
        out.extend_from_slice(periodic.asset.as_slice());
        out.extend_from_slice(&periodic.amount.to_be_bytes::<WORD>());
    }
    for paymaster in &session.paymasters {
        out.extend_from_slice(paymaster.as_slice());
    }
    for selector in &session.accountSelectors {
        out.extend_from_slice(selector.as_slice());
    }
    for (_, amount) in &budgets {
        out.extend_from_slice(&amount.to_be_bytes::<WORD>());
    }
    if !session.salt.is_zero() {
        out.extend_from_slice(session.salt.as_slice());
    }
    Ok(out)
}

/// The length of the packed session that starts `bytes`, read from its header alone (the
/// envelope finds where the packed session ends this way). Fails when `bytes` is shorter than
/// the header or the header has unknown flag bits.
pub fn packed_len(bytes: &[u8]) -> Result<usize, UnpackError> {
    let header = bytes
        .get(..PACKED_HEADER_LEN)
        .ok_or(UnpackError::ShortHeader(bytes.len()))?;
    let flags = header[FLAGS_AT];
    if flags & !KNOWN_FLAGS != 0 {
        return Err(UnpackError::UnknownFlags(flags));
    }
    let mut lengths = [0u8; 5];
    lengths.copy_from_slice(&header[LENGTHS_AT..PACKED_HEADER_LEN]);
    Ok(described_len(flags, &lengths))
}

/// Reads a packed session; accepts exactly the bytes [`pack_session`] produces (so
/// `pack_session(&unpack_session(b)?) == b` for every accepted `b`).
pub fn unpack_session(bytes: &[u8]) -> Result<Session, UnpackError> {
    let expected = packed_len(bytes)?;
    if bytes.len() != expected {
        return Err(UnpackError::LengthMismatch {
            expected,
            actual: bytes.len(),
        });
    }
    let mut reader = Reader { bytes, at: 0 };
    let signer = reader.address();
    let valid_after = reader.uint48();
    let valid_until = reader.uint48();
    let period = reader.uint48();
    let period_start = reader.uint48();
    let max_uses = u32::from_be_bytes(reader.array());
    let rate_limit = u32::from_be_bytes(reader.array());
    let [flags] = reader.array::<1>();
    let [calls, tokens, periodic, paymasters, selectors] = reader.array::<5>().map(usize::from);
    let calls = (0..calls)
        .map(|_| CallGrant {
            target: reader.address(),
            selector: FixedBytes(reader.array()),
            flags: reader.array::<1>()[0],
        })
        .collect();
    let tokens = (0..tokens)
        .map(|_| TokenAllowance {
            token: reader.address(),
            amount: reader.word(),
        })
        .collect();
    let periodic = (0..periodic)
        .map(|_| PeriodicAllowance {
            asset: reader.address(),
            amount: reader.word(),
        })
        .collect();
    let paymasters = (0..paymasters).map(|_| reader.address()).collect();
    let account_selectors = (0..selectors).map(|_| FixedBytes(reader.array())).collect();
    let mut budget = |flag: u8, which: Budget| -> Result<U256, UnpackError> {
        if flags & flag == 0 {
            return Ok(U256::ZERO);
        }
        let amount = reader.word();
        if amount.is_zero() {
            return Err(UnpackError::ZeroBudget(which));
        }
        Ok(amount)
    };
    let native_allowance = budget(FLAG_NATIVE, Budget::NativeAllowance)?;
    let fee_budget = budget(FLAG_FEE, Budget::FeeBudget)?;
    let gas_budget = budget(FLAG_GAS, Budget::GasBudget)?;
    let salt = if flags & FLAG_SALT == 0 {
        B256::ZERO
    } else {
        let salt = B256::from(reader.array::<WORD>());
        if salt.is_zero() {
            return Err(UnpackError::ZeroSalt);
        }
        salt
    };
    Ok(Session {
        signer,
        validAfter: valid_after,
        validUntil: valid_until,
        maxUses: max_uses,
        root: flags & FLAG_ROOT != 0,
        period,
        periodStart: period_start,
        rateLimit: rate_limit,
        nativeAllowance: native_allowance,
        feeBudget: fee_budget,
        gasBudget: gas_budget,
        calls,
        accountSelectors: account_selectors,
        tokens,
        periodic,
        paymasters,
        salt,
    })
}

/// The five list lengths as header bytes (calls, tokens, periodic, paymasters,
/// accountSelectors), or the first list, in `field` order, too long for one byte.
fn header_lengths(session: &Session) -> Result<[u8; 5], PackError> {
    let byte = |list: SessionList, length: usize| {
        u8::try_from(length).map_err(|_| PackError::ListTooLong { list, length })
    };
    let calls = byte(SessionList::Calls, session.calls.len())?;
    let selectors = byte(
        SessionList::AccountSelectors,
        session.accountSelectors.len(),
    )?;
    let tokens = byte(SessionList::Tokens, session.tokens.len())?;
    let periodic = byte(SessionList::Periodic, session.periodic.len())?;
    let paymasters = byte(SessionList::Paymasters, session.paymasters.len())?;
    Ok([calls, tokens, periodic, paymasters, selectors])
}

fn present_budgets(session: &Session) -> Vec<(Budget, U256)> {
    [
        (Budget::NativeAllowance, session.nativeAllowance),
        (Budget::FeeBudget, session.feeBudget),
        (Budget::GasBudget, session.gasBudget),
    ]
    .into_iter()
    .filter(|(_, amount)| !amount.is_zero())
    .collect()
}

fn budget_flag(budget: Budget) -> u8 {
    match budget {
        Budget::NativeAllowance => FLAG_NATIVE,
        Budget::FeeBudget => FLAG_FEE,
        Budget::GasBudget => FLAG_GAS,
    }
}

/// Total length described by a header's flags and list lengths (at most a few KB: every
/// count is below 256).
fn described_len(flags: u8, lengths: &[u8; 5]) -> usize {
    let words = (flags & WORD_FLAGS).count_ones() as usize;
    let [calls, tokens, periodic, paymasters, selectors] = lengths.map(usize::from);
    PACKED_HEADER_LEN
        + WORD * words
        + CALL_SIZE * calls
        + SELECTOR_SIZE * selectors
        + ASSET_SIZE * (tokens + periodic)
        + PAYMASTER_SIZE * paymasters
}

/// Sequential reads over bytes whose total length was checked against the header first, so
/// every read is in bounds.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        out
    }

    fn address(&mut self) -> Address {
        Address::from(self.array::<20>())
    }

    fn uint48(&mut self) -> U48 {
        U48::from_be_bytes(self.array::<6>())
    }

    fn word(&mut self) -> U256 {
        U256::from_be_bytes(self.array::<WORD>())
    }
}
