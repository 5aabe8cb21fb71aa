// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {EntryPointDeployer} from "../utils/EntryPointDeployer.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {AccountKind} from "./AccountFormats.sol";
import {
    BootstrapConfig,
    ModuleInit,
    IProxyInitializable,
    IMsaBootstrap,
    INexusBootstrap,
    INexusAccountFactory,
    ISafeProxyFactory,
    ISafe7579Launchpad,
    IKernel,
    IKernelFactory
} from "./AccountInterfaces.sol";

/// @title AccountDeployer
/// @notice Deploys each account of the matrix from the real bytecode that @rhinestone/modulekit 0.5.9 ships
///         (tests/fixtures/accounts/precompiles.json, written and checked by tools/accounts/precompiles.mjs), the
///         way each account's own factory does, with one validator (the owner's) installed at creation.
/// @dev Note:
///      - MSAAdvanced: implementation + bootstrap, an MSAProxy (CREATE2) whose constructor calls
///        `initializeAccount(abi.encode(bootstrap, initMSA([validator], [], {0}, [])))`.
///      - Nexus 1.0.1: implementation(EntryPoint) + NexusAccountFactory.createAccount(initData, salt) with
///        `initData = abi.encode(bootstrap, initNexusWithSingleValidator(validator, data, 0, [], 0))`.
///      - Safe 1.4.1 + Safe7579: SafeProxyFactory.createProxyWithNonce(launchpad, preValidationSetup(initHash))
///        then the first op (real EntryPoint): the launchpad installs the validators and validates the op with
///        the owner's validator, and `setupSafe` turns the proxy into a Safe with Safe7579 as module and
///        fallback handler. No registry (address(0)), as the launchpad allows.
///      - Kernel v3.1: KernelFactory.createAccount(initialize(root = 0x01 ‖ validator, hook 0, data, "", []), salt).
abstract contract AccountDeployer is EntryPointDeployer {
    string internal constant PRECOMPILES = "/tests/fixtures/accounts/precompiles.json";
    bytes32 internal constant SALT = keccak256("leash.account-matrix");
    /// @dev Owner of the Nexus account factory (only its admin functions, which nothing here calls, need one): a
    ///      fixed address rather than the deployer's own, so script/DeployAccountMatrix.s.sol can broadcast it.
    address internal constant NEXUS_FACTORY_OWNER =
        address(uint160(uint256(keccak256("leash.nexus-factory-owner"))));

    /// @dev Every contract the deployment created (implementations, factories, singletons), so gas tests can
    ///      re-cold all the code an op runs.
    address[] internal deployedCode;

    /// @dev The creation code `name` (a constant of modulekit's precompiles) from the fixture.
    function precompile(string memory name) internal view returns (bytes memory) {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), PRECOMPILES));
        return vm.parseJsonBytes(json, string.concat(".", name));
    }

    /// @dev A new account of `kind` on `ep` whose owner validator is `validator` installed with `validatorData`;
    ///      `ownerKey` signs Safe7579's first op (the one that sets the Safe up).
    function deployAccount(
        AccountKind kind,
        IEntryPoint ep,
        address validator,
        bytes memory validatorData,
        uint256 ownerKey
    ) internal returns (address) {
        if (kind == AccountKind.OpenZeppelin) {
            return address(new TestAccount(address(ep), validator, validatorData));
        }
        if (kind == AccountKind.MSAAdvanced) return deployMsa(validator, validatorData);
        if (kind == AccountKind.Nexus) return deployNexus(ep, validator, validatorData);
        if (kind == AccountKind.Safe7579) return deploySafe7579(ep, validator, validatorData, ownerKey);
        return deployKernel(ep, validator, validatorData);
    }

    /// @dev The reference MSAAdvanced behind an MSAProxy.
    function deployMsa(address validator, bytes memory validatorData) internal returns (address) {
        address implementation = create(precompile("ERC7579_BYTECODE"));
        address bootstrap = create(precompile("ERC7579_BOOTSTRAP_BYTECODE"));
        BootstrapConfig[] memory validators = new BootstrapConfig[](1);
        validators[0] = BootstrapConfig(validator, validatorData);
        bytes memory initCall = abi.encodeCall(
            IMsaBootstrap.initMSA,
            (validators, new BootstrapConfig[](0), BootstrapConfig(address(0), ""), new BootstrapConfig[](0))
        );
        bytes memory init =
            abi.encodeCall(IProxyInitializable.initializeAccount, (abi.encode(bootstrap, initCall)));
        return create2(bytes.concat(precompile("MSAPROXY_BYTECODE"), abi.encode(implementation, init)), SALT);
    }

    /// @dev Nexus 1.0.1 from its account factory.
    function deployNexus(IEntryPoint ep, address validator, bytes memory validatorData)
        internal
        returns (address)
    {
        address implementation = create(bytes.concat(precompile("NEXUS_BYTECODE"), abi.encode(address(ep))));
        address factory = create(
            bytes.concat(
                precompile("NEXUS_ACCOUNT_FACTORY_BYTECODE"), abi.encode(implementation, NEXUS_FACTORY_OWNER)
            )
        );
        address bootstrap = create(precompile("NEXUS_BOOTSTRAP_BYTECODE"));
        bytes memory initCall = abi.encodeCall(
            INexusBootstrap.initNexusWithSingleValidator,
            (validator, validatorData, address(0), new address[](0), 0)
        );
        return INexusAccountFactory(factory).createAccount(abi.encode(bootstrap, initCall), SALT);
    }

    /// @dev A Safe 1.4.1 with Safe7579, created through the launchpad and set up by its first op.
    function deploySafe7579(IEntryPoint ep, address validator, bytes memory validatorData, uint256 ownerKey)
        internal
        returns (address safe)
    {
        address safe7579 = create(precompile("SAFE7579_BYTECODE"));
        address launchpad = create(
            bytes.concat(precompile("SAFE7579_LAUNCHPAD_BYTECODE"), abi.encode(address(ep), address(0)))
        );
        address singleton = create(precompile("SAFE_SINGLETON_BYTECODE"));
        address proxyFactory = create(precompile("SAFE_PROXY_FACTORY_BYTECODE"));

        ISafe7579Launchpad.InitData memory init;
        init.singleton = singleton;
        init.owners = new address[](1);
        init.owners[0] = vm.addr(ownerKey);
        init.threshold = 1;
        init.setupTo = launchpad;
        init.setupData = abi.encodeCall(
            ISafe7579Launchpad.initSafe7579,
            (safe7579, new ModuleInit[](0), new ModuleInit[](0), new ModuleInit[](0), new address[](0), 0)
        );
        init.safe7579 = safe7579;
        init.validators = new ModuleInit[](1);
        init.validators[0] = ModuleInit(validator, validatorData);
        // What the Safe executes once set up: a no-op call, so the first op runs Safe7579's `execute` path.
        init.callData = UserOpLib.executeSingle(vm.addr(ownerKey), 0, "");

        bytes32 initHash = ISafe7579Launchpad(launchpad).hash(init);
        safe = ISafeProxyFactory(proxyFactory)
            .createProxyWithNonce(
                launchpad,
                abi.encodeCall(ISafe7579Launchpad.preValidationSetup, (initHash, address(0), "")),
                uint256(SALT)
            );
        ep.depositTo{value: 1 ether}(safe);
        PackedUserOperation memory op = UserOpLib.newOp(
            safe,
            ep.getNonce(safe, uint192(uint160(validator)) << 32),
            abi.encodeCall(ISafe7579Launchpad.setupSafe, (init))
        );
        op.accountGasLimits = UserOpLib.packGasLimits(3_000_000, 3_000_000);
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
        UserOpLib.handleOne(ep, op);
    }

    /// @dev Kernel v3.1 from its factory, the validator as root.
    function deployKernel(IEntryPoint ep, address validator, bytes memory validatorData)
        internal
        returns (address)
    {
        address implementation = create(bytes.concat(precompile("KERNEL_BYTECODE"), abi.encode(address(ep))));
        address factory =
            create(bytes.concat(precompile("KERNEL_FACTORY_BYTECODE"), abi.encode(implementation)));
        bytes21 root = bytes21(abi.encodePacked(bytes1(0x01), validator));
        bytes memory init =
            abi.encodeCall(IKernel.initialize, (root, address(0), validatorData, bytes(""), new bytes[](0)));
        return IKernelFactory(factory).createAccount(init, SALT);
    }

    function create(bytes memory code) internal returns (address deployed) {
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), "AccountDeployer: CREATE failed");
        deployedCode.push(deployed);
    }

    function create2(bytes memory code, bytes32 salt) internal returns (address deployed) {
        assembly ("memory-safe") {
            deployed := create2(0, add(code, 0x20), mload(code), salt)
        }
        require(deployed != address(0), "AccountDeployer: CREATE2 failed");
        deployedCode.push(deployed);
    }
}
