//! The `vmkaudit run` configuration file (TOML).
//!
//! Like cargo-deny: plain serde structs that reject unknown keys, then [`Config::validate`], which
//! keeps spans, so every error says file, line, column and, for a misspelt key or value, "did you
//! mean". Relative paths in the file are resolved against the file's own directory.
//!
//! Each table is owned by the layer that uses it, which declares and checks it: `[[vcenter]]`
//! by collect ([`crate::collect::settings`]), `[report]` by deliver
//! ([`crate::deliver::settings`]), `[email]` by deliver ([`crate::deliver::email::settings`]).
//! This module reads the file, holds the two small tables that only name files
//! (`[[inventory]]`, `[rules]`), and puts the checked tables together ([`Validated`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::error::{toml_error, Error, Location, Result};
use crate::inventory::Format as InputFormat;

pub use crate::collect::settings::VcenterConfig;
pub use crate::deliver::email::settings::{
    EmailConfig, EmailSettings, PasswordSource, SendPolicy, SmtpSecurity, SmtpSettings,
};
pub use crate::deliver::settings::{ReportConfig, ReportSettings};
pub use crate::findings::FailOn;
pub use crate::render::OutputFormat;

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
    /// The largest inventory file (JSON, RVTools, PowerCLI) read, in bytes (default 2 GiB,
    /// [`crate::fsutil::DEFAULT_MAX_INPUT_BYTES`]).
    #[serde(default)]
    pub max_input_bytes: Option<Spanned<u64>>,
    /// How many `[[vcenter]]` sources are collected at the same time (default 16,
    /// [`crate::collect::DEFAULT_PARALLEL_SOURCES`]).
    #[serde(default)]
    pub max_parallel_sources: Option<Spanned<u64>>,
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

/// What is wrong with the file as a whole (each table's own errors come from its owner).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no sources: add at least one [[vcenter]] or [[inventory]] table")]
    NoSources,
}

