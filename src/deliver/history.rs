//! Run history: compare this run's findings with the previous run's `findings.json`.
//!
//! A finding's identity across runs is rule + host + object ([`Finding::identity`]). Every
//! finding of a run that has a predecessor is marked `new` or `persisting`; the previous run's
//! findings whose identity is gone are listed in `resolved`, and `previous_run` records the
//! previous `generated_at`. The previous run is the newest earlier complete run folder with a
//! readable `findings.json` (see [`load_previous`]). The counts in [`Changes`] leave waived findings out,
//! like the summary does.
//!
//! A finding only counts as resolved when this run could look again ([`Scope`]): its host was
//! checked, or it is gone from an estate whose every source was collected. A finding on a host
//! that is now not connected, or that may belong to a source that failed this time, is not
//! resolved but *unverified* (counted in [`Changes::unverified`], not listed), so that an
//! outage never reads as a fix.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::findings::{
    sort_findings, Finding, FindingsFile, Status, Subject, SubjectId, SCHEMA_VERSION,
};
use crate::model::Inventory;

/// What changed since the previous run (unwaived findings only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// `generated_at` of the previous run; `None` on a first run.
    pub previous_run: Option<String>,
    pub new: usize,
    pub persisting: usize,
    pub resolved: usize,
    /// Findings of the previous run that this run could not look at again (host not connected,
    /// or possibly behind a failed source): neither persisting nor resolved.
    pub unverified: usize,
}

/// What a run could look at, to tell a fixed finding from one it could not see.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Hosts checked (in the inventory and connected).
    checked: BTreeSet<String>,
    /// Hosts in the inventory that are not connected (nothing was checked on them).
    unreachable: BTreeSet<String>,
    /// Sources collected (a source-failure finding about one of them is resolved).
    sources: BTreeSet<String>,
    /// Every source was collected, so a host missing from the inventory is really gone.
    complete: bool,
}

impl Scope {
    pub fn of(inv: &Inventory) -> Scope {
        let mut scope = Scope {
            complete: inv.sources.iter().all(|s| s.error.is_none()),
            ..Scope::default()
        };
        for src in inv.sources.iter().filter(|s| s.error.is_none()) {
            scope.sources.insert(src.name.clone());
        }
        for h in &inv.hosts {
            if h.is_connected() {
                scope.checked.insert(h.name.clone());
            } else {
                scope.unreachable.insert(h.name.clone());
            }
        }
        // A host listed twice (two sources) counts as checked if either copy was.
        scope.unreachable.retain(|h| !scope.checked.contains(h));
        scope
    }

    /// Everything was looked at (tests, or an estate known to be complete).
    pub fn everything() -> Scope {
        Scope {
            complete: true,
            ..Scope::default()
        }
    }

    /// This run looked at the subject again: a host if it was checked (or, unless it is known
    /// and unreachable, if the run is complete); a source if it was collected or the run is
    /// complete; a waiver always (the rule set's waivers are all read every run); the estate
    /// when the run is complete.
    fn rechecked(&self, subject: &Subject) -> bool {
        let host = match subject {
            Subject::Host { host, .. } => host,
            Subject::Source { source, .. } => {
                return self.complete || self.sources.contains(source)
            }
            Subject::Waiver { .. } => return true,
            Subject::Estate => return self.complete,
        };
        if self.checked.contains(host) {
            true
        } else if self.unreachable.contains(host) {
            false
        } else {
            self.complete
        }
    }
}

impl Changes {
    /// Something is new or resolved, or there is nothing to compare with (a first run).
    pub fn is_change(&self) -> bool {
        self.previous_run.is_none() || self.new > 0 || self.resolved > 0
    }
}

type Identity<'a> = (&'a str, SubjectId<'a>);

