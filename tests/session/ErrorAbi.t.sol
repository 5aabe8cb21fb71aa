// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "../base/Test.sol";
import {Eip7702InitCallDenied} from "../../contracts/session/SessionErrors.sol";
import {ISessionKeyValidator} from "../../contracts/session/interfaces/ISessionKeyValidator.sol";

/// @notice The error validation raises in assembly is declared twice (SessionErrors.sol for the module's sources,
///         ISessionKeyValidator for its ABI); both must name the same selector, which is the one the assembly
///         writes. crates/contracts/tests/abi_declarations.rs checks that every declared error is in the ABI.
contract ErrorAbiTest is Test {
    /// @dev The selector SessionKeyValidator.validateUserOp writes with `mstore(0x00, shl(224, 0x1c6c6a3c))`.
    bytes4 private constant ASSEMBLY_SELECTOR = 0x1c6c6a3c;

    function test_errorAbi_eip7702InitCallDeniedDeclarationsAgree() public pure {
        assertEq(Eip7702InitCallDenied.selector, ISessionKeyValidator.Eip7702InitCallDenied.selector);
        assertEq(Eip7702InitCallDenied.selector, ASSEMBLY_SELECTOR);
    }
}
