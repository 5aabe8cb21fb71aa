//! The permission context `leash serve` hands an app for a session: what ERC-7715 calls
//! `context`/`permissionsContext` and EIP-5792's `permissions` capability carries back.
//!
//! It is `chainId (8 bytes) ‖ account (20) ‖ sessionId (32)`, hex: self-describing (a context
//! names its chain and account before the store is asked), and unique per served session.

use alloy::primitives::{Address, B256};

use super::rpc::Failure;

/// Length of a context in bytes.
const LENGTH: usize = 8 + 20 + 32;

/// A decoded permission context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PermissionContext {
    /// Chain id.
    pub(crate) chain_id: u64,
    /// The smart account.
    pub(crate) account: Address,
    /// The module's session id.
    pub(crate) session_id: B256,
}

impl PermissionContext {
    /// Lower-case 0x hex, the store's key.
    pub(crate) fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(LENGTH);
        bytes.extend_from_slice(&self.chain_id.to_be_bytes());
        bytes.extend_from_slice(self.account.as_slice());
        bytes.extend_from_slice(self.session_id.as_slice());
        format!("0x{}", hex::encode(bytes))
    }

    /// Reads a context an app sent back.
    pub(crate) fn decode(text: &str) -> Result<Self, Failure> {
        let bad = || {
            Failure::params(format!(
                "permission context {text:?} is not one leash serve issued (0x + {} hex digits from wallet_grantPermissions)",
                LENGTH * 2
            ))
        };
        let hex_part = text.strip_prefix("0x").ok_or_else(bad)?;
        let bytes = hex::decode(hex_part).map_err(|_| bad())?;
        if bytes.len() != LENGTH {
            return Err(bad());
        }
        let mut chain = [0u8; 8];
        chain.copy_from_slice(&bytes[..8]);
        Ok(Self {
            chain_id: u64::from_be_bytes(chain),
            account: Address::from_slice(&bytes[8..28]),
            session_id: B256::from_slice(&bytes[28..]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_round_trip_and_refuse_other_lengths() {
        let context = PermissionContext {
            chain_id: 31337,
            account: Address::repeat_byte(0xab),
            session_id: B256::repeat_byte(0x11),
        };
        let text = context.encode();
        assert_eq!(PermissionContext::decode(&text).unwrap(), context);
        assert_eq!(text, text.to_lowercase());
        assert!(PermissionContext::decode(&text[..text.len() - 2]).is_err());
        assert!(PermissionContext::decode(&text[2..]).is_err());
    }
}
