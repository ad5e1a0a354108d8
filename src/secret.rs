//! Secrets: every password vmkaudit reads (the vCenter `password_env` / `password_file`,
//! `collect --password-env` / `--password-file`, the SMTP `email.password_env` /
//! `email.password_file`) is read by [`read_secret`], so that all of them are trimmed, checked
//! and warned about in the same way.
//!
//! * The secret is the **first line** of the variable's value or of the file, without its
//!   trailing whitespace (the line end `\n` or `\r\n`, spaces, tabs). Leading whitespace is kept.
//!   A password cannot end with a space or contain a line break.
//! * A file is UTF-8 (a leading byte-order mark is dropped) or UTF-16 with a byte-order mark.
//!   Only its first [`MAX_FIRST_LINE`] bytes are read: a file (or pipe) without a line break
//!   in them is refused, so `--password-file /dev/zero` cannot eat the memory. A pipe works
//!   (`--password-file <(pass show vc01)`).
//! * An empty secret is refused; so is an environment variable's *name* that cannot be one
//!   (people do type the password itself there; it is never echoed).
//! * A regular file that its group or other users can access (mode `& 0o077`) gives a warning
//!   naming the file and its mode: make it `chmod 600`, readable by the job's user only.
//! * Errors name the variable or the file, never the content.

use std::io::Read;
use std::path::{Path, PathBuf};

/// How much of a password file (or pipe) is read: the first line must end within it.
pub const MAX_FIRST_LINE: usize = 64 * 1024;

/// Where a secret comes from.
#[derive(Debug, Clone, Copy)]
pub enum SecretSource<'a> {
    /// The environment variable `var`, named by the setting `setting` (for messages:
    /// `--password-env`, `password_env`, `email.password_env`).
    Env { var: &'a str, setting: &'a str },
    /// The first line of this file.
    File(&'a Path),
}

/// Why a secret could not be read. No variant holds any part of the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The "variable name" is not one (probably the password itself, so it is not echoed).
    #[error(
        "{setting} takes the name of an environment variable (letters, digits and _, not \
         starting with a digit) that holds the password, not the password itself"
    )]
    NotAVariableName { setting: String },
    #[error("the password variable {var} ({setting}) is not set")]
    EnvNotSet { var: String, setting: String },
    #[error("the password variable {var} ({setting}) does not hold valid UTF-8 text")]
    EnvNotUnicode { var: String, setting: String },
    #[error("cannot read the password file: {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the password file {} is not text (expected UTF-8, or UTF-16 with a byte-order mark)",
        path.display()
    )]
    NotText { path: PathBuf },
    #[error(
        "the password file {} has no line end in its first {} KiB; the password is the file's \
         first line",
        path.display(),
        MAX_FIRST_LINE / 1024
    )]
    TooLong { path: PathBuf },
    /// `origin` says where it came from ("the first line of the password file F", "the
    /// environment variable `V`").
    #[error("the password is empty ({origin})")]
    Empty { origin: String },
}

/// Whether `name` can be the name of an environment variable (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The secret in `text`: its first line without trailing whitespace.
pub fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("").trim_end()
}

/// Read a secret from `source` (see the module documentation for the rules).
pub fn read_secret(source: SecretSource<'_>) -> Result<String, SecretError> {
    let (secret, origin) = match source {
        SecretSource::Env { var, setting } => {
            if !is_env_name(var) {
                return Err(SecretError::NotAVariableName {
                    setting: setting.into(),
                });
            }
            let value = std::env::var(var).map_err(|e| match e {
                std::env::VarError::NotPresent => SecretError::EnvNotSet {
                    var: var.into(),
                    setting: setting.into(),
                },
                std::env::VarError::NotUnicode(_) => SecretError::EnvNotUnicode {
                    var: var.into(),
                    setting: setting.into(),
                },
            })?;
            (
                first_line(&value).to_string(),
                format!("the environment variable `{var}`"),
            )
        }
        SecretSource::File(path) => {
            warn_if_others_can_read(path);
            (
                first_line(&read_head(path)?).to_string(),
                format!("the first line of the password file {}", path.display()),
            )
        }
    };
    if secret.is_empty() {
        return Err(SecretError::Empty { origin });
    }
    Ok(secret)
}

/// The start of `path` as text, up to and including its first line end (at most
/// [`MAX_FIRST_LINE`] bytes).
fn read_head(path: &Path) -> Result<String, SecretError> {
    let unreadable = |source| SecretError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut head = Vec::new();
    file.take(MAX_FIRST_LINE as u64 + 1)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    let not_text = || SecretError::NotText {
        path: path.to_path_buf(),
    };
    let text = match head.as_slice() {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes).ok_or_else(not_text)?,
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes).ok_or_else(not_text)?,
        bytes => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            // Only the first line has to be text; a cut in the middle of a later character
            // (at the read limit) does not matter.
            let line = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => &bytes[..=i],
                None => bytes,
            };
            std::str::from_utf8(line)
                .map_err(|_| not_text())?
                .to_string()
        }
    };
    if head.len() > MAX_FIRST_LINE && !text.contains('\n') {
        return Err(SecretError::TooLong {
            path: path.to_path_buf(),
        });
    }
    Ok(text)
}

/// The first line of UTF-16 `bytes` (units made by `unit`), or `None` if it is not UTF-16.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::new();
    for c in char::decode_utf16(units) {
        let c = c.ok()?;
        out.push(c);
        if c == '\n' {
            break;
        }
    }
    Some(out)
}

