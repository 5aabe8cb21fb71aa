//! The append-only, hash-chained audit log.
//!
//! One entry per lifecycle action and per signed op, in the registry's SQLite file, written in
//! the same transaction as the change it records. Entry `n` stores
//! `hash_n = keccak256(canonical(seq, time, actor, action, session, details, hash_{n-1}))`
//! with `hash_0 = 0x00…00`, where `canonical` is
//!
//! ```text
//! "leash.audit.v1" ‖ u64be(seq) ‖ u64be(time) ‖ str(actor) ‖ str(action)
//!   ‖ (0x00 | 0x01 ‖ str(session)) ‖ str(details) ‖ prev_hash(32 bytes)
//! str(x) = u32be(len(x)) ‖ utf8(x)
//! ```
//!
//! `details` is hashed as the exact JSON text stored (and exported), so anyone can re-check
//! an export. [`verify_entries`] reports the first entry that was edited, removed or moved.
//! Dropping entries from the end leaves a valid shorter chain. The registry records the head
//! with every append (the `audit_head` table), so a log emptied or cut short is reported by
//! `Registry::audit_verify` even without an anchor; someone who rewrites that row too is
//! caught only by an anchor kept elsewhere (the [`AuditHead`] of a previous check).

use std::fmt;
use std::io::{BufRead, Write};
use std::str::FromStr;

use alloy::primitives::{keccak256, B256};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::db::DbError;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A session was created (key generated and stored).
    Create,
    /// A session was paused.
    Pause,
    /// A paused session was resumed.
    Resume,
    /// A session's key was replaced by a new session.
    Rotate,
    /// A session was revoked.
    Revoke,
    /// A revoked session's record and key were deleted.
    Delete,
    /// A private key was exported in clear.
    ExportKey,
    /// A user operation was signed.
    SignOp,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 8] = [
        Action::Create,
        Action::Pause,
        Action::Resume,
        Action::Rotate,
        Action::Revoke,
        Action::Delete,
        Action::ExportKey,
        Action::SignOp,
    ];

    /// The name stored and hashed.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Rotate => "rotate",
            Action::Revoke => "revoke",
            Action::Delete => "delete",
            Action::ExportKey => "export_key",
            Action::SignOp => "sign_op",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown audit action {s:?}"))
    }
}

/// One audit entry, exactly as stored and exported (one JSON object per line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// Unix seconds.
    pub time: u64,
    /// Who acted (OS user, `cli`, a service name).
    pub actor: String,
    /// What happened; kept as text so a tampered value is reported, not rejected on read.
    pub action: String,
    /// The session's local id, when the action concerns one.
    pub session: Option<String>,
    /// JSON text with the action's details (op hash, reason...).
    pub details: String,
    /// Hash of the previous entry (zero for the first).
    pub prev_hash: B256,
    /// This entry's hash.
    pub hash: B256,
}

impl AuditEntry {
    /// The hash this entry's fields give (compare with [`AuditEntry::hash`]).
    pub fn computed_hash(&self) -> B256 {
        entry_hash(
            self.seq,
            self.time,
            &self.actor,
            &self.action,
            self.session.as_deref(),
            &self.details,
            &self.prev_hash,
        )
    }
}

/// The latest entry's position and hash: keep it outside the machine to detect later
/// truncation of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    /// Sequence number of the latest entry.
    pub seq: u64,
    /// Its hash.
    pub hash: B256,
}

impl fmt::Display for AuditHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl FromStr for AuditHead {
    type Err = String;

    /// Parses `<seq>:<0x hash>`, the form [`fmt::Display`] writes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("audit anchor {s:?}: expected <seq>:<0x hash>"))?;
        Ok(AuditHead {
            seq: seq
                .parse()
                .map_err(|_| format!("audit anchor {s:?}: {seq:?} is not a sequence number"))?,
            hash: hash
                .parse()
                .map_err(|_| format!("audit anchor {s:?}: {hash:?} is not a 32-byte hex hash"))?,
        })
    }
}

/// The first problem found in a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditIssue {
    /// The entry's fields no longer give its hash.
    Edited {
        /// The entry.
        seq: u64,
    },
    /// Entry `missing` is gone (a gap in the sequence, or later entries renumbered down).
    Removed {
        /// The sequence number that should be there.
        missing: u64,
    },
    /// The entry at `seq` belongs elsewhere in the chain: its link points at an entry that is
    /// not its predecessor.
    Reordered {
        /// The position where the misplaced entry was found.
        seq: u64,
    },
    /// The entry is self-consistent but does not link to its predecessor (the chain was
    /// rewritten from here).
    BrokenLink {
        /// The entry.
        seq: u64,
    },
    /// The anchor names an entry the log no longer has.
    Truncated {
        /// The anchored entry.
        anchor_seq: u64,
        /// The last entry present (0 = empty log).
        last_seq: u64,
    },
    /// The anchored entry exists but has another hash.
    AnchorMismatch {
        /// The anchored entry.
        seq: u64,
    },
}

