//! Test fixtures that stand in for the outside world: a token, a call recorder, a paymaster.

use alloy::sol;

sol! {
    /// The `MockERC20` fixture: an OpenZeppelin ERC-20 anyone can mint.
    #[derive(Debug, PartialEq, Eq)]
    contract MockERC20 {
        /// Token name and symbol; 18 decimals.
        constructor(string name_, string symbol_);
        /// Creates `amount` tokens for `to` (unrestricted).
        function mint(address to, uint256 amount) external;
        /// Moves `amount` from the caller to `to`.
        function transfer(address to, uint256 amount) external returns (bool);
        /// Moves `amount` from `from` to `to` using the caller's allowance.
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
        /// Sets the caller's allowance for `spender` to `amount`.
        function approve(address spender, uint256 amount) external returns (bool);
        /// Raises the caller's allowance for `spender` by `addedValue`.
        function increaseAllowance(address spender, uint256 addedValue) external returns (bool);
        /// `owner`'s balance.
        function balanceOf(address owner) external view returns (uint256);
        /// What `spender` may still move from `owner`.
        function allowance(address owner, address spender) external view returns (uint256);
        /// Tokens moved.
        event Transfer(address indexed from, address indexed to, uint256 value);
        /// Allowance set.
        event Approval(address indexed owner, address indexed spender, uint256 value);
        /// OpenZeppelin: `sender`'s balance is below `needed`.
        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        /// OpenZeppelin: `spender`'s allowance is below `needed`.
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    }

    /// The `RecordingTarget` fixture: records every call it receives.
    #[derive(Debug, PartialEq, Eq)]
    interface RecordingTarget {
        /// Always reverts with `Error(reason)`.
        function revertWith(string calldata reason) external pure;
        /// Number of recorded calls.
        function callCount() external view returns (uint256);
        /// Recorded call `index` (0-based).
        function callAt(uint256 index) external view returns (address sender, uint256 value, bytes memory data);
        /// A call was recorded.
        event Called(address sender, uint256 value, bytes data);
        /// `callAt` past the end.
        error RecordingTargetNoSuchCall(uint256 index, uint256 count);
    }

    /// The `AcceptAllPaymaster` fixture: sponsors every op.
    #[derive(Debug, PartialEq, Eq)]
    interface AcceptAllPaymaster {
        /// Deposits `msg.value` for this paymaster at `entryPoint`.
        function deposit(address entryPoint) external payable;
        /// Stakes `msg.value` at `entryPoint`.
        function addStake(address entryPoint, uint32 unstakeDelaySec) external payable;
    }
}
