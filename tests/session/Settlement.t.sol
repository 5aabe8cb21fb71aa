// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Vm} from "../base/Vm.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {MockPermit2} from "../fixtures/MockPermit2.sol";
import {PullRouter} from "../fixtures/PullRouter.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";
import {CallDenied} from "../../contracts/session/SessionErrors.sol";
import {
    SettlementRequired,
    SettlementModeInvalid,
    SettlementEndMissing,
    SettlementCallMisplaced,
    SettlementArgumentsInvalid
} from "../../contracts/session/SettlementChecks.sol";
import {SettlementMismatch, SettledAllowanceExceeded} from "../../contracts/session/SessionSettlement.sol";

/// @notice Settlement (rule 16): a session with a token cap and a grant to a router that holds an earlier allowance
///         (ERC-20 or Permit2) is charged what actually leaves, on the real EntryPoints v0.7 and v0.8.
contract SettlementTest is SessionTestBase {
    /// @dev settle(uint32,bytes)
    bytes4 internal constant SETTLE = 0x9edb9baf;
    address internal constant PERMIT2 = 0x000000000022D473030F116dDEE9F6B43aC78BA3;
    /// @dev keccak256("UserOperationRevertReason(bytes32,address,uint256,bytes)")
    bytes32 internal constant REVERT_REASON_TOPIC =
        0x1c4fada7374c0a9ee8841fc38afe82932dc0f8e69012e927f061a8bae611a201;
    /// @dev execute mode: batch, TRY exec type.
    bytes32 internal constant MODE_BATCH_TRY = bytes32(uint256(0x0101) << 240);

    PullRouter internal router;
    MockERC20 internal output;

    function setUp() public override {
        super.setUp();
        router = new PullRouter();
        vm.label(address(router), "PullRouter");
        output = new MockERC20("Output Token", "OUT");
        output.mint(address(router), 1_000_000 ether);
        vm.etch(PERMIT2, address(new MockPermit2()).code);
        vm.label(PERMIT2, "Permit2");
    }

    // ----- ERC-20 allowance given before the session -----

    function test_settlement_routerPullBeyondCapRevertsExecution() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            bytes32 id = create(account, s);
            approveRouter(account);
            uint256 before = token.balanceOf(address(account));
            bytes memory reason =
                submitRecordingRevert(ep, sessionOp(ep, s, settled(s, one(swapCall(150 ether, 0)))));
            assertEq(
                reason,
                abi.encodeWithSelector(
                    SettledAllowanceExceeded.selector, id, address(token), 0, 150 ether, 100 ether
                )
            );
            assertEq(token.balanceOf(address(account)), before, "nothing left beyond the cap");
            assertEq(tokensLeft(ep, s), 100 ether);
            // Exactly what is left goes through, and the counter ends at the cap.
            submit(ep, sessionOp(ep, s, settled(s, one(swapCall(100 ether, 0)))));
            assertEq(token.balanceOf(address(account)), before - 100 ether);
            assertEq(tokensLeft(ep, s), 0);
        }
    }

    // ----- Permit2 allowance given before the session -----

    function test_settlement_permit2PullBeyondCapRevertsExecution() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            bytes32 id = create(account, s);
            vm.startPrank(address(account));
            token.approve(PERMIT2, type(uint256).max);
            MockPermit2(PERMIT2).approve(address(token), address(router), type(uint160).max, type(uint48).max);
            vm.stopPrank();
            uint256 before = token.balanceOf(address(account));
            bytes memory reason =
                submitRecordingRevert(ep, sessionOp(ep, s, settled(s, one(permit2SwapCall(150 ether)))));
            assertEq(
                reason,
                abi.encodeWithSelector(
                    SettledAllowanceExceeded.selector, id, address(token), 0, 150 ether, 100 ether
                )
            );
            assertEq(token.balanceOf(address(account)), before);
            assertEq(tokensLeft(ep, s), 100 ether);
            submit(ep, sessionOp(ep, s, settled(s, one(permit2SwapCall(100 ether)))));
            assertEq(token.balanceOf(address(account)), before - 100 ether);
            assertEq(tokensLeft(ep, s), 0);
        }
    }

    // ----- Legitimate swaps -----

    function test_settlement_swapInsideCapChargedExactly() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            create(account, s);
            approveRouter(account);
            uint256 before = token.balanceOf(address(account));
            submit(ep, sessionOp(ep, s, settled(s, one(swapCall(40 ether, 7 ether)))));
            assertEq(token.balanceOf(address(account)), before - 40 ether);
            assertEq(output.balanceOf(address(account)), 7 ether);
            assertEq(tokensLeft(ep, s), 60 ether);
        }
    }

    function test_settlement_inflowOfLimitedTokenIsNet() public {
        // Both tokens limited: the output token comes in (charged nothing), the input leaves (charged exactly).
        Session memory s = routerSession(100 ether);
        s.tokens = new TokenAllowance[](2);
        s.tokens[0] = TokenAllowance(address(token), 100 ether);
        s.tokens[1] = TokenAllowance(address(output), 1 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            approveRouter(accountFor(ep));
            submit(ep, sessionOp(ep, s, settled(s, one(swapCall(40 ether, 7 ether)))));
            TwoLeft memory left = leftOf(ep, s);
            assertEq(left.first, 60 ether);
            assertEq(left.second, 1 ether);
        }
    }

    // ----- Two ops of one bundle -----

    function test_settlement_twoOpsInOneBundleExceedingCap() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            bytes32 id = create(account, s);
            approveRouter(account);
            uint256 before = token.balanceOf(address(account));
            PackedUserOperation memory a = sessionOp(ep, s, settled(s, one(swapCall(60 ether, 0))));
            PackedUserOperation memory b = unsignedOp(ep, settled(s, one(swapCall(60 ether, 0))), true);
            b.nonce = a.nonce + 1;
            sign(ep, b, s, 0, sessionKey);
            vm.recordLogs();
            submitTwo(ep, a, b);
            // Both validated (neither charged anything visible); the first settled 60, the second hit the rest.
            assertEq(
                revertReasonIn(vm.getRecordedLogs()),
                abi.encodeWithSelector(
                    SettledAllowanceExceeded.selector, id, address(token), 0, 60 ether, 40 ether
                )
            );
            assertEq(token.balanceOf(address(account)), before - 60 ether);
            assertEq(tokensLeft(ep, s), 40 ether);
        }
    }

    // ----- Shapes rejected at validation -----

    function test_settlement_unsettledRouterCallRejected() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            approveRouter(accountFor(ep));
            Execution memory swap = swapCall(150 ether, 0);
            PackedUserOperation memory op = sessionOp(ep, s, single(swap.target, 0, swap.callData));
            expectModuleRevert(abi.encodeWithSelector(SettlementRequired.selector, id, 0));
            submit(ep, op);
            // A plain transfer first does not hide the router call.
            Execution[] memory calls = new Execution[](2);
            calls[0] = Execution(address(token), 0, abi.encodeCall(IERC20.transfer, (recipient, 1)));
            calls[1] = swap;
            op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementRequired.selector, id, 1));
            submit(ep, op);
        }
    }

    function test_settlement_tryModeRejected() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            // Wrapped, but TRY: a reverting settle would leave the pull in place.
            Execution[] memory calls = wrap(s, one(swapCall(150 ether, 0)));
            PackedUserOperation memory op =
                sessionOp(ep, s, UserOpLib.execute(MODE_BATCH_TRY, UserOpLib.encodeBatch(calls)));
            expectModuleRevert(abi.encodeWithSelector(SettlementModeInvalid.selector, MODE_BATCH_TRY));
            submit(ep, op);
            // Unwrapped TRY batch: settlement required.
            op = sessionOp(
                ep, s, UserOpLib.execute(MODE_BATCH_TRY, UserOpLib.encodeBatch(one(swapCall(1, 0))))
            );
            expectModuleRevert(abi.encodeWithSelector(SettlementRequired.selector, id, 0));
            submit(ep, op);
            // A single-call op cannot be settled either.
            op = sessionOp(ep, s, single(address(module), 0, settleData(s, 0)));
            expectModuleRevert(abi.encodeWithSelector(SettlementModeInvalid.selector, bytes32(0)));
            submit(ep, op);
        }
    }

    function test_settlement_missingOrMisplacedEndRejected() public {
        Session memory s = routerSession(100 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            // No closing settle.
            Execution[] memory calls = new Execution[](2);
            calls[0] = settleCall(s, 0);
            calls[1] = swapCall(150 ether, 0);
            PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementEndMissing.selector, 1));
            submit(ep, op);
            // A last call other than settle (a pull there would not be measured).
            calls = new Execution[](3);
            calls[0] = settleCall(s, 0);
            calls[1] = Execution(address(token), 0, abi.encodeCall(IERC20.transfer, (recipient, 1)));
            calls[2] = swapCall(150 ether, 0);
            op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementEndMissing.selector, 2));
            submit(ep, op);
            // A settle in the middle of a non-root session's batch is a call to the module: a hard denial.
            calls = new Execution[](4);
            calls[0] = settleCall(s, 0);
            calls[1] = settleCall(s, 0);
            calls[2] = swapCall(150 ether, 0);
            calls[3] = settleCall(s, 0);
            op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(CallDenied.selector, 1, address(module), SETTLE));
            submit(ep, op);
        }
    }

    function test_settlement_rootSessionDuplicatedSettleRejected() public {
        // Root lifts the hard denial of calls to the module, but never the settle positions: a close-and-reopen
        // around the pull would leave it unsettled.
        Session memory s = routerSession(100 ether);
        s.root = true;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            approveRouter(accountFor(ep));
            Execution[] memory calls = new Execution[](4);
            calls[0] = settleCall(s, 0);
            calls[1] = settleCall(s, 0);
            calls[2] = swapCall(150 ether, 0);
            calls[3] = settleCall(s, 0);
            PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementCallMisplaced.selector, 1));
            submit(ep, op);
        }
    }

    function test_settlement_wrapperCheckedInSessionsLimitingNoToken() public {
        // The validator skips the settlement checks only for ops they cannot concern: a settled op, or a call to the
        // module, is checked even when the session limits no token (so nothing about it needs settlement).
        Session memory s = routerSession(100 ether);
        s.tokens = new TokenAllowance[](0);
        Session memory root = routerSession(100 ether);
        root.tokens = new TokenAllowance[](0);
        root.root = true;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            TestAccount account = accountFor(ep);
            create(account, s);
            create(account, root);
            approveRouter(account);
            // A settled op naming another period.
            Execution[] memory calls = wrap(s, one(swapCall(1 ether, 0)));
            calls[2] = settleCall(s, 1);
            PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementArgumentsInvalid.selector, 2));
            submit(ep, op);
            // A settle in the middle of a root session's unsettled op.
            calls = new Execution[](2);
            calls[0] = swapCall(1 ether, 0);
            calls[1] = settleCall(root, 0);
            op = sessionOp(ep, root, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementCallMisplaced.selector, 1));
            submit(ep, op);
            // Well formed, both go through: the unsettled swap (no token limited) and the settled one.
            uint256 before = token.balanceOf(address(account));
            submit(ep, sessionOp(ep, s, UserOpLib.executeBatch(one(swapCall(1 ether, 0)))));
            submit(ep, sessionOp(ep, s, settled(s, one(swapCall(1 ether, 0)))));
            assertEq(token.balanceOf(address(account)), before - 2 ether);
        }
    }

    function test_settlement_wrongArgumentsRejected() public {
        Session memory s = routerSession(100 ether);
        Session memory other = routerSession(1_000 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            create(accountFor(ep), other);
            // Another session's counters (a bigger cap) named in the settle calls.
            Execution[] memory calls = wrap(other, one(swapCall(150 ether, 0)));
            PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementArgumentsInvalid.selector, 0));
            submit(ep, op);
            // Another period.
            calls = wrap(s, one(swapCall(150 ether, 0)));
            calls[2] = settleCall(s, 1);
            op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementArgumentsInvalid.selector, 2));
            submit(ep, op);
            // Native value on a settle call.
            calls = wrap(s, one(swapCall(150 ether, 0)));
            calls[0].value = 1;
            op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(abi.encodeWithSelector(SettlementArgumentsInvalid.selector, 0));
            submit(ep, op);
        }
    }

    // ----- Settle calls from outside an op -----

    function test_settlement_outsideCallerOnlyTouchesItself() public {
        Session memory s = routerSession(100 ether);
        TestAccount account = accountFor(entryPoints()[0]);
        create(account, s);
        address stranger = makeAddr("stranger");
        token.mint(stranger, 500 ether);
        // A stranger's settle pair around its own outflow: state and counters are keyed by the caller, so the
        // account's session is untouched.
        vm.startPrank(stranger);
        module.settle(0, packOf(s));
        token.transfer(recipient, 50 ether);
        vm.expectRevert(abi.encodeWithSelector(SettlementMismatch.selector, stranger));
        module.settle(1, packOf(s));
        module.settle(0, packOf(s));
        vm.stopPrank();
        assertEq(tokensLeft(entryPoints()[0], s), 100 ether);
    }

    // ----- Helpers -----

    struct TwoLeft {
        uint256 first;
        uint256 second;
    }

    /// @dev A session with a token cap `amount`, any call on the token, and any call on the router.
    function routerSession(uint256 amount) internal view returns (Session memory s) {
        s = tokenSession(amount);
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.calls[1] = CallGrant(address(router), bytes4(0), GRANT_ANY_SELECTOR);
    }

    /// @dev The account's unlimited ERC-20 approval of the router, made before (and outside) any session.
    function approveRouter(TestAccount account) internal {
        vm.prank(address(account));
        token.approve(address(router), type(uint256).max);
    }

    function settleData(Session memory s, uint32 periodIndex) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(SETTLE, periodIndex, packOf(s));
    }

    function settleCall(Session memory s, uint32 periodIndex) internal view returns (Execution memory) {
        return Execution(address(module), 0, settleData(s, periodIndex));
    }

    function swapCall(uint256 amountIn, uint256 amountOut) internal view returns (Execution memory) {
        return Execution(
            address(router),
            0,
            abi.encodeCall(PullRouter.swap, (IERC20(address(token)), amountIn, output, amountOut))
        );
    }

    function permit2SwapCall(uint256 amountIn) internal view returns (Execution memory) {
        return Execution(
            address(router),
            0,
            abi.encodeCall(PullRouter.swapViaPermit2, (address(token), uint160(amountIn), output, 0))
        );
    }

    function one(Execution memory e) internal pure returns (Execution[] memory calls) {
        calls = new Execution[](1);
        calls[0] = e;
    }

    /// @dev `[settle, ...inner, settle]` for period 0.
    function wrap(Session memory s, Execution[] memory inner)
        internal
        view
        returns (Execution[] memory calls)
    {
        calls = new Execution[](inner.length + 2);
        calls[0] = settleCall(s, 0);
        for (uint256 i; i < inner.length; ++i) {
            calls[i + 1] = inner[i];
        }
        calls[inner.length + 1] = settleCall(s, 0);
    }

    /// @dev The settled op's call data: a default-mode batch `[settle, ...inner, settle]`.
    function settled(Session memory s, Execution[] memory inner) internal view returns (bytes memory) {
        return UserOpLib.executeBatch(wrap(s, inner));
    }

    function tokensLeft(IEntryPoint ep, Session memory s) internal view returns (uint256) {
        return module.remainingOf(address(accountFor(ep)), s, 0).tokensLeft[0];
    }

    function leftOf(IEntryPoint ep, Session memory s) internal view returns (TwoLeft memory left) {
        uint256[] memory t = module.remainingOf(address(accountFor(ep)), s, 0).tokensLeft;
        left = TwoLeft(t[0], t[1]);
    }

    /// @dev Submits `op` (validation must pass) and returns the revert data of its execution (empty if it ran).
    function submitRecordingRevert(IEntryPoint ep, PackedUserOperation memory op)
        internal
        returns (bytes memory)
    {
        vm.recordLogs();
        submit(ep, op);
        return revertReasonIn(vm.getRecordedLogs());
    }

    /// @dev The `revertReason` of the only UserOperationRevertReason event in `logs` (empty when none).
    function revertReasonIn(Vm.Log[] memory logs) internal pure returns (bytes memory reason) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length != 0 && logs[i].topics[0] == REVERT_REASON_TOPIC) {
                (, reason) = abi.decode(logs[i].data, (uint256, bytes));
            }
        }
    }
}
