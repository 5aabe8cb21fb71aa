//! ERC-7579 account calls, and the account fixtures generated from their compiled ABIs
//! (`abi/TestAccount.json`, `abi/TestAccountFactory.json`, `abi/OwnerValidator.json`).
//!
//! `IERC7579Account` stays written out here: it is the standard's interface (OpenZeppelin's
//! source, not exported as an artifact), checked against `TestAccount`'s compiled ABI by
//! `tests/bindings.rs`.

use alloy::sol;

sol! {
    /// The ERC-7579 account surface the CLI and tests use.
    #[derive(Debug, PartialEq, Eq)]
    interface IERC7579Account {
        /// Executes `executionCalldata` in `mode` (single, batch, delegatecall; ERC-7579 layout).
        function execute(bytes32 mode, bytes calldata executionCalldata) external payable;
        /// Installs `module` as `moduleTypeId` (1 validator, 2 executor, 3 fallback, 4 hook).
        function installModule(uint256 moduleTypeId, address module, bytes calldata initData) external payable;
        /// Uninstalls `module`.
        function uninstallModule(uint256 moduleTypeId, address module, bytes calldata deInitData) external payable;
        /// Whether `module` is installed as `moduleTypeId`.
        function isModuleInstalled(uint256 moduleTypeId, address module, bytes calldata additionalContext)
            external view returns (bool);
        /// ERC-1271: `0x1626ba7e` when `signature` (validator address ‖ module signature) is valid.
        function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4);
        /// The account's identifier (`vendor.account.semver`).
        function accountId() external view returns (string memory);
        /// The EntryPoint the account accepts.
        function entryPoint() external view returns (address);

        /// A module was installed.
        event ModuleInstalled(uint256 moduleTypeId, address module);
        /// A module was uninstalled.
        event ModuleUninstalled(uint256 moduleTypeId, address module);
    }
}

// In a module of its own only for `allow(missing_docs)`: `sol!` writes no doc comment on the
// user-defined value types it generates (`CallType`, `ExecType`, in ERC-7579's errors).
#[allow(missing_docs)]
mod test_account {
    alloy::sol!(
        /// The `TestAccount` fixture (tests/fixtures/TestAccount.sol): an OpenZeppelin ERC-7579
        /// account bound to one EntryPoint. Its constructor takes `(entryPoint_, validator,
        /// validatorData)`; `validator` is installed with `validatorData` as the first
        /// validator.
        #[derive(Debug, PartialEq, Eq)]
        TestAccount,
        "abi/TestAccount.json"
    );
}

pub use test_account::TestAccount;

sol!(
    /// The `TestAccountFactory` fixture: CREATE2 deployment of `TestAccount`, usable in
    /// `initCode`.
    #[derive(Debug, PartialEq, Eq)]
    TestAccountFactory,
    "abi/TestAccountFactory.json"
);

sol!(
    /// The `OwnerValidator` fixture: one ECDSA owner per account, raw `userOpHash` signatures;
    /// `onInstall` data is `abi.encode(address owner)`.
    #[derive(Debug, PartialEq, Eq)]
    OwnerValidator,
    "abi/OwnerValidator.json"
);