/// Mark `current` against `previous` and return the counts.
pub fn apply(
    current: &mut FindingsFile,
    previous: Option<&FindingsFile>,
    scope: &Scope,
) -> Changes {
    current.resolved.clear();
    let Some(previous) = previous else {
        current.previous_run = None;
        for f in &mut current.findings {
            f.status = None;
        }
        return Changes::default();
    };
    let before: BTreeSet<Identity> = previous.findings.iter().map(Finding::identity).collect();
    let mut changes = Changes {
        previous_run: Some(previous.generated_at.clone()),
        ..Changes::default()
    };
    for f in &mut current.findings {
        let status = if before.contains(&f.identity()) {
            Status::Persisting
        } else {
            Status::New
        };
        f.status = Some(status);
        if f.waived.is_none() {
            match status {
                Status::New => changes.new += 1,
                Status::Persisting => changes.persisting += 1,
            }
        }
    }
    let now: BTreeSet<Identity> = current.findings.iter().map(Finding::identity).collect();
    let mut seen: BTreeSet<Identity> = BTreeSet::new();
    let mut resolved = Vec::new();
    for f in &previous.findings {
        let id = f.identity();
        if !now.contains(&id) && seen.insert(id) {
            if !scope.rechecked(&f.subject) {
                if f.waived.is_none() {
                    changes.unverified += 1;
                }
                continue;
            }
            let mut gone = f.clone();
            gone.status = None;
            if gone.waived.is_none() {
                changes.resolved += 1;
            }
            resolved.push(gone);
        }
    }
    sort_findings(&mut resolved);
    current.resolved = resolved;
    current.previous_run = changes.previous_run.clone();
    changes
}

/// The `findings.json` of the newest complete run folder in `output_dir` older than `current`
/// that has a readable one. Unreadable or foreign files are skipped with a warning.
pub fn load_previous(output_dir: &Path, current: &Path) -> Option<(PathBuf, FindingsFile)> {
    let current_name = current.file_name()?.to_str()?;
    let current_key = super::rundir::RunName::parse(current_name)?;
    let runs = super::rundir::list_complete_runs(output_dir).ok()?;
    for (key, dir) in runs.into_iter().rev() {
        if key >= current_key {
            continue;
        }
        let path = dir.join("findings.json");
        if !path.is_file() {
            continue;
        }
        match read_findings(&path) {
            Ok(f) => return Some((dir, f)),
            Err(e) => tracing::warn!("ignoring {} for the run history: {e}", path.display()),
        }
    }
    None
}