impl fmt::Display for AuditIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Edited { seq } => write!(f, "entry {seq} was edited: its contents do not match its hash"),
            Self::Removed { missing } => write!(f, "entry {missing} was removed"),
            Self::Reordered { seq } => {
                write!(f, "entry {seq} is out of order: it links to an entry other than its predecessor")
            }
            Self::BrokenLink { seq } => write!(
                f,
                "entry {seq} does not link to entry {}: the chain was rewritten from here",
                seq.saturating_sub(1)
            ),
            Self::Truncated { anchor_seq, last_seq } => write!(
                f,
                "the log was truncated: anchored entry {anchor_seq} is gone (last entry is {last_seq})"
            ),
            Self::AnchorMismatch { seq } => {
                write!(f, "entry {seq} does not match the anchor's hash")
            }
        }
    }
}

/// Result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries read.
    pub entries: u64,
    /// Latest entry, if any.
    pub head: Option<AuditHead>,
    /// The first problem, `None` when the chain is intact.
    pub problem: Option<AuditIssue>,
}

impl ChainReport {
    /// True when no problem was found.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Errors reading or exporting the log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Writing the export failed.
    #[error("audit export: {0}")]
    Io(#[from] std::io::Error),
    /// A line of a JSON-lines export is not an entry.
    #[error("audit export line {line}: {reason}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

const DOMAIN: &[u8] = b"leash.audit.v1";

/// The hash of an entry with these fields.
pub fn entry_hash(
    seq: u64,
    time: u64,
    actor: &str,
    action: &str,
    session: Option<&str>,
    details: &str,
    prev_hash: &B256,
) -> B256 {
    let mut buf = Vec::with_capacity(128 + details.len());
    buf.extend_from_slice(DOMAIN);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&time.to_be_bytes());
    push_str(&mut buf, actor);
    push_str(&mut buf, action);
    match session {
        None => buf.push(0),
        Some(s) => {
            buf.push(1);
            push_str(&mut buf, s);
        }
    }
    push_str(&mut buf, details);
    buf.extend_from_slice(prev_hash.as_slice());
    keccak256(&buf)
}

fn push_str(buf: &mut Vec<u8>, s: &str) {
    // Lengths above u32::MAX cannot occur: SQLite caps a value at 1 GB.
    buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Appends an entry inside the caller's transaction.
pub(crate) fn append(
    tx: &Transaction<'_>,
    time: u64,
    actor: &str,
    action: Action,
    session: Option<&str>,
    details: &serde_json::Value,
) -> Result<AuditEntry, rusqlite::Error> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (seq, prev_hash) = match last {
        None => (1, B256::ZERO),
        Some((seq, hash)) => (
            seq as u64 + 1,
            // A tampered hash column still gets chained onto; verify reports the tampering.
            hash.parse().unwrap_or(B256::ZERO),
        ),
    };
    let details = details.to_string();
    let action = action.as_str().to_owned();
    let hash = entry_hash(seq, time, actor, &action, session, &details, &prev_hash);
    tx.execute(
        "INSERT INTO audit (seq, time, actor, action, session, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            seq as i64,
            time as i64,
            actor,
            action,
            session,
            details,
            prev_hash.to_string(),
            hash.to_string()
        ],
    )?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![seq as i64, hash.to_string()],
    )?;
    Ok(AuditEntry {
        seq,
        time,
        actor: actor.to_owned(),
        action,
        session: session.map(str::to_owned),
        details,
        prev_hash,
        hash,
    })
}

