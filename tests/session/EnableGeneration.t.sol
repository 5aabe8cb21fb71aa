// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {EnableGrantStale} from "../../contracts/session/SessionErrors.sol";

/// @notice Rule 12: an owner's enable grant dies with the install it was signed in (issue 11 item 3). The grant's
///         nonce names the install generation (top 32 bits), and the owner's digest covers the nonce.
contract EnableGenerationTest is SessionTestBase {
    function _enableOp(IEntryPoint ep, Session memory s, uint256 nonce)
        private
        view
        returns (PackedUserOperation memory op)
    {
        address account = address(accountFor(ep));
        op = unsignedOp(ep, tokenTransfer(1 ether), true);
        signWith(ep, op, s, 0, sessionKey, FLAG_ENABLE, nonce, ownerEnableSignature(account, idOf(s), nonce));
    }

    /// @dev The owner signs a grant and never uses it, uninstalls the module to kill every session, then
    ///      reinstalls it: the old grant is refused with a named error, and a grant for the new install works.
    function test_enableGeneration_grantDiesWithItsInstall() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            assertEq(module.installGeneration(address(account)), 0);
            uint256 oldNonce = 5; // generation 0 in the top 32 bits
            PackedUserOperation memory stale = _enableOp(ep, s, oldNonce);
            uninstall(account);
            install(account);
            assertEq(module.installGeneration(address(account)), 1);
            expectModuleRevert(
                abi.encodeWithSelector(EnableGrantStale.selector, address(account), idOf(s), 0, 1)
            );
            submit(ep, stale);
            assertEq(module.statusOf(address(account), idOf(s)), 0, "nothing created");
            assertFalse(module.enableNonceUsed(address(account), oldNonce), "nonce not consumed");

            uint256 freshNonce = (uint256(1) << 224) | 5;
            submit(ep, _enableOp(ep, s, freshNonce));
            assertEq(module.statusOf(address(account), idOf(s)), 1);
        }
        assertEq(token.balanceOf(recipient), 2 ether);
    }

    /// @dev A grant that names a later install than the current one is refused the same way.
    function test_enableGeneration_futureGenerationRefused() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            address account = address(accountFor(ep));
            uint256 nonce = (uint256(3) << 224) | 9;
            PackedUserOperation memory op = _enableOp(ep, s, nonce);
            expectModuleRevert(abi.encodeWithSelector(EnableGrantStale.selector, account, idOf(s), 3, 0));
            submit(ep, op);
        }
    }
}