fn read_findings(path: &Path) -> Result<FindingsFile, super::Error> {
    use super::Error;
    let text = crate::fsutil::read_text(path).map_err(|e| Error::HistoryRead(Box::new(e)))?;
    let f: FindingsFile = serde_json::from_str(&text)?;
    if f.schema_version != SCHEMA_VERSION {
        return Err(Error::HistorySchema {
            found: f.schema_version,
            reads: SCHEMA_VERSION,
        });
    }
    Ok(f)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::findings::testing::{file, finding};
    use crate::findings::{Severity, SubjectKind, Waived};

    fn status_of(f: &FindingsFile, rule: &str, host: &str) -> Option<Status> {
        f.findings
            .iter()
            .find(|x| x.rule == rule && x.subject.name() == host)
            .and_then(|x| x.status)
    }

    #[test]
    fn first_run_has_no_statuses_and_counts_as_change() {
        let mut cur = file(
            "2026-11-24T06:00:00+00:00",
            vec![finding("MTU004", "esx1", Some("vmk1"), Severity::Error)],
        );
        let c = apply(&mut cur, None, &Scope::everything());
        assert_eq!(c, Changes::default());
        assert!(c.is_change());
        assert_eq!(cur.findings[0].status, None);
        assert!(cur.previous_run.is_none());
        let json = serde_json::to_string(&cur).unwrap();
        assert!(!json.contains("\"status\""), "{json}");
        assert!(!json.contains("\"resolved\""), "{json}");
    }

    #[test]
    fn new_persisting_and_resolved_by_identity() {
        let prev = file(
            "2026-11-24T06:00:00+00:00",
            vec![
                finding("MTU004", "esx1", Some("vmk1"), Severity::Error),
                finding("ADDR001", "esx2", Some("vmk0"), Severity::Error),
                finding("ADDR001", "esx3", Some("vmk0"), Severity::Error),
                finding("GW004", "esx3", None, Severity::Warning),
            ],
        );
        let mut persisting_but_reworded = finding("ADDR001", "esx2", Some("vmk0"), Severity::Error);
        persisting_but_reworded.message = "different text, same identity".into();
        let mut cur = file(
            "2026-11-25T06:00:00+00:00",
            vec![
                persisting_but_reworded,
                finding("ADDR001", "esx3", Some("vmk0"), Severity::Error),
                // Same rule and host, other object: a different finding.
                finding("MTU004", "esx1", Some("vmk2"), Severity::Error),
                // Same rule, host became a host-level object.
                finding(
                    "GW004",
                    "esx3",
                    Some("defaultTcpipStack"),
                    Severity::Warning,
                ),
            ],
        );
        let c = apply(&mut cur, Some(&prev), &Scope::everything());
        assert_eq!(
            c,
            Changes {
                previous_run: Some("2026-11-24T06:00:00+00:00".into()),
                new: 2,
                persisting: 2,
                resolved: 2,
                unverified: 0,
            }
        );
        assert!(c.is_change());
        assert_eq!(status_of(&cur, "ADDR001", "esx2"), Some(Status::Persisting));
        assert_eq!(status_of(&cur, "ADDR001", "esx3"), Some(Status::Persisting));
        assert_eq!(status_of(&cur, "MTU004", "esx1"), Some(Status::New));
        assert_eq!(status_of(&cur, "GW004", "esx3"), Some(Status::New));
        let gone: Vec<_> = cur
            .resolved
            .iter()
            .map(|f| (f.rule.as_str(), f.subject.name(), f.subject.object()))
            .collect();
        // Deterministic order: severity first, then host, rule, object.
        assert_eq!(
            gone,
            vec![("MTU004", "esx1", Some("vmk1")), ("GW004", "esx3", None)]
        );
        assert_eq!(
            cur.previous_run.as_deref(),
            Some("2026-11-24T06:00:00+00:00")
        );
        assert!(cur.resolved.iter().all(|f| f.status.is_none()));

        // Round trip through findings.json keeps the history.
        let json = serde_json::to_string_pretty(&cur).unwrap();
        assert!(json.contains("\"status\": \"new\""), "{json}");
        assert!(json.contains("\"status\": \"persisting\""), "{json}");
        let back: FindingsFile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cur);
    }

    fn on(rule: &str, subject: Subject) -> Finding {
        Finding {
            subject,
            ..finding(rule, "x", None, Severity::Warning)
        }
    }

    /// A subject is identified by its kind too: a source named like a host is not that host;
    /// a waiver is identified by its globs, so an earlier file without `waiver_rule` matches.
    #[test]
    fn identity_tells_subject_kinds_apart() {
        let host = on("COV003", Subject::host("esx1", Some("c1"), None));
        let source = on(
            "COV003",
            Subject::Source {
                source: "esx1".into(),
                object: None,
            },
        );
        let waiver = |rule: &str| {
            on(
                "COV004",
                Subject::Waiver {
                    rule: rule.into(),
                    host_glob: "esx1".into(),
                    object_glob: None,
                },
            )
        };
        assert_ne!(host.identity(), source.identity());
        assert_ne!(
            waiver("FW004").identity(),
            on("COV004", Subject::host("esx1", None, None)).identity()
        );
        assert_eq!(waiver("FW004").identity(), waiver("").identity());
        assert_ne!(
            on("COV004", Subject::Estate).identity(),
            waiver("").identity()
        );

        let prev = file(
            "2026-11-24T06:00:00+00:00",
            vec![source.clone(), waiver("")],
        );
        let mut cur = file("2026-11-25T06:00:00+00:00", vec![host, waiver("FW004")]);
        let c = apply(&mut cur, Some(&prev), &Scope::everything());
        assert_eq!((c.new, c.persisting, c.resolved), (1, 1, 1));
        assert_eq!(cur.resolved, vec![source]);
        let status = |kind| {
            cur.findings
                .iter()
                .find(|f| f.subject.kind() == kind)
                .and_then(|f| f.status)
        };
        assert_eq!(status(SubjectKind::Host), Some(Status::New));
        assert_eq!(status(SubjectKind::Waiver), Some(Status::Persisting));
    }

    /// A source-failure finding is resolved when this run collected the source, though another
    /// source failed; a host of the same name that was not checked stays unverified.
    #[test]
    fn a_collected_source_resolves_its_failure_in_an_incomplete_run() {
        let mut inv = Inventory::new();
        for (name, error) in [("https://vc1/sdk", None), ("https://vc2/sdk", Some("down"))] {
            inv.sources.push(crate::model::Source {
                name: name.into(),
                kind: crate::model::SourceKind::Vcenter,
                insecure: false,
                collected_at: None,
                duration_seconds: None,
                product: None,
                error: error.map(str::to_string),
            });
        }
        let scope = Scope::of(&inv);
        let vc1 = |subject| on("COV003", subject);
        let prev = file(
            "2026-11-24T06:00:00+00:00",
            vec![
                vc1(Subject::Source {
                    source: "https://vc1/sdk".into(),
                    object: None,
                }),
                vc1(Subject::host("https://vc1/sdk", None, None)),
            ],
        );
        let mut cur = file("2026-11-25T06:00:00+00:00", vec![]);
        let c = apply(&mut cur, Some(&prev), &scope);
        assert_eq!((c.resolved, c.unverified), (1, 1));
        assert_eq!(cur.resolved[0].subject.kind(), SubjectKind::Source);
    }

    #[test]
    fn nothing_changed_is_not_a_change() {
        let list = vec![finding("MTU004", "esx1", Some("vmk1"), Severity::Error)];
        let prev = file("2026-11-24T06:00:00+00:00", list.clone());
        let mut cur = file("2026-11-25T06:00:00+00:00", list);
        let c = apply(&mut cur, Some(&prev), &Scope::everything());
        assert!(!c.is_change());
        assert_eq!((c.new, c.persisting, c.resolved), (0, 1, 0));
        assert!(cur.resolved.is_empty());
    }

    #[test]
    fn waived_findings_keep_a_status_but_are_not_counted() {
        let mut waived = finding("FW004", "esx1", Some("sshServer"), Severity::Warning);
        waived.waived = Some(Waived {
            reason: "jump host".into(),
            expires: None,
        });
        let prev = file("2026-11-24T06:00:00+00:00", vec![waived.clone()]);
        let mut cur = file(
            "2026-11-25T06:00:00+00:00",
            vec![{
                let mut w = waived.clone();
                w.subject = Subject::host("esx2", Some("c1"), Some("sshServer"));
                w
            }],
        );
        let c = apply(&mut cur, Some(&prev), &Scope::everything());
        assert_eq!((c.new, c.persisting, c.resolved), (0, 0, 0));
        assert_eq!(cur.findings[0].status, Some(Status::New));
        assert_eq!(cur.resolved.len(), 1);
        assert!(!c.is_change());
    }

    #[test]
    fn a_previous_history_is_not_carried_over() {
        let mut prev = file(
            "2026-11-24T06:00:00+00:00",
            vec![finding("MTU004", "esx1", Some("vmk1"), Severity::Error)],
        );
        prev.resolved = vec![finding("GW001", "esx9", None, Severity::Error)];
        prev.previous_run = Some("2026-11-23T06:00:00+00:00".into());
        let mut cur = file("2026-11-25T06:00:00+00:00", Vec::new());
        let c = apply(&mut cur, Some(&prev), &Scope::everything());
        assert_eq!(c.resolved, 1);
        assert_eq!(cur.resolved.len(), 1);
        assert_eq!(cur.resolved[0].rule, "MTU004");
        assert_eq!(
            cur.previous_run.as_deref(),
            Some("2026-11-24T06:00:00+00:00")
        );
    }

    #[test]
    fn an_outage_is_not_a_fix() {
        use crate::model::{Host, Source, SourceKind};
        let prev = file(
            "2026-11-24T06:00:00+00:00",
            vec![
                finding("MTU004", "esx1", Some("vmk1"), Severity::Error),
                finding("MTU004", "esx2", Some("vmk1"), Severity::Error),
                finding("MTU004", "esx3", Some("vmk1"), Severity::Error),
                on(
                    "COV003",
                    Subject::Source {
                        source: "https://vc-b".into(),
                        object: None,
                    },
                ),
            ],
        );
        // esx1 was checked and is fixed; esx2 is not responding; esx3 is missing while a
        // source failed; the source that failed last time is back.
        let mut inv = Inventory::new();
        inv.hosts.push(Host::named("esx1"));
        let mut down = Host::named("esx2");
        down.connection_state = Some("notResponding".into());
        inv.hosts.push(down);
        inv.sources.push(Source {
            name: "https://vc-a".into(),
            kind: SourceKind::Vcenter,
            insecure: false,
            collected_at: None,
            duration_seconds: None,
            product: None,
            error: Some("connection refused".into()),
        });
        inv.sources.push(Source {
            name: "https://vc-b".into(),
            kind: SourceKind::Vcenter,
            insecure: false,
            collected_at: None,
            duration_seconds: None,
            product: None,
            error: None,
        });
        let mut cur = file("2026-11-25T06:00:00+00:00", Vec::new());
        let c = apply(&mut cur, Some(&prev), &Scope::of(&inv));
        assert_eq!((c.resolved, c.unverified), (2, 2), "{c:?}");
        let gone: Vec<_> = cur.resolved.iter().map(|f| f.subject.name()).collect();
        assert_eq!(gone, ["esx1", "https://vc-b"]);

        // With every source collected, a host missing from the estate is really gone, and so
        // is the old source failure.
        inv.sources[0].error = None;
        let mut cur = file("2026-11-25T06:00:00+00:00", Vec::new());
        let c = apply(&mut cur, Some(&prev), &Scope::of(&inv));
        assert_eq!((c.resolved, c.unverified), (3, 1), "{c:?}");
    }

    #[test]
    fn load_previous_picks_newest_earlier_readable_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let write = |name: &str, f: Option<&FindingsFile>, raw: Option<&str>| {
            let d = out.join(name);
            std::fs::create_dir_all(&d).unwrap();
            if let Some(f) = f {
                std::fs::write(d.join("findings.json"), serde_json::to_string(f).unwrap()).unwrap();
            }
            if let Some(raw) = raw {
                std::fs::write(d.join("findings.json"), raw).unwrap();
            }
            d
        };
        let a = file("2026-11-23T06:00:00+00:00", Vec::new());
        let b = file("2026-11-24T06:00:00+00:00", Vec::new());
        write("2026-11-23_060000", Some(&a), None);
        write("2026-11-24_060000", Some(&b), None);
        write("2026-11-24_060000-2", None, Some("{ not json"));
        write("2026-11-24_070000", None, None);
        // A run that died before its folder was complete is no previous run.
        let unfinished = write(
            "2026-11-24_080000",
            Some(&file("2026-11-24T08:00:00+00:00", Vec::new())),
            None,
        );
        std::fs::write(unfinished.join(super::super::rundir::RUN_MARKER), "{}").unwrap();
        write(
            "not-a-run",
            Some(&file("2030-01-01T00:00:00+00:00", Vec::new())),
            None,
        );
        let cur = write("2026-11-25_060000", None, None);
        write(
            "2026-11-26_060000",
            Some(&file("2026-11-26T06:00:00+00:00", Vec::new())),
            None,
        );
        let (dir_found, f) = load_previous(out, &cur).unwrap();
        assert_eq!(dir_found.file_name().unwrap(), "2026-11-24_060000");
        assert_eq!(f.generated_at, "2026-11-24T06:00:00+00:00");
        let first = out.join("2026-11-23_060000");
        assert!(load_previous(out, &first).is_none());
    }
}
