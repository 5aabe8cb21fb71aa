// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {AcceptAllPaymaster} from "../fixtures/AcceptAllPaymaster.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {
    NativeValueNotAllowed,
    NativeAllowanceExceeded,
    UnsponsoredNotAllowed,
    FeeBudgetExceeded,
    GasBudgetExceeded,
    PaymasterNotAllowed
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
        PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
        sign(ep, op, s, 0, sessionKey);
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
            PackedUserOperation memory op = unsignedOp(ep, single(recipient, 1, ""), false);
            sign(ep, op, s, 0, sessionKey);
            submit(ep, op);
            assertEq(module.remainingOf(address(accountFor(ep)), s, 0).feeLeft, OP_FEE - 1);
            op = unsignedOp(ep, single(recipient, 1, ""), false);
            sign(ep, op, s, 0, sessionKey);
            expectModuleRevert(abi.encodeWithSelector(FeeBudgetExceeded.selector, id, OP_FEE, OP_FEE - 1));
            submit(ep, op);
        }
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
