//! `eip7702Auth`: the EIP-7702 authorization of a user operation in bundler JSON.
//!
//! leash writes exactly what viem's `formatUserOperationRequest` writes:
//!
//! ```json
//! {"address": "0x…", "chainId": "0x7a69", "nonce": "0x0",
//!  "r": "0x<64 digits>", "s": "0x<64 digits>", "yParity": "0x01"}
//! ```
//!
//! `chainId` and `nonce` are quantities; `r` and `s` are zero-padded to 32 bytes; `yParity` is
//! `0x01` for 1 and — viem's quirk, since 0 is falsy in JavaScript — 32 zero bytes for 0.
//!
//! Reading accepts that and the other forms in use: `r`/`s` as quantities (alloy and Rust
//! bundlers write them without padding), `yParity` as any 1 to 64 hex digits whose value is 0
//! or 1 (`0x0`, `0x1`, `0x00`, `0x01`, 32 bytes). Anything else, unknown fields included, is
//! an error naming the field.

use super::{check_hex_digits, parse_address, parse_quantity, strip_0x};
use crate::eip7702::{Authorization, SignedAuthorization};
use crate::UserOpError;
use alloy::primitives::U256;
use serde::{Deserialize, Serialize};

/// A signed EIP-7702 authorization as it appears in `eip7702Auth` (viem's shape, hex text).
///
/// Convert with `RpcEip7702Auth::from(&signed)` and `SignedAuthorization::try_from(&rpc)`
/// (through [`RpcEip7702Auth::to_signed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RpcEip7702Auth {
    /// The delegate: the contract whose code the EOA takes.
    pub address: String,
    /// Chain id (quantity; `0x0` for any chain).
    pub chain_id: String,
    /// The EOA's account nonce the authorization is valid at (quantity).
    pub nonce: String,
    /// Signature `r` (32 bytes).
    pub r: String,
    /// Signature `s` (32 bytes).
    pub s: String,
    /// Signature parity (`0x01`, or 32 zero bytes for 0).
    pub y_parity: String,
}

impl RpcEip7702Auth {
    /// Reads the JSON object of one authorization (viem's `eip7702Auth`).
    ///
    /// # Errors
    ///
    /// [`UserOpError::Json`] when the text is not such an object, or the error of
    /// [`RpcEip7702Auth::to_signed`] for a bad value.
    pub fn signed_from_json(text: &str) -> Result<SignedAuthorization, UserOpError> {
        let rpc: Self =
            serde_json::from_str(text).map_err(|error| UserOpError::Json(error.to_string()))?;
        rpc.to_signed()
    }

    /// The JSON object text (compact).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a struct of strings always serialises")
    }

    /// The authorization these strings describe.
    ///
    /// # Errors
    ///
    /// [`UserOpError::InvalidHex`] naming the field (`eip7702Auth.r`, …) that is not what the
    /// module docs above allow.
    pub fn to_signed(&self) -> Result<SignedAuthorization, UserOpError> {
        let nonce = parse_quantity("eip7702Auth.nonce", &self.nonce)?;
        let nonce = u64::try_from(nonce).map_err(|_| UserOpError::InvalidHex {
            field: "eip7702Auth.nonce",
            reason: format!(
                "`{}` does not fit in 64 bits (EIP-7702 nonces are u64)",
                self.nonce
            ),
        })?;
        let authorization = Authorization {
            chain_id: parse_quantity("eip7702Auth.chainId", &self.chain_id)?,
            address: parse_address("eip7702Auth.address", &self.address)?,
            nonce,
        };
        let r = parse_word("eip7702Auth.r", &self.r)?;
        let s = parse_word("eip7702Auth.s", &self.s)?;
        let y_parity = match parse_word("eip7702Auth.yParity", &self.y_parity)? {
            value if value == U256::ZERO => 0,
            value if value == U256::from(1u8) => 1,
            _ => {
                return Err(UserOpError::InvalidHex {
                    field: "eip7702Auth.yParity",
                    reason: format!("`{}` is neither 0 nor 1", self.y_parity),
                })
            }
        };
        Ok(SignedAuthorization::new_unchecked(
            authorization,
            y_parity,
            r,
            s,
        ))
    }
}

