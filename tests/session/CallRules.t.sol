// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution, IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {Session, CallGrant} from "../../contracts/session/SessionTypes.sol";
import {
    CallDenied,
    CallNotGranted,
    CallToInstalledModule,
    WrapperSelectorDenied,
    UnsupportedCallType,
    UnsupportedExecType,
    ModeNotDefault,
    EmptyBatch,
    BatchTooLarge,
    CallDataWithoutSelector,
    NonCanonicalCallData,
    SessionNotFound
} from "../../contracts/session/SessionErrors.sol";

/// @notice Call matching, hard denials, op shape and signatures (rules 1-4, 10).
contract CallRulesTest is SessionTestBase {
    uint8 private constant ANY_TARGET = 1;
    uint8 private constant ANY_SELECTOR = 2;

    function _anySession() private view returns (Session memory s) {
        s = baseSession();
        s.calls = grants(address(0), bytes4(0), ANY_TARGET | ANY_SELECTOR);
    }

    function _expect(IEntryPoint ep, Session memory s, bytes memory callData, bytes memory err) private {
        PackedUserOperation memory op = sessionOp(ep, s, callData);
        expectModuleRevert(err);
        submit(ep, op);
    }

    function test_calls_grantedTargetAndSelectorPass() public {
        Session memory s = baseSession();
        s.calls = grants(address(target), bytes4(0xdeadbeef), 0);
        create(accountV07, s);
        submit(entryPointV07, sessionOp(entryPointV07, s, single(address(target), 0, hex"deadbeef")));
        assertEq(target.callCount(), 1);
        _expect(
            entryPointV07,
            s,
            single(address(target), 0, hex"deadbeee"),
            abi.encodeWithSelector(CallNotGranted.selector, 0, address(target), bytes4(0xdeadbeee))
        );
    }

    function test_calls_everyCallOfBatchChecked() public {
        Session memory s = baseSession();
        s.calls = grants(address(target), bytes4(0), ANY_SELECTOR);
        create(accountV08, s);
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(target), 0, hex"01020304");
        calls[1] = Execution(recipient, 0, "");
        _expect(
            entryPointV08,
            s,
            UserOpLib.executeBatch(calls),
            abi.encodeWithSelector(CallNotGranted.selector, 1, recipient, bytes4(0))
        );
    }

    function test_denials_moduleAndEntryPoints() public {
        Session memory s = _anySession();
        create(accountV07, s);
        _expect(
            entryPointV07,
            s,
            single(address(module), 0, abi.encodeCall(module.revokeSession, (bytes32(0)))),
            abi.encodeWithSelector(CallDenied.selector, 0, address(module), module.revokeSession.selector)
        );
        address[3] memory eps = [
            0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789,
            0x0000000071727De22E5E9d8BAf0edAc6f37da032,
            0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108
        ];
        for (uint256 i; i < 3; ++i) {
            _expect(
                entryPointV07,
                s,
                single(eps[i], 0, hex"205c2878"),
                abi.encodeWithSelector(CallDenied.selector, 0, eps[i], bytes4(0x205c2878))
            );
        }
    }

    function test_denials_anyTargetNeverMatchesAccount() public {
        Session memory s = _anySession();
        create(accountV08, s);
        address account = address(accountV08);
        bytes memory install = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(target), ""));
        _expect(
            entryPointV08,
            s,
            single(account, 0, install),
            abi.encodeWithSelector(CallNotGranted.selector, 0, account, bytes4(0x9517e29f))
        );
        // Target 0 is the account too.
        _expect(
            entryPointV08,
            s,
            single(address(0), 0, install),
            abi.encodeWithSelector(CallNotGranted.selector, 0, account, bytes4(0x9517e29f))
        );
    }

    function test_denials_selfCallWrappersEvenIfGranted() public {
        Session memory s = _anySession();
        s.accountSelectors = new bytes4[](3);
        s.accountSelectors[0] = 0xe9ae5c53;
        s.accountSelectors[1] = 0xd691c964;
        s.accountSelectors[2] = 0x8dd7712f;
        create(accountV07, s);
        address account = address(accountV07);
        bytes memory inner = single(recipient, 1 ether, "");
        _expect(
            entryPointV07,
            s,
            single(account, 0, inner),
            abi.encodeWithSelector(CallDenied.selector, 0, account, bytes4(0xe9ae5c53))
        );
        _expect(
            entryPointV07,
            s,
            single(address(0), 0, inner),
            abi.encodeWithSelector(CallDenied.selector, 0, account, bytes4(0xe9ae5c53))
        );
        // Wrappers as the op's own selector are a shape error.
        _expect(
            entryPointV07,
            s,
            abi.encodeWithSelector(bytes4(0x8dd7712f), inner),
            abi.encodeWithSelector(WrapperSelectorDenied.selector, bytes4(0x8dd7712f))
        );
        _expect(
            entryPointV07,
            s,
            abi.encodeWithSelector(bytes4(0xd691c964), inner),
            abi.encodeWithSelector(WrapperSelectorDenied.selector, bytes4(0xd691c964))
        );
    }

    function test_denials_anyTargetToInstalledModule() public {
        Session memory s = _anySession();
        create(accountV08, s);
        _expect(
            entryPointV08,
            s,
            single(address(ownerValidator), 0, abi.encodeCall(ownerValidator.onUninstall, (""))),
            abi.encodeWithSelector(CallToInstalledModule.selector, 0, address(ownerValidator))
        );
        // An explicit grant for the module's address is the owner's decision: allowed.
        s.calls = grants(address(ownerValidator), ownerValidator.isInitialized.selector, 0);
        create(accountV08, s);
        submit(
            entryPointV08,
            sessionOp(
                entryPointV08,
                s,
                single(address(ownerValidator), 0, abi.encodeCall(ownerValidator.isInitialized, (address(1))))
            )
        );
    }

    function test_accountFunctions_grantedSelectorDirectAndViaExecute() public {
        Session memory s = baseSession();
        s.accountSelectors = new bytes4[](1);
        s.accountSelectors[0] = IERC7579ModuleConfig.isModuleInstalled.selector;
        create(accountV07, s);
        bytes memory call = abi.encodeCall(IERC7579ModuleConfig.isModuleInstalled, (1, address(module), ""));
        submit(entryPointV07, sessionOp(entryPointV07, s, call));
        submit(entryPointV07, sessionOp(entryPointV07, s, single(address(accountV07), 0, call)));
        bytes memory install = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(target), ""));
        _expect(
            entryPointV07,
            s,
            install,
            abi.encodeWithSelector(CallNotGranted.selector, 0, address(accountV07), bytes4(0x9517e29f))
        );
    }

    function test_root_liftsMatchingButKeepsSpendingRules() public {
        Session memory s = baseSession();
        s.root = true;
        create(accountV08, s);
        submit(entryPointV08, sessionOp(entryPointV08, s, single(address(target), 0, hex"cafebabe")));
        assertEq(target.callCount(), 1);
        PackedUserOperation memory op = sessionOp(entryPointV08, s, single(recipient, 1, ""));
        expectModuleRevert(abi.encodeWithSignature("NativeValueNotAllowed(bytes32,uint256)", idOf(s), 1));
        submit(entryPointV08, op);
    }

    function test_shape_modes() public {
        Session memory s = _anySession();
        create(accountV07, s);
        bytes memory exec = UserOpLib.encodeSingle(address(target), 0, hex"01020304");
        _expect(
            entryPointV07,
            s,
            UserOpLib.execute(bytes32(uint256(0xff) << 248), exec),
            abi.encodeWithSelector(UnsupportedCallType.selector, 0xff)
        );
        _expect(
            entryPointV07,
            s,
            UserOpLib.execute(bytes32(uint256(0xfe) << 248), exec),
            abi.encodeWithSelector(UnsupportedCallType.selector, 0xfe)
        );
        _expect(
            entryPointV07,
            s,
            UserOpLib.execute(bytes32(uint256(0x02) << 240), exec),
            abi.encodeWithSelector(UnsupportedExecType.selector, 2)
        );
        bytes32 mode = bytes32(uint256(1) << 200);
        _expect(
            entryPointV07,
            s,
            UserOpLib.execute(mode, exec),
            abi.encodeWithSelector(ModeNotDefault.selector, mode)
        );
        // Try mode is accepted.
        submit(entryPointV07, sessionOp(entryPointV07, s, UserOpLib.execute(UserOpLib.MODE_TRY_SINGLE, exec)));
    }

    function test_shape_batchBounds() public {
        Session memory s = _anySession();
        create(accountV08, s);
        _expect(
            entryPointV08,
            s,
            UserOpLib.executeBatch(new Execution[](0)),
            abi.encodeWithSelector(EmptyBatch.selector)
        );
        Execution[] memory calls = new Execution[](9);
        for (uint256 i; i < 9; ++i) {
            calls[i] = Execution(address(target), 0, "");
        }
        _expect(
            entryPointV08,
            s,
            UserOpLib.executeBatch(calls),
            abi.encodeWithSelector(BatchTooLarge.selector, 9, 8)
        );
        _expect(
            entryPointV08,
            s,
            single(address(target), 0, hex"0102"),
            abi.encodeWithSelector(CallDataWithoutSelector.selector, 0)
        );
    }

    function test_shape_nonCanonicalOuterEncoding() public {
        Session memory s = _anySession();
        create(accountV07, s);
        bytes memory good = single(address(target), 0, hex"01020304");
        _expect(
            entryPointV07,
            s,
            abi.encodePacked(good, uint256(0)),
            abi.encodeWithSelector(NonCanonicalCallData.selector, 68)
        );
        bytes memory shifted = abi.encodePacked(
            bytes4(0xe9ae5c53),
            bytes32(0),
            uint256(0x60),
            uint256(0),
            uint256(56),
            address(target),
            uint256(0),
            bytes4(0x01020304),
            bytes28(0)
        );
        _expect(entryPointV07, s, shifted, abi.encodeWithSelector(NonCanonicalCallData.selector, 36));
    }

    function test_signature_wrongKeyFailsAfterAllChecks() public {
        Session memory s = tokenSession(100 ether);
        create(accountV07, s);
        (, uint256 otherKey) = makeAddrAndKey("other");
        PackedUserOperation memory op = unsignedOp(entryPointV07, tokenTransfer(1 ether), true);
        sign(entryPointV07, op, s, 0, otherKey);
        expectEntryPointRevert(0, "AA24 signature error");
        submit(entryPointV07, op);
        // Called directly, it returns SIG_VALIDATION_FAILED and still charges (the EntryPoint reverts all).
        bytes32 opHash = UserOpLib.hash(entryPointV07, op);
        vm.prank(address(accountV07));
        uint256 data = module.validateUserOp(op, opHash);
        assertEq(data & 1, 1);
        assertEq(module.remainingOf(address(accountV07), s, 0).tokensLeft[0], 99 ether);
    }

    function test_signature_highSRejected() public {
        Session memory s = tokenSession(100 ether);
        create(accountV08, s);
        PackedUserOperation memory op = sessionOp(entryPointV08, s, tokenTransfer(1 ether));
        // Flip s to n - s and v: the same signer, malleated.
        bytes memory sig = op.signature;
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        uint256 sv;
        assembly ("memory-safe") {
            sv := mload(add(sig, add(32, 38)))
        }
        uint256 flipped = n - sv;
        uint8 v = uint8(sig[70]) == 27 ? 28 : 27;
        assembly ("memory-safe") {
            mstore(add(sig, add(32, 38)), flipped)
        }
        sig[70] = bytes1(v);
        op.signature = sig;
        expectEntryPointRevert(0, "AA24 signature error");
        submit(entryPointV08, op);
    }

    /// @dev The session key's signature of an op of `s`, moved to an envelope carrying a bigger session: the id
    ///      is the hash of the carried bytes, so the op names the bigger session. Never granted, it is not found;
    ///      granted too (to the same key), it is found but the signature covers the small one's id and fails.
    function test_signature_sessionSwapRejected() public {
        Session memory s = tokenSession(100 ether);
        Session memory bigger = tokenSession(1000 ether);
        create(accountV07, s);
        PackedUserOperation memory op = sessionOp(entryPointV07, s, tokenTransfer(1 ether));
        bytes memory sig = op.signature;
        bytes memory sig65 = new bytes(65);
        for (uint256 i; i < 65; ++i) {
            sig65[i] = sig[6 + i];
        }
        op.signature = envelope(0, 0, sig65, bigger, 0, "");
        expectModuleRevert(abi.encodeWithSelector(SessionNotFound.selector, idOf(bigger)));
        submit(entryPointV07, op);
        create(accountV07, bigger);
        expectEntryPointRevert(0, "AA24 signature error");
        submit(entryPointV07, op);
        assertEq(module.remainingOf(address(accountV07), bigger, 0).tokensLeft[0], 1000 ether);
    }
}
