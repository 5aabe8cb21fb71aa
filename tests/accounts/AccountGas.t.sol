// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {VM_ADDRESS} from "../base/Vm.sol";
import {VmGas} from "../gas/VmGas.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {AccountKind} from "./AccountFormats.sol";
import {AccountMatrixBase} from "./AccountMatrixBase.sol";

/// @title AccountGasTest
/// @notice Gas of one full `handleOps` (EntryPoint v0.7, one op, an ERC-20 transfer) on every account of the
///         matrix: the owner op, a session op sponsored by a paymaster, and a session op the account pays for
///         itself. Same method as tests/gas/SessionGas.t.sol: steady state (warm-up ops of each kind ran in
///         `setUp`), cold (`vm.cool` on every contract the op runs). Snapshots land in
///         snapshots/<Account>GasTest.json; `forge test --isolate` gives the transaction-level figures of
///         BENCHMARKS.md.
/// @dev Note: the owner op is sponsored too, so owner and session ops compare like for like.
abstract contract AccountGasTest is AccountMatrixBase {
    uint256 private constant AMOUNT = 1 ether;

    function setUp() public override {
        super.setUp();
        installModule("");
        grant(gasSession(true));
        grant(gasSession(false));
        submit(sponsoredOwnerOp(tokenTransfer(AMOUNT)));
        submit(sessionOp(gasSession(true), tokenTransfer(AMOUNT)));
        submit(selfPaidSessionOp(tokenTransfer(AMOUNT)));
    }

    function test_gas_ownerErc20Transfer() public {
        measure(sponsoredOwnerOp(tokenTransfer(AMOUNT)), "Owner_Erc20Transfer");
    }

    function test_gas_sessionErc20TransferSponsored() public {
        measure(sessionOp(gasSession(true), tokenTransfer(AMOUNT)), "Session_Erc20Transfer_Sponsored");
    }

    function test_gas_sessionErc20TransferSelfPaid() public {
        measure(selfPaidSessionOp(tokenTransfer(AMOUNT)), "Session_Erc20Transfer_SelfPaid");
    }

    /// @dev The measured session: the ERC-20 allowance, a window and a use limit (as SessionGas.t.sol);
    ///      `sponsored` ones name the paymaster, the others carry a fee budget.
    function gasSession(bool sponsored) internal view returns (Session memory s) {
        s = tokenSession(1_000_000 ether);
        s.validAfter = 1;
        s.validUntil = uint48((1 << 47) - 1); // the latest time a window may carry (SessionWindow.MAX_TIME)
        s.maxUses = 1000;
        if (!sponsored) {
            s.paymasters = new address[](0);
            s.feeBudget = 1000 ether;
        }
    }

    function sponsoredOwnerOp(bytes memory callData) internal view returns (PackedUserOperation memory op) {
        op = ownerOp(callData);
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
    }

    function selfPaidSessionOp(bytes memory callData) internal view returns (PackedUserOperation memory op) {
        op = unsignedSessionOp(callData);
        op.paymasterAndData = "";
        op.signature = sessionOpSignature(gasSession(false), op);
    }

    function measure(PackedUserOperation memory op, string memory name) private {
        VmGas cheats = VmGas(VM_ADDRESS);
        cheats.cool(address(ep));
        cheats.cool(account);
        cheats.cool(address(module));
        cheats.cool(address(ownerValidator));
        cheats.cool(address(token));
        cheats.cool(address(paymaster));
        cheats.cool(recipient);
        cheats.cool(beneficiary);
        for (uint256 i; i < deployedCode.length; ++i) {
            cheats.cool(deployedCode[i]);
        }
        submit(op);
        vm.snapshotGasLastCall(name);
    }
}

contract OpenZeppelinGasTest is AccountGasTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.OpenZeppelin;
    }
}

contract MsaAdvancedGasTest is AccountGasTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.MSAAdvanced;
    }
}

contract NexusGasTest is AccountGasTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Nexus;
    }
}

contract Safe7579GasTest is AccountGasTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Safe7579;
    }
}

contract KernelGasTest is AccountGasTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Kernel;
    }
}
