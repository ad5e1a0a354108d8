//! Run folders: one date-stamped folder per run under `report.output_dir`, `latest`, retention.
//!
//! A run writes into `<output_dir>/<YYYY-MM-DD_HHMMSS>` (local time). The folder is made with
//! `create_dir`, which fails if it exists, so two runs in the same second get `-2`, `-3`, ...
//! and never share or overwrite a folder. A new folder at once gets [`RUN_MARKER`] (the pid and
//! start time of the run that made it), and [`COMPLETE_MARKER`] last, once its report set is
//! whole ([`mark_complete`]); [`run_state`] tells complete folders from unfinished ones.
//! `latest` then points at the new folder: a relative symlink swapped in atomically (a
//! temporary link renamed over the old one); where symlinks cannot be made, a copy of the
//! folder holding [`LATEST_MARKER`]. A `latest` that vmkaudit did not make is never replaced
//! ([`check_latest`]). Retention ([`prune`]) keeps the newest `report.keep` complete run
//! folders and only ever deletes complete folders whose name is a run-folder name; unfinished
//! folders of runs that died are removed by the next run, under the output-directory lock
//! ([`remove_leftovers`]).

use std::path::{Path, PathBuf};

use super::lock::{Holder, OutputLock};
use crate::error::{Error, Location, Result};

/// `latest` in the output directory.
pub const LATEST: &str = "latest";

/// Written into a run folder as soon as it is made: the run that owns it (pid, start time).
pub const RUN_MARKER: &str = ".vmkaudit-run";
/// Written into a run folder last, when its report set is complete.
pub const COMPLETE_MARKER: &str = ".vmkaudit-complete";
/// Written into a `latest` that is a copy of a run folder (no symlinks on the file system),
/// so that the next run knows the copy is its own to replace.
pub const LATEST_MARKER: &str = ".vmkaudit-latest";

const STAMP_FORMAT: &str = "%Y-%m-%d_%H%M%S";
const STAMP_LEN: usize = 17; // 2026-11-24_060000

/// A parsed run-folder name: the time stamp and the collision suffix (1 when there is none).
/// Orders like the runs were made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunName {
    stamp: String,
    seq: u32,
}

impl RunName {
    /// `2026-11-24_060000` or `2026-11-24_060000-2`; anything else is not a run folder.
    pub fn parse(name: &str) -> Option<RunName> {
        let (stamp, seq) = match name.get(STAMP_LEN..) {
            Some("") => (name, 1),
            Some(rest) => {
                let n = rest.strip_prefix('-')?;
                if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let seq: u32 = n.parse().ok()?;
                if seq < 2 {
                    return None;
                }
                (&name[..STAMP_LEN], seq)
            }
            None => return None,
        };
        let layout_ok = stamp.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'_',
            _ => b.is_ascii_digit(),
        });
        if !layout_ok || chrono::NaiveDateTime::parse_from_str(stamp, STAMP_FORMAT).is_err() {
            return None;
        }
        Some(RunName {
            stamp: stamp.to_string(),
            seq,
        })
    }

    pub fn dir_name(&self) -> String {
        if self.seq == 1 {
            self.stamp.clone()
        } else {
            format!("{}-{}", self.stamp, self.seq)
        }
    }
}

