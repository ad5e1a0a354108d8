//! The `vmkaudit run` configuration file (TOML).
//!
//! Like cargo-deny: plain serde structs that reject unknown keys, then [`Config::validate`], which
//! keeps spans, so every error says file, line, column and, for a misspelt key, "did you mean".
//! Relative paths in the file are resolved against the file's own directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::error::{did_you_mean, Error, Location, Result};
use crate::findings::Severity;
use crate::i18n::Lang;
use crate::inventory::Format as InputFormat;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A name for this estate, used in the report title and the email subject.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub vcenter: Vec<VcenterConfig>,
    #[serde(default)]
    pub inventory: Vec<InventoryConfig>,
    #[serde(default)]
    pub rules: RulesConfig,
    #[serde(default)]
    pub report: ReportConfig,
    #[serde(default)]
    pub email: Option<EmailConfig>,
}

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
}

/// One inventory file source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryConfig {
    pub path: PathBuf,
    /// `inventory`, `rvtools` or `powercli`; recognised from the content when absent.
    #[serde(default)]
    pub format: Option<InputFormat>,
}

/// `[rules]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Rule set file; the built-in `rules/default.toml` when absent.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// `[report]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    #[serde(default = "default_formats")]
    pub formats: Vec<Spanned<String>>,
    #[serde(default)]
    pub language: Option<Spanned<String>>,
    /// How many past runs to keep (0 = keep all).
    #[serde(default = "default_keep")]
    pub keep: usize,
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    #[serde(default)]
    pub fail_on: Option<Spanned<String>>,
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("vmkaudit-report")
}
fn default_formats() -> Vec<Spanned<String>> {
    ["html", "csv", "json"]
        .iter()
        .map(|s| Spanned::new(0..0, s.to_string()))
        .collect()
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
        }
    }
}

/// `[email]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server; when absent (or with `dry_run = true`) the message is written as `message.eml`
    /// beside the reports instead of being sent.
    #[serde(default)]
    pub smtp_host: Option<Spanned<String>>,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    #[serde(default)]
    pub smtp_port: Option<Spanned<u16>>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub security: Option<Spanned<String>>,
    /// Allow `security = "none"` to a non-loopback server.
    #[serde(default)]
    pub allow_insecure_smtp: bool,
    #[serde(default)]
    pub username: Option<Spanned<String>>,
    /// Name of the environment variable holding the SMTP password.
    #[serde(default)]
    pub password_env: Option<Spanned<String>>,
    /// File whose first line is the SMTP password.
    #[serde(default)]
    pub password_file: Option<Spanned<PathBuf>>,
    /// PEM file with extra CA certificate(s) for the SMTP server.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    pub from: Spanned<String>,
    pub to: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub cc: Vec<Spanned<String>>,
    /// Blind copies: envelope recipients only, never in a header.
    #[serde(default)]
    pub bcc: Vec<Spanned<String>>,
    /// Subject template, e.g. `"[vmkaudit] {name}: {errors} errors, {warnings} warnings, {new} new"`.
    #[serde(default)]
    pub subject: Option<Spanned<String>>,
    /// `always` (default), `findings` or `changes`.
    #[serde(default)]
    pub send: Option<Spanned<String>>,
    /// Report files to attach: `report.html`, `checklist.txt`, `findings.csv`, `vmks.csv`,
    /// `findings.json`.
    #[serde(default)]
    pub attach: Option<Vec<Spanned<String>>>,
    /// Attachments larger than this many bytes are left out (with a note in the body).
    #[serde(default)]
    pub max_attachment_bytes: Option<u64>,
    /// Write `message.eml` instead of sending.
    #[serde(default)]
    pub dry_run: bool,
    /// How many times a failed send is retried (default 3; 0 = one attempt only).
    #[serde(default)]
    pub retries: Option<Spanned<u32>>,
    /// Seconds to wait before the first retry; doubled for each further one (default 10).
    #[serde(default)]
    pub retry_delay_secs: Option<Spanned<f64>>,
    /// Seconds to wait for the SMTP server before giving up on one attempt (default 60).
    #[serde(default)]
    pub timeout_secs: Option<Spanned<u64>>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required, never skipped). Port 587.
    Starttls,
    /// TLS from the first byte ("SMTPS"). Port 465.
    Tls,
    /// No encryption at all. Port 25. Only to a loopback address unless forced.
    None,
}

