//! The report email: build it (lettre), write it as `message.eml` or send it over SMTP.
//!
//! The message is `multipart/mixed`: first a `multipart/alternative` with a `text/plain` and an
//! email-safe `text/html` body, then the chosen report files as attachments (`text/html`,
//! `text/csv`, `text/plain` or `application/json`, `charset=utf-8`). A file above `max_attachment_bytes` is left
//! out and the body says so. Sending uses lettre's blocking SMTP transport with STARTTLS
//! (required, never opportunistic), implicit TLS or, to loopback only unless forced, no
//! encryption; rustls checks the server against the system roots plus `ca_file`. Transient
//! failures are retried with exponential backoff a bounded number of times; permanent ones
//! (a 5xx reply, a TLS or authentication problem) are not. Passwords come from an environment
//! variable or a file and never appear in a log line or an error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{
    EmailSettings, FailOn, PasswordSource, SendPolicy, SmtpSecurity, SmtpSettings,
};
use crate::deliver::history::Changes;
use crate::deliver::subject::{default_subject, Template, Values};
use crate::error::Result;
use crate::findings::FindingsFile;
use crate::i18n::Lang;
use crate::model::Inventory;
use crate::render::RenderOptions;
use crate::secret::{read_secret, SecretSource};
use crate::text;

/// The file a message is written to instead of being sent.
pub const EML_NAME: &str = "message.eml";

/// What became of a run's email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    /// No `[email]` table.
    NotConfigured,
    /// The `send` policy said no; the reason.
    Skipped(String),
    /// Written as an `.eml` file (dry run or no `smtp_host`).
    Written(PathBuf),
    /// Accepted by the SMTP server.
    Sent { server: String, recipients: usize },
    /// Could not be sent (the reports are written).
    Failed(String),
}

/// Whether the `send` policy lets this run send: `Err(reason)` when it does not.
///
/// `previous_failed`: the previous run's email could not be sent. With `send = "changes"` this
/// run then sends anyway, so that a change is not lost because its email failed.
pub fn should_send(
    policy: SendPolicy,
    findings: &FindingsFile,
    changes: &Changes,
    fail_on: FailOn,
    previous_failed: bool,
) -> std::result::Result<(), String> {
    match policy {
        SendPolicy::Always => Ok(()),
        SendPolicy::Changes if changes.is_change() || previous_failed => Ok(()),
        SendPolicy::Changes => Err(format!(
            "send = \"changes\" and nothing is new or resolved since {}",
            changes
                .previous_run
                .as_deref()
                .unwrap_or("the previous run")
        )),
        SendPolicy::Findings => {
            let any = match fail_on.threshold() {
                Some(level) => findings.count_at_or_above(level) > 0,
                None => findings.findings.iter().any(|f| f.waived.is_none()),
            };
            if any {
                Ok(())
            } else {
                Err(format!(
                    "send = \"findings\" and there are no findings at or above the fail level ({})",
                    match fail_on {
                        FailOn::Error => "error",
                        FailOn::Warning => "warning",
                        FailOn::Info => "info",
                        FailOn::Never => "any",
                    }
                ))
            }
        }
    }
}

/// The subject line of a run's email.
pub fn subject(
    settings: &EmailSettings,
    findings: &FindingsFile,
    changes: &Changes,
    name: Option<&str>,
    lang: Lang,
) -> String {
    let values = Values::new(findings, changes, name, lang);
    match settings.subject.as_deref().map(Template::parse) {
        Some(Ok(t)) => t.render(&values),
        // Checked when the config was loaded; fall back rather than fail a run.
        _ => default_subject(&values),
    }
}