/// Make a new run folder for a run started at `now`, holding only its [`RUN_MARKER`].
pub fn create_run_dir(output_dir: &Path, now: chrono::DateTime<chrono::Local>) -> Result<PathBuf> {
    let cannot = |e: std::io::Error| {
        let why = if output_dir.exists() && !output_dir.is_dir() {
            "it exists and is not a directory".to_string()
        } else {
            e.to_string()
        };
        Error::io(
            output_dir,
            std::io::Error::new(
                e.kind(),
                format!("cannot create the report folder (report.output_dir): {why}"),
            ),
        )
    };
    std::fs::create_dir_all(output_dir).map_err(cannot)?;
    let stamp = now.format(STAMP_FORMAT).to_string();
    // Start after the highest suffix in use for this second, so that a new folder always sorts
    // after the existing ones, even when retention has deleted an earlier one of the second.
    let highest = list_runs(output_dir)
        .map_err(|e| Error::io(output_dir, e))?
        .into_iter()
        .filter(|(name, _)| name.stamp == stamp)
        .map(|(name, _)| name.seq)
        .max()
        .unwrap_or(0);
    for seq in highest + 1..=highest + 10_000 {
        let name = RunName {
            stamp: stamp.clone(),
            seq,
        };
        let dir = output_dir.join(name.dir_name());
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                let mut owner =
                    serde_json::to_string(&Holder::this_process(now)).expect("holder serializes");
                owner.push('\n');
                if let Err(e) = crate::fsutil::write_atomic(&dir.join(RUN_MARKER), owner.as_bytes())
                {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(e);
                }
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Err(Error::io(
        &output_dir.join(stamp),
        std::io::Error::other("too many run folders with this time stamp"),
    ))
}

/// The run folders in `output_dir`, oldest first. Only real directories (not symlinks) whose
/// name is a run-folder name count.
pub fn list_runs(output_dir: &Path) -> std::io::Result<Vec<(RunName, PathBuf)>> {
    let mut runs = Vec::new();
    for entry in std::fs::read_dir(output_dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().and_then(RunName::parse) else {
            continue;
        };
        if entry.file_type()?.is_dir() {
            runs.push((name, entry.path()));
        }
    }
    runs.sort();
    Ok(runs)
}

/// Mark `run_dir` complete: its report set is whole. Written last, atomically.
pub fn mark_complete(run_dir: &Path) -> Result<()> {
    crate::fsutil::write_atomic(&run_dir.join(COMPLETE_MARKER), b"complete\n")
}

/// What a folder with a run-folder name holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// A whole report set: [`COMPLETE_MARKER`], or (a folder made before markers existed) a
    /// `findings.json` and no [`RUN_MARKER`].
    Complete,
    /// A run's folder that was never completed: [`RUN_MARKER`] without [`COMPLETE_MARKER`], or
    /// an empty folder (a run that died right after making it). Unless a running run owns it,
    /// the leftover of a run that died.
    Unfinished,
    /// Something else that happens to have a run-folder name: not vmkaudit's, never touched.
    Foreign,
}

/// The state of the run folder `dir`.
pub fn run_state(dir: &Path) -> RunState {
    if dir.join(COMPLETE_MARKER).is_file() {
        RunState::Complete
    } else if dir.join(RUN_MARKER).is_file() {
        RunState::Unfinished
    } else if dir.join(crate::render::FINDINGS_JSON).is_file() {
        RunState::Complete
    } else if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none()) {
        RunState::Unfinished
    } else {
        RunState::Foreign
    }
}

/// The complete run folders in `output_dir`, oldest first.
pub fn list_complete_runs(output_dir: &Path) -> std::io::Result<Vec<(RunName, PathBuf)>> {
    let mut runs = list_runs(output_dir)?;
    runs.retain(|(_, dir)| run_state(dir) == RunState::Complete);
    Ok(runs)
}

/// Remove the unfinished run folders in the locked output directory: with the lock held, no
/// other run can be writing to one, so each is the leftover of a run that died (`kill -9`, a
/// crash, a power cut). Folders that are not vmkaudit's ([`RunState::Foreign`]) are left
/// alone. Returns the folders removed.
pub fn remove_leftovers(lock: &OutputLock) -> Vec<PathBuf> {
    let output_dir = lock.dir();
    let runs = match list_runs(output_dir) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("cannot list {}: {e}", output_dir.display());
            return Vec::new();
        }
    };
    let mut removed = Vec::new();
    for (_, dir) in runs {
        if run_state(&dir) != RunState::Unfinished {
            continue;
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {
                tracing::info!("removed the unfinished run folder {}", dir.display());
                removed.push(dir);
            }
            Err(e) => tracing::warn!(
                "could not remove the unfinished run folder {}: {e}",
                dir.display()
            ),
        }
    }
    removed
}

