// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SessionTypes
/// @notice The data a session is made of. One file, shared by the module, its tests and the Rust
///         bindings (crates/contracts), so the on-chain and off-chain formats cannot drift.
/// @dev The session id is `keccak256(SessionPacking.pack(session))`: the packed encoding is canonical and
///      commits to every field, so a session carried in an op's signature envelope (packed) is proven equal to
///      the granted one by its id alone.
///      `salt` lets an owner grant the same permissions twice under different ids.

/// @dev Sentinel asset address that stands for the chain's native token in periodic allowances.
address constant NATIVE_ASSET = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

/// @dev `CallGrant.flags` bit: the grant matches any target (SPEC: contract-access ANY).
uint8 constant GRANT_ANY_TARGET = 0x01;
/// @dev `CallGrant.flags` bit: the grant matches any selector (SPEC: functions-on-all-contracts).
uint8 constant GRANT_ANY_SELECTOR = 0x02;

/// @notice `call(target, selector)`. A call with empty call data has selector `0x00000000`.
struct CallGrant {
    address target;
    bytes4 selector;
    uint8 flags;
}

/// @notice `erc20-allowance(token, amount)`: cumulative over the session's life.
struct TokenAllowance {
    address token;
    uint256 amount;
}

/// @notice `periodic-allowance(asset, amount)`: at most `amount` per period of the session's
///         schedule (`Session.period`, `Session.periodStart`); nothing rolls over.
///         `asset == NATIVE_ASSET` is the native token.
struct PeriodicAllowance {
    address asset;
    uint256 amount;
}

/// @notice Everything a session is granted. Zero means "not granted" for every budget field
///         except where noted.
struct Session {
    /// The session key (secp256k1 address).
    address signer;
    /// Window: ops validate only between validAfter and validUntil, as the EntryPoint applies the
    /// returned validation data: v0.7 accepts [validAfter, validUntil], v0.8 (a later release)
    /// (validAfter, validUntil], so on v0.8 the first second of a window is not usable.
    uint48 validAfter;
    uint48 validUntil;
    /// Use limit: at most this many ops over the session's life; 0 = no limit.
    uint32 maxUses;
    /// `root`: every call is allowed; window, uses and fee rules still apply.
    bool root;
    /// Periodic schedule shared by `periodic` allowances and the rate limit:
    /// period `i` is [periodStart + i*period, periodStart + (i+1)*period - 1]. period 0 = none.
    uint48 period;
    uint48 periodStart;
    /// `rate-limit(count, period)`: at most `rateLimit` ops per period; 0 = no rate limit.
    uint32 rateLimit;
    /// `native-allowance(amount)`: cumulative native value; 0 = no native value at all.
    uint256 nativeAllowance;
    /// `fee-budget(wei)`: cumulative max fee of unsponsored ops; 0 = no unsponsored ops.
    uint256 feeBudget;
    /// `gas-budget(units)`: cumulative sum of the five gas limits; 0 = no gas budget rule.
    uint256 gasBudget;
    CallGrant[] calls;
    /// `account-functions(selectors)`: calls to the account itself with these selectors.
    bytes4[] accountSelectors;
    TokenAllowance[] tokens;
    PeriodicAllowance[] periodic;
    /// `paymasters(list)`: the only paymasters that may sponsor; empty = no sponsored ops.
    address[] paymasters;
    /// Free entropy so that identical grants get distinct ids.
    bytes32 salt;
}
