//! Counterfactual accounts: `--factory ADDR` / `--factory-data HEX` put the account's factory
//! in the op (`initCode = factory ‖ factoryData`), so its first op deploys it.

use alloy::primitives::{Address, Bytes};
use leash_rpc::NodeClient;
use leash_userop::UserOperation;

use crate::commands::parse_address;
use crate::exit::usage;

/// The factory that deploys the op's sender, and its call data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Factory {
    /// The factory contract the EntryPoint calls (through its SenderCreator).
    pub(crate) address: Address,
    /// The call data it is called with (e.g. `createAccount(…)`).
    pub(crate) data: Bytes,
}

impl Factory {
    /// The factory of the flags; `None` without `--factory`.
    ///
    /// # Errors
    ///
    /// A usage error for `--factory-data` without `--factory` (clap refuses it first; kept
    /// for callers that build the flags themselves), a bad address or bad hex.
    pub(crate) fn from_flags(
        factory: Option<&str>,
        data: Option<&str>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(factory) = factory else {
            if data.is_some() {
                return Err(usage(
                    "--factory-data without --factory: the data has no factory to go to",
                    "pass --factory ADDR too (the account's factory), or drop --factory-data",
                ));
            }
            return Ok(None);
        };
        let address = parse_address("--factory", factory)?;
        let data = match data {
            None | Some("") => Bytes::new(),
            Some(text) => text.parse().map_err(|_| {
                usage(
                    format!("--factory-data {text:?}: not 0x-prefixed hex bytes"),
                    "write the factory's call data as 0x followed by an even number of hex digits",
                )
            })?,
        };
        Ok(Some(Self { address, data }))
    }

    /// Puts the factory in `op`.
    pub(crate) fn attach(&self, op: &mut UserOperation) {
        op.factory = Some(self.address);
        op.factory_data = self.data.clone();
    }
}

/// Refuses a factory for `account` when `account` already has code: the EntryPoint rejects
/// such an op (AA10 sender already constructed).
///
/// # Errors
///
/// A usage error saying to drop the flag; the node's error when the code can't be read.
pub(crate) async fn check_undeployed(node: &NodeClient, account: Address) -> anyhow::Result<()> {
    if !node.get_code(account).await?.is_empty() {
        return Err(usage(
            format!(
                "--factory: the account {account} is already deployed (it has code), so its ops \
                 carry no factory (the EntryPoint would refuse the op: AA10 sender already constructed)"
            ),
            "drop --factory and --factory-data",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_data_needs_a_factory_and_hex() {
        assert_eq!(Factory::from_flags(None, None).unwrap(), None);
        let orphan = Factory::from_flags(None, Some("0x12")).unwrap_err();
        assert!(
            orphan.to_string().contains("without --factory"),
            "{orphan:#}"
        );
        let bad = Factory::from_flags(Some(&Address::ZERO.to_string()), Some("zz")).unwrap_err();
        assert!(bad.to_string().contains("--factory-data"), "{bad:#}");
        let factory = Factory::from_flags(Some(&Address::repeat_byte(1).to_string()), Some("0xab"))
            .unwrap()
            .unwrap();
        assert_eq!(factory.address, Address::repeat_byte(1));
        assert_eq!(factory.data, Bytes::from(vec![0xab]));
    }
}
