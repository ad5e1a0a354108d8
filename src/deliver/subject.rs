//! The email subject: a template whose `{placeholders}` are filled from the run's counts.
//!
//! `[email] subject` is checked when the config is loaded ([`Template::parse`]: an unknown
//! placeholder is an error with a did-you-mean); [`Values`] holds what a run fills in. Without a
//! template the built-in subject ([`default_subject`]) reads like
//! `[vmkaudit] Prod: 2 errors, 5 warnings, 3 new, 2 resolved since 2026-11-24 06:00`.

use std::fmt;

use crate::deliver::history::Changes;
use crate::error::did_you_mean;
use crate::findings::{FindingsFile, Severity};
use crate::i18n::{Arg, Lang, ToArg};
use crate::msg;

/// The placeholders a subject template may use.
pub const PLACEHOLDERS: [&str; 16] = [
    "name",
    "errors",
    "warnings",
    "infos",
    "findings",
    "waived",
    "new",
    "persisting",
    "resolved",
    "hosts",
    "hosts_with_findings",
    "vmks",
    "since",
    "changes",
    "drift",
    "date",
];

/// A parsed subject template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(&'static str),
}

/// Why a template is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

impl Template {
    /// Parse `{name}` placeholders; `{{` and `}}` stand for literal braces.
    pub fn parse(s: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let rest = &s[i + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err(TemplateError(format!(
                            "unclosed `{{` at character {} (write `{{{{` for a literal brace)",
                            s[..i].chars().count() + 1
                        )));
                    };
                    let name = rest[..end].trim();
                    let Some(var) = PLACEHOLDERS.iter().find(|p| **p == name) else {
                        let hint = did_you_mean(name, PLACEHOLDERS);
                        return Err(TemplateError(format!(
                            "unknown placeholder `{{{name}}}` (known: {}){hint}",
                            PLACEHOLDERS.join(", ")
                        )));
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Var(var));
                    // Skip the placeholder's characters.
                    while chars.peek().is_some_and(|(j, _)| *j <= i + 1 + end) {
                        chars.next();
                    }
                }
                '}' => {
                    return Err(TemplateError(format!(
                        "unmatched `}}` at character {} (write `}}}}` for a literal brace)",
                        s[..i].chars().count() + 1
                    )))
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template { pieces })
    }

    /// Fill in the placeholders.
    pub fn render(&self, values: &Values) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => out.push_str(&values.get(v)),
            }
        }
        one_line(&out)
    }
}

/// What a run fills into the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    pub name: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub waived: usize,
    pub hosts: usize,
    pub hosts_with_findings: usize,
    pub vmks: usize,
    pub changes: Changes,
    /// The run's time, `YYYY-MM-DD HH:MM` (local).
    pub date: String,
    pub lang: Lang,
}

impl Values {
    pub fn new(
        findings: &FindingsFile,
        changes: &Changes,
        name: Option<&str>,
        lang: Lang,
    ) -> Values {
        let s = &findings.summary;
        Values {
            name: name.map(str::to_string),
            errors: s.by_severity[Severity::Error],
            warnings: s.by_severity[Severity::Warning],
            infos: s.by_severity[Severity::Info],
            waived: s.waived,
            hosts: s.hosts_checked,
            hosts_with_findings: s.hosts_with_findings,
            vmks: s.vmks_checked,
            changes: changes.clone(),
            date: short_time(&findings.generated_at),
            lang,
        }
    }

    fn since(&self) -> String {
        match &self.changes.previous_run {
            Some(p) => short_time(p),
            None => msg!("subject.since_first_run", "(first run)").render(self.lang),
        }
    }

    /// "3 new, 2 resolved since 2026-11-24 06:00", or "first run".
    pub fn changes_phrase(&self) -> String {
        let c = &self.changes;
        match &c.previous_run {
            None => msg!("subject.first_run", "first run").render(self.lang),
            Some(_) => msg!(
                "subject.changes",
                "{new} new, {resolved} resolved since {since}",
                new = c.new,
                resolved = c.resolved,
                since = self.since()
            )
            .render(self.lang),
        }
    }

    fn get(&self, var: &str) -> String {
        match var {
            "name" => self.name.clone().unwrap_or_else(|| "vmkaudit".into()),
            "errors" => self.errors.to_string(),
            "warnings" => self.warnings.to_string(),
            "infos" => self.infos.to_string(),
            "findings" => (self.errors + self.warnings + self.infos).to_string(),
            "waived" => self.waived.to_string(),
            "new" => self.changes.new.to_string(),
            "persisting" => self.changes.persisting.to_string(),
            "resolved" => self.changes.resolved.to_string(),
            "hosts" => self.hosts.to_string(),
            "hosts_with_findings" => self.hosts_with_findings.to_string(),
            "vmks" => self.vmks.to_string(),
            "since" => self.since(),
            "changes" => self.changes_phrase(),
            "drift" => self.changes.drift.to_string(),
            "date" => self.date.clone(),
            _ => String::new(),
        }
    }
}

