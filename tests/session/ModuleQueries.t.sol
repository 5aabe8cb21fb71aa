// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {DecodingAccount} from "../fixtures/DecodingAccount.sol";
import {ConfigurableModule} from "../fixtures/ConfigurableModule.sol";
import {
    Session,
    CallGrant,
    GRANT_ANY_TARGET,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";
import {CallDenied, CallNotGranted, CallToInstalledModule} from "../../contracts/session/SessionErrors.sol";

/// @notice Rule 4's installed-module denial, decided for each call on its own (issue 11 item 1), asked in the
///         encodings accounts decode (issue 12), for every module type an account can report; EntryPoint v0.9;
///         target 0. Each case runs on the OpenZeppelin account and on DecodingAccount (MSA/Safe7579 decoding)
///         of both EntryPoints.
contract ModuleQueriesTest is SessionTestBase {
    address internal constant ENTRY_POINT_V09 = 0x433709009B8330FDa32311DF1C2AFA402eD8D009;

    ConfigurableModule internal handler;
    DecodingAccount internal decodingV07;
    DecodingAccount internal decodingV08;

    function setUp() public override {
        super.setUp();
        handler = new ConfigurableModule();
        vm.label(address(handler), "ConfigurableModule");
        decodingV07 = _newDecodingAccount(entryPointV07, "DecodingV07");
        decodingV08 = _newDecodingAccount(entryPointV08, "DecodingV08");
    }

    function _newDecodingAccount(IEntryPoint ep, string memory name)
        private
        returns (DecodingAccount account)
    {
        account = new DecodingAccount(address(ep), address(ownerValidator), abi.encode(owner));
        vm.label(address(account), name);
        vm.deal(address(account), ACCOUNT_ETH);
        ep.depositTo{value: ACCOUNT_DEPOSIT}(address(account));
        install(account);
    }

    /// @dev The four accounts: OpenZeppelin and decoding, on v0.7 and v0.8.
    function _accounts() private view returns (TestAccount[4] memory) {
        return [accountV07, accountV08, TestAccount(decodingV07), TestAccount(decodingV08)];
    }

    function _entryPointOf(TestAccount account) private view returns (IEntryPoint) {
        return IEntryPoint(address(account.entryPoint()));
    }

    /// @dev A sponsored op from `account` through the module, signed by the session key for `s`.
    function _op(TestAccount account, Session memory s, bytes memory callData)
        private
        view
        returns (PackedUserOperation memory op)
    {
        IEntryPoint ep = _entryPointOf(account);
        op = UserOpLib.newOp(
            address(account), UserOpLib.nextNonce(ep, address(account), address(module), 0), callData
        );
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        bytes memory sig =
            UserOpLib.signDigest(sessionKey, module.opDigest(UserOpLib.hash(ep, op), idOf(s), 0));
        op.signature = envelope(0, 0, sig, s, 0, "");
    }

    /// @dev Two ANY-target grants: `ping` and `configure`, as in the issue (no ANY/ANY grant needed).
    function _anyTargetSession() private view returns (Session memory s) {
        s = baseSession();
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(address(0), ConfigurableModule.ping.selector, GRANT_ANY_TARGET);
        s.calls[1] = CallGrant(address(0), ConfigurableModule.configure.selector, GRANT_ANY_TARGET);
    }

    function _pingThenConfigure() private view returns (bytes memory) {
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(handler), 0, abi.encodeCall(ConfigurableModule.ping, ()));
        calls[1] = Execution(address(handler), 0, abi.encodeCall(ConfigurableModule.configure, (7)));
        return UserOpLib.executeBatch(calls);
    }

    function _installAs(TestAccount account, uint256 moduleTypeId, bytes memory initData) private {
        vm.prank(address(account));
        account.installModule(moduleTypeId, address(handler), initData);
    }

    function _createOn(TestAccount account, Session memory s) private {
        vm.prank(address(account));
        module.grantSession(s);
    }

    /// @dev Issue 11 item 1: the handler is the account's fallback for `configure` only. A first call of the batch
    ///      with another selector (`ping`) clears the handler; the second call, `configure`, must still be asked
    ///      about with its own selector and denied. With the answer reused, the session rewrote the handler's
    ///      configuration for the account.
    function test_moduleQueries_fallbackAnswerNeverReusedAcrossSelectors() public {
        Session memory s = _anyTargetSession();
        TestAccount[4] memory accounts = _accounts();
        for (uint256 i; i < 4; ++i) {
            TestAccount account = accounts[i];
            IEntryPoint ep = _entryPointOf(account);
            _installAs(account, 3, abi.encodePacked(ConfigurableModule.configure.selector));
            _createOn(account, s);
            PackedUserOperation memory op = _op(account, s, _pingThenConfigure());
            expectModuleRevert(abi.encodeWithSelector(CallToInstalledModule.selector, 1, address(handler)));
            UserOpLib.handleOne(ep, op, beneficiary);
            assertEq(handler.settingOf(address(account)), 0, "handler configuration unchanged");
        }
    }

    /// @dev The same batch passes where the handler is installed for neither selector: the fix denies only what
    ///      the account reports (and each call is still executed).
    function test_moduleQueries_anyTargetPassesWhenNothingInstalled() public {
        Session memory s = _anyTargetSession();
        TestAccount[4] memory accounts = _accounts();
        for (uint256 i; i < 4; ++i) {
            TestAccount account = accounts[i];
            IEntryPoint ep = _entryPointOf(account);
            _createOn(account, s);
            UserOpLib.handleOne(ep, _op(account, s, _pingThenConfigure()), beneficiary);
            assertEq(
                handler.settingOf(address(account)), 7, "the account configured a module it does not use"
            );
        }
    }

    /// @dev Issue 12: the decoding account ABI-decodes the fallback context, so a raw 4-byte context made every
    ///      ANY-target op revert there. A single call with the fallback's own selector is denied on both kinds.
    function test_moduleQueries_fallbackDeniedInEveryEncoding() public {
        Session memory s = _anyTargetSession();
        TestAccount[4] memory accounts = _accounts();
        for (uint256 i; i < 4; ++i) {
            TestAccount account = accounts[i];
            IEntryPoint ep = _entryPointOf(account);
            _installAs(account, 3, abi.encodePacked(ConfigurableModule.ping.selector));
            _createOn(account, s);
            PackedUserOperation memory op =
                _op(account, s, single(address(handler), 0, abi.encodeCall(ConfigurableModule.ping, ())));
            expectModuleRevert(abi.encodeWithSelector(CallToInstalledModule.selector, 0, address(handler)));
            UserOpLib.handleOne(ep, op, beneficiary);
        }
    }

    /// @dev Hooks (4, asked in Safe7579's global form) and the ERC-7780 types 5-7 are installed modules too.
    function test_moduleQueries_everyReportedTypeDenied() public {
        Session memory s = _anyTargetSession();
        DecodingAccount[2] memory accounts = [decodingV07, decodingV08];
        for (uint256 t = 4; t <= 7; ++t) {
            for (uint256 i; i < 2; ++i) {
                uint256 snapshot = vm.snapshotState();
                TestAccount account = TestAccount(accounts[i]);
                IEntryPoint ep = _entryPointOf(account);
                _installAs(account, t, "");
                _createOn(account, s);
                PackedUserOperation memory op = _op(account, s, _pingThenConfigure());
                expectModuleRevert(
                    abi.encodeWithSelector(CallToInstalledModule.selector, 0, address(handler))
                );
                UserOpLib.handleOne(ep, op, beneficiary);
                vm.revertToState(snapshot);
            }
        }
    }

    /// @dev A query that reverts denies the op (fail-closed): the account's revert comes back as the reason.
    function test_moduleQueries_revertingQueryDenies() public {
        Session memory s = _anyTargetSession();
        DecodingAccount[2] memory accounts = [decodingV07, decodingV08];
        for (uint256 i; i < 2; ++i) {
            TestAccount account = TestAccount(accounts[i]);
            IEntryPoint ep = _entryPointOf(account);
            vm.prank(address(account));
            accounts[i].setQueriesRevert(true);
            _createOn(account, s);
            PackedUserOperation memory op = _op(account, s, _pingThenConfigure());
            expectModuleRevert(abi.encodeWithSelector(DecodingAccount.DecodingAccountQueriesRevert.selector));
            UserOpLib.handleOne(ep, op, beneficiary);
        }
    }

    /// @dev EntryPoint v0.9 is denied like v0.6-v0.8, under an exact and an ANY grant.
    function test_moduleQueries_entryPointV09Denied() public {
        Session memory s = baseSession();
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(ENTRY_POINT_V09, bytes4(0), GRANT_ANY_SELECTOR);
        s.calls[1] = CallGrant(address(0), bytes4(0), GRANT_ANY_TARGET | GRANT_ANY_SELECTOR);
        TestAccount[4] memory accounts = _accounts();
        for (uint256 i; i < 4; ++i) {
            TestAccount account = accounts[i];
            IEntryPoint ep = _entryPointOf(account);
            _createOn(account, s);
            PackedUserOperation memory op = _op(account, s, single(ENTRY_POINT_V09, 0, hex"b760faf9"));
            expectModuleRevert(
                abi.encodeWithSelector(CallDenied.selector, 0, ENTRY_POINT_V09, bytes4(0xb760faf9))
            );
            UserOpLib.handleOne(ep, op, beneficiary);
        }
    }

    /// @dev Target 0 is judged as the account (OpenZeppelin runs it as a self-call; other accounts call address 0,
    ///      where no code runs): an ANY-target grant never matches it, only an account-selector grant does.
    function test_moduleQueries_targetZeroJudgedAsSelfCall() public {
        Session memory s = baseSession();
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(address(0), bytes4(0), GRANT_ANY_TARGET | GRANT_ANY_SELECTOR);
        bytes memory callData = single(address(0), 0, abi.encodeCall(TestAccount.entryPoint, ()));
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            TestAccount account = accountFor(eps[i]);
            _createOn(account, s);
            PackedUserOperation memory op = _op(account, s, callData);
            expectModuleRevert(
                abi.encodeWithSelector(
                    CallNotGranted.selector, 0, address(account), TestAccount.entryPoint.selector
                )
            );
            UserOpLib.handleOne(eps[i], op, beneficiary);
        }
        Session memory granted = baseSession();
        granted.accountSelectors = new bytes4[](1);
        granted.accountSelectors[0] = TestAccount.entryPoint.selector;
        for (uint256 i; i < 2; ++i) {
            TestAccount account = accountFor(eps[i]);
            _createOn(account, granted);
            UserOpLib.handleOne(eps[i], _op(account, granted, callData), beneficiary);
        }
    }
}
