// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";
import {
    Session,
    CallGrant,
    GRANT_ANY_TARGET,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";
import {
    TokenAllowanceExceeded,
    CallDenied,
    CallToInstalledModule,
    SessionIsPaused,
    SessionIsRevoked
} from "../../contracts/session/SessionErrors.sol";
import {AccountKind} from "./AccountFormats.sol";
import {AccountMatrixBase} from "./AccountMatrixBase.sol";
import {IMatrixAccount} from "./AccountInterfaces.sol";

/// @title AccountMatrixTest
/// @notice The same session scenario on every account of the matrix, each deployed from its real bytecode:
///         install (plain and with sessions in the install data), a session ERC-20 transfer, an over-limit batch
///         rejected, the hard denials under an ANY-target grant, enable in the first op through the account's
///         own ERC-1271, pause/resume/revoke, uninstall kills and reinstall does not resurrect, and what target
///         address(0) means. One concrete contract per account below.
/// @dev Note: a module rejection is asserted as the account lets it out (`expectModuleRevert`: Safe7579 turns
///      every validator revert into `ExecutionFailed()`; the CLI recovers the named reason, see
///      crates/cli/src/reason.rs).
abstract contract AccountMatrixTest is AccountMatrixBase {
    /// @dev Whether the account runs a call to target address(0) as a call to itself.
    function treatsZeroTargetAsSelf() internal pure virtual returns (bool) {
        return false;
    }

    function test_matrix_accountIsTheRealImplementation() public view {
        string memory id = IMatrixAccount(account).accountId();
        assertEq(id, expectedAccountId(), "accountId");
        assertTrue(
            IMatrixAccount(account).isModuleInstalled(1, address(ownerValidator), ""), "owner validator"
        );
        assertFalse(IMatrixAccount(account).isModuleInstalled(1, address(module), ""), "module not yet");
    }

    /// @dev The ERC-7579 `accountId()` the deployed implementation answers.
    function expectedAccountId() internal pure virtual returns (string memory);

    function test_matrix_installGrantAndSpend() public {
        installModule("");
        assertTrue(IMatrixAccount(account).isModuleInstalled(1, address(module), ""), "installed");
        assertTrue(module.isInitialized(account), "initialized");
        Session memory s = tokenSession(100 ether);
        grant(s);
        submit(sessionOp(s, tokenTransfer(30 ether)));
        assertEq(token.balanceOf(recipient), 30 ether, "transferred");
        assertEq(token.balanceOf(account), ACCOUNT_TOKENS - 30 ether, "account debited");
    }

    function test_matrix_installDataCreatesSessions() public {
        Session[] memory sessions = new Session[](1);
        sessions[0] = tokenSession(100 ether);
        installModule(abi.encode(sessions));
        assertEq(uint256(module.statusOf(account, SessionPacking.id(sessions[0]))), 1, "created by onInstall");
        submit(sessionOp(sessions[0], tokenTransfer(40 ether)));
        assertEq(token.balanceOf(recipient), 40 ether, "transferred");
    }

    function test_matrix_overLimitBatchRejected() public {
        installModule("");
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        PackedUserOperation memory op = sessionOp(s, tokenTransfers(60 ether, 60 ether));
        expectModuleRevert(
            abi.encodeWithSelector(TokenAllowanceExceeded.selector, id, address(token), 120 ether, 100 ether)
        );
        submit(op);
        submit(sessionOp(s, tokenTransfers(60 ether, 40 ether)));
        assertEq(token.balanceOf(recipient), 100 ether, "exactly the allowance");
    }

    function test_matrix_hardDenialsUnderAnyTarget() public {
        installModule("");
        Session memory s = anyTargetSession();
        grant(s);
        bytes4 sel = RECORD_SELECTOR;
        // The module itself, the canonical EntryPoint, the account's installed validator.
        PackedUserOperation memory op =
            sessionOp(s, UserOpLib.executeSingle(address(module), 0, abi.encodePacked(sel)));
        expectModuleRevert(abi.encodeWithSelector(CallDenied.selector, 0, address(module), sel));
        submit(op);
        op = sessionOp(s, UserOpLib.executeSingle(address(ep), 0, abi.encodePacked(sel)));
        expectModuleRevert(abi.encodeWithSelector(CallDenied.selector, 0, address(ep), sel));
        submit(op);
        op = sessionOp(s, UserOpLib.executeSingle(address(ownerValidator), 0, abi.encodePacked(sel)));
        expectModuleRevert(abi.encodeWithSelector(CallToInstalledModule.selector, 0, address(ownerValidator)));
        submit(op);
        // The account itself: an ANY-target grant never matches it.
        op = sessionOp(s, UserOpLib.executeSingle(account, 0, installCall("")));
        expectModuleRevert(
            abi.encodeWithSelector(
                bytes4(keccak256("CallNotGranted(uint256,address,bytes4)")),
                0,
                account,
                IMatrixAccount.installModule.selector
            )
        );
        submit(op);
    }

    function test_matrix_anyTargetReachesOrdinaryContracts() public {
        installModule("");
        Session memory s = anyTargetSession();
        grant(s);
        PackedUserOperation memory op = sessionOp(
            s,
            UserOpLib.executeSingle(address(target), 0, abi.encodeWithSelector(RECORD_SELECTOR, uint256(7)))
        );
        // Every account decodes the module's installed-module questions (the fallback context is
        // `abi.encode(bytes4)`; MSAAdvanced and Safe7579 `abi.decode` it), so the ANY-target call runs on all five.
        submit(op);
        assertEq(target.callCount(), 1, "the ANY-target call ran");
    }

    function test_matrix_enableInFirstOpThroughErc1271() public {
        installModule("");
        Session memory s = tokenSession(100 ether);
        bytes32 id = SessionPacking.id(s);
        assertEq(uint256(module.statusOf(account, id)), 0, "not created");
        submit(enableOp(s, 1, tokenTransfer(25 ether)));
        assertEq(uint256(module.statusOf(account, id)), 1, "enabled");
        assertTrue(module.enableNonceUsed(account, 1), "nonce used");
        assertEq(token.balanceOf(recipient), 25 ether, "transferred");
        submit(sessionOp(s, tokenTransfer(5 ether)));
        assertEq(token.balanceOf(recipient), 30 ether, "later ops need no grant");
    }

    function test_matrix_pauseResumeRevoke() public {
        installModule("");
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        ownerCall(address(module), abi.encodeCall(module.pauseSession, (id)));
        PackedUserOperation memory op = sessionOp(s, tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsPaused.selector, id));
        submit(op);
        ownerCall(address(module), abi.encodeCall(module.resumeSession, (id)));
        submit(sessionOp(s, tokenTransfer(1 ether)));
        ownerCall(address(module), abi.encodeCall(module.revokeSession, (id)));
        op = sessionOp(s, tokenTransfer(1 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        submit(op);
        assertEq(token.balanceOf(recipient), 1 ether, "only the op between resume and revoke ran");
    }

    function test_matrix_uninstallKillsAndReinstallDoesNotResurrect() public {
        installModule("");
        Session memory s = tokenSession(100 ether);
        bytes32 id = grant(s);
        submit(sessionOp(s, tokenTransfer(10 ether)));
        uninstallModule();
        assertFalse(IMatrixAccount(account).isModuleInstalled(1, address(module), ""), "uninstalled");
        assertFalse(module.isInitialized(account), "module state reset");
        assertEq(uint256(module.statusOf(account, id)), 3, "revoked by onUninstall");
        // The account no longer routes to the module: whatever it answers, the op does not run.
        PackedUserOperation memory op = sessionOp(s, tokenTransfer(10 ether));
        vm.expectRevert();
        submit(op);
        installModule("");
        op = sessionOp(s, tokenTransfer(10 ether));
        expectModuleRevert(abi.encodeWithSelector(SessionIsRevoked.selector, id));
        submit(op);
        assertEq(token.balanceOf(recipient), 10 ether, "nothing after the uninstall");
    }

    function test_matrix_zeroTargetMeaning() public {
        // An owner op calling target address(0) with `installModule(module)`: only an account that treats
        // address(0) as itself installs the module.
        UserOpLib.handleOne(ep, ownerOp(UserOpLib.executeSingle(address(0), 0, installCall(""))), beneficiary);
        assertEq(
            IMatrixAccount(account).isModuleInstalled(1, address(module), ""),
            treatsZeroTargetAsSelf(),
            "address(0) is the account itself only where documented"
        );
    }

    // ----- helpers -----

    /// @dev RecordingTarget.record(uint256).
    bytes4 internal constant RECORD_SELECTOR = bytes4(keccak256("record(uint256)"));

    /// @dev A session with one ANY-target, ANY-selector grant.
    function anyTargetSession() internal view returns (Session memory s) {
        s = baseSession();
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(address(0), bytes4(0), GRANT_ANY_TARGET | GRANT_ANY_SELECTOR);
    }
}

contract OpenZeppelinMatrixTest is AccountMatrixTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.OpenZeppelin;
    }

    function expectedAccountId() internal pure override returns (string memory) {
        return "@openzeppelin/contracts.AccountERC7579.v1.0.0";
    }

    function treatsZeroTargetAsSelf() internal pure override returns (bool) {
        return true;
    }
}

contract MsaAdvancedMatrixTest is AccountMatrixTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.MSAAdvanced;
    }

    function expectedAccountId() internal pure override returns (string memory) {
        return "uMSA.advanced/withHook.v0.1";
    }
}

contract NexusMatrixTest is AccountMatrixTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Nexus;
    }

    function expectedAccountId() internal pure override returns (string memory) {
        return "biconomy.nexus.1.0.0"; // what the 1.0.1 bytecode answers
    }
}

contract Safe7579MatrixTest is AccountMatrixTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Safe7579;
    }

    function expectedAccountId() internal pure override returns (string memory) {
        return "rhinestone.safe7579.v1.0.0";
    }
}

contract KernelMatrixTest is AccountMatrixTest {
    function accountKind() internal pure override returns (AccountKind) {
        return AccountKind.Kernel;
    }

    function expectedAccountId() internal pure override returns (string memory) {
        return "kernel.advanced.v0.3.1";
    }
}
