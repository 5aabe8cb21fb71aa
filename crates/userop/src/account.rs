//! Account profiles: how each ERC-7579 account implementation selects a validator from the nonce,
//! wants a validator's install/uninstall data and routes an ERC-1271 signature to a validator.
//!
//! ERC-7579 fixes `execute(bytes32,bytes)` and `installModule(uint256,address,bytes)` but leaves
//! these formats to each account. The layouts below are the ones the deployed bytecode of each
//! implementation decodes (checked against it in forge, `tests/accounts/`, and in revm,
//! `crates/evm/tests/account_profiles.rs`).
//!
//! | kind | nonce key (192 bits) | validator install data | ERC-1271 signature |
//! |---|---|---|---|
//! | OpenZeppelin `AccountERC7579` | `validator(20) ‖ key(4)` | module data | `validator(20) ‖ sig` |
//! | ERC-7579 reference MSAAdvanced | `validator(20) ‖ key(4)` | module data | `validator(20) ‖ sig` |
//! | Biconomy Nexus 1.0.1 | `0(3) ‖ mode(1) ‖ validator(20)` | module data | `validator(20) ‖ sig` |
//! | Safe 1.4.1 + Safe7579 | `validator(20) ‖ key(4)` | module data | `validator(20) ‖ sig` |
//! | ZeroDev Kernel v3.1 | `mode(1) ‖ type(1) ‖ validator(20) ‖ key(2)` | `hook(20) ‖ abi.encode(data, hookData, selectorData)` | `type(1) ‖ [validator(20)] ‖ sig` over a wrapped hash |
//! | EOA delegated (EIP-7702) to OpenZeppelin `AccountERC7579` + `SignerEIP7702` | `validator(20) ‖ key(4)` | module data | the EOA's own 65-byte `sig` |

use std::fmt;
use std::str::FromStr;

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::sol_types::SolValue;

/// ERC-7579 `execute(bytes32,bytes)`: the selector Kernel must allow for a secondary validator.
pub const EXECUTE_SELECTOR: [u8; 4] = [0xe9, 0xae, 0x5c, 0x53];
/// The sentinel that starts the validator lists of MSAAdvanced, Nexus and Safe7579.
pub const SENTINEL: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
/// Kernel v3.1: `keccak256("Kernel(bytes32 hash)")`, the struct its ERC-1271 wraps a hash in.
pub const KERNEL_WRAPPER_TYPE_HASH: B256 = B256::new([
    0x15, 0x47, 0x32, 0x1c, 0x37, 0x4a, 0xfd, 0xe8, 0xa5, 0x91, 0xd9, 0x72, 0xa0, 0x84, 0xb0, 0x71,
    0xc5, 0x94, 0xc2, 0x75, 0xe3, 0x67, 0x24, 0x93, 0x1f, 0xf9, 0x6c, 0x25, 0xf2, 0x99, 0x9c, 0x83,
]);

/// An ERC-7579 account implementation whose formats leash knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// OpenZeppelin `AccountERC7579` (also behind EIP-7702).
    OpenZeppelin,
    /// The ERC-7579 reference implementation `MSAAdvanced`.
    MsaAdvanced,
    /// Biconomy Nexus 1.0.x.
    Nexus,
    /// Safe 1.4.1 with the Safe7579 adapter.
    Safe7579,
    /// ZeroDev Kernel v3.1.
    Kernel,
    /// An EOA delegated with EIP-7702 to OpenZeppelin's `AccountERC7579` with
    /// `SignerEIP7702` (`tests/fixtures/Eip7702Account.sol`): OpenZeppelin's nonce layout; the
    /// EOA's own key signs, so its ERC-1271 takes the EOA's raw 65-byte signature.
    Eip7702,
}

/// An account-profile request that the account cannot express.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountProfileError {
    /// The nonce sub-key does not fit the free bytes of this account's nonce key.
    #[error("nonce key {key} does not fit {kind}: its nonce key has {bits} free bits (use a key below 2^{bits})")]
    NonceKeyTooLarge {
        /// The account kind.
        kind: AccountKind,
        /// The requested sub-key.
        key: u32,
        /// The free bits of the kind's nonce key.
        bits: u32,
    },
    /// `accountId()` named no implementation leash knows.
    #[error("unknown ERC-7579 accountId {0:?}: pass --account-kind openzeppelin|msa|nexus|safe7579|kernel|eip7702")]
    UnknownAccountId(String),
    /// A `--account-kind` value leash does not know.
    #[error(
        "unknown account kind {0:?}: one of openzeppelin, msa, nexus, safe7579, kernel, eip7702"
    )]
    UnknownKind(String),
    /// The module is not in the account's validator list (sentinel-list accounts).
    #[error("{module} is not in the account's validator list: nothing to uninstall")]
    NotInValidatorList {
        /// The module looked for.
        module: Address,
    },
}

