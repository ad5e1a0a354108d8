//! The HTTP side of a vSphere session: TLS, timeouts, retries, the session cookie.
//!
//! One [`Client`] talks to one endpoint (`https://host[:port]/sdk`) with reqwest on rustls. TLS
//! verification uses the system roots plus an optional CA file ([`crate::tls`]); `insecure`
//! switches it off (the caller logs and records that). Every SOAP call has a request timeout;
//! transient failures (connection refused or reset, timeouts, HTTP 502/503/504) are retried a
//! bounded number of times with capped exponential backoff ([`crate::retry`]), while SOAP faults
//! (bad password, missing privilege), names that do not resolve and TLS failures are never
//! retried. Which failure it was is read from the types in the error's source chain (rustls'
//! error, the I/O error kind, the resolver's own [`ResolveError`]), never from its text. After Login the `vmware_soap_session` cookie is sent back on
//! every call. The password type never shows its value in `Debug` output.
//!
//! Against a hostile or broken server: redirects are never followed (a 3xx answer is
//! [`CallError::Redirect`]: following one would re-post the Login body, credentials included, to
//! wherever it points), one answer is capped at [`Settings::max_response_bytes`]
//! ([`CallError::TooLarge`]), and a timeout says which phase ran out and after how long, as
//! measured ([`TimedOut`]): the TCP connect, the TLS handshake, the wait for the answer, or its
//! reading.

use std::error::Error as StdError;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::{chain, sources, CallError, ClientError, Phase, TimedOut, UrlError};
use super::soap::{self, Node};

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

/// The longest wait between two attempts of one collector call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

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
    /// [`Self::retries`] retries after [`Self::backoff`], doubling, at most [`MAX_BACKOFF`].
    pub fn retry_policy(&self) -> crate::retry::Policy {
        crate::retry::Policy {
            retries: self.retries,
            backoff: crate::retry::Backoff {
                first: self.backoff,
                cap: MAX_BACKOFF,
            },
        }
    }

    /// The connect timeout in effect: the configured one, at most half the request timeout.
    pub fn effective_connect_timeout(&self) -> Duration {
        self.connect_timeout.min(self.request_timeout / 2)
    }
}

/// Turn `https://host`, `https://host:port`, `https://host:port/sdk` (with or without a
/// trailing slash) into the SDK endpoint URL.
pub fn sdk_url(url: &str) -> Result<String, UrlError> {
    let u = url.trim();
    let rest = match u.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("https://") => &u[8..],
        _ => return Err(UrlError::NotHttps(u.to_string())),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.contains('@') {
        // Not echoed: it may hold a password.
        return Err(UrlError::Credentials);
    }
    if authority.is_empty() {
        return Err(UrlError::NoHost(u.to_string()));
    }
    if let Err(source) = reqwest::Url::parse(&format!("https://{authority}/sdk")) {
        return Err(UrlError::Invalid {
            url: u.to_string(),
            source,
        });
    }
    match path {
        "" | "/sdk" => Ok(format!("https://{authority}/sdk")),
        other => Err(UrlError::Path {
            url: u.to_string(),
            path: other.to_string(),
        }),
    }
}

/// A host name that did not resolve: the error of the client's resolver, found again by its type
/// in a failed request's source chain.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ResolveError(#[from] std::io::Error);

/// The system's resolver (getaddrinfo on a blocking thread, as reqwest's default), failing with
/// a [`ResolveError`].
struct SystemResolver;

impl reqwest::dns::Resolve for SystemResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            match tokio::net::lookup_host((host, 0)).await {
                Ok(addrs) => Ok(Box::new(addrs) as reqwest::dns::Addrs),
                Err(e) => Err(Box::new(ResolveError(e)) as Box<dyn StdError + Send + Sync>),
            }
        })
    }
}

