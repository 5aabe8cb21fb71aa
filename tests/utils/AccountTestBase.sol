// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {EntryPointDeployer} from "./EntryPointDeployer.sol";
import {UserOpLib} from "./UserOpLib.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {OwnerValidator} from "../fixtures/OwnerValidator.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {RecordingTarget} from "../fixtures/RecordingTarget.sol";

/// @title AccountTestBase
/// @notice Common world for account-level tests: both real EntryPoints, one owner-controlled TestAccount per
///         EntryPoint (funded and with an EntryPoint deposit), a token held by the accounts, a call recorder and
///         a beneficiary.
/// @dev Note: override `setUp` and call `super.setUp()` first. Owner ops use the OwnerValidator nonce key 0.
abstract contract AccountTestBase is EntryPointDeployer {
    uint256 internal constant ACCOUNT_ETH = 100 ether;
    uint256 internal constant ACCOUNT_DEPOSIT = 10 ether;
    uint256 internal constant ACCOUNT_TOKENS = 1_000_000 ether;

    IEntryPoint internal entryPointV07;
    IEntryPoint internal entryPointV08;
    OwnerValidator internal ownerValidator;
    address internal owner;
    uint256 internal ownerKey;
    TestAccount internal accountV07;
    TestAccount internal accountV08;
    MockERC20 internal token;
    RecordingTarget internal target;
    address payable internal beneficiary;

    /// @dev Deploys both EntryPoints and the fixtures, then one funded, deposited account per EntryPoint.
    function setUp() public virtual {
        (entryPointV07, entryPointV08) = deployEntryPoints();
        (owner, ownerKey) = makeAddrAndKey("owner");
        beneficiary = payable(makeAddr("beneficiary"));

        ownerValidator = new OwnerValidator();
        vm.label(address(ownerValidator), "OwnerValidator");
        token = new MockERC20("Mock Token", "MOCK");
        vm.label(address(token), "MockERC20");
        target = new RecordingTarget();
        vm.label(address(target), "RecordingTarget");

        accountV07 = _newFundedAccount(entryPointV07, "AccountV07");
        accountV08 = _newFundedAccount(entryPointV08, "AccountV08");
    }

    /// @dev Both EntryPoints, for tests that run the same case on each.
    function entryPoints() internal view returns (IEntryPoint[2] memory) {
        return [entryPointV07, entryPointV08];
    }

    /// @dev The owner-controlled account bound to `ep`.
    function accountFor(IEntryPoint ep) internal view returns (TestAccount) {
        if (address(ep) == address(entryPointV07)) return accountV07;
        if (address(ep) == address(entryPointV08)) return accountV08;
        revert("AccountTestBase: unknown EntryPoint");
    }

    /// @dev An op from `account` with `callData`, the next OwnerValidator nonce, signed by the owner.
    function ownerOp(IEntryPoint ep, address account, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = UserOpLib.newOp(account, UserOpLib.nextNonce(ep, account, address(ownerValidator), 0), callData);
        op.signature = UserOpLib.signOp(ep, op, ownerKey);
    }

    function _newFundedAccount(IEntryPoint ep, string memory name) private returns (TestAccount account) {
        account = new TestAccount(address(ep), address(ownerValidator), abi.encode(owner));
        vm.label(address(account), name);
        vm.deal(address(account), ACCOUNT_ETH);
        ep.depositTo{value: ACCOUNT_DEPOSIT}(address(account));
        token.mint(address(account), ACCOUNT_TOKENS);
    }
}
