//! The `[email]` table of the run configuration: what it may hold ([`EmailConfig`]), its checks
//! and the settings a run uses ([`EmailSettings`], [`SmtpSettings`]).
//!
//! The choices (`security`, `send`) are read straight into enums ([`crate::choice`]), so a
//! misspelt one is an error at its line and column with a did-you-mean. The other checks run in
//! [`EmailConfig::validate`] and name the value they are about in the same way.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use serde::Deserialize;
use serde_spanned::Spanned;

use crate::choice::Choice;
use crate::deliver::Error;
use crate::error::Location;
use crate::render::OutputFormat;

/// `[email]` as written.
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
    pub security: Option<Spanned<SmtpSecurity>>,
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
    pub send: Option<SendPolicy>,
    /// With `send = "changes"`: a configuration change since the previous run (a vmk's address,
    /// a ruleset, a host added or removed, ...) counts as a change too (default false: only new
    /// or resolved findings).
    #[serde(default)]
    pub count_drift: bool,
    /// Report files to attach: `report.html`, `checklist.txt`, `findings.csv`, `vmks.csv`,
    /// `changes.csv` (a run compared with a previous one), `findings.json`.
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

impl Choice for SmtpSecurity {
    const WHAT: &'static str = "security";
    const ALL: &'static [Self] = &[
        SmtpSecurity::Starttls,
        SmtpSecurity::Tls,
        SmtpSecurity::None,
    ];

    fn name(self) -> &'static str {
        match self {
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        }
    }
}

crate::choice_serde!(SmtpSecurity);

impl SmtpSecurity {
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
    /// Only runs where something is new or resolved since the previous run (a first run counts),
    /// or, with `count_drift`, where the configuration changed.
    Changes,
}

impl Choice for SendPolicy {
    const WHAT: &'static str = "send value";
    const ALL: &'static [Self] = &[
        SendPolicy::Always,
        SendPolicy::Findings,
        SendPolicy::Changes,
    ];

    fn name(self) -> &'static str {
        match self {
            SendPolicy::Always => "always",
            SendPolicy::Findings => "findings",
            SendPolicy::Changes => "changes",
        }
    }
}

crate::choice_serde!(SendPolicy);

/// Where a password comes from (never the config file itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The named environment variable.
    Env(String),
    /// The first line of this file.
    File(PathBuf),
}

/// The report files that can be attached, and the format that produces each.
pub const ATTACHABLE: [(&str, OutputFormat); 6] = [
    ("report.html", OutputFormat::Html),
    ("checklist.txt", OutputFormat::Html),
    ("findings.csv", OutputFormat::Csv),
    ("vmks.csv", OutputFormat::Csv),
    ("changes.csv", OutputFormat::Csv),
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
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    /// The subject template (checked); the built-in subject when `None`.
    pub subject: Option<String>,
    pub send: SendPolicy,
    /// `count_drift`: with `send = "changes"`, configuration drift counts as a change.
    pub count_drift: bool,
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
    /// Retries of a transient failure, and the wait before each.
    pub retry: crate::retry::Policy,
    pub timeout: Duration,
}

/// `host` is a loopback address (`127.0.0.0/8`, `::1`) or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A settings error and the span of the value it is about.
type Checked<T> = Result<T, (Range<usize>, Error)>;

impl EmailConfig {
    /// Check the `[email]` table. `at` turns a span into a location, `resolve` makes a path
    /// absolute, `formats` are the report formats (an attached file must be produced).
    pub fn validate(
        self,
        at: &dyn Fn(Range<usize>) -> Location,
        resolve: &dyn Fn(&Path) -> PathBuf,
        formats: &[OutputFormat],
    ) -> crate::error::Result<EmailSettings> {
        self.check(resolve, formats)
            .map_err(|(span, e)| crate::error::Error::input(at(span), e.to_string()))
    }

