// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {MockERC20} from "../fixtures/MockERC20.sol";
import {TestAccount} from "../fixtures/TestAccount.sol";
import {TooManyAssetsCharged} from "../../contracts/session/SessionErrors.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    PeriodicAllowance,
    NATIVE_ASSET
} from "../../contracts/session/SessionTypes.sol";

/// @notice Rule 15 bound: the largest session the caps allow, enabled in its first op with the largest batch
///         of token transfers, stays under 8,192 bytes of user operation and 500,000 verification gas. The true
///         worst case (issue 11 item 5) is many distinct charged assets on their first use reached through an
///         ANY-target grant: every call then asks the account about every module type, and every charged entry
///         of `tokens` and `periodic` writes a fresh counter slot. An op may charge at most 6 such entries.
contract LargestSessionTest is SessionTestBase {
    /// @dev PermissionChecks.MAX_CHARGED_ENTRIES.
    uint256 private constant MAX_CHARGED_ENTRIES = 6;
    uint256 private constant VERIFICATION_GAS = 500_000;

    MockERC20[8] private assets;

    /// @notice The verification gas a case measured (shown by `forge test -vvv`).
    event VerificationGas(string name, uint256 gas);

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 8; ++i) {
            assets[i] = new MockERC20("Worst Case Token", "WCT");
            assets[i].mint(address(accountV07), ACCOUNT_TOKENS);
            assets[i].mint(address(accountV08), ACCOUNT_TOKENS);
        }
    }

    /// @dev A session at every cap whose eight tokens are also its eight periodic assets, each reachable only
    ///      through its ANY-target grant (no exact grant names them).
    function _worst() private view returns (Session memory s) {
        s = _largest();
        s.feeBudget = type(uint80).max; // its cap (the fee spent is an 80-bit field of the record)
        s.salt = bytes32(uint256(1));
        for (uint256 i; i < 8; ++i) {
            s.tokens[i] = TokenAllowance(address(assets[i]), type(uint128).max);
            s.periodic[i] = PeriodicAllowance(address(assets[i]), type(uint128).max);
        }
    }

    /// @dev A batch of eight transfers, one per token (each a distinct ANY-target call). The first `charged`
    ///      tokens after `tokens[0]` (whose counter lives in the session record) move 1 ether; the others move 0,
    ///      still asked about and matched like the rest.
    function _worstBatch(uint256 charged) private view returns (bytes memory) {
        Execution[] memory calls = new Execution[](8);
        for (uint256 i; i < 8; ++i) {
            uint256 amount = i >= 1 && i <= charged ? 1 ether : 0;
            calls[i] =
                Execution(address(assets[i]), 0, abi.encodeCall(assets[i].transfer, (recipient, amount)));
        }
        return UserOpLib.executeBatch(calls);
    }

    /// @dev The verification gas of `op` from `ep`'s account (validateUserOp called as the account, then undone).
    function _verificationGas(IEntryPoint ep, PackedUserOperation memory op) private returns (uint256 used) {
        bytes32 opHash = UserOpLib.hash(ep, op);
        uint256 snapshot = vm.snapshotState();
        vm.prank(address(accountFor(ep)));
        uint256 before = gasleft();
        uint256 data = module.validateUserOp(op, opHash);
        used = before - gasleft();
        assertEq(data & 1, 0, "signature valid");
        vm.revertToState(snapshot);
    }

    /// @dev Eight distinct charged tokens in one op (sixteen fresh counters) are refused: split the batch.
    function test_largest_tooManyChargedAssetsRefused() public {
        Session memory s = _worst();
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            Execution[] memory calls = new Execution[](8);
            for (uint256 t; t < 8; ++t) {
                calls[t] =
                    Execution(address(assets[t]), 0, abi.encodeCall(assets[t].transfer, (recipient, 1)));
            }
            PackedUserOperation memory op = sessionOp(ep, s, UserOpLib.executeBatch(calls));
            expectModuleRevert(
                abi.encodeWithSelector(TooManyAssetsCharged.selector, idOf(s), 16, MAX_CHARGED_ENTRIES)
            );
            submit(ep, op);
        }
    }

    /// @dev The true worst case on an enable op: every cap, eight ANY-target calls to eight distinct tokens, the
    ///      most charged entries an op may have, all fresh. Under 500,000 verification gas on both EntryPoints.
    function test_largest_worstCaseEnableOpFits() public {
        Session memory s = _worst();
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            address account = address(accountFor(ep));
            PackedUserOperation memory op = unsignedOp(ep, _worstBatch(MAX_CHARGED_ENTRIES / 2), true);
            signWith(ep, op, s, 0, sessionKey, FLAG_ENABLE, 1, ownerEnableSignature(account, idOf(s), 1));
            assertLt(abi.encode(op).length, 8192, "user operation size");
            uint256 used = _verificationGas(ep, op);
            emit VerificationGas("worst-case enable op", used);
            assertLt(used, VERIFICATION_GAS, "verification gas");
            submit(ep, op);
            assertEq(assets[1].balanceOf(recipient), (i + 1) * 1 ether);
        }
    }

    /// @dev The true worst case on the first op after `grantSession` (every counter slot fresh).
    function test_largest_worstCaseFirstUseFits() public {
        Session memory s = _worst();
        IEntryPoint[2] memory eps = entryPoints();
        for (uint256 i; i < 2; ++i) {
            IEntryPoint ep = eps[i];
            create(accountFor(ep), s);
            PackedUserOperation memory op = sessionOp(ep, s, _worstBatch(MAX_CHARGED_ENTRIES / 2));
            uint256 used = _verificationGas(ep, op);
            emit VerificationGas("worst-case first use", used);
            assertLt(used, VERIFICATION_GAS, "verification gas");
            submit(ep, op);
        }
    }

    function _largest() private view returns (Session memory s) {
        s = baseSession();
        s.validUntil = uint48((1 << 47) - 1);
        s.maxUses = type(uint32).max;
        s.period = 1 days;
        s.rateLimit = 1000;
        s.nativeAllowance = type(uint128).max;
        s.gasBudget = type(uint128).max;
        s.calls = new CallGrant[](16);
        for (uint256 i; i < 16; ++i) {
            s.calls[i] = CallGrant(address(uint160(0x1000 + i)), bytes4(uint32(i)), 0);
        }
        s.calls[15] = CallGrant(address(0), bytes4(0), 3);
        s.accountSelectors = new bytes4[](8);
        s.tokens = new TokenAllowance[](8);
        s.periodic = new PeriodicAllowance[](8);
        for (uint256 i; i < 8; ++i) {
            s.accountSelectors[i] = bytes4(uint32(0x100 + i));
            s.tokens[i] = TokenAllowance(address(uint160(0x2000 + i)), type(uint128).max);
            s.periodic[i] = PeriodicAllowance(address(uint160(0x3000 + i)), type(uint128).max);
        }
        s.tokens[7] = TokenAllowance(address(token), type(uint128).max);
        s.periodic[7] = PeriodicAllowance(NATIVE_ASSET, type(uint128).max);
        s.paymasters = new address[](4);
        for (uint256 i; i < 4; ++i) {
            s.paymasters[i] = address(uint160(0x4000 + i));
        }
        s.paymasters[3] = address(paymaster);
    }

    function test_largest_enableOpFitsLimits() public {
        Session memory s = _largest();
        IEntryPoint ep = entryPointV08;
        address account = address(accountFor(ep));
        Execution[] memory calls = new Execution[](8);
        for (uint256 i; i < 8; ++i) {
            calls[i] = Execution(address(token), 1, abi.encodeCall(token.transfer, (recipient, 1 ether)));
        }
        PackedUserOperation memory op = unsignedOp(ep, UserOpLib.executeBatch(calls), true);
        signWith(ep, op, s, 0, sessionKey, FLAG_ENABLE, 1, ownerEnableSignature(account, idOf(s), 1));
        uint256 size = abi.encode(op).length;
        assertLt(size, 8192, "user operation size");
        bytes32 opHash = UserOpLib.hash(ep, op);
        uint256 snapshot = vm.snapshotState();
        vm.prank(account);
        uint256 before = gasleft();
        uint256 data = module.validateUserOp(op, opHash);
        uint256 used = before - gasleft();
        assertEq(data & 1, 0, "signature valid");
        assertLt(used, 500_000, "verification gas");
        vm.revertToState(snapshot);
        vm.warp(10);
        submit(ep, op);
    }

    /// @dev The largest session's settled op (rule 16): both settle calls carry the whole packed session again, the
    ///      most calldata an op of this session can have. Validation must still fit ERC-7562's limits.
    function test_largest_settledEnableOpFitsLimits() public {
        Session memory s = _largest();
        IEntryPoint ep = entryPointV08;
        address account = address(accountFor(ep));
        Execution[] memory inner = new Execution[](6);
        for (uint256 i; i < 5; ++i) {
            inner[i] = Execution(address(token), 1, abi.encodeCall(token.transfer, (recipient, 1 ether)));
        }
        // A granted call to a contract that is not a limited token: the op must be settled.
        inner[5] = Execution(address(uint160(0x1000)), 0, "");
        PackedUserOperation memory op = unsignedOp(ep, settledBatch(s, inner), true);
        signWith(ep, op, s, 0, sessionKey, FLAG_ENABLE, 1, ownerEnableSignature(account, idOf(s), 1));
        uint256 size = abi.encode(op).length;
        assertLt(size, 8192, "user operation size");
        bytes32 opHash = UserOpLib.hash(ep, op);
        vm.prank(account);
        uint256 before = gasleft();
        uint256 data = module.validateUserOp(op, opHash);
        uint256 used = before - gasleft();
        assertEq(data & 1, 0, "signature valid");
        assertLt(used, 500_000, "verification gas");
    }
}