impl SmtpSecurity {
    pub const NAMES: [&'static str; 3] = ["starttls", "tls", "none"];

    pub fn parse(s: &str) -> Option<SmtpSecurity> {
        match s {
            "starttls" => Some(SmtpSecurity::Starttls),
            "tls" => Some(SmtpSecurity::Tls),
            "none" => Some(SmtpSecurity::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// When a run sends its email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendPolicy {
    /// Every run.
    #[default]
    Always,
    /// Only runs with findings at or above the fail level (the runs that exit 1).
    Findings,
    /// Only runs where something is new or resolved since the previous run (a first run counts).
    Changes,
}

impl SendPolicy {
    pub const NAMES: [&'static str; 3] = ["always", "findings", "changes"];

    pub fn parse(s: &str) -> Option<SendPolicy> {
        match s {
            "always" => Some(SendPolicy::Always),
            "findings" => Some(SendPolicy::Findings),
            "changes" => Some(SendPolicy::Changes),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SendPolicy::Always => "always",
            SendPolicy::Findings => "findings",
            SendPolicy::Changes => "changes",
        }
    }
}

/// Where a password comes from (never the config file itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The named environment variable.
    Env(String),
    /// The first line of this file.
    File(PathBuf),
}

/// The report files that can be attached, and the format that produces each.
pub const ATTACHABLE: [(&str, OutputFormat); 5] = [
    ("report.html", OutputFormat::Html),
    ("checklist.txt", OutputFormat::Html),
    ("findings.csv", OutputFormat::Csv),
    ("vmks.csv", OutputFormat::Csv),
    ("findings.json", OutputFormat::Json),
];

/// Attached when `attach` is not set (those the selected formats produce).
pub const DEFAULT_ATTACH: [&str; 2] = ["report.html", "findings.csv"];

/// Default for `max_attachment_bytes`: 10 MiB.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;

/// The validated `[email]` table.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `None`: no `smtp_host`, so the message is written as `message.eml`.
    pub smtp: Option<SmtpSettings>,
    pub from: lettre::message::Mailbox,
    pub to: Vec<lettre::message::Mailbox>,
    pub cc: Vec<lettre::message::Mailbox>,
    pub bcc: Vec<lettre::message::Mailbox>,
    /// The subject template (checked); the built-in subject when `None`.
    pub subject: Option<String>,
    pub send: SendPolicy,
    /// Report file names to attach, in the configured order.
    pub attach: Vec<String>,
    pub max_attachment_bytes: u64,
    pub dry_run: bool,
}

/// The validated SMTP connection settings.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<PasswordSource>,
    pub ca_file: Option<PathBuf>,
    pub retries: u32,
    pub retry_delay: std::time::Duration,
    pub timeout: std::time::Duration,
}

/// `host` is a loopback address (`127.0.0.0/8`, `::1`) or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `value`, when present, must be one of `names`.
fn choice<'a>(
    value: &'a Option<Spanned<String>>,
    what: &str,
    names: &[&'static str],
    at: &dyn Fn(std::ops::Range<usize>) -> Location,
) -> Result<Option<&'a str>> {
    let Some(v) = value else { return Ok(None) };
    if names.contains(&v.get_ref().as_str()) {
        return Ok(Some(v.get_ref()));
    }
    let expected = match names.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(Error::input(
        at(v.span()),
        format!(
            "unknown {what} `{}` (expected {expected}){}",
            v.get_ref(),
            one_of_hint(v.get_ref(), names)
        ),
    ))
}

fn one_of_hint(value: &str, names: &[&'static str]) -> String {
    did_you_mean(value, names.iter().copied())
        .map(|h| format!("; {h}"))
        .unwrap_or_default()
}

impl EmailConfig {
    /// Check the `[email]` table. `at` turns a span into a location, `resolve` makes a path
    /// absolute, `formats` are the report formats (an attached file must be produced).
    pub fn validate(
        self,
        at: &dyn Fn(std::ops::Range<usize>) -> Location,
        resolve: &dyn Fn(&Path) -> PathBuf,
        formats: &[OutputFormat],
    ) -> Result<EmailSettings> {
        use lettre::message::Mailbox;
        let mailbox = |v: &Spanned<String>, key: &str| -> Result<Mailbox> {
            v.get_ref().trim().parse::<Mailbox>().map_err(|e| {
                Error::input(
                    at(v.span()),
                    format!(
                        "`{key}`: `{}` is not a valid email address ({e}); write `name@example.com` or `Name <name@example.com>`",
                        v.get_ref()
                    ),
                )
            })
        };
        let from = mailbox(&self.from, "from")?;
        if self.to.get_ref().is_empty() {
            return Err(Error::input(
                at(self.to.span()),
                "`to` is empty: give at least one recipient",
            ));
        }
        let to = self
            .to
            .get_ref()
            .iter()
            .map(|v| mailbox(v, "to"))
            .collect::<Result<Vec<_>>>()?;
        let cc = self
            .cc
            .iter()
            .map(|v| mailbox(v, "cc"))
            .collect::<Result<Vec<_>>>()?;
        let bcc = self
            .bcc
            .iter()
            .map(|v| mailbox(v, "bcc"))
            .collect::<Result<Vec<_>>>()?;

        let security = choice(&self.security, "security", &SmtpSecurity::NAMES, at)?
            .map_or(SmtpSecurity::Starttls, |s| {
                SmtpSecurity::parse(s).expect("checked")
            });
        let send = choice(&self.send, "send value", &SendPolicy::NAMES, at)?
            .map_or(SendPolicy::Always, |s| {
                SendPolicy::parse(s).expect("checked")
            });
        let names: Vec<&'static str> = ATTACHABLE.iter().map(|(n, _)| *n).collect();
        let attach = match &self.attach {
            None => DEFAULT_ATTACH
                .iter()
                .filter(|n| {
                    ATTACHABLE
                        .iter()
                        .any(|(a, f)| a == *n && formats.contains(f))
                })
                .map(|n| n.to_string())
                .collect(),
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for v in list {
                    let name = v.get_ref().trim();
                    let Some((_, format)) = ATTACHABLE.iter().find(|(n, _)| *n == name) else {
                        return Err(Error::input(
                            at(v.span()),
                            format!(
                                "cannot attach `{name}` (expected report.html, checklist.txt, findings.csv, vmks.csv or findings.json){}",
                                one_of_hint(name, &names)
                            ),
                        ));
                    };
                    if !formats.contains(format) && *format != OutputFormat::Json {
                        return Err(Error::input(
                            at(v.span()),
                            format!(
                                "`{name}` is attached but report.formats does not include `{}`",
                                format.name()
                            ),
                        ));
                    }
                    if !out.iter().any(|o| o == name) {
                        out.push(name.to_string());
                    }
                }
                out
            }
        };
        if let Some(t) = &self.subject {
            crate::deliver::subject::Template::parse(t.get_ref())
                .map_err(|e| Error::input(at(t.span()), format!("`subject`: {e}")))?;
        }

        if let (Some(_), Some(f)) = (&self.password_env, &self.password_file) {
            return Err(Error::input(
                at(f.span()),
                "give either `password_env` or `password_file`, not both",
            ));
        }
        let password = match (&self.password_env, &self.password_file) {
            (Some(e), _) => {
                let name = e.get_ref().trim();
                if !crate::secret::is_env_name(name) {
                    return Err(Error::input(
                        at(e.span()),
                        "`password_env` must be the name of an environment variable (not the password)",
                    ));
                }
                Some(PasswordSource::Env(name.to_string()))
            }
            (None, Some(f)) => Some(PasswordSource::File(resolve(f.get_ref()))),
            (None, None) => None,
        };
        match (&self.username, &password) {
            (Some(u), None) => {
                return Err(Error::input(
                    at(u.span()),
                    "`username` is set but there is no password source; set `password_env` (an environment variable's name) or `password_file`",
                ))
            }
            (None, Some(_)) => {
                let span = self
                    .password_env
                    .as_ref()
                    .map(|e| e.span())
                    .or_else(|| self.password_file.as_ref().map(|f| f.span()))
                    .unwrap_or(0..0);
                return Err(Error::input(
                    at(span),
                    "a password source is set but no `username`",
                ));
            }
            _ => {}
        }

        let retries = match &self.retries {
            Some(r) if *r.get_ref() > 20 => {
                return Err(Error::input(
                    at(r.span()),
                    format!("`retries` = {} is too many (at most 20)", r.get_ref()),
                ))
            }
            Some(r) => *r.get_ref(),
            None => 3,
        };
        let retry_delay = match &self.retry_delay_secs {
            Some(d) if !(0.0..=3600.0).contains(d.get_ref()) => {
                return Err(Error::input(
                    at(d.span()),
                    "`retry_delay_secs` must be between 0 and 3600",
                ))
            }
            Some(d) => std::time::Duration::from_secs_f64(*d.get_ref()),
            None => std::time::Duration::from_secs(10),
        };
        let timeout = match &self.timeout_secs {
            Some(t) if *t.get_ref() == 0 || *t.get_ref() > 3600 => {
                return Err(Error::input(
                    at(t.span()),
                    "`timeout_secs` must be between 1 and 3600",
                ))
            }
            Some(t) => std::time::Duration::from_secs(*t.get_ref()),
            None => std::time::Duration::from_secs(60),
        };

        let smtp = match &self.smtp_host {
            None => None,
            Some(h) => {
                let host = h.get_ref().trim();
                if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
                    return Err(Error::input(
                        at(h.span()),
                        format!("`smtp_host` `{host}` is not a host name or address (give the port in `smtp_port`)"),
                    ));
                }
                if security == SmtpSecurity::None
                    && !self.allow_insecure_smtp
                    && !is_loopback_host(host)
                {
                    let span = self.security.as_ref().map_or(h.span(), |s| s.span());
                    return Err(Error::input(
                        at(span),
                        format!(
                            "security = \"none\" would send the report{} unencrypted to `{host}`; it is allowed only to a loopback address (127.0.0.1, ::1, localhost) unless you set `allow_insecure_smtp = true`",
                            if password.is_some() { " and the password" } else { "" }
                        ),
                    ));
                }
                Some(SmtpSettings {
                    host: host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                    port: match &self.smtp_port {
                        Some(p) if *p.get_ref() == 0 => {
                            return Err(Error::input(at(p.span()), "`smtp_port` cannot be 0"))
                        }
                        Some(p) => *p.get_ref(),
                        None => security.default_port(),
                    },
                    security,
                    username: self.username.as_ref().map(|u| u.get_ref().clone()),
                    password,
                    ca_file: self.ca_file.as_deref().map(resolve),
                    retries,
                    retry_delay,
                    timeout,
                })
            }
        };
        Ok(EmailSettings {
            smtp,
            from,
            to,
            cc,
            bcc,
            subject: self.subject.map(Spanned::into_inner),
            send,
            attach,
            max_attachment_bytes: self
                .max_attachment_bytes
                .unwrap_or(DEFAULT_MAX_ATTACHMENT_BYTES),
            dry_run: self.dry_run,
        })
    }
}

