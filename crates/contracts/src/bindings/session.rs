//! The session-key validator module: its types (contracts/session/SessionTypes.sol) and its
//! external functions (the fixed interface agreed with the Solidity side).

use alloy::{
    primitives::{address, Address},
    sol,
};

/// Sentinel asset that stands for the native token in periodic allowances
/// (`NATIVE_ASSET` in SessionTypes.sol).
pub const NATIVE_ASSET: Address = address!("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
/// `CallGrant.flags` bit: the grant matches any target (`GRANT_ANY_TARGET`).
pub const GRANT_ANY_TARGET: u8 = 0x01;
/// `CallGrant.flags` bit: the grant matches any selector (`GRANT_ANY_SELECTOR`).
pub const GRANT_ANY_SELECTOR: u8 = 0x02;
/// ERC-7579 module type of a validator.
pub const MODULE_TYPE_VALIDATOR: u64 = 1;

sol! {
    /// `call(target, selector)`; a call with empty call data has selector `0x00000000`.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct CallGrant {
        address target;
        bytes4 selector;
        uint8 flags;
    }

    /// `erc20-allowance(token, amount)`, cumulative over the session's life.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct TokenAllowance {
        address token;
        uint256 amount;
    }

    /// `periodic-allowance(asset, amount)` per period of the session's schedule.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct PeriodicAllowance {
        address asset;
        uint256 amount;
    }

    /// Everything a session is granted; `sessionId = keccak256(toPackedSession(session))`.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Session {
        address signer;
        uint48 validAfter;
        uint48 validUntil;
        uint32 maxUses;
        bool root;
        uint48 period;
        uint48 periodStart;
        uint32 rateLimit;
        uint256 nativeAllowance;
        uint256 feeBudget;
        uint256 gasBudget;
        CallGrant[] calls;
        bytes4[] accountSelectors;
        TokenAllowance[] tokens;
        PeriodicAllowance[] periodic;
        address[] paymasters;
        bytes32 salt;
    }

    /// The session-key validator's external functions (`msg.sender` is the account for every
    /// state-changing call). Errors are decoded from the module's compiled ABI
    /// (`leash_contracts::artifact`), which is the authority on their fields.
    #[derive(Debug, PartialEq, Eq)]
    interface ISessionKeyValidator {
        /// What is left of a session; `type(uint256).max` means "no limit". `tokensLeft[i]` is
        /// for `session.tokens[i]`, `periodicLeft[i]` for `session.periodic[i]` in the asked
        /// period; `validAfter`/`validUntil` is the window an op of that period gets.
        struct Remaining {
            uint8 status;
            uint256 usesLeft;
            uint256 nativeLeft;
            uint256[] tokensLeft;
            uint256[] periodicLeft;
            uint256 rateLeft;
            uint256 feeLeft;
            uint256 gasLeft;
            uint48 validAfter;
            uint48 validUntil;
        }

        /// `data` empty, or `abi.encode(Session[])` created at install.
        function onInstall(bytes calldata data) external;
        /// Kills every session and counter of the caller.
        function onUninstall(bytes calldata data) external;
        /// True only for 1 (validator).
        function isModuleType(uint256 moduleTypeId) external view returns (bool);
        /// Whether `account` installed the module.
        function isInitialized(address account) external view returns (bool);
        /// Grants `session` to the caller; returns its id.
        function grantSession(Session calldata session) external returns (bytes32 sessionId);
        /// Pauses a session (ops fail validation until resumed).
        function pauseSession(bytes32 id) external;
        /// Resumes a paused session.
        function resumeSession(bytes32 id) external;
        /// Revokes a session for good.
        function revokeSession(bytes32 id) external;
        /// Burns an enable-grant nonce before it is used.
        function invalidateEnableNonce(uint256 nonce) external;
        /// `keccak256(toPackedSession(session))`.
        function computeSessionId(Session calldata session) external view returns (bytes32);
        /// The packed encoding of `session` (what the id hashes and an op's envelope carries);
        /// reverts `SessionListTooLong(field, length, 255)` for a list over 255 entries.
        function toPackedSession(Session calldata session) external view returns (bytes memory);
        /// 0 none, 1 active, 2 paused, 3 revoked.
        function statusOf(address account, bytes32 id) external view returns (uint8);
        /// What is left of `session` on `account` in period `periodIndex`.
        function remainingOf(address account, Session calldata session, uint32 periodIndex)
            external view returns (Remaining memory);
        /// The digest the session key signs for an op.
        function opDigest(bytes32 userOpHash, bytes32 id, uint32 periodIndex) external view returns (bytes32);
        /// The EIP-712 digest the owner signs to enable a session inside an op.
        function enableDigest(address account, bytes32 id, uint256 nonce) external view returns (bytes32);
        /// Whether `(account, nonce)` was used or invalidated.
        function enableNonceUsed(address account, uint256 nonce) external view returns (bool);
        /// The install generation of the module on `account` (how many times it was
        /// uninstalled); an enable grant's nonce carries it in its top 32 bits.
        function installGeneration(address account) external view returns (uint32);
        /// Always `0xffffffff`: sessions never sign ERC-1271 messages.
        function isValidSignatureWithSender(address sender, bytes32 hash, bytes calldata signature)
            external view returns (bytes4);

        /// A session was created (`enabled`: by an owner enable grant carried in an op);
        /// `packedSession` is its packed encoding (`sessionId == keccak256(packedSession)`).
        event SessionCreated(
            address indexed account,
            bytes32 indexed sessionId,
            bool enabled,
            bytes packedSession
        );
    }
}
