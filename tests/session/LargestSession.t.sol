// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    PeriodicAllowance,
    NATIVE_ASSET
} from "../../contracts/session/SessionTypes.sol";

/// @notice Rule 15 bound: the largest session the caps allow, enabled in its first op with the largest batch
///         of token transfers, stays under 8,192 bytes of user operation and 500,000 verification gas.
contract LargestSessionTest is SessionTestBase {
    function _largest() private view returns (Session memory s) {
        s = baseSession();
        s.validUntil = type(uint48).max;
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

    /// @dev `execute` of the default-mode batch `[settle, ...inner, settle]` for session `s` in period 0 (rule 16: a
    ///      session that limits a token must settle ops calling contracts that may pull it).
    function settledBatch(Session memory s, Execution[] memory inner) internal view returns (bytes memory) {
        Execution[] memory calls = new Execution[](inner.length + 2);
        // settle(uint32,bytes) 0x9edb9baf with the op's period and the packed session its envelope carries.
        Execution memory settle =
            Execution(address(module), 0, abi.encodeWithSelector(0x9edb9baf, uint32(0), packOf(s)));
        calls[0] = settle;
        for (uint256 i; i < inner.length; ++i) {
            calls[i + 1] = inner[i];
        }
        calls[inner.length + 1] = settle;
        return UserOpLib.executeBatch(calls);
    }
}
