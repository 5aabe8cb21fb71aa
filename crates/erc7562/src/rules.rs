//! Judging what a phase did once its sender is known.
//!
//! Storage, code-access, EntryPoint and creation rules depend on the operation's sender,
//! which the deployment phase only learns when `createSender` returns. The inspector
//! therefore records these facts as [`Observation`]s and judges them when the phase ends.

use crate::association::Preimages;
use crate::phase::DEPOSIT_TO;
use crate::violation::{Phase, Site, StorageAccess, Violation};
use alloy_primitives::Address;
use revm::bytecode::opcode;

/// Which create opcode made a contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CreateKind {
    /// `CREATE`.
    Create,
    /// `CREATE2`.
    Create2,
}

/// A fact recorded during a phase, judged when the phase ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Observation {
    /// A storage or transient-storage access.
    Storage { access: StorageAccess, site: Site },
    /// A `*CALL` or `EXTCODE*` on an address without code that is not a precompile.
    CodelessAccess {
        target: Address,
        opcode: u8,
        site: Site,
    },
    /// A call into the EntryPoint.
    EntryPointCall {
        caller: Address,
        opcode: u8,
        selector: Option<[u8; 4]>,
        first_argument: Option<Address>,
        empty_calldata: bool,
        site: Site,
    },
    /// A contract creation; `created` is filled in when it returns.
    Creation {
        kind: CreateKind,
        created: Option<Address>,
        site: Site,
    },
}

/// What is known about the phase when it ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PhaseFacts<'a> {
    /// The phase.
    pub(crate) phase: Phase,
    /// The operation's sender; `None` when deployment failed to return one.
    pub(crate) sender: Option<Address>,
    /// The factory, when the operation deploys its sender.
    pub(crate) factory: Option<Address>,
    /// The staked-only entity of this phase: the factory or the paymaster.
    pub(crate) entity: Option<Address>,
    /// Whether this operation deploys its sender (it didn't exist before).
    pub(crate) deploying: bool,
    /// The keccak preimages seen in validation so far.
    pub(crate) preimages: &'a Preimages,
}

impl PhaseFacts<'_> {
    fn is_sender(&self, address: Address) -> bool {
        self.sender == Some(address)
    }

    fn associated_with_sender(&self, access: &StorageAccess) -> bool {
        self.sender
            .is_some_and(|sender| self.preimages.is_associated(access.slot, sender))
    }
}

/// Judges the observations of one phase, in the order they happened.
pub(crate) fn judge(observations: &[Observation], facts: &PhaseFacts<'_>) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut sender_created = false;
    for observation in observations {
        let violation = match observation {
            Observation::Storage { access, site } => judge_storage(*access, *site, facts),
            Observation::CodelessAccess {
                target,
                opcode,
                site,
            } => {
                // OP-042: the sender may be touched before it has code (only the factory
                // can observe that).
                (!facts.is_sender(*target)).then_some(Violation::CodelessAccess {
                    target: *target,
                    opcode: *opcode,
                    site: *site,
                })
            }
            Observation::EntryPointCall {
                caller,
                opcode,
                selector,
                first_argument,
                empty_calldata,
                site,
            } => {
                let from_sender = facts.is_sender(*caller);
                let from_factory = facts.factory == Some(*caller);
                // OP-052: depositTo(sender) from the sender or the factory.
                let deposit = *selector == Some(DEPOSIT_TO)
                    && facts.sender.is_some()
                    && *first_argument == facts.sender
                    && (from_sender || from_factory);
                // OP-053: the fallback (plain value transfer) from the sender.
                let fallback = *empty_calldata && from_sender;
                let plain_call = *opcode == opcode::CALL;
                (!(plain_call && (deposit || fallback))).then_some(Violation::EntryPointAccess {
                    opcode: *opcode,
                    selector: *selector,
                    site: *site,
                })
            }
            Observation::Creation {
                kind,
                created,
                site,
            } => {
                let creates_sender = facts.phase == Phase::Deployment
                    && created.is_some()
                    && *created == facts.sender
                    && !sender_created;
                if creates_sender {
                    sender_created = true;
                    None
                } else {
                    Some(match kind {
                        CreateKind::Create => Violation::BannedOpcode {
                            opcode: opcode::CREATE,
                            site: *site,
                        },
                        CreateKind::Create2 => Violation::Create2 {
                            created: *created,
                            site: *site,
                        },
                    })
                }
            }
        };
        violations.extend(violation);
    }
    violations
}

