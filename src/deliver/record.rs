//! `delivery.json`: what became of a run's email, kept in the run folder.
//!
//! It tells an auditor whether and how a run's report went out, and lets the next run see that
//! the previous email failed (with `send = "changes"` the next run then sends even without a
//! change, so a change is never lost to a failed delivery).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::email::EmailOutcome;
use crate::error::Result;

/// The file in the run folder.
pub const FILE: &str = "delivery.json";

/// The stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `sent`, `written`, `skipped` or `failed`.
    pub email: String,
    /// The server (sent), the file (written), the reason (skipped) or the error (failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Record {
    pub fn from_outcome(outcome: &EmailOutcome) -> Option<Record> {
        let (email, detail) = match outcome {
            EmailOutcome::NotConfigured => return None,
            EmailOutcome::Sent { server, .. } => ("sent", server.clone()),
            EmailOutcome::Written(p) => (
                "written",
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            EmailOutcome::Skipped(why) => ("skipped", why.to_string()),
            EmailOutcome::Failed(e) => ("failed", e.clone()),
        };
        Some(Record {
            email: email.into(),
            detail: Some(detail),
        })
    }
}

/// Write the record of `outcome` into `run_dir` (nothing when email is not configured).
pub fn write(run_dir: &Path, outcome: &EmailOutcome) -> Result<()> {
    let Some(record) = Record::from_outcome(outcome) else {
        return Ok(());
    };
    let mut json = serde_json::to_string_pretty(&record).expect("record serializes");
    json.push('\n');
    crate::fsutil::write_atomic(&run_dir.join(FILE), json.as_bytes())
}

/// The run in `run_dir` recorded a failed email.
pub fn email_failed(run_dir: &Path) -> bool {
    std::fs::read_to_string(run_dir.join(FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<Record>(&t).ok())
        .is_some_and(|r| r.email == "failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_only_failures_count() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!email_failed(dir.path()), "no record");
        write(
            dir.path(),
            &EmailOutcome::Failed("connection refused".into()),
        )
        .unwrap();
        assert!(email_failed(dir.path()));
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(text.contains("\"email\": \"failed\""), "{text}");
        write(
            dir.path(),
            &EmailOutcome::Sent {
                server: "mx:587 (starttls)".into(),
                recipients: 2,
            },
        )
        .unwrap();
        assert!(!email_failed(dir.path()));
        let unchanged = crate::deliver::email::Skip::NoChange {
            since: None,
            drift: false,
        };
        write(dir.path(), &EmailOutcome::Skipped(unchanged)).unwrap();
        assert!(!email_failed(dir.path()));
        std::fs::write(dir.path().join(FILE), "garbage").unwrap();
        assert!(!email_failed(dir.path()));
    }
}
