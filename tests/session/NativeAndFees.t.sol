// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {AcceptAllPaymaster} from "../fixtures/AcceptAllPaymaster.sol";
import {Session, CallGrant, GRANT_ANY_SELECTOR} from "../../contracts/session/SessionTypes.sol";
import {ISessionKeyValidator} from "../../contracts/session/interfaces/ISessionKeyValidator.sol";
import {
    NativeValueNotAllowed,
    NativeAllowanceExceeded,
    UnsponsoredNotAllowed,
    FeeBudgetExceeded,
    GasBudgetExceeded,
    PaymasterNotAllowed,
    SessionAmountTooLarge,
    TokenAllowanceExceeded,
    UsesExhausted
} from "../../contracts/session/SessionErrors.sol";

/// @notice native-allowance (rule 5), fee-budget, gas-budget and paymasters (rule 7).
contract NativeAndFeesTest is SessionTestBase {
    uint256 private constant OP_GAS = 1_000_000 + 1_000_000 + 60_000;
    uint256 private constant OP_FEE = OP_GAS * 2 gwei;

    function test_native_withinAllowancePassesBothEntryPoints() public {
        Session memory s = nativeSession(1 ether);
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            create(accountFor(eps[i]), s);
            submit(eps[i], sessionOp(eps[i], s, single(recipient, 1 ether, "")));
        }
        assertEq(recipient.balance, 2 ether);
    }

    function test_native_excessRejectedAcrossOpsAndBatch() public {
        Session memory s = nativeSession(1 ether);
        IEntryPoint ep = entryPointV08;
        bytes32 id = create(accountFor(ep), s);
        submit(ep, sessionOp(ep, s, single(recipient, 0.6 ether, "")));
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(recipient, 0.2 ether, "");
        calls[1] = Execution(recipient, 0.3 ether, "");
        PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
        expectModuleRevert(abi.encodeWithSelector(NativeAllowanceExceeded.selector, id, 0.5 ether, 0.4 ether));
        submit(ep, op);
    }

    function test_native_noAllowanceRejectsAnyValue() public {
        Session memory s = nativeSession(0);
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = sessionOp(ep, s, single(recipient, 1, ""));
        expectModuleRevert(abi.encodeWithSelector(NativeValueNotAllowed.selector, id, 1));
        submit(ep, op);
    }

    function test_fee_unsponsoredWithoutBudgetRejected() public {
        Session memory s = nativeSession(1 ether);
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = signedSessionOp(ep, s, single(recipient, 1, ""), false);
        expectModuleRevert(abi.encodeWithSelector(UnsponsoredNotAllowed.selector, id));
        submit(ep, op);
    }

    function test_fee_budgetChargedAndExceeded() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = OP_FEE * 2 - 1;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            bytes32 id = create(accountFor(ep), s);
            PackedUserOperation memory op = signedSessionOp(ep, s, single(recipient, 1, ""), false);
            submit(ep, op);
            assertEq(module.remainingOf(address(accountFor(ep)), s, 0).feeLeft, OP_FEE - 1);
            op = signedSessionOp(ep, s, single(recipient, 1, ""), false);
            expectModuleRevert(abi.encodeWithSelector(FeeBudgetExceeded.selector, id, OP_FEE, OP_FEE - 1));
            submit(ep, op);
        }
    }

    /// @dev A self-paid op that charges only `tokens[0]` and its fee takes the short path (the fee checked and written
    ///      right after the record, SessionCharging.charge): the budget is charged exactly and refused one wei short,
    ///      on both EntryPoints.
    function test_fee_feeOnlyOpBudgetChargedAndExceeded() public {
        Session memory s = tokenSession(10 ether);
        s.feeBudget = OP_FEE * 2 - 1;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            address account = address(accountFor(ep));
            bytes32 id = create(accountFor(ep), s);
            PackedUserOperation memory op = signedSessionOp(ep, s, tokenTransfer(1 ether), false);
            submit(ep, op);
            ISessionKeyValidator.Remaining memory left = module.remainingOf(account, s, 0);
            assertEq(left.feeLeft, OP_FEE - 1, "fee charged");
            assertEq(left.tokensLeft[0], 9 ether, "tokens[0] charged in the same record write");
            op = signedSessionOp(ep, s, tokenTransfer(1 ether), false);
            expectModuleRevert(abi.encodeWithSelector(FeeBudgetExceeded.selector, id, OP_FEE, OP_FEE - 1));
            submit(ep, op);
            left = module.remainingOf(account, s, 0);
            assertEq(left.feeLeft, OP_FEE - 1, "a refused op charges nothing");
            assertEq(left.tokensLeft[0], 9 ether);
        }
    }

    /// @dev On the short path the order of the checks is unchanged: uses, then `tokens[0]`, then the fee.
    function test_fee_feeOnlyOpChecksUsesAndTokenFirst() public {
        IEntryPoint ep = entryPointV07;
        Session memory s = tokenSession(1 ether);
        s.feeBudget = OP_FEE - 1; // every op of this session is over its fee budget
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = signedSessionOp(ep, s, tokenTransfer(2 ether), false);
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 2 ether, 1 ether)
        );
        submit(ep, op);

        s.salt = keccak256("uses");
        s.maxUses = 1;
        s.feeBudget = OP_FEE;
        id = create(accountFor(ep), s);
        submit(ep, signedSessionOp(ep, s, tokenTransfer(0.5 ether), false));
        op = signedSessionOp(ep, s, tokenTransfer(2 ether), false);
        expectModuleRevert(abi.encodeWithSelector(UsesExhausted.selector, id, uint32(1)));
        submit(ep, op);
    }

    /// @dev The fee spent lives in the session record beside the use count and the first token's spent amount
    ///      (SessionStorage): a self-paid token op, a native op and a sponsored op each move only their own field.
    function test_fee_recordKeepsFeeUsesAndTokenApart() public {
        Session memory s = tokenSession(10 ether);
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(address(token), bytes4(0), GRANT_ANY_SELECTOR);
        s.calls[1] = CallGrant(recipient, bytes4(0), 0);
        s.nativeAllowance = 1 ether;
        s.feeBudget = OP_FEE * 3;
        s.maxUses = 10;
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            address account = address(accountFor(ep));
            create(accountFor(ep), s);
            PackedUserOperation memory op = signedSessionOp(ep, s, tokenTransfer(2 ether), false);
            submit(ep, op);
            // The session limits a token: a call to anything but the token (here a native send) is settled.
            Execution[] memory send = new Execution[](1);
            send[0] = Execution(recipient, 0.25 ether, "");
            op = signedSessionOp(ep, s, settledBatch(s, send), false);
            submit(ep, op);
            submit(ep, sessionOp(ep, s, tokenTransfer(3 ether)));
            ISessionKeyValidator.Remaining memory left = module.remainingOf(account, s, 0);
            assertEq(left.feeLeft, OP_FEE, "two self-paid ops charged");
            assertEq(left.usesLeft, 7, "three uses");
            assertEq(left.tokensLeft[0], 5 ether, "tokens[0]");
            assertEq(left.nativeLeft, 0.75 ether, "native");
        }
    }

    /// @dev A fee budget at its cap (2^80-1 wei, the width of the record's fee field) is charged exactly; one wei
    ///      more is refused when the session is created.
    function test_fee_budgetAtItsCap() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = type(uint80).max;
        IEntryPoint ep = entryPointV07;
        address account = address(accountFor(ep));
        create(accountFor(ep), s);
        PackedUserOperation memory op = signedSessionOp(ep, s, single(recipient, 1, ""), false);
        submit(ep, op);
        assertEq(module.remainingOf(account, s, 0).feeLeft, uint256(type(uint80).max) - OP_FEE);
        assertEq(module.remainingOf(account, s, 0).usesLeft, type(uint256).max, "no use limit");

        s.feeBudget = uint256(type(uint80).max) + 1;
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(SessionAmountTooLarge.selector, s.feeBudget));
        module.grantSession(s);
    }

    function test_fee_sponsoredOpChargesNoFee() public {
        Session memory s = nativeSession(1 ether);
        s.feeBudget = 1;
        IEntryPoint ep = entryPointV08;
        create(accountFor(ep), s);
        submit(ep, sessionOp(ep, s, single(recipient, 1, "")));
        assertEq(module.remainingOf(address(accountFor(ep)), s, 0).feeLeft, 1);
    }

    function test_paymaster_unlistedRejected() public {
        AcceptAllPaymaster other = new AcceptAllPaymaster();
        other.deposit{value: 1 ether}(entryPointV07);
        Session memory s = nativeSession(1 ether);
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(other), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        sign(ep, op, s, 0, sessionKey);
        expectModuleRevert(abi.encodeWithSelector(PaymasterNotAllowed.selector, id, address(other)));
        submit(ep, op);
    }

    function test_paymaster_emptyListCannotBeSponsored() public {
        Session memory s = nativeSession(1 ether);
        s.paymasters = new address[](0);
        IEntryPoint ep = entryPointV08;
        bytes32 id = create(accountFor(ep), s);
        PackedUserOperation memory op = sessionOp(ep, s, single(recipient, 1, ""));
        expectModuleRevert(abi.encodeWithSelector(PaymasterNotAllowed.selector, id, address(paymaster)));
        submit(ep, op);
    }

    function test_gas_budgetChargesAllFiveLimits() public {
        uint256 sponsoredGas = OP_GAS + PM_VERIFICATION_GAS + PM_POST_OP_GAS;
        Session memory s = nativeSession(1 ether);
        s.gasBudget = sponsoredGas * 2 - 1;
        IEntryPoint ep = entryPointV07;
        bytes32 id = create(accountFor(ep), s);
        submit(ep, sessionOp(ep, s, single(recipient, 1, "")));
        assertEq(module.remainingOf(address(accountFor(ep)), s, 0).gasLeft, sponsoredGas - 1);
        PackedUserOperation memory op = sessionOp(ep, s, single(recipient, 1, ""));
        expectModuleRevert(
            abi.encodeWithSelector(GasBudgetExceeded.selector, id, sponsoredGas, sponsoredGas - 1)
        );
        submit(ep, op);
    }
}
