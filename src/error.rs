//! Errors and exit codes.
//!
//! Every failure the user can cause or meet is an [`Error`] with a message that names the file,
//! the line and column where known, and what is wrong. [`Error::exit_code`] maps it onto the
//! documented exit codes (see [`ExitCode`]); `main` prints the message and exits with it.

use std::fmt;
use std::path::{Path, PathBuf};

/// The documented exit codes of `vmkaudit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Nothing at or above the fail level.
    Ok = 0,
    /// Findings at or above the fail level (`--fail-on`).
    Findings = 1,
    /// Usage, configuration or input error.
    Usage = 2,
    /// A source could not be collected (the rest was still reported).
    SourceFailed = 3,
    /// Reports were written but email delivery failed.
    EmailFailed = 4,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// A position in an input file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn file(path: &Path) -> Self {
        Location {
            path: path.to_path_buf(),
            line: None,
            column: None,
        }
    }

    pub fn at(path: &Path, line: usize, column: Option<usize>) -> Self {
        Location {
            path: path.to_path_buf(),
            line: Some(line),
            column,
        }
    }

    /// Location of byte `offset` in `text` (as from a TOML or JSON parser's span).
    pub fn from_offset(path: &Path, text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        Location::at(path, line, Some(col))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line usage that clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// Malformed input file (inventory, CSV, TOML config or rule set).
    #[error("{location}: {message}")]
    Input { location: Location, message: String },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The report email could not be built, written or sent (the reports were written). The
    /// source is the delivery layer's error (`deliver::Error`), kept whole.
    #[error("email delivery failed: {0}")]
    Email(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Another run holds the output directory's lock and did not let go in time.
    #[error(
        "another vmkaudit run ({holder}) is writing to {}; gave up after waiting {waited} (report.lock_wait)",
        dir.display()
    )]
    Locked {
        dir: PathBuf,
        /// `pid N, started at T`, as far as the lock file tells.
        holder: String,
        /// How long this run waited (`report.lock_wait`), e.g. `5m`.
        waited: String,
    },
}

impl Error {
    pub fn input(location: Location, message: impl Into<String>) -> Self {
        Error::Input {
            location,
            message: message.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::Input { .. } | Error::Io { .. } | Error::Locked { .. } => {
                ExitCode::Usage
            }
            Error::Email(_) => ExitCode::EmailFailed,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `; did you mean `x`?` for `word` among `candidates` when one is close enough, else
/// nothing: the hint every "unknown ..." message ends with, written only here.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Append "; did you mean `x`?" to a serde message of the form "unknown field|variant `w`,
/// expected one of `a`, `b`" (or "expected `a`") when one of the expected names is close; and
/// say what serde calls `u32` or a sequence in the user's words ([`plain_words`]).
pub fn with_suggestion(message: String) -> String {
    let message = plain_words(message);
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"));
    let Some((word, tail)) = rest.and_then(|r| r.split_once('`')) else {
        return message;
    };
    let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let hint = did_you_mean(word, expected.iter().copied());
    message + &hint
}

/// Serde's Rust type names in an "expected ..." phrase, in the words of a JSON or TOML file.
pub fn plain_words(message: String) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object or table"),
    ];
    let mut out = message;
    for (rust, plain) in WORDS {
        // Whole words only: "expected u32" but not "expected u320".
        if let Some(i) = out.find(rust) {
            let end = i + rust.len();
            if !out[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                out.replace_range(i..end, plain);
            }
        }
    }
    out
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
        message = with_suggestion(message);
    } else if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            let hint = did_you_mean(field, expected.iter().copied());
            // With a hint, the hint; without one, serde's list of the keys expected.
            let rest = if hint.is_empty() { tail } else { hint.as_str() };
            message = format!("unknown key `{field}`{rest}");
        }
    }
    Error::input(location, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_type_names_become_plain_words() {
        assert_eq!(
            with_suggestion("invalid type: string \"big\", expected u32".into()),
            "invalid type: string \"big\", expected a whole number from 0 to 4294967295"
        );
        assert_eq!(
            with_suggestion("invalid value: integer `-1`, expected usize".into()),
            "invalid value: integer `-1`, expected a whole number of 0 or more"
        );
        assert_eq!(
            plain_words("invalid type: string \"prod\", expected a sequence".into()),
            "invalid type: string \"prod\", expected a list"
        );
        assert_eq!(plain_words("expected u320".into()), "expected u320");
    }

    #[test]
    fn offset_to_line_and_column() {
        let text = "a = 1\nbb = 2\n";
        let loc = Location::from_offset(Path::new("x.toml"), text, 8);
        assert_eq!(loc.to_string(), "x.toml:2:3");
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("output_dri", ["output_dir", "formats"]),
            "; did you mean `output_dir`?"
        );
        assert_eq!(did_you_mean("zzz", ["output_dir"]), "");
    }

    #[test]
    fn suggests_for_serde_messages() {
        assert_eq!(
            with_suggestion("unknown variant `rvtool`, expected one of `inventory`, `rvtools`".into()),
            "unknown variant `rvtool`, expected one of `inventory`, `rvtools`; did you mean `rvtools`?"
        );
        assert_eq!(
            with_suggestion("unknown field `zz`, expected `name`".into()),
            "unknown field `zz`, expected `name`"
        );
        assert_eq!(with_suggestion("trailing comma".into()), "trailing comma");
    }

    /// The hint is written in one place: no other code of the crate spells it out.
    #[test]
    fn the_hint_is_written_only_by_did_you_mean() {
        fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut paths = Vec::new();
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut paths,
        );
        let mut written = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            // The code, without its tests (they check the hint) and comments.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                let t = line.trim_start();
                if !t.starts_with("//") && t.to_lowercase().contains("did you mean `") {
                    written.push(format!("{}:{}: {t}", p.display(), n + 1));
                }
            }
        }
        assert_eq!(written.len(), 1, "{written:#?}");
        assert!(written[0].contains("error.rs"), "{written:#?}");
    }
}
