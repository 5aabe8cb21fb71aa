//! How leash reaches a JSON-RPC endpoint: URL, per-request timeout, bounded retries, extra
//! HTTP headers and extra trusted CA certificates, built into alloy's provider stack
//! (`RootProvider` over `RpcClient` over reqwest with rustls).

use crate::layers::{RetryLayer, TimeoutLayer};
use crate::RpcError;
use alloy::providers::RootProvider;
use alloy::rpc::client::{ClientBuilder, RpcClient};
use alloy::transports::http::Http;
use alloy::transports::utils::guess_local_url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::{fmt, path::Path, time::Duration};

/// How long one request may take before it fails with [`RpcError::RequestTimeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a rate-limited (or, for reads, gateway-failed) request is retried.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The wait before the first retry; it doubles for each next one.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(250);

/// One JSON-RPC endpoint and how to reach it. https works out of the box (rustls, with the
/// system's roots, which honour `SSL_CERT_FILE`/`SSL_CERT_DIR`, plus any
/// [`Endpoint::ca_cert_pem`]).
#[derive(Clone)]
pub struct Endpoint {
    /// The URL as given (what messages show).
    given: String,
    url: reqwest::Url,
    timeout: Duration,
    headers: HeaderMap,
    extra_roots: Vec<reqwest::Certificate>,
    max_retries: u32,
    initial_backoff: Duration,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.given)
            .field("timeout", &self.timeout)
            // Values are marked sensitive (API keys), so HeaderMap's Debug hides them.
            .field("headers", &self.headers)
            .field("extra_roots", &self.extra_roots.len())
            .field("max_retries", &self.max_retries)
            .field("initial_backoff", &self.initial_backoff)
            .finish()
    }
}

impl Endpoint {
    /// The endpoint at `url` with the default timeout and retries, no extra headers or roots.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidUrl`] unless `url` is an `http://` or `https://` URL with a host.
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Ok(Self {
            given: url.to_owned(),
            url: check_url(url)?,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            headers: HeaderMap::new(),
            extra_roots: Vec::new(),
            max_retries: DEFAULT_MAX_RETRIES,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
        })
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.given
    }

    /// The per-request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.timeout
    }

    /// The same endpoint whose requests fail after `timeout` each (connecting, sending and
    /// reading the answer; every retry gets its own).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same endpoint retrying at most `max_retries` times, waiting `initial_backoff`
    /// before the first retry and doubling (up to 5 s) after that. `0` turns retries off.
    /// Which failures are retried, and for which methods, is described in
    /// [`crate::layers`]'s retry layer: sends are never resent after a gateway failure.
    pub fn with_retries(mut self, max_retries: u32, initial_backoff: Duration) -> Self {
        self.max_retries = max_retries;
        self.initial_backoff = initial_backoff;
        self
    }

    /// The same endpoint sending the header `line` (`Name: value`, as curl's and cast's
    /// `-H`) with every request; a repeated name adds a value.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidSetting`] for a line without `:`, an invalid name or a value with
    /// control characters (the value is not repeated in the message: it may be a key).
    pub fn with_header_line(self, line: &str) -> Result<Self, RpcError> {
        let Some((name, value)) = line.split_once(':') else {
            return Err(RpcError::InvalidSetting {
                reason: format!(
                    "header `{}` has no `:`; write it as `Name: value`",
                    line.chars().take(40).collect::<String>()
                ),
            });
        };
        self.with_header(name.trim(), value.trim())
    }

    /// The same endpoint sending header `name` with `value` on every request.
    ///
    /// # Errors
    ///
    /// As [`Endpoint::with_header_line`].
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, RpcError> {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| RpcError::InvalidSetting {
                reason: format!(
                    "`{name}` is not a valid HTTP header name (letters, digits and `-`, no spaces)"
                ),
            })?;
        let mut value = HeaderValue::from_str(value).map_err(|_| RpcError::InvalidSetting {
            reason: format!(
                "the value of header `{name}` holds characters HTTP does not allow (control \
                 characters or non-ASCII)"
            ),
        })?;
        value.set_sensitive(true);
        self.headers.append(header, value);
        Ok(self)
    }

    /// The same endpoint also trusting the CA certificates in `pem` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks), on top of the system's roots.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidSetting`] when `pem` holds no readable certificate.
    pub fn with_ca_cert_pem(mut self, pem: &[u8]) -> Result<Self, RpcError> {
        let unreadable = |why: String| {
            RpcError::InvalidSetting {
            reason: format!("the CA certificate is not usable: {why}; give a PEM file with `-----BEGIN CERTIFICATE-----` blocks"),
        }
        };
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|error| unreadable(error.to_string()))?;
        if certificates.is_empty() {
            return Err(unreadable("no certificate in it".to_owned()));
        }
        self.extra_roots.extend(certificates);
        Ok(self)
    }

    /// [`Endpoint::with_ca_cert_pem`] with the contents of the file at `path`.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidSetting`] when the file cannot be read or holds no certificate.
    pub fn with_ca_cert_file(self, path: &Path) -> Result<Self, RpcError> {
        let pem = std::fs::read(path).map_err(|error| RpcError::InvalidSetting {
            reason: format!("cannot read the CA certificate {}: {error}", path.display()),
        })?;
        self.with_ca_cert_pem(&pem).map_err(|error| match error {
            RpcError::InvalidSetting { reason } => RpcError::InvalidSetting {
                reason: format!("{}: {reason}", path.display()),
            },
            other => other,
        })
    }

    /// The reqwest client: rustls, the extra headers and roots. The timeout is not set
    /// here but in the layer stack, whose error names it.
    ///
    /// # Errors
    ///
    /// [`RpcError::InvalidSetting`] when TLS cannot be set up (e.g. no CA certificate on the
    /// system and none given).
    pub fn http_client(&self) -> Result<reqwest::Client, RpcError> {
        reqwest::Client::builder()
            .default_headers(self.headers.clone())
            .connect_timeout(self.timeout)
            .tls_certs_merge(self.extra_roots.iter().cloned())
            .build()
            .map_err(|error| RpcError::InvalidSetting {
                reason: format!(
                    "cannot set up the HTTP client: {}; install the system's CA certificates \
                     or point SSL_CERT_FILE at a PEM bundle",
                    crate::from_alloy::describe(&error)
                ),
            })
    }

    /// alloy's `RpcClient` for this endpoint: retries around a per-request timeout around
    /// the HTTP transport.
    ///
    /// # Errors
    ///
    /// As [`Endpoint::http_client`].
    pub fn rpc_client(&self) -> Result<RpcClient, RpcError> {
        let transport = Http::with_client(self.http_client()?, self.url.clone());
        Ok(ClientBuilder::default()
            .layer(RetryLayer::new(self.max_retries, self.initial_backoff))
            .layer(TimeoutLayer::new(self.given.as_str(), self.timeout))
            .transport(transport, guess_local_url(self.url.as_str())))
    }

    /// alloy's `RootProvider` over [`Endpoint::rpc_client`]: every `Provider` method, and
    /// [`crate::BundlerApi`], work on it.
    ///
    /// # Errors
    ///
    /// As [`Endpoint::http_client`].
    pub fn provider(&self) -> Result<RootProvider, RpcError> {
        Ok(RootProvider::new(self.rpc_client()?))
    }
}

