// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Account as OZAccount} from "@openzeppelin/contracts/account/Account.sol";
import {Vm} from "./base/Vm.sol";
import {AccountTestBase} from "./utils/AccountTestBase.sol";
import {UserOpLib} from "./utils/UserOpLib.sol";
import {TestAccount} from "./fixtures/TestAccount.sol";
import {TestAccountFactory} from "./fixtures/TestAccountFactory.sol";
import {AcceptAllPaymaster} from "./fixtures/AcceptAllPaymaster.sol";

/// @notice Owner-signed ops through the real EntryPoint v0.7 and v0.8: the ground every session test stands on.
contract EntryPointOwnerOpTest is AccountTestBase {
    bytes32 private constant USER_OPERATION_EVENT =
        keccak256("UserOperationEvent(bytes32,address,address,uint256,bool,uint256,uint256)");
    bytes32 private constant PACKED_USEROP_TYPEHASH = keccak256(
        "PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)"
    );
    bytes32 private constant EIP712_DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    address private recipient;

    function setUp() public override {
        super.setUp();
        recipient = makeAddr("recipient");
    }

    // ----- Deployment -----

    function test_deployment_entryPointsAtCanonicalAddresses() public view {
        assertEq(address(entryPointV07), 0x0000000071727De22E5E9d8BAf0edAc6f37da032);
        assertEq(address(entryPointV08), 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108);
        assertGt(address(entryPointV07).code.length, 0, "v0.7 has code");
        assertGt(address(entryPointV08).code.length, 0, "v0.8 has code");
        assertEq(address(accountV07.entryPoint()), address(entryPointV07));
        assertEq(address(accountV08.entryPoint()), address(entryPointV08));
    }

    // ----- ERC-20 transfer by the owner -----

    function test_ownerOp_transfersTokens_v07() public {
        _ownerOpTransfersTokens(entryPointV07);
    }

    function test_ownerOp_transfersTokens_v08() public {
        _ownerOpTransfersTokens(entryPointV08);
    }

    function _ownerOpTransfersTokens(IEntryPoint ep) private {
        TestAccount account = accountFor(ep);
        uint256 amount = 1234 ether;
        uint192 nonceKey = UserOpLib.validatorNonceKey(address(ownerValidator), 0);
        uint256 nonceBefore = ep.getNonce(address(account), nonceKey);
        uint256 depositBefore = ep.balanceOf(address(account));

        PackedUserOperation memory op = ownerOp(
            ep,
            address(account),
            UserOpLib.executeSingle(address(token), 0, abi.encodeCall(token.transfer, (recipient, amount)))
        );
        bytes32 opHash = UserOpLib.hash(ep, op);

        vm.recordLogs();
        UserOpLib.handleOne(ep, op, beneficiary);

        assertEq(token.balanceOf(recipient), amount, "recipient balance");
        assertEq(token.balanceOf(address(account)), ACCOUNT_TOKENS - amount, "account balance");
        assertEq(ep.getNonce(address(account), nonceKey), nonceBefore + 1, "nonce sequence incremented");
        assertEq(
            nonceBefore, UserOpLib.validatorNonce(address(ownerValidator), 0, 0), "first nonce is sequence 0"
        );

        (bool found, bool success, uint256 actualGasCost) = _userOperationEvent(ep, opHash, address(account));
        assertTrue(found, "UserOperationEvent emitted");
        assertTrue(success, "UserOperationEvent success");
        assertGt(actualGasCost, 0, "gas was paid");
        assertEq(ep.balanceOf(address(account)), depositBefore - actualGasCost, "fee taken from the deposit");
        assertEq(beneficiary.balance, actualGasCost, "beneficiary paid");
    }

    // ----- Batch with native value -----

    function test_ownerOp_batchCallsWithValue_v07() public {
        _ownerOpBatch(entryPointV07);
    }

    function test_ownerOp_batchCallsWithValue_v08() public {
        _ownerOpBatch(entryPointV08);
    }

    function _ownerOpBatch(IEntryPoint ep) private {
        TestAccount account = accountFor(ep);
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution({target: address(target), value: 1 ether, callData: hex"deadbeef01"});
        calls[1] = Execution({target: address(target), value: 0, callData: ""});

        UserOpLib.handleOne(ep, ownerOp(ep, address(account), UserOpLib.executeBatch(calls)), beneficiary);

        assertEq(target.callCount(), 2, "two calls recorded");
        (address sender, uint256 value, bytes memory data) = target.callAt(0);
        assertEq(sender, address(account), "first call sender");
        assertEq(value, 1 ether, "first call value");
        assertEq(data, hex"deadbeef01", "first call data");
        (sender, value, data) = target.callAt(1);
        assertEq(sender, address(account), "second call sender");
        assertEq(value, 0, "second call value");
        assertEq(data, "", "second call data");
        assertEq(address(target).balance, 1 ether, "target received the value");
    }

    // ----- Rejections -----

    function test_ownerOp_wrongSignatureRejected_v07() public {
        _wrongSignatureRejected(entryPointV07);
    }

    function test_ownerOp_wrongSignatureRejected_v08() public {
        _wrongSignatureRejected(entryPointV08);
    }

    function _wrongSignatureRejected(IEntryPoint ep) private {
        TestAccount account = accountFor(ep);
        (, uint256 strangerKey) = makeAddrAndKey("stranger");
        PackedUserOperation memory op = ownerOp(
            ep,
            address(account),
            UserOpLib.executeSingle(address(token), 0, abi.encodeCall(token.transfer, (recipient, 1)))
        );
        op.signature = UserOpLib.signOp(ep, op, strangerKey);
        uint256 nonceBefore = op.nonce;

        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        UserOpLib.handleOne(ep, op, beneficiary);

        assertEq(token.balanceOf(recipient), 0, "nothing transferred");
        assertEq(
            UserOpLib.nextNonce(ep, address(account), address(ownerValidator), 0), nonceBefore, "nonce unused"
        );
    }

    function test_ownerOp_signatureOverOtherEntryPointRejected() public {
        // The v0.7 hash of the same fields signed for the v0.8 account: must not be accepted.
        PackedUserOperation memory op = ownerOp(entryPointV08, address(accountV08), "");
        op.signature = UserOpLib.signOp(entryPointV07, op, ownerKey);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        UserOpLib.handleOne(entryPointV08, op, beneficiary);
    }

    function test_ownerOp_uninstalledValidatorNonceKeyRejected_v07() public {
        _uninstalledValidatorRejected(entryPointV07);
    }

    function test_ownerOp_uninstalledValidatorNonceKeyRejected_v08() public {
        _uninstalledValidatorRejected(entryPointV08);
    }

    function _uninstalledValidatorRejected(IEntryPoint ep) private {
        // The nonce names a validator that is not installed: OpenZeppelin falls back to the account's own
        // signer, which TestAccount leaves at "never valid".
        TestAccount account = accountFor(ep);
        address notInstalled = makeAddr("not-installed-validator");
        PackedUserOperation memory op =
            UserOpLib.newOp(address(account), UserOpLib.nextNonce(ep, address(account), notInstalled, 0), "");
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        UserOpLib.handleOne(ep, op, beneficiary);
    }

    function test_ownerOp_replayRejected_v07() public {
        _replayRejected(entryPointV07);
    }

    function test_ownerOp_replayRejected_v08() public {
        _replayRejected(entryPointV08);
    }

    function _replayRejected(IEntryPoint ep) private {
        TestAccount account = accountFor(ep);
        PackedUserOperation memory op =
            ownerOp(ep, address(account), UserOpLib.executeSingle(address(target), 0, hex"01"));
        UserOpLib.handleOne(ep, op, beneficiary);
        vm.expectRevert(
            abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA25 invalid account nonce")
        );
        UserOpLib.handleOne(ep, op, beneficiary);
        assertEq(target.callCount(), 1, "executed once");
    }

    function test_account_executeOnlyFromEntryPointOrSelf() public {
        address intruder = makeAddr("intruder");
        bytes memory transfer =
            UserOpLib.encodeSingle(address(token), 0, abi.encodeCall(token.transfer, (intruder, 1)));
        vm.prank(intruder);
        vm.expectRevert(abi.encodeWithSelector(OZAccount.AccountUnauthorized.selector, intruder));
        accountV08.execute(UserOpLib.MODE_SINGLE, transfer);
        // The other version's EntryPoint is a stranger too.
        vm.prank(address(entryPointV07));
        vm.expectRevert(
            abi.encodeWithSelector(OZAccount.AccountUnauthorized.selector, address(entryPointV07))
        );
        accountV08.execute(UserOpLib.MODE_SINGLE, transfer);
    }

    // ----- Account deployment through initCode (needs the EntryPoint's real SenderCreator) -----

    function test_ownerOp_deploysAccountFromInitCode_v07() public {
        _deployFromInitCode(entryPointV07);
    }

    function test_ownerOp_deploysAccountFromInitCode_v08() public {
        _deployFromInitCode(entryPointV08);
    }

    function _deployFromInitCode(IEntryPoint ep) private {
        TestAccountFactory factory = new TestAccountFactory();
        bytes memory validatorData = abi.encode(owner);
        bytes32 salt = keccak256("initcode-account");
        address predicted = factory.getAddress(address(ep), address(ownerValidator), validatorData, salt);
        assertEq(predicted.code.length, 0, "not deployed yet");
        vm.deal(predicted, 1 ether);

        PackedUserOperation memory op = UserOpLib.newOp(
            predicted,
            UserOpLib.validatorNonce(address(ownerValidator), 0, 0),
            UserOpLib.executeSingle(address(target), 0, hex"c0ffee")
        );
        op.accountGasLimits =
            UserOpLib.packGasLimits(UserOpLib.INITCODE_VERIFICATION_GAS, UserOpLib.DEFAULT_CALL_GAS);
        op.initCode = abi.encodePacked(
            address(factory),
            abi.encodeCall(factory.createAccount, (address(ep), address(ownerValidator), validatorData, salt))
        );
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
        UserOpLib.handleOne(ep, op, beneficiary);

        assertGt(predicted.code.length, 0, "account deployed");
        assertEq(
            address(TestAccount(payable(predicted)).entryPoint()), address(ep), "bound to its EntryPoint"
        );
        assertEq(ownerValidator.owners(predicted), owner, "owner installed");
        assertEq(target.callCount(), 1, "call executed");
        (address sender,,) = target.callAt(0);
        assertEq(sender, predicted, "executed by the new account");
        assertEq(
            factory.createAccount(address(ep), address(ownerValidator), validatorData, salt),
            predicted,
            "factory returns the existing account"
        );
    }

    // ----- Paymaster -----

    function test_ownerOp_sponsoredByPaymaster_v07() public {
        _sponsored(entryPointV07);
    }

    function test_ownerOp_sponsoredByPaymaster_v08() public {
        _sponsored(entryPointV08);
    }

    function _sponsored(IEntryPoint ep) private {
        TestAccount account = accountFor(ep);
        AcceptAllPaymaster paymaster = new AcceptAllPaymaster();
        paymaster.deposit{value: 5 ether}(ep);
        uint256 accountDeposit = ep.balanceOf(address(account));
        uint256 accountBalance = address(account).balance;

        PackedUserOperation memory op = UserOpLib.newOp(
            address(account),
            UserOpLib.nextNonce(ep, address(account), address(ownerValidator), 0),
            UserOpLib.executeSingle(address(target), 0, hex"aa")
        );
        op.paymasterAndData = UserOpLib.packPaymasterAndData(address(paymaster), 100_000, 50_000, "");
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
        UserOpLib.handleOne(ep, op, beneficiary);

        assertEq(target.callCount(), 1, "call executed");
        assertEq(ep.balanceOf(address(account)), accountDeposit, "account deposit untouched");
        assertEq(address(account).balance, accountBalance, "account balance untouched");
        assertLt(ep.balanceOf(address(paymaster)), 5 ether, "paymaster paid");
        assertEq(
            5 ether - ep.balanceOf(address(paymaster)), beneficiary.balance, "paymaster paid the beneficiary"
        );
    }

    // ----- ERC-1271 through the validator -----

    function test_account_erc1271ThroughOwnerValidator() public {
        bytes32 digest = keccak256("message");
        bytes memory ownerSig = UserOpLib.signDigest(ownerKey, digest);
        (, uint256 strangerKey) = makeAddrAndKey("stranger");
        bytes memory strangerSig = UserOpLib.signDigest(strangerKey, digest);

        assertEq(
            accountV08.isValidSignature(digest, abi.encodePacked(address(ownerValidator), ownerSig)),
            bytes32(bytes4(0x1626ba7e)),
            "owner signature accepted"
        );
        assertEq(
            accountV08.isValidSignature(digest, abi.encodePacked(address(ownerValidator), strangerSig)),
            bytes32(bytes4(0xffffffff)),
            "stranger signature rejected"
        );
        assertEq(
            accountV08.isValidSignature(digest, ownerSig),
            bytes32(bytes4(0xffffffff)),
            "no validator prefix rejected"
        );
    }

    // ----- userOpHash definitions -----

    function test_getUserOpHash_v08_isEip712WithErc4337Domain() public {
        PackedUserOperation memory op = _sampleOp(address(accountV08));
        assertEq(
            UserOpLib.hash(entryPointV08, op), _eip712UserOpHash(op, address(entryPointV08)), "chain 31337"
        );

        vm.chainId(8453);
        assertEq(
            UserOpLib.hash(entryPointV08, op), _eip712UserOpHash(op, address(entryPointV08)), "chain 8453"
        );
    }

    function test_getUserOpHash_v08_domainSeparator() public view {
        bytes32 expected = keccak256(
            abi.encode(
                EIP712_DOMAIN_TYPEHASH,
                keccak256("ERC4337"),
                keccak256("1"),
                block.chainid,
                address(entryPointV08)
            )
        );
        (bool ok, bytes memory ret) =
            address(entryPointV08).staticcall(abi.encodeWithSignature("getDomainSeparatorV4()"));
        assertTrue(ok, "getDomainSeparatorV4");
        assertEq(abi.decode(ret, (bytes32)), expected, "domain separator");
    }

    function test_getUserOpHash_v07_isPackedHashWithEntryPointAndChain() public {
        PackedUserOperation memory op = _sampleOp(address(accountV07));
        assertEq(UserOpLib.hash(entryPointV07, op), _v07UserOpHash(op, address(entryPointV07)), "chain 31337");
        vm.chainId(10);
        assertEq(UserOpLib.hash(entryPointV07, op), _v07UserOpHash(op, address(entryPointV07)), "chain 10");
    }

    function testFuzz_getUserOpHash_bothVersionsMatchDefinitions(
        uint256 nonce,
        bytes memory initCode,
        bytes memory callData,
        bytes32 accountGasLimits,
        uint256 preVerificationGas,
        bytes32 gasFees,
        bytes memory paymasterAndData,
        bytes memory signature
    ) public view {
        PackedUserOperation memory op = PackedUserOperation({
            sender: address(accountV08),
            nonce: nonce,
            initCode: initCode,
            callData: callData,
            accountGasLimits: accountGasLimits,
            preVerificationGas: preVerificationGas,
            gasFees: gasFees,
            paymasterAndData: paymasterAndData,
            signature: signature
        });
        // v0.8 replaces the hash of an EIP-7702 initCode (starting 0x7702) with the delegate's; not covered here.
        vm.assume(initCode.length < 2 || initCode[0] != 0x77 || initCode[1] != 0x02);
        assertEq(UserOpLib.hash(entryPointV08, op), _eip712UserOpHash(op, address(entryPointV08)), "v0.8");
        assertEq(UserOpLib.hash(entryPointV07, op), _v07UserOpHash(op, address(entryPointV07)), "v0.7");
    }

    // ----- Private helpers -----

    function _sampleOp(address sender) private view returns (PackedUserOperation memory op) {
        op = UserOpLib.newOp(sender, UserOpLib.validatorNonce(address(ownerValidator), 7, 3), hex"b61d27f6");
        op.initCode = hex"1234";
        op.paymasterAndData = UserOpLib.packPaymasterAndData(address(0xbeef), 1, 2, hex"99");
        op.signature = hex"ffff";
    }

    function _packedUserOpFields(PackedUserOperation memory op) private pure returns (bytes memory) {
        return abi.encode(
            op.sender,
            op.nonce,
            keccak256(op.initCode),
            keccak256(op.callData),
            op.accountGasLimits,
            op.preVerificationGas,
            op.gasFees,
            keccak256(op.paymasterAndData)
        );
    }

    function _eip712UserOpHash(PackedUserOperation memory op, address ep) private view returns (bytes32) {
        bytes32 domainSeparator = keccak256(
            abi.encode(EIP712_DOMAIN_TYPEHASH, keccak256("ERC4337"), keccak256("1"), block.chainid, ep)
        );
        bytes32 structHash = keccak256(abi.encodePacked(PACKED_USEROP_TYPEHASH, _packedUserOpFields(op)));
        return keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash));
    }

    function _v07UserOpHash(PackedUserOperation memory op, address ep) private view returns (bytes32) {
        return keccak256(abi.encode(keccak256(_packedUserOpFields(op)), ep, block.chainid));
    }

    function _userOperationEvent(IEntryPoint ep, bytes32 opHash, address sender)
        private
        returns (bool found, bool success, uint256 actualGasCost)
    {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory entry = logs[i];
            if (
                entry.emitter == address(ep) && entry.topics.length == 4
                    && entry.topics[0] == USER_OPERATION_EVENT && entry.topics[1] == opHash
                    && entry.topics[2] == bytes32(uint256(uint160(sender)))
            ) {
                (, success, actualGasCost,) = abi.decode(entry.data, (uint256, bool, uint256, uint256));
                return (true, success, actualGasCost);
            }
        }
    }
}
