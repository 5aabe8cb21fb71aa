// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Test} from "../base/Test.sol";

/// @title EntryPointDeployer
/// @notice Deploys the real EntryPoint v0.7 and v0.8 at their canonical addresses, the way they were deployed
///         on public chains: through the deterministic-deployment proxy with the published salt and the npm
///         artifacts' creation code.
/// @dev Note:
///      - Never `etch` the artifacts' `deployedBytecode`: its immutables are zeroed, which gives v0.8 a wrong
///        EIP-712 domain (wrong userOpHash) and both versions no SenderCreator (initCode fails). Running the
///        constructor fills them in, and the deployer address makes v0.8's SenderCreator obey the EntryPoint.
///      - Needs `fs_permissions` read access to `node_modules/aa-v07/artifacts` and `node_modules/aa-v08/artifacts`.
///      - Idempotent: an EntryPoint already present at its address is left as it is.
abstract contract EntryPointDeployer is Test {
    /// @dev The deterministic-deployment proxy (Arachnid): `salt ‖ initcode` in, CREATE2 address out.
    address internal constant DETERMINISTIC_DEPLOYER = 0x4e59b44847b379578588920cA78FbF26c0B4956C;
    bytes internal constant DETERMINISTIC_DEPLOYER_CODE =
        hex"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

    IEntryPoint internal constant ENTRYPOINT_V07 = IEntryPoint(0x0000000071727De22E5E9d8BAf0edAc6f37da032);
    IEntryPoint internal constant ENTRYPOINT_V08 = IEntryPoint(0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108);

    bytes32 internal constant ENTRYPOINT_V07_SALT =
        0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3;
    bytes32 internal constant ENTRYPOINT_V08_SALT =
        0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9;

    string internal constant ENTRYPOINT_V07_ARTIFACT = "node_modules/aa-v07/artifacts/EntryPoint.json";
    string internal constant ENTRYPOINT_V08_ARTIFACT = "node_modules/aa-v08/artifacts/EntryPoint.json";

    /// @dev Deploys both EntryPoints (v0.7, then v0.8).
    function deployEntryPoints() internal returns (IEntryPoint v07, IEntryPoint v08) {
        v07 = deployEntryPointV07();
        v08 = deployEntryPointV08();
    }

    /// @dev Deploys EntryPoint v0.7 at 0x0000000071727De22E5E9d8BAf0edAc6f37da032.
    function deployEntryPointV07() internal returns (IEntryPoint) {
        _deployCanonical(ENTRYPOINT_V07_ARTIFACT, ENTRYPOINT_V07_SALT, address(ENTRYPOINT_V07));
        vm.label(address(ENTRYPOINT_V07), "EntryPointV07");
        return ENTRYPOINT_V07;
    }

    /// @dev Deploys EntryPoint v0.8 at 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108.
    function deployEntryPointV08() internal returns (IEntryPoint) {
        _deployCanonical(ENTRYPOINT_V08_ARTIFACT, ENTRYPOINT_V08_SALT, address(ENTRYPOINT_V08));
        vm.label(address(ENTRYPOINT_V08), "EntryPointV08");
        return ENTRYPOINT_V08;
    }

    function _deployCanonical(string memory artifact, bytes32 salt, address expected) private {
        if (expected.code.length != 0) return;
        if (DETERMINISTIC_DEPLOYER.code.length == 0) {
            vm.etch(DETERMINISTIC_DEPLOYER, DETERMINISTIC_DEPLOYER_CODE);
        }
        bytes memory initCode = vm.parseJsonBytes(vm.readFile(artifact), ".bytecode");
        assertGt(initCode.length, 0, string.concat("empty bytecode in ", artifact));
        (bool ok, bytes memory deployed) = DETERMINISTIC_DEPLOYER.call(abi.encodePacked(salt, initCode));
        assertTrue(ok, string.concat("deterministic deployment failed for ", artifact));
        assertEq(deployed.length, 20, "deterministic deployer must return a 20-byte address");
        // casting to 'bytes20' is safe because the length was just checked to be exactly 20
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(address(bytes20(deployed)), expected, string.concat("unexpected address for ", artifact));
        assertGt(expected.code.length, 0, string.concat("no code after deploying ", artifact));
    }
}
