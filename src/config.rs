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
    pub smtp_host: Option<String>,
    #[serde(default)]
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub security: Option<Spanned<String>>,
    /// Allow `security = "none"` to a non-loopback server.
    #[serde(default)]
    pub allow_insecure_smtp: bool,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM file with extra CA certificate(s) for the SMTP server.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    pub from: Spanned<String>,
    pub to: Vec<Spanned<String>>,
    #[serde(default)]
    pub cc: Vec<Spanned<String>>,
    /// Subject template, e.g. `"[vmkaudit] {name}: {errors} errors, {warnings} warnings, {new} new"`.
    #[serde(default)]
    pub subject: Option<String>,
    /// `always` (default), `findings` or `changes`.
    #[serde(default)]
    pub send: Option<Spanned<String>>,
    /// Report files to attach: `report.html`, `findings.csv`, `vmks.csv`, `findings.json`.
    #[serde(default)]
    pub attach: Option<Vec<Spanned<String>>>,
    /// Attachments larger than this many bytes are left out (with a note in the body).
    #[serde(default)]
    pub max_attachment_bytes: Option<u64>,
    /// Write `message.eml` instead of sending.
    #[serde(default)]
    pub dry_run: bool,
    /// SMTP attempts before giving up (default 3).
    #[serde(default)]
    pub retries: Option<u32>,
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
    pub email: Option<EmailConfig>,
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
            let url = vc.url.get_ref();
            if !url.starts_with("https://") {
                return Err(Error::input(
                    at(vc.url.span()),
                    format!(
                        "vCenter URL `{url}` must start with https:// (the vSphere API is only reached over TLS)"
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
        let mut email = self.email;
        if let Some(em) = &mut email {
            em.password_file = em.password_file.as_deref().map(resolve);
            em.ca_file = em.ca_file.as_deref().map(resolve);
        }
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
    }

    #[test]
    fn no_sources_is_an_error() {
        assert!(load_str("[report]\nkeep = 3\n").is_err());
    }
}
