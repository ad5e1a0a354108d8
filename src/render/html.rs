//! HTML rendering with handlebars: `report.html` and the email-safe body.
//!
//! The templates in `templates/` are embedded at build time; a file of the same name in the
//! configured `templates_dir` replaces the built-in one, so a team can brand its report. The
//! registry runs in strict mode (a misspelt variable is a render error, not an empty string) and
//! escapes every value; the templates never use triple-stash or `{{&…}}` on data (a test greps
//! them). Errors in a user's template name the file, line and column.

use std::path::{Path, PathBuf};

use handlebars::{handlebars_helper, Handlebars};
use serde::Serialize;

use crate::error::{did_you_mean, Error, Location, Result};

/// Whether a built-in file is a top-level template or a partial included by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Template,
    Partial,
}

/// A built-in template: registry name, file name, embedded text.
pub struct Builtin {
    pub name: &'static str,
    pub file: &'static str,
    pub text: &'static str,
    pub kind: Kind,
}

/// Every built-in template. `templates_dir` may hold files with these names.
pub const BUILTIN: &[Builtin] = &[
    Builtin {
        name: "report",
        file: "report.html.hbs",
        text: include_str!("../../templates/report.html.hbs"),
        kind: Kind::Template,
    },
    Builtin {
        name: "style",
        file: "style.css.hbs",
        text: include_str!("../../templates/style.css.hbs"),
        kind: Kind::Partial,
    },
    Builtin {
        name: "script",
        file: "script.js.hbs",
        text: include_str!("../../templates/script.js.hbs"),
        kind: Kind::Partial,
    },
    Builtin {
        name: "email",
        file: "email.html.hbs",
        text: include_str!("../../templates/email.html.hbs"),
        kind: Kind::Template,
    },
];

/// The loaded templates and where each came from (for error messages).
#[derive(Debug)]
pub struct Templates {
    hb: Handlebars<'static>,
    origin: Vec<(&'static str, PathBuf)>,
}

impl Templates {
    /// The built-in templates, each replaced by a same-named file in `dir` when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Templates> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.set_prevent_indent(true);
        // Every value is HTML-escaped, control characters from a source made visible first.
        hb.register_escape_fn(|s| handlebars::html_escape(&super::controls::visible(s)));
        // `{{num count}}`: a count with thousands separators.
        hb.register_helper("num", Box::new(num));
        let mut origin = Vec::new();
        if let Some(dir) = dir {
            check_dir(dir)?;
        }
        for b in BUILTIN {
            let custom = dir.map(|d| d.join(b.file)).filter(|p| p.is_file());
            let (text, path) = match custom {
                Some(p) => (crate::fsutil::read_text(&p)?, p),
                None => (
                    b.text.to_string(),
                    PathBuf::from(format!("templates/{} (built-in)", b.file)),
                ),
            };
            let res = match b.kind {
                Kind::Template => hb.register_template_string(b.name, &text),
                Kind::Partial => hb.register_partial(b.name, &text),
            };
            res.map_err(|e| {
                let loc = match e.pos() {
                    Some((line, col)) => Location::at(&path, line, Some(col)),
                    None => Location::file(&path),
                };
                Error::input(loc, format!("template error: {}", e.reason()))
            })?;
            origin.push((b.name, path));
        }
        Ok(Templates { hb, origin })
    }

    /// Render template `name` with `data`.
    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> Result<String> {
        self.hb
            .render(name, data)
            .map_err(|e| self.render_error(name, e, None))
    }

    /// [`Templates::render`] into `out` as it is rendered (a report of 40,000 hosts is
    /// megabytes); an I/O error is one of `path`, the file `out` writes.
    pub fn render_to<T: Serialize>(
        &self,
        name: &str,
        data: &T,
        out: &mut dyn std::io::Write,
        path: &Path,
    ) -> Result<()> {
        self.hb
            .render_to_write(name, data, out)
            .map_err(|e| self.render_error(name, e, Some(path)))
    }

    fn render_error(&self, name: &str, e: handlebars::RenderError, out: Option<&Path>) -> Error {
        if let (handlebars::RenderErrorReason::IOError(io), Some(out)) = (e.reason(), out) {
            return Error::io(out, std::io::Error::new(io.kind(), io.to_string()));
        }
        let tpl = e.template_name.clone().unwrap_or_else(|| name.to_string());
        let path = self
            .origin
            .iter()
            .find(|(n, _)| *n == tpl)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| PathBuf::from(&tpl));
        let loc = match e.line_no {
            Some(line) => Location::at(&path, line, e.column_no),
            None => Location::file(&path),
        };
        Error::input(loc, format!("template error: {}", e.reason()))
    }
}

/// `12345` → `12,345` (the grouping both report languages use).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

handlebars_helper!(num: |n: u64| grouped(n));

/// A templates directory must exist, and every `.hbs` file in it must be one we know (a
/// misspelt name would otherwise be ignored silently).
fn check_dir(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".hbs"))
        .collect();
    names.sort();
    for n in names {
        if !BUILTIN.iter().any(|b| b.file == n) {
            let known: Vec<&str> = BUILTIN.iter().map(|b| b.file).collect();
            let hint = did_you_mean(&n, known.iter().copied());
            return Err(Error::input(
                Location::file(&dir.join(&n)),
                format!(
                    "unknown template `{n}` (templates that can be replaced: {}){hint}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_never_print_data_unescaped() {
        for b in BUILTIN {
            for bad in ["{{{", "{{&", "{{~&", "{{~{"] {
                assert!(
                    !b.text.contains(bad),
                    "{} contains `{bad}`: every value must be escaped",
                    b.file
                );
            }
        }
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(40000), "40,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }

    #[test]
    fn builtin_templates_compile() {
        Templates::load(None).unwrap();
    }

    #[test]
    fn override_replaces_and_unknown_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("email.html.hbs"), "custom {{title}}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let out = t
            .render("email", &serde_json::json!({"title": "<x>"}))
            .unwrap();
        assert_eq!(out, "custom &lt;x&gt;");

        std::fs::write(dir.path().join("reprot.html.hbs"), "x").unwrap();
        let err = Templates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("did you mean `report.html.hbs`?"), "{err}");
    }

    #[test]
    fn strict_mode_names_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("email.html.hbs"), "a\n  {{titel}}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let err = t
            .render("email", &serde_json::json!({"title": "x"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("email.html.hbs:2:3"), "{err}");
        assert!(err.contains("titel"), "{err}");
    }

    #[test]
    fn template_syntax_error_is_located() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("report.html.hbs"),
            "ok\n{{#if x}}never closed",
        )
        .unwrap();
        let err = Templates::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("report.html.hbs:"), "{err}");
    }
}
