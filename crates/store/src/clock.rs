//! Where timestamps come from.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of unix seconds. The engines use [`system_clock`] unless given another one
/// (`with_clock`), e.g. a fixed time in tests.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock, in unix seconds (0 if the clock is before 1970).
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    })
}
