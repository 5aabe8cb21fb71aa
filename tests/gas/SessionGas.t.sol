// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {SessionTestBase} from "../session/SessionTestBase.sol";
import {UserOpLib} from "../utils/UserOpLib.sol";
import {VM_ADDRESS} from "../base/Vm.sol";
import {VmGas} from "./VmGas.sol";
import {Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PullRouter} from "../fixtures/PullRouter.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    GRANT_ANY_SELECTOR
} from "../../contracts/session/SessionTypes.sol";

/// @notice Gas of one full `handleOps` (EntryPoint v0.7, one op) for the owner and for session keys, measured
///         the way a real bundle pays it: steady state (an earlier op of the same kind already ran, so the
///         account, token balances and session counters are non-zero) but cold (first access in the bundle's
///         transaction). Every op is sponsored by the same AcceptAllPaymaster so the comparison is like for
///         like. Snapshots land in snapshots/SessionGasTest.json; CI checks them with FORGE_SNAPSHOT_CHECK=true.
/// @dev Note: forge runs `setUp` and each test as separate transactions, so the warm-up ops live in `setUp`:
///      the measured op then sees committed storage (cold SLOADs at 2,100, non-zero SSTOREs at 2,900, as on
///      chain). Building the measured op reads the EntryPoint (nonce, userOpHash), which a real bundle has warm
///      anyway (it is the transaction's target); digests are computed here rather than through the module's
///      views so the module stays untouched; `vm.cool` then re-colds every contract the op will touch.
contract SessionGasTest is SessionTestBase {
    PullRouter private router;

    uint256 private constant AMOUNT = 1 ether;
    uint256 private constant ENABLE_NONCE = 7;
    /// @dev settle(uint32,bytes)
    bytes4 private constant SETTLE = 0x9edb9baf;
    bytes32 private constant SESSION_OP_TYPEHASH =
        keccak256("LeashSessionOp(bytes32 userOpHash,bytes32 sessionId,uint32 periodIndex)");

    /// @dev Warm-up ops, each in `setUp`'s own transaction: one owner op, one op of each session.
    function setUp() public override {
        super.setUp();
        submit(entryPointV07, _ownerOp(tokenTransfer(AMOUNT)));
        Session memory erc20 = _erc20Session();
        create(accountV07, erc20);
        submit(entryPointV07, _sessionOp(erc20, tokenTransfer(AMOUNT)));
        Session memory native = nativeSession(10 ether);
        create(accountV07, native);
        submit(entryPointV07, _sessionOp(native, single(recipient, AMOUNT / 100, "")));
        // A router holding an unlimited approval the owner gave before any session (rule 16's case).
        router = new PullRouter();
        vm.prank(address(accountV07));
        token.approve(address(router), type(uint256).max);
        Session memory settled = _routerSession(true);
        create(accountV07, settled);
        submit(entryPointV07, _sessionOp(settled, _settledSwap(settled)));
        Session memory unlimited = _routerSession(false);
        create(accountV07, unlimited);
        submit(entryPointV07, _sessionOp(unlimited, _swap()));
    }

    /// @dev A router swap (pull through the earlier approval) in a session that limits the token: settled.
    function test_gas_sessionRouterSwapSettled() public {
        Session memory s = _routerSession(true);
        _measure(_sessionOp(s, _settledSwap(s)), "Session_UserOp_RouterSwapSettled");
    }

    /// @dev The same swap in a session that limits no token: no settlement (the baseline of the one above).
    function test_gas_sessionRouterSwapUnlimited() public {
        _measure(_sessionOp(_routerSession(false), _swap()), "Session_UserOp_RouterSwapUnlimited");
    }

    function test_gas_ownerErc20Transfer() public {
        _measure(_ownerOp(tokenTransfer(AMOUNT)), "Owner_UserOp_Erc20Transfer");
    }

    function test_gas_sessionErc20Transfer() public {
        _measure(_sessionOp(_erc20Session(), tokenTransfer(AMOUNT)), "Session_UserOp_Erc20Transfer");
    }

    function test_gas_sessionErc20TransferBatch3() public {
        uint256[] memory amounts = new uint256[](3);
        amounts[0] = AMOUNT;
        amounts[1] = AMOUNT;
        amounts[2] = AMOUNT;
        _measure(_sessionOp(_erc20Session(), tokenTransfers(amounts)), "Session_UserOp_Erc20TransferBatch3");
    }

    function test_gas_sessionNativeTransfer() public {
        _measure(
            _sessionOp(nativeSession(10 ether), single(recipient, AMOUNT / 100, "")),
            "Session_UserOp_NativeTransfer"
        );
    }

    function test_gas_sessionEnableAndErc20Transfer() public {
        Session memory s = _erc20Session();
        s.salt = keccak256("enabled in its first op");
        bytes32 id = idOf(s);
        PackedUserOperation memory op = unsignedOp(entryPointV07, tokenTransfer(AMOUNT), true);
        bytes memory grant = abi.encodePacked(
            address(ownerValidator),
            UserOpLib.signDigest(ownerKey, _enableDigest(address(accountV07), id, ENABLE_NONCE))
        );
        op.signature = envelope(FLAG_ENABLE, 0, _sessionSig(op, id), s, ENABLE_NONCE, grant);
        _measure(op, "Session_UserOp_EnableAndErc20Transfer");
        assertEq(module.statusOf(address(accountV07), id), 1, "enabled");
    }

    // ----- Helpers -----

    /// @dev Cools everything the op touches, submits it and records the gas of `handleOps`.
    function _measure(PackedUserOperation memory op, string memory name) private {
        VmGas cheats = VmGas(VM_ADDRESS);
        cheats.cool(address(entryPointV07));
        cheats.cool(address(accountV07));
        cheats.cool(address(module));
        cheats.cool(address(ownerValidator));
        cheats.cool(address(token));
        cheats.cool(address(paymaster));
        cheats.cool(recipient);
        cheats.cool(beneficiary);
        if (address(router) != address(0)) cheats.cool(address(router));
        submit(entryPointV07, op);
        vm.snapshotGasLastCall(name);
    }

    /// @dev An erc20-allowance + window + use-limit session.
    function _erc20Session() private view returns (Session memory s) {
        s = tokenSession(1_000_000 ether);
        s.validAfter = 1;
        s.validUntil = uint48((1 << 47) - 1);
        s.maxUses = 1000;
    }

    /// @dev Any call on the router; with `limited`, a token cap too (so router calls must be settled).
    function _routerSession(bool limited) private view returns (Session memory s) {
        s = baseSession();
        s.calls = new CallGrant[](1);
        s.calls[0] = CallGrant(address(router), bytes4(0), GRANT_ANY_SELECTOR);
        if (limited) {
            s.tokens = new TokenAllowance[](1);
            s.tokens[0] = TokenAllowance(address(token), 1_000_000 ether);
        }
    }

    /// @dev `execute` of one router swap pulling AMOUNT of the token.
    function _swap() private view returns (bytes memory) {
        return single(
            address(router), 0, abi.encodeCall(PullRouter.swap, (IERC20(address(token)), AMOUNT, token, 0))
        );
    }

    /// @dev The same swap wrapped in the module's settle calls (period 0).
    function _settledSwap(Session memory s) private view returns (bytes memory) {
        Execution[] memory calls = new Execution[](3);
        bytes memory settle = abi.encodeWithSelector(SETTLE, uint32(0), packOf(s));
        calls[0] = Execution(address(module), 0, settle);
        calls[1] = Execution(
            address(router), 0, abi.encodeCall(PullRouter.swap, (IERC20(address(token)), AMOUNT, token, 0))
        );
        calls[2] = Execution(address(module), 0, settle);
        return UserOpLib.executeBatch(calls);
    }

    /// @dev A sponsored owner op.
    function _ownerOp(bytes memory callData) private view returns (PackedUserOperation memory op) {
        address account = address(accountV07);
        op = UserOpLib.newOp(
            account, UserOpLib.nextNonce(entryPointV07, account, address(ownerValidator), 0), callData
        );
        op.paymasterAndData =
            UserOpLib.packPaymasterAndData(address(paymaster), PM_VERIFICATION_GAS, PM_POST_OP_GAS, "");
        op.signature = UserOpLib.signOp(entryPointV07, op, ownerKey);
    }

    /// @dev A sponsored op of session `s` in period 0, signed without calling the module.
    function _sessionOp(Session memory s, bytes memory callData)
        private
        view
        returns (PackedUserOperation memory op)
    {
        op = unsignedOp(entryPointV07, callData, true);
        bytes32 id = idOf(s);
        op.signature = envelope(0, 0, _sessionSig(op, id), s, 0, "");
    }

    /// @dev The session key's signature of `op` for session `id`, period 0 (the module's `opDigest`).
    function _sessionSig(PackedUserOperation memory op, bytes32 id) private view returns (bytes memory) {
        bytes32 digest =
            keccak256(abi.encode(SESSION_OP_TYPEHASH, UserOpLib.hash(entryPointV07, op), id, uint32(0)));
        return UserOpLib.signDigest(sessionKey, digest);
    }

    /// @dev The module's EIP-712 enable digest, computed here.
    function _enableDigest(address account, bytes32 id, uint256 nonce) private view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("LeashSessionKeyValidator"),
                keccak256("1"),
                block.chainid,
                address(module)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("EnableSession(address account,bytes32 sessionId,uint256 nonce)"),
                account,
                id,
                nonce
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }
}