/// Every entry in sequence order (optionally only one session's).
pub(crate) fn read_entries(
    tx: &Transaction<'_>,
    session: Option<&str>,
) -> Result<Vec<AuditEntry>, rusqlite::Error> {
    let mut stmt = tx.prepare(
        "SELECT seq, time, actor, action, session, details, prev_hash, hash FROM audit
         WHERE ?1 IS NULL OR session = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([session], |row| {
        let hex = |i: usize| -> rusqlite::Result<B256> {
            let text: String = row.get(i)?;
            // An unparsable hash is tampering: keep a value that cannot match any real hash
            // so verify reports the entry.
            Ok(text.parse().unwrap_or(B256::repeat_byte(0xff)))
        };
        Ok(AuditEntry {
            seq: row.get::<_, i64>(0)? as u64,
            time: row.get::<_, i64>(1)? as u64,
            actor: row.get(2)?,
            action: row.get(3)?,
            session: row.get(4)?,
            details: row.get(5)?,
            prev_hash: hex(6)?,
            hash: hex(7)?,
        })
    })?;
    rows.collect()
}

/// The head the registry recorded with the last append (see the `audit_head` table).
pub(crate) fn read_recorded_head(
    tx: &Transaction<'_>,
) -> Result<Option<AuditHead>, rusqlite::Error> {
    tx.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |row| {
        let hash: String = row.get(1)?;
        Ok(AuditHead {
            seq: row.get::<_, i64>(0)? as u64,
            hash: hash.parse().unwrap_or(B256::repeat_byte(0xff)),
        })
    })
    .optional()
}

/// The latest entry.
pub(crate) fn read_head(tx: &Transaction<'_>) -> Result<Option<AuditHead>, rusqlite::Error> {
    tx.query_row(
        "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
        [],
        |row| {
            let hash: String = row.get(1)?;
            Ok(AuditHead {
                seq: row.get::<_, i64>(0)? as u64,
                hash: hash.parse().unwrap_or(B256::repeat_byte(0xff)),
            })
        },
    )
    .optional()
}

/// Walks a chain (all entries, in stored order) and reports the first problem. With an
/// `anchor` (a head recorded earlier), also checks that the anchored entry is still there
/// with the same hash — the only way to detect entries dropped from the end.
pub fn verify_entries(entries: &[AuditEntry], anchor: Option<&AuditHead>) -> ChainReport {
    let head = entries.last().map(|e| AuditHead {
        seq: e.seq,
        hash: e.hash,
    });
    let report = |problem| ChainReport {
        entries: entries.len() as u64,
        head,
        problem,
    };
    let mut prev_hash = B256::ZERO;
    for (i, entry) in entries.iter().enumerate() {
        let expected = i as u64 + 1;
        let links_elsewhere = || {
            entry.prev_hash != prev_hash
                && entries
                    .iter()
                    .any(|other| other.seq != entry.seq && other.hash == entry.prev_hash)
        };
        if entry.computed_hash() != entry.hash {
            // Does the entry hash correctly under another sequence number, i.e. was it moved?
            let moved = (1..=entries.len() as u64 + 1).any(|seq| {
                seq != entry.seq
                    && entry_hash(
                        seq,
                        entry.time,
                        &entry.actor,
                        &entry.action,
                        entry.session.as_deref(),
                        &entry.details,
                        &entry.prev_hash,
                    ) == entry.hash
            });
            let problem = if !moved {
                AuditIssue::Edited { seq: entry.seq }
            } else if links_elsewhere() {
                AuditIssue::Reordered { seq: entry.seq }
            } else {
                AuditIssue::Removed { missing: entry.seq }
            };
            return report(Some(problem));
        }
        if entry.seq != expected {
            return report(Some(AuditIssue::Removed { missing: expected }));
        }
        if entry.prev_hash != prev_hash {
            let problem = if links_elsewhere() {
                AuditIssue::Reordered { seq: entry.seq }
            } else {
                AuditIssue::BrokenLink { seq: entry.seq }
            };
            return report(Some(problem));
        }
        if entry.action.parse::<Action>().is_err() {
            return report(Some(AuditIssue::Edited { seq: entry.seq }));
        }
        prev_hash = entry.hash;
    }
    if let Some(anchor) = anchor {
        match entries.iter().find(|e| e.seq == anchor.seq) {
            None => {
                return report(Some(AuditIssue::Truncated {
                    anchor_seq: anchor.seq,
                    last_seq: head.map_or(0, |h| h.seq),
                }))
            }
            Some(e) if e.hash != anchor.hash => {
                return report(Some(AuditIssue::AnchorMismatch { seq: anchor.seq }))
            }
            Some(_) => {}
        }
    }
    report(None)
}

/// Writes entries as JSON lines (one [`AuditEntry`] object per line).
pub fn write_jsonl(entries: &[AuditEntry], out: &mut dyn Write) -> Result<(), AuditError> {
    for entry in entries {
        serde_json::to_writer(&mut *out, entry).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Reads a JSON-lines export back (for [`verify_entries`] on an exported file).
pub fn read_jsonl(input: &mut dyn BufRead) -> Result<Vec<AuditEntry>, AuditError> {
    let mut entries = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        entries.push(
            serde_json::from_str(&line).map_err(|e| AuditError::BadLine {
                line: i + 1,
                reason: e.to_string(),
            })?,
        );
    }
    Ok(entries)
}
