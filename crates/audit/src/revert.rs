//! The module's revert data, read back as a model [`Rejection`] so verdicts compare exactly.

use alloy::{
    primitives::{Bytes, U256},
    sol_types::SolError,
};
// The module's errors, generated from its compiled ABI (one definition: crates/contracts/abi).
use leash_contracts::bindings::session::ISessionKeyValidator::{
    BatchTooLarge, CallDataTooShort, CallDataWithoutSelector, CallDenied, CallNotGranted,
    CallToInstalledModule, Eip7702InitCallDenied, EmptyBatch, EnableGrantStale, EnableNonceUsed,
    EnableSignatureInvalid, FeeBudgetExceeded, GasBudgetExceeded, MalformedEnvelope,
    ModeNotDefault, NativeAllowanceExceeded, NativeValueNotAllowed, NonCanonicalCallData,
    NotInitialized, PaymasterDataMalformed, PaymasterNotAllowed, PeriodIndexNotAllowed,
    PeriodOutOfRange, PeriodicAllowanceExceeded, Permit2BatchDenied, RateLimitExceeded,
    SenderMismatch, SessionAlreadyExists, SessionAmountTooLarge, SessionAssetInvalid,
    SessionEncodingNotCanonical, SessionGrantFlagsInvalid, SessionIsPaused, SessionIsRevoked,
    SessionListTooLong, SessionNotFound, SessionPeriodRequired, SessionSignerZero,
    SessionWindowInvalid, SettledAllowanceExceeded, SettlementArgumentsInvalid,
    SettlementCallMisplaced, SettlementEndMissing, SettlementModeInvalid, SettlementRequired,
    TokenAllowanceExceeded, TokenCallMalformed, TokenCallNotExplicit, TooManyAssetsCharged,
    TooManyLiveSessions, UnsponsoredNotAllowed, UnsupportedCallType, UnsupportedEnvelopeFlags,
    UnsupportedEnvelopeVersion, UnsupportedExecType, UsesExhausted, WindowEmpty,
    WrapperSelectorDenied,
};
use leash_model::{AdminError, Rejection};

/// The model's rejection as the chain's revert data can show it: an enable grant that fails
/// on a revoked id reverts with the same `SessionIsRevoked` as an op of a revoked session.
pub fn as_revealed(rejection: &Rejection) -> Rejection {
    match rejection {
        Rejection::Enable(AdminError::SessionIsRevoked) => Rejection::SessionIsRevoked,
        other => other.clone(),
    }
}

fn index(i: U256) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

/// Decodes the module's execution-time `SettledAllowanceExceeded` (the closing `settle` of a
/// settled op found a balance that lost more than is left): the session id and the model's
/// error. `None` for anything else.
pub fn settled_allowance_exceeded(
    data: &Bytes,
) -> Option<(
    alloy::primitives::B256,
    leash_model::settlement::SettledAllowanceExceeded,
)> {
    let e = SettledAllowanceExceeded::abi_decode(&data[..]).ok()?;
    Some((
        e.sessionId,
        leash_model::settlement::SettledAllowanceExceeded {
            asset: e.asset,
            index: index(e.index),
            asked: e.asked,
            left: e.left,
        },
    ))
}

