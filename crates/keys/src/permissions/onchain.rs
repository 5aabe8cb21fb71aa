//! The on-chain `Session` as ABI types: the same struct shapes as
//! `contracts/session/SessionTypes.sol`, written here so this crate does not depend on the
//! contracts crate. A session's id is the hash of its packed encoding (see [`pack_session`]);
//! known-answer tests (tests/permissions.rs, tests/packed.rs) pin both encodings.

use alloy::primitives::{address, keccak256, Address, B256};

pub use super::packed::{
    pack_session, packed_len, unpack_session, Budget, PackError, SessionList, UnpackError,
    MAX_PACKED_LIST_LEN, PACKED_HEADER_LEN,
};

alloy::sol! {
    /// `call(target, selector)`; `flags` bit 0 = any target, bit 1 = any selector.
    #[derive(Debug, PartialEq, Eq)]
    struct CallGrant {
        address target;
        bytes4 selector;
        uint8 flags;
    }

    /// `erc20-allowance(token, amount)`, cumulative over the session's life.
    #[derive(Debug, PartialEq, Eq)]
    struct TokenAllowance {
        address token;
        uint256 amount;
    }

    /// `periodic-allowance(asset, amount)` per period of the session's schedule.
    #[derive(Debug, PartialEq, Eq)]
    struct PeriodicAllowance {
        address asset;
        uint256 amount;
    }

    /// Everything a session is granted; field order is the ABI order.
    #[derive(Debug, PartialEq, Eq)]
    struct Session {
        address signer;
        uint48 validAfter;
        uint48 validUntil;
        uint32 maxUses;
        bool root;
        uint48 period;
        uint48 periodStart;
        uint32 rateLimit;
        uint256 nativeAllowance;
        uint256 feeBudget;
        uint256 gasBudget;
        CallGrant[] calls;
        bytes4[] accountSelectors;
        TokenAllowance[] tokens;
        PeriodicAllowance[] periodic;
        address[] paymasters;
        bytes32 salt;
    }
}

/// Sentinel asset that stands for the native token in periodic allowances.
pub const NATIVE_ASSET: Address = address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
/// `CallGrant.flags` bit: the grant matches any target.
pub const GRANT_ANY_TARGET: u8 = 0x01;
/// `CallGrant.flags` bit: the grant matches any selector.
pub const GRANT_ANY_SELECTOR: u8 = 0x02;

/// `keccak256(pack_session(session))`, the id the module gives the session. Fails only for a
/// list longer than 255 entries, which has no packed encoding (the module reverts too).
pub fn session_id(session: &Session) -> Result<B256, PackError> {
    Ok(keccak256(pack_session(session)?))
}
