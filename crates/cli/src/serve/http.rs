//! The HTTP side of `leash serve`: POST `/` (JSON-RPC, one call or a batch), GET `/healthz`,
//! body-size and time limits, one structured log line per call (method, key id, code, time;
//! never secrets, params or keys), graceful shutdown on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::rpc::{self, Call, Failure};
use super::{auth, methods, Service};
use crate::output::Ui;

/// Limits of the HTTP server.
pub(crate) struct Limits {
    /// `--listen`.
    pub(crate) listen: String,
    /// Largest body accepted.
    pub(crate) max_body_bytes: usize,
    /// Longest a request may take.
    pub(crate) request_timeout: Duration,
}

#[derive(Clone)]
struct AppState {
    service: Arc<Service>,
    timeout: Duration,
}

/// Listens on `limits.listen` and serves until a shutdown signal.
pub(crate) async fn serve(service: Arc<Service>, limits: Limits, ui: Ui) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let listener = tokio::net::TcpListener::bind(&limits.listen)
        .await
        .map_err(|error| {
            anyhow::anyhow!(
                "--listen {}: cannot listen there: {error} (is another server on that port?)",
                limits.listen
            )
        })?;
    let address = listener.local_addr()?;
    let engine = format!("{:?}", service.engine).to_lowercase();
    let chain = service.chain.describe();
    let state = AppState {
        service,
        timeout: limits.request_timeout,
    };
    let app = Router::new()
        .route("/", post(rpc_endpoint))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .with_state(state);
    // The one line scripts wait for (also with --json: it goes to stderr).
    eprintln!("leash serve: listening on http://{address} (store {engine}, chain {chain})");
    let _ = ui;
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("leash serve: stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn healthz(State(state): State<AppState>) -> Response {
    let engine = state.service.engine;
    match state.service.db(|store| store.health()).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "store": engine, "chainId": state.service.chain.chain_id})),
        )
            .into_response(),
        Err(failure) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "store": engine, "error": failure.message})),
        )
            .into_response(),
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn rpc_endpoint(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let service = Arc::clone(&state.service);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let key = match service
        .db(move |store| Ok(auth::authenticate(store, authorization.as_deref())))
        .await
        .and_then(|checked| checked)
    {
        Ok(key) => key,
        Err(failure) => {
            tracing::warn!(code = failure.code, reason = %failure.message, "refused");
            return reply(failure.http, rpc::error(Value::Null, &failure));
        }
    };
    if let Err(failure) = service.limiter.admit(&key) {
        tracing::warn!(key = %key.id, code = failure.code, "rate limited");
        return reply(failure.http, rpc::error(Value::Null, &failure));
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            let failure = Failure::new(rpc::PARSE_ERROR, format!("the body is not JSON: {error}"));
            return reply(StatusCode::BAD_REQUEST, rpc::error(Value::Null, &failure));
        }
    };
    let (calls, batch) = match parsed {
        Value::Array(items) if items.is_empty() => {
            let failure = Failure::new(rpc::INVALID_REQUEST, "an empty batch");
            return reply(StatusCode::BAD_REQUEST, rpc::error(Value::Null, &failure));
        }
        Value::Array(items) => (items, true),
        single => (vec![single], false),
    };
    let mut answers = Vec::with_capacity(calls.len());
    let mut status = StatusCode::OK;
    for raw in &calls {
        let (id, outcome, method) = match rpc::parse_call(raw) {
            Ok(Call { id, method, params }) => {
                let outcome = tokio::time::timeout(
                    state.timeout,
                    methods::dispatch(&service, &key, &method, &params),
                )
                .await
                .unwrap_or_else(|_| {
                    Err(Failure::internal(format!(
                        "{method} took longer than the server's limit of {}s (--request-timeout)",
                        state.timeout.as_secs()
                    ))
                    .with_http(StatusCode::GATEWAY_TIMEOUT))
                });
                (id, outcome, method)
            }
            Err((id, failure)) => (id, Err(failure), String::new()),
        };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(result) => {
                tracing::info!(key = %key.id, method = %method, ms = elapsed_ms, "ok");
                answers.push(rpc::success(id, result));
            }
            Err(failure) => {
                tracing::info!(key = %key.id, method = %method, code = failure.code, ms = elapsed_ms, reason = %failure.message, "error");
                if !batch {
                    status = failure.http;
                }
                answers.push(rpc::error(id, &failure));
            }
        }
    }
    let body = if batch {
        Value::Array(answers)
    } else {
        answers.pop().unwrap_or(Value::Null)
    };
    reply(status, body)
}
