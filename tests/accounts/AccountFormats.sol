// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMatrixAccount, IValidatorList, IERC5267} from "./AccountInterfaces.sol";

/// @dev The account implementations of the matrix.
enum AccountKind {
    OpenZeppelin,
    MSAAdvanced,
    Nexus,
    Safe7579,
    Kernel
}

/// @title AccountFormats
/// @notice What each account reads from an op and a module call: the nonce key that selects a validator, the
///         install/uninstall data of a validator, and the ERC-1271 signature (and hash) it routes to one.
/// @dev Note: these are the layouts the deployed bytecode decodes (checked by every matrix test, which goes
///      through the real EntryPoint v0.7); the Rust profiles in crates/userop/src/account.rs mirror them.
///      - OpenZeppelin, MSAAdvanced, Safe7579: key = validator(20) ‖ 4 free bytes.
///      - Nexus 1.0.1: key = 3 zero bytes ‖ mode(1) ‖ validator(20) (mode 0x00 = validate).
///      - Kernel v3.1: key = mode(1) ‖ type(1) ‖ validator(20) ‖ key(2); type 0x00 = the root validator
///        (validator bytes ignored), 0x01 = a secondary validator.
library AccountFormats {
    /// @dev Kernel v3.1: `keccak256("Kernel(bytes32 hash)")`, the struct its ERC-1271 wraps a hash in.
    bytes32 internal constant KERNEL_WRAPPER_TYPE_HASH =
        0x1547321c374afde8a591d972a084b071c594c275e36724931ff96c25f2999c83;
    /// @dev `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
    bytes32 internal constant DOMAIN_TYPE_HASH =
        0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f;
    /// @dev ERC-7579 `execute(bytes32,bytes)`: the selector Kernel must allow for a secondary validator.
    bytes4 internal constant EXECUTE_SELECTOR = 0xe9ae5c53;
    /// @dev The sentinel of the linked validator lists (MSAAdvanced, Nexus, Safe7579).
    address internal constant SENTINEL = address(1);

    /// @dev The EntryPoint nonce key that makes `kind` validate an op with `validator` (`root` only matters
    ///      on Kernel, where the root validator is selected by type 0x00).
    function nonceKey(AccountKind kind, address validator, bool root) internal pure returns (uint192) {
        if (kind == AccountKind.Nexus) return uint192(uint160(validator));
        if (kind == AccountKind.Kernel) {
            if (root) return 0;
            return uint192(0x01) << 176 | uint192(uint160(validator)) << 16;
        }
        return uint192(uint160(validator)) << 32;
    }

    /// @dev The `installModule(1, module, ·)` data that makes `kind` call `onInstall(moduleData)`.
    ///      Kernel: `hook(20) ‖ abi.encode(validatorData, hookData, selectorData)`, no hook (it stores
    ///      address(1)) and `execute` allowed for the validator.
    function installData(AccountKind kind, bytes memory moduleData) internal pure returns (bytes memory) {
        if (kind == AccountKind.Kernel) {
            return abi.encodePacked(
                address(0), abi.encode(moduleData, bytes(""), abi.encodePacked(EXECUTE_SELECTOR))
            );
        }
        return moduleData;
    }

    /// @dev The `uninstallModule(1, module, ·)` data of `kind` for `module` installed on `account`: the
    ///      sentinel-list accounts want `abi.encode(previous, deInitData)`.
    function uninstallData(AccountKind kind, address account, address module)
        internal
        view
        returns (bytes memory)
    {
        if (kind == AccountKind.OpenZeppelin || kind == AccountKind.Kernel) return "";
        (address[] memory list,) = IValidatorList(account).getValidatorsPaginated(SENTINEL, 32);
        address previous = SENTINEL;
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == module) return abi.encode(previous, bytes(""));
            previous = list[i];
        }
        revert("AccountFormats: module not in the validator list");
    }

    /// @dev The hash `kind`'s ERC-1271 hands its validator for `hash` (Kernel wraps it in its EIP-712 domain).
    function erc1271Hash(AccountKind kind, address account, bytes32 hash) internal view returns (bytes32) {
        if (kind != AccountKind.Kernel) return hash;
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            IERC5267(account).eip712Domain();
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPE_HASH,
                keccak256(bytes(name)),
                keccak256(bytes(version)),
                chainId,
                verifyingContract
            )
        );
        return
            keccak256(
                abi.encodePacked(hex"1901", domain, keccak256(abi.encode(KERNEL_WRAPPER_TYPE_HASH, hash)))
            );
    }

    /// @dev The ERC-1271 signature bytes that route `validatorSignature` to `validator` (Kernel: the root
    ///      validator, selected by the type byte 0x00).
    function erc1271Signature(AccountKind kind, address validator, bytes memory validatorSignature)
        internal
        pure
        returns (bytes memory)
    {
        if (kind == AccountKind.Kernel) return abi.encodePacked(bytes1(0x00), validatorSignature);
        return abi.encodePacked(validator, validatorSignature);
    }
}