/// The warning for a regular file `path` that users other than its owner can access, if it is
/// one.
pub fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).ok()?;
        let mode = meta.permissions().mode() & 0o777;
        (meta.is_file() && mode & 0o077 != 0).then(|| {
            format!(
                "the password file {} can be read by other users (mode {mode:o}); chmod 600 it",
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn warn_if_others_can_read(path: &Path) {
    if let Some(w) = permission_warning(path) {
        tracing::warn!("{w}");
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Run `f` and return what it logged (tracing, warnings and above).
    pub(crate) fn logged(f: impl FnOnce()) -> String {
        #[derive(Clone)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf(Arc::default());
        let writer = buf.clone();
        let sub = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(sub, f);
        let out = buf.0.lock().unwrap().clone();
        String::from_utf8(out).unwrap()
    }

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        p
    }

    fn read_file(p: &Path) -> Result<String, SecretError> {
        read_secret(SecretSource::File(p))
    }

    #[test]
    fn first_line_without_trailing_whitespace_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        for (bytes, want) in [
            (&b"s3cret\n"[..], "s3cret"),
            (b"s3cret \t\r\nsecond line\n", "s3cret"),
            (b"  lead\n", "  lead"),
            (b"no newline", "no newline"),
            (b"\xEF\xBB\xBFbom\r\n", "bom"),
            (b"\xFF\xFEp\0w\0\r\0\n\0x\0", "pw"),
            (b"\xFE\xFF\0p\0w\0\n", "pw"),
            ("密码\n".as_bytes(), "密码"),
        ] {
            let p = file(dir.path(), "pw", bytes);
            assert_eq!(read_file(&p).unwrap(), want, "{bytes:?}");
        }
        let var = "VMKAUDIT_TEST_SECRET_TRIM";
        std::env::set_var(var, "s3cret \r\nsecond");
        let got = read_secret(SecretSource::Env { var, setting: "x" }).unwrap();
        assert_eq!(got, "s3cret");
    }

    #[test]
    fn empty_secrets_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bytes in [&b""[..], b"\n", b"  \r\nsecond\n", b"\xEF\xBB\xBF\n"] {
            let p = file(dir.path(), "empty.pw", bytes);
            let err = read_file(&p).unwrap_err().to_string();
            assert!(err.contains("the password is empty"), "{err}");
            assert!(err.contains("empty.pw"), "{err}");
        }
        let var = "VMKAUDIT_TEST_SECRET_EMPTY";
        std::env::set_var(var, " \n");
        let err = read_secret(SecretSource::Env { var, setting: "x" })
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty") && err.contains(var), "{err}");
    }

    #[test]
    fn errors_name_the_file_or_variable_never_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.pw");
        let err = read_file(&gone).unwrap_err().to_string();
        assert!(
            err.contains("password file: ") && err.contains("gone.pw"),
            "{err}"
        );

        let err = read_file(dir.path()).unwrap_err().to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");

        let bad = file(dir.path(), "bad.pw", b"hunter2\xFF\n");
        let err = read_file(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.pw") && err.contains("not text"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        // A huge first line (or /dev/zero) is refused after MAX_FIRST_LINE bytes.
        let big = file(dir.path(), "big.pw", &vec![b'x'; MAX_FIRST_LINE + 10]);
        let err = read_file(&big).unwrap_err().to_string();
        assert!(
            err.contains("big.pw") && err.contains("no line end"),
            "{err}"
        );
        assert!(!err.contains("xxx"), "{err}");
        // ... but a long file with a short first line is fine.
        let mut long = b"pw\n".to_vec();
        long.extend(vec![b'y'; MAX_FIRST_LINE * 2]);
        let long = file(dir.path(), "long.pw", &long);
        assert_eq!(read_file(&long).unwrap(), "pw");
        #[cfg(unix)]
        {
            let err = read_file(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(err.contains("/dev/zero"), "{err}");
        }

        let unset = "VMKAUDIT_TEST_SECRET_SURELY_UNSET";
        let err = read_secret(SecretSource::Env {
            var: unset,
            setting: "email.password_env",
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            format!("the password variable {unset} (email.password_env) is not set")
        );
        for not_a_name in ["Hunter2!", "9lives", "my pass", "", "A=b"] {
            let err = read_secret(SecretSource::Env {
                var: not_a_name,
                setting: "--password-env",
            })
            .unwrap_err()
            .to_string();
            assert!(err.contains("not the password itself"), "{err}");
            assert!(err.starts_with("--password-env takes"), "{err}");
            assert!(not_a_name.is_empty() || !err.contains(not_a_name), "{err}");
        }
        assert!(is_env_name("_VC01_PW") && !is_env_name("VC-PW"));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_gives_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = file(dir.path(), "vc.pw", b"hunter2\n");
        for (mode, warns) in [(0o600, false), (0o400, false), (0o644, true), (0o640, true)] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            let log = logged(|| assert_eq!(read_file(&p).unwrap(), "hunter2"));
            assert_eq!(
                log.contains("can be read by other users"),
                warns,
                "{mode:o}: {log}"
            );
            if warns {
                assert!(
                    log.contains(&format!("(mode {mode:o}); chmod 600 it")),
                    "{log}"
                );
                assert!(log.contains(&p.display().to_string()), "{log}");
            }
            assert!(!log.contains("hunter2"), "{log}");
        }
        // The warning comes even when the file is then refused (here: empty).
        std::fs::write(&p, "\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let log = logged(|| assert!(read_file(&p).is_err()));
        assert!(log.contains("can be read by other users"), "{log}");
    }
}
