//! The HTTP side of a vSphere session: TLS, timeouts, retries, the session cookie.
//!
//! One [`Client`] talks to one endpoint (`https://host[:port]/sdk`) with reqwest on rustls. TLS
//! verification uses the system roots plus an optional CA file; `insecure` switches it off (the
//! caller logs and records that). Every SOAP call has a request timeout; transient failures
//! (connection refused or reset, timeouts, HTTP 502/503/504) are retried a bounded number of
//! times with exponential backoff, while SOAP faults (bad password, missing privilege) and TLS
//! failures are never retried. After Login the `vmware_soap_session` cookie is sent back on
//! every call. The password type never shows its value in `Debug` output.
//!
//! Against a hostile or broken server: redirects are never followed (a 3xx answer is
//! [`CallError::Redirect`]: following one would re-post the Login body, credentials included, to
//! wherever it points), one answer is capped at [`Settings::max_response_bytes`]
//! ([`CallError::TooLarge`]), and a timeout says which phase ran out and after how long, as
//! measured ([`TimedOut`]): the TCP connect, the TLS handshake, the wait for the answer, or its
//! reading.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::soap::{self, Fault, Node, XmlError};

/// A password read from an environment variable or a file. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// The secret itself, for the Login request only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The default cap on one answer: far above the largest real page (about 2 MB for 100 hosts).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1 << 30;

/// Timeouts, retry policy and answer size cap of one source.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// TCP connect and TLS handshake together; at most half of `request_timeout`, so that it
    /// always runs out first when the connection is what hangs.
    pub connect_timeout: Duration,
    /// One call, from sending the request to the end of the answer.
    pub request_timeout: Duration,
    /// Retries after the first attempt, for transient failures only.
    pub retries: u32,
    /// First backoff; doubles on every retry.
    pub backoff: Duration,
    /// The largest answer accepted, in bytes.
    pub max_response_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(300),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl Settings {
    /// The connect timeout in effect: the configured one, at most half the request timeout.
    pub fn effective_connect_timeout(&self) -> Duration {
        self.connect_timeout.min(self.request_timeout / 2)
    }
}

/// The part of a call that ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The TCP connection was not established.
    Connect,
    /// The TCP connection was accepted, the TLS handshake did not complete.
    TlsHandshake,
    /// Connected and the request sent; the answer did not start.
    Answer,
    /// The answer started and did not finish.
    Body,
}

/// A call that ran out of time: which phase, with whom, and after how long (measured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    pub phase: Phase,
    /// `host:port` of the endpoint.
    pub target: String,
    /// How long the last attempt ran before it was given up.
    pub after: Duration,
    /// Attempts made (1 when the call was not retried).
    pub attempts: u32,
    /// From the first attempt to giving up, backoff included.
    pub total: Duration,
}

/// `12.3 s`: a measured duration as messages show it.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (target, after) = (&self.target, secs(self.after));
        match self.phase {
            Phase::Connect => write!(f, "no TCP connection to {target} within {after}")?,
            Phase::TlsHandshake => write!(
                f,
                "the TLS handshake with {target} did not complete within {after} (the TCP \
                 connection was accepted, but nothing answered as an HTTPS server)"
            )?,
            Phase::Answer => write!(f, "no answer within {after}")?,
            Phase::Body => write!(f, "the answer was still arriving after {after}")?,
        }
        if self.attempts > 1 {
            write!(f, "; {} attempts over {}", self.attempts, secs(self.total))?;
        }
        Ok(())
    }
}

/// Why one SOAP call failed.
#[derive(Debug, Clone)]
pub enum CallError {
    /// The TLS handshake failed (certificate not trusted, name mismatch, ...).
    Tls(String),
    /// No connection (refused, reset).
    Connect(String),
    /// The host name does not resolve.
    Resolve(String),
    /// A phase of the call ran out of time.
    Timeout(Box<TimedOut>),
    /// An HTTP status without a SOAP body.
    Http(u16),
    /// An HTTP redirect (3xx), never followed: the status and the `Location` it named.
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// The answer is larger than the cap (the cap, in bytes).
    TooLarge(u64),
    /// The answer nests elements deeper than the limit (the limit).
    TooDeep(usize),
    /// The server answered with a SOAP fault.
    Fault(Box<Fault>),
    /// The answer was not the SOAP we expected.
    Protocol(String),
}

