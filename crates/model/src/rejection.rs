//! Why the module rejects an op: one variant per custom error of `SessionErrors.sol` that
//! validation can raise. Sums that would overflow saturate and are rejected by the allowance
//! they are charged to, so no rejection is a `Panic`.

use crate::{AdminError, Selector};
use alloy_primitives::{Address, B256, U256};

/// A rejected op: the module reverts with the custom error of the same name.
///
/// Arguments are those of the Solidity error minus the session id (the caller knows it).
/// `NonCanonicalCallData` carries no position: two correct decoders may flag different bytes
/// of the same non-canonical input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// `userOp.sender` is not the calling account.
    #[error("SenderMismatch({0})")]
    SenderMismatch(Address),
    /// `userOp.initCode` is the EIP-7702 marker followed by data: an init call EntryPoint v0.8+ runs
    /// on the sender before validation, chosen by the session key (rule 1).
    #[error("Eip7702InitCallDenied")]
    Eip7702InitCallDenied,
    /// The module is not installed on the account.
    #[error("NotInitialized")]
    NotInitialized,
    /// The signature envelope is too short, its length does not fit its packed session, or an
    /// enable envelope has no room for the enable nonce.
    #[error("MalformedEnvelope")]
    MalformedEnvelope,
    /// The envelope version is not 1.
    #[error("UnsupportedEnvelopeVersion({0})")]
    UnsupportedEnvelopeVersion(u8),
    /// The envelope flags have a bit other than ENABLE.
    #[error("UnsupportedEnvelopeFlags({0})")]
    UnsupportedEnvelopeFlags(u8),
    /// No live session with that id.
    #[error("SessionNotFound")]
    SessionNotFound,
    /// The session is paused.
    #[error("SessionIsPaused")]
    SessionIsPaused,
    /// The session is revoked.
    #[error("SessionIsRevoked")]
    SessionIsRevoked,
    /// A period index for a session without a schedule.
    #[error("PeriodIndexNotAllowed({0})")]
    PeriodIndexNotAllowed(u32),
    /// The period starts after 2^48-1.
    #[error("PeriodOutOfRange({0})")]
    PeriodOutOfRange(u32),
    /// The period's and the session's windows do not intersect.
    #[error("WindowEmpty({0})")]
    WindowEmpty(u32),
    /// `callData` shorter than a selector.
    #[error("CallDataTooShort({0})")]
    CallDataTooShort(usize),
    /// A top-level `executeFromExecutor`/`executeUserOp`.
    #[error("WrapperSelectorDenied({0})")]
    WrapperSelectorDenied(Selector),
    /// Call type other than single/batch.
    #[error("UnsupportedCallType({0})")]
    UnsupportedCallType(u8),
    /// Exec type other than default/try.
    #[error("UnsupportedExecType({0})")]
    UnsupportedExecType(u8),
    /// Non-zero mode bytes outside call type and exec type.
    #[error("ModeNotDefault({0})")]
    ModeNotDefault(B256),
    /// Not the canonical ABI encoding.
    #[error("NonCanonicalCallData")]
    NonCanonicalCallData,
    /// A batch without calls.
    #[error("EmptyBatch")]
    EmptyBatch,
    /// A batch over the cap.
    #[error("BatchTooLarge({0})")]
    BatchTooLarge(U256),
    /// Call data of 1 to 3 bytes.
    #[error("CallDataWithoutSelector({0})")]
    CallDataWithoutSelector(usize),
    /// A hard denial.
    #[error("CallDenied({index}, {target}, {selector})")]
    CallDenied {
        /// Position in the batch.
        index: usize,
        /// The target (0 mapped to the account).
        target: Address,
        /// The call's selector.
        selector: Selector,
    },
    /// No grant matches.
    #[error("CallNotGranted({index}, {target}, {selector})")]
    CallNotGranted {
        /// Position in the batch.
        index: usize,
        /// The target (0 mapped to the account).
        target: Address,
        /// The call's selector.
        selector: Selector,
    },
    /// Only an ANY-target grant matches and the target is an installed module.
    #[error("CallToInstalledModule({index}, {target})")]
    CallToInstalledModule {
        /// Position in the batch.
        index: usize,
        /// The module.
        target: Address,
    },
    /// A non-spending call on a limited token without a named grant.
    #[error("TokenCallNotExplicit({index}, {token}, {selector})")]
    TokenCallNotExplicit {
        /// Position in the batch.
        index: usize,
        /// The token.
        token: Address,
        /// The call's selector.
        selector: Selector,
    },
    /// A spending call with a non-canonical argument encoding.
    #[error("TokenCallMalformed({index}, {token}, {selector})")]
    TokenCallMalformed {
        /// Position in the batch.
        index: usize,
        /// The token (or Permit2).
        token: Address,
        /// The call's selector.
        selector: Selector,
    },
    /// Permit2 batch transfer in a session that limits tokens.
    #[error("Permit2BatchDenied({0})")]
    Permit2BatchDenied(usize),
    /// The op charges more entries of `tokens` and `periodic` than `MAX_CHARGED_ENTRIES`.
    #[error("TooManyAssetsCharged({0})")]
    TooManyAssetsCharged(usize),
    /// Native value without a native allowance.
    #[error("NativeValueNotAllowed({0})")]
    NativeValueNotAllowed(U256),
    /// Native allowance exceeded.
    #[error("NativeAllowanceExceeded(asked {asked}, left {left})")]
    NativeAllowanceExceeded {
        /// The op's total.
        asked: U256,
        /// What was left.
        left: U256,
    },
    /// ERC-20 allowance exceeded.
    #[error("TokenAllowanceExceeded({token}, asked {asked}, left {left})")]
    TokenAllowanceExceeded {
        /// The token.
        token: Address,
        /// The op's total.
        asked: U256,
        /// What was left.
        left: U256,
    },
    /// Periodic allowance exceeded in the op's period.
    #[error("PeriodicAllowanceExceeded({asset}, period {period}, asked {asked}, left {left})")]
    PeriodicAllowanceExceeded {
        /// The asset.
        asset: Address,
        /// The op's period.
        period: u32,
        /// The op's total.
        asked: U256,
        /// What was left.
        left: U256,
    },
    /// Rate limit reached in the op's period.
    #[error("RateLimitExceeded(period {period}, limit {limit})")]
    RateLimitExceeded {
        /// The op's period.
        period: u32,
        /// The limit.
        limit: u32,
    },
    /// Use count exhausted.
    #[error("UsesExhausted({0})")]
    UsesExhausted(u32),
    /// Unsponsored op without a fee budget.
    #[error("UnsponsoredNotAllowed")]
    UnsponsoredNotAllowed,
    /// Fee budget exceeded.
    #[error("FeeBudgetExceeded(asked {asked}, left {left})")]
    FeeBudgetExceeded {
        /// The op's maximum fee.
        asked: U256,
        /// What was left.
        left: U256,
    },
    /// Gas budget exceeded.
    #[error("GasBudgetExceeded(asked {asked}, left {left})")]
    GasBudgetExceeded {
        /// The op's gas.
        asked: U256,
        /// What was left.
        left: U256,
    },
    /// Paymaster not listed.
    #[error("PaymasterNotAllowed({0})")]
    PaymasterNotAllowed(Address),
    /// `paymasterAndData` of 1 to 51 bytes.
    #[error("PaymasterDataMalformed({0})")]
    PaymasterDataMalformed(usize),
    /// A call that may pull a limited token through an earlier allowance, in an op that is not
    /// settled (rule 16).
    #[error("SettlementRequired({0})")]
    SettlementRequired(usize),
    /// A settled op that is not a default-mode batch; the op's mode word.
    #[error("SettlementModeInvalid({0})")]
    SettlementModeInvalid(B256),
    /// A settled op whose last call (this index) is not the module's `settle`.
    #[error("SettlementEndMissing({0})")]
    SettlementEndMissing(usize),
    /// A `settle` call neither first nor last in a settled op.
    #[error("SettlementCallMisplaced({0})")]
    SettlementCallMisplaced(usize),
    /// A first or last `settle` call with value or arguments other than the op's.
    #[error("SettlementArgumentsInvalid({0})")]
    SettlementArgumentsInvalid(usize),
    /// An enable grant failed like the lifecycle call it performs (nonce, owner signature,
    /// revoked or existing id, session format of the carried packed bytes).
    #[error("{0}")]
    Enable(AdminError),
}

