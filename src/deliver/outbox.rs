//! The outbox: report emails that are owed, kept in `<output_dir>/.vmkaudit-outbox.json`.
//!
//! Before a run hands its email to the SMTP server it records an entry here (written
//! atomically), and it clears the outbox only after the server accepted the message. A run that
//! is killed while sending (during the retries, say) or whose email failed thus leaves its entry
//! behind, and the next run sends whatever its `send` policy says plus, whenever something is
//! owed, its own report: it supersedes the owed ones, says which runs' emails it stands for, and
//! clears them once accepted. So a change is never lost to a failed or interrupted delivery; at
//! worst (a kill between the server's acceptance and the clearing) a report is mailed twice.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The file in the output directory.
pub const FILE: &str = ".vmkaudit-outbox.json";

/// One owed email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owed {
    /// The run folder's name.
    pub run: String,
    /// The run's `generated_at`.
    pub generated_at: String,
    /// The subject the email had.
    pub subject: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    owed: Vec<Owed>,
}

/// The emails owed in `output_dir`, oldest first. An outbox that cannot be read counts as one
/// email owed (better one report too many than a change lost).
pub fn load(output_dir: &Path) -> Vec<Owed> {
    let path = output_dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!(
                "cannot read {}: {e}; sending as if an email were owed",
                path.display()
            );
            return vec![unknown()];
        }
    };
    match serde_json::from_str::<Stored>(&text) {
        Ok(s) => s.owed,
        Err(e) => {
            tracing::warn!(
                "cannot read {}: {e}; sending as if an email were owed",
                path.display()
            );
            vec![unknown()]
        }
    }
}

fn unknown() -> Owed {
    Owed {
        run: "?".into(),
        generated_at: String::new(),
        subject: String::new(),
    }
}

/// Record `entry` as owed (besides what is owed already).
pub fn add(output_dir: &Path, entry: Owed) -> Result<()> {
    let mut owed: Vec<Owed> = load(output_dir)
        .into_iter()
        .filter(|o| o.run != "?" && o.run != entry.run)
        .collect();
    owed.push(entry);
    let mut json = serde_json::to_string_pretty(&Stored { owed }).expect("outbox serializes");
    json.push('\n');
    crate::fsutil::write_atomic(&output_dir.join(FILE), json.as_bytes())
}

/// Nothing is owed any more: the server accepted a report that stands for every owed one.
pub fn clear(output_dir: &Path) -> Result<()> {
    let path = output_dir.join(FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(crate::error::Error::io(&path, e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owed(run: &str) -> Owed {
        Owed {
            run: run.into(),
            generated_at: "2026-11-24T06:00:00+01:00".into(),
            subject: format!("[vmkaudit] {run}"),
        }
    }

    #[test]
    fn entries_accumulate_until_cleared() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_empty());
        add(dir.path(), owed("2026-11-24_060000")).unwrap();
        add(dir.path(), owed("2026-11-25_060000")).unwrap();
        // The same run again (a retry of its own entry) is not owed twice.
        add(dir.path(), owed("2026-11-25_060000")).unwrap();
        assert_eq!(
            load(dir.path()),
            [owed("2026-11-24_060000"), owed("2026-11-25_060000")]
        );
        clear(dir.path()).unwrap();
        assert!(load(dir.path()).is_empty());
        clear(dir.path()).unwrap();
    }

    #[test]
    fn an_unreadable_outbox_means_something_is_owed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), "{ torn").unwrap();
        assert_eq!(load(dir.path()).len(), 1);
        add(dir.path(), owed("2026-11-24_060000")).unwrap();
        assert_eq!(load(dir.path()), [owed("2026-11-24_060000")]);
    }
}