/// Build the message for the run on `inv` whose reports are in `run_dir`.
pub fn build_message(
    settings: &EmailSettings,
    inv: &Inventory,
    findings: &FindingsFile,
    changes: &Changes,
    run_dir: &Path,
    opts: &RenderOptions,
) -> Result<Message, String> {
    let lang = opts.lang;
    let mut notes: Vec<String> = Vec::new();
    if changes.unverified > 0 {
        let n = changes.unverified;
        notes.push(
            text!(
                "{n} finding(s) of the previous run could not be checked again (host not connected, or its source could not be collected); they are not counted as resolved.",
                "上次运行的 {n} 个问题本次无法复查（主机未连接，或其数据源未能采集），未计为已解决。"
            )
            .get(lang)
            .to_string(),
        );
    }
    let mut attachments = Vec::new();
    for name in &settings.attach {
        let path = run_dir.join(name);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(_) => {
                notes.push(
                    text!(
                        "{name} is not attached: this run did not write it.",
                        "{name} 未附上：本次运行没有生成该文件。"
                    )
                    .get(lang)
                    .to_string(),
                );
                continue;
            }
        };
        let limit = settings.max_attachment_bytes;
        if meta.len() > limit {
            let size = human_size(meta.len());
            let max = human_size(limit);
            let abs = std::fs::canonicalize(run_dir).unwrap_or_else(|_| run_dir.to_path_buf());
            let dir = abs.display();
            notes.push(
                text!(
                    "{name} ({size}) is not attached: it is larger than the {max} limit (email.max_attachment_bytes). It is in {dir}.",
                    "{name}（{size}）未附上：超过 {max} 的附件大小上限（email.max_attachment_bytes）。文件位于 {dir}。"
                )
                .get(lang)
                .to_string(),
            );
            continue;
        }
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cannot read {} to attach it: {e}", path.display()))?;
        attachments.push(Attachment::new(name.clone()).body(bytes, content_type_for(name)));
    }

    let html = insert_html_notes(&body_html(inv, findings, opts)?, &notes);
    let mut text = String::new();
    for n in &notes {
        text.push_str("* ");
        text.push_str(n);
        text.push('\n');
    }
    if !notes.is_empty() {
        text.push('\n');
    }
    text.push_str(&body_text(inv, findings, opts)?);

    let subject = subject(settings, findings, changes, opts.title.as_deref(), lang);
    let mut builder = Message::builder()
        .from(settings.from.clone())
        .subject(subject)
        .message_id(None)
        .user_agent(format!("vmkaudit {}", env!("CARGO_PKG_VERSION")))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
    for to in &settings.to {
        builder = builder.to(to.clone());
    }
    for cc in &settings.cc {
        builder = builder.cc(cc.clone());
    }
    for bcc in &settings.bcc {
        builder = builder.bcc(bcc.clone());
    }
    let mut mixed = MultiPart::mixed().multipart(
        MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html)),
    );
    for a in attachments {
        mixed = mixed.singlepart(a);
    }
    builder
        .multipart(mixed)
        .map_err(|e| format!("cannot build the message: {e}"))
}

