//! A small blocking pool of connections, shared by both engines.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::StoreError;

type Connect<C> = Box<dyn Fn() -> Result<C, StoreError> + Send + Sync>;

struct State<C> {
    idle: Vec<C>,
    open: usize,
}

/// At most `max` connections, opened on demand, reused, and dropped when found broken.
pub(crate) struct Pool<C> {
    state: Mutex<State<C>>,
    freed: Condvar,
    max: usize,
    connect: Connect<C>,
    broken: fn(&C) -> bool,
}

impl<C> Pool<C> {
    /// A pool of up to `max` (at least 1) connections made by `connect`, starting with `first`.
    pub(crate) fn new(first: C, max: usize, connect: Connect<C>, broken: fn(&C) -> bool) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            freed: Condvar::new(),
            max: max.max(1),
            connect,
            broken,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        // A panic while holding the lock leaves the state consistent (plain Vec and counter).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection, waiting while all `max` are in use.
    pub(crate) fn get(&self) -> Result<Lease<'_, C>, StoreError> {
        let mut st = self.lock();
        loop {
            while let Some(c) = st.idle.pop() {
                if (self.broken)(&c) {
                    st.open -= 1;
                    continue;
                }
                return Ok(Lease {
                    pool: self,
                    conn: Some(c),
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                return match (self.connect)() {
                    Ok(c) => Ok(Lease {
                        pool: self,
                        conn: Some(c),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            st = self.freed.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A connection on loan; goes back to the pool when dropped (or is closed if broken).
pub(crate) struct Lease<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> Deref for Lease<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn
            .as_ref()
            .expect("lease holds a connection until dropped")
    }
}

impl<C> DerefMut for Lease<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .expect("lease holds a connection until dropped")
    }
}

impl<C> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            let mut st = self.pool.lock();
            if (self.pool.broken)(&c) {
                st.open -= 1;
            } else {
                st.idle.push(c);
            }
            drop(st);
            self.pool.freed.notify_one();
        }
    }
}
