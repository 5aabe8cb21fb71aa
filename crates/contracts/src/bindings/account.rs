//! ERC-7579 account calls, the `TestAccount` fixture's constructor and `TestAccountFactory`.

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

    /// The `TestAccount` fixture (tests/fixtures/TestAccount.sol): an OpenZeppelin ERC-7579
    /// account bound to one EntryPoint.
    #[derive(Debug, PartialEq, Eq)]
    contract TestAccount {
        /// `entryPoint_` is the only EntryPoint accepted; `validator` is installed with
        /// `validatorData` as the first validator.
        constructor(address entryPoint_, address validator, bytes validatorData);
        /// The constructor was given the zero EntryPoint.
        error TestAccountZeroEntryPoint();
    }

    /// The `TestAccountFactory` fixture: CREATE2 deployment of `TestAccount`, usable in `initCode`.
    #[derive(Debug, PartialEq, Eq)]
    interface TestAccountFactory {
        /// Deploys (or returns) the account for these arguments.
        function createAccount(address entryPoint, address validator, bytes calldata validatorData, bytes32 salt)
            external returns (address account);
        /// The counterfactual address `createAccount` deploys to.
        function getAddress(address entryPoint, address validator, bytes calldata validatorData, bytes32 salt)
            external view returns (address);
        /// A new account was deployed.
        event AccountCreated(address indexed account, address indexed entryPoint, address indexed validator);
    }

    /// The `OwnerValidator` fixture: one ECDSA owner per account, raw `userOpHash` signatures.
    #[derive(Debug, PartialEq, Eq)]
    interface OwnerValidator {
        /// `data = abi.encode(address owner)`.
        function onInstall(bytes calldata data) external;
        /// Clears the caller's owner.
        function onUninstall(bytes calldata data) external;
        /// True only for type 1 (validator).
        function isModuleType(uint256 moduleTypeId) external view returns (bool);
        /// Whether `account` has an owner.
        function isInitialized(address account) external view returns (bool);
        /// The owner of `account` (zero when none).
        function owners(address account) external view returns (address);
        /// The owner of `account` changed.
        event OwnerSet(address indexed account, address indexed owner);
        /// `onInstall` was called twice.
        error OwnerValidatorAlreadyInstalled(address account);
        /// `onInstall` data did not hold a non-zero owner.
        error OwnerValidatorInvalidOwner();
    }
}
