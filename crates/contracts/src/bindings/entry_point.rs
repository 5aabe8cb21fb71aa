//! `IEntryPoint`: the subset of EntryPoint v0.7/v0.8 the harness and CLI use.

use alloy::sol;

sol! {
    /// EntryPoint v0.7 and v0.8 (same ABI for everything below, except
    /// `getDomainSeparatorV4`, which only v0.8 has).
    #[derive(Debug, PartialEq, Eq)]
    interface IEntryPoint {
        /// The user operation as `handleOps` takes it. Same layout as
        /// `leash_userop::PackedUserOperation`; `From` converts both ways.
        struct PackedUserOperation {
            address sender;
            uint256 nonce;
            bytes initCode;
            bytes callData;
            bytes32 accountGasLimits;
            uint256 preVerificationGas;
            bytes32 gasFees;
            bytes paymasterAndData;
            bytes signature;
        }

        /// Validates then executes `ops`, paying the collected fees to `beneficiary`.
        function handleOps(PackedUserOperation[] calldata ops, address payable beneficiary) external;
        /// The hash an account signs for `userOp` (v0.7 abi-encoded, v0.8 EIP-712).
        function getUserOpHash(PackedUserOperation calldata userOp) external view returns (bytes32);
        /// The next nonce of `sender` under the 192-bit `key`.
        function getNonce(address sender, uint192 key) external view returns (uint256 nonce);
        /// Adds `msg.value` to `account`'s deposit.
        function depositTo(address account) external payable;
        /// `account`'s deposit.
        function balanceOf(address account) external view returns (uint256);
        /// The contract that runs `initCode` factories.
        function senderCreator() external view returns (address);
        /// EIP-712 domain separator (v0.8 only).
        function getDomainSeparatorV4() external view returns (bytes32);

        /// One op was executed (or its execution reverted: `success` false).
        event UserOperationEvent(
            bytes32 indexed userOpHash,
            address indexed sender,
            address indexed paymaster,
            uint256 nonce,
            bool success,
            uint256 actualGasCost,
            uint256 actualGasUsed
        );
        /// The op's execution reverted with `revertReason`.
        event UserOperationRevertReason(
            bytes32 indexed userOpHash, address indexed sender, uint256 nonce, bytes revertReason
        );
        /// The op's `initCode` deployed `sender`.
        event AccountDeployed(
            bytes32 indexed userOpHash, address indexed sender, address factory, address paymaster
        );
        /// Validation of every op is done; execution starts.
        event BeforeExecution();
        /// `account`'s deposit is now `totalDeposit`.
        event Deposited(address indexed account, uint256 totalDeposit);
        /// The paymaster's `postOp` reverted.
        event PostOpRevertReason(
            bytes32 indexed userOpHash, address indexed sender, uint256 nonce, bytes revertReason
        );

        /// Op `opIndex` failed validation with an `AAxx` reason.
        error FailedOp(uint256 opIndex, string reason);
        /// Op `opIndex` failed validation; `inner` is what the account or paymaster reverted with.
        error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner);
        /// The paymaster's `postOp` reverted with `returnData`.
        error PostOpReverted(bytes returnData);
        /// An aggregator rejected the signatures of its ops.
        error SignatureValidationFailed(address aggregator);
    }
}

impl From<leash_userop::PackedUserOperation> for IEntryPoint::PackedUserOperation {
    fn from(op: leash_userop::PackedUserOperation) -> Self {
        Self {
            sender: op.sender,
            nonce: op.nonce,
            initCode: op.initCode,
            callData: op.callData,
            accountGasLimits: op.accountGasLimits,
            preVerificationGas: op.preVerificationGas,
            gasFees: op.gasFees,
            paymasterAndData: op.paymasterAndData,
            signature: op.signature,
        }
    }
}

impl From<IEntryPoint::PackedUserOperation> for leash_userop::PackedUserOperation {
    fn from(op: IEntryPoint::PackedUserOperation) -> Self {
        Self {
            sender: op.sender,
            nonce: op.nonce,
            initCode: op.initCode,
            callData: op.callData,
            accountGasLimits: op.accountGasLimits,
            preVerificationGas: op.preVerificationGas,
            gasFees: op.gasFees,
            paymasterAndData: op.paymasterAndData,
            signature: op.signature,
        }
    }
}
