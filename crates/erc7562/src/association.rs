//! Which storage slots are "associated" with an address (ERC-7562 definitions, item 5).
//!
//! A slot is associated with `A` when it equals `A`, or when it is `keccak(A ‖ x) + n` with
//! `n < 128`. The checker cannot invert keccak, so it remembers every `KECCAK256` computed
//! in validation: the hash and the first 32 bytes of its preimage. A slot is then
//! associated with `A` when some remembered hash `h` whose preimage starts with
//! `pad32(A)` satisfies `slot - h ∈ [0, 128)`. This is how Solidity lays out
//! `mapping(address => ...)` values (`keccak(pad32(key) ‖ slot)`), nested mappings whose
//! innermost key is the address, and structs or fixed arrays stored there (the `+ n`).

use alloy_primitives::{Address, B256, U256};
use std::collections::HashMap;

/// How far past a hash an associated slot may lie (`n` in `keccak(A ‖ x) + n`).
pub const ASSOCIATED_SLOT_RANGE: u64 = 128;

/// The keccak preimages seen so far, grouped by their first 32-byte word.
#[derive(Clone, Debug, Default)]
pub struct Preimages {
    hashes_by_leading_word: HashMap<B256, Vec<U256>>,
}

impl Preimages {
    /// Records that `hash = keccak(preimage)` where `preimage` starts with `leading_word`.
    /// Preimages shorter than 32 bytes can't start with a padded address and are not
    /// recorded by the caller.
    pub fn record(&mut self, leading_word: B256, hash: U256) {
        let hashes = self.hashes_by_leading_word.entry(leading_word).or_default();
        if !hashes.contains(&hash) {
            hashes.push(hash);
        }
    }

    /// Whether `slot` is associated with `address`.
    pub fn is_associated(&self, slot: U256, address: Address) -> bool {
        if slot == U256::from_be_bytes(address_word(address).0) {
            return true;
        }
        self.hashes_by_leading_word
            .get(&address_word(address))
            .is_some_and(|hashes| {
                hashes
                    .iter()
                    .any(|hash| slot.wrapping_sub(*hash) < U256::from(ASSOCIATED_SLOT_RANGE))
            })
    }

    /// Number of distinct hashes remembered.
    pub fn len(&self) -> usize {
        self.hashes_by_leading_word.values().map(Vec::len).sum()
    }

    /// Whether nothing was remembered.
    pub fn is_empty(&self) -> bool {
        self.hashes_by_leading_word.is_empty()
    }
}

/// `pad32(address)`: the address left-padded with zeros to a 32-byte word.
pub fn address_word(address: Address) -> B256 {
    address.into_word()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, keccak256};

    const SENDER: Address = address!("0x1111111111111111111111111111111111111111");
    const OTHER: Address = address!("0x2222222222222222222222222222222222222222");

    fn mapping_slot(key: Address, base: u64) -> (B256, U256) {
        let mut preimage = [0u8; 64];
        preimage[..32].copy_from_slice(address_word(key).as_slice());
        preimage[32..].copy_from_slice(&U256::from(base).to_be_bytes::<32>());
        (address_word(key), keccak256(preimage).into())
    }

    #[test]
    fn slot_equal_to_the_address_is_associated() {
        let seen = Preimages::default();
        assert!(seen.is_associated(U256::from_be_slice(SENDER.as_slice()), SENDER));
        assert!(!seen.is_associated(U256::from_be_slice(OTHER.as_slice()), SENDER));
    }

    #[test]
    fn mapping_value_and_the_next_127_slots_are_associated() {
        let mut seen = Preimages::default();
        let (word, hash) = mapping_slot(SENDER, 3);
        seen.record(word, hash);
        assert!(seen.is_associated(hash, SENDER));
        assert!(seen.is_associated(hash + U256::from(127), SENDER));
        assert!(!seen.is_associated(hash + U256::from(128), SENDER));
        assert!(!seen.is_associated(hash - U256::from(1), SENDER));
        assert!(!seen.is_associated(hash, OTHER));
    }

    #[test]
    fn unseen_hash_is_not_associated() {
        let mut seen = Preimages::default();
        let (word, hash) = mapping_slot(OTHER, 0);
        seen.record(word, hash);
        let (_, sender_hash) = mapping_slot(SENDER, 0);
        assert!(!seen.is_associated(sender_hash, SENDER));
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn association_wraps_modulo_two_to_the_256() {
        let mut seen = Preimages::default();
        let hash = U256::MAX - U256::from(2);
        seen.record(address_word(SENDER), hash);
        assert!(seen.is_associated(U256::from(5), SENDER));
        assert!(!seen.is_associated(U256::from(200), SENDER));
    }
}
