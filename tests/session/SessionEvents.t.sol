// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {Vm} from "../base/Vm.sol";
import {SessionTestBase} from "./SessionTestBase.sol";
import {Session} from "../../contracts/session/SessionTypes.sol";
import {SessionUsed, SessionUsedAndCharged} from "../../contracts/session/SessionEvents.sol";

/// @notice The per-op use events carry what an indexer needs to rebuild the counters (format in SessionEvents).
contract SessionEventsTest is SessionTestBase {
    /// @dev The one use event the module emitted during the last `handleOps`.
    function _useEvent() private returns (Vm.Log memory found) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 count;
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(module)
                    && (logs[i].topics[0] == SessionUsed.selector
                        || logs[i].topics[0] == SessionUsedAndCharged.selector)
            ) {
                found = logs[i];
                ++count;
            }
        }
        assertEq(count, 1, "one use event per op");
    }

    function test_events_tokenOnlyOpEmitsUsage() public {
        Session memory s = tokenSession(100 ether);
        bytes32 id = create(accountV07, s);
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(3 ether)));
        vm.recordLogs();
        submit(entryPointV07, sessionOp(entryPointV07, s, tokenTransfer(5 ether)));
        Vm.Log memory log = _useEvent();
        assertEq(log.topics[0], SessionUsed.selector);
        assertEq(log.topics[1], bytes32(uint256(uint160(address(accountV07)))));
        assertEq(log.topics[2], id);
        assertEq(
            abi.decode(log.data, (uint256)), (uint256(2) << 192) | 5 ether, "uses 2, tokens[0] charged 5"
        );
    }

    function test_events_otherChargesGoToExtras() public {
        Session memory s = nativeSession(10 ether);
        s.period = 1 days;
        s.periodStart = 1;
        bytes32 id = create(accountV07, s);
        uint32 periodIndex = 3;
        vm.warp(1 + 3 days + 60);
        uint256 value = 0.25 ether;
        PackedUserOperation memory op = unsignedOp(entryPointV07, single(recipient, value, ""), true);
        sign(entryPointV07, op, s, periodIndex, sessionKey);
        vm.recordLogs();
        submit(entryPointV07, op);
        Vm.Log memory log = _useEvent();
        assertEq(log.topics[0], SessionUsedAndCharged.selector);
        assertEq(log.topics[2], id);
        (uint256 usage, uint256[] memory extras) = abi.decode(log.data, (uint256, uint256[]));
        assertEq(usage, (uint256(periodIndex) << 224) | (uint256(1) << 192), "period 3, uses 1, no token");
        assertEq(extras.length, 1);
        assertEq(extras[0], (uint256(1) << 248) | value, "kind 1 native, index 0");
    }
}
