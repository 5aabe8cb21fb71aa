// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {AccountDeployer} from "../tests/accounts/AccountDeployer.sol";
import {AccountKind} from "../tests/accounts/AccountFormats.sol";
import {SCRIPT_VM} from "./ScriptVm.sol";

/// @title DeployAccountMatrix
/// @notice TEST/E2E ONLY. Deploys, on a live dev chain (anvil), one account of each third-party kind of the account
///         matrix (MSAAdvanced, Nexus 1.0.1, Safe 1.4.1 + Safe7579, Kernel v3.1) from the bytecode that the npm
///         package modulekit 0.5.9 (by Rhinestone) ships (tests/fixtures/accounts/precompiles.json), as the forge matrix
///         does (tests/accounts/AccountDeployer.sol), each with the owner's validator installed at creation.
/// @dev Note:
///      - For EntryPoint v0.7 (the one all four run on). Env: LEASH_OWNER_VALIDATOR (the OwnerValidator address),
///        LEASH_OWNER_KEY (the owner's key: the validator's install data is its address, and it signs Safe7579's
///        first op, which sets the Safe up).
///      - MSAAdvanced and Kernel v3.1 as modulekit ships them are over EIP-170: run anvil and this script with
///        `--code-size-limit` (e2e/accounts.sh does).
///      - Run: `forge script script/DeployAccountMatrix.s.sol --rpc-url <anvil> --broadcast --private-key <funded key>
///        --code-size-limit 40000 --json`; the addresses are its return values.
contract DeployAccountMatrix is AccountDeployer {
    IEntryPoint internal constant ENTRY_POINT_V07 = IEntryPoint(0x0000000071727De22E5E9d8BAf0edAc6f37da032);

    /// @notice Deploys the four accounts; returns their addresses.
    function run() external returns (address msa, address nexus, address safe7579, address kernel) {
        address validator = SCRIPT_VM.envAddress("LEASH_OWNER_VALIDATOR");
        uint256 ownerKey = SCRIPT_VM.envUint("LEASH_OWNER_KEY");
        bytes memory validatorData = abi.encode(vm.addr(ownerKey));
        SCRIPT_VM.startBroadcast();
        msa = deployAccount(AccountKind.MSAAdvanced, ENTRY_POINT_V07, validator, validatorData, ownerKey);
        nexus = deployAccount(AccountKind.Nexus, ENTRY_POINT_V07, validator, validatorData, ownerKey);
        safe7579 = deployAccount(AccountKind.Safe7579, ENTRY_POINT_V07, validator, validatorData, ownerKey);
        kernel = deployAccount(AccountKind.Kernel, ENTRY_POINT_V07, validator, validatorData, ownerKey);
        SCRIPT_VM.stopBroadcast();
    }
}
