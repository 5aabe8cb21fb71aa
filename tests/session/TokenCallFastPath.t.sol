// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "../base/Test.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {TokenCallFastPath} from "../../contracts/session/TokenCallFastPath.sol";
import {CallDecoder} from "../../contracts/session/CallDecoder.sol";
import {PermissionChecks} from "../../contracts/session/PermissionChecks.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    PeriodicAllowance,
    NATIVE_ASSET,
    GRANT_ANY_TARGET,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";

/// @notice Runs the fast path and the general path (CallDecoder + PermissionChecks) on the same packed session and
///         `userOp.callData`, as the module does: the session is read in place from calldata.
contract FastPathHarness {
    /// @notice What an op spends, as both paths report it (PermissionChecks `charges`).
    struct Charges {
        uint256 native;
        uint256[] tokens;
        uint256[] periodic;
        uint256 settlement;
    }

    /// @notice The fast path's verdict: `taken` and, when taken, its charges.
    function fast(bytes calldata packed, bytes calldata callData, address account)
        external
        view
        returns (bool taken, Charges memory result)
    {
        if (callData.length != TokenCallFastPath.CALL_DATA_LENGTH) return (false, result);
        uint256 charges = TokenCallFastPath.charges(_at(packed), _at(callData), account);
        if (charges == 0) return (false, result);
        return (true, _read(charges));
    }

    /// @notice The general path's charges (reverts as the module would).
    function general(bytes calldata packed, bytes calldata callData, address account)
        external
        view
        returns (Charges memory)
    {
        (CallDecoder.Call[] memory calls, bool direct) = CallDecoder.decode(callData, account);
        return _read(PermissionChecks.check(_at(packed), keccak256(packed), calls, direct, account));
    }

    function _at(bytes calldata data) private pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := data.offset
        }
    }

    function _read(uint256 charges) private pure returns (Charges memory result) {
        result.native = PermissionChecks.nativeOf(charges);
        result.tokens = PermissionChecks.tokensOf(charges);
        result.periodic = PermissionChecks.periodicOf(charges);
        result.settlement = PermissionChecks.settlementToCheck(charges) ? 1 : 0;
    }
}

