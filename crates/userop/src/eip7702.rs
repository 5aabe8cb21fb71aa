//! EIP-7702 authorizations: the signed tuple `(chainId, address, nonce)` with which an EOA
//! delegates its code to a contract, carried next to a user operation for the bundler.
//!
//! The authorization is not part of the userOpHash. EntryPoint v0.8 only sees its effect: the
//! sender's code is the designator `0xef0100 ‖ delegate`, and an op whose `initCode` is the
//! marker [`EIP7702_INIT_CODE_MARKER`](crate::EIP7702_INIT_CODE_MARKER) is hashed with that
//! delegate in place of `initCode`. A bundler puts the authorization in the authorization list of
//! the type-4 transaction that sends `handleOps`, so the delegation is in place when the
//! EntryPoint reads it.
//!
//! The types are alloy's ([`Authorization`], [`SignedAuthorization`]); this module signs one with
//! a local key and recovers who signed it. Their bundler JSON is [`crate::rpc::RpcEip7702Auth`].

use crate::UserOpError;
use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;

pub use alloy::eips::eip7702::{Authorization, SignedAuthorization};

/// Signs the EIP-7702 authorization "delegate `signer`'s code to `delegate` on `chain_id`
/// (0: any chain), valid while `signer`'s account nonce is `nonce`".
///
/// The signature is over `keccak256(0x05 ‖ rlp([chain_id, address, nonce]))` with a low `s`,
/// as EIP-7702 requires.
///
/// Note the nonce: when the EOA itself sends the type-4 transaction, its nonce is bumped before
/// the list is applied, so its own authorization must carry its nonce + 1. When a bundler
/// sends it (the ERC-4337 case), it is the EOA's current nonce.
///
/// # Errors
///
/// [`UserOpError::Eip7702Signing`] if the signer fails (never for a valid local key).
pub fn sign_authorization(
    signer: &PrivateKeySigner,
    chain_id: u64,
    delegate: Address,
    nonce: u64,
) -> Result<SignedAuthorization, UserOpError> {
    let authorization = Authorization {
        chain_id: U256::from(chain_id),
        address: delegate,
        nonce,
    };
    let signature = signer
        .sign_hash_sync(&authorization.signature_hash())
        .map_err(|error| UserOpError::Eip7702Signing(error.to_string()))?;
    Ok(authorization.into_signed(signature))
}

/// The EOA that signed `authorization` (the account whose code it delegates), with the checks
/// of EIP-7702: `yParity` 0 or 1 and a low `s`.
///
/// # Errors
///
/// [`UserOpError::Eip7702Authority`] naming why the signature recovers no address.
pub fn recover_authority(authorization: &SignedAuthorization) -> Result<Address, UserOpError> {
    authorization
        .recover_authority()
        .map_err(|error| UserOpError::Eip7702Authority(error.to_string()))
}

/// Checks that `authorization` was signed by `eoa` and is usable on `chain_id`.
///
/// # Errors
///
/// [`UserOpError::Eip7702Authority`] when it recovers no address or another one,
/// [`UserOpError::Eip7702ChainId`] when its chain id is neither 0 nor `chain_id`.
pub fn check_authorization(
    authorization: &SignedAuthorization,
    eoa: Address,
    chain_id: u64,
) -> Result<(), UserOpError> {
    if !authorization.chain_id.is_zero() && authorization.chain_id != U256::from(chain_id) {
        return Err(UserOpError::Eip7702ChainId {
            signed: authorization.chain_id,
            expected: chain_id,
        });
    }
    let authority = recover_authority(authorization)?;
    if authority != eoa {
        return Err(UserOpError::Eip7702Authority(format!(
            "signed by {authority}, not by the sender {eoa}: sign it with the sender's key"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn signs_and_recovers() {
        let signer = PrivateKeySigner::from_slice(&[0x42; 32]).unwrap();
        let delegate = address!("0x1111111111111111111111111111111111111111");
        let auth = sign_authorization(&signer, 31_337, delegate, 3).unwrap();
        assert_eq!(auth.address, delegate);
        assert_eq!(auth.nonce, 3);
        assert_eq!(recover_authority(&auth).unwrap(), signer.address());
        check_authorization(&auth, signer.address(), 31_337).unwrap();
        assert!(matches!(
            check_authorization(&auth, signer.address(), 1),
            Err(UserOpError::Eip7702ChainId { expected: 1, .. })
        ));
        assert!(matches!(
            check_authorization(&auth, delegate, 31_337),
            Err(UserOpError::Eip7702Authority(_))
        ));
        let any_chain = sign_authorization(&signer, 0, delegate, 3).unwrap();
        check_authorization(&any_chain, signer.address(), 8453).unwrap();
    }
}