impl AccountKind {
    /// Every kind, in a fixed order.
    pub const ALL: [AccountKind; 6] = [
        AccountKind::OpenZeppelin,
        AccountKind::MsaAdvanced,
        AccountKind::Nexus,
        AccountKind::Safe7579,
        AccountKind::Kernel,
        AccountKind::Eip7702,
    ];

    /// The kind an ERC-7579 `accountId()` names (`vendor.flavour.semver`), if leash knows it.
    ///
    /// An EIP-7702 delegate answers its implementation's id (OpenZeppelin's here): whether the
    /// account is an EOA is in its code (`0xef0100 ‖ delegate`), not in `accountId()`; see
    /// [`AccountKind::for_code`].
    pub fn from_account_id(id: &str) -> Result<Self, AccountProfileError> {
        let lower = id.to_ascii_lowercase();
        let kind = if lower.contains("openzeppelin") {
            AccountKind::OpenZeppelin
        } else if lower.starts_with("umsa.") || lower.contains("msa") {
            AccountKind::MsaAdvanced
        } else if lower.contains("nexus") {
            AccountKind::Nexus
        } else if lower.contains("safe7579") {
            AccountKind::Safe7579
        } else if lower.starts_with("kernel.") && lower.contains("v0.3") {
            AccountKind::Kernel
        } else {
            return Err(AccountProfileError::UnknownAccountId(id.to_owned()));
        };
        Ok(kind)
    }

    /// `self`, or [`AccountKind::Eip7702`] when `code` is an EIP-7702 delegation designator
    /// (`0xef0100 ‖ delegate`) and `self` is OpenZeppelin's layout (the delegate leash knows).
    pub fn for_code(self, code: &[u8]) -> Self {
        match self {
            AccountKind::OpenZeppelin if eip7702_delegate(code).is_some() => AccountKind::Eip7702,
            kind => kind,
        }
    }

