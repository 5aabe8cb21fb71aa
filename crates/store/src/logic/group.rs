//! Group commit for the hot write path (a nonce taken for a signature, with its audit entry).
//!
//! Concurrent callers queue their writes; one of them (the leader) runs every queued write in
//! one transaction, each inside its own savepoint, and commits once: N signatures cost one
//! commit (one fsync on SQLite, one round of WAL flush on PostgreSQL) instead of N. A write that
//! fails rolls back to its savepoint and fails alone; a commit that fails fails every write of
//! the batch. Nothing is answered before the commit that holds it: a caller never sees a nonce
//! whose audit entry is not durable.

use std::sync::mpsc::{channel, TryRecvError};
use std::sync::{Mutex, PoisonError};

use crate::sql::{Backend, Tx};
use crate::StoreError;

/// What a queued write does once its batch commits (or fails to).
type Finish = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;
/// A queued write: runs in the batch's transaction, returns how to answer its caller.
type Job = Box<dyn FnOnce(&mut dyn Tx) -> Finish + Send>;

/// The queue and the leader's lock.
#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Vec<Job>>,
    leader: Mutex<()>,
}

/// A copy of `error` for every write of a failed batch.
fn copy(error: &StoreError) -> StoreError {
    match error {
        StoreError::NotFound { what, id } => StoreError::NotFound {
            what,
            id: id.clone(),
        },
        StoreError::Conflict(message) => StoreError::Conflict(message.clone()),
        StoreError::Backend { engine, message } => StoreError::Backend {
            engine,
            message: message.clone(),
        },
    }
}

/// Runs `f` inside a savepoint of `tx`: its changes are kept on `Ok`, undone on `Err`.
fn in_savepoint<T>(
    tx: &mut dyn Tx,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    tx.batch("SAVEPOINT leash_write")?;
    match f(tx) {
        Ok(value) => {
            tx.batch("RELEASE SAVEPOINT leash_write")?;
            Ok(value)
        }
        Err(error) => {
            tx.batch("ROLLBACK TO SAVEPOINT leash_write; RELEASE SAVEPOINT leash_write")?;
            Err(error)
        }
    }
}

impl GroupCommit {
    /// Runs `f` in a write transaction shared with the writes queued at the same time.
    pub(crate) fn write<B, T, F>(&self, backend: &B, f: F) -> Result<T, StoreError>
    where
        B: Backend,
        T: Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, result) = channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |tx| {
            let outcome = in_savepoint(tx, f);
            Box::new(move |committed: Result<(), &StoreError>| {
                let _ = answer.send(match committed {
                    Ok(()) => outcome,
                    Err(error) => Err(copy(error)),
                });
            })
        });
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(job);
        let _leading = self.leader.lock().unwrap_or_else(PoisonError::into_inner);
        // The previous leader may have run this write in its batch already.
        match result.try_recv() {
            Ok(answered) => return answered,
            Err(TryRecvError::Disconnected) => return Err(dropped()),
            Err(TryRecvError::Empty) => {}
        }
        let jobs = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        let mut finishes = Vec::with_capacity(jobs.len());
        let committed = backend.write(|tx| {
            for job in jobs {
                finishes.push(job(tx));
            }
            Ok(())
        });
        for finish in finishes {
            finish(committed.as_ref().map(|_| ()));
        }
        result.recv().unwrap_or_else(|_| Err(dropped()))
    }
}

/// A write whose batch failed before it ran (its transaction could not even begin).
fn dropped() -> StoreError {
    StoreError::Backend {
        engine: "store",
        message: "the write transaction could not begin; nothing was written, retry".to_owned(),
    }
}
