//! A tiny HTTP/1.1 JSON-RPC server for transport tests, plain or TLS with a CA generated at
//! test time (rcgen). Each request is answered by a handler that sees the request number and
//! its JSON body; every request's headers and body are recorded for the test to inspect.
//!
//! Shared by `crates/rpc/tests` and `crates/cli/tests` (included with `#[path]`), std threads
//! only, so it runs under any test harness and from sync code.

#![allow(dead_code, unreachable_pub)]

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body (JSON text).
    pub body: String,
    /// How long to wait before answering.
    pub delay: Duration,
}

impl Reply {
    /// `200` with a JSON-RPC result for the request `id`.
    pub fn result(id: &Value, result: Value) -> Self {
        Self {
            status: 200,
            body: serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string(),
            delay: Duration::ZERO,
        }
    }

    /// A bare HTTP status with a short text body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            body: format!("status {status}"),
            delay: Duration::ZERO,
        }
    }

    /// The same reply sent after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
}

impl Seen {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The JSON-RPC method.
    pub fn method(&self) -> &str {
        self.body["method"].as_str().unwrap_or_default()
    }
}

/// The handler: request number (0-based) and JSON body in, reply out.
pub type Handler = dyn Fn(usize, &Value) -> Reply + Send + Sync;

/// A test CA and a server certificate for `localhost` and `127.0.0.1` signed by it.
pub struct TestCa {
    /// The CA certificate, PEM (what a client must trust).
    pub ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

impl TestCa {
    /// Generates a fresh CA and server certificate.
    pub fn generate() -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "leash test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("server key");
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server params");
        server_params
            .distinguished_name
            .push(DnType::CommonName, "leash test server");
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        Self {
            ca_pem: ca_cert.pem(),
            server_chain: vec![server_cert.der().clone()],
            server_key: server_key.serialize_der(),
        }
    }

    /// Writes the CA certificate to `path`.
    pub fn write_ca(&self, path: &std::path::Path) {
        std::fs::write(path, &self.ca_pem).expect("write the CA certificate");
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(self.server_chain.clone(), key)
            .expect("server certificate and key");
        Arc::new(config)
    }
}

/// A running server; its accept thread lives as long as the test process.
pub struct JsonRpcServer {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl JsonRpcServer {
    /// A plain-http server answering with `handler`.
    pub fn http(handler: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static) -> Self {
        Self::start(None, Arc::new(handler))
    }

    /// An https server presenting `ca`'s server certificate.
    pub fn https(
        ca: &TestCa,
        handler: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start(Some(ca.server_config()), Arc::new(handler))
    }

    /// A server (https with `ca`, else plain http) that passes every request on to the
    /// plain-http JSON-RPC `upstream` (e.g. anvil) and returns its answer.
    pub fn proxy(ca: Option<&TestCa>, upstream: &str) -> Self {
        let upstream = upstream.to_owned();
        let handler = move |_: usize, body: &Value| Reply {
            status: 200,
            body: forward(&upstream, &body.to_string()),
            delay: Duration::ZERO,
        };
        match ca {
            Some(ca) => Self::https(ca, handler),
            None => Self::http(handler),
        }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// How many requests came in.
    pub fn hits(&self) -> usize {
        self.seen.lock().expect("not poisoned").len()
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>, handler: Arc<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("local address").port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tls = tls.clone();
                let handler = Arc::clone(&handler);
                let seen = Arc::clone(&recorded);
                std::thread::spawn(move || serve_connection(stream, tls, &*handler, &seen));
            }
        });
        Self {
            url: format!("{scheme}://127.0.0.1:{port}"),
            seen,
        }
    }
}

fn serve_connection(
    stream: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: &Handler,
    seen: &Mutex<Vec<Seen>>,
) {
    match tls {
        Some(config) => {
            let Ok(connection) = rustls::ServerConnection::new(config) else {
                return;
            };
            serve_requests(rustls::StreamOwned::new(connection, stream), handler, seen);
        }
        None => serve_requests(stream, handler, seen),
    }
}

/// Answers requests on one (keep-alive) connection until the client closes it.
fn serve_requests(stream: impl Read + Write, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let index = {
            let mut seen = seen.lock().expect("not poisoned");
            seen.push(request.clone());
            seen.len() - 1
        };
        let reply = handler(index, &request.body);
        std::thread::sleep(reply.delay);
        let response = format!(
            "HTTP/1.1 {} Test\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            reply.status,
            reply.body.len(),
            reply.body
        );
        let stream = reader.get_mut();
        if stream.write_all(response.as_bytes()).is_err() || stream.flush().is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

/// POSTs `body` to the plain-http `upstream` and returns the answer's body.
fn forward(upstream: &str, body: &str) -> String {
    let address = upstream.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(address).expect("upstream answers");
    let request = format!(
        "POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send upstream");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the upstream answer");
    let (_, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response from upstream");
    body.to_owned()
}
