//! Run folders: one date-stamped folder per run under `report.output_dir`, `latest`, retention.
//!
//! A run writes into `<output_dir>/<YYYY-MM-DD_HHMMSS>` (local time). The folder is made with
//! `create_dir`, which fails if it exists, so two runs in the same second get `-2`, `-3`, ...
//! and never share or overwrite a folder. `latest` then points at the new folder: a relative
//! symlink swapped in atomically (a temporary link renamed over the old one); where symlinks
//! cannot be made, a copy of the folder. Retention ([`prune`]) keeps the newest `report.keep`
//! run folders and only ever deletes directories whose name is a run-folder name.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `latest` in the output directory.
pub const LATEST: &str = "latest";

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

/// Make a new, empty run folder for a run started at `now`.
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
            Ok(()) => return Ok(dir),
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

fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
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

/// Remove `.latest.*` leftovers of runs that died mid-swap (older than an hour, so that a
/// concurrent run's temporary is never touched).
fn remove_stale_temporaries(output_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(output_dir) else {
        return;
    };
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".latest.tmp-") || name.starts_with(".latest.old-")) {
            continue;
        }
        let stale = std::fs::symlink_metadata(entry.path())
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < hour_ago);
        if stale {
            if let Err(e) = remove_any(&entry.path()) {
                tracing::warn!("could not remove {}: {e}", entry.path().display());
            }
        }
    }
}

pub(crate) fn update_latest_with(
    output_dir: &Path,
    run_dir: &Path,
    allow_symlink: bool,
) -> Result<Latest> {
    remove_stale_temporaries(output_dir);
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
    let copied = copy_dir(run_dir, &tmp).and_then(|()| swap_into_place(&tmp, &latest, output_dir));
    if let Err(e) = copied {
        let _ = remove_any(&tmp);
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

/// Keep the newest `keep` run folders (0 = all) and delete older ones. `current` and the folder
/// `latest` points at are never deleted, nor anything that is not a run folder. Returns the
/// folders deleted; a folder that cannot be deleted is logged and left.
pub fn prune(output_dir: &Path, keep: usize, current: &Path) -> Vec<PathBuf> {
    if keep == 0 {
        return Vec::new();
    }
    let runs = match list_runs(output_dir) {
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
        assert_eq!(std::fs::read_dir(&b).unwrap().count(), 0);
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
        update_latest(out, &old).unwrap();
        let removed = prune(out, 1, &current);
        assert_eq!(removed, vec![mid]);
        assert!(old.is_dir() && current.is_dir());
    }
}
