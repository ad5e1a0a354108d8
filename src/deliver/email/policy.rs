//! The send policy: whether this run's email goes out (`[email] send`).

use crate::choice::Choice;
use crate::deliver::history::Changes;
use crate::findings::{FailOn, FindingsFile};

use super::settings::SendPolicy;

/// Why the policy held this run's email back (said on stderr and kept in `delivery.json`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// `send = "changes"` and nothing changed since `since` (the previous run's time);
    /// `drift`: configuration changes were counted too (`count_drift`).
    #[error("send = \"changes\" and nothing is new or resolved{} since {}", if *drift { " and the configuration did not change" } else { "" }, since.as_deref().unwrap_or("the previous run"))]
    NoChange { since: Option<String>, drift: bool },
    /// `send = "findings"` and nothing at or above `fail_on`.
    #[error("send = \"findings\" and there are no findings at or above the fail level ({})", match fail_on { FailOn::Never => "any", f => f.name() })]
    NoFindings { fail_on: FailOn },
}

/// Whether the `send` policy lets this run send: `Err(why)` when it does not. `count_drift`:
/// with `send = "changes"`, a configuration change since the previous run counts as a change.
///
/// `owed`: an earlier run's email was not delivered (it failed, or the run was killed while
/// sending; see [`crate::deliver::outbox`]). This run then sends whatever the policy, so that a
/// change is not lost because its email was.
pub fn should_send(
    policy: SendPolicy,
    count_drift: bool,
    findings: &FindingsFile,
    changes: &Changes,
    fail_on: FailOn,
    owed: bool,
) -> Result<(), Skip> {
    if owed {
        return Ok(());
    }
    match policy {
        SendPolicy::Always => Ok(()),
        SendPolicy::Changes if changes.is_change() => Ok(()),
        SendPolicy::Changes if count_drift && changes.drift > 0 => Ok(()),
        SendPolicy::Changes => Err(Skip::NoChange {
            since: changes.previous_run.clone(),
            drift: count_drift,
        }),
        SendPolicy::Findings => {
            let any = match fail_on.threshold() {
                Some(level) => findings.count_at_or_above(level) > 0,
                None => findings.findings.iter().any(|f| f.waived.is_none()),
            };
            if any {
                Ok(())
            } else {
                Err(Skip::NoFindings { fail_on })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::testing::{file, finding};
    use crate::findings::Severity;

    #[test]
    fn send_policies() {
        let clean = file("2026-11-25T06:00:00+00:00", Vec::new());
        let mut info_only = clean.clone();
        info_only.findings = vec![finding("COV002", "esx1", None, Severity::Info)];
        let warn = file(
            "2026-11-25T06:00:00+00:00",
            vec![finding("GW004", "esx1", None, Severity::Warning)],
        );
        let first = Changes::default();
        let same = Changes {
            previous_run: Some("2026-11-24T06:00:00+00:00".into()),
            persisting: 1,
            ..Changes::default()
        };
        let resolved = Changes {
            resolved: 1,
            ..same.clone()
        };
        assert!(should_send(
            SendPolicy::Always,
            false,
            &clean,
            &same,
            FailOn::Warning,
            false
        )
        .is_ok());
        assert!(should_send(
            SendPolicy::Changes,
            false,
            &clean,
            &first,
            FailOn::Warning,
            false
        )
        .is_ok());
        assert!(should_send(
            SendPolicy::Changes,
            false,
            &clean,
            &resolved,
            FailOn::Warning,
            false
        )
        .is_ok());
        let why = should_send(
            SendPolicy::Changes,
            false,
            &warn,
            &same,
            FailOn::Warning,
            false,
        )
        .unwrap_err();
        assert_eq!(
            why,
            Skip::NoChange {
                since: Some("2026-11-24T06:00:00+00:00".into()),
                drift: false,
            }
        );
        assert!(
            why.to_string().contains("nothing is new or resolved"),
            "{why}"
        );
        assert!(should_send(
            SendPolicy::Findings,
            false,
            &warn,
            &same,
            FailOn::Warning,
            false
        )
        .is_ok());
        assert!(should_send(
            SendPolicy::Findings,
            false,
            &warn,
            &same,
            FailOn::Error,
            false
        )
        .is_err());
        assert!(should_send(
            SendPolicy::Findings,
            false,
            &info_only,
            &same,
            FailOn::Warning,
            false
        )
        .is_err());
        assert!(should_send(
            SendPolicy::Findings,
            false,
            &info_only,
            &same,
            FailOn::Never,
            false
        )
        .is_ok());
        assert!(should_send(
            SendPolicy::Findings,
            false,
            &clean,
            &same,
            FailOn::Never,
            false
        )
        .is_err());
        // An earlier run's email is owed: an unchanged run sends what it could not, whatever
        // the policy.
        assert!(should_send(
            SendPolicy::Changes,
            false,
            &warn,
            &same,
            FailOn::Warning,
            true
        )
        .is_ok());
        assert!(should_send(
            SendPolicy::Findings,
            false,
            &clean,
            &same,
            FailOn::Never,
            true
        )
        .is_ok());
    }

    /// With `count_drift`, `send = "changes"` sends when only the configuration changed; without
    /// it, such a run stays quiet.
    #[test]
    fn configuration_drift_counts_when_configured() {
        let warn = file(
            "2026-11-25T06:00:00+00:00",
            vec![finding("GW004", "esx1", None, Severity::Warning)],
        );
        let drifted = Changes {
            previous_run: Some("2026-11-24T06:00:00+00:00".into()),
            persisting: 1,
            drift: 2,
            ..Changes::default()
        };
        let quiet = Changes {
            drift: 0,
            ..drifted.clone()
        };
        assert!(should_send(
            SendPolicy::Changes,
            true,
            &warn,
            &drifted,
            FailOn::Warning,
            false
        )
        .is_ok());
        let why = should_send(
            SendPolicy::Changes,
            false,
            &warn,
            &drifted,
            FailOn::Warning,
            false,
        )
        .unwrap_err();
        assert_eq!(
            why,
            Skip::NoChange {
                since: Some("2026-11-24T06:00:00+00:00".into()),
                drift: false
            }
        );
        let why = should_send(
            SendPolicy::Changes,
            true,
            &warn,
            &quiet,
            FailOn::Warning,
            false,
        )
        .unwrap_err();
        assert!(
            why.to_string()
                .contains("nothing is new or resolved and the configuration did not change"),
            "{why}"
        );
        // The other policies do not look at drift.
        let clean = file("2026-11-25T06:00:00+00:00", Vec::new());
        assert!(should_send(
            SendPolicy::Findings,
            true,
            &clean,
            &drifted,
            FailOn::Warning,
            false
        )
        .is_err());
    }
}
