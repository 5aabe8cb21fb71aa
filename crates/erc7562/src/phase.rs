//! Recognising the validation phases among the EntryPoint's outgoing calls.

use crate::violation::Phase;
use alloy_primitives::Address;

/// `validateUserOp(PackedUserOperation,bytes32,uint256)`, the account phase.
pub const VALIDATE_USER_OP: [u8; 4] = [0x19, 0x82, 0x2f, 0x7c];
/// `validatePaymasterUserOp(PackedUserOperation,bytes32,uint256)`, the paymaster phase.
pub const VALIDATE_PAYMASTER_USER_OP: [u8; 4] = [0x52, 0xb7, 0x51, 0x2c];
/// `createSender(bytes)` on the SenderCreator, the deployment phase.
pub const CREATE_SENDER: [u8; 4] = [0x57, 0x0e, 0x1a, 0x36];
/// `depositTo(address)` on the EntryPoint, the one call validation may make to it (OP-052).
pub const DEPOSIT_TO: [u8; 4] = [0xb7, 0x60, 0xfa, 0xf9];

/// The phase that a call from the EntryPoint's `handleOps` frame opens, from its selector.
pub(crate) fn phase_of_selector(selector: [u8; 4]) -> Option<Phase> {
    match selector {
        VALIDATE_USER_OP => Some(Phase::Account),
        VALIDATE_PAYMASTER_USER_OP => Some(Phase::Paymaster),
        CREATE_SENDER => Some(Phase::Deployment),
        _ => None,
    }
}

/// The first four bytes of calldata, if there are four.
pub(crate) fn selector(calldata: &[u8]) -> Option<[u8; 4]> {
    calldata.get(..4).and_then(|s| s.try_into().ok())
}

/// The 32-byte word at `offset`, if the calldata holds it.
fn word(calldata: &[u8], offset: usize) -> Option<&[u8]> {
    calldata.get(offset..offset.checked_add(32)?)
}

/// An ABI address word: 12 zero bytes then the address; anything else is malformed.
fn address_word(word: &[u8]) -> Option<Address> {
    let (pad, address) = word.split_at(12);
    pad.iter()
        .all(|b| *b == 0)
        .then(|| Address::from_slice(address))
}

/// The first argument of a call taking an address first (`depositTo(address)`).
pub(crate) fn first_address_argument(calldata: &[u8]) -> Option<Address> {
    word(calldata, 4).and_then(address_word)
}

/// `userOp.sender` from `validatePaymasterUserOp(userOp, ...)` calldata: the first argument
/// is the offset of the dynamic `PackedUserOperation` tuple, whose first field is `sender`.
pub(crate) fn paymaster_call_sender(calldata: &[u8]) -> Option<Address> {
    let offset: usize = alloy_primitives::U256::from_be_slice(word(calldata, 4)?)
        .try_into()
        .ok()?;
    word(calldata, 4usize.checked_add(offset)?).and_then(address_word)
}

/// `createSender(bytes)` returns the created sender as one ABI word.
pub(crate) fn created_sender(output: &[u8]) -> Option<Address> {
    word(output, 0)
        .and_then(address_word)
        .filter(|a| !a.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, keccak256};

    fn selector_of(signature: &str) -> [u8; 4] {
        keccak256(signature.as_bytes())[..4].try_into().unwrap()
    }

    #[test]
    fn selectors_match_their_signatures() {
        let op = "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)";
        assert_eq!(
            VALIDATE_USER_OP,
            selector_of(&format!("validateUserOp({op},bytes32,uint256)"))
        );
        assert_eq!(
            VALIDATE_PAYMASTER_USER_OP,
            selector_of(&format!("validatePaymasterUserOp({op},bytes32,uint256)"))
        );
        assert_eq!(CREATE_SENDER, selector_of("createSender(bytes)"));
        assert_eq!(DEPOSIT_TO, selector_of("depositTo(address)"));
    }

    #[test]
    fn decodes_the_paymaster_calls_sender() {
        let sender = address!("0x00000000000000000000000000000000000a11ce");
        let mut data = PAYMASTER_PREFIX.to_vec();
        data.extend_from_slice(&[0u8; 31]);
        data.push(0x60);
        data.extend_from_slice(&[0u8; 64]);
        data.extend_from_slice(sender.into_word().as_slice());
        assert_eq!(paymaster_call_sender(&data), Some(sender));
        assert_eq!(paymaster_call_sender(&data[..100]), None);
    }

    const PAYMASTER_PREFIX: [u8; 4] = VALIDATE_PAYMASTER_USER_OP;

    #[test]
    fn rejects_dirty_address_words() {
        let mut data = DEPOSIT_TO.to_vec();
        data.extend_from_slice(&[0xff; 32]);
        assert_eq!(first_address_argument(&data), None);
        assert_eq!(first_address_argument(&DEPOSIT_TO), None);
        assert_eq!(created_sender(&[0u8; 32]), None);
    }
}