fn content_type_for(name: &str) -> ContentType {
    let raw = if name.ends_with(".html") {
        "text/html; charset=utf-8"
    } else if name.ends_with(".csv") {
        "text/csv; charset=utf-8"
    } else if name.ends_with(".json") {
        "application/json; charset=utf-8"
    } else if name.ends_with(".txt") {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    ContentType::parse(raw).unwrap_or(ContentType::TEXT_PLAIN)
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB / 10.0 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

/// Put the notes at the top of the HTML body (right after `<body ...>`).
fn insert_html_notes(html: &str, notes: &[String]) -> String {
    if notes.is_empty() {
        return html.to_string();
    }
    let mut block = String::from(
        "<div style=\"max-width:736px;border:1px solid #d9a400;background:#fff8e1;padding:8px 12px;margin:12px auto 0 auto;font-family:Arial,sans-serif;font-size:13px\">",
    );
    for n in notes {
        block.push_str("<p style=\"margin:4px 0\">");
        block.push_str(&quick_xml::escape::escape(n));
        block.push_str("</p>");
    }
    block.push_str("</div>");
    let lower = html.to_ascii_lowercase();
    match lower
        .find("<body")
        .and_then(|i| lower[i..].find('>').map(|j| i + j + 1))
    {
        Some(at) => format!("{}{}{}", &html[..at], block, &html[at..]),
        None => format!("{block}{html}"),
    }
}

/// The email-safe HTML body (the reports module renders it).
fn body_html(
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<String, String> {
    crate::render::email_html(inv, findings, opts)
        .map_err(|e| format!("cannot render the email body: {e}"))
}

/// The plain-text alternative.
fn body_text(
    inv: &Inventory,
    findings: &FindingsFile,
    opts: &RenderOptions,
) -> Result<String, String> {
    Ok(crate::render::email_text(inv, findings, opts))
}

/// Write `message` as `message.eml` into `run_dir` (atomically).
pub fn write_eml(run_dir: &Path, message: &Message) -> Result<PathBuf> {
    let path = run_dir.join(EML_NAME);
    crate::fsutil::write_atomic(&path, &message.formatted())?;
    Ok(path)
}

/// The SMTP password ([`crate::secret::read_secret`]).
fn read_password(source: &PasswordSource) -> Result<String, String> {
    let source = match source {
        PasswordSource::Env(var) => SecretSource::Env {
            var,
            setting: "email.password_env",
        },
        PasswordSource::File(path) => SecretSource::File(path),
    };
    read_secret(source).map_err(|e| format!("SMTP password: {e}"))
}

/// `host:port (security)` for messages.
pub fn server_label(smtp: &SmtpSettings) -> String {
    format!("{}:{} ({})", smtp.host, smtp.port, smtp.security.as_str())
}

fn transport(smtp: &SmtpSettings) -> Result<SmtpTransport, String> {
    let tls_params = || -> Result<TlsParameters, String> {
        let mut b = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| format!("cannot read email.ca_file {}: {e}", ca.display()))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                format!(
                    "email.ca_file {} holds no usable PEM certificate: {e}",
                    ca.display()
                )
            })?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls()
            .map_err(|e| format!("cannot set up TLS for {}: {e}", smtp.host))
    };
    let tls = match smtp.security {
        SmtpSecurity::Starttls => Tls::Required(tls_params()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls_params()?),
        SmtpSecurity::None => Tls::None,
    };
    let mut b = SmtpTransport::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(smtp.timeout));
    if let (Some(user), Some(source)) = (&smtp.username, &smtp.password) {
        b = b.credentials(Credentials::new(user.clone(), read_password(source)?));
    }
    Ok(b.build())
}

/// The TLS error (rustls) behind an SMTP error, if that is what it is. rustls errors reach
/// lettre wrapped in an `io::Error`, whose `source()` skips the wrapped error itself.
fn tls_cause(e: &lettre::transport::smtp::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = next {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(t) = inner.downcast_ref::<rustls::Error>() {
                return Some(t);
            }
        }
        next = err.source();
    }
    None
}

/// A failure that another attempt will not fix: a 5xx reply, a client-side problem (no
/// common authentication mechanism, ...) or TLS (an untrusted or mismatched certificate).
fn is_permanent(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent() || e.is_client() || e.is_tls() || tls_cause(e).is_some()
}

/// Delay before retry number `n` (1-based): `base * 2^(n-1)`, at most 15 minutes.
pub fn backoff(base: Duration, n: u32) -> Duration {
    let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
    base.saturating_mul(factor)
        .min(Duration::from_secs(15 * 60))
}

