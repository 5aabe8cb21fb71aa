//! What the chain says happened to the sessions, kept by the suite from chain facts only (which
//! owner ops the EntryPoint reported successful, which session ops validated and executed), never
//! from the module's views or the reference model: the lifecycle (created, paused, revoked,
//! uninstalled), the install generation, and how many ops of each session ran, in all and per
//! period. The lifecycle, RATE and LEDGER invariants compare what the chain then let through
//! with these facts.

use crate::grammar::enable_nonce;
use crate::grammar::OwnerAction;
use alloy::primitives::{Address, B256, U256};
use std::collections::{HashMap, HashSet};

/// A session's life as the chain showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Granted (by a successful owner `grantSession`, or an op carrying its owner's enable
    /// grant that validated) and not paused or revoked since.
    Active,
    /// A successful `pauseSession` with no successful `resumeSession` after it.
    Paused,
    /// A successful `revokeSession`, or live when a successful uninstall of the module ran:
    /// for ever.
    Revoked,
}

/// The chain facts of one case.
#[derive(Debug, Clone, Default)]
pub struct ChainFacts {
    /// Successful uninstalls of the module from the main account (the install generation).
    pub generation: u32,
    /// True after a successful uninstall until a successful reinstall.
    pub uninstalled: bool,
    life: HashMap<(Address, B256), Life>,
    uses: HashMap<(Address, B256), u64>,
    per_period: HashMap<(Address, B256, u32), u64>,
    used_nonces: HashSet<(Address, U256)>,
}

impl ChainFacts {
    /// The life of `id` on `account` (`None`: never created).
    pub fn life(&self, account: Address, id: B256) -> Option<Life> {
        self.life.get(&(account, id)).copied()
    }

    /// An op carrying the owner's enable grant of `id` validated: the session exists from now
    /// on (unless it already did).
    pub fn enabled(&mut self, account: Address, id: B256) {
        self.life.entry((account, id)).or_insert(Life::Active);
    }

    /// An op carrying an enable grant with `nonce` validated, or the owner's
    /// `invalidateEnableNonce(nonce)` succeeded: false when the nonce was already used.
    pub fn use_nonce(&mut self, account: Address, nonce: U256) -> bool {
        self.used_nonces.insert((account, nonce))
    }

    /// Whether `nonce` of `account` was consumed: by an enable grant that validated, or by the
    /// owner's successful `invalidateEnableNonce`.
    pub fn nonce_used(&self, account: Address, nonce: U256) -> bool {
        self.used_nonces.contains(&(account, nonce))
    }

    /// Counts one validated op of `id` on `account` naming `period`; returns the session's ops
    /// so far in all and in that period.
    pub fn count_op(&mut self, account: Address, id: B256, period: u32) -> (u64, u64) {
        let all = self.uses.entry((account, id)).or_default();
        *all += 1;
        let all = *all;
        let in_period = self.per_period.entry((account, id, period)).or_default();
        *in_period += 1;
        (all, *in_period)
    }

    /// The owner op `action` of `account` executed successfully (`id_of(i)` is template `i`'s
    /// session id).
    pub fn owner_executed(
        &mut self,
        account: Address,
        action: OwnerAction,
        id_of: impl Fn(usize) -> B256,
    ) {
        match action {
            OwnerAction::Grant(i) | OwnerAction::Resume(i) => {
                self.life.insert((account, id_of(i)), Life::Active);
            }
            OwnerAction::Pause(i) => {
                self.life.insert((account, id_of(i)), Life::Paused);
            }
            OwnerAction::Revoke(i) => {
                self.life.insert((account, id_of(i)), Life::Revoked);
            }
            OwnerAction::Uninstall => {
                for ((owner, _), life) in &mut self.life {
                    if *owner == account {
                        *life = Life::Revoked;
                    }
                }
                self.generation += 1;
                self.uninstalled = true;
            }
            OwnerAction::Reinstall => self.uninstalled = false,
            OwnerAction::InvalidateNonce(n) => {
                self.use_nonce(account, enable_nonce(n));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_facts_uninstall_revokes_every_session_for_ever() {
        let account = Address::repeat_byte(1);
        let id = |i: usize| B256::repeat_byte(i as u8 + 1);
        let mut facts = ChainFacts::default();
        facts.owner_executed(account, OwnerAction::Grant(0), id);
        facts.owner_executed(account, OwnerAction::Pause(0), id);
        facts.enabled(account, id(1));
        facts.owner_executed(account, OwnerAction::Uninstall, id);
        facts.owner_executed(account, OwnerAction::Reinstall, id);
        assert_eq!(facts.life(account, id(0)), Some(Life::Revoked));
        assert_eq!(facts.life(account, id(1)), Some(Life::Revoked));
        assert_eq!(facts.life(account, id(2)), None);
        assert_eq!((facts.generation, facts.uninstalled), (1, false));
        facts.enabled(account, id(1));
        assert_eq!(facts.life(account, id(1)), Some(Life::Revoked));
    }

    #[test]
    fn test_facts_use_nonce_once() {
        let account = Address::repeat_byte(1);
        let mut facts = ChainFacts::default();
        facts.owner_executed(account, OwnerAction::InvalidateNonce(5), |_| B256::ZERO);
        assert!(!facts.use_nonce(account, enable_nonce(5)));
        assert!(facts.use_nonce(account, enable_nonce(4)));
        assert!(!facts.use_nonce(account, enable_nonce(4)));
        assert!(facts.use_nonce(Address::repeat_byte(2), enable_nonce(4)));
        assert!(facts.nonce_used(account, enable_nonce(5)));
        assert!(facts.nonce_used(account, enable_nonce(4)));
        assert!(!facts.nonce_used(account, enable_nonce(3)));
    }

    #[test]
    fn test_facts_count_op_counts_per_period() {
        let (account, id) = (Address::repeat_byte(1), B256::repeat_byte(2));
        let mut facts = ChainFacts::default();
        assert_eq!(facts.count_op(account, id, 7), (1, 1));
        assert_eq!(facts.count_op(account, id, 7), (2, 2));
        assert_eq!(facts.count_op(account, id, 8), (3, 1));
    }
}
