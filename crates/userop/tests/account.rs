//! Account profiles: layouts of the nonce key, install data and ERC-1271 wrapping per account.

use alloy::primitives::{address, b256, Address, Bytes, U256};
use alloy::sol_types::SolValue;
use leash_userop::account::{AccountKind, AccountProfileError, SENTINEL};
use proptest::prelude::*;

const MODULE: Address = address!("1111111111111111111111111111111111111111");

#[test]
fn nonce_layouts_put_the_validator_where_each_account_reads_it() {
    let seq = 7u64;
    let oz = AccountKind::OpenZeppelin
        .nonce(MODULE, 0xaabbccdd, false, seq)
        .unwrap();
    assert_eq!(
        oz,
        U256::from_be_slice(&alloy::hex!(
            "1111111111111111111111111111111111111111aabbccdd0000000000000007"
        ))
    );
    let nexus = AccountKind::Nexus.nonce(MODULE, 0, false, seq).unwrap();
    assert_eq!(
        nexus,
        U256::from_be_slice(&alloy::hex!(
            "0000000011111111111111111111111111111111111111110000000000000007"
        ))
    );
    let kernel = AccountKind::Kernel
        .nonce(MODULE, 0xbeef, false, seq)
        .unwrap();
    assert_eq!(
        kernel,
        U256::from_be_slice(&alloy::hex!(
            "00011111111111111111111111111111111111111111beef0000000000000007"
        ))
    );
    assert_eq!(
        AccountKind::Kernel.nonce(MODULE, 0, true, seq).unwrap(),
        U256::from(seq)
    );
}

#[test]
fn lanes_that_do_not_fit_are_refused() {
    assert_eq!(
        AccountKind::Nexus.nonce_key(MODULE, 1, false),
        Err(AccountProfileError::NonceKeyTooLarge {
            kind: AccountKind::Nexus,
            key: 1,
            bits: 0
        })
    );
    assert!(AccountKind::Kernel
        .nonce_key(MODULE, 0x1_0000, false)
        .is_err());
    assert!(AccountKind::Kernel.nonce_key(MODULE, 0xffff, false).is_ok());
    assert!(AccountKind::MsaAdvanced
        .nonce_key(MODULE, u32::MAX, false)
        .is_ok());
}

#[test]
fn account_ids_and_names_parse() {
    for (id, kind) in [
        (
            "@openzeppelin/contracts.AccountERC7579.v1.0.0",
            AccountKind::OpenZeppelin,
        ),
        ("uMSA.advanced/withHook.v0.1", AccountKind::MsaAdvanced),
        ("biconomy.nexus.1.0.0", AccountKind::Nexus),
        ("rhinestone.safe7579.v1.0.0", AccountKind::Safe7579),
        ("kernel.advanced.v0.3.1", AccountKind::Kernel),
    ] {
        assert_eq!(AccountKind::from_account_id(id), Ok(kind), "{id}");
    }
    assert!(AccountKind::from_account_id("kernel.advanced.v0.2.4").is_err());
    assert!(AccountKind::from_account_id("someone.else.v1").is_err());
    for kind in AccountKind::ALL {
        assert_eq!(kind.as_str().parse::<AccountKind>(), Ok(kind));
    }
    assert!("alchemy".parse::<AccountKind>().is_err());
}

#[test]
fn eip7702_designator_selects_the_eip7702_profile() {
    let delegate = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
    let mut designator = vec![0xef, 0x01, 0x00];
    designator.extend_from_slice(delegate.as_slice());
    assert_eq!(
        leash_userop::account::eip7702_delegate(&designator),
        Some(delegate)
    );
    assert_eq!(
        AccountKind::OpenZeppelin.for_code(&designator),
        AccountKind::Eip7702
    );
    // Contract code, a short designator, or another kind: unchanged.
    assert_eq!(
        AccountKind::OpenZeppelin.for_code(&[0x60, 0x80]),
        AccountKind::OpenZeppelin
    );
    assert_eq!(
        leash_userop::account::eip7702_delegate(&designator[..22]),
        None
    );
    assert_eq!(
        AccountKind::Kernel.for_code(&designator),
        AccountKind::Kernel
    );
    // The nonce layout is OpenZeppelin's.
    assert_eq!(
        AccountKind::Eip7702.nonce(MODULE, 7, false, 9),
        AccountKind::OpenZeppelin.nonce(MODULE, 7, false, 9)
    );
}

