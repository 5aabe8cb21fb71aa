//! Appending to, reading and verifying the hash-chained audit log.

use crate::audit_hash::{audit_hash, GENESIS_HASH};
use crate::sql::{int, Row, Tx, Val};
use crate::{AuditEntry, AuditReport, NewAuditEntry, StoreError};

/// Entries read per query while verifying.
const PAGE: i64 = 1000;
/// Problems listed in full by [`verify`]; more are counted.
const MAX_PROBLEMS: usize = 100;

const COLUMNS: &str = "seq, logged_at, actor, action, subject, details, prev_hash, hash";

fn head_missing(tx: &dyn Tx) -> StoreError {
    StoreError::Backend {
        engine: tx.engine_name(),
        message: "the audit head row is missing (audit_head was tampered with); restore the \
                  database from a backup and run `leash audit verify`"
            .into(),
    }
}

/// Appends one entry and moves the head, inside the caller's write transaction.
pub(crate) fn append(
    tx: &mut dyn Tx,
    now: u64,
    entry: NewAuditEntry,
) -> Result<AuditEntry, StoreError> {
    let head = tx
        .query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?
        .ok_or_else(|| head_missing(tx))?;
    let seq = head.u64(0)? + 1;
    let prev_hash = head.text(1)?;
    let details = serde_json::to_string(&entry.details).map_err(|e| StoreError::Backend {
        engine: tx.engine_name(),
        message: format!("audit details cannot be written as JSON: {e}"),
    })?;
    let hash = audit_hash(
        seq,
        now,
        &entry.actor,
        &entry.action,
        entry.subject.as_deref(),
        &details,
        &prev_hash,
    );
    tx.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            int(seq, "audit seq")?,
            int(now, "time")?,
            entry.actor.as_str().into(),
            entry.action.as_str().into(),
            entry.subject.clone().into(),
            details.into(),
            prev_hash.as_str().into(),
            hash.as_str().into(),
        ],
    )?;
    tx.execute(
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        &[int(seq, "audit seq")?, hash.as_str().into()],
    )?;
    Ok(AuditEntry {
        seq,
        time: now,
        entry,
        prev_hash,
        hash,
    })
}

/// Shorthand for an entry about `subject`.
pub(crate) fn log(
    tx: &mut dyn Tx,
    now: u64,
    actor: &str,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> Result<AuditEntry, StoreError> {
    append(
        tx,
        now,
        NewAuditEntry {
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: Some(subject.to_owned()),
            details,
        },
    )
}

/// An entry as stored, with its details still as the stored JSON text.
struct Stored {
    seq: u64,
    time: u64,
    actor: String,
    action: String,
    subject: Option<String>,
    details: String,
    prev_hash: String,
    hash: String,
}

fn stored(row: &Row) -> Result<Stored, StoreError> {
    Ok(Stored {
        seq: row.u64(0)?,
        time: row.u64(1)?,
        actor: row.text(2)?,
        action: row.text(3)?,
        subject: row.opt_text(4)?,
        details: row.text(5)?,
        prev_hash: row.text(6)?,
        hash: row.text(7)?,
    })
}

fn page(tx: &mut dyn Tx, after: u64, limit: i64) -> Result<Vec<Stored>, StoreError> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
        &[int(after, "audit seq")?, Val::Int(limit)],
    )?
    .iter()
    .map(stored)
    .collect()
}

/// Entries after `after_seq`, oldest first, at most `limit`.
pub(crate) fn entries(
    tx: &mut dyn Tx,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let engine = tx.engine_name();
    page(tx, after_seq, i64::from(limit))?
        .into_iter()
        .map(|s| {
            let details = serde_json::from_str(&s.details).map_err(|e| StoreError::Backend {
                engine,
                message: format!(
                    "audit entry {} holds invalid details JSON ({e}): run `leash audit verify`",
                    s.seq
                ),
            })?;
            Ok(AuditEntry {
                seq: s.seq,
                time: s.time,
                entry: NewAuditEntry {
                    actor: s.actor,
                    action: s.action,
                    subject: s.subject,
                    details,
                },
                prev_hash: s.prev_hash,
                hash: s.hash,
            })
        })
        .collect()
}

/// Walks the whole log in the caller's read transaction (one snapshot).
pub(crate) fn verify(tx: &mut dyn Tx) -> Result<AuditReport, StoreError> {
    let mut problems = Vec::new();
    let mut more = 0usize;
    let mut note = |p: String| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(p);
        } else {
            more += 1;
        }
    };
    let mut count = 0u64;
    let mut last_seq = 0u64;
    let mut last_hash = GENESIS_HASH.to_owned();
    loop {
        let rows = page(tx, last_seq, PAGE)?;
        let Some(end) = rows.last().map(|r| r.seq) else {
            break;
        };
        for s in rows {
            count += 1;
            if s.seq != last_seq + 1 {
                note(format!(
                    "entries {}..={} are missing (gap before seq {})",
                    last_seq + 1,
                    s.seq - 1,
                    s.seq
                ));
            }
            if s.prev_hash != last_hash {
                note(format!(
                    "entry {}: prev_hash does not match the hash of the entry before",
                    s.seq
                ));
            }
            if serde_json::from_str::<serde_json::Value>(&s.details).is_err() {
                note(format!("entry {}: details are not valid JSON", s.seq));
            }
            let want = audit_hash(
                s.seq,
                s.time,
                &s.actor,
                &s.action,
                s.subject.as_deref(),
                &s.details,
                &s.prev_hash,
            );
            if want != s.hash {
                note(format!(
                    "entry {}: hash does not match its content (entry was altered)",
                    s.seq
                ));
            }
            last_seq = s.seq;
            last_hash = s.hash;
        }
        last_seq = end;
    }
    match tx.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])? {
        None => note("the audit head row is missing".into()),
        Some(head) => {
            let (hs, hh) = (head.u64(0)?, head.text(1)?);
            if hs != last_seq || hh != last_hash {
                note(format!(
                    "the head records {hs} entries but the log ends at seq {last_seq}{}: entries \
                     were removed or the head was altered",
                    if hs == last_seq {
                        " with another hash"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    if more > 0 {
        problems.push(format!("… and {more} more problems"));
    }
    Ok(AuditReport {
        entries: count,
        head: (count > 0).then_some(last_hash),
        problems,
    })
}
