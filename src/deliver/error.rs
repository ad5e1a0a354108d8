//! What can go wrong in delivery: the `[report]` and `[email]` settings, the run history, and
//! building, writing or sending the email.
//!
//! One enum for the layer. The settings errors are raised while the config file is validated
//! and reach the user as located input errors ([`crate::error::Error::Input`], exit 2); an email
//! that cannot be built or sent ends the run with [`crate::error::Error::Email`] (exit 4, the
//! reports are written). Nothing is told apart by its text: callers match the variants, and
//! SMTP failures keep lettre's error (its kind and the server's reply code) as their source.
//! No variant ever holds a password.

use std::path::PathBuf;

/// A delivery failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // ---- `[report]` ----
    /// `language` names no report language.
    #[error(transparent)]
    UnknownLanguage(#[from] crate::i18n::UnknownLanguage),
    /// `lock_wait` is no duration in range.
    #[error("`lock_wait` must be a number of seconds or a duration such as \"5m\" or \"90s\", from 0 to 24 hours")]
    LockWait,

    // ---- `[email]` ----
    /// An address that lettre cannot parse.
    #[error("`{key}`: `{value}` is not a valid email address ({source}); write `name@example.com` or `Name <name@example.com>`")]
    Address {
        key: &'static str,
        value: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("`to` is empty: give at least one recipient")]
    NoRecipient,
    /// `attach` names a file that is not a report.
    #[error("cannot attach `{name}` (expected {expected}){hint}")]
    UnknownAttachment {
        name: String,
        expected: String,
        /// `; did you mean ...?` or nothing.
        hint: String,
    },
    /// `attach` names a report the selected formats do not produce.
    #[error("`{name}` is attached but report.formats does not include `{format}`")]
    AttachmentNotProduced { name: String, format: &'static str },
    #[error("`subject`: {0}")]
    Subject(#[from] super::subject::TemplateError),
    #[error("give either `password_env` or `password_file`, not both")]
    TwoPasswordSources,
    #[error("`password_env` must be the name of an environment variable (not the password)")]
    PasswordEnvNotAName,
    #[error("`username` is set but there is no password source; set `password_env` (an environment variable's name) or `password_file`")]
    NoPasswordSource,
    #[error("a password source is set but no `username`")]
    NoUsername,
    #[error("`retries` = {0} is too many (at most 20)")]
    TooManyRetries(u32),
    #[error("`retry_delay_secs` must be between 0 and 3600")]
    RetryDelay,
    #[error("`timeout_secs` must be between 1 and 3600")]
    Timeout,
    #[error("`smtp_host` `{0}` is not a host name or address (give the port in `smtp_port`)")]
    SmtpHost(String),
    #[error("`smtp_port` cannot be 0")]
    PortZero,
    /// `security = "none"` to a host that is not loopback, without `allow_insecure_smtp`.
    #[error("security = \"none\" would send the report{} unencrypted to `{host}`; it is allowed only to a loopback address (127.0.0.1, ::1, localhost) unless you set `allow_insecure_smtp = true`", if *with_password { " and the password" } else { "" })]
    InsecureSmtp { host: String, with_password: bool },

    // ---- the run history ----
    /// A previous run's `findings.json` that cannot be read.
    #[error("{0}")]
    HistoryRead(#[source] Box<crate::error::Error>),
    #[error("{0}")]
    HistoryJson(#[from] serde_json::Error),
    #[error("schema_version {found} (this build reads {reads})")]
    HistorySchema { found: u32, reads: u32 },

    // ---- building the email ----
    #[error("cannot render the email body: {0}")]
    Body(#[source] Box<crate::error::Error>),
    #[error("cannot read {} to attach it: {source}", path.display())]
    Attachment {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the message: {0}")]
    Message(#[from] lettre::error::Error),
    /// `message.eml` could not be written.
    #[error("{0}")]
    WriteEml(#[source] Box<crate::error::Error>),

    // ---- sending it ----
    #[error("SMTP password: {0}")]
    Password(#[from] crate::secret::SecretError),
    /// `email.ca_file` cannot be read or holds no PEM certificate (with the same hints as
    /// the collector's CA file: a ZIP archive, a DER certificate).
    #[error("email.ca_file: {0}")]
    CaFile(#[from] crate::tls::CaFileError),
    #[error("cannot set up TLS for {host}: {source}")]
    Tls {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// The transport could not be set up (password, CA file, TLS): nothing was sent.
    #[error("{source} (server {server})")]
    Setup {
        server: String,
        #[source]
        source: Box<Error>,
    },
    /// The server did not accept the message.
    #[error("could not send the email via {server} after {}: {source}{}", attempts_text(*attempts), if *untrusted_certificate { "; if the server uses a private CA, give its certificate in email.ca_file" } else { "" })]
    Send {
        server: String,
        attempts: u32,
        /// The server's certificate was not trusted (TLS), so `email.ca_file` may help.
        untrusted_certificate: bool,
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

fn attempts_text(n: u32) -> String {
    if n == 1 {
        "1 attempt".to_string()
    } else {
        format!("{n} attempts")
    }
}