#[test]
fn install_and_uninstall_data() {
    let data = Bytes::from_static(b"\x01\x02");
    for kind in AccountKind::ALL {
        if kind != AccountKind::Kernel {
            assert_eq!(kind.install_validator_data(&data), data);
        }
    }
    let kernel = AccountKind::Kernel.install_validator_data(&data);
    assert_eq!(&kernel[..20], Address::ZERO.as_slice(), "no hook");
    let (module_data, hook_data, selector_data) =
        <(Bytes, Bytes, Bytes)>::abi_decode_params(&kernel[20..]).unwrap();
    assert_eq!(module_data, data);
    assert!(hook_data.is_empty());
    assert_eq!(selector_data.as_ref(), &[0xe9, 0xae, 0x5c, 0x53]);

    let other = address!("2222222222222222222222222222222222222222");
    let list = [other, MODULE];
    let msa = AccountKind::MsaAdvanced
        .uninstall_validator_data(MODULE, &list)
        .unwrap();
    assert_eq!(msa, Bytes::from((other, Bytes::new()).abi_encode_params()));
    let first = AccountKind::Nexus
        .uninstall_validator_data(other, &list)
        .unwrap();
    assert_eq!(
        first,
        Bytes::from((SENTINEL, Bytes::new()).abi_encode_params())
    );
    assert!(AccountKind::Safe7579
        .uninstall_validator_data(MODULE, &[other])
        .is_err());
    assert!(AccountKind::Kernel
        .uninstall_validator_data(MODULE, &[])
        .unwrap()
        .is_empty());
}

#[test]
fn erc1271_wrapping() {
    let sig = [0xab; 65];
    let hash = b256!("00000000000000000000000000000000000000000000000000000000000000aa");
    let account = address!("3333333333333333333333333333333333333333");
    for kind in AccountKind::ALL {
        let wrapped = kind.erc1271_signature(MODULE, false, &sig);
        match kind {
            AccountKind::Kernel => {
                assert_eq!(wrapped[0], 0x01);
                assert_eq!(&wrapped[1..21], MODULE.as_slice());
                assert_eq!(
                    AccountKind::Kernel.erc1271_signature(MODULE, true, &sig)[0],
                    0x00
                );
                assert_ne!(kind.erc1271_hash(account, 1, hash), hash);
                assert_ne!(
                    kind.erc1271_hash(account, 1, hash),
                    kind.erc1271_hash(account, 2, hash),
                    "bound to the chain"
                );
            }
            AccountKind::Eip7702 => {
                // The EOA's own signature, unwrapped, over the hash itself.
                assert_eq!(wrapped, Bytes::copy_from_slice(&sig));
                assert_eq!(kind.erc1271_hash(account, 1, hash), hash);
            }
            _ => {
                assert_eq!(&wrapped[..20], MODULE.as_slice());
                assert_eq!(kind.erc1271_hash(account, 1, hash), hash);
            }
        }
        assert_eq!(&wrapped[wrapped.len() - 65..], &sig[..]);
    }
}

proptest! {
    #[test]
    fn nonce_validator_inverts_nonce(validator in any::<[u8; 20]>(), lane in any::<u32>(), seq in any::<u64>()) {
        let validator = Address::from(validator);
        for kind in AccountKind::ALL {
            let bits = kind.free_key_bits();
            let lane = if bits == 32 { lane } else { lane & ((1u32 << bits).wrapping_sub(1)) };
            let nonce = kind.nonce(validator, lane, false, seq).unwrap();
            prop_assert_eq!(kind.nonce_validator(nonce), Some(validator));
            prop_assert_eq!(nonce & U256::from(u64::MAX), U256::from(seq));
        }
    }
}
