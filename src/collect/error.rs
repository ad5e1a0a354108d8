//! The collector's errors.
//!
//! Two families. [`SetupError`] is a mistake in what the user gave (a URL, a CA file, a
//! password source), found before anything is collected; it becomes a usage error (exit code 2)
//! at the edge, through `From<SetupError> for crate::error::Error`. [`CallError`] is why one
//! SOAP call failed and [`StepError`] which call it was; they never end the run: the collector
//! turns them into the failed source's message (exit code 3). [`ClientError`] is an HTTPS client
//! that could not be set up, and [`UrlError`] a source URL that is not an SDK address.
//! Kinds are told apart by these types, never by the text of a message.

use std::fmt;
use std::time::Duration;

use super::soap::{Fault, XmlError};
use crate::tls::CaFileError;

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

impl std::error::Error for TimedOut {}

/// Why one SOAP call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The TLS handshake failed (certificate not trusted, name mismatch, the peer closed the
    /// connection in the handshake, ...).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// No connection (refused, reset).
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The host name does not resolve.
    #[error("cannot connect: {0}")]
    Resolve(String),
    /// A phase of the call ran out of time.
    #[error(transparent)]
    Timeout(Box<TimedOut>),
    /// An HTTP status without a SOAP body.
    #[error("HTTP status {0} without a SOAP answer")]
    Http(u16),
    /// An HTTP redirect (3xx), never followed: the status and the `Location` it named.
    #[error(
        "HTTP status {status} (redirect) to {}, not followed",
        .location.as_deref().unwrap_or("no Location")
    )]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    /// The answer is larger than the cap (the cap, in bytes).
    #[error("answer larger than {0} bytes")]
    TooLarge(u64),
    /// The answer nests elements deeper than the limit (the limit).
    #[error("{}", XmlError::TooDeep(*.0))]
    TooDeep(usize),
    /// The server answered with a SOAP fault.
    #[error("{0}")]
    Fault(Box<Fault>),
    /// The answer was not the SOAP we expected.
    #[error("unexpected answer: {0}")]
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

/// A failed step of the exchange: which call, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{step}: {error}")]
pub struct StepError {
    pub step: &'static str,
    #[source]
    pub error: CallError,
}

/// Attach the step (the vSphere method) to a call's error.
pub trait Step<T> {
    fn step(self, step: &'static str) -> Result<T, StepError>;
}

impl<T> Step<T> for Result<T, CallError> {
    fn step(self, step: &'static str) -> Result<T, StepError> {
        self.map_err(|error| StepError { step, error })
    }
}

/// What parsing a URL can say (the `url` crate's error, named through reqwest's re-export).
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// The forms a source URL may take, for messages.
const URL_FORMS: &str = "https://host, https://host:port or https://host:port/sdk";

/// A source URL that is not the address of an SDK endpoint. A URL with credentials in it is
/// never echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("vCenter URL `{0}` must start with https://")]
    NotHttps(String),
    #[error(
        "a vCenter URL must not contain a user name or password; give the user with --user \
         (`user`) and the password with --password-env or --password-file; the URL must be \
         {URL_FORMS}"
    )]
    Credentials,
    #[error("vCenter URL `{0}` must be {URL_FORMS}")]
    NoHost(String),
    #[error("vCenter URL `{url}` is not valid ({source}); it must be {URL_FORMS}")]
    Invalid {
        url: String,
        #[source]
        source: UrlParseError,
    },
    #[error("vCenter URL `{url}` has path `{path}`; expected none or /sdk")]
    Path { url: String, path: String },
}

/// An HTTPS client that could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    CaFile(#[from] CaFileError),
    #[error("cannot set up the HTTPS client: {}", chain(.0))]
    Build(#[source] reqwest::Error),
}

/// A source that cannot be collected as given: found before anything is collected.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    CaFile(#[from] CaFileError),
    /// The password could not be read ([`crate::secret::read_secret`]; never echoes it).
    #[error("{what}: {source}")]
    Password {
        what: String,
        #[source]
        source: crate::secret::SecretError,
    },
    #[error(
        "{what}: no password source; give --password-env VAR or --password-file FILE \
         (password_env or password_file in the config)"
    )]
    NoPassword { what: String },
}

/// At the edge of the layer: a setup mistake is a usage error (exit code 2).
impl From<SetupError> for crate::error::Error {
    fn from(e: SetupError) -> Self {
        crate::error::Error::Usage(e.to_string())
    }
}

/// The useful messages of an error and its sources, joined with `: ` (a message repeated by
/// the next one in the chain, and reqwest's and hyper's generic wrappers, left out).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for err in sources(e) {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
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

/// `e` and its sources, outermost first. An I/O error that wraps another error is followed
/// into it (its own `source()` skips the wrapped error and gives that one's source).
pub fn sources<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |err| {
        match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        }
    })
}