/// The validated, resolved settings of a run.
#[derive(Debug, Clone)]
pub struct Validated {
    pub name: Option<String>,
    pub vcenters: Vec<VcenterConfig>,
    pub inventories: Vec<InventoryConfig>,
    pub rules_file: Option<PathBuf>,
    pub report: ReportSettings,
    pub email: Option<EmailSettings>,
    /// The largest inventory file read, in bytes.
    pub max_input_bytes: u64,
    /// Sources collected at the same time, when the file says.
    pub max_parallel_sources: Option<usize>,
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
        let report = self.report.validate(&at, &resolve)?;
        let vcenters = (self.vcenter.into_iter())
            .map(|vc| vc.validate(&at, &resolve))
            .collect::<Result<Vec<_>>>()?;
        let mut inventories = self.inventory;
        for inv in &mut inventories {
            inv.path = resolve(&inv.path);
        }
        let max_input_bytes = match &self.max_input_bytes {
            None => crate::fsutil::DEFAULT_MAX_INPUT_BYTES,
            Some(m) if *m.get_ref() == 0 => {
                return Err(Error::input(
                    at(m.span()),
                    "`max_input_bytes` must be more than 0",
                ))
            }
            Some(m) => *m.get_ref(),
        };
        let max_parallel_sources = (self.max_parallel_sources.as_ref())
            .map(|n| crate::collect::settings::check_count("max_parallel_sources", n, &at))
            .transpose()?;
        if vcenters.is_empty() && inventories.is_empty() {
            let e = ConfigError::NoSources;
            return Err(Error::input(Location::file(path), e.to_string()));
        }
        let email = match self.email {
            Some(em) => Some(em.validate(&at, &resolve, &report.formats)?),
            None => None,
        };
        Ok(Validated {
            max_input_bytes,
            max_parallel_sources,
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
            report,
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
        assert_eq!(v.report.output_dir, Path::new("/base/vmkaudit-report"));
        assert_eq!(
            v.report.formats,
            [
                OutputFormat::Html,
                OutputFormat::Csv,
                OutputFormat::Json,
                OutputFormat::Remediation
            ]
        );
    }

    #[test]
    fn max_input_bytes_defaults_to_2_gib_and_must_be_positive() {
        let v = load_str("[[inventory]]\npath = \"a.json\"\n").unwrap();
        assert_eq!(v.max_input_bytes, 2 << 30);
        let v = load_str("max_input_bytes = 1000\n[[inventory]]\npath = \"a.json\"\n").unwrap();
        assert_eq!(v.max_input_bytes, 1000);
        let err = load_str("max_input_bytes = 0\n[[inventory]]\npath = \"a.json\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "cfg.toml:1:19: `max_input_bytes` must be more than 0");
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
        assert_eq!(smtp.retry.retries, 3);
        assert_eq!(em.send, SendPolicy::Always);
        assert_eq!(em.attach, ["report.html", "findings.csv"]);
        assert_eq!(
            em.max_attachment_bytes,
            crate::deliver::email::settings::DEFAULT_MAX_ATTACHMENT_BYTES
        );
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
    fn streams_and_parallel_sources_are_read_and_checked() {
        let vc = "[[vcenter]]\nurl = \"https://vc\"\nuser = \"u\"\npassword_env = \"P\"\n";
        let v = load_str(&format!("max_parallel_sources = 3\n{vc}streams = 2\n")).unwrap();
        assert_eq!(v.max_parallel_sources, Some(3));
        assert_eq!(
            v.vcenters[0].streams.as_ref().map(|n| *n.get_ref()),
            Some(2)
        );
        let v = load_str(vc).unwrap();
        assert_eq!(v.max_parallel_sources, None);
        assert!(v.vcenters[0].streams.is_none());
        let err = load_str(&format!("{vc}streams = 0\n"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cfg.toml:5:11:"), "{err}");
        assert!(
            err.contains("`streams` = 0 is out of range (1 to 64)"),
            "{err}"
        );
        let err = load_str(&format!("max_parallel_sources = 65\n{vc}"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cfg.toml:1:24:"), "{err}");
        assert!(
            err.contains("`max_parallel_sources` = 65 is out of range"),
            "{err}"
        );
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
    fn lock_wait_takes_seconds_or_a_humane_duration() {
        let wait = |v: &str| {
            load_str(&format!(
                "[[inventory]]\npath = \"a.json\"\n[report]\nlock_wait = {v}\n"
            ))
            .map(|c| c.report.lock_wait)
        };
        let secs = std::time::Duration::from_secs;
        assert_eq!(
            load_str("[[inventory]]\npath = \"a.json\"\n")
                .unwrap()
                .report
                .lock_wait,
            secs(300)
        );
        assert_eq!(wait("0").unwrap(), secs(0));
        assert_eq!(wait("90").unwrap(), secs(90));
        assert_eq!(wait("2.5").unwrap(), std::time::Duration::from_millis(2500));
        assert_eq!(wait("\"5m\"").unwrap(), secs(300));
        assert_eq!(wait("\"1h 30m\"").unwrap(), secs(5400));
        assert_eq!(wait("\"45\"").unwrap(), secs(45));
        for bad in ["-1", "\"soon\"", "\"3 days\"", "1e300"] {
            let err = wait(bad).unwrap_err().to_string();
            assert!(err.starts_with("cfg.toml:4:13:"), "{bad}: {err}");
            assert!(err.contains("`lock_wait` must be"), "{bad}: {err}");
        }
        let err = wait("true").unwrap_err().to_string();
        assert!(
            err.starts_with("cfg.toml:4:13:")
                && err.contains("expected a number of seconds or a duration"),
            "{err}"
        );
    }

    #[test]
    fn choices_are_read_into_enums_at_their_line_and_column() {
        let e = load_str("[[inventory]]\npath = \"a\"\n[report]\nfail_on = \"warnings\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "cfg.toml:4:11: unknown fail_on level `warnings` (expected error, warning, info or never); did you mean `warning`?"
        );
        let v = load_str(
            "[[inventory]]\npath = \"a\"\n[report]\nformats = [\" HTML\", \"json\", \"html\"]\nfail_on = \"never\"\n",
        )
        .unwrap();
        assert_eq!(v.report.formats, [OutputFormat::Html, OutputFormat::Json]);
        assert_eq!(v.report.fail_on, Some(FailOn::Never));
        let e = email_err("smtp_host = \"mx\"\nsecurity = 1\n");
        assert!(e.starts_with("cfg.toml:7:12:"), "{e}");
        assert!(e.contains("expected one of starttls, tls or none"), "{e}");
    }

    #[test]
    fn max_response_bytes_is_read_and_checked() {
        let vc = "[[vcenter]]\nurl = \"https://vc\"\nuser = \"u\"\npassword_env = \"P\"\n";
        let v = load_str(&format!("{vc}max_response_bytes = 1048576\n")).unwrap();
        assert_eq!(
            v.vcenters[0]
                .max_response_bytes
                .as_ref()
                .map(|m| *m.get_ref()),
            Some(1048576)
        );
        let err = load_str(&format!("{vc}max_response_bytes = 100\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cfg.toml:5:22:") && err.contains("at least 65536"),
            "{err}"
        );
    }

    #[test]
    fn no_sources_is_an_error() {
        assert!(load_str("[report]\nkeep = 3\n").is_err());
    }
}