impl From<&SignedAuthorization> for RpcEip7702Auth {
    /// viem's text: checksummed address, quantities, 32-byte `r`/`s`, `yParity` `0x01` or 32
    /// zero bytes.
    fn from(signed: &SignedAuthorization) -> Self {
        let y_parity = if signed.y_parity() == 0 {
            format!("0x{}", "0".repeat(64))
        } else {
            format!("0x{:02x}", signed.y_parity())
        };
        Self {
            address: signed.address.to_checksum(None),
            chain_id: format!("{:#x}", signed.chain_id),
            nonce: format!("{:#x}", signed.nonce),
            r: format!("0x{:064x}", signed.r()),
            s: format!("0x{:064x}", signed.s()),
            y_parity,
        }
    }
}

impl TryFrom<&RpcEip7702Auth> for SignedAuthorization {
    type Error = UserOpError;

    fn try_from(rpc: &RpcEip7702Auth) -> Result<Self, Self::Error> {
        rpc.to_signed()
    }
}

/// A 256-bit word: `0x` and 1 to 64 hex digits, leading zeros allowed (padded or quantity).
fn parse_word(field: &'static str, text: &str) -> Result<U256, UserOpError> {
    let digits = strip_0x(field, text)?;
    if digits.is_empty() || digits.len() > 64 {
        return Err(UserOpError::InvalidHex {
            field,
            reason: format!(
                "`{text}` should have 1 to 64 hex digits, has {}",
                digits.len()
            ),
        });
    }
    check_hex_digits(field, digits)?;
    U256::from_str_radix(digits, 16).map_err(|error| UserOpError::InvalidHex {
        field,
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viem_like(y_parity: &str) -> RpcEip7702Auth {
        RpcEip7702Auth {
            address: "0x1111111111111111111111111111111111111111".into(),
            chain_id: "0x7a69".into(),
            nonce: "0x0".into(),
            r: format!("0x{}", "ab".repeat(32)),
            s: format!("0x{}", "0c".repeat(32)),
            y_parity: y_parity.into(),
        }
    }

    #[test]
    fn y_parity_forms() {
        let zero_word = format!("0x{}", "0".repeat(64));
        let one_word = format!("0x{}1", "0".repeat(63));
        for (text, parity) in [
            ("0x0", 0),
            ("0x00", 0),
            (zero_word.as_str(), 0),
            ("0x1", 1),
            ("0x01", 1),
            (one_word.as_str(), 1),
        ] {
            let signed = viem_like(text).to_signed().unwrap();
            assert_eq!(signed.y_parity(), parity, "{text}");
        }
        for bad in ["0x2", "0x", "1", "0x1b", "0xzz"] {
            let error = viem_like(bad).to_signed().unwrap_err();
            assert!(
                matches!(
                    error,
                    UserOpError::InvalidHex {
                        field: "eip7702Auth.yParity",
                        ..
                    }
                ),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn emits_viem_text() {
        let signed = viem_like("0x01").to_signed().unwrap();
        assert_eq!(RpcEip7702Auth::from(&signed), viem_like("0x01"));
        let zero = viem_like(&format!("0x{}", "0".repeat(64)));
        assert_eq!(RpcEip7702Auth::from(&zero.to_signed().unwrap()), zero);
        // An unpadded r (alloy's quantity) reads the same and is written back padded.
        let mut short = viem_like("0x1");
        short.r = "0xab".into();
        let read = short.to_signed().unwrap();
        assert_eq!(read.r(), U256::from(0xabu8));
        assert_eq!(
            RpcEip7702Auth::from(&read).r,
            format!("0x{}ab", "0".repeat(62))
        );
    }

    #[test]
    fn strict_fields() {
        let mut long_r = viem_like("0x1");
        long_r.r = format!("0x{}", "1".repeat(65));
        assert!(matches!(
            long_r.to_signed(),
            Err(UserOpError::InvalidHex {
                field: "eip7702Auth.r",
                ..
            })
        ));
        let mut big_nonce = viem_like("0x1");
        big_nonce.nonce = "0x10000000000000000".into();
        assert!(matches!(
            big_nonce.to_signed(),
            Err(UserOpError::InvalidHex {
                field: "eip7702Auth.nonce",
                ..
            })
        ));
        let mut padded_chain = viem_like("0x1");
        padded_chain.chain_id = "0x07a69".into();
        assert!(matches!(
            padded_chain.to_signed(),
            Err(UserOpError::InvalidHex {
                field: "eip7702Auth.chainId",
                ..
            })
        ));
        let unknown = r#"{"address":"0x1111111111111111111111111111111111111111","chainId":"0x1","nonce":"0x0","r":"0x1","s":"0x1","yParity":"0x1","v":"0x1b"}"#;
        let error = RpcEip7702Auth::signed_from_json(unknown).unwrap_err();
        assert!(error.to_string().contains("unknown field `v`"), "{error}");
    }
}