/// The output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Html,
    Csv,
    Json,
}

impl OutputFormat {
    pub const NAMES: [&'static str; 3] = ["html", "csv", "json"];

    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Html => "html",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<OutputFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "html" => Some(OutputFormat::Html),
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            _ => None,
        }
    }
}

/// The validated, resolved settings of a run.
#[derive(Debug, Clone)]
pub struct Validated {
    pub name: Option<String>,
    pub vcenters: Vec<VcenterConfig>,
    pub inventories: Vec<InventoryConfig>,
    pub rules_file: Option<PathBuf>,
    pub output_dir: PathBuf,
    pub formats: Vec<OutputFormat>,
    pub language: Lang,
    pub keep: usize,
    pub templates_dir: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub email: Option<EmailSettings>,
}

/// `--fail-on`: the severity at or above which findings make the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    Error,
    #[default]
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        match s {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "info" => Some(FailOn::Info),
            "never" => Some(FailOn::Never),
            _ => None,
        }
    }

    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// Turn a `toml` error into an [`Error`] with file, line, column and a did-you-mean for
/// misspelt keys.
pub fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    let location = match e.span() {
        Some(span) => Location::from_offset(path, text, span.start),
        None => Location::file(path),
    };
    let mut message = e.message().trim().to_string();
    if !message.starts_with("unknown field `") {
        // "unknown variant `rvtool`, expected one of ..." and the like.
        message = crate::error::with_suggestion(message);
    } else if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            if let Some(hint) = did_you_mean(field, expected.iter().copied()) {
                message = format!("unknown key `{field}`; {hint}");
            } else {
                message = format!("unknown key `{field}`{tail}");
            }
        }
    }
    Error::input(location, message)
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Validated> {
        let text = crate::fsutil::read_text(path)?;
        let config: Config = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        let base = path.parent().unwrap_or(Path::new(""));
        config.validate(path, &text, base)
    }

    /// Check values serde cannot check and resolve relative paths against `base`.
    pub fn validate(self, path: &Path, text: &str, base: &Path) -> Result<Validated> {
        let at = |span: std::ops::Range<usize>| Location::from_offset(path, text, span.start);
        let resolve = |p: &Path| -> PathBuf {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        let mut formats = Vec::new();
        for f in &self.report.formats {
            match OutputFormat::parse(f.get_ref()) {
                Some(of) if !formats.contains(&of) => formats.push(of),
                Some(_) => {}
                None => {
                    let hint = did_you_mean(f.get_ref(), OutputFormat::NAMES)
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    return Err(Error::input(
                        at(f.span()),
                        format!(
                            "unknown report format `{}` (expected html, csv or json){hint}",
                            f.get_ref()
                        ),
                    ));
                }
            }
        }
        let language = match &self.report.language {
            None => Lang::En,
            Some(l) => Lang::parse(l.get_ref()).ok_or_else(|| {
                Error::input(
                    at(l.span()),
                    format!(
                        "unknown language `{}` (expected `en` or `zh-CN`)",
                        l.get_ref()
                    ),
                )
            })?,
        };
        let fail_on = match &self.report.fail_on {
            None => None,
            Some(v) => Some(FailOn::parse(v.get_ref()).ok_or_else(|| {
                let hint = did_you_mean(v.get_ref(), ["error", "warning", "info", "never"])
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                Error::input(
                    at(v.span()),
                    format!(
                        "unknown fail_on level `{}` (expected error, warning, info or never){hint}",
                        v.get_ref()
                    ),
                )
            })?),
        };
        let mut vcenters = self.vcenter;
        for vc in &mut vcenters {
            // The URL first: a malformed one (or one with credentials) is reported at its
            // line and column, and never echoed by the messages below.
            if let Err(e) = crate::collect::client::sdk_url(vc.url.get_ref()) {
                return Err(Error::input(at(vc.url.span()), e));
            }
            if vc.password_env.is_some() && vc.password_file.is_some() {
                return Err(Error::input(
                    at(vc.url.span()),
                    "give either `password_env` or `password_file`, not both",
                ));
            }
            if vc.password_env.is_none() && vc.password_file.is_none() {
                return Err(Error::input(
                    at(vc.url.span()),
                    format!(
                        "[[vcenter]] {}: no password source; set `password_env` (an environment variable's name) or `password_file`",
                        vc.url.get_ref()
                    ),
                ));
            }
            vc.password_file = vc.password_file.as_deref().map(resolve);
            vc.ca_file = vc.ca_file.as_deref().map(resolve);
        }
        let mut inventories = self.inventory;
        for inv in &mut inventories {
            inv.path = resolve(&inv.path);
        }
        if vcenters.is_empty() && inventories.is_empty() {
            return Err(Error::input(
                Location::file(path),
                "no sources: add at least one [[vcenter]] or [[inventory]] table",
            ));
        }
        let email = match self.email {
            Some(em) => Some(em.validate(&at, &resolve, &formats)?),
            None => None,
        };
        Ok(Validated {
            name: self.name,
            vcenters,
            inventories,
            // A built-in rule set's name (`stig`) stays a name unless such a file exists.
            rules_file: self.rules.file.as_deref().map(|p| {
                let builtin = crate::evaluate::BUILTIN
                    .iter()
                    .any(|(n, _)| p == Path::new(n));
                if builtin && !resolve(p).exists() {
                    p.to_path_buf()
                } else {
                    resolve(p)
                }
            }),
            output_dir: resolve(&self.report.output_dir),
            formats,
            language,
            keep: self.report.keep,
            templates_dir: self.report.templates_dir.as_deref().map(resolve),
            fail_on,
            email,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Validated> {
        let path = Path::new("cfg.toml");
        let config: Config = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        config.validate(path, text, Path::new("/base"))
    }

    #[test]
    fn misspelt_key_gets_line_column_and_suggestion() {
        let err = load_str("[[inventory]]\npath = \"a.json\"\n[report]\noutput_dri = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cfg.toml:4:1:"), "{err}");
        assert!(err.contains("did you mean `output_dir`?"), "{err}");
    }

    #[test]
    fn bad_format_value_is_located() {
        let err =
            load_str("[[inventory]]\npath = \"a\"\n[report]\nformats = [\"html\", \"pdf\"]\n")
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("cfg.toml:4:"), "{err}");
        assert!(err.contains("unknown report format `pdf`"), "{err}");
    }

    #[test]
    fn relative_paths_resolve_against_config_dir() {
        let v = load_str("[[inventory]]\npath = \"lab.json\"\n").unwrap();
        assert_eq!(v.inventories[0].path, Path::new("/base/lab.json"));
        assert_eq!(v.output_dir, Path::new("/base/vmkaudit-report"));
        assert_eq!(v.formats.len(), 3);
    }

    fn email_cfg(extra: &str) -> Result<Validated> {
        load_str(&format!(
            "[[inventory]]\npath = \"a.json\"\n[email]\nfrom = \"vmkaudit <va@example.com>\"\nto = [\"ops@example.com\"]\n{extra}"
        ))
    }

    fn email_err(extra: &str) -> String {
        email_cfg(extra).unwrap_err().to_string()
    }

    #[test]
    fn email_defaults() {
        let v = email_cfg("smtp_host = \"smtp.example.com\"\n").unwrap();
        let em = v.email.unwrap();
        let smtp = em.smtp.unwrap();
        assert_eq!(smtp.security, SmtpSecurity::Starttls);
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.retries, 3);
        assert_eq!(em.send, SendPolicy::Always);
        assert_eq!(em.attach, ["report.html", "findings.csv"]);
        assert_eq!(em.max_attachment_bytes, DEFAULT_MAX_ATTACHMENT_BYTES);
        assert_eq!(em.to[0].email.to_string(), "ops@example.com");
        assert_eq!(em.from.name.as_deref(), Some("vmkaudit"));
        // No smtp_host: the message is written as message.eml.
        assert!(email_cfg("").unwrap().email.unwrap().smtp.is_none());
        let tls = email_cfg("smtp_host = \"mx\"\nsecurity = \"tls\"\n").unwrap();
        assert_eq!(tls.email.unwrap().smtp.unwrap().port, 465);
    }

    #[test]
    fn email_security_values_and_loopback_rule() {
        let e = email_err("smtp_host = \"mx\"\nsecurity = \"startls\"\n");
        assert!(e.starts_with("cfg.toml:7:12:"), "{e}");
        assert!(e.contains("did you mean `starttls`?"), "{e}");
        let e = email_err("smtp_host = \"mail.example.com\"\nsecurity = \"none\"\n");
        assert!(e.starts_with("cfg.toml:7:12:"), "{e}");
        assert!(e.contains("only to a loopback address"), "{e}");
        assert!(e.contains("allow_insecure_smtp"), "{e}");
        for host in ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"] {
            let v = email_cfg(&format!("smtp_host = \"{host}\"\nsecurity = \"none\"\n")).unwrap();
            assert_eq!(v.email.unwrap().smtp.unwrap().port, 25, "{host}");
        }
        assert!(email_cfg(
            "smtp_host = \"mail.example.com\"\nsecurity = \"none\"\nallow_insecure_smtp = true\n"
        )
        .is_ok());
    }

    #[test]
    fn email_addresses_attach_send_and_subject_are_checked() {
        let e = load_str(
            "[[inventory]]\npath = \"a\"\n[email]\nfrom = \"not an address\"\nto = [\"a@b.c\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("cfg.toml:4:8:"), "{e}");
        assert!(
            e.contains("`not an address` is not a valid email address"),
            "{e}"
        );
        let e = load_str("[[inventory]]\npath = \"a\"\n[email]\nfrom = \"a@b.c\"\nto = []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`to` is empty"), "{e}");
        let e = email_err("cc = [\"ok@example.com\", \"bad@\"]\n");
        assert!(e.contains("`cc`: `bad@`"), "{e}");
        let e = email_err("attach = [\"report.html\", \"finding.csv\"]\n");
        assert!(e.starts_with("cfg.toml:6:26:"), "{e}");
        assert!(e.contains("did you mean `findings.csv`?"), "{e}");
        let e = email_err("send = \"change\"\n");
        assert!(e.contains("unknown send value `change`"), "{e}");
        assert!(e.contains("did you mean `changes`?"), "{e}");
        let e = email_err("subject = \"{name}: {erors}\"\n");
        assert!(e.starts_with("cfg.toml:6:"), "{e}");
        assert!(e.contains("did you mean `errors`?"), "{e}");
        let v = email_cfg(
            "send = \"changes\"\nattach = [\"vmks.csv\", \"findings.json\", \"vmks.csv\"]\n",
        )
        .unwrap();
        let em = v.email.unwrap();
        assert_eq!(em.send, SendPolicy::Changes);
        assert_eq!(em.attach, ["vmks.csv", "findings.json"]);
    }

    #[test]
    fn email_attach_must_match_formats() {
        let text = "[[inventory]]\npath = \"a\"\n[report]\nformats = [\"json\"]\n[email]\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n";
        // Defaults shrink to what is produced.
        assert!(load_str(text).unwrap().email.unwrap().attach.is_empty());
        let e = load_str(&format!("{text}attach = [\"report.html\"]\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("report.formats does not include `html`"), "{e}");
    }

    #[test]
    fn email_credentials_rules() {
        let e = email_err("smtp_host = \"mx\"\nusername = \"u\"\n");
        assert!(e.contains("no password source"), "{e}");
        let e = email_err("smtp_host = \"mx\"\npassword_env = \"P\"\n");
        assert!(e.contains("no `username`"), "{e}");
        let e = email_err(
            "smtp_host = \"mx\"\nusername = \"u\"\npassword_env = \"P\"\npassword_file = \"p\"\n",
        );
        assert!(e.contains("not both"), "{e}");
        let e = email_err("smtp_host = \"mx\"\nusername = \"u\"\npassword_env = \"hunter2=x\"\n");
        assert!(e.contains("name of an environment variable"), "{e}");
        let v = email_cfg("smtp_host = \"mx\"\nusername = \"u\"\npassword_file = \"secret\"\nca_file = \"ca.pem\"\n")
            .unwrap();
        let smtp = v.email.unwrap().smtp.unwrap();
        assert_eq!(
            smtp.password,
            Some(PasswordSource::File(PathBuf::from("/base/secret")))
        );
        assert_eq!(smtp.ca_file.as_deref(), Some(Path::new("/base/ca.pem")));
        let e = email_err("smtp_host = \"mx\"\nretries = 99\n");
        assert!(e.contains("at most 20"), "{e}");
        let e = email_err("smtp_host = \"mx\"\nretry_delay_secs = -1.0\n");
        assert!(e.contains("between 0 and 3600"), "{e}");
        let e = email_err("smtp_host = \"mx\"\nsmtp_port = 0\n");
        assert!(e.starts_with("cfg.toml:7:13:"), "{e}");
        let e = email_err("smtp_hots = \"mx\"\n");
        assert!(e.contains("did you mean `smtp_host`?"), "{e}");
    }

    #[test]
    fn builtin_rule_set_names_are_not_resolved_as_paths() {
        let v = load_str("[[inventory]]\npath = \"a\"\n[rules]\nfile = \"stig\"\n").unwrap();
        assert_eq!(v.rules_file.as_deref(), Some(Path::new("stig")));
        let v = load_str("[[inventory]]\npath = \"a\"\n[rules]\nfile = \"site.toml\"\n").unwrap();
        assert_eq!(v.rules_file.as_deref(), Some(Path::new("/base/site.toml")));
    }

    #[test]
    fn plain_http_vcenter_url_is_located() {
        let err =
            load_str("[[vcenter]]\nurl = \"http://vc\"\nuser = \"u\"\npassword_env = \"P\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("cfg.toml:2:7:"), "{err}");
        assert!(err.contains("must start with https://"), "{err}");
        for (url, want) in [
            ("https://vc:99999", "is not valid (invalid port number)"),
            ("https://vc/ui", "has path `/ui`"),
            (
                "https://root:hunter2@vc",
                "must not contain a user name or password",
            ),
        ] {
            let err = load_str(&format!("[[vcenter]]\nurl = \"{url}\"\nuser = \"u\"\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("cfg.toml:2:7:") && err.contains(want),
                "{err}"
            );
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn no_sources_is_an_error() {
        assert!(load_str("[report]\nkeep = 3\n").is_err());
    }
}