/// Send `message`, retrying transient failures; `sleep` waits between attempts.
pub fn send(
    smtp: &SmtpSettings,
    message: &Message,
    sleep: &dyn Fn(Duration),
) -> Result<(), String> {
    let server = server_label(smtp);
    let transport = transport(smtp).map_err(|e| format!("{e} (server {server})"))?;
    let attempts = smtp.retries + 1;
    for attempt in 1..=attempts {
        match transport.send(message) {
            Ok(_) => return Ok(()),
            Err(e) => {
                let permanent = is_permanent(&e);
                if permanent || attempt == attempts {
                    let tries = if attempt == 1 {
                        "1 attempt".to_string()
                    } else {
                        format!("{attempt} attempts")
                    };
                    let cert_problem =
                        matches!(tls_cause(&e), Some(rustls::Error::InvalidCertificate(_)));
                    let hint = if cert_problem {
                        "; if the server uses a private CA, give its certificate in email.ca_file"
                    } else {
                        ""
                    };
                    return Err(format!(
                        "could not send the email via {server} after {tries}: {e}{hint}"
                    ));
                }
                let delay = backoff(smtp.retry_delay, attempt);
                tracing::warn!(
                    "sending the email via {server} failed (attempt {attempt} of {attempts}): {e}; retrying in {:.1}s",
                    delay.as_secs_f64()
                );
                sleep(delay);
            }
        }
    }
    unreachable!("the loop returns on the last attempt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliver::history::tests::{file, finding};
    use crate::findings::Severity;

    fn settings(attach: &[&str], max: u64) -> EmailSettings {
        EmailSettings {
            smtp: None,
            from: "vmkaudit <vmkaudit@example.com>".parse().unwrap(),
            to: vec!["ops@example.com".parse().unwrap()],
            cc: vec!["Audit Team <audit@example.com>".parse().unwrap()],
            bcc: vec!["archive@example.com".parse().unwrap()],
            subject: None,
            send: SendPolicy::Always,
            attach: attach.iter().map(|s| s.to_string()).collect(),
            max_attachment_bytes: max,
            dry_run: false,
        }
    }

    fn opts() -> RenderOptions {
        RenderOptions {
            formats: vec![],
            lang: Lang::En,
            templates_dir: None,
            title: Some("Prod".into()),
        }
    }

    #[test]
    fn send_policies() {
        let clean = file("2026-11-25T06:00:00+00:00", Vec::new());
        let mut info_only = clean.clone();
        info_only.findings = vec![finding("COV002", "esx1", None, Severity::Info)];
        let warn = file(
            "2026-11-25T06:00:00+00:00",
            vec![finding("GW004", "esx1", None, Severity::Warning)],
        );
        let first = Changes::default();
        let same = Changes {
            previous_run: Some("2026-11-24T06:00:00+00:00".into()),
            persisting: 1,
            ..Changes::default()
        };
        let resolved = Changes {
            resolved: 1,
            ..same.clone()
        };
        assert!(should_send(SendPolicy::Always, &clean, &same, FailOn::Warning, false).is_ok());
        assert!(should_send(SendPolicy::Changes, &clean, &first, FailOn::Warning, false).is_ok());
        assert!(should_send(
            SendPolicy::Changes,
            &clean,
            &resolved,
            FailOn::Warning,
            false
        )
        .is_ok());
        let why =
            should_send(SendPolicy::Changes, &warn, &same, FailOn::Warning, false).unwrap_err();
        assert!(why.contains("nothing is new or resolved"), "{why}");
        assert!(should_send(SendPolicy::Findings, &warn, &same, FailOn::Warning, false).is_ok());
        assert!(should_send(SendPolicy::Findings, &warn, &same, FailOn::Error, false).is_err());
        assert!(should_send(
            SendPolicy::Findings,
            &info_only,
            &same,
            FailOn::Warning,
            false
        )
        .is_err());
        assert!(should_send(
            SendPolicy::Findings,
            &info_only,
            &same,
            FailOn::Never,
            false
        )
        .is_ok());
        assert!(should_send(SendPolicy::Findings, &clean, &same, FailOn::Never, false).is_err());
        // The previous run's email failed: an unchanged run sends what it could not.
        assert!(should_send(SendPolicy::Changes, &warn, &same, FailOn::Warning, true).is_ok());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_millis(100);
        assert_eq!(backoff(b, 1), Duration::from_millis(100));
        assert_eq!(backoff(b, 2), Duration::from_millis(200));
        assert_eq!(backoff(b, 4), Duration::from_millis(800));
        assert_eq!(
            backoff(Duration::from_secs(60), 30),
            Duration::from_secs(900)
        );
    }

    #[test]
    fn message_structure_attachments_and_size_note() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("report.html"),
            "<html>big</html>".repeat(100),
        )
        .unwrap();
        std::fs::write(dir.path().join("findings.csv"), "rule,host\nMTU004,esx1\n").unwrap();
        let f = file(
            "2026-11-25T06:00:00+00:00",
            vec![finding("MTU004", "esx<1>", Some("vmk1"), Severity::Error)],
        );
        let s = settings(&["report.html", "findings.csv", "vmks.csv"], 1000);
        let m = build_message(
            &s,
            &Inventory::new(),
            &f,
            &Changes::default(),
            dir.path(),
            &opts(),
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(
            raw.contains("Subject: [vmkaudit] Prod: 1 error, 0 warnings, first run"),
            "{raw}"
        );
        assert!(raw.contains("To: ops@example.com"), "{raw}");
        assert!(
            raw.contains("Cc: \"Audit Team\" <audit@example.com>"),
            "{raw}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(!raw.contains("archive@example.com"), "Bcc leaked: {raw}");
        let envelope: Vec<String> = m.envelope().to().iter().map(|a| a.to_string()).collect();
        assert_eq!(
            envelope,
            [
                "ops@example.com",
                "audit@example.com",
                "archive@example.com"
            ]
        );
        assert!(raw.contains("Content-Type: multipart/mixed"), "{raw}");
        assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/csv; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("filename=\"findings.csv\""), "{raw}");
        // report.html is 1600 bytes > 1000: left out, with a note; vmks.csv was never written.
        assert!(!raw.contains("filename=\"report.html\""), "{raw}");
        assert!(
            raw.contains("report.html (1.6 KB) is not attached"),
            "{raw}"
        );
        assert!(
            raw.contains("vmks.csv is not attached: this run did not write it."),
            "{raw}"
        );
        // HTML is escaped.
        assert!(raw.contains("esx&lt;1&gt;"), "{raw}");
    }

    #[test]
    fn notes_go_right_after_the_body_tag() {
        let out = insert_html_notes("<html><BODY class=x><p>hi</p></body>", &["a & b".into()]);
        assert!(out.starts_with("<html><BODY class=x><div"), "{out}");
        assert!(out.contains("a &amp; b</p></div><p>hi</p>"), "{out}");
        assert_eq!(insert_html_notes("<p>x</p>", &[]), "<p>x</p>");
        assert!(insert_html_notes("<p>x</p>", &["n".into()]).ends_with("</div><p>x</p>"));
    }

    #[test]
    fn passwords_from_env_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\r\nignored\n").unwrap();
        assert_eq!(read_password(&PasswordSource::File(p)).unwrap(), "s3cret");
        let e =
            read_password(&PasswordSource::Env("VMKAUDIT_TEST_SURELY_UNSET".into())).unwrap_err();
        assert!(e.contains("VMKAUDIT_TEST_SURELY_UNSET"), "{e}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(read_password(&PasswordSource::File(empty)).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn smtp_password_file_others_can_read_gives_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("smtp.pw");
        std::fs::write(&p, "s3cret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let log = crate::secret::tests::logged(|| {
            assert_eq!(
                read_password(&PasswordSource::File(p.clone())).unwrap(),
                "s3cret"
            );
        });
        assert!(
            log.contains("smtp.pw can be read by other users (mode 644)"),
            "{log}"
        );
        assert!(!log.contains("s3cret"), "{log}");
    }
}
