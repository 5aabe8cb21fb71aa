//! Rule 16 (settlement) for the ops `leash op` builds: a session that limits a token must wrap
//! any call that is not to the account, and not an understood spending call on a limited token,
//! in the module's `settle(periodIndex, packedSession)` as first and last call of a
//! default-mode batch (docs/session-key-validator.md, "Settlement"). The module charges what
//! the account's balance of each limited token lost in between.

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolValue;
use leash_keys::permissions::onchain::{pack_session, Session, NATIVE_ASSET};
use leash_keys::SessionRecord;
use leash_userop::erc7579::Execution;

/// Largest batch the module validates (`CallDecoder.MAX_BATCH_CALLS`).
const MAX_BATCH_CALLS: usize = 8;

/// `settle(uint32,bytes)`.
pub(crate) const SETTLE: [u8; 4] = [0x9e, 0xdb, 0x9b, 0xaf];

/// transfer, approve, increaseAllowance, transferFrom: the spending calls the module charges in
/// validation on a limited token.
const UNDERSTOOD: [[u8; 4]; 4] = [
    [0xa9, 0x05, 0x9c, 0xbb],
    [0x09, 0x5e, 0xa7, 0xb3],
    [0x39, 0x50, 0x93, 0x51],
    [0x23, 0xb8, 0x72, 0xdd],
];

/// True when the module requires `calls` to be settled in `session` on `account`.
pub(crate) fn needed(session: &Session, account: Address, calls: &[Execution]) -> bool {
    let periodic = session.periodic.iter().map(|p| p.asset);
    let limited: Vec<Address> = session
        .tokens
        .iter()
        .map(|t| t.token)
        .chain(periodic)
        .collect();
    let limits_token = !session.tokens.is_empty() || limited.iter().any(|a| *a != NATIVE_ASSET);
    limits_token
        && calls.iter().any(|call| {
            let target = if call.target == Address::ZERO {
                account
            } else {
                call.target
            };
            let selector = call.call_data.get(..4).unwrap_or_default();
            let understood = UNDERSTOOD.iter().any(|s| s.as_slice() == selector);
            target != account
                && !(target != NATIVE_ASSET && limited.contains(&target) && understood)
        })
}

/// The `module`'s `settle(periodIndex, packedSession)` call for `session`.
pub(crate) fn settle_call(
    module: Address,
    session: &Session,
    period: u32,
) -> anyhow::Result<Execution> {
    let packed = pack_session(session)?;
    let mut data = SETTLE.to_vec();
    data.extend_from_slice(&(U256::from(period), Bytes::from(packed)).abi_encode_params());
    Ok(Execution {
        target: module,
        value: U256::ZERO,
        call_data: data.into(),
    })
}

/// `calls`, wrapped in the settle calls for the op's period (`period` is asked only then) when
/// the session needs them for this op (an op that already begins with the module's `settle` is
/// left as the caller wrote it).
pub(crate) fn wrap(
    record: &SessionRecord,
    calls: Vec<Execution>,
    period: impl FnOnce() -> anyhow::Result<u32>,
) -> anyhow::Result<Vec<Execution>> {
    let session = SessionOf {
        name: &record.local_id,
        spec: &record.spec,
        module: record.module,
        account: record.account,
    };
    wrap_session(&session, calls, period)
}

/// The session whose op is wrapped: how errors name it, its permissions, module and account.
pub(crate) struct SessionOf<'a> {
    /// How errors name the session.
    pub(crate) name: &'a str,
    /// Its permissions.
    pub(crate) spec: &'a leash_keys::permissions::SessionSpec,
    /// The module.
    pub(crate) module: Address,
    /// The account.
    pub(crate) account: Address,
}

/// [`wrap`] for any session, stored locally or served.
pub(crate) fn wrap_session(
    of: &SessionOf<'_>,
    calls: Vec<Execution>,
    period: impl FnOnce() -> anyhow::Result<u32>,
) -> anyhow::Result<Vec<Execution>> {
    let session = of.spec.to_sol()?;
    let begins_with_settle = calls
        .first()
        .is_some_and(|c| c.target == of.module && c.call_data.get(..4) == Some(SETTLE.as_slice()));
    if begins_with_settle || !needed(&session, of.account, &calls) {
        return Ok(calls);
    }
    if calls.len() + 2 > MAX_BATCH_CALLS {
        return Err(crate::exit::usage(
            format!(
                "session {} limits a token and this op calls a contract that may pull it: the op must be \
                 settled, which adds two calls to its {} (the module validates at most {MAX_BATCH_CALLS})",
                of.name,
                calls.len()
            ),
            "split the calls over several ops (at most 6 calls each)",
        ));
    }
    let settle = settle_call(of.module, &session, period()?)?;
    let mut wrapped = Vec::with_capacity(calls.len() + 2);
    wrapped.push(settle.clone());
    wrapped.extend(calls);
    wrapped.push(settle);
    Ok(wrapped)
}
