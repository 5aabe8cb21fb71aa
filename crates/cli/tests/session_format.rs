//! The Session struct is defined once, in Solidity (contracts/session/SessionTypes.sol); the
//! contract bindings (leash-contracts, what the harness and the CLI call the module with) and
//! leash-keys (what permission files become, without the Solidity toolchain as a dependency)
//! generate their Rust types with `sol!` from the same compiled ABI file
//! (crates/contracts/abi/SessionKeyValidator.json, kept fresh by leash-contracts' `abi_fresh`
//! test). What is still written twice is the packed encoding: the module's `SessionPacking.sol`
//! and leash-keys' `pack_session`. This test pins those together: a session with every field
//! populated encodes to the same bytes through both Rust types, and the module itself, running
//! in the in-process chain, packs sessions of every shape (empty lists, full lists, zero and
//! non-zero budgets, zero and non-zero salts, root) to the bytes leash-keys packs them to and
//! gives them the id leash-keys computes (`toPackedSession` / `computeSessionId` against
//! `pack_session` / `session_id`). A field one packer misses or misorders fails here.

use alloy::primitives::{Address, Bytes, FixedBytes, B256, U256};
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use leash_contracts::artifact;
use leash_contracts::bindings::session as contract_types;
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_evm::Chain;
use leash_keys::permissions::onchain as key_types;

/// A session in which no field is left at its default, so a swapped or missing field shows.
fn every_field_session() -> key_types::Session {
    let addr = |byte: u8| Address::repeat_byte(byte);
    key_types::Session {
        signer: addr(0x11),
        validAfter: alloy::primitives::aliases::U48::from(1_700_000_000u64),
        validUntil: alloy::primitives::aliases::U48::from(1_800_000_000u64),
        maxUses: 7,
        root: true,
        period: alloy::primitives::aliases::U48::from(86_400u64),
        periodStart: alloy::primitives::aliases::U48::from(1_700_000_123u64),
        rateLimit: 3,
        nativeAllowance: U256::from(5u64) * U256::from(10u64).pow(U256::from(17u64)),
        feeBudget: U256::from(123_456_789u64),
        gasBudget: U256::from(9_000_000u64),
        calls: vec![
            key_types::CallGrant {
                target: addr(0x21),
                selector: FixedBytes([0xa9, 0x05, 0x9c, 0xbb]),
                flags: 0,
            },
            key_types::CallGrant {
                target: Address::ZERO,
                selector: FixedBytes([0x09, 0x5e, 0xa7, 0xb3]),
                flags: key_types::GRANT_ANY_TARGET,
            },
        ],
        accountSelectors: vec![FixedBytes([0x12, 0x34, 0x56, 0x78])],
        tokens: vec![key_types::TokenAllowance {
            token: addr(0x31),
            amount: U256::from(100u64),
        }],
        periodic: vec![
            key_types::PeriodicAllowance {
                asset: key_types::NATIVE_ASSET,
                amount: U256::from(42u64),
            },
            key_types::PeriodicAllowance {
                asset: addr(0x31),
                amount: U256::from(10u64),
            },
        ],
        paymasters: vec![addr(0x41), addr(0x42)],
        salt: FixedBytes::repeat_byte(0x5a),
    }
}

#[test]
fn keys_and_contract_bindings_encode_a_session_identically() {
    let session = every_field_session();
    let encoded = session.abi_encode();
    let as_contract_type = contract_types::Session::abi_decode(&encoded)
        .expect("the keys encoding decodes as the contract binding's Session");
    assert_eq!(
        as_contract_type.abi_encode(),
        encoded,
        "the two Rust Session types encode differently"
    );
    assert_eq!(as_contract_type.signer, session.signer);
    assert_eq!(as_contract_type.salt, session.salt);
    assert_eq!(as_contract_type.paymasters, session.paymasters);
}

/// Root off, no budgets, no salt, every list empty: the 58-byte minimum (the header alone).
fn empty_session() -> key_types::Session {
    key_types::Session {
        signer: Address::repeat_byte(0x01),
        validAfter: alloy::primitives::aliases::U48::ZERO,
        validUntil: alloy::primitives::aliases::U48::from(1u64),
        maxUses: 0,
        root: false,
        period: alloy::primitives::aliases::U48::ZERO,
        periodStart: alloy::primitives::aliases::U48::ZERO,
        rateLimit: 0,
        nativeAllowance: U256::ZERO,
        feeBudget: U256::ZERO,
        gasBudget: U256::ZERO,
        calls: Vec::new(),
        accountSelectors: Vec::new(),
        tokens: Vec::new(),
        periodic: Vec::new(),
        paymasters: Vec::new(),
        salt: B256::ZERO,
    }
}

