//! How a session record is shown: JSON for machines, aligned lines for people.

use leash_keys::permissions::{Asset, Selector, Target};
use leash_keys::SessionRecord;
use serde_json::{json, Value};

use crate::commands::session::payment_json;
use crate::tokens::TokenBook;
use crate::units::{format_ether, format_time, format_token, now};

/// Every field of `record`, permissions in the permission-file format.
pub(crate) fn record_json(record: &SessionRecord) -> Value {
    json!({
        "localId": record.local_id,
        "label": record.label,
        "status": record.status_at(now()),
        "account": record.account,
        "chainId": record.chain_id,
        "entryPoint": record.entry_point,
        "module": record.module,
        "sessionId": record.session_id,
        "signer": record.signer,
        "keyHeldBy": if record.is_external() { "app" } else { "leash" },
        "payment": payment_json(&record.spec),
        "validAfter": record.valid_after,
        "validUntil": record.valid_until,
        "createdAt": record.created_at,
        "revokedAt": record.revoked_at,
        "revokeReason": record.revoke_reason,
        "rotatedAt": record.rotated_at,
        "rotatedFrom": record.rotated_from,
        "rotatedTo": record.rotated_to,
        "permissions": record.spec.to_json(),
    })
}

/// The record as `name: value` lines: token amounts in the token's units when `book` knows
/// it (read from the chain), else in base units; native amounts in ether and wei.
pub(crate) fn record_lines(record: &SessionRecord, book: &TokenBook) -> Vec<String> {
    let spec = &record.spec;
    let mut lines = vec![
        format!("session {} ({})", record.local_id, record.status_at(now())),
        format!("  label:       {}", record.label),
        format!(
            "  account:     {} (chain {})",
            record.account, record.chain_id
        ),
        format!("  entry point: {}", record.entry_point),
        format!("  module:      {}", record.module),
        format!("  session id:  {}", record.session_id),
        if record.is_external() {
            format!(
                "  signer:      {} (the app's key; the app signs)",
                record.signer
            )
        } else {
            format!("  signer:      {}", record.signer)
        },
        format!(
            "  window:      {} .. {}",
            format_time(record.valid_after),
            format_time(record.valid_until)
        ),
        format!("  created:     {}", format_time(record.created_at)),
    ];
    if let Some(at) = record.revoked_at {
        lines.push(format!(
            "  revoked:     {} ({})",
            format_time(at),
            record.revoke_reason.as_deref().unwrap_or("no reason")
        ));
    }
    if let Some(from) = &record.rotated_from {
        lines.push(format!("  rotated from: {from}"));
    }
    if let Some(to) = &record.rotated_to {
        lines.push(format!("  rotated to:  {to}"));
    }
    lines.push("  grant:".to_owned());
    if spec.root {
        lines.push("    root (every call; window, uses and fees still apply)".to_owned());
    }
    lines.push(format!(
        "    uses:      {}",
        if spec.max_uses == 0 {
            "unlimited".to_owned()
        } else {
            spec.max_uses.to_string()
        }
    ));
    for grant in &spec.calls {
        let target = match grant.target {
            Target::Any => "any target".to_owned(),
            Target::Exact(address) => address.to_string(),
        };
        let selector = match grant.selector {
            Selector::Any => "any selector".to_owned(),
            Selector::Exact(selector) => selector.to_string(),
        };
        lines.push(format!("    call:      {target} {selector}"));
    }
    for selector in &spec.account_selectors {
        lines.push(format!("    account fn: {selector}"));
    }
    for token in &spec.tokens {
        lines.push(format!(
            "    token:     {} up to {}",
            token.token,
            format_token(token.amount, book.get(&token.token))
        ));
    }
    for periodic in &spec.periodic {
        let (asset, amount) = match periodic.asset {
            Asset::Native => ("native".to_owned(), format_ether(periodic.amount)),
            Asset::Token(token) => (
                token.to_string(),
                format_token(periodic.amount, book.get(&token)),
            ),
        };
        lines.push(format!(
            "    periodic:  {asset} {amount} per {} s",
            spec.period
        ));
    }
    if spec.rate_limit != 0 {
        lines.push(format!(
            "    rate:      {} ops per {} s",
            spec.rate_limit, spec.period
        ));
    }
    lines.push(format!(
        "    native:    {}",
        format_ether(spec.native_allowance)
    ));
    lines.push(format!("    fees:      {}", format_ether(spec.fee_budget)));
    if !spec.gas_budget.is_zero() {
        lines.push(format!("    gas:       {} units", spec.gas_budget));
    }
    for paymaster in &spec.paymasters {
        lines.push(format!("    paymaster: {paymaster}"));
    }
    lines.push(format!("  pays:        {}", spec.payment().describe()));
    lines
}
