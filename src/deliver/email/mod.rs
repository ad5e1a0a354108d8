//! The report email: whether it goes out ([`policy`]), the message ([`message`]), sending it
//! ([`smtp`]) or writing it as `message.eml`, and the `[email]` settings ([`settings`]).

pub mod message;
pub mod policy;
pub mod settings;
pub mod smtp;

use std::path::{Path, PathBuf};

use lettre::Message;

pub use message::{build_message, subject};
pub use policy::{should_send, Skip};
pub use settings::{EmailConfig, EmailSettings, SendPolicy, SmtpSecurity, SmtpSettings};
pub use smtp::{send, server_label};

/// The file a message is written to instead of being sent.
pub const EML_NAME: &str = "message.eml";

/// What became of a run's email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    /// No `[email]` table.
    NotConfigured,
    /// The `send` policy said no, and why.
    Skipped(Skip),
    /// Written as an `.eml` file (dry run or no `smtp_host`).
    Written(PathBuf),
    /// Accepted by the SMTP server.
    Sent { server: String, recipients: usize },
    /// Could not be built, written or sent (the reports are written): the error's message, as
    /// recorded in `delivery.json`. The error itself is [`super::Delivered::email_error`].
    Failed(String),
}

/// Write `message` as `message.eml` into `run_dir` (atomically).
pub fn write_eml(run_dir: &Path, message: &Message) -> crate::error::Result<PathBuf> {
    let path = run_dir.join(EML_NAME);
    crate::fsutil::write_atomic(&path, &message.formatted())?;
    Ok(path)
}
