//! The packed session encoding, written from its definition (`contracts/session/
//! SessionPacking.sol`, PACKED.md and WAVE2.md) for the reference's session ids and envelopes,
//! never read from the module: big-endian, no padding, a budget or the salt carried iff it is
//! non-zero.

use leash_model::Session;

/// Bytes before the lists: the fixed fields, flags and the five list lengths.
pub const HEADER_LENGTH: usize = 58;
/// Longest list a 1-byte length can describe.
pub const MAX_LIST_LENGTH: usize = 255;

/// A model session the packed encoding cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// A list longer than 255 entries (the module reverts `SessionListTooLong(field, length,
    /// 255)`).
    #[error("session list {field} has {length} entries; the packed encoding holds at most {MAX_LIST_LENGTH}")]
    ListTooLong {
        /// 0 calls, 1 accountSelectors, 2 tokens, 3 periodic, 4 paymasters.
        field: u8,
        /// The list's length.
        length: usize,
    },
    /// A time field above `type(uint48).max` (no `Session` holds one).
    #[error("session time {0} does not fit uint48")]
    TimeTooLarge(u64),
}

/// `pack(session)`: signer, validAfter, validUntil, period, periodStart (6 bytes each),
/// maxUses, rateLimit (4 each), flags (root, then which of nativeAllowance, feeBudget,
/// gasBudget and salt are carried), the lengths of calls, tokens, periodic, paymasters and
/// accountSelectors (1 byte each), those five lists in that order (calls as target, selector,
/// flags; assets as address, amount), the carried budgets, the salt if non-zero.
pub fn pack(session: &Session) -> Result<Vec<u8>, PackError> {
    // Checked in the module's `field` order; written in the packed order.
    let lengths = [
        session.calls.len(),
        session.account_selectors.len(),
        session.tokens.len(),
        session.periodic.len(),
        session.paymasters.len(),
    ];
    let mut by_field = [0u8; 5];
    for (field, (byte, length)) in by_field.iter_mut().zip(lengths).enumerate() {
        *byte = u8::try_from(length).map_err(|_| PackError::ListTooLong {
            field: field as u8,
            length,
        })?;
    }
    let [calls, selectors, tokens, periodic, paymasters] = by_field;
    let length_bytes = [calls, tokens, periodic, paymasters, selectors];
    let budgets = [
        session.native_allowance,
        session.fee_budget,
        session.gas_budget,
    ];
    let mut flags = u8::from(session.root);
    for (bit, budget) in budgets.iter().enumerate() {
        if !budget.is_zero() {
            flags |= 2 << bit;
        }
    }
    let salted = session.salt != [0u8; 32];
    if salted {
        flags |= FLAG_SALT;
    }
    let mut out = session.signer.to_vec();
    for time in [
        session.valid_after,
        session.valid_until,
        session.period,
        session.period_start,
    ] {
        if time >> 48 != 0 {
            return Err(PackError::TimeTooLarge(time));
        }
        out.extend_from_slice(&time.to_be_bytes()[2..]);
    }
    out.extend_from_slice(&session.max_uses.to_be_bytes());
    out.extend_from_slice(&session.rate_limit.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&length_bytes);
    for grant in &session.calls {
        out.extend_from_slice(grant.target.as_slice());
        out.extend_from_slice(grant.selector.as_slice());
        out.push(grant.flags);
    }
    for (asset, amount) in session
        .tokens
        .iter()
        .map(|t| (t.token, t.amount))
        .chain(session.periodic.iter().map(|p| (p.asset, p.amount)))
    {
        out.extend_from_slice(asset.as_slice());
        out.extend_from_slice(&amount.to_be_bytes::<32>());
    }
    for paymaster in &session.paymasters {
        out.extend_from_slice(paymaster.as_slice());
    }
    for selector in &session.account_selectors {
        out.extend_from_slice(selector.as_slice());
    }
    for budget in budgets.iter().filter(|b| !b.is_zero()) {
        out.extend_from_slice(&budget.to_be_bytes::<32>());
    }
    if salted {
        out.extend_from_slice(&session.salt);
    }
    Ok(out)
}

/// Header flag bit: the salt word is carried.
pub const FLAG_SALT: u8 = 0x10;
/// Offset of the header's flags byte.
pub const FLAGS_OFFSET: usize = 52;