/// @notice TokenCallFastPath against the general path: taken for its shape, never for anything else the general path
///         would decide differently, and, whenever taken, exactly the general path's charges.
contract TokenCallFastPathTest is Test {
    address internal constant ACCOUNT = address(0xA11CE);
    address internal constant TOKEN = address(0x70C0);
    address internal constant OTHER_TOKEN = address(0x70C1);
    address internal constant RECIPIENT = address(0xB0B);
    address internal constant ENTRY_POINT_V07 = PermissionChecks.ENTRY_POINT_V07;
    address internal constant PERMIT2 = PermissionChecks.PERMIT2;
    bytes4 internal constant TRANSFER = PermissionChecks.ERC20_TRANSFER;
    bytes4 internal constant APPROVE = PermissionChecks.ERC20_APPROVE;
    bytes4 internal constant INCREASE_ALLOWANCE = PermissionChecks.ERC20_INCREASE_ALLOWANCE;
    bytes4 internal constant TRANSFER_FROM = PermissionChecks.ERC20_TRANSFER_FROM;

    FastPathHarness internal harness;

    function setUp() public {
        harness = new FastPathHarness();
    }

    // ----- The shape -----

    function test_fastPath_takenForEachSpendingSelector() public view {
        bytes4[3] memory selectors = [TRANSFER, APPROVE, INCREASE_ALLOWANCE];
        for (uint256 i; i < selectors.length; ++i) {
            bytes memory callData = _call(TOKEN, 0, abi.encodeWithSelector(selectors[i], RECIPIENT, 5 ether));
            (bool taken, FastPathHarness.Charges memory c) =
                harness.fast(_pack(_session()), callData, ACCOUNT);
            assertTrue(taken, "one spending call of a limited token takes the fast path");
            assertEq(c.tokens.length, 1, "one sum per token");
            assertEq(c.tokens[0], 5 ether, "the full amount is charged");
            _assertSameAsGeneral(_pack(_session()), callData);
        }
    }

    function test_fastPath_chargesTheTargetsEntry() public view {
        Session memory s = _session();
        s.tokens = new TokenAllowance[](2);
        s.tokens[0] = TokenAllowance(OTHER_TOKEN, 1 ether);
        s.tokens[1] = TokenAllowance(TOKEN, 100 ether);
        bytes memory callData = _transfer(TOKEN, 7);
        (bool taken, FastPathHarness.Charges memory c) = harness.fast(_pack(s), callData, ACCOUNT);
        assertTrue(taken, "a target that is tokens[1] takes the fast path");
        assertEq(c.tokens[0], 0, "tokens[0] is not charged");
        assertEq(c.tokens[1], 7, "tokens[1] is charged");
        _assertSameAsGeneral(_pack(s), callData);
    }

    function test_fastPath_takenWithAnExactSelectorGrant() public view {
        Session memory s = _session();
        s.calls[0] = CallGrant(TOKEN, TRANSFER, 0);
        assertTrue(_taken(s, _transfer(TOKEN, 1)), "a grant naming target and selector");
        s.calls[0] = CallGrant(TOKEN, APPROVE, 0);
        assertFalse(_taken(s, _transfer(TOKEN, 1)), "a grant for another selector");
    }

    // ----- Every way out of the shape -----

    function test_fastPath_notTakenOutsideItsShape() public view {
        Session memory s = _session();
        bytes memory data = abi.encodeWithSelector(TRANSFER, RECIPIENT, 1);
        // The call.
        assertFalse(_taken(s, _call(TOKEN, 1, data)), "native value");
        assertFalse(_taken(s, _call(OTHER_TOKEN, 0, data)), "a target outside tokens");
        assertFalse(_taken(s, _call(ACCOUNT, 0, data)), "the account");
        assertFalse(_taken(s, _call(address(0), 0, data)), "target 0 (the account)");
        assertFalse(
            _taken(s, _call(TOKEN, 0, abi.encodeWithSelector(TRANSFER_FROM, ACCOUNT, RECIPIENT, 1))),
            "transferFrom"
        );
        assertFalse(
            _taken(s, _call(TOKEN, 0, abi.encodeWithSelector(0x12345678, RECIPIENT, 1))), "another selector"
        );
        assertFalse(_taken(s, _call(TOKEN, 0, abi.encodePacked(data, uint8(0)))), "data longer than 68 bytes");
        assertFalse(
            _taken(s, _call(TOKEN, 0, abi.encodeWithSelector(TRANSFER, uint256(1) << 160 | 0xB0B, 1))),
            "a dirty address word"
        );
        // The encoding around it.
        bytes memory callData = _transfer(TOKEN, 1);
        assertFalse(_taken(s, _withWord(callData, 4, bytes32(uint256(1) << 240))), "exec type try");
        assertFalse(_taken(s, _withWord(callData, 4, bytes32(uint256(1) << 248))), "call type batch");
        assertFalse(_taken(s, _withWord(callData, 36, bytes32(uint256(0x60)))), "offset other than 0x40");
        assertFalse(_taken(s, _withWord(callData, 68, bytes32(uint256(119)))), "length other than 120");
        assertFalse(_taken(s, _withWord(callData, 196, bytes32(uint256(1)))), "dirty padding");
        assertFalse(_taken(s, abi.encodePacked(callData, uint8(0))), "a trailing byte");
        Execution[] memory batch = new Execution[](1);
        batch[0] = Execution(TOKEN, 0, data);
        assertFalse(_taken(s, UserOpLib.executeBatch(batch)), "a batch of one");
        // The session.
        Session memory root = _session();
        root.root = true;
        assertFalse(_taken(root, callData), "a root session");
        Session memory periodic = _session();
        periodic.periodic = new PeriodicAllowance[](1);
        periodic.periodic[0] = PeriodicAllowance(TOKEN, 1 ether);
        periodic.period = 1 days;
        assertFalse(_taken(periodic, callData), "a periodic allowance");
        Session memory anyTarget = _session();
        anyTarget.calls[0] = CallGrant(address(0), bytes4(0), GRANT_ANY_TARGET | GRANT_ANY_SELECTOR);
        assertFalse(_taken(anyTarget, callData), "only an ANY-target grant (the account must be asked)");
        anyTarget.calls[0] = CallGrant(TOKEN, bytes4(0), GRANT_ANY_TARGET | GRANT_ANY_SELECTOR);
        assertFalse(_taken(anyTarget, callData), "an ANY-target grant whose target field names the token");
        Session memory noGrant = _session();
        noGrant.calls = new CallGrant[](0);
        assertFalse(_taken(noGrant, callData), "no grant");
    }

    function test_fastPath_neverTakesADeniedTarget() public view {
        address[5] memory denied = [
            address(harness),
            ENTRY_POINT_V07,
            PermissionChecks.ENTRY_POINT_V08,
            PermissionChecks.ENTRY_POINT_V09,
            PermissionChecks.ENTRY_POINT_V06
        ];
        for (uint256 i; i < denied.length; ++i) {
            assertFalse(
                _taken(_sessionFor(denied[i]), _transfer(denied[i], 1)), "a denied target named as a token"
            );
        }
        assertFalse(_taken(_sessionFor(PERMIT2), _transfer(PERMIT2, 1)), "Permit2 named as a token");
        assertFalse(_taken(_sessionFor(ACCOUNT), _transfer(ACCOUNT, 1)), "the account named as a token");
        assertFalse(
            _taken(_sessionFor(address(0)), _transfer(address(0), 1)), "0 (the account) named as a token"
        );
        assertFalse(_taken(_sessionFor(NATIVE_ASSET), _transfer(NATIVE_ASSET, 1)), "NATIVE_ASSET");
    }

    // ----- Differential -----

    /// @dev Random sessions and calls around the shape: whenever the fast path is taken, the general path accepts
    ///      the op with the same charges.
    function testFuzz_fastPath_agreesWithGeneral(
        uint8 targetChoice,
        uint8 selectorChoice,
        uint8 grantChoice,
        uint8 sessionChoice,
        uint96 value,
        uint128 amount,
        uint8 encodingChoice
    ) public view {
        address[8] memory targets = [
            TOKEN, OTHER_TOKEN, ACCOUNT, address(0), ENTRY_POINT_V07, address(harness), PERMIT2, NATIVE_ASSET
        ];
        address target = targets[targetChoice % 8];
        bytes4[5] memory selectors =
            [TRANSFER, APPROVE, INCREASE_ALLOWANCE, TRANSFER_FROM, bytes4(0xdeadbeef)];
        bytes4 selector = selectors[selectorChoice % 5];
        Session memory s = _sessionFor(sessionChoice % 3 == 2 ? target : TOKEN);
        if (sessionChoice % 4 == 1) {
            s.tokens = new TokenAllowance[](2);
            s.tokens[0] = TokenAllowance(OTHER_TOKEN, 1 ether);
            s.tokens[1] = TokenAllowance(TOKEN, 2 ether);
        }
        if (sessionChoice % 5 == 3) s.root = true;
        if (sessionChoice % 7 == 6) {
            s.periodic = new PeriodicAllowance[](1);
            s.periodic[0] = PeriodicAllowance(TOKEN, 1 ether);
            s.period = 1 days;
        }
        s.calls = new CallGrant[](2);
        s.calls[0] = _grant(grantChoice % 6, target, selector);
        s.calls[1] = _grant((grantChoice / 6) % 6, target, selector);
        bytes memory data = selector == TRANSFER_FROM
            ? abi.encodeWithSelector(selector, ACCOUNT, RECIPIENT, amount)
            : abi.encodeWithSelector(selector, RECIPIENT, amount);
        bytes memory callData = _call(target, encodingChoice % 4 == 1 ? value : 0, data);
        if (encodingChoice % 5 == 2) callData = _withWord(callData, 196, bytes32(uint256(encodingChoice)));
        if (encodingChoice % 6 == 3) callData = _withWord(callData, 4, bytes32(uint256(1) << 240));
        (bool taken,) = harness.fast(_pack(s), callData, ACCOUNT);
        if (taken) _assertSameAsGeneral(_pack(s), callData);
    }

    // ----- Helpers -----

    function _assertSameAsGeneral(bytes memory packed, bytes memory callData) internal view {
        (bool taken, FastPathHarness.Charges memory fast) = harness.fast(packed, callData, ACCOUNT);
        assertTrue(taken, "fast path taken");
        FastPathHarness.Charges memory general = harness.general(packed, callData, ACCOUNT);
        assertEq(fast.native, general.native, "native value");
        assertEq(abi.encode(fast.tokens), abi.encode(general.tokens), "token sums");
        assertEq(abi.encode(fast.periodic), abi.encode(general.periodic), "periodic sums");
        assertEq(fast.settlement, general.settlement, "settlement flag");
    }

    function _taken(Session memory s, bytes memory callData) internal view returns (bool taken) {
        (taken,) = harness.fast(_pack(s), callData, ACCOUNT);
    }

    function _session() internal pure returns (Session memory s) {
        return _sessionFor(TOKEN);
    }

    /// @dev A session limiting `token` (allowance 100 ether) with an exact ANY-selector grant on it.
    function _sessionFor(address token) internal pure returns (Session memory s) {
        s.signer = address(0x5E55);
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(token, bytes4(0), GRANT_ANY_SELECTOR);
        s.tokens = new TokenAllowance[](1);
        s.tokens[0] = TokenAllowance(token, 100 ether);
    }

    /// @dev Grant kinds: 0 exact ANY-selector, 1 exact `selector`, 2 exact other selector, 3 ANY-target ANY-selector
    ///      whose target field names `target` (ignored, but a fast path reading it as exact would skip the module question),
    ///      4 ANY-target `selector`, 5 exact on another target.
    function _grant(uint256 kind, address target, bytes4 selector) internal pure returns (CallGrant memory) {
        if (kind == 0) return CallGrant(target, bytes4(0), GRANT_ANY_SELECTOR);
        if (kind == 1) return CallGrant(target, selector, 0);
        if (kind == 2) return CallGrant(target, bytes4(0x0badf00d), 0);
        if (kind == 3) return CallGrant(target, bytes4(0), GRANT_ANY_TARGET | GRANT_ANY_SELECTOR);
        if (kind == 4) return CallGrant(address(0), selector, GRANT_ANY_TARGET);
        return CallGrant(RECIPIENT, bytes4(0), GRANT_ANY_SELECTOR);
    }

    function _transfer(address token, uint256 amount) internal pure returns (bytes memory) {
        return _call(token, 0, abi.encodeWithSelector(TRANSFER, RECIPIENT, amount));
    }

    function _call(address target, uint256 value, bytes memory data) internal pure returns (bytes memory) {
        return UserOpLib.executeSingle(target, value, data);
    }

    function _pack(Session memory s) internal pure returns (bytes memory) {
        return SessionPacking.pack(s);
    }

    /// @dev `callData` with the word at byte `at` replaced.
    function _withWord(bytes memory callData, uint256 at, bytes32 word)
        internal
        pure
        returns (bytes memory copy)
    {
        copy = bytes.concat(callData);
        assembly ("memory-safe") {
            mstore(add(add(copy, 0x20), at), word)
        }
    }
}