/// A connection to one SDK endpoint.
pub struct Client {
    http: reqwest::Client,
    url: String,
    /// `host:port` of `url`, for messages and the TCP probe.
    target: String,
    settings: Settings,
    cookie: Mutex<Option<String>>,
    /// Set when Logout was sent ([`Client::end_session`]): the cookie still goes with that
    /// request, but the session is not logged out again.
    ended: std::sync::atomic::AtomicBool,
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
    ) -> Result<Client, ClientError> {
        Client::with_resolver(url, ca_file, insecure, settings, Arc::new(SystemResolver))
    }

    /// [`Client::new`] with the host names resolved by `resolver`.
    fn with_resolver<R: reqwest::dns::Resolve + 'static>(
        url: &str,
        ca_file: Option<&Path>,
        insecure: bool,
        settings: Settings,
        resolver: Arc<R>,
    ) -> Result<Client, ClientError> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(true)
            // Never: a redirect would re-post the request, Login credentials included.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.effective_connect_timeout())
            .timeout(settings.request_timeout)
            .pool_max_idle_per_host(2)
            .dns_resolver(resolver)
            .user_agent(concat!("vmkaudit/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_file {
            for der in crate::tls::load_ca_file(path)? {
                let cert = reqwest::Certificate::from_der(&der).map_err(ClientError::Build)?;
                b = b.add_root_certificate(cert);
            }
        }
        if insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b.build().map_err(ClientError::Build)?;
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
            ended: Default::default(),
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

    /// Whether a session cookie is held and the session has not been ended.
    pub fn has_session(&self) -> bool {
        let cookie = self.cookie.lock().map(|c| c.is_some()).unwrap_or(false);
        cookie && !self.ended.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Mark the session as ended, before its Logout is sent: true the first time, when there
    /// was a session to end; false after that (so that it is logged out once, whichever path
    /// gets there first).
    pub fn end_session(&self) -> bool {
        let cookie = self.cookie.lock().map(|c| c.is_some()).unwrap_or(false);
        cookie && !self.ended.swap(true, std::sync::atomic::Ordering::SeqCst)
    }

    /// Remember a view the server created for this session.
    pub fn view_opened(&self, view: &soap::MoRef) {
        if let Ok(mut v) = self.views.lock() {
            v.push(view.clone());
        }
    }

    /// Forget a view (it is being destroyed); whether it was still open, i.e. not destroyed
    /// already.
    pub fn view_closed(&self, view: &soap::MoRef) -> bool {
        let Ok(mut v) = self.views.lock() else {
            return false;
        };
        let before = v.len();
        v.retain(|x| x != view);
        v.len() < before
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

    /// Run `attempt` again after transient failures, with capped exponential backoff. A
    /// timeout that ends it says how many attempts were made over how long.
    async fn retrying<T, F, Fut>(&self, method_name: &str, attempt: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        let started = Instant::now();
        let policy = self.settings.retry_policy();
        let result = crate::retry::asynchronous(
            &policy,
            tokio::time::sleep,
            |_| attempt(),
            CallError::is_transient,
            |e, n, wait| {
                tracing::info!(
                    "{} {method_name}: {e}; retry {n}/{} in {} ms",
                    self.url,
                    policy.retries,
                    wait.as_millis()
                )
            },
        )
        .await
        .map_err(|f| (f.error, f.attempts));
        let result = match result {
            Err((CallError::Timeout(mut t), attempts)) => {
                t.attempts = attempts;
                t.total = started.elapsed();
                Err(CallError::Timeout(t))
            }
            Err((e, _)) => Err(e),
            Ok(v) => Ok(v),
        };
        tracing::debug!(
            "{} {method_name}: {}",
            self.url,
            match &result {
                Ok(_) => "ok".to_string(),
                Err(e) => e.to_string(),
            }
        );
        result
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
        match soap::parse_response(&body) {
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
        classify(e, e.is_connect())
    }
}

/// What a failed request (no timeout) was, from the types in its source chain: a TLS failure
/// (rustls' error, or the peer closing the connection in the handshake: an unexpected end of
/// file while `connecting`), a host name that does not resolve ([`ResolveError`]), or else a
/// connection that failed.
fn classify(e: &(dyn StdError + 'static), connecting: bool) -> CallError {
    let mut eof = false;
    for err in sources(e) {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return CallError::Tls(r.to_string());
        }
        if err.is::<ResolveError>() {
            return CallError::Resolve(chain(e));
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            eof |= io.kind() == std::io::ErrorKind::UnexpectedEof;
        }
    }
    if connecting && eof {
        CallError::Tls(chain(e))
    } else {
        CallError::Connect(chain(e))
    }
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
        let err = |url: &str| sdk_url(url).unwrap_err().to_string();
        assert!(err("http://vc.lab").contains("https://"));
        assert!(err("https://vc.lab/ui").contains("/ui"));
        assert_eq!(sdk_url("HTTPS://VC.lab").unwrap(), "https://VC.lab/sdk");
        assert_eq!(
            sdk_url("https://[fd00::5]:443").unwrap(),
            "https://[fd00::5]:443/sdk"
        );
        assert_eq!(
            sdk_url("https://admin:hunter2@vc.lab"),
            Err(UrlError::Credentials)
        );
        let e = err("https://admin:hunter2@vc.lab");
        assert!(
            e.contains("--password-env") && !e.contains("hunter2"),
            "{e}"
        );
        assert_eq!(
            sdk_url("https://"),
            Err(UrlError::NoHost("https://".into()))
        );
        for bad in [
            "https://vc.lab:99999",
            "https://vc lab",
            "https://vc.lab:abc/sdk",
        ] {
            assert!(
                matches!(sdk_url(bad), Err(UrlError::Invalid { .. })),
                "{bad}"
            );
            assert!(err(bad).contains("is not valid"), "{bad}");
        }
        assert!(err("https://vc.lab/sdk?x=1").contains("?x=1"));
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

    /// An error that wraps another, as the HTTP stack's layers do; its text says nothing.
    #[derive(Debug)]
    struct Layer(Box<dyn StdError + Send + Sync>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("layer")
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }

    fn io(kind: std::io::ErrorKind, text: &str) -> std::io::Error {
        std::io::Error::new(kind, text.to_string())
    }

    #[test]
    fn failures_are_told_apart_by_their_types_not_their_text() {
        use std::io::ErrorKind::{ConnectionRefused, InvalidData, Other, UnexpectedEof};
        // A name that does not resolve, whatever its message says.
        let e = Layer(Box::new(Layer(Box::new(ResolveError(io(
            Other,
            "certificate",
        ))))));
        assert!(matches!(classify(&e, true), CallError::Resolve(_)));
        // rustls' error, directly or inside an I/O error.
        let bad_cert = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = Layer(Box::new(bad_cert.clone()));
        assert!(matches!(classify(&e, true), CallError::Tls(m) if m.contains("UnknownIssuer")));
        let e = Layer(Box::new(std::io::Error::new(InvalidData, bad_cert)));
        assert!(matches!(classify(&e, true), CallError::Tls(_)));
        // The peer closed the connection in the handshake; after connecting, an end of file
        // is a broken connection.
        let e = Layer(Box::new(io(UnexpectedEof, "eof")));
        assert!(matches!(classify(&e, true), CallError::Tls(_)));
        assert!(matches!(classify(&e, false), CallError::Connect(_)));
        // Text that once decided the kind decides nothing now.
        for text in ["dns error", "certificate", "handshake"] {
            let e = Layer(Box::new(io(ConnectionRefused, text)));
            assert!(
                matches!(classify(&e, true), CallError::Connect(m) if m.contains(text)),
                "{text}"
            );
        }
    }

    /// Settings that fail fast, with `retries` retries.
    fn quick(retries: u32) -> Settings {
        Settings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retries,
            backoff: Duration::from_millis(1),
            ..Settings::default()
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// A resolver that knows no name, and counts the lookups.
    struct NoNames(std::sync::atomic::AtomicUsize);

    impl reqwest::dns::Resolve for NoNames {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let e = std::io::Error::other("failed to lookup address information");
            Box::pin(std::future::ready(Err(
                Box::new(ResolveError(e)) as Box<dyn StdError + Send + Sync>
            )))
        }
    }

    #[test]
    fn a_name_that_does_not_resolve_is_not_retried() {
        let resolver = Arc::new(NoNames(Default::default()));
        let client = Client::with_resolver(
            "https://vc.example.invalid/sdk",
            None,
            false,
            quick(3),
            resolver.clone(),
        )
        .unwrap();
        let this = soap::MoRef::new("ServiceInstance", "ServiceInstance");
        let err = block_on(client.invoke("RetrieveServiceContent", &this, "")).unwrap_err();
        assert!(
            matches!(&err, CallError::Resolve(m) if m.contains("failed to lookup address")),
            "{err:?}"
        );
        assert_eq!(resolver.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn a_peer_that_closes_in_the_handshake_is_a_tls_failure_not_retried() {
        // Ends each connection at once (and reads what the client sent, so that closing it
        // is an end of file for the client, not a reset).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                use std::io::Read;
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = conn.shutdown(std::net::Shutdown::Write);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = conn.read_to_end(&mut Vec::new());
            }
        });
        let client = Client::new(
            &format!("https://127.0.0.1:{port}/sdk"),
            None,
            false,
            quick(3),
        )
        .unwrap();
        let this = soap::MoRef::new("ServiceInstance", "ServiceInstance");
        let err = block_on(client.invoke("RetrieveServiceContent", &this, "")).unwrap_err();
        assert!(matches!(&err, CallError::Tls(_)), "{err:?}");
        // The call returned after its only attempt.
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