/// Every list at the packed limit of 255 entries, extreme field values, amounts that are zero
/// or all ones (a list amount is always carried, whatever its value).
fn full_lists_session() -> key_types::Session {
    let max_u48 = alloy::primitives::aliases::U48::MAX;
    let calls = (0..255u8)
        .map(|i| key_types::CallGrant {
            target: Address::repeat_byte(i),
            selector: FixedBytes([i, 0xff - i, 0x5a, i]),
            flags: i,
        })
        .collect();
    let amount = |i: u8| {
        if i.is_multiple_of(2) {
            U256::ZERO
        } else {
            U256::MAX
        }
    };
    key_types::Session {
        signer: Address::repeat_byte(0xff),
        validAfter: max_u48,
        validUntil: max_u48,
        maxUses: u32::MAX,
        root: false,
        period: max_u48,
        periodStart: max_u48,
        rateLimit: u32::MAX,
        nativeAllowance: U256::MAX,
        feeBudget: U256::ZERO,
        gasBudget: U256::from(1u64),
        calls,
        accountSelectors: (0..255u8).map(|i| FixedBytes([i; 4])).collect(),
        tokens: (0..255u8)
            .map(|i| key_types::TokenAllowance {
                token: Address::repeat_byte(i),
                amount: amount(i),
            })
            .collect(),
        periodic: (0..255u8)
            .map(|i| key_types::PeriodicAllowance {
                asset: Address::repeat_byte(0xff - i),
                amount: amount(i.wrapping_add(1)),
            })
            .collect(),
        paymasters: (0..255u8).map(Address::repeat_byte).collect(),
        salt: B256::repeat_byte(0xff),
    }
}

/// The sessions the module and leash-keys must agree on: each budget alone and all together,
/// root with nothing else, empty and full lists.
fn sessions_of_every_shape() -> Vec<(&'static str, key_types::Session)> {
    let with = |edit: &dyn Fn(&mut key_types::Session)| {
        let mut session = empty_session();
        edit(&mut session);
        session
    };
    vec![
        ("every field", every_field_session()),
        ("empty", empty_session()),
        ("root only", with(&|s| s.root = true)),
        (
            "native allowance only",
            with(&|s| s.nativeAllowance = U256::from(1u64)),
        ),
        ("fee budget only", with(&|s| s.feeBudget = U256::MAX)),
        (
            "gas budget only",
            with(&|s| s.gasBudget = U256::from(9_000_000u64)),
        ),
        (
            "all budgets, root",
            with(&|s| {
                s.root = true;
                s.nativeAllowance = U256::from(3u64);
                s.feeBudget = U256::from(2u64);
                s.gasBudget = U256::from(1u64);
            }),
        ),
        ("salt only", with(&|s| s.salt = B256::repeat_byte(0x01))),
        (
            "salt with a zero high byte",
            with(&|s| s.salt = B256::with_last_byte(0x80)),
        ),
        (
            "salt after every budget",
            with(&|s| {
                s.nativeAllowance = U256::from(3u64);
                s.feeBudget = U256::from(2u64);
                s.gasBudget = U256::from(1u64);
                s.salt = B256::repeat_byte(0xee);
            }),
        ),
        (
            "every field, no salt",
            key_types::Session {
                salt: B256::ZERO,
                ..every_field_session()
            },
        ),
        ("full lists", full_lists_session()),
        (
            "full lists, no salt",
            key_types::Session {
                salt: B256::ZERO,
                ..full_lists_session()
            },
        ),
    ]
}

struct Module {
    chain: Chain,
    address: Address,
}

impl Module {
    fn deploy() -> Self {
        let mut chain = Chain::new().expect("in-process chain");
        let module = artifact("SessionKeyValidator").expect("module artifact");
        let address = chain
            .deploy(Address::repeat_byte(0x77), module.bytecode.clone())
            .expect("deploy the module");
        Self { chain, address }
    }

    fn as_contract_type(session: &key_types::Session) -> contract_types::Session {
        contract_types::Session::abi_decode(&session.abi_encode()).expect("decodes")
    }

    fn session_id(&self, session: &key_types::Session) -> B256 {
        let call = ISessionKeyValidator::computeSessionIdCall {
            session: Self::as_contract_type(session),
        };
        let returned = self
            .chain
            .view(self.address, call.abi_encode().into())
            .expect("computeSessionId answers");
        ISessionKeyValidator::computeSessionIdCall::abi_decode_returns(&returned)
            .expect("a bytes32")
    }