/// What `latest` in an output directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LatestState {
    Absent,
    /// Made by vmkaudit: a symlink to a run-folder name, or a copy holding [`LATEST_MARKER`].
    Ours,
    /// Anything else (a user's own directory, file or link), described.
    Foreign(&'static str),
}

/// What `output_dir/latest` is.
pub fn latest_state(output_dir: &Path) -> LatestState {
    let latest = output_dir.join(LATEST);
    let Ok(meta) = std::fs::symlink_metadata(&latest) else {
        return LatestState::Absent;
    };
    if meta.is_symlink() {
        let ours = std::fs::read_link(&latest).is_ok_and(|t| {
            let mut parts = t.components();
            matches!(
                (parts.next(), parts.next()),
                (Some(std::path::Component::Normal(n)), None)
                    if n.to_str().and_then(RunName::parse).is_some()
            )
        });
        if ours {
            LatestState::Ours
        } else {
            LatestState::Foreign("a symbolic link that does not point at a run folder")
        }
    } else if meta.is_dir() {
        if latest.join(LATEST_MARKER).is_file() {
            LatestState::Ours
        } else {
            LatestState::Foreign("a directory that vmkaudit did not make")
        }
    } else {
        LatestState::Foreign("a file")
    }
}

/// Fail (exit 2) when `output_dir/latest` exists and is not vmkaudit's to replace.
pub fn check_latest(output_dir: &Path) -> Result<()> {
    match latest_state(output_dir) {
        LatestState::Absent | LatestState::Ours => Ok(()),
        LatestState::Foreign(what) => Err(Error::input(
            Location::file(&output_dir.join(LATEST)),
            format!(
                "is {what}; vmkaudit points `latest` at the newest run and only ever replaces a `latest` it made (a link to a run folder, or a copy holding {LATEST_MARKER}): move or rename it, or choose another report.output_dir"
            ),
        )),
    }
}

/// How `latest` was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest {
    Symlink,
    Copy,
}

/// Point `latest` at `run_dir` (a folder in `output_dir`).
pub fn update_latest(output_dir: &Path, run_dir: &Path) -> Result<Latest> {
    update_latest_with(output_dir, run_dir, true)
}

fn temp_name(output_dir: &Path, what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    output_dir.join(format!(".latest.{what}-{}-{nanos}", std::process::id()))
}

/// Move `new` into place as `latest`, replacing whatever `latest` was.
fn swap_into_place(new: &Path, latest: &Path, output_dir: &Path) -> std::io::Result<()> {
    // rename() replaces a file or symlink atomically, but not a directory (an earlier copy).
    let is_real_dir = std::fs::symlink_metadata(latest).is_ok_and(|m| m.is_dir());
    if is_real_dir {
        let old = temp_name(output_dir, "old");
        std::fs::rename(latest, &old)?;
        std::fs::rename(new, latest)?;
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!("could not remove {}: {e}", old.display());
        }
        Ok(())
    } else {
        std::fs::rename(new, latest)
    }
}