fn check_url(url: &str) -> Result<reqwest::Url, RpcError> {
    let invalid = |reason: &str| RpcError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|error| invalid(&error.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => return Err(invalid(&format!("scheme `{other}` is not http or https"))),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_https_needs_no_feature() {
        assert!(Endpoint::new("http://127.0.0.1:8545").is_ok());
        assert!(Endpoint::new("https://rpc.example").is_ok());
        for bad in [
            "127.0.0.1:8545",
            "ws://127.0.0.1:8545",
            "http://",
            "",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(Endpoint::new(bad), Err(RpcError::InvalidUrl { .. })),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn header_lines_are_parsed_and_values_kept_secret() {
        let endpoint = Endpoint::new("https://bundler.example")
            .unwrap()
            .with_header_line("X-Api-Key:  s3cret ")
            .unwrap()
            .with_header_line("Authorization: Bearer t0ken")
            .unwrap();
        assert_eq!(endpoint.headers["x-api-key"], "s3cret");
        assert_eq!(endpoint.headers["authorization"], "Bearer t0ken");
        let shown = format!("{endpoint:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken"),
            "{shown}"
        );
        for bad in ["no colon", "bad name: x", ": empty name"] {
            let error = Endpoint::new("http://a.example")
                .unwrap()
                .with_header_line(bad)
                .unwrap_err();
            assert!(matches!(error, RpcError::InvalidSetting { .. }), "{bad}");
        }
        let control = Endpoint::new("http://a.example")
            .unwrap()
            .with_header_line("X-Key: se\u{1}cret")
            .unwrap_err();
        assert!(!control.to_string().contains("se\u{1}cret"), "{control}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let endpoint = Endpoint::new("https://a.example").unwrap();
        let error = endpoint.clone().with_ca_cert_pem(b"not a pem").unwrap_err();
        assert!(error.to_string().contains("BEGIN CERTIFICATE"), "{error}");
        let missing = endpoint
            .with_ca_cert_file(Path::new("/nonexistent/ca.pem"))
            .unwrap_err();
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );
    }
}