impl Rejection {
    /// The Solidity error's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SenderMismatch(_) => "SenderMismatch",
            Self::Eip7702InitCallDenied => "Eip7702InitCallDenied",
            Self::NotInitialized => "NotInitialized",
            Self::MalformedEnvelope => "MalformedEnvelope",
            Self::UnsupportedEnvelopeVersion(_) => "UnsupportedEnvelopeVersion",
            Self::UnsupportedEnvelopeFlags(_) => "UnsupportedEnvelopeFlags",
            Self::SessionNotFound => "SessionNotFound",
            Self::SessionIsPaused => "SessionIsPaused",
            Self::SessionIsRevoked => "SessionIsRevoked",
            Self::PeriodIndexNotAllowed(_) => "PeriodIndexNotAllowed",
            Self::PeriodOutOfRange(_) => "PeriodOutOfRange",
            Self::WindowEmpty(_) => "WindowEmpty",
            Self::CallDataTooShort(_) => "CallDataTooShort",
            Self::WrapperSelectorDenied(_) => "WrapperSelectorDenied",
            Self::UnsupportedCallType(_) => "UnsupportedCallType",
            Self::UnsupportedExecType(_) => "UnsupportedExecType",
            Self::ModeNotDefault(_) => "ModeNotDefault",
            Self::NonCanonicalCallData => "NonCanonicalCallData",
            Self::EmptyBatch => "EmptyBatch",
            Self::BatchTooLarge(_) => "BatchTooLarge",
            Self::CallDataWithoutSelector(_) => "CallDataWithoutSelector",
            Self::CallDenied { .. } => "CallDenied",
            Self::CallNotGranted { .. } => "CallNotGranted",
            Self::CallToInstalledModule { .. } => "CallToInstalledModule",
            Self::TokenCallNotExplicit { .. } => "TokenCallNotExplicit",
            Self::TokenCallMalformed { .. } => "TokenCallMalformed",
            Self::Permit2BatchDenied(_) => "Permit2BatchDenied",
            Self::TooManyAssetsCharged(_) => "TooManyAssetsCharged",
            Self::NativeValueNotAllowed(_) => "NativeValueNotAllowed",
            Self::NativeAllowanceExceeded { .. } => "NativeAllowanceExceeded",
            Self::TokenAllowanceExceeded { .. } => "TokenAllowanceExceeded",
            Self::PeriodicAllowanceExceeded { .. } => "PeriodicAllowanceExceeded",
            Self::RateLimitExceeded { .. } => "RateLimitExceeded",
            Self::UsesExhausted(_) => "UsesExhausted",
            Self::UnsponsoredNotAllowed => "UnsponsoredNotAllowed",
            Self::FeeBudgetExceeded { .. } => "FeeBudgetExceeded",
            Self::GasBudgetExceeded { .. } => "GasBudgetExceeded",
            Self::PaymasterNotAllowed(_) => "PaymasterNotAllowed",
            Self::PaymasterDataMalformed(_) => "PaymasterDataMalformed",
            Self::SettlementRequired(_) => "SettlementRequired",
            Self::SettlementModeInvalid(_) => "SettlementModeInvalid",
            Self::SettlementEndMissing(_) => "SettlementEndMissing",
            Self::SettlementCallMisplaced(_) => "SettlementCallMisplaced",
            Self::SettlementArgumentsInvalid(_) => "SettlementArgumentsInvalid",
            Self::Enable(error) => error.name(),
        }
    }
}