impl CallError {
    /// Worth another attempt.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Connect(_) | CallError::Timeout(_) => true,
            CallError::Http(s) => matches!(s, 502..=504),
            CallError::Tls(_)
            | CallError::Resolve(_)
            | CallError::Redirect { .. }
            | CallError::TooLarge(_)
            | CallError::TooDeep(_)
            | CallError::Fault(_)
            | CallError::Protocol(_) => false,
        }
    }
}

impl From<XmlError> for CallError {
    fn from(e: XmlError) -> Self {
        match e {
            XmlError::TooDeep(limit) => CallError::TooDeep(limit),
            XmlError::Malformed(m) => CallError::Protocol(m),
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Tls(m) => write!(f, "TLS handshake failed: {m}"),
            CallError::Connect(m) | CallError::Resolve(m) => write!(f, "cannot connect: {m}"),
            CallError::Timeout(t) => write!(f, "{t}"),
            CallError::Http(s) => write!(f, "HTTP status {s} without a SOAP answer"),
            CallError::Redirect { status, location } => write!(
                f,
                "HTTP status {status} (redirect) to {}, not followed",
                location.as_deref().unwrap_or("no Location")
            ),
            CallError::TooLarge(limit) => write!(f, "answer larger than {limit} bytes"),
            CallError::TooDeep(limit) => write!(f, "{}", XmlError::TooDeep(*limit)),
            CallError::Fault(fault) => write!(f, "{fault}"),
            CallError::Protocol(m) => write!(f, "unexpected answer: {m}"),
        }
    }
}

/// Turn `https://host`, `https://host:port`, `https://host:port/sdk` (with or without a
/// trailing slash) into the SDK endpoint URL.
pub fn sdk_url(url: &str) -> Result<String, String> {
    let u = url.trim();
    let form = "https://host, https://host:port or https://host:port/sdk";
    let rest = match u.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("https://") => &u[8..],
        _ => return Err(format!("vCenter URL `{u}` must start with https://")),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.contains('@') {
        // Not echoed: it may hold a password.
        return Err(format!(
            "a vCenter URL must not contain a user name or password; give the user with \
             --user (`user`) and the password with --password-env or --password-file; the URL \
             must be {form}"
        ));
    }
    if authority.is_empty() {
        return Err(format!("vCenter URL `{u}` must be {form}"));
    }
    if let Err(e) = reqwest::Url::parse(&format!("https://{authority}/sdk")) {
        return Err(format!(
            "vCenter URL `{u}` is not valid ({e}); it must be {form}"
        ));
    }
    match path {
        "" | "/sdk" => Ok(format!("https://{authority}/sdk")),
        other => Err(format!(
            "vCenter URL `{u}` has path `{other}`; expected none or /sdk"
        )),
    }
}

/// The certificates of a PEM CA file; a clear message when it cannot be read or holds none.
pub fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
    if pem.starts_with(b"PK\x03\x04") {
        return Err(format!(
            "CA file {} is a ZIP archive (vCenter's certs/download.zip?); unzip it and give the \
             PEM root certificate inside (certs/lin/*.0)",
            path.display()
        ));
    }
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        format!(
            "CA file {} is not a PEM certificate bundle: {e}",
            path.display()
        )
    })?;
    if certs.is_empty() {
        return Err(format!(
            "CA file {} holds no PEM certificate (no -----BEGIN CERTIFICATE----- block); a DER \
             certificate can be converted with `openssl x509 -inform der -in FILE -out ca.pem`",
            path.display()
        ));
    }
    Ok(certs)
}

/// A connection to one SDK endpoint.
pub struct Client {
    http: reqwest::Client,
    url: String,
    /// `host:port` of `url`, for messages and the TCP probe.
    target: String,
    settings: Settings,
    cookie: Mutex<Option<String>>,
    soap_action: Mutex<String>,
    /// Container views created and not yet destroyed (destroyed before Logout, also after an
    /// error or a timeout).
    views: Mutex<Vec<soap::MoRef>>,
    dump: Option<Mutex<std::fs::File>>,
}

/// The hidden benchmark knob: append every request (method and envelope, the password
/// replaced by `{{PASSWORD}}`) as a JSON line to this file, for `scripts/bench.sh` to replay.
pub const DUMP_REQUESTS_VAR: &str = "VMKAUDIT_DUMP_REQUESTS";

/// The placeholder the request dump writes instead of the password.
pub const PASSWORD_PLACEHOLDER: &str = "{{PASSWORD}}";

/// `envelope` with the text of its `<password>` element replaced by [`PASSWORD_PLACEHOLDER`].
fn redact_password(envelope: &str) -> String {
    match (envelope.find("<password>"), envelope.find("</password>")) {
        (Some(a), Some(b)) if a < b => format!(
            "{}{PASSWORD_PLACEHOLDER}{}",
            &envelope[..a + "<password>".len()],
            &envelope[b..]
        ),
        _ => envelope.to_string(),
    }
}

