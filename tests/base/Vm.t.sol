// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "./Test.sol";
import {Vm} from "./Vm.sol";

/// @notice Reverts with a custom error, a string, or not at all.
contract Reverter {
    error Custom(uint256 code);
    error Bare();

    event Ping(uint256 indexed id, string note);

    function custom() external pure {
        revert Custom(7);
    }

    function bare() external pure {
        revert Bare();
    }

    function message() external pure {
        revert("nope");
    }

    function ping(uint256 id) external {
        emit Ping(id, "hello");
    }

    function whoCalls() external view returns (address sender, address origin) {
        return (msg.sender, tx.origin);
    }
}

/// @notice Every cheatcode declared in Vm.sol is called once: a wrong signature fails here, not in a module test.
contract VmTest is Test {
    event Ping(uint256 indexed id, string note);

    Reverter private reverter;

    function setUp() public {
        reverter = new Reverter();
    }

    function test_environment() public {
        vm.warp(1_000_000);
        assertEq(block.timestamp, 1_000_000, "warp");
        vm.roll(42);
        assertEq(block.number, 42, "roll");
        vm.chainId(8453);
        assertEq(block.chainid, 8453, "chainId");
        address someone = makeAddr("someone");
        vm.deal(someone, 3 ether);
        assertEq(someone.balance, 3 ether, "deal");
        vm.label(someone, "someone else");
    }

    function test_prank() public {
        address alice = makeAddr("alice");
        vm.prank(alice);
        (address sender,) = reverter.whoCalls();
        assertEq(sender, alice, "prank");
        (sender,) = reverter.whoCalls();
        assertEq(sender, address(this), "prank lasts one call");

        vm.prank(alice, alice);
        (address s2, address origin) = reverter.whoCalls();
        assertEq(s2, alice, "prank sender");
        assertEq(origin, alice, "prank origin");

        vm.startPrank(alice);
        (sender,) = reverter.whoCalls();
        assertEq(sender, alice, "startPrank 1");
        (sender,) = reverter.whoCalls();
        assertEq(sender, alice, "startPrank 2");
        vm.stopPrank();
        (sender,) = reverter.whoCalls();
        assertEq(sender, address(this), "stopPrank");
    }

    function test_codeAndStorage() public {
        address where = makeAddr("where");
        vm.etch(where, hex"600160005260206000f3");
        assertEq(where.code, hex"600160005260206000f3", "etch");
        vm.store(where, bytes32(uint256(5)), bytes32(uint256(99)));
        assertEq(vm.load(where, bytes32(uint256(5))), bytes32(uint256(99)), "store/load");
        bytes memory creation = vm.getCode("Vm.t.sol:Reverter");
        assertEq(keccak256(creation), keccak256(type(Reverter).creationCode), "getCode");
    }

    function test_keys() public pure {
        uint256 key = 0xA11CE;
        address signer = vm.addr(key);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256("m"));
        assertEq(ecrecover(keccak256("m"), v, r, s), signer, "sign/addr");
    }

    function test_expectRevert_variants() public {
        vm.expectRevert();
        reverter.custom();
        vm.expectRevert(Reverter.Bare.selector);
        reverter.bare();
        vm.expectPartialRevert(Reverter.Custom.selector);
        reverter.custom();
        vm.expectRevert(abi.encodeWithSelector(Reverter.Custom.selector, 7));
        reverter.custom();
        vm.expectRevert(bytes("nope"));
        reverter.message();
    }

    function test_expectEmit_variants() public {
        vm.expectEmit();
        emit Ping(1, "hello");
        reverter.ping(1);
        vm.expectEmit(true, false, false, false);
        emit Ping(2, "ignored");
        reverter.ping(2);
        vm.expectEmit(address(reverter));
        emit Ping(3, "hello");
        reverter.ping(3);
    }

    function test_recordLogs() public {
        vm.recordLogs();
        reverter.ping(9);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        assertEq(logs[0].emitter, address(reverter), "emitter");
        assertEq(logs[0].topics[0], keccak256("Ping(uint256,string)"), "topic0");
        assertEq(logs[0].topics[1], bytes32(uint256(9)), "topic1");
        assertEq(abi.decode(logs[0].data, (string)), "hello", "data");
    }

    function test_files() public view {
        string memory json = vm.readFile("node_modules/aa-v07/artifacts/EntryPoint.json");
        bytes memory code = vm.parseJsonBytes(json, ".bytecode");
        assertGt(code.length, 1000, "EntryPoint creation code");
        assertGt(bytes(vm.projectRoot()).length, 0, "projectRoot");
        assertEq(vm.envOr("LEASH_SURELY_UNSET_VARIABLE", uint256(17)), 17, "envOr default");
    }

    function test_stateSnapshots() public {
        address who = makeAddr("who");
        uint256 id = vm.snapshotState();
        vm.deal(who, 1 ether);
        assertTrue(vm.revertToState(id), "reverted");
        assertEq(who.balance, 0, "state restored");
    }

    function testFuzz_assume(uint256 x) public pure {
        vm.assume(x % 2 == 0);
        assertEq(x % 2, 0, "assume filtered odd inputs");
    }
}