/// `pack(session)` made non-canonical the way only a hand-made envelope can be: a zero salt
/// word carried under the salt flag (the session's own salt, if any, replaced by zero). The
/// module's format check rejects it (`SessionEncodingNotCanonical`); its hash is no session's
/// id.
pub fn pack_with_zero_salt(session: &Session) -> Result<Vec<u8>, PackError> {
    let unsalted = Session {
        salt: [0u8; 32],
        ..session.clone()
    };
    let mut out = pack(&unsalted)?;
    out[FLAGS_OFFSET] |= FLAG_SALT;
    out.extend_from_slice(&[0u8; 32]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, FixedBytes, U256};
    use leash_model::{CallGrant, PeriodicAllowance, TokenAllowance};

    #[test]
    fn an_empty_session_is_the_header_and_the_salt_if_any() {
        let session = Session {
            signer: Address::repeat_byte(0x11),
            valid_after: 0x0102_0304_0506,
            valid_until: 7,
            salt: [0x5a; 32],
            ..Session::default()
        };
        let packed = pack(&session).unwrap();
        assert_eq!(packed.len(), HEADER_LENGTH + 32);
        assert_eq!(&packed[20..26], &[1, 2, 3, 4, 5, 6]);
        assert_eq!(packed[31], 7);
        assert_eq!(packed[52], FLAG_SALT);
        assert_eq!(&packed[53..58], &[0; 5]);
        assert_eq!(&packed[58..], &[0x5a; 32]);

        let unsalted = Session {
            salt: [0; 32],
            ..session.clone()
        };
        let packed = pack(&unsalted).unwrap();
        assert_eq!(packed.len(), HEADER_LENGTH);
        assert_eq!(&packed[52..58], &[0; 6]);

        let zero_salt = pack_with_zero_salt(&session).unwrap();
        assert_eq!(zero_salt.len(), HEADER_LENGTH + 32);
        assert_eq!(zero_salt[52], FLAG_SALT);
        assert_eq!(&zero_salt[58..], &[0; 32]);
        assert_eq!(&zero_salt[..52], &packed[..52]);
    }

    #[test]
    fn lists_then_budgets_follow_the_header_in_order() {
        let session = Session {
            root: true,
            max_uses: 0x0102_0304,
            rate_limit: 5,
            fee_budget: U256::from(9),
            calls: vec![CallGrant {
                target: Address::repeat_byte(0x21),
                selector: FixedBytes([0xa9, 0x05, 0x9c, 0xbb]),
                flags: 2,
            }],
            account_selectors: vec![FixedBytes([1, 2, 3, 4])],
            tokens: vec![TokenAllowance {
                token: Address::repeat_byte(0x31),
                amount: U256::from(100),
            }],
            periodic: vec![PeriodicAllowance {
                asset: Address::repeat_byte(0x32),
                amount: U256::from(42),
            }],
            paymasters: vec![Address::repeat_byte(0x41)],
            ..Session::default()
        };
        let packed = pack(&session).unwrap();
        assert_eq!(&packed[44..48], &[1, 2, 3, 4]);
        assert_eq!(&packed[48..52], &[0, 0, 0, 5]);
        assert_eq!(packed[52], 0x01 | 0x04, "root and fee budget");
        assert_eq!(&packed[53..58], &[1, 1, 1, 1, 1]);
        assert_eq!(&packed[58..78], &[0x21; 20]);
        assert_eq!(&packed[78..83], &[0xa9, 0x05, 0x9c, 0xbb, 2]);
        assert_eq!(&packed[83..103], &[0x31; 20]);
        assert_eq!(packed[134], 100);
        assert_eq!(&packed[135..155], &[0x32; 20]);
        assert_eq!(packed[186], 42);
        assert_eq!(&packed[187..207], &[0x41; 20]);
        assert_eq!(&packed[207..211], &[1, 2, 3, 4]);
        assert_eq!(packed[242], 9, "the fee budget word");
        assert_eq!(packed.len(), 243, "no salt");
    }

    #[test]
    fn a_list_of_256_has_no_encoding() {
        let session = Session {
            tokens: vec![TokenAllowance::default(); 256],
            ..Session::default()
        };
        assert_eq!(
            pack(&session).unwrap_err(),
            PackError::ListTooLong {
                field: 2,
                length: 256
            }
        );
        let late = Session {
            valid_until: 1 << 48,
            ..Session::default()
        };
        assert_eq!(pack(&late).unwrap_err(), PackError::TimeTooLarge(1 << 48));
    }
}
