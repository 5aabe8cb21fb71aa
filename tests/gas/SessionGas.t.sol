// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "../session/SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";

/// @notice Gas of one full `handleOps` (EntryPoint v0.7, one op, steady state: the account, token balances and
///         session counters are already warm from an earlier op) for the owner and for session keys. Every op
///         is sponsored by the same AcceptAllPaymaster so the comparison is like for like. Snapshots land in
///         snapshots/SessionGasTest.json; CI checks them with FORGE_SNAPSHOT_CHECK=true.
contract SessionGasTest is SessionTestBase {
    uint256 private constant AMOUNT = 1 ether;

    /// @dev An erc20-allowance + window + use-limit session, created on the v0.7 account.
    function _erc20Session() private view returns (Session memory s) {
        s = tokenSession(1_000_000 ether);
        s.validAfter = 1;
        s.validUntil = type(uint48).max - 1;
        s.maxUses = 1000;
    }

    function _ownerOp(bytes memory callData) private view returns (PackedUserOperation memory op) {
        address account = address(accountV07);
        op = UserOpLib.newOp(
            account, UserOpLib.nextNonce(entryPointV07, account, address(ownerValidator), 0), callData
        );
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        op.signature = UserOpLib.signOp(entryPointV07, op, ownerKey);
    }

    function test_gas_ownerErc20Transfer() public {
        submit(entryPointV07, _ownerOp(tokenTransfer(AMOUNT)));
        PackedUserOperation memory op = _ownerOp(tokenTransfer(AMOUNT));
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Owner_UserOp_Erc20Transfer");
    }

    function test_gas_sessionErc20Transfer() public {
        Session memory s = _erc20Session();
        create(accountV07, s);
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(AMOUNT)));
        PackedUserOperation memory op = sessionOp(entryPointV07, s, tokenTransfer(AMOUNT));
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Session_UserOp_Erc20Transfer");
    }

    function test_gas_sessionErc20TransferBatch3() public {
        Session memory s = _erc20Session();
        create(accountV07, s);
        uint256[] memory amounts = new uint256[](3);
        amounts[0] = AMOUNT;
        amounts[1] = AMOUNT;
        amounts[2] = AMOUNT;
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfers(amounts)));
        PackedUserOperation memory op = sessionOp(entryPointV07, s, tokenTransfers(amounts));
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Session_UserOp_Erc20TransferBatch3");
    }

    function test_gas_sessionNativeTransfer() public {
        Session memory s = nativeSession(10 ether);
        create(accountV07, s);
        submit(entryPointV07, sessionOp(entryPointV07, s, single(recipient, AMOUNT / 100, "")));
        PackedUserOperation memory op = sessionOp(entryPointV07, s, single(recipient, AMOUNT / 100, ""));
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Session_UserOp_NativeTransfer");
    }

    function test_gas_sessionEnableAndErc20Transfer() public {
        // Warm the account and the token balances with an owner op first, as in the other scenarios.
        submit(entryPointV07, _ownerOp(tokenTransfer(AMOUNT)));
        Session memory s = _erc20Session();
        bytes32 id = idOf(s);
        PackedUserOperation memory op = unsignedOp(entryPointV07, tokenTransfer(AMOUNT), true);
        signWith(
            entryPointV07,
            op,
            s,
            0,
            sessionKey,
            FLAG_ENABLE,
            7,
            ownerEnableSignature(address(accountV07), id, 7)
        );
        submit(entryPointV07, op);
        vm.snapshotGasLastCall("Session_UserOp_EnableAndErc20Transfer");
    }
}