    fn check(
        self,
        resolve: &dyn Fn(&Path) -> PathBuf,
        formats: &[OutputFormat],
    ) -> Checked<EmailSettings> {
        let mailbox = |v: &Spanned<String>, key: &'static str| -> Checked<Mailbox> {
            v.get_ref().trim().parse::<Mailbox>().map_err(|source| {
                let value = v.get_ref().clone();
                (v.span(), Error::Address { key, value, source })
            })
        };
        let from = mailbox(&self.from, "from")?;
        if self.to.get_ref().is_empty() {
            return Err((self.to.span(), Error::NoRecipient));
        }
        let to = (self.to.get_ref().iter())
            .map(|v| mailbox(v, "to"))
            .collect::<Checked<Vec<_>>>()?;
        let cc = (self.cc.iter())
            .map(|v| mailbox(v, "cc"))
            .collect::<Checked<Vec<_>>>()?;
        let bcc = (self.bcc.iter())
            .map(|v| mailbox(v, "bcc"))
            .collect::<Checked<Vec<_>>>()?;
        let security = self
            .security
            .as_ref()
            .map_or(SmtpSecurity::Starttls, |s| *s.get_ref());
        let attach = attachments(self.attach.as_deref(), formats)?;
        if let Some(t) = &self.subject {
            super::super::subject::Template::parse(t.get_ref())
                .map_err(|e| (t.span(), e.into()))?;
        }
        let password = self.password_source(resolve)?;
        let retry = crate::retry::Policy {
            retries: match &self.retries {
                Some(r) if *r.get_ref() > 20 => {
                    return Err((r.span(), Error::TooManyRetries(*r.get_ref())))
                }
                Some(r) => *r.get_ref(),
                None => 3,
            },
            backoff: crate::retry::Backoff::new(match &self.retry_delay_secs {
                Some(d) if !(0.0..=3600.0).contains(d.get_ref()) => {
                    return Err((d.span(), Error::RetryDelay))
                }
                Some(d) => Duration::from_secs_f64(*d.get_ref()),
                None => Duration::from_secs(10),
            }),
        };
        let timeout = match &self.timeout_secs {
            Some(t) if *t.get_ref() == 0 || *t.get_ref() > 3600 => {
                return Err((t.span(), Error::Timeout))
            }
            Some(t) => Duration::from_secs(*t.get_ref()),
            None => Duration::from_secs(60),
        };

        let smtp = match &self.smtp_host {
            None => None,
            Some(h) => {
                let host = h.get_ref().trim();
                if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
                    return Err((h.span(), Error::SmtpHost(host.to_string())));
                }
                if security == SmtpSecurity::None
                    && !self.allow_insecure_smtp
                    && !is_loopback_host(host)
                {
                    let span = self.security.as_ref().map_or(h.span(), |s| s.span());
                    let with_password = password.is_some();
                    let host = host.to_string();
                    return Err((
                        span,
                        Error::InsecureSmtp {
                            host,
                            with_password,
                        },
                    ));
                }
                let port = match &self.smtp_port {
                    Some(p) if *p.get_ref() == 0 => return Err((p.span(), Error::PortZero)),
                    Some(p) => *p.get_ref(),
                    None => security.default_port(),
                };
                Some(SmtpSettings {
                    host: host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_string(),
                    port,
                    security,
                    username: self.username.as_ref().map(|u| u.get_ref().clone()),
                    password,
                    ca_file: self.ca_file.as_deref().map(resolve),
                    retry,
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
            send: self.send.unwrap_or_default(),
            count_drift: self.count_drift,
            attach,
            max_attachment_bytes: self
                .max_attachment_bytes
                .unwrap_or(DEFAULT_MAX_ATTACHMENT_BYTES),
            dry_run: self.dry_run,
        })
    }

    /// `password_env` or `password_file`, and a `username` exactly when there is one.
    fn password_source(
        &self,
        resolve: &dyn Fn(&Path) -> PathBuf,
    ) -> Checked<Option<PasswordSource>> {
        let password = match (&self.password_env, &self.password_file) {
            (Some(_), Some(f)) => return Err((f.span(), Error::TwoPasswordSources)),
            (Some(e), None) => {
                let name = e.get_ref().trim();
                if !crate::secret::is_env_name(name) {
                    return Err((e.span(), Error::PasswordEnvNotAName));
                }
                Some(PasswordSource::Env(name.to_string()))
            }
            (None, Some(f)) => Some(PasswordSource::File(resolve(f.get_ref()))),
            (None, None) => None,
        };
        match (&self.username, &password) {
            (Some(u), None) => Err((u.span(), Error::NoPasswordSource)),
            (None, Some(_)) => {
                let span = (self.password_env.as_ref().map(|e| e.span()))
                    .or_else(|| self.password_file.as_ref().map(|f| f.span()))
                    .unwrap_or(0..0);
                Err((span, Error::NoUsername))
            }
            _ => Ok(password),
        }
    }
}

