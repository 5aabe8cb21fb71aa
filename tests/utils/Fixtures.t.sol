// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, IPaymaster, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {
    MODULE_TYPE_VALIDATOR,
    MODULE_TYPE_EXECUTOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC7579Utils} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {EntryPointDeployer} from "./EntryPointDeployer.sol";
import {UserOpLib} from "./UserOpLib.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {TestAccountFactory} from "../fixtures/TestAccountFactory.sol";
import {OwnerValidator} from "../fixtures/OwnerValidator.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {RecordingTarget} from "../fixtures/RecordingTarget.sol";
import {AcceptAllPaymaster} from "../fixtures/AcceptAllPaymaster.sol";

/// @notice The fixtures' own behaviour, tried from the unhappy side too: tests built on them rely on it.
contract FixturesTest is EntryPointDeployer {
    uint256 private constant SECP256K1_HALF_ORDER =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    uint256 private constant SECP256K1_ORDER =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    OwnerValidator private validator;
    address private owner;
    uint256 private ownerKey;

    event Called(address sender, uint256 value, bytes data);

    function setUp() public {
        validator = new OwnerValidator();
        (owner, ownerKey) = makeAddrAndKey("owner");
    }

    // ----- OwnerValidator -----

    function test_ownerValidator_installAndUninstall() public {
        address account = makeAddr("account");
        assertFalse(validator.isInitialized(account), "fresh");
        vm.prank(account);
        validator.onInstall(abi.encode(owner));
        assertTrue(validator.isInitialized(account), "installed");
        assertEq(validator.owners(account), owner, "owner");

        vm.prank(account);
        vm.expectRevert(
            abi.encodeWithSelector(OwnerValidator.OwnerValidatorAlreadyInstalled.selector, account)
        );
        validator.onInstall(abi.encode(makeAddr("other")));

        vm.prank(account);
        validator.onUninstall("");
        assertFalse(validator.isInitialized(account), "uninstalled");
        assertEq(validator.owners(account), address(0), "owner cleared");
    }

    function test_ownerValidator_rejectsBadInstallData() public {
        vm.expectRevert(OwnerValidator.OwnerValidatorInvalidOwner.selector);
        validator.onInstall(abi.encode(address(0)));
        vm.expectRevert(OwnerValidator.OwnerValidatorInvalidOwner.selector);
        validator.onInstall("");
        vm.expectRevert(OwnerValidator.OwnerValidatorInvalidOwner.selector);
        validator.onInstall(abi.encode(owner, uint256(1)));
    }

    function test_ownerValidator_isModuleType() public view {
        assertTrue(validator.isModuleType(MODULE_TYPE_VALIDATOR), "validator");
        assertFalse(validator.isModuleType(MODULE_TYPE_EXECUTOR), "executor");
        assertFalse(validator.isModuleType(0), "zero");
    }

    function test_ownerValidator_validateUserOp() public {
        address account = makeAddr("account");
        vm.prank(account);
        validator.onInstall(abi.encode(owner));
        bytes32 opHash = keccak256("op");
        PackedUserOperation memory op = UserOpLib.newOp(account, 0, "");

        op.signature = UserOpLib.signDigest(ownerKey, opHash);
        assertEq(validator.validateUserOp(op, opHash), 0, "owner signature");

        assertEq(validator.validateUserOp(op, keccak256("other op")), 1, "signature over another hash");

        (, uint256 strangerKey) = makeAddrAndKey("stranger");
        op.signature = UserOpLib.signDigest(strangerKey, opHash);
        assertEq(validator.validateUserOp(op, opHash), 1, "stranger");

        op.signature = "";
        assertEq(validator.validateUserOp(op, opHash), 1, "empty signature");
        op.signature = new bytes(64);
        assertEq(validator.validateUserOp(op, opHash), 1, "64 bytes");
        op.signature = new bytes(65);
        assertEq(validator.validateUserOp(op, opHash), 1, "zero signature");

        op.sender = makeAddr("not installed");
        op.signature = UserOpLib.signDigest(ownerKey, opHash);
        assertEq(validator.validateUserOp(op, opHash), 1, "sender without owner");
    }

    function test_ownerValidator_rejectsHighS() public {
        address account = makeAddr("account");
        vm.prank(account);
        validator.onInstall(abi.encode(owner));
        bytes32 opHash = keccak256("op");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, opHash);
        assertLe(uint256(s), SECP256K1_HALF_ORDER, "forge signs low-s");
        // The twin signature (n - s, flipped v) recovers the same key: malleable, must be refused.
        bytes32 highS = bytes32(SECP256K1_ORDER - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        assertEq(ecrecover(opHash, flippedV, r, highS), owner, "twin recovers the owner");
        PackedUserOperation memory op = UserOpLib.newOp(account, 0, "");
        op.signature = abi.encodePacked(r, highS, flippedV);
        assertEq(validator.validateUserOp(op, opHash), 1, "high-s rejected");
    }

    function test_ownerValidator_isValidSignatureWithSender_usesCallingAccount() public {
        address account = makeAddr("account");
        vm.prank(account);
        validator.onInstall(abi.encode(owner));
        bytes32 digest = keccak256("message");
        bytes memory sig = UserOpLib.signDigest(ownerKey, digest);

        vm.prank(account);
        assertEq(
            validator.isValidSignatureWithSender(address(this), digest, sig), bytes4(0x1626ba7e), "valid"
        );
        vm.prank(account);
        assertEq(
            validator.isValidSignatureWithSender(address(this), keccak256("x"), sig),
            bytes4(0xffffffff),
            "other hash"
        );
        // Another caller (not an account with this owner) gets nothing from the owner's signature.
        vm.prank(makeAddr("other account"));
        assertEq(
            validator.isValidSignatureWithSender(address(this), digest, sig),
            bytes4(0xffffffff),
            "other caller"
        );
    }

    // ----- TestAccount and TestAccountFactory -----

    function test_testAccount_constructorInstallsValidator() public {
        IEntryPoint ep = deployEntryPointV08();
        TestAccount account = new TestAccount(address(ep), address(validator), abi.encode(owner));
        assertTrue(account.isModuleInstalled(MODULE_TYPE_VALIDATOR, address(validator), ""), "installed");
        assertEq(validator.owners(address(account)), owner, "owner recorded for the account");
        assertEq(address(account.entryPoint()), address(ep), "entry point");
        (bool ok,) = address(account).call{value: 1 ether}("");
        assertTrue(ok, "receives ETH");
        assertEq(address(account).balance, 1 ether, "balance");
    }

    function test_testAccount_rejectsZeroEntryPointAndNonValidator() public {
        vm.expectRevert(TestAccount.TestAccountZeroEntryPoint.selector);
        new TestAccount(address(0), address(validator), abi.encode(owner));

        // A contract without `isModuleType` (and without fallback) cannot be installed as the first validator.
        MockERC20 notAModule = new MockERC20("T", "T");
        vm.expectRevert();
        new TestAccount(address(1), address(notAModule), abi.encode(owner));
        // Neither can an address without code.
        vm.expectRevert();
        new TestAccount(address(1), makeAddr("no code"), abi.encode(owner));
    }

    function test_testAccount_installModuleOnlyFromEntryPointOrSelf() public {
        IEntryPoint ep = deployEntryPointV07();
        TestAccount account = new TestAccount(address(ep), address(validator), abi.encode(owner));
        OwnerValidator second = new OwnerValidator();
        vm.expectRevert();
        account.installModule(MODULE_TYPE_VALIDATOR, address(second), abi.encode(owner));

        vm.prank(address(ep));
        account.installModule(MODULE_TYPE_VALIDATOR, address(second), abi.encode(owner));
        assertTrue(
            account.isModuleInstalled(MODULE_TYPE_VALIDATOR, address(second), ""), "installed by EntryPoint"
        );

        vm.prank(address(ep));
        vm.expectRevert(
            abi.encodeWithSelector(
                ERC7579Utils.ERC7579AlreadyInstalledModule.selector, MODULE_TYPE_VALIDATOR, address(second)
            )
        );
        account.installModule(MODULE_TYPE_VALIDATOR, address(second), abi.encode(owner));
    }

    function testFuzz_factory_getAddressMatchesCreateAccount(bytes32 salt, address accountOwner) public {
        vm.assume(accountOwner != address(0));
        TestAccountFactory factory = new TestAccountFactory();
        address ep = makeAddr("entry point");
        bytes memory data = abi.encode(accountOwner);
        address predicted = factory.getAddress(ep, address(validator), data, salt);
        address created = factory.createAccount(ep, address(validator), data, salt);
        assertEq(created, predicted, "counterfactual address");
        assertEq(factory.createAccount(ep, address(validator), data, salt), created, "idempotent");
        assertNotEq(factory.getAddress(ep, address(validator), data, ~salt), created, "salt matters");
        assertNotEq(
            factory.getAddress(ep, address(validator), abi.encode(makeAddr("someone else")), salt),
            created,
            "owner data matters"
        );
        assertNotEq(
            factory.getAddress(address(1), address(validator), data, salt), created, "EntryPoint matters"
        );
    }

    // ----- MockERC20 -----

    function test_mockERC20_mintAndIncreaseAllowance() public {
        MockERC20 token = new MockERC20("T", "T");
        address holder = makeAddr("holder");
        address spender = makeAddr("spender");
        token.mint(holder, 100);
        assertEq(token.balanceOf(holder), 100, "minted");
        assertEq(token.totalSupply(), 100, "supply");

        vm.prank(holder);
        assertTrue(token.increaseAllowance(spender, 30), "returns true");
        vm.prank(holder);
        token.increaseAllowance(spender, 12);
        assertEq(token.allowance(holder, spender), 42, "cumulative");

        vm.prank(holder);
        vm.expectRevert();
        token.increaseAllowance(spender, type(uint256).max);

        vm.prank(spender);
        assertTrue(token.transferFrom(holder, spender, 42), "transferFrom returns true");
        assertEq(token.balanceOf(spender), 42, "spent");
        vm.prank(spender);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, spender, 0, 1)
        );
        // The call reverts (expected above), so there is no return value to check.
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(holder, spender, 1);
    }

    // ----- RecordingTarget -----

    function test_recordingTarget_recordsFallbackAndReceive() public {
        RecordingTarget target = new RecordingTarget();
        vm.deal(address(this), 10 ether);
        bytes memory data = abi.encodeWithSignature("anything(uint256)", 7);

        vm.expectEmit(address(target));
        emit Called(address(this), 2 ether, data);
        (bool ok,) = address(target).call{value: 2 ether}(data);
        assertTrue(ok, "fallback call");
        (ok,) = address(target).call{value: 1 wei}("");
        assertTrue(ok, "plain transfer");

        assertEq(target.callCount(), 2, "count");
        (address sender, uint256 value, bytes memory recorded) = target.callAt(0);
        assertEq(sender, address(this), "sender");
        assertEq(value, 2 ether, "value");
        assertEq(recorded, data, "data");
        (, value, recorded) = target.callAt(1);
        assertEq(value, 1, "transfer value");
        assertEq(recorded, "", "transfer data");

        vm.expectRevert(abi.encodeWithSelector(RecordingTarget.RecordingTargetNoSuchCall.selector, 2, 2));
        target.callAt(2);
    }

    function test_recordingTarget_revertWith() public {
        RecordingTarget target = new RecordingTarget();
        vm.expectRevert(bytes("boom"));
        target.revertWith("boom");
        assertEq(target.callCount(), 0, "nothing recorded");
    }

    // ----- AcceptAllPaymaster -----

    function test_acceptAllPaymaster_acceptsAndDeposits() public {
        IEntryPoint ep = deployEntryPointV07();
        AcceptAllPaymaster paymaster = new AcceptAllPaymaster();
        PackedUserOperation memory op = UserOpLib.newOp(address(1), 0, "");
        (bytes memory context, uint256 validationData) =
            paymaster.validatePaymasterUserOp(op, bytes32(0), 1 ether);
        assertEq(context, "", "empty context");
        assertEq(validationData, 0, "valid forever");
        paymaster.postOp(IPaymaster.PostOpMode.opSucceeded, "", 0, 0);

        paymaster.deposit{value: 3 ether}(ep);
        assertEq(ep.balanceOf(address(paymaster)), 3 ether, "deposit");
    }
}