/// Decodes what the module reverted with; `None` for anything that is not one of its
/// validation errors (e.g. an out-of-gas, an unknown selector, or a `Panic`: rule 10 wants every
/// permission violation named by a custom error, so a `Panic` never matches the model).
pub fn rejection(data: &Bytes) -> Option<Rejection> {
    let d = &data[..];
    macro_rules! try_decode {
        ($ty:ty, |$e:ident| $body:expr) => {
            if let Ok($e) = <$ty>::abi_decode(d) {
                return Some($body);
            }
        };
    }
    try_decode!(SenderMismatch, |e| Rejection::SenderMismatch(e.sender));
    try_decode!(Eip7702InitCallDenied, |_e| Rejection::Eip7702InitCallDenied);
    try_decode!(NotInitialized, |_e| Rejection::NotInitialized);
    try_decode!(MalformedEnvelope, |_e| Rejection::MalformedEnvelope);
    try_decode!(UnsupportedEnvelopeVersion, |e| {
        Rejection::UnsupportedEnvelopeVersion(e.version)
    });
    try_decode!(UnsupportedEnvelopeFlags, |e| {
        Rejection::UnsupportedEnvelopeFlags(e.flags)
    });
    try_decode!(SessionNotFound, |_e| Rejection::SessionNotFound);
    try_decode!(SessionIsPaused, |_e| Rejection::SessionIsPaused);
    try_decode!(SessionIsRevoked, |_e| Rejection::SessionIsRevoked);
    try_decode!(SessionAlreadyExists, |_e| Rejection::Enable(
        AdminError::SessionAlreadyExists
    ));
    try_decode!(TooManyLiveSessions, |_e| Rejection::Enable(
        AdminError::TooManyLiveSessions
    ));
    try_decode!(EnableNonceUsed, |_e| Rejection::Enable(
        AdminError::EnableNonceUsed
    ));
    try_decode!(EnableSignatureInvalid, |_e| Rejection::Enable(
        AdminError::EnableSignatureInvalid
    ));
    try_decode!(EnableGrantStale, |e| Rejection::Enable(
        AdminError::EnableGrantStale {
            grant_generation: e.grantGeneration,
            generation: u32::try_from(e.generation).unwrap_or(u32::MAX),
        }
    ));
    // The format checks of a session an enable grant creates.
    try_decode!(SessionSignerZero, |_e| Rejection::Enable(
        AdminError::SessionSignerZero
    ));
    try_decode!(SessionWindowInvalid, |_e| Rejection::Enable(
        AdminError::SessionWindowInvalid
    ));
    try_decode!(SessionListTooLong, |e| Rejection::Enable(
        AdminError::SessionListTooLong(e.field)
    ));
    try_decode!(SessionAmountTooLarge, |_e| Rejection::Enable(
        AdminError::SessionAmountTooLarge
    ));
    try_decode!(SessionAssetInvalid, |_e| Rejection::Enable(
        AdminError::SessionAssetInvalid
    ));
    try_decode!(SessionPeriodRequired, |_e| Rejection::Enable(
        AdminError::SessionPeriodRequired
    ));
    try_decode!(SessionGrantFlagsInvalid, |_e| Rejection::Enable(
        AdminError::SessionGrantFlagsInvalid
    ));
    try_decode!(SessionEncodingNotCanonical, |_e| Rejection::Enable(
        AdminError::SessionEncodingNotCanonical
    ));
    try_decode!(CallDataTooShort, |e| Rejection::CallDataTooShort(index(
        e.length
    )));
    try_decode!(WrapperSelectorDenied, |e| Rejection::WrapperSelectorDenied(
        e.selector
    ));
    try_decode!(UnsupportedCallType, |e| Rejection::UnsupportedCallType(
        e.callType
    ));
    try_decode!(UnsupportedExecType, |e| Rejection::UnsupportedExecType(
        e.execType
    ));
    try_decode!(ModeNotDefault, |e| Rejection::ModeNotDefault(e.mode));
    try_decode!(NonCanonicalCallData, |_e| Rejection::NonCanonicalCallData);
    try_decode!(EmptyBatch, |_e| Rejection::EmptyBatch);
    try_decode!(BatchTooLarge, |e| Rejection::BatchTooLarge(e.count));
    try_decode!(CallDataWithoutSelector, |e| {
        Rejection::CallDataWithoutSelector(index(e.index))
    });
    try_decode!(CallDenied, |e| Rejection::CallDenied {
        index: index(e.index),
        target: e.target,
        selector: e.selector
    });
    try_decode!(CallNotGranted, |e| Rejection::CallNotGranted {
        index: index(e.index),
        target: e.target,
        selector: e.selector
    });
    try_decode!(CallToInstalledModule, |e| {
        Rejection::CallToInstalledModule {
            index: index(e.index),
            target: e.target,
        }
    });
    try_decode!(TokenCallNotExplicit, |e| Rejection::TokenCallNotExplicit {
        index: index(e.index),
        token: e.token,
        selector: e.selector
    });
    try_decode!(TokenCallMalformed, |e| Rejection::TokenCallMalformed {
        index: index(e.index),
        token: e.token,
        selector: e.selector
    });
    try_decode!(Permit2BatchDenied, |e| Rejection::Permit2BatchDenied(
        index(e.index)
    ));
    try_decode!(TooManyAssetsCharged, |e| Rejection::TooManyAssetsCharged(
        index(e.charged)
    ));
    try_decode!(SettlementRequired, |e| Rejection::SettlementRequired(
        index(e.index)
    ));
    try_decode!(SettlementModeInvalid, |e| Rejection::SettlementModeInvalid(
        e.mode
    ));
    try_decode!(SettlementEndMissing, |e| Rejection::SettlementEndMissing(
        index(e.index)
    ));
    try_decode!(SettlementCallMisplaced, |e| {
        Rejection::SettlementCallMisplaced(index(e.index))
    });
    try_decode!(SettlementArgumentsInvalid, |e| {
        Rejection::SettlementArgumentsInvalid(index(e.index))
    });
    try_decode!(NativeValueNotAllowed, |e| Rejection::NativeValueNotAllowed(
        e.value
    ));
    try_decode!(NativeAllowanceExceeded, |e| {
        Rejection::NativeAllowanceExceeded {
            asked: e.asked,
            left: e.left,
        }
    });
    try_decode!(TokenAllowanceExceeded, |e| {
        Rejection::TokenAllowanceExceeded {
            token: e.token,
            asked: e.asked,
            left: e.left,
        }
    });
    try_decode!(PeriodicAllowanceExceeded, |e| {
        Rejection::PeriodicAllowanceExceeded {
            asset: e.asset,
            period: e.periodIndex,
            asked: e.asked,
            left: e.left,
        }
    });
    try_decode!(RateLimitExceeded, |e| Rejection::RateLimitExceeded {
        period: e.periodIndex,
        limit: e.limit
    });
    try_decode!(UsesExhausted, |e| Rejection::UsesExhausted(e.maxUses));
    try_decode!(UnsponsoredNotAllowed, |_e| Rejection::UnsponsoredNotAllowed);
    try_decode!(FeeBudgetExceeded, |e| Rejection::FeeBudgetExceeded {
        asked: e.asked,
        left: e.left
    });
    try_decode!(GasBudgetExceeded, |e| Rejection::GasBudgetExceeded {
        asked: e.asked,
        left: e.left
    });
    try_decode!(PaymasterNotAllowed, |e| Rejection::PaymasterNotAllowed(
        e.paymaster
    ));
    try_decode!(PaymasterDataMalformed, |e| {
        Rejection::PaymasterDataMalformed(index(e.length))
    });
    try_decode!(PeriodIndexNotAllowed, |e| Rejection::PeriodIndexNotAllowed(
        e.periodIndex
    ));
    try_decode!(PeriodOutOfRange, |e| Rejection::PeriodOutOfRange(
        e.periodIndex
    ));
    try_decode!(WindowEmpty, |e| Rejection::WindowEmpty(e.periodIndex));
    None
}

