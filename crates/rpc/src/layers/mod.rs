//! Tower layers leash puts between alloy's `RpcClient` and its HTTP transport: a
//! per-request timeout and bounded, method-aware retries.

mod retry;
mod timeout;

pub use retry::{is_read_only, RetriesExhausted, RetryLayer, RetryService, MAX_BACKOFF};
pub use timeout::{TimedOut, TimeoutLayer, TimeoutService};