    fn pack(&self, session: &key_types::Session) -> Bytes {
        let call = ISessionKeyValidator::toPackedSessionCall {
            session: Self::as_contract_type(session),
        };
        let returned = self
            .chain
            .view(self.address, call.abi_encode().into())
            .expect("toPackedSession answers");
        ISessionKeyValidator::toPackedSessionCall::abi_decode_returns(&returned).expect("bytes")
    }
}

#[test]
fn the_module_packs_and_ids_sessions_as_leash_keys_does() {
    let module = Module::deploy();
    for (name, session) in sessions_of_every_shape() {
        let packed = key_types::pack_session(&session).expect("every shape here packs");
        assert_eq!(
            module.pack(&session).as_ref(),
            packed.as_slice(),
            "{name}: module and leash-keys pack differently"
        );
        assert_eq!(
            module.session_id(&session),
            key_types::session_id(&session).expect("packs"),
            "{name}: module and leash-keys disagree on the session id"
        );
        assert_eq!(
            key_types::unpack_session(&packed).as_ref(),
            Ok(&session),
            "{name}: the module's bytes unpack to the session"
        );
        assert_eq!(
            packed[52] & 0x10 != 0,
            !session.salt.is_zero(),
            "{name}: the salt flag follows the salt"
        );
    }
}

/// `grantSession` emits `SessionCreated` with the session's packed encoding: leash-keys
/// unpacks it back to the granted session and its hash is the event's (indexed) id.
#[test]
fn session_created_carries_the_packed_session() {
    let mut module = Module::deploy();
    let account = Address::repeat_byte(0xac);
    module
        .chain
        .fund(account, U256::from(10u64).pow(U256::from(18u64)));
    let install = ISessionKeyValidator::onInstallCall { data: Bytes::new() };
    let installed = module
        .chain
        .call(
            account,
            module.address,
            U256::ZERO,
            install.abi_encode().into(),
        )
        .expect("onInstall runs");
    assert!(installed.success, "onInstall: {:?}", installed.revert);
    for session in [every_field_session(), empty_session()] {
        let grant = ISessionKeyValidator::grantSessionCall {
            session: Module::as_contract_type(&session),
        };
        let granted = module
            .chain
            .call(
                account,
                module.address,
                U256::ZERO,
                grant.abi_encode().into(),
            )
            .expect("grantSession runs");
        assert!(granted.success, "grantSession: {:?}", granted.revert);
        let created = granted
            .logs
            .iter()
            .find_map(|log| ISessionKeyValidator::SessionCreated::decode_log(log).ok())
            .expect("a SessionCreated event");
        let id = key_types::session_id(&session).expect("packs");
        assert_eq!(created.account, account);
        assert_eq!(created.sessionId, id);
        assert!(!created.enabled);
        assert_eq!(
            created.packedSession.as_ref(),
            key_types::pack_session(&session).unwrap().as_slice()
        );
        assert_eq!(
            key_types::unpack_session(&created.packedSession),
            Ok(session)
        );
    }
}

#[test]
fn a_zero_salt_is_not_carried_and_a_salt_changes_the_id() {
    let module = Module::deploy();
    let unsalted = empty_session();
    let packed = module.pack(&unsalted);
    assert_eq!(packed.len(), 58, "the header alone");
    assert_eq!(packed[52], 0);
    let salted = key_types::Session {
        salt: B256::repeat_byte(0x07),
        ..empty_session()
    };
    let packed = module.pack(&salted);
    assert_eq!(packed.len(), 58 + 32);
    assert_eq!(packed[52], 0x10);
    assert_eq!(&packed[58..], salted.salt.as_slice());
    assert_ne!(module.session_id(&salted), module.session_id(&unsalted));
}

#[test]
fn a_list_over_255_entries_has_no_id_on_either_side() {
    let module = Module::deploy();
    let mut session = empty_session();
    session.tokens = vec![
        key_types::TokenAllowance {
            token: Address::repeat_byte(0x31),
            amount: U256::from(1u64),
        };
        256
    ];
    let call = ISessionKeyValidator::computeSessionIdCall {
        session: Module::as_contract_type(&session),
    };
    let error = module
        .chain
        .view(module.address, call.abi_encode().into())
        .expect_err("the module refuses to pack 256 tokens");
    let message = error.to_string();
    assert!(
        message.contains("SessionListTooLong(field=2, length=256, max=255)"),
        "unexpected revert: {message}"
    );
    assert_eq!(
        key_types::session_id(&session).unwrap_err(),
        key_types::PackError::ListTooLong {
            list: key_types::SessionList::Tokens,
            length: 256
        }
    );
}
