// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SessionKeyValidator} from "../contracts/session/SessionKeyValidator.sol";
import {SCRIPT_VM, ScriptVm} from "./ScriptVm.sol";
import {ScriptConsole} from "./ScriptConsole.sol";

/// @title DeploySessionKeyValidator
/// @notice Deploys `SessionKeyValidator` at the same address on every EVM chain: CREATE2 through the
///         deterministic-deployment proxy with a fixed salt. Idempotent.
/// @dev Note:
///      - Address = keccak256(0xff ‖ DETERMINISTIC_DEPLOYER ‖ SALT ‖ keccak256(creation code))[12:]. The creation
///        code includes the compiler's metadata hash, so the address is reproducible only with the same sources,
///        paths and compiler settings (docs/deployment.md).
///      - Nobody can front-run it with different code: the address commits to the code. A front-runner can only
///        deploy the same module earlier, which the script then finds and leaves alone.
///      - The module has no constructor, no owner and no immutables: the deployer key gains no power over it.
///      - Run: `forge script script/DeploySessionKeyValidator.s.sol --rpc-url <url> --broadcast --private-key <key>`.
contract DeploySessionKeyValidator {
    /// @notice The chain has no deterministic-deployment proxy (deploy it first, see docs/deployment.md).
    error DeterministicDeployerMissing(address deployer);
    /// @notice The module's runtime code exceeds the EIP-170 limit, so no EIP-170 chain accepts it.
    error RuntimeCodeTooLarge(uint256 size, uint256 limit);
    /// @notice The proxy call failed or returned something other than the predicted address.
    error DeploymentFailed(address predicted, bytes returned);
    /// @notice The transaction went through but no code is at the predicted address.
    error NoCodeAfterDeployment(address predicted);

    /// @notice The deterministic-deployment proxy (Arachnid's): calldata `salt ‖ initcode`, returns the 20-byte address.
    address public constant DETERMINISTIC_DEPLOYER = 0x4e59b44847b379578588920cA78FbF26c0B4956C;
    /// @notice The CREATE2 salt of every `SessionKeyValidator` v1 deployment.
    bytes32 public constant SALT = keccak256("leash.SessionKeyValidator.v1");
    /// @notice EIP-170 maximum runtime code size.
    uint256 public constant MAX_RUNTIME_SIZE = 24_576;

    ScriptVm private constant vm = SCRIPT_VM;

    /// @notice Deploys the module unless it is already at its predicted address.
    /// @return module The module's address (deployed now or earlier).
    function run() external returns (address module) {
        bytes memory initCode = type(SessionKeyValidator).creationCode;
        module = predictAddress(initCode);
        ScriptConsole.log("salt:", vm.toString(SALT));
        ScriptConsole.log("init code hash:", vm.toString(keccak256(initCode)));
        ScriptConsole.log("predicted address:", module);
        if (module.code.length != 0) {
            ScriptConsole.log("SessionKeyValidator already deployed, nothing to do:", module);
            return module;
        }
        uint256 runtimeSize = type(SessionKeyValidator).runtimeCode.length;
        if (runtimeSize > MAX_RUNTIME_SIZE) revert RuntimeCodeTooLarge(runtimeSize, MAX_RUNTIME_SIZE);
        if (DETERMINISTIC_DEPLOYER.code.length == 0) {
            revert DeterministicDeployerMissing(DETERMINISTIC_DEPLOYER);
        }

        vm.startBroadcast();
        (bool ok, bytes memory returned) = DETERMINISTIC_DEPLOYER.call(abi.encodePacked(SALT, initCode));
        vm.stopBroadcast();

        // casting to 'bytes20' is safe because the length is checked to be exactly 20 first
        // forge-lint: disable-next-line(unsafe-typecast)
        if (!ok || returned.length != 20 || address(bytes20(returned)) != module) {
            revert DeploymentFailed(module, returned);
        }
        if (module.code.length == 0) revert NoCodeAfterDeployment(module);
        ScriptConsole.log("SessionKeyValidator deployed at", module);
    }

    /// @notice The CREATE2 address the proxy gives `initCode` with `SALT`.
    /// @param initCode The creation code (for the module: `type(SessionKeyValidator).creationCode`).
    /// @return The predicted address.
    function predictAddress(bytes memory initCode) public pure returns (address) {
        bytes32 digest =
            keccak256(abi.encodePacked(bytes1(0xff), DETERMINISTIC_DEPLOYER, SALT, keccak256(initCode)));
        return address(uint160(uint256(digest)));
    }
}
