//! The `[report]` table of the run configuration: where the run folders go, which formats and
//! language, how many runs to keep, the fail level, how long to wait for the output
//! directory's lock, and a Prometheus textfile to keep up to date ([`ReportConfig`] as written, [`ReportSettings`] checked).
//!
//! The formats and `fail_on` are read straight into enums ([`crate::choice`]): a misspelt one
//! is an error at its line and column with a did-you-mean.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::deliver::Error;
use crate::error::Location;
use crate::findings::FailOn;
use crate::i18n::Lang;
use crate::render::OutputFormat;

/// `[report]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// `html`, `csv`, `json`, `junit`, `prometheus` (default: the first three).
    #[serde(default = "default_formats")]
    pub formats: Vec<OutputFormat>,
    #[serde(default)]
    pub language: Option<Spanned<String>>,
    /// How many past runs to keep (0 = keep all).
    #[serde(default = "default_keep")]
    pub keep: usize,
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    #[serde(default)]
    pub fail_on: Option<FailOn>,
    /// How long a run waits for another run that holds the output directory's lock: seconds,
    /// or a duration such as "5m" (default 300 s).
    #[serde(default)]
    pub lock_wait: Option<Spanned<DurationValue>>,
    /// A file the run's Prometheus metrics are also written to, atomically: a `*.prom` file
    /// in node_exporter's textfile collector directory.
    #[serde(default)]
    pub prometheus_textfile: Option<PathBuf>,
}

/// A duration in the config: a number of seconds (`300`, `0.5`) or a text such as `"5m"`,
/// `"90s"` or `"1h 30m"`.
#[derive(Debug, Clone)]
pub enum DurationValue {
    Secs(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DurationValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of seconds or a duration such as \"5m\"")
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<DurationValue, E> {
                Ok(DurationValue::Secs(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<DurationValue, E> {
                Ok(DurationValue::Secs(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<DurationValue, E> {
                Ok(DurationValue::Secs(v))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<DurationValue, E> {
                Ok(DurationValue::Text(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl DurationValue {
    /// The duration, if it is one between 0 and `max`.
    pub fn to_duration(&self, max: Duration) -> Option<Duration> {
        let d = match self {
            DurationValue::Secs(s) if s.is_finite() && *s >= 0.0 => {
                Duration::try_from_secs_f64(*s).ok()?
            }
            DurationValue::Secs(_) => return None,
            DurationValue::Text(t) => match t.trim().parse::<f64>() {
                Ok(s) => return DurationValue::Secs(s).to_duration(max),
                Err(_) => humantime::parse_duration(t.trim()).ok()?,
            },
        };
        (d <= max).then_some(d)
    }
}

/// Default `report.lock_wait`.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(300);
/// Largest `report.lock_wait`.
pub const MAX_LOCK_WAIT: Duration = Duration::from_secs(24 * 3600);

fn default_output_dir() -> PathBuf {
    PathBuf::from("vmkaudit-report")
}
fn default_formats() -> Vec<OutputFormat> {
    crate::render::DEFAULT_FORMATS.to_vec()
}
fn default_keep() -> usize {
    30
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            output_dir: default_output_dir(),
            formats: default_formats(),
            language: None,
            keep: default_keep(),
            templates_dir: None,
            fail_on: None,
            lock_wait: None,
            prometheus_textfile: None,
        }
    }
}

/// The checked `[report]` table, paths resolved.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    pub output_dir: PathBuf,
    /// Each once, in the order given.
    pub formats: Vec<OutputFormat>,
    pub language: Lang,
    pub keep: usize,
    pub templates_dir: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    /// How long to wait for another run holding the output directory.
    pub lock_wait: Duration,
    /// Where the run's Prometheus metrics are also written (`vmkaudit.prom` of the run).
    pub prometheus_textfile: Option<PathBuf>,
}

impl ReportConfig {
    /// Check `[report]`. `at` turns a span into a location, `resolve` makes a path absolute.
    pub fn validate(
        self,
        at: &dyn Fn(Range<usize>) -> Location,
        resolve: &dyn Fn(&Path) -> PathBuf,
    ) -> crate::error::Result<ReportSettings> {
        let located =
            |span: Range<usize>, e: Error| crate::error::Error::input(at(span), e.to_string());
        let mut formats = Vec::new();
        for f in self.formats {
            if !formats.contains(&f) {
                formats.push(f);
            }
        }
        let language = match &self.language {
            None => Lang::En,
            Some(l) => Lang::parse(l.get_ref()).ok_or_else(|| {
                located(
                    l.span(),
                    Error::UnknownLanguage(crate::i18n::UnknownLanguage {
                        given: l.get_ref().clone(),
                    }),
                )
            })?,
        };
        let lock_wait = match &self.lock_wait {
            None => DEFAULT_LOCK_WAIT,
            Some(v) => v
                .get_ref()
                .to_duration(MAX_LOCK_WAIT)
                .ok_or_else(|| located(v.span(), Error::LockWait))?,
        };
        Ok(ReportSettings {
            output_dir: resolve(&self.output_dir),
            formats,
            language,
            keep: self.keep,
            templates_dir: self.templates_dir.as_deref().map(resolve),
            fail_on: self.fail_on,
            lock_wait,
            prometheus_textfile: self.prometheus_textfile.as_deref().map(resolve),
        })
    }
}
