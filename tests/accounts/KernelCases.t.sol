// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {WrapperSelectorDenied, SessionIsRevoked} from "../../contracts/session/SessionErrors.sol";
import {AccountKind, AccountFormats} from "./AccountFormats.sol";
import {AccountMatrixBase} from "./AccountMatrixBase.sol";
import {IMatrixAccount, IKernel} from "./AccountInterfaces.sol";
import {NoopKernelHook} from "../fixtures/accounts/NoopKernelHook.sol";

/// @title KernelCasesTest
/// @notice What Kernel v3.1 does differently, on its real bytecode, and what leash does about it:
///         - an execution hook paired with the module: Kernel then demands `executeUserOp ‖ execute(...)`, which
///           the module refuses (rule 1: `WrapperSelectorDenied`), and refuses a plain `execute` itself
///           (`InvalidValidator`): install the module on Kernel without a hook;
///         - Kernel never reports a hook as installed (`isModuleInstalled(4, ·)` is always false);
///         - `invalidateNonce` disables the module without `onUninstall`: sessions stop (Kernel refuses), a
///           reinstall reverts `AlreadyInitialized` until an explicit uninstall, and that uninstall revokes them.
contract KernelCasesTest is AccountMatrixBase {
    /// @dev Kernel's `executeUserOp(PackedUserOperation,bytes32)`.
    bytes4 internal constant EXECUTE_USER_OP = 0x8dd7712f;

    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Kernel;
    }

    function test_kernel_hookedInstallIsUnusable() public {
        NoopKernelHook hook = new NoopKernelHook();
        bytes memory data = abi.encodePacked(
            address(hook), abi.encode(bytes(""), hex"00", abi.encodePacked(AccountFormats.EXECUTE_SELECTOR))
        );
        UserOpLib.handleOne(
            ep, ownerOp(abi.encodeCall(IMatrixAccount.installModule, (1, address(module), data))), beneficiary
        );
        assertTrue(IMatrixAccount(account).isModuleInstalled(1, address(module), ""), "installed with a hook");
        assertTrue(hook.installed(account), "hook installed");
        assertFalse(IMatrixAccount(account).isModuleInstalled(4, address(hook), ""), "Kernel hides its hooks");

        Session memory s = tokenSession(100 ether);
        grant(s);
        // What Kernel demands: executeUserOp ‖ execute(...). The module refuses the wrapper.
        PackedUserOperation memory op =
            sessionOp(s, abi.encodePacked(EXECUTE_USER_OP, tokenTransfer(1 ether)));
        expectModuleRevert(abi.encodeWithSelector(WrapperSelectorDenied.selector, EXECUTE_USER_OP));
        submit(op);
        // A plain execute passes the module, then Kernel refuses it: with a hook it reads the selector after
        // the wrapper's, here execute's mode word, which no validator is allowed (InvalidValidator).
        op = sessionOp(s, tokenTransfer(1 ether));
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA23 reverted",
                abi.encodeWithSignature("InvalidValidator()")
            )
        );
        submit(op);
        assertEq(token.balanceOf(recipient), 0, "nothing ran");
    }

    function test_kernel_invalidateNonceDisablesWithoutUninstall() public {
        installModule("");
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        submit(sessionOp(s, tokenTransfer(10 ether)));

        // Kernel's installs so far carry validation nonce 1; invalidating up to 2 disables the module.
        UserOpLib.handleOne(ep, ownerOp(abi.encodeCall(IKernel.invalidateNonce, (2))), beneficiary);
        PackedUserOperation memory op = sessionOp(s, tokenTransfer(10 ether));
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA23 reverted",
                abi.encodeWithSignature("InvalidNonce()")
            )
        );
        submit(op);
        // onUninstall never ran: the module still holds the account and the session.
        assertTrue(module.isInitialized(account), "module not told");
        assertEq(uint256(module.statusOf(account, id)), 1, "session still active in the module");

        // A reinstall reaches onInstall, which refuses: the op's execution reverts, nothing changes.
        installModule("");
        assertEq(uint256(module.statusOf(account, id)), 1, "reinstall refused");
        op = sessionOp(s, tokenTransfer(10 ether));
        vm.expectRevert();
        submit(op);

        // The way out: an explicit uninstall (onUninstall revokes), then a reinstall.
        uninstallModule();
        assertEq(uint256(module.statusOf(account, id)), 3, "revoked by the explicit uninstall");
        installModule("");
        assertTrue(module.isInitialized(account), "reinstalled");
        op = sessionOp(s, tokenTransfer(10 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        submit(op);
        assertEq(token.balanceOf(recipient), 10 ether, "only the op before the invalidation ran");
    }
}