impl Client {
    /// Build the HTTP client. Fails when the CA file cannot be read or parsed.
    pub fn new(
        url: &str,
        ca_file: Option<&Path>,
        insecure: bool,
        settings: Settings,
    ) -> Result<Client, String> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(true)
            // Never: a redirect would re-post the request, Login credentials included.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.effective_connect_timeout())
            .timeout(settings.request_timeout)
            .pool_max_idle_per_host(2)
            .user_agent(concat!("vmkaudit/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_file {
            for c in load_ca_file(path)? {
                b = b.add_root_certificate(c);
            }
        }
        if insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b
            .build()
            .map_err(|e| format!("cannot set up the HTTPS client: {}", chain(&e)))?;
        let target = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
            .unwrap_or_else(|| url.to_string());
        Ok(Client {
            http,
            url: url.to_string(),
            target,
            settings,
            cookie: Mutex::new(None),
            soap_action: Mutex::new("urn:vim25/6.5".to_string()),
            dump: std::env::var_os(DUMP_REQUESTS_VAR).and_then(|p| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&p)
                    .map_err(|e| tracing::warn!("{DUMP_REQUESTS_VAR}: {e}"))
                    .ok()
                    .map(Mutex::new)
            }),
            views: Mutex::new(Vec::new()),
        })
    }

    /// The SOAP action header value follows the API version the server reports.
    pub fn set_api_version(&self, version: &str) {
        if let Ok(mut a) = self.soap_action.lock() {
            *a = format!("urn:vim25/{version}");
        }
    }

    /// Whether a session cookie is held.
    pub fn has_session(&self) -> bool {
        self.cookie.lock().map(|c| c.is_some()).unwrap_or(false)
    }

    /// Remember a view the server created for this session.
    pub fn view_opened(&self, view: &soap::MoRef) {
        if let Ok(mut v) = self.views.lock() {
            v.push(view.clone());
        }
    }

    /// Forget a view (it was destroyed, or destroying it was tried).
    pub fn view_closed(&self, view: &soap::MoRef) {
        if let Ok(mut v) = self.views.lock() {
            v.retain(|x| x != view);
        }
    }

    /// The views created and not yet destroyed.
    pub fn open_views(&self) -> Vec<soap::MoRef> {
        self.views.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Call `name` on the managed object `this` with serialised `args`.
    pub async fn invoke(
        &self,
        name: &str,
        this: &soap::MoRef,
        args: &str,
    ) -> Result<Node, CallError> {
        self.call(name, &soap::method(name, this, args)).await
    }

    /// Call a method (serialised body element) and return its response element.
    pub async fn call(&self, method_name: &str, body: &str) -> Result<Node, CallError> {
        let envelope = soap::envelope(body);
        self.dump_request(method_name, &envelope);
        self.retrying(method_name, || self.once(&envelope)).await
    }

    /// Call `name` on `this` like [`Client::invoke`], but hand back a successful (HTTP 200)
    /// response unread, for the caller to parse as its body streams in. Any other answer is
    /// read here: a SOAP fault or an HTTP error. Transient failures before the body are retried.
    pub async fn open(
        &self,
        name: &str,
        this: &soap::MoRef,
        args: &str,
    ) -> Result<reqwest::Response, CallError> {
        let envelope = soap::envelope(&soap::method(name, this, args));
        self.dump_request(name, &envelope);
        self.retrying(name, || self.open_once(&envelope)).await
    }

    /// Run `attempt` again after transient failures, with exponential backoff.
    async fn retrying<T, F, Fut>(&self, method_name: &str, attempt: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        let started = Instant::now();
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(e) if e.is_transient() && tries < self.settings.retries => {
                    let wait = self.settings.backoff * 2u32.saturating_pow(tries);
                    tries += 1;
                    tracing::info!(
                        "{} {method_name}: {e}; retry {tries}/{} in {} ms",
                        self.url,
                        self.settings.retries,
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                }
                other => {
                    let other = match other {
                        Err(CallError::Timeout(mut t)) => {
                            t.attempts = tries + 1;
                            t.total = started.elapsed();
                            Err(CallError::Timeout(t))
                        }
                        other => other,
                    };
                    tracing::debug!(
                        "{} {method_name}: {}",
                        self.url,
                        match &other {
                            Ok(_) => "ok".to_string(),
                            Err(e) => e.to_string(),
                        }
                    );
                    return other;
                }
            }
        }
    }

    fn dump_request(&self, method_name: &str, envelope: &str) {
        let Some(file) = &self.dump else { return };
        let action = self
            .soap_action
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default();
        let line = serde_json::json!({
            "method": method_name,
            "action": action,
            "envelope": redact_password(envelope),
        });
        if let Ok(mut f) = file.lock() {
            use std::io::Write;
            let _ = writeln!(f, "{line}");
        }
    }

    /// POST `envelope` and keep the session cookie the answer sets. A redirect is an error.
    async fn post(&self, envelope: &str) -> Result<(reqwest::Response, Instant), CallError> {
        let started = Instant::now();
        let action = self
            .soap_action
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default();
        let mut req = self
            .http
            .post(&self.url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(envelope.to_string());
        if let Some(c) = self.cookie.lock().ok().and_then(|c| c.clone()) {
            req = req.header("Cookie", c);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.send_error(&e, started).await),
        };
        if resp.status().is_redirection() {
            // Printable characters only: the server chose this text.
            let location = resp.headers().get(reqwest::header::LOCATION).map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(500)
                    .collect()
            });
            return Err(CallError::Redirect {
                status: resp.status().as_u16(),
                location,
            });
        }
        for v in resp.headers().get_all("set-cookie") {
            if let Ok(s) = v.to_str() {
                if let Some(pair) = s.split(';').next() {
                    if pair.trim_start().starts_with("vmware_soap_session=") {
                        if let Ok(mut c) = self.cookie.lock() {
                            *c = Some(pair.trim().to_string());
                        }
                    }
                }
            }
        }
        Ok((resp, started))
    }

    /// Read a whole answer (at most [`Settings::max_response_bytes`]): the response element, a
    /// fault or an HTTP error.
    async fn read(&self, mut resp: reqwest::Response, started: Instant) -> Result<Node, CallError> {
        let status = resp.status().as_u16();
        let limit = self.settings.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(CallError::TooLarge(limit));
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > limit {
                        return Err(CallError::TooLarge(limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.read_error(&e, started.elapsed())),
            }
        }
        match soap::response_body(&String::from_utf8_lossy(&body)) {
            Ok(Ok(node)) => Ok(node),
            Ok(Err(fault)) => Err(CallError::Fault(Box::new(fault))),
            Err(_) if status != 200 => Err(CallError::Http(status)),
            Err(e) => Err(e.into()),
        }
    }

    async fn once(&self, envelope: &str) -> Result<Node, CallError> {
        let (resp, started) = self.post(envelope).await?;
        self.read(resp, started).await
    }

    async fn open_once(&self, envelope: &str) -> Result<reqwest::Response, CallError> {
        let (resp, started) = self.post(envelope).await?;
        if resp.status() == reqwest::StatusCode::OK {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        match self.read(resp, started).await {
            Err(e) => Err(e),
            // A response element with an error status: report the status.
            Ok(_) => Err(CallError::Http(status)),
        }
    }

    /// The largest answer accepted, in bytes.
    pub fn max_response_bytes(&self) -> u64 {
        self.settings.max_response_bytes
    }

    /// The [`CallError`] for a failed read of a response body streamed by the caller (the
    /// request timeout, which covers the whole call, is then what ran out).
    pub fn body_error(&self, e: &reqwest::Error) -> CallError {
        self.read_error(e, self.settings.request_timeout)
    }

    fn timed_out(&self, phase: Phase, after: Duration) -> CallError {
        CallError::Timeout(Box::new(TimedOut {
            phase,
            target: self.target.clone(),
            after,
            attempts: 1,
            total: after,
        }))
    }

    /// A failed read of a body, `after` into the call.
    fn read_error(&self, e: &reqwest::Error, after: Duration) -> CallError {
        if e.is_timeout() {
            return self.timed_out(Phase::Body, after);
        }
        self.classify(e)
    }

    /// A request that got no answer, `started` when it was sent. When connecting timed out,
    /// a fresh TCP connection tells whether the TCP connect or the TLS handshake hung.
    async fn send_error(&self, e: &reqwest::Error, started: Instant) -> CallError {
        if !e.is_timeout() {
            return self.classify(e);
        }
        let after = started.elapsed();
        let phase = if !e.is_connect() {
            Phase::Answer
        } else if self.tcp_accepts().await {
            Phase::TlsHandshake
        } else {
            Phase::Connect
        };
        self.timed_out(phase, after)
    }

    /// Whether the endpoint accepts a TCP connection (within the connect timeout, at most 5 s).
    async fn tcp_accepts(&self) -> bool {
        let wait = self
            .settings
            .effective_connect_timeout()
            .min(Duration::from_secs(5));
        let connect = tokio::net::TcpStream::connect(self.target.as_str());
        matches!(tokio::time::timeout(wait, connect).await, Ok(Ok(_)))
    }

    fn classify(&self, e: &reqwest::Error) -> CallError {
        if let Some(tls) = tls_error(e) {
            return CallError::Tls(tls);
        }
        let msg = chain(e);
        if msg.contains("dns error") {
            CallError::Resolve(msg)
        } else {
            CallError::Connect(msg)
        }
    }
}