/// The built-in subject.
pub fn default_subject(v: &Values) -> String {
    let name = match v.name.as_deref() {
        Some(name) => msg!("subject.name", " {name}:", name).to_arg(),
        None => Arg::Text(String::new()),
    };
    let n = v.errors;
    let errors = if n == 1 {
        msg!("subject.errors.one", "{n} error", n)
    } else {
        msg!("subject.errors.other", "{n} errors", n)
    };
    let n = v.warnings;
    let warnings = if n == 1 {
        msg!("subject.warnings.one", "{n} warning", n)
    } else {
        msg!("subject.warnings.other", "{n} warnings", n)
    };
    let s = msg!(
        "subject.default",
        "[vmkaudit]{name} {errors}, {warnings}, {changes}",
        name,
        errors,
        warnings,
        changes = v.changes_phrase()
    )
    .render(v.lang);
    one_line(&s)
}

/// `2026-11-24T06:00:00+01:00` → `2026-11-24 06:00` in local time; other text unchanged.
pub fn short_time(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Control characters (a newline in the estate name) must not reach a header.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(previous: Option<&str>, new: usize, resolved: usize) -> Values {
        Values {
            name: Some("Prod".into()),
            errors: 2,
            warnings: 5,
            infos: 1,
            waived: 0,
            hosts: 12,
            hosts_with_findings: 4,
            vmks: 40,
            changes: Changes {
                previous_run: previous.map(str::to_string),
                new,
                persisting: 4,
                resolved,
                unverified: 0,
                drift: 0,
            },
            date: "2026-11-25 06:00".into(),
            lang: Lang::En,
        }
    }

    fn local_rfc3339(s: &str) -> String {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        naive
            .and_local_timezone(chrono::Local)
            .unwrap()
            .to_rfc3339()
    }

    #[test]
    fn default_subject_with_history() {
        let prev = local_rfc3339("2026-11-24 06:00");
        let v = values(Some(&prev), 3, 2);
        assert_eq!(
            default_subject(&v),
            "[vmkaudit] Prod: 2 errors, 5 warnings, 3 new, 2 resolved since 2026-11-24 06:00"
        );
    }

    #[test]
    fn default_subject_first_run_and_singular() {
        let mut v = values(None, 0, 0);
        v.errors = 1;
        v.warnings = 1;
        v.name = None;
        assert_eq!(
            default_subject(&v),
            "[vmkaudit] 1 error, 1 warning, first run"
        );
        v.lang = Lang::ZhCn;
        v.name = Some("生产".into());
        assert_eq!(
            default_subject(&v),
            "[vmkaudit] 生产：1 个错误，1 个警告，首次运行"
        );
    }

    #[test]
    fn template_fills_every_placeholder() {
        let prev = local_rfc3339("2026-11-24 06:00");
        let v = values(Some(&prev), 3, 2);
        let t = Template::parse(
            "{name}|{errors}|{warnings}|{infos}|{findings}|{waived}|{new}|{persisting}|{resolved}|{hosts}|{hosts_with_findings}|{vmks}|{since}|{date}|{{x}}",
        )
        .unwrap();
        assert_eq!(
            t.render(&v),
            "Prod|2|5|1|8|0|3|4|2|12|4|40|2026-11-24 06:00|2026-11-25 06:00|{x}"
        );
        let t = Template::parse("[vmkaudit] { name }: {changes}").unwrap();
        assert_eq!(
            t.render(&v),
            "[vmkaudit] Prod: 3 new, 2 resolved since 2026-11-24 06:00"
        );
    }

    /// `{drift}`: the configuration changes since the previous run.
    #[test]
    fn drift_placeholder_counts_configuration_changes() {
        let mut v = values(Some(&local_rfc3339("2026-11-24 06:00")), 0, 0);
        v.changes.drift = 5;
        let t = Template::parse("{name}: {drift} configuration changes").unwrap();
        assert_eq!(t.render(&v), "Prod: 5 configuration changes");
    }

    #[test]
    fn bad_templates_are_explained() {
        let e = Template::parse("{errrors} errors").unwrap_err().to_string();
        assert!(e.contains("unknown placeholder `{errrors}`"), "{e}");
        assert!(e.contains("did you mean `errors`?"), "{e}");
        let e = Template::parse("oops {errors").unwrap_err().to_string();
        assert!(e.contains("unclosed `{` at character 6"), "{e}");
        let e = Template::parse("a } b").unwrap_err().to_string();
        assert!(e.contains("unmatched `}`"), "{e}");
    }

    #[test]
    fn newlines_never_reach_the_header() {
        let mut v = values(None, 0, 0);
        v.name = Some("Prod\r\nBcc: evil@example.com".into());
        let s = Template::parse("{name} report").unwrap().render(&v);
        assert_eq!(s, "Prod Bcc: evil@example.com report");
    }
}
