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
//!
//! Each run folder also keeps the run's inventory ([`INVENTORY_JSON`], written by
//! [`crate::deliver::deliver`]), so the next run can list the configuration changes since this
//! one ([`load_inventory`], compared by [`crate::drift::compare`]), and carries the trend of its
//! findings over the kept runs in its `findings.json` ([`trend`]): the next run takes the earlier
//! points from there instead of reading every kept run again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::findings::{
    sort_findings, Finding, FindingsFile, Status, Subject, SubjectId, TrendPoint, SCHEMA_VERSION,
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
    /// Configuration changes since the previous run's inventory (added, removed, changed; not
    /// the hosts that could not be looked at); 0 when there was none to compare with.
    pub drift: usize,
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

/// The file in a run folder that keeps the run's inventory, for the next run's comparison.
pub const INVENTORY_JSON: &str = "inventory.json";

/// At most this many runs are drawn in the trend (the newest).
pub const TREND_MAX: usize = 100;

/// The inventory kept in the run folder `dir`, if it has a readable one (older versions kept
/// none; an unreadable one is skipped with a warning).
pub fn load_inventory(dir: &Path) -> Option<Inventory> {
    let path = dir.join(INVENTORY_JSON);
    if !path.is_file() {
        tracing::info!(
            "the previous run in {} kept no inventory: configuration changes are listed from the next run on",
            dir.display()
        );
        return None;
    }
    let read = crate::fsutil::read_text(&path)
        .and_then(|text| crate::inventory::json::parse(&path, &text));
    match read {
        Ok(inv) => Some(inv),
        Err(e) => {
            tracing::warn!("ignoring {} for the run history: {e}", path.display());
            None
        }
    }
}

/// The trend of unwaived findings by severity over the runs that retention keeps (`keep`, 0 =
/// all; at most [`TREND_MAX`]), this run (`current`, in `run_dir`) last. The points of earlier
/// runs come from the previous run's trend; a kept run it lacks (a folder of a version without
/// trends) from that run's own `findings.json`.
pub fn trend(
    output_dir: &Path,
    run_dir: &Path,
    keep: usize,
    previous: Option<&(PathBuf, FindingsFile)>,
    current: &FindingsFile,
) -> Vec<TrendPoint> {
    let name = |dir: &Path| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let point = |run: String, f: &FindingsFile| TrendPoint {
        run,
        generated_at: f.generated_at.clone(),
        by_severity: f.summary.by_severity,
    };
    let current_key = super::rundir::RunName::parse(&name(run_dir));
    let mut earlier: Vec<(super::rundir::RunName, PathBuf)> =
        super::rundir::list_complete_runs(output_dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| current_key.as_ref().is_none_or(|c| key < c))
            .collect();
    let room = match keep {
        0 => TREND_MAX - 1,
        k => (k - 1).min(TREND_MAX - 1),
    };
    earlier.drain(..earlier.len().saturating_sub(room));
    let carried: std::collections::HashMap<&str, &TrendPoint> = previous
        .map(|(_, f)| f.trend.iter().map(|p| (p.run.as_str(), p)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (key, dir) in earlier {
        let run = key.dir_name();
        if let Some(p) = carried.get(run.as_str()) {
            out.push((*p).clone());
        } else if let Some((_, f)) = previous.filter(|(d, _)| *d == dir) {
            out.push(point(run, f));
        } else {
            match read_findings(&dir.join("findings.json")) {
                Ok(f) => out.push(point(run, &f)),
                Err(e) => tracing::debug!("no trend point for {}: {e}", dir.display()),
            }
        }
    }
    out.push(point(name(run_dir), current));
    out
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
                drift: 0,
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
                schema_version: None,
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
            error: Some("connection refused".into()),
            ..Source::named("https://vc-a", SourceKind::Vcenter)
        });
        inv.sources
            .push(Source::named("https://vc-b", SourceKind::Vcenter));
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

    /// The trend covers the runs retention keeps: earlier points from the previous run's
    /// trend, a kept run of an older version from its own findings.json, a point of a run
    /// that is gone is dropped, this run last.
    #[test]
    fn trend_over_the_kept_runs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let run = |name: &str, f: &FindingsFile| {
            let d = out.join(name);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("findings.json"), serde_json::to_string(f).unwrap()).unwrap();
            d
        };
        let errors = |at: &str, n: usize| {
            file(
                at,
                (0..n)
                    .map(|i| finding("MTU004", &format!("esx{i}"), None, Severity::Error))
                    .collect(),
            )
        };
        // An older version's run: no trend in its findings.json.
        let legacy = errors("2026-11-22T06:00:00+00:00", 3);
        run("2026-11-22_060000", &legacy);
        let mut prev = errors("2026-11-24T06:00:00+00:00", 2);
        let gone = TrendPoint {
            run: "2026-11-20_060000".into(),
            generated_at: "2026-11-20T06:00:00+00:00".into(),
            by_severity: errors("x", 7).summary.by_severity,
        };
        let own = TrendPoint {
            run: "2026-11-24_060000".into(),
            generated_at: prev.generated_at.clone(),
            // Differs from the summary: the carried point is used, not recomputed.
            by_severity: errors("x", 5).summary.by_severity,
        };
        prev.trend = vec![gone, own];
        let prev_dir = run("2026-11-24_060000", &prev);
        let cur_dir = out.join("2026-11-25_060000");
        std::fs::create_dir_all(&cur_dir).unwrap();
        let cur = errors("2026-11-25T06:00:00+00:00", 1);
        let previous = (prev_dir.clone(), prev.clone());

        let t = trend(out, &cur_dir, 30, Some(&previous), &cur);
        let got: Vec<_> = t
            .iter()
            .map(|p| (p.run.as_str(), p.by_severity[Severity::Error]))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-11-22_060000", 3),
                ("2026-11-24_060000", 5),
                ("2026-11-25_060000", 1)
            ]
        );
        assert_eq!(t[2].generated_at, cur.generated_at);
        // keep = 2: this run and the previous one.
        let t = trend(out, &cur_dir, 2, Some(&previous), &cur);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].run, "2026-11-24_060000");
        // A previous run without a trend: its summary.
        prev.trend.clear();
        let t = trend(out, &cur_dir, 2, Some(&(prev_dir, prev)), &cur);
        assert_eq!(t[0].by_severity[Severity::Error], 2);
        // No run folder (vmkaudit check): only this run.
        let t = trend(&out.join("none"), &out.join("x"), 0, None, &cur);
        assert_eq!(t.len(), 1);
    }

    /// The kept inventory is read back; a folder without one (or with a broken one) has none.
    #[test]
    fn the_kept_inventory_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_inventory(dir.path()).is_none());
        let mut inv = Inventory::new();
        inv.hosts.push(crate::model::Host::named("esx1"));
        std::fs::write(
            dir.path().join(INVENTORY_JSON),
            crate::inventory::json::to_string(&inv),
        )
        .unwrap();
        let back = load_inventory(dir.path()).unwrap();
        assert_eq!(back.hosts, inv.hosts);
        std::fs::write(dir.path().join(INVENTORY_JSON), "{ broken").unwrap();
        assert!(load_inventory(dir.path()).is_none());
    }
}