/// The innermost useful messages of an error chain, joined.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.retain(|p| {
        !p.starts_with("error sending request for url") && !p.starts_with("client error (")
    });
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// The TLS failure inside a reqwest error, if that is what it is.
fn tls_error(e: &reqwest::Error) -> Option<String> {
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r.to_string());
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(r.to_string());
            }
        }
        cur = err.source();
    }
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    (lower.contains("certificate") || lower.contains("handshake")).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_sdk_urls() {
        for (input, want) in [
            ("https://vc.lab", "https://vc.lab/sdk"),
            ("https://vc.lab/", "https://vc.lab/sdk"),
            ("https://vc.lab:8443", "https://vc.lab:8443/sdk"),
            ("https://10.0.0.5:443/sdk", "https://10.0.0.5:443/sdk"),
            ("https://vc.lab/sdk/", "https://vc.lab/sdk"),
        ] {
            assert_eq!(sdk_url(input).unwrap(), want, "{input}");
        }
        assert!(sdk_url("http://vc.lab").unwrap_err().contains("https://"));
        assert!(sdk_url("https://vc.lab/ui").unwrap_err().contains("/ui"));
        assert_eq!(sdk_url("HTTPS://VC.lab").unwrap(), "https://VC.lab/sdk");
        assert_eq!(
            sdk_url("https://[fd00::5]:443").unwrap(),
            "https://[fd00::5]:443/sdk"
        );
        let e = sdk_url("https://admin:hunter2@vc.lab").unwrap_err();
        assert!(
            e.contains("--password-env") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(sdk_url("https://").is_err());
        for bad in [
            "https://vc.lab:99999",
            "https://vc lab",
            "https://vc.lab:abc/sdk",
        ] {
            assert!(sdk_url(bad).unwrap_err().contains("is not valid"), "{bad}");
        }
        assert!(sdk_url("https://vc.lab/sdk?x=1")
            .unwrap_err()
            .contains("?x=1"));
    }

    #[test]
    fn ca_file_mistakes_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("download.zip");
        std::fs::write(&zip, b"PK\x03\x04rest").unwrap();
        assert!(load_ca_file(&zip).unwrap_err().contains("certs/lin/*.0"));
        let der = dir.path().join("ca.cer");
        std::fs::write(&der, [0x30, 0x82, 0x01, 0x0a]).unwrap();
        assert!(load_ca_file(&der)
            .unwrap_err()
            .contains("openssl x509 -inform der"));
        assert!(load_ca_file(&dir.path().join("missing.pem"))
            .unwrap_err()
            .starts_with("cannot read CA file"));
    }

    #[test]
    fn request_dump_hides_the_password() {
        let env =
            soap::envelope("<Login><userName>a</userName><password>s&lt;x</password></Login>");
        let r = redact_password(&env);
        assert!(!r.contains("s&lt;x"), "{r}");
        assert!(
            r.contains("<password>{{PASSWORD}}</password></Login>"),
            "{r}"
        );
        assert_eq!(redact_password("<Logout/>"), "<Logout/>");
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::new("hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert_eq!(p.expose(), "hunter2");
    }

    #[test]
    fn transient_errors() {
        assert!(CallError::Http(503).is_transient());
        assert!(CallError::Connect("reset".into()).is_transient());
        assert!(!CallError::Http(404).is_transient());
        assert!(!CallError::Tls("x".into()).is_transient());
        let redirect = CallError::Redirect {
            status: 307,
            location: Some("http://elsewhere/sdk".into()),
        };
        assert!(!redirect.is_transient());
        assert!(!CallError::TooLarge(1).is_transient());
        assert!(!CallError::TooDeep(1).is_transient());
        let f = Fault {
            kind: Some("InvalidLogin".into()),
            message: String::new(),
            privilege: None,
            object: None,
            property: None,
        };
        assert!(!CallError::Fault(Box::new(f)).is_transient());
    }
}