#[cfg(test)]
mod tests {
    use super::rejection;
    use alloy::primitives::Bytes;

    /// Errors the module raises only outside validation (install and resume), which no op can see.
    const OUTSIDE_VALIDATION: &[&str] = &[
        "AlreadyInitialized",
        "MalformedInstallData",
        "SessionNotPaused",
        // Raised by `settle` during the op's execution (rule 16), never by validation.
        "SettlementMismatch",
        "SettledAllowanceExceeded",
    ];

    /// The declarations above are a hand copy of SessionErrors.sol: every error of the module's
    /// ABI that validation can raise must decode here, so an error added to or changed in the
    /// contract (its selector moves with its parameters) fails this test instead of silently
    /// falling out of the model comparison.
    /// The execution-time error the suite decodes has the module's selector (its signature).
    #[test]
    fn the_settlement_execution_error_decodes() {
        use alloy::sol_types::SolError;
        let module = leash_contracts::artifact("SessionKeyValidator").expect("module artifact");
        let error = module
            .abi
            .errors()
            .find(|e| e.name == "SettledAllowanceExceeded")
            .expect("the module declares SettledAllowanceExceeded");
        assert_eq!(
            error.selector().0,
            super::SettledAllowanceExceeded::SELECTOR,
            "{}",
            error.signature()
        );
        let mut data = error.selector().to_vec();
        data.resize(4 + 32 * 5, 0);
        data[4 + 32 * 3 - 1] = 7;
        let (_, e) = super::settled_allowance_exceeded(&Bytes::from(data.clone())).unwrap();
        assert_eq!(e.index, 7);
        assert!(rejection(&Bytes::from(data)).is_none());
    }

    #[test]
    fn every_validation_error_of_the_module_decodes() {
        let module = leash_contracts::artifact("SessionKeyValidator").expect("module artifact");
        let mut checked = 0;
        for error in module.abi.errors() {
            if OUTSIDE_VALIDATION.contains(&error.name.as_str()) {
                continue;
            }
            // Every parameter of the module's errors is static: one zero word each decodes.
            let mut data = error.selector().to_vec();
            data.resize(4 + 32 * error.inputs.len(), 0);
            assert!(
                rejection(&Bytes::from(data)).is_some(),
                "{} is not decoded by leash-audit's revert.rs",
                error.signature()
            );
            checked += 1;
        }
        assert!(
            checked >= 40,
            "the module ABI lists only {checked} validation errors"
        );
    }
}
