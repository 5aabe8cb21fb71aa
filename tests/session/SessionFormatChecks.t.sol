// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    PeriodicAllowance,
    NATIVE_ASSET
} from "../../contracts/session/SessionTypes.sol";
import {
    SessionSignerZero,
    SessionWindowInvalid,
    SessionListTooLong,
    SessionAmountTooLarge,
    SessionAssetInvalid,
    SessionPeriodRequired,
    SessionGrantFlagsInvalid
} from "../../contracts/session/SessionErrors.sol";

/// @notice Every session format check (SessionFormat, run on the packed bytes) gives the same error, in the same
///         documented order, whichever way the session is created: `grantSession`, `onInstall`, or an owner's
///         enable grant carried in an op. An owner signature does not launder a session the account could not
///         grant itself.
/// @dev Note: the order cases break two checks at once and expect the earlier one (signer, window, period,
///      lengths, budgets, grant flags, tokens, periodic).
contract SessionFormatChecksTest is SessionTestBase {
    uint256 private constant TOO_LARGE = uint256(type(uint128).max) + 1;
    uint256 private constant NONCE = 9;
    uint256 private constant CASES = 31;

    /// @dev Case `i`: a session breaking the format and the exact error expected.
    function _case(uint256 i) private view returns (Session memory s, bytes memory err) {
        s = tokenSession(100 ether);
        s.salt = bytes32(i + 1);
        // ----- Single violations -----
        if (i == 0) {
            s.signer = address(0);
            err = abi.encodeWithSelector(SessionSignerZero.selector);
        } else if (i == 1) {
            (s.validAfter, s.validUntil) = (10, 9);
            err = abi.encodeWithSelector(SessionWindowInvalid.selector, 10, 9);
        } else if (i == 2) {
            s.periodic = _periodic(1, 1);
            err = abi.encodeWithSelector(SessionPeriodRequired.selector);
        } else if (i == 3) {
            s.rateLimit = 1;
            err = abi.encodeWithSelector(SessionPeriodRequired.selector);
        } else if (i == 4) {
            s.calls = new CallGrant[](17);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 0, 17, 16);
        } else if (i == 5) {
            s.accountSelectors = new bytes4[](9);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 1, 9, 8);
        } else if (i == 6) {
            s.tokens = _tokens(9, 1);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 2, 9, 8);
        } else if (i == 7) {
            s.period = 1 days;
            s.periodic = _periodic(9, 1);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 3, 9, 8);
        } else if (i == 8) {
            s.paymasters = new address[](5);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 4, 5, 4);
        } else if (i == 9) {
            s.nativeAllowance = TOO_LARGE;
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE);
        } else if (i == 10) {
            s.feeBudget = type(uint256).max;
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, type(uint256).max);
        } else if (i == 11) {
            s.gasBudget = TOO_LARGE;
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE);
        } else if (i == 12) {
            s.tokens[0].amount = TOO_LARGE;
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE);
        } else if (i == 13) {
            s.period = 1 days;
            s.periodic = _periodic(1, TOO_LARGE);
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE);
        } else if (i == 14) {
            s.calls[0].flags = 0x04;
            err = abi.encodeWithSelector(SessionGrantFlagsInvalid.selector, 0x04);
        } else if (i == 15) {
            s.calls = new CallGrant[](2);
            s.calls[1].flags = 0x83;
            err = abi.encodeWithSelector(SessionGrantFlagsInvalid.selector, 0x83);
        } else if (i == 16) {
            s.tokens = _tokens(2, 1);
            s.tokens[1].token = s.tokens[0].token;
            err = abi.encodeWithSelector(SessionAssetInvalid.selector, s.tokens[0].token);
        } else if (i == 17) {
            s.period = 1 days;
            s.periodic = _periodic(3, 1);
            s.periodic[2].asset = NATIVE_ASSET;
            s.periodic[0].asset = NATIVE_ASSET;
            err = abi.encodeWithSelector(SessionAssetInvalid.selector, NATIVE_ASSET);
        } else if (i == 18) {
            s.tokens[0].token = NATIVE_ASSET;
            err = abi.encodeWithSelector(SessionAssetInvalid.selector, NATIVE_ASSET);
        }
        // ----- Two violations: the earlier check wins -----
        else if (i == 19) {
            s.signer = address(0);
            (s.validAfter, s.validUntil) = (10, 9);
            err = abi.encodeWithSelector(SessionSignerZero.selector);
        } else if (i == 20) {
            (s.validAfter, s.validUntil) = (10, 9);
            s.rateLimit = 1;
            err = abi.encodeWithSelector(SessionWindowInvalid.selector, 10, 9);
        } else if (i == 21) {
            s.rateLimit = 1;
            s.calls = new CallGrant[](17);
            err = abi.encodeWithSelector(SessionPeriodRequired.selector);
        } else if (i == 22) {
            // Lengths in field order: calls before paymasters.
            s.calls = new CallGrant[](17);
            s.paymasters = new address[](5);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 0, 17, 16);
        } else if (i == 23) {
            s.accountSelectors = new bytes4[](9);
            s.tokens = _tokens(9, 1);
            err = abi.encodeWithSelector(SessionListTooLong.selector, 1, 9, 8);
        } else if (i == 24) {
            s.paymasters = new address[](5);
            s.gasBudget = TOO_LARGE;
            err = abi.encodeWithSelector(SessionListTooLong.selector, 4, 5, 4);
        } else if (i == 25) {
            // Budgets in flag order: native before gas.
            s.nativeAllowance = TOO_LARGE + 1;
            s.gasBudget = TOO_LARGE;
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE + 1);
        } else if (i == 26) {
            s.feeBudget = TOO_LARGE;
            s.calls[0].flags = 0x04;
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE);
        } else if (i == 27) {
            s.calls[0].flags = 0x04;
            s.tokens[0].amount = TOO_LARGE;
            err = abi.encodeWithSelector(SessionGrantFlagsInvalid.selector, 0x04);
        } else if (i == 28) {
            s.tokens[0].token = NATIVE_ASSET;
            s.period = 1 days;
            s.periodic = _periodic(1, TOO_LARGE);
            err = abi.encodeWithSelector(SessionAssetInvalid.selector, NATIVE_ASSET);
        } else if (i == 29) {
            // Within an entry the amount is checked before the asset.
            s.tokens[0] = TokenAllowance(NATIVE_ASSET, TOO_LARGE);
            err = abi.encodeWithSelector(SessionAmountTooLarge.selector, TOO_LARGE);
        } else if (i == 30) {
            s.signer = address(0);
            s.paymasters = new address[](5);
            s.tokens[0].token = NATIVE_ASSET;
            err = abi.encodeWithSelector(SessionSignerZero.selector);
        }
    }

    function test_format_everyErrorThroughGrantSession() public {
        for (uint256 i; i < CASES; ++i) {
            (Session memory s, bytes memory err) = _case(i);
            vm.prank(address(accountV07));
            vm.expectRevert(err);
            module.grantSession(s);
            assertEq(module.statusOf(address(accountV07), idOf(s)), 0);
        }
    }

    function test_format_everyErrorThroughOnInstall() public {
        uninstall(accountV07);
        for (uint256 i; i < CASES; ++i) {
            (Session memory s, bytes memory err) = _case(i);
            Session[] memory sessions = new Session[](2);
            sessions[0] = tokenSession(1 ether);
            sessions[1] = s;
            vm.prank(address(accountV07));
            vm.expectRevert(err);
            accountV07.installModule(1, address(module), abi.encode(sessions));
        }
        assertFalse(module.isInitialized(address(accountV07)));
    }

    /// @dev The owner signed each bad session's id: the grant is authentic, yet creation rejects the session with
    ///      the error `grantSession` gives, and the nonce stays unused.
    function test_format_everyErrorThroughEnableGrant() public {
        address account = address(accountV08);
        for (uint256 i; i < CASES; ++i) {
            (Session memory s, bytes memory err) = _case(i);
            PackedUserOperation memory op = unsignedOp(entryPointV08, tokenTransfer(1 ether), true);
            signWith(
                entryPointV08,
                op,
                s,
                0,
                sessionKey,
                FLAG_ENABLE,
                NONCE,
                ownerEnableSignature(account, idOf(s), NONCE)
            );
            expectModuleRevert(err);
            submit(entryPointV08, op);
            assertEq(module.statusOf(account, idOf(s)), 0);
        }
        assertFalse(module.enableNonceUsed(account, NONCE));
    }

    /// @dev Control: the base session of every case is valid through all three ways.
    function test_format_baseSessionIsValid() public {
        Session memory s = tokenSession(100 ether);
        assertEq(create(accountV07, s), idOf(s));
        address account = address(accountV08);
        PackedUserOperation memory op = unsignedOp(entryPointV08, tokenTransfer(1 ether), true);
        signWith(
            entryPointV08,
            op,
            s,
            0,
            sessionKey,
            FLAG_ENABLE,
            NONCE,
            ownerEnableSignature(account, idOf(s), NONCE)
        );
        submit(entryPointV08, op);
        assertEq(module.statusOf(account, idOf(s)), 1);
        uninstall(accountV07);
        Session[] memory sessions = new Session[](1);
        sessions[0] = tokenSession(1 ether);
        vm.prank(address(accountV07));
        accountV07.installModule(1, address(module), abi.encode(sessions));
        assertEq(module.statusOf(address(accountV07), idOf(sessions[0])), 1);
    }

    /// @dev `count` distinct tokens, each with allowance `amount`.
    function _tokens(uint256 count, uint256 amount) private pure returns (TokenAllowance[] memory t) {
        t = new TokenAllowance[](count);
        for (uint256 i; i < count; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- i < 9: a small distinct address
            t[i] = TokenAllowance(address(uint160(0x7000 + i)), amount);
        }
    }

    /// @dev `count` distinct periodic assets, each with allowance `amount`.
    function _periodic(uint256 count, uint256 amount) private pure returns (PeriodicAllowance[] memory p) {
        p = new PeriodicAllowance[](count);
        for (uint256 i; i < count; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- i < 9: a small distinct address
            p[i] = PeriodicAllowance(address(uint160(0x8000 + i)), amount);
        }
    }
}