/// The storage rules for an unstaked entity, in the order a bundler applies them.
fn judge_storage(access: StorageAccess, site: Site, facts: &PhaseFacts<'_>) -> Option<Violation> {
    // STO-010: the account's own storage.
    if facts.is_sender(access.contract) {
        return None;
    }
    // STO-021 / STO-022: storage associated with the sender, in any other contract.
    if facts.associated_with_sender(&access) {
        return facts
            .deploying
            .then_some(Violation::AssociatedStorageDuringDeployment { access, site });
    }
    if let Some(entity) = facts.entity {
        // STO-031: the entity's own storage needs stake.
        if access.contract == entity {
            return Some(Violation::EntityStorage { access, site });
        }
        // STO-032: storage associated with the entity needs stake.
        if facts.preimages.is_associated(access.slot, entity) {
            return Some(Violation::EntityAssociatedStorage { access, site });
        }
    }
    Some(if access.op.is_write() {
        Violation::UnassociatedStorage { access, site }
    } else {
        // STO-033: reading unassociated storage needs stake.
        Violation::UnassociatedStorageRead { access, site }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::association::address_word;
    use crate::violation::StorageOp;
    use alloy_primitives::{address, keccak256, U256};

    const SENDER: Address = address!("0x1111111111111111111111111111111111111111");
    const TOKEN: Address = address!("0x2222222222222222222222222222222222222222");
    const PAYMASTER: Address = address!("0x3333333333333333333333333333333333333333");
    const FACTORY: Address = address!("0x4444444444444444444444444444444444444444");

    fn site(phase: Phase) -> Site {
        Site {
            address: TOKEN,
            depth: 2,
            phase,
        }
    }

    fn facts(phase: Phase, entity: Option<Address>, preimages: &Preimages) -> PhaseFacts<'_> {
        PhaseFacts {
            phase,
            sender: Some(SENDER),
            factory: None,
            entity,
            deploying: false,
            preimages,
        }
    }

    fn balance_slot(preimages: &mut Preimages, owner: Address) -> U256 {
        let mut preimage = [0u8; 64];
        preimage[..32].copy_from_slice(address_word(owner).as_slice());
        let hash: U256 = keccak256(preimage).into();
        preimages.record(address_word(owner), hash);
        hash
    }

    fn storage(contract: Address, slot: U256, op: StorageOp, phase: Phase) -> Observation {
        Observation::Storage {
            access: StorageAccess { contract, slot, op },
            site: site(phase),
        }
    }

    fn rules(violations: &[Violation]) -> Vec<&'static str> {
        violations.iter().map(Violation::rule_id).collect()
    }

    #[test]
    fn own_and_associated_storage_pass() {
        let mut preimages = Preimages::default();
        let slot = balance_slot(&mut preimages, SENDER);
        let observations = [
            storage(SENDER, U256::from(7), StorageOp::Sstore, Phase::Account),
            storage(TOKEN, slot, StorageOp::Sstore, Phase::Account),
            storage(
                TOKEN,
                slot + U256::from(1),
                StorageOp::Tload,
                Phase::Account,
            ),
        ];
        let facts = facts(Phase::Account, None, &preimages);
        assert!(judge(&observations, &facts).is_empty());
    }

    #[test]
    fn unassociated_write_is_sto_021_and_read_is_sto_033() {
        let mut preimages = Preimages::default();
        let other = balance_slot(&mut preimages, TOKEN);
        let observations = [
            storage(TOKEN, other, StorageOp::Sstore, Phase::Account),
            storage(TOKEN, U256::ZERO, StorageOp::Sload, Phase::Account),
        ];
        let facts = facts(Phase::Account, None, &preimages);
        assert_eq!(rules(&judge(&observations, &facts)), ["STO-021", "STO-033"]);
    }

    #[test]
    fn associated_storage_during_deployment_is_sto_022() {
        let mut preimages = Preimages::default();
        let slot = balance_slot(&mut preimages, SENDER);
        let mut facts = facts(Phase::Account, None, &preimages);
        facts.deploying = true;
        let observations = [storage(TOKEN, slot, StorageOp::Sload, Phase::Account)];
        assert_eq!(rules(&judge(&observations, &facts)), ["STO-022"]);
    }

    #[test]
    fn paymaster_storage_needs_stake() {
        let mut preimages = Preimages::default();
        let pm_slot = balance_slot(&mut preimages, PAYMASTER);
        let sender_slot = balance_slot(&mut preimages, SENDER);
        let observations = [
            storage(PAYMASTER, U256::ZERO, StorageOp::Sload, Phase::Paymaster),
            storage(TOKEN, pm_slot, StorageOp::Sload, Phase::Paymaster),
            storage(PAYMASTER, sender_slot, StorageOp::Sstore, Phase::Paymaster),
        ];
        let facts = facts(Phase::Paymaster, Some(PAYMASTER), &preimages);
        assert_eq!(rules(&judge(&observations, &facts)), ["STO-031", "STO-032"]);
    }

    #[test]
    fn entry_point_allows_deposit_to_sender_and_fallback_only() {
        let preimages = Preimages::default();
        let call = |caller, selector, first_argument, empty_calldata, opcode| {
            Observation::EntryPointCall {
                caller,
                opcode,
                selector,
                first_argument,
                empty_calldata,
                site: site(Phase::Account),
            }
        };
        let allowed = [
            call(SENDER, Some(DEPOSIT_TO), Some(SENDER), false, opcode::CALL),
            call(SENDER, None, None, true, opcode::CALL),
        ];
        let facts_account = facts(Phase::Account, None, &preimages);
        assert!(judge(&allowed, &facts_account).is_empty());
        let forbidden = [
            call(SENDER, Some(DEPOSIT_TO), Some(TOKEN), false, opcode::CALL),
            call(
                SENDER,
                Some([0x70, 0xa0, 0x82, 0x31]),
                Some(SENDER),
                false,
                opcode::CALL,
            ),
            call(
                SENDER,
                Some(DEPOSIT_TO),
                Some(SENDER),
                false,
                opcode::STATICCALL,
            ),
            call(TOKEN, None, None, true, opcode::CALL),
        ];
        assert_eq!(judge(&forbidden, &facts_account).len(), 4);
    }

    #[test]
    fn factory_may_deposit_for_the_sender() {
        let preimages = Preimages::default();
        let mut facts = facts(Phase::Deployment, Some(FACTORY), &preimages);
        facts.factory = Some(FACTORY);
        let deposit = [Observation::EntryPointCall {
            caller: FACTORY,
            opcode: opcode::CALL,
            selector: Some(DEPOSIT_TO),
            first_argument: Some(SENDER),
            empty_calldata: false,
            site: site(Phase::Deployment),
        }];
        assert!(judge(&deposit, &facts).is_empty());
    }

    #[test]
    fn deployment_may_create_the_sender_once() {
        let preimages = Preimages::default();
        let facts = facts(Phase::Deployment, Some(FACTORY), &preimages);
        let create2 = |created| Observation::Creation {
            kind: CreateKind::Create2,
            created,
            site: site(Phase::Deployment),
        };
        let observations = [
            create2(Some(SENDER)),
            create2(Some(SENDER)),
            create2(Some(TOKEN)),
            create2(None),
        ];
        assert_eq!(
            rules(&judge(&observations, &facts)),
            ["OP-031", "OP-031", "OP-031"]
        );
        let create = [Observation::Creation {
            kind: CreateKind::Create,
            created: Some(TOKEN),
            site: site(Phase::Deployment),
        }];
        assert_eq!(rules(&judge(&create, &facts)), ["OP-011"]);
        let account_facts = PhaseFacts {
            phase: Phase::Account,
            ..facts
        };
        assert_eq!(
            rules(&judge(&[create2(Some(SENDER))], &account_facts)),
            ["OP-031"]
        );
    }

    #[test]
    fn codeless_sender_is_exempt() {
        let preimages = Preimages::default();
        let facts = facts(Phase::Deployment, Some(FACTORY), &preimages);
        let access = |target| Observation::CodelessAccess {
            target,
            opcode: opcode::EXTCODESIZE,
            site: site(Phase::Deployment),
        };
        assert_eq!(
            rules(&judge(&[access(SENDER), access(TOKEN)], &facts)),
            ["OP-041"]
        );
    }
}