    /// The name `--account-kind` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::OpenZeppelin => "openzeppelin",
            AccountKind::MsaAdvanced => "msa",
            AccountKind::Nexus => "nexus",
            AccountKind::Safe7579 => "safe7579",
            AccountKind::Kernel => "kernel",
            AccountKind::Eip7702 => "eip7702",
        }
    }

    /// How many low bits of the nonce key are free for a parallel lane (`--nonce-key`).
    pub fn free_key_bits(self) -> u32 {
        match self {
            AccountKind::Nexus => 0,
            AccountKind::Kernel => 16,
            _ => 32,
        }
    }

    /// The 192-bit EntryPoint nonce key (in a `U256`) that makes this account validate with
    /// `validator` in lane `key`. `root` selects Kernel's root validator (type 0x00: the
    /// validator bytes are then zero); the other kinds ignore it.
    pub fn nonce_key(
        self,
        validator: Address,
        key: u32,
        root: bool,
    ) -> Result<U256, AccountProfileError> {
        let bits = self.free_key_bits();
        if bits < 32 && u64::from(key) >> bits != 0 {
            return Err(AccountProfileError::NonceKeyTooLarge {
                kind: self,
                key,
                bits,
            });
        }
        let v = U256::from_be_slice(validator.as_slice());
        Ok(match self {
            AccountKind::Nexus => v,
            AccountKind::Kernel if root => U256::from(key),
            AccountKind::Kernel => (U256::from(1u8) << 176) | (v << 16) | U256::from(key),
            _ => (v << 32) | U256::from(key),
        })
    }

    /// The full nonce: `nonce_key ‖ sequence(8 bytes)`.
    pub fn nonce(
        self,
        validator: Address,
        key: u32,
        root: bool,
        sequence: u64,
    ) -> Result<U256, AccountProfileError> {
        Ok((self.nonce_key(validator, key, root)? << 64) | U256::from(sequence))
    }

    /// The validator this account reads from `nonce` (`None`: Kernel's root validator).
    pub fn nonce_validator(self, nonce: U256) -> Option<Address> {
        let word = nonce.to_be_bytes::<32>();
        match self {
            AccountKind::Nexus => Some(Address::from_slice(&word[4..24])),
            AccountKind::Kernel if word[1] == 0x00 => None,
            AccountKind::Kernel => Some(Address::from_slice(&word[2..22])),
            _ => Some(Address::from_slice(&word[..20])),
        }
    }

    /// The `installModule(1, module, ·)` data that makes this account call the validator's
    /// `onInstall(module_data)`. Kernel: no hook (stored as address(1)), `execute` allowed.
    pub fn install_validator_data(self, module_data: &[u8]) -> Bytes {
        match self {
            AccountKind::Kernel => {
                let tail = (
                    Bytes::copy_from_slice(module_data),
                    Bytes::new(),
                    Bytes::copy_from_slice(&EXECUTE_SELECTOR),
                )
                    .abi_encode_params();
                let mut data = Vec::with_capacity(20 + tail.len());
                data.extend_from_slice(Address::ZERO.as_slice());
                data.extend_from_slice(&tail);
                data.into()
            }
            _ => Bytes::copy_from_slice(module_data),
        }
    }

    /// Whether `uninstallModule` needs the validator that precedes the module in the account's
    /// list (`getValidatorsPaginated(SENTINEL, n)`).
    pub fn needs_previous_validator(self) -> bool {
        matches!(
            self,
            AccountKind::MsaAdvanced | AccountKind::Nexus | AccountKind::Safe7579
        )
    }

    /// The `uninstallModule(1, module, ·)` data: `abi.encode(previous, "")` for the sentinel-list
    /// accounts, where `validators` is the account's list (newest first), else empty.
    pub fn uninstall_validator_data(
        self,
        module: Address,
        validators: &[Address],
    ) -> Result<Bytes, AccountProfileError> {
        if !self.needs_previous_validator() {
            return Ok(Bytes::new());
        }
        let mut previous = SENTINEL;
        for v in validators {
            if *v == module {
                return Ok((previous, Bytes::new()).abi_encode_params().into());
            }
            previous = *v;
        }
        Err(AccountProfileError::NotInValidatorList { module })
    }

    /// The bytes the account's `isValidSignature` wants to route `signature` to `validator`
    /// (Kernel: `root` selects its root validator with the type byte 0x00). An EIP-7702 EOA
    /// checks its own key's signature itself: `signature` as is, `validator` unused.
    pub fn erc1271_signature(self, validator: Address, root: bool, signature: &[u8]) -> Bytes {
        let mut out = Vec::with_capacity(21 + signature.len());
        match self {
            AccountKind::Eip7702 => {}
            AccountKind::Kernel if root => out.push(0x00),
            AccountKind::Kernel => {
                out.push(0x01);
                out.extend_from_slice(validator.as_slice());
            }
            _ => out.extend_from_slice(validator.as_slice()),
        }
        out.extend_from_slice(signature);
        out.into()
    }

    /// The hash the account hands its validator for an ERC-1271 check of `hash` (what the
    /// validator's key must sign). Kernel v3.1 wraps it in its own EIP-712 domain
    /// (`Kernel`, `0.3.1`, chain id, the account).
    pub fn erc1271_hash(self, account: Address, chain_id: u64, hash: B256) -> B256 {
        match self {
            AccountKind::Kernel => {
                let domain = keccak256(
                    (
                        keccak256(
                            "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
                        ),
                        keccak256("Kernel"),
                        keccak256("0.3.1"),
                        U256::from(chain_id),
                        account,
                    )
                        .abi_encode(),
                );
                let inner = keccak256((KERNEL_WRAPPER_TYPE_HASH, hash).abi_encode());
                let mut buf = Vec::with_capacity(66);
                buf.extend_from_slice(&[0x19, 0x01]);
                buf.extend_from_slice(domain.as_slice());
                buf.extend_from_slice(inner.as_slice());
                keccak256(buf)
            }
            _ => hash,
        }
    }
}

/// The delegate of an EIP-7702 delegated EOA's `code` (`0xef0100 ‖ delegate`), `None` for any
/// other code.
pub fn eip7702_delegate(code: &[u8]) -> Option<Address> {
    match code {
        [0xef, 0x01, 0x00, delegate @ ..] if delegate.len() == 20 => {
            Some(Address::from_slice(delegate))
        }
        _ => None,
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountKind {
    type Err = AccountProfileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "openzeppelin" | "oz" => Ok(AccountKind::OpenZeppelin),
            "msa" | "msaadvanced" | "erc7579" => Ok(AccountKind::MsaAdvanced),
            "nexus" => Ok(AccountKind::Nexus),
            "safe7579" | "safe" => Ok(AccountKind::Safe7579),
            "kernel" => Ok(AccountKind::Kernel),
            "eip7702" | "7702" => Ok(AccountKind::Eip7702),
            _ => Err(AccountProfileError::UnknownKind(s.to_owned())),
        }
    }
}
