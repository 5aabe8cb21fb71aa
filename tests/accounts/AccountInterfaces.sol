// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev The interfaces of the real account bytecode the matrix deploys (tests/fixtures/accounts/precompiles.json),
///      reduced to the functions the tests call. Signatures as the deployed code answers them.

/// @dev ERC-7579 reference MSAAdvanced and Nexus bootstraps: `{module, data}` per module.
struct BootstrapConfig {
    address module;
    bytes data;
}

/// @dev Safe7579's `{module, initData}` per module.
struct ModuleInit {
    address module;
    bytes initData;
}

/// @dev Initializer of the MSAAdvanced and Nexus proxies: `abi.encode(bootstrap, bootstrapCall)`.
interface IProxyInitializable {
    function initializeAccount(bytes calldata data) external payable;
}

/// @dev The MSAAdvanced bootstrap (delegatecalled by `initializeAccount`).
interface IMsaBootstrap {
    function initMSA(
        BootstrapConfig[] calldata validators,
        BootstrapConfig[] calldata executors,
        BootstrapConfig calldata hook,
        BootstrapConfig[] calldata fallbacks
    ) external;
}

/// @dev The Nexus 1.0.1 bootstrap (delegatecalled by `initializeAccount`).
interface INexusBootstrap {
    function initNexusWithSingleValidator(
        address validator,
        bytes calldata data,
        address registry,
        address[] calldata attesters,
        uint8 threshold
    ) external;
}

/// @dev Nexus 1.0.1's account factory.
interface INexusAccountFactory {
    function createAccount(bytes calldata initData, bytes32 salt) external payable returns (address payable);
}

/// @dev The sentinel-list accounts (MSAAdvanced, Nexus, Safe7579): validators in insertion order, newest first.
interface IValidatorList {
    function getValidatorsPaginated(address cursor, uint256 size)
        external
        view
        returns (address[] memory array, address next);
}

/// @dev Safe 1.4.1's proxy factory.
interface ISafeProxyFactory {
    function createProxyWithNonce(address singleton, bytes memory initializer, uint256 saltNonce)
        external
        returns (address proxy);
}

/// @dev Safe7579's launchpad: the Safe proxy starts with it as singleton and becomes a Safe in its first op.
interface ISafe7579Launchpad {
    struct InitData {
        address singleton;
        address[] owners;
        uint256 threshold;
        address setupTo;
        bytes setupData;
        address safe7579;
        ModuleInit[] validators;
        bytes callData;
    }

    function initSafe7579(
        address safe7579,
        ModuleInit[] calldata executors,
        ModuleInit[] calldata fallbacks,
        ModuleInit[] calldata hooks,
        address[] calldata attesters,
        uint8 threshold
    ) external;
    function preValidationSetup(bytes32 initHash, address to, bytes calldata preInit) external;
    function setupSafe(InitData calldata initData) external;
    function hash(InitData memory data) external pure returns (bytes32);
}

/// @dev ZeroDev Kernel v3.1.
interface IKernel {
    function initialize(
        bytes21 rootValidator,
        address hook,
        bytes calldata validatorData,
        bytes calldata hookData,
        bytes[] calldata initConfig
    ) external;
    function invalidateNonce(uint32 nonce) external payable;
    function isAllowedSelector(bytes21 vId, bytes4 selector) external view returns (bool);
}

/// @dev ZeroDev's KernelFactory (ERC-1967 clones of the implementation).
interface IKernelFactory {
    function createAccount(bytes calldata data, bytes32 salt) external payable returns (address);
}

/// @dev ERC-5267, answered by Kernel for its own EIP-712 domain.
interface IERC5267 {
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        );
}

/// @dev What every account in the matrix answers.
interface IMatrixAccount {
    function accountId() external view returns (string memory);
    function isModuleInstalled(uint256 moduleTypeId, address module, bytes calldata additionalContext)
        external
        view
        returns (bool);
    function installModule(uint256 moduleTypeId, address module, bytes calldata initData) external payable;
    function uninstallModule(uint256 moduleTypeId, address module, bytes calldata deInitData) external payable;
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4);
}