/// `attach` checked against the report files and the `formats` that produce them; the
/// defaults the formats produce when it is not set.
fn attachments(list: Option<&[Spanned<String>]>, formats: &[OutputFormat]) -> Checked<Vec<String>> {
    let Some(list) = list else {
        return Ok(DEFAULT_ATTACH
            .iter()
            .filter(|n| {
                ATTACHABLE
                    .iter()
                    .any(|(a, f)| a == *n && formats.contains(f))
            })
            .map(|n| n.to_string())
            .collect());
    };
    let names: Vec<&str> = ATTACHABLE.iter().map(|(n, _)| *n).collect();
    let mut out: Vec<String> = Vec::new();
    for v in list {
        let name = v.get_ref().trim();
        let Some((_, format)) = ATTACHABLE.iter().find(|(n, _)| *n == name) else {
            let e = Error::UnknownAttachment {
                name: name.to_string(),
                expected: crate::choice::expected(&names),
                hint: crate::error::did_you_mean(name, names.iter().copied()),
            };
            return Err((v.span(), e));
        };
        if !formats.contains(format) && *format != OutputFormat::Json {
            let e = Error::AttachmentNotProduced {
                name: name.to_string(),
                format: format.name(),
            };
            return Err((v.span(), e));
        }
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(head: &str, extra: &str) -> Result<EmailSettings, Error> {
        let text = format!("{head}\n{extra}");
        let c: EmailConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        c.check(&|p| Path::new("/base").join(p), &[OutputFormat::Html])
            .map_err(|(_, e)| e)
    }

    const HEAD: &str = "from = \"a@b.c\"\nto = [\"d@e.f\"]";

    #[test]
    fn each_problem_is_its_own_variant() {
        assert!(matches!(
            check("from = \"a@b.c\"\nto = []", ""),
            Err(Error::NoRecipient)
        ));
        assert!(matches!(
            check("from = \"x\"\nto = [\"d@e.f\"]", ""),
            Err(Error::Address { key: "from", .. })
        ));
        assert!(matches!(
            check(
                HEAD,
                "smtp_host = \"mail.example.com\"\nsecurity = \"none\""
            ),
            Err(Error::InsecureSmtp {
                with_password: false,
                ..
            })
        ));
        assert!(matches!(
            check(HEAD, "retries = 21"),
            Err(Error::TooManyRetries(21))
        ));
        assert!(matches!(
            check(HEAD, "smtp_host = \"mx\"\nsmtp_port = 0"),
            Err(Error::PortZero)
        ));
        match check(HEAD, "attach = [\"finding.csv\"]") {
            Err(Error::UnknownAttachment { name, hint, .. }) => {
                assert_eq!(name, "finding.csv");
                assert_eq!(hint, "; did you mean `findings.csv`?");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check(HEAD, "attach = [\"vmks.csv\"]"),
            Err(Error::AttachmentNotProduced { format: "csv", .. })
        ));
        assert!(matches!(
            check(HEAD, "username = \"u\""),
            Err(Error::NoPasswordSource)
        ));
        assert!(matches!(
            check(HEAD, "subject = \"{nmae}\""),
            Err(Error::Subject(_))
        ));
    }

    #[test]
    fn choices_and_the_retry_policy() {
        let s = check(
            HEAD,
            "smtp_host = \"mx\"\nsecurity = \"tls\"\nsend = \"findings\"\nretries = 2\nretry_delay_secs = 0.5",
        )
        .unwrap();
        assert_eq!(s.send, SendPolicy::Findings);
        let smtp = s.smtp.unwrap();
        assert_eq!((smtp.security, smtp.port), (SmtpSecurity::Tls, 465));
        assert_eq!(smtp.retry.attempts(), 3);
        assert_eq!(smtp.retry.backoff.delay(2), Duration::from_secs(1));
        assert_eq!(smtp.retry.backoff.cap, crate::retry::DEFAULT_CAP);
        let e = toml::from_str::<EmailConfig>(&format!("{HEAD}\nsend = \"allways\"")).unwrap_err();
        assert!(
            e.message().starts_with(
                "unknown send value `allways` (expected always, findings or changes); did you mean `always`?"
            ),
            "{e}"
        );
    }
}
