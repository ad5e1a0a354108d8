//! Building the report email: subject, the notes of this delivery, the two bodies (rendered by
//! [`crate::render`], the notes passed into its template) and the attachments.
//!
//! The message is `multipart/mixed`: first a `multipart/alternative` with a `text/plain` and an
//! email-safe `text/html` body, then the chosen report files as attachments (`text/html`,
//! `text/csv`, `text/plain` or `application/json`, `charset=utf-8`). A file above
//! `max_attachment_bytes` is left out and the body says so.

use std::path::Path;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::Message;

use super::settings::EmailSettings;
use crate::deliver::history::Changes;
use crate::deliver::subject::{default_subject, Template, Values};
use crate::deliver::Error;
use crate::findings::FindingsFile;
use crate::i18n::Lang;
use crate::model::Inventory;
use crate::msg;
use crate::render::RenderOptions;

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

/// Build the message for the run on `inv` whose reports are in `run_dir`; `extra_notes` go at
/// the top of the body.
pub fn build_message(
    settings: &EmailSettings,
    inv: &Inventory,
    findings: &FindingsFile,
    changes: &Changes,
    run_dir: &Path,
    opts: &RenderOptions,
    extra_notes: &[String],
) -> Result<Message, Error> {
    let lang = opts.lang;
    let mut notes: Vec<String> = extra_notes.to_vec();
    if changes.unverified > 0 {
        let n = changes.unverified;
        notes.push(
            msg!(
                "email.unverified",
                "{n} finding(s) of the previous run could not be checked again (host not connected, or its source could not be collected); they are not counted as resolved.",
                n,
            )
            .render(lang),
        );
    }
    let mut attachments = Vec::new();
    for name in &settings.attach {
        let path = run_dir.join(name);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(_) => {
                notes.push(
                    msg!(
                        "email.not_attached",
                        "{name} is not attached: this run did not write it.",
                        name,
                    )
                    .render(lang),
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
                msg!(
                    "email.too_large",
                    "{name} ({size}) is not attached: it is larger than the {max} limit (email.max_attachment_bytes). It is in {dir}.",
                    name, size, max, dir,
                )
                .render(lang),
            );
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::Attachment {
            path: path.clone(),
            source,
        })?;
        attachments.push(Attachment::new(name.clone()).body(bytes, content_type_for(name)));
    }

    let html = crate::render::email_html_with_notes(inv, findings, opts, &notes)
        .map_err(|e| Error::Body(Box::new(e)))?;
    let text = crate::render::email_text_with_notes(inv, findings, opts, &notes);

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
    Ok(builder.multipart(mixed)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::{file, finding};
    use crate::findings::Severity;

    use super::super::settings::SendPolicy;

    fn settings(attach: &[&str], max: u64) -> EmailSettings {
        EmailSettings {
            smtp: None,
            from: "vmkaudit <vmkaudit@example.com>".parse().unwrap(),
            to: vec!["ops@example.com".parse().unwrap()],
            cc: vec!["Audit Team <audit@example.com>".parse().unwrap()],
            bcc: vec!["archive@example.com".parse().unwrap()],
            subject: None,
            send: SendPolicy::Always,
            count_drift: false,
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
            fail_on: crate::findings::FailOn::default(),
        }
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
            &["An earlier email was owed.".into()],
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
        // Extra notes come first.
        assert!(raw.contains("An earlier email was owed."), "{raw}");
    }
}
