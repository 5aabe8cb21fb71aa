//! Bounded polling for receipts, shared by the node and the bundler clients.

use crate::RpcError;
use std::future::Future;
use std::time::{Duration, Instant};

/// Calls `fetch` every `interval` until it yields a value or `timeout` passes.
///
/// `what` names the awaited thing in the [`RpcError::Timeout`] returned when time runs out;
/// an error from `fetch` ends the wait at once.
pub(crate) async fn poll_until<T, F, Fut>(
    what: impl FnOnce() -> String,
    timeout: Duration,
    interval: Duration,
    mut fetch: F,
) -> Result<T, RpcError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, RpcError>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = fetch().await? {
            return Ok(value);
        }
        if started.elapsed() >= timeout {
            return Err(RpcError::Timeout {
                what: what(),
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(interval).await;
    }
}