pub(crate) fn update_latest_with(
    output_dir: &Path,
    run_dir: &Path,
    allow_symlink: bool,
) -> Result<Latest> {
    check_latest(output_dir)?;
    // Leftovers of runs that died mid-swap (older than an hour, so that a concurrent run's
    // temporary is never touched).
    crate::fsutil::remove_stale(output_dir, &[".latest.tmp-", ".latest.old-"]);
    let latest = output_dir.join(LATEST);
    let target = run_dir
        .file_name()
        .ok_or_else(|| Error::io(run_dir, std::io::Error::other("not a run folder")))?;
    #[cfg(unix)]
    if allow_symlink {
        let tmp = temp_name(output_dir, "tmp");
        match std::os::unix::fs::symlink(target, &tmp) {
            Ok(()) => match swap_into_place(&tmp, &latest, output_dir) {
                Ok(()) => return Ok(Latest::Symlink),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    tracing::warn!(
                        "could not point {} at {}: {e}; copying instead",
                        latest.display(),
                        run_dir.display()
                    );
                }
            },
            Err(e) => {
                tracing::warn!(
                    "cannot make a symlink in {}: {e}; copying instead",
                    output_dir.display()
                )
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (allow_symlink, target);
    let tmp = temp_name(output_dir, "tmp");
    let copied = copy_dir(run_dir, &tmp)
        .and_then(|()| std::fs::write(tmp.join(LATEST_MARKER), "latest\n"))
        .and_then(|()| swap_into_place(&tmp, &latest, output_dir));
    if let Err(e) = copied {
        let _ = crate::fsutil::remove_any(&tmp);
        return Err(Error::io(&latest, e));
    }
    Ok(Latest::Copy)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let ty = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if ty.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Keep the newest `keep` complete run folders (0 = all) and delete older ones. `current` and
/// the folder `latest` points at are never deleted, nor a folder that is not complete (a
/// running run's, a dead run's leftover or someone else's), nor anything that is not a run
/// folder. Returns the folders deleted; a folder that cannot be deleted is logged and left.
pub fn prune(output_dir: &Path, keep: usize, current: &Path) -> Vec<PathBuf> {
    if keep == 0 {
        return Vec::new();
    }
    let runs = match list_complete_runs(output_dir) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("cannot list {} for retention: {e}", output_dir.display());
            return Vec::new();
        }
    };
    let latest_target = std::fs::read_link(output_dir.join(LATEST))
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_os_string()));
    let protected = |dir: &Path| {
        dir == current || (latest_target.is_some() && dir.file_name() == latest_target.as_deref())
    };
    let mut excess = runs.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for (_, dir) in runs {
        if excess == 0 {
            break;
        }
        if protected(&dir) {
            continue;
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {
                tracing::info!("removed old run {}", dir.display());
                removed.push(dir);
                excess -= 1;
            }
            Err(e) => {
                tracing::warn!("could not remove old run {}: {e}", dir.display());
                excess -= 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> chrono::DateTime<chrono::Local> {
        chrono::Local
            .with_ymd_and_hms(2026, 11, 24, h, m, s)
            .single()
            .unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn run_names_parse_and_order() {
        assert!(RunName::parse("2026-11-24_060000").is_some());
        assert_eq!(
            RunName::parse("2026-11-24_060000-12").unwrap().dir_name(),
            "2026-11-24_060000-12"
        );
        for bad in [
            "latest",
            "2026-11-24_06000",
            "2026-11-24_060000-1",
            "2026-11-24_060000-02",
            "2026-11-24_060000-",
            "2026-11-24_060000-x",
            "2026-13-24_060000",
            "2026-11-24_250000",
            "2026-11-24T060000",
            "2026-11-24_060000.bak",
            "+026-11-24_060000",
        ] {
            assert!(RunName::parse(bad).is_none(), "{bad}");
        }
        let mut v: Vec<RunName> = [
            "2026-11-24_060000-10",
            "2026-11-24_060001",
            "2026-11-24_060000",
            "2026-11-24_060000-2",
        ]
        .iter()
        .map(|n| RunName::parse(n).unwrap())
        .collect();
        v.sort();
        let order: Vec<String> = v.iter().map(RunName::dir_name).collect();
        assert_eq!(
            order,
            [
                "2026-11-24_060000",
                "2026-11-24_060000-2",
                "2026-11-24_060000-10",
                "2026-11-24_060001"
            ]
        );
    }

    #[test]
    fn same_second_runs_get_suffixes_and_never_share() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("reports");
        let a = create_run_dir(&out, at(6, 0, 0)).unwrap();
        std::fs::write(a.join("findings.json"), "first").unwrap();
        let b = create_run_dir(&out, at(6, 0, 0)).unwrap();
        let c = create_run_dir(&out, at(6, 0, 0)).unwrap();
        assert_eq!(a.file_name().unwrap(), "2026-11-24_060000");
        assert_eq!(b.file_name().unwrap(), "2026-11-24_060000-2");
        assert_eq!(c.file_name().unwrap(), "2026-11-24_060000-3");
        assert_eq!(
            std::fs::read_to_string(a.join("findings.json")).unwrap(),
            "first"
        );
        // A new folder holds only the marker of the run that owns it.
        assert_eq!(names(&b), [RUN_MARKER]);
        let owner: Holder =
            serde_json::from_str(&std::fs::read_to_string(b.join(RUN_MARKER)).unwrap()).unwrap();
        assert_eq!(owner.pid, std::process::id());
        // Retention removed the first folder of the second: the next run still sorts last.
        std::fs::remove_dir_all(&a).unwrap();
        let d = create_run_dir(&out, at(6, 0, 0)).unwrap();
        assert_eq!(d.file_name().unwrap(), "2026-11-24_060000-4");
    }

    #[test]
    fn an_output_dir_that_cannot_be_made_is_explained() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("reports");
        std::fs::write(&file, "").unwrap();
        let e = create_run_dir(&file, at(6, 0, 0)).unwrap_err().to_string();
        assert!(
            e.contains("cannot create the report folder (report.output_dir): it exists and is not a directory"),
            "{e}"
        );
        assert!(e.contains("reports"), "{e}");
        let e = create_run_dir(&file.join("sub"), at(6, 0, 0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot create the report folder"), "{e}");
    }

    #[test]
    fn concurrent_runs_in_one_second_get_distinct_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().to_path_buf();
        let dirs: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| create_run_dir(&out, at(7, 30, 0)).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let unique: std::collections::BTreeSet<_> = dirs.iter().collect();
        assert_eq!(unique.len(), 8);
    }

    #[test]
    #[cfg(unix)]
    fn latest_is_a_relative_symlink_swapped_atomically() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let a = create_run_dir(out, at(6, 0, 0)).unwrap();
        let b = create_run_dir(out, at(7, 0, 0)).unwrap();
        assert_eq!(update_latest(out, &a).unwrap(), Latest::Symlink);
        assert_eq!(
            std::fs::read_link(out.join(LATEST)).unwrap(),
            Path::new("2026-11-24_060000")
        );
        assert_eq!(update_latest(out, &b).unwrap(), Latest::Symlink);
        assert_eq!(
            std::fs::read_link(out.join(LATEST)).unwrap(),
            Path::new("2026-11-24_070000")
        );
        // A leftover of a run that died mid-swap an hour ago is cleaned up; a fresh one (maybe
        // a concurrent run's) is not.
        let stale = out.join(".latest.tmp-1-2");
        let f = std::fs::File::create(&stale).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
            .unwrap();
        drop(f);
        let fresh = out.join(".latest.old-3-4");
        std::fs::create_dir(&fresh).unwrap();
        assert_eq!(update_latest(out, &b).unwrap(), Latest::Symlink);
        assert!(std::fs::symlink_metadata(&stale).is_err());
        std::fs::remove_dir(&fresh).unwrap();
        // No temporary links are left behind.
        assert_eq!(
            names(out),
            ["2026-11-24_060000", "2026-11-24_070000", "latest"]
        );
    }

    #[test]
    fn latest_falls_back_to_a_copy_and_back() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let a = create_run_dir(out, at(6, 0, 0)).unwrap();
        std::fs::write(a.join("report.html"), "A").unwrap();
        let b = create_run_dir(out, at(7, 0, 0)).unwrap();
        std::fs::write(b.join("report.html"), "B").unwrap();
        assert_eq!(update_latest_with(out, &a, false).unwrap(), Latest::Copy);
        assert_eq!(
            std::fs::read_to_string(out.join("latest/report.html")).unwrap(),
            "A"
        );
        assert_eq!(update_latest_with(out, &b, false).unwrap(), Latest::Copy);
        assert_eq!(
            std::fs::read_to_string(out.join("latest/report.html")).unwrap(),
            "B"
        );
        // The copied run itself is untouched.
        assert_eq!(std::fs::read_to_string(a.join("report.html")).unwrap(), "A");
        #[cfg(unix)]
        {
            // A copy is replaced by a link once links work.
            assert_eq!(update_latest(out, &a).unwrap(), Latest::Symlink);
            assert_eq!(
                std::fs::read_to_string(out.join("latest/report.html")).unwrap(),
                "A"
            );
        }
        assert_eq!(names(out).len(), 3, "{:?}", names(out));
    }

    #[test]
    fn prune_keeps_newest_and_deletes_only_run_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let mut runs = Vec::new();
        for h in 1..=5 {
            runs.push(create_run_dir(out, at(h, 0, 0)).unwrap());
        }
        runs.push(create_run_dir(out, at(5, 0, 0)).unwrap()); // 05:00-2
        for r in &runs {
            mark_complete(r).unwrap();
        }
        std::fs::create_dir(out.join("notes")).unwrap();
        std::fs::create_dir(out.join("2026-11-24_010000.bak")).unwrap();
        std::fs::write(out.join("2026-11-24_000000"), "a file, not a folder").unwrap();
        let current = runs.last().unwrap().clone();
        let removed = prune(out, 3, &current);
        let removed: Vec<_> = removed.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(
            removed,
            [
                "2026-11-24_010000",
                "2026-11-24_020000",
                "2026-11-24_030000"
            ]
        );
        assert_eq!(
            names(out),
            [
                "2026-11-24_000000",
                "2026-11-24_010000.bak",
                "2026-11-24_040000",
                "2026-11-24_050000",
                "2026-11-24_050000-2",
                "notes"
            ]
        );
        // keep = 0 keeps everything.
        assert!(prune(out, 0, &current).is_empty());
    }

    #[test]
    #[cfg(unix)]
    fn prune_never_deletes_current_or_latest_target() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let old = create_run_dir(out, at(1, 0, 0)).unwrap();
        let mid = create_run_dir(out, at(2, 0, 0)).unwrap();
        // A clock set back: the current run sorts before the others.
        let current = create_run_dir(out, at(0, 30, 0)).unwrap();
        for r in [&old, &mid, &current] {
            mark_complete(r).unwrap();
        }
        update_latest(out, &old).unwrap();
        let removed = prune(out, 1, &current);
        assert_eq!(removed, vec![mid]);
        assert!(old.is_dir() && current.is_dir());
    }

    /// A folder as a run that died at some point would leave it, or as someone else made it.
    fn folders(out: &Path) -> [PathBuf; 6] {
        let complete = create_run_dir(out, at(1, 0, 0)).unwrap();
        std::fs::write(complete.join("findings.json"), "{}").unwrap();
        mark_complete(&complete).unwrap();
        // Made by a version before the markers: complete by its findings.json.
        let legacy = out.join("2026-11-24_013000");
        std::fs::create_dir(&legacy).unwrap();
        std::fs::write(legacy.join("findings.json"), "{}").unwrap();
        // Killed while writing the reports.
        let unfinished = create_run_dir(out, at(2, 0, 0)).unwrap();
        std::fs::write(unfinished.join("report.html"), "<html>half").unwrap();
        // Killed right after making the folder.
        let empty = out.join("2026-11-24_023000");
        std::fs::create_dir(&empty).unwrap();
        // Someone's own folder that happens to have a run-folder name.
        let foreign = out.join("2026-11-24_030000");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
        let newest = create_run_dir(out, at(4, 0, 0)).unwrap();
        mark_complete(&newest).unwrap();
        [complete, legacy, unfinished, empty, foreign, newest]
    }

    #[test]
    fn run_states_tell_complete_unfinished_and_foreign_folders_apart() {
        let tmp = tempfile::tempdir().unwrap();
        let [complete, legacy, unfinished, empty, foreign, newest] = folders(tmp.path());
        assert_eq!(run_state(&complete), RunState::Complete);
        assert_eq!(run_state(&legacy), RunState::Complete);
        assert_eq!(run_state(&unfinished), RunState::Unfinished);
        assert_eq!(run_state(&empty), RunState::Unfinished);
        assert_eq!(run_state(&foreign), RunState::Foreign);
        assert_eq!(run_state(&newest), RunState::Complete);
        let listed: Vec<PathBuf> = list_complete_runs(tmp.path())
            .unwrap()
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        assert_eq!(listed, [complete, legacy, newest]);
    }

    #[test]
    fn prune_counts_and_deletes_only_complete_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let [complete, legacy, unfinished, empty, foreign, newest] = folders(out);
        // Three complete runs, keep two: only the oldest complete one goes. The unfinished,
        // empty and foreign folders neither count nor are deleted.
        let removed = prune(out, 2, &newest);
        assert_eq!(removed, [complete]);
        for d in [&legacy, &unfinished, &empty, &foreign, &newest] {
            assert!(d.is_dir(), "{}", d.display());
        }
        assert!(prune(out, 1, &newest) == [legacy]);
        assert!(unfinished.is_dir() && empty.is_dir() && foreign.is_dir());
    }

    #[test]
    fn leftovers_of_dead_runs_are_removed_under_the_lock_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let [complete, legacy, unfinished, empty, foreign, newest] = folders(out);
        let lock = OutputLock::acquire(
            out,
            &Holder::this_process(chrono::Local::now()),
            std::time::Duration::ZERO,
        )
        .unwrap();
        let removed = remove_leftovers(&lock);
        assert_eq!(removed, [unfinished, empty]);
        for d in [&complete, &legacy, &foreign, &newest] {
            assert!(d.is_dir(), "{}", d.display());
        }
        assert_eq!(
            std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_latest_that_vmkaudit_did_not_make_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        let run = create_run_dir(out, at(6, 0, 0)).unwrap();
        assert_eq!(latest_state(out), LatestState::Absent);
        let latest = out.join(LATEST);

        // A user's own directory.
        std::fs::create_dir(&latest).unwrap();
        std::fs::write(latest.join("notes.txt"), "mine").unwrap();
        assert_eq!(
            latest_state(out),
            LatestState::Foreign("a directory that vmkaudit did not make")
        );
        let err = check_latest(out).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::ExitCode::Usage);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "{}: is a directory that vmkaudit did not make",
                latest.display()
            )),
            "{msg}"
        );
        assert!(update_latest(out, &run).is_err());
        assert!(update_latest_with(out, &run, false).is_err());
        assert_eq!(
            std::fs::read_to_string(latest.join("notes.txt")).unwrap(),
            "mine"
        );
        std::fs::remove_dir_all(&latest).unwrap();

        // A file.
        std::fs::write(&latest, "mine").unwrap();
        assert!(update_latest(out, &run).is_err());
        assert_eq!(std::fs::read_to_string(&latest).unwrap(), "mine");
        std::fs::remove_file(&latest).unwrap();

        #[cfg(unix)]
        {
            // A link somewhere else.
            std::os::unix::fs::symlink("/tmp", &latest).unwrap();
            assert!(update_latest(out, &run).is_err());
            assert_eq!(std::fs::read_link(&latest).unwrap(), Path::new("/tmp"));
            std::fs::remove_file(&latest).unwrap();
        }

        // Its own copy carries the marker and is replaced.
        assert_eq!(update_latest_with(out, &run, false).unwrap(), Latest::Copy);
        assert!(latest.join(LATEST_MARKER).is_file());
        assert_eq!(latest_state(out), LatestState::Ours);
        assert_eq!(update_latest_with(out, &run, false).unwrap(), Latest::Copy);
        #[cfg(unix)]
        {
            assert_eq!(update_latest(out, &run).unwrap(), Latest::Symlink);
            assert_eq!(latest_state(out), LatestState::Ours);
        }
    }
}
