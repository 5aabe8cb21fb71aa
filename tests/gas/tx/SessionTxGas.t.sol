// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "../../session/SessionTestBase.sol";
import {UserOpLib} from "../../utils/UserOpLib.sol";
import {Session} from "../../../contracts/session/SessionTypes.sol";

/// @notice Gas of one `handleOps` transaction (EntryPoint v0.7, one op) as the bundler pays it: intrinsic
///         21,000, calldata and every cold access included. Run only with `forge test --isolate` (each
///         top-level call is then its own transaction): `make test-forge` does that for `tests/gas/tx/` and
///         checks snapshots/SessionTxGasTest.json. The cold-frame figures of tests/gas/SessionGas.t.sol measure
///         the module's own work; these measure what the user pays, calldata of the envelope included.
/// @dev Note: the steady state comes from `setUp` (an op of each kind already ran: counters and balances are
///      non-zero), so the measured op writes non-zero slots as a real user's second op does. Owner and session
///      ops are compared sponsored against sponsored and self-paid against self-paid.
contract SessionTxGasTest is SessionTestBase {
    uint256 private constant AMOUNT = 1 ether;
    uint256 private constant FEE_BUDGET = 10 ether;

    /// @dev One op of each measured kind, so that the measured ones run in the steady state.
    function setUp() public override {
        super.setUp();
        submit(entryPointV07, _ownerOp(true));
        submit(entryPointV07, _ownerOp(false));
        create(accountV07, _sponsoredSession());
        create(accountV07, _selfPaidSession());
        submit(
            entryPointV07, signedSessionOp(entryPointV07, _sponsoredSession(), tokenTransfer(AMOUNT), true)
        );
        submit(
            entryPointV07, signedSessionOp(entryPointV07, _selfPaidSession(), tokenTransfer(AMOUNT), false)
        );
    }

    function test_txgas_ownerErc20Transfer() public {
        PackedUserOperation memory op = _ownerOp(true);
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Owner_UserOp_Erc20Transfer");
    }

    function test_txgas_ownerErc20TransferSelfPaid() public {
        PackedUserOperation memory op = _ownerOp(false);
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Owner_UserOp_Erc20Transfer_SelfPaid");
    }

    function test_txgas_sessionErc20Transfer() public {
        PackedUserOperation memory op =
            signedSessionOp(entryPointV07, _sponsoredSession(), tokenTransfer(AMOUNT), true);
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Session_UserOp_Erc20Transfer");
    }

    function test_txgas_sessionErc20TransferSelfPaid() public {
        PackedUserOperation memory op =
            signedSessionOp(entryPointV07, _selfPaidSession(), tokenTransfer(AMOUNT), false);
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Session_UserOp_Erc20Transfer_SelfPaid");
    }

    // ----- Helpers -----

    /// @dev The owner's ERC-20 transfer, sponsored by the AcceptAllPaymaster or paid from the account's deposit.
    function _ownerOp(bool sponsored) private view returns (PackedUserOperation memory op) {
        address account = address(accountV07);
        op = UserOpLib.newOp(
            account,
            UserOpLib.nextNonce(entryPointV07, account, address(ownerValidator), 0),
            tokenTransfer(AMOUNT)
        );
        if (sponsored) {
            op.paymasterAndData =
                UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        }
        op.signature = UserOpLib.signOp(entryPointV07, op, ownerKey);
    }

    /// @dev The benchmark session of tests/gas/SessionGas.t.sol: an ERC-20 allowance, a window and a use limit,
    ///      sponsored by the AcceptAllPaymaster.
    function _sponsoredSession() private view returns (Session memory s) {
        s = tokenSession(1_000_000 ether);
        s.validAfter = 1;
        s.validUntil = uint48((1 << 47) - 1); // the latest time a window may carry (SessionWindow.MAX_TIME)
        s.maxUses = 1000;
    }

    /// @dev The same session paying its own fees from a fee budget instead of a paymaster.
    function _selfPaidSession() private view returns (Session memory s) {
        s = _sponsoredSession();
        s.paymasters = new address[](0);
        s.feeBudget = FEE_BUDGET;
    }
}
