//! The `[[vcenter]]` tables of the run configuration: one live source each ([`VcenterConfig`]),
//! checked here, beside the collector that uses them.
//!
//! The checks need no network and no secret: the URL's form (at its line and column, never
//! echoing credentials written into it), exactly one password source, and paths resolved
//! against the config file's directory. Reading the password and the CA file is the
//! collector's, when the run starts ([`super::SourceSpec::resolve`]).

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::error::{Error, Location, Result};

/// One live source: a vCenter Server or a standalone ESXi host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcenterConfig {
    /// `https://host`, `https://host:port` or `https://host:port/sdk`.
    pub url: Spanned<String>,
    pub user: String,
    /// Name of the environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File whose first line is the password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM file with the CA certificate(s) to trust in addition to the system roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Skip TLS certificate verification (shown in the report).
    #[serde(default)]
    pub insecure: bool,
    /// The largest single SOAP answer accepted from this source, in bytes (default 1 GiB).
    #[serde(default)]
    pub max_response_bytes: Option<Spanned<u64>>,
    /// Streams of this source's host pass (default [`super::DEFAULT_STREAMS`], 1 to
    /// [`MAX_STREAMS`]): each reads a slice of the hosts through its own property collector,
    /// side by side; 1 reads them in one sequence, the lightest load on a busy vCenter.
    #[serde(default)]
    pub streams: Option<Spanned<u64>>,
}

/// The most streams (and parallel sources) accepted: past a few dozen, a vCenter gains nothing
/// and its per-session limits come closer.
pub const MAX_STREAMS: usize = 64;

/// Check a count of streams or parallel sources named `key` (1 to [`MAX_STREAMS`]).
pub fn check_count(
    key: &str,
    value: &Spanned<u64>,
    at: &dyn Fn(Range<usize>) -> Location,
) -> Result<usize> {
    let n = *value.get_ref();
    if n == 0 || n > MAX_STREAMS as u64 {
        return Err(Error::input(
            at(value.span()),
            format!("`{key}` = {n} is out of range (1 to {MAX_STREAMS})"),
        ));
    }
    Ok(n as usize)
}

/// The smallest `max_response_bytes` accepted: below it even a service content would not fit.
pub const MIN_RESPONSE_BYTES: u64 = 65536;

impl VcenterConfig {
    /// Check one `[[vcenter]]` table. `at` turns a span into a location, `resolve` makes a path
    /// absolute.
    pub fn validate(
        mut self,
        at: &dyn Fn(Range<usize>) -> Location,
        resolve: &dyn Fn(&Path) -> PathBuf,
    ) -> Result<VcenterConfig> {
        let url_at = || at(self.url.span());
        // The URL first: a malformed one (or one with credentials) is reported at its line and
        // column, and never echoed by the messages below.
        if let Err(e) = super::client::sdk_url(self.url.get_ref()) {
            return Err(Error::input(url_at(), e.to_string()));
        }
        match (&self.password_env, &self.password_file) {
            (Some(_), Some(_)) => {
                return Err(Error::input(
                    url_at(),
                    "give either `password_env` or `password_file`, not both",
                ))
            }
            (None, None) => {
                return Err(Error::input(
                    url_at(),
                    format!(
                        "[[vcenter]] {}: no password source; set `password_env` (an environment variable's name) or `password_file`",
                        self.url.get_ref()
                    ),
                ))
            }
            _ => {}
        }
        if let Some(m) = &self.max_response_bytes {
            if *m.get_ref() < MIN_RESPONSE_BYTES {
                return Err(Error::input(
                    at(m.span()),
                    format!(
                        "`max_response_bytes` = {} is too small (at least {MIN_RESPONSE_BYTES})",
                        m.get_ref()
                    ),
                ));
            }
        }
        if let Some(n) = &self.streams {
            check_count("streams", n, at)?;
        }
        self.password_file = self.password_file.as_deref().map(resolve);
        self.ca_file = self.ca_file.as_deref().map(resolve);
        Ok(self)
    }
}
