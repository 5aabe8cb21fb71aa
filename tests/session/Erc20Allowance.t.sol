// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {
    Session,
    TokenAllowance,
    CallGrant,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";
import {ISessionKeyValidator} from "../../contracts/session/interfaces/ISessionKeyValidator.sol";
import {
    TokenAllowanceExceeded,
    TokenCallNotExplicit,
    TokenCallMalformed
} from "../../contracts/session/SessionErrors.sol";

/// @notice erc20-allowance (rule 6): transfer/approve/increaseAllowance/transferFrom charged, summed within a
///         batch, across ops and across two ops of one bundle; other selectors need an explicit grant.
contract Erc20AllowanceTest is SessionTestBase {
    function test_erc20_transferWithinAllowancePasses() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            create(accountFor(eps[i]), s);
            submit(eps[i], sessionOp(eps[i], s, tokenTransfer(100 ether)));
        }
        assertEq(token.balanceOf(recipient), 200 ether);
    }

    function test_erc20_excessRejected() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            bytes32 id = create(accountFor(eps[i]), s);
            PackedUserOperation memory op = sessionOp(eps[i], s, tokenTransfer(100 ether + 1));
            expectModuleRevert(
                abi.encodeWithSelector(
                    TokenAllowanceExceeded.selector, id, address(token), 100 ether + 1, 100 ether
                )
            );
            submit(eps[i], op);
        }
    }

    function test_erc20_sumsAcrossOps() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            bytes32 id = create(accountFor(eps[i]), s);
            submit(eps[i], sessionOp(eps[i], s, tokenTransfer(60 ether)));
            PackedUserOperation memory op = sessionOp(eps[i], s, tokenTransfer(41 ether));
            expectModuleRevert(
                abi.encodeWithSelector(
                    TokenAllowanceExceeded.selector, id, address(token), 41 ether, 40 ether
                )
            );
            submit(eps[i], op);
            submit(eps[i], sessionOp(eps[i], s, tokenTransfer(40 ether)));
        }
        assertEq(token.balanceOf(recipient), 200 ether);
    }

    function test_erc20_sumsWithinBatch() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            bytes32 id = create(accountFor(eps[i]), s);
            PackedUserOperation memory op = sessionOp(eps[i], s, tokenTransfers(pair(60 ether, 41 ether)));
            expectModuleRevert(
                abi.encodeWithSelector(
                    TokenAllowanceExceeded.selector, id, address(token), 101 ether, 100 ether
                )
            );
            submit(eps[i], op);
            submit(eps[i], sessionOp(eps[i], s, tokenTransfers(pair(60 ether, 40 ether))));
        }
        assertEq(token.balanceOf(recipient), 200 ether);
    }

    function test_erc20_sumsAcrossOneBundle() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            address account = address(accountFor(ep));
            PackedUserOperation memory a = sessionOp(ep, s, tokenTransfer(60 ether));
            PackedUserOperation memory b = unsignedOp(ep, tokenTransfer(60 ether), true);
            b.nonce = a.nonce + 1;
            sign(ep, b, s, 0, sessionKey);
            expectModuleRevert(
                1,
                abi.encodeWithSelector(
                    TokenAllowanceExceeded.selector, id, address(token), 60 ether, 40 ether
                )
            );
            submitTwo(ep, a, b);
            // Both within the remainder: the bundle goes through and both are charged.
            a = sessionOp(ep, s, tokenTransfer(60 ether));
            b = unsignedOp(ep, tokenTransfer(40 ether), true);
            b.nonce = a.nonce + 1;
            sign(ep, b, s, 0, sessionKey);
            submitTwo(ep, a, b);
            assertEq(module.remainingOf(account, s, 0).tokensLeft[0], 0);
        }
    }

    function test_erc20_approveChargedGross() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV07;
        address account = address(accountFor(ep));
        bytes32 id = create(accountFor(ep), s);
        submit(
            ep,
            sessionOp(ep, s, single(address(token), 0, abi.encodeCall(token.approve, (recipient, 70 ether))))
        );
        // Re-approving to a lower value is still charged: approvals count gross.
        submit(
            ep,
            sessionOp(ep, s, single(address(token), 0, abi.encodeCall(token.approve, (recipient, 20 ether))))
        );
        assertEq(module.remainingOf(account, s, 0).tokensLeft[0], 10 ether);
        // approve(…, 0) costs nothing.
        submit(ep, sessionOp(ep, s, single(address(token), 0, abi.encodeCall(token.approve, (recipient, 0)))));
        PackedUserOperation memory op =
            sessionOp(ep, s, single(address(token), 0, abi.encodeCall(token.approve, (recipient, 11 ether))));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 11 ether, 10 ether)
        );
        submit(ep, op);
    }

    function test_erc20_increaseAllowanceCharged() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV08;
        bytes32 id = create(accountFor(ep), s);
        bytes memory data = abi.encodeCall(MockERC20.increaseAllowance, (recipient, 101 ether));
        PackedUserOperation memory op = sessionOp(ep, s, single(address(token), 0, data));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 101 ether, 100 ether)
        );
        submit(ep, op);
        data = abi.encodeCall(MockERC20.increaseAllowance, (recipient, 100 ether));
        submit(ep, sessionOp(ep, s, single(address(token), 0, data)));
        assertEq(token.allowance(address(accountFor(ep)), recipient), 100 ether);
    }

    function test_erc20_transferFromAccountCharged() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV07;
        address account = address(accountFor(ep));
        bytes32 id = create(accountFor(ep), s);
        bytes memory data = abi.encodeCall(token.transferFrom, (account, recipient, 101 ether));
        PackedUserOperation memory op = sessionOp(ep, s, single(address(token), 0, data));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 101 ether, 100 ether)
        );
        submit(ep, op);
    }

    function test_erc20_transferFromOtherNeedsExplicitGrant() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV07;
        create(accountFor(ep), s);
        bytes memory data = abi.encodeCall(token.transferFrom, (recipient, address(this), 1 ether));
        PackedUserOperation memory op = sessionOp(ep, s, single(address(token), 0, data));
        expectModuleRevert(
            abi.encodeWithSelector(
                TokenCallNotExplicit.selector, 0, address(token), token.transferFrom.selector
            )
        );
        submit(ep, op);
    }

    function test_erc20_otherSelectorNeedsExplicitGrant() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV08;
        create(accountFor(ep), s);
        bytes memory data = abi.encodeWithSignature("burn(uint256)", 1 ether);
        PackedUserOperation memory op = sessionOp(ep, s, single(address(token), 0, data));
        expectModuleRevert(
            abi.encodeWithSelector(
                TokenCallNotExplicit.selector, 0, address(token), bytes4(keccak256("burn(uint256)"))
            )
        );
        submit(ep, op);
    }

    function test_erc20_explicitGrantAllowsOtherSelectorUncharged() public {
        Session memory s = tokenSession(100 ether);
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.calls[1] = CallGrant(address(token), token.name.selector, 0);
        IEntryPoint ep = entryPointV08;
        address account = address(accountFor(ep));
        create(accountFor(ep), s);
        // A limited token's other selector may move value: the op is settled (rule 16), and nothing left.
        Execution[] memory calls = new Execution[](1);
        calls[0] = Execution(address(token), 0, abi.encodeCall(token.name, ()));
        submit(ep, sessionOp(ep, s, settledBatch(s, calls)));
        assertEq(module.remainingOf(account, s, 0).tokensLeft[0], 100 ether);
    }

    function test_erc20_nonCanonicalArgumentsRejected() public {
        Session memory s = tokenSession(100 ether);
        IEntryPoint ep = entryPointV07;
        create(accountFor(ep), s);
        // Trailing byte after transfer's two words.
        bytes memory data = abi.encodePacked(abi.encodeCall(token.transfer, (recipient, 1 ether)), uint8(0));
        PackedUserOperation memory op = sessionOp(ep, s, single(address(token), 0, data));
        expectModuleRevert(
            abi.encodeWithSelector(TokenCallMalformed.selector, 0, address(token), token.transfer.selector)
        );
        submit(ep, op);
        // Dirty upper bits in the recipient word.
        data = abi.encodeWithSelector(
            token.transfer.selector, uint256(uint160(recipient)) | (1 << 200), 1 ether
        );
        op = sessionOp(ep, s, single(address(token), 0, data));
        expectModuleRevert(
            abi.encodeWithSelector(TokenCallMalformed.selector, 0, address(token), token.transfer.selector)
        );
        submit(ep, op);
    }

    function test_erc20_secondTokenCountedSeparately() public {
        MockERC20 other = new MockERC20("Other", "OTH");
        IEntryPoint ep = entryPointV08;
        address account = address(accountFor(ep));
        other.mint(account, 1000 ether);
        Session memory s = tokenSession(100 ether);
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.calls[1] = CallGrant(address(other), bytes4(0), GRANT_ANY_SELECTOR);
        s.tokens = new TokenAllowance[](2);
        s.tokens[0] = TokenAllowance(address(token), 100 ether);
        s.tokens[1] = TokenAllowance(address(other), 5 ether);
        bytes32 id = create(accountFor(ep), s);
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(token), 0, abi.encodeCall(token.transfer, (recipient, 50 ether)));
        calls[1] = Execution(address(other), 0, abi.encodeCall(other.transfer, (recipient, 5 ether)));
        submit(ep, sessionOp(ep, s, UserOpLib.executeBatch(calls)));
        ISessionKeyValidator.Remaining memory r = module.remainingOf(account, s, 0);
        assertEq(r.tokensLeft[0], 50 ether);
        assertEq(r.tokensLeft[1], 0);
        PackedUserOperation memory op =
            sessionOp(ep, s, single(address(other), 0, abi.encodeCall(other.transfer, (recipient, 1))));
        expectModuleRevert(abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(other), 1, 0));
        submit(ep, op);
    }
}
