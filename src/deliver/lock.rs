//! The output-directory lock: one `vmkaudit run` at a time writes to a `report.output_dir`.
//!
//! [`OutputLock::acquire`] takes an exclusive advisory lock (`flock` on Unix, `LockFileEx` on
//! Windows, through the `fs4` crate) on `<output_dir>/.vmkaudit.lock` and holds it, with the file open, until
//! the [`OutputLock`] is dropped — in practice until the run ends. The kernel releases the lock
//! when the process dies, however it dies (`kill -9` included), so a dead run never blocks the
//! next one: the lock file itself stays and is never deleted (deleting it would let two runs
//! lock two different files of the same name). The holder writes its pid and start time into
//! the file, so that a run that finds the lock taken can say who holds it. A second run polls
//! for the lock for up to `report.lock_wait`, then gives up with [`Error::Locked`] (exit 2).
//!
//! Holding the lock is what lets a run treat an unfinished run folder as a leftover of a dead
//! run ([`super::rundir::remove_leftovers`]): no other run can be writing to the directory.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The lock file in the output directory.
pub const LOCK_FILE: &str = ".vmkaudit.lock";

/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(200);

/// The run holding the lock, as recorded in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// When the run started (RFC 3339, local time).
    pub started: String,
}

impl Holder {
    /// This process, for a run started at `started`.
    pub fn this_process(started: chrono::DateTime<chrono::Local>) -> Holder {
        Holder {
            pid: std::process::id(),
            started: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        }
    }
}

/// The exclusive lock on an output directory, held while this value lives.
#[derive(Debug)]
pub struct OutputLock {
    dir: PathBuf,
    /// Keeps the lock: it is released when the file is closed.
    _file: File,
}

impl OutputLock {
    /// Lock `dir` (made if missing) for `me`, waiting up to `wait` for another run to let go.
    pub fn acquire(dir: &Path, me: &Holder, wait: Duration) -> Result<OutputLock> {
        crate::fsutil::ensure_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let deadline = Instant::now() + wait;
        let mut holder: Option<Holder> = None;
        let mut told = false;
        loop {
            // Spelt out: std's `File::try_lock` (Rust 1.89) would shadow the trait method.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) => {
                    // The holder writes its record right after it got the lock: keep the last
                    // one read completely.
                    if let Some(h) = read_holder(&mut file) {
                        holder = Some(h);
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Error::Locked {
                            dir: dir.to_path_buf(),
                            holder: describe(holder.as_ref()),
                            waited: humantime::format_duration(wait).to_string(),
                        });
                    }
                    if !told {
                        tracing::warn!(
                            "another vmkaudit run ({}) is writing to {}; waiting up to {} for it (report.lock_wait)",
                            describe(holder.as_ref()),
                            dir.display(),
                            humantime::format_duration(wait)
                        );
                        told = true;
                    }
                    std::thread::sleep(POLL.min(deadline - now));
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(Error::io(
                        &path,
                        std::io::Error::new(
                            e.kind(),
                            format!("cannot lock the output directory: {e}"),
                        ),
                    ))
                }
            }
        }
        if let Err(e) = write_holder(&mut file, me) {
            // The lock is held all the same; only the message of a waiting run suffers.
            tracing::warn!("cannot record this run in {}: {e}", path.display());
        }
        Ok(OutputLock {
            dir: dir.to_path_buf(),
            _file: file,
        })
    }

    /// The locked output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// `pid N, started at T`, or what is known of it.
fn describe(holder: Option<&Holder>) -> String {
    match holder {
        Some(h) => format!("pid {}, started at {}", h.pid, h.started),
        None => "pid unknown".into(),
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    // A few hundred bytes at most; a bigger file is not ours to trust.
    file.take(4096).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_holder(file: &mut File, me: &Holder) -> std::io::Result<()> {
    let mut json = serde_json::to_string(me).map_err(std::io::Error::other)?;
    json.push('\n');
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(json.as_bytes())?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(pid: u32) -> Holder {
        Holder {
            pid,
            started: "2026-11-24T06:00:00+01:00".into(),
        }
    }

    #[test]
    fn a_second_lock_waits_then_names_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("reports");
        let first = OutputLock::acquire(&out, &me(4242), Duration::ZERO).unwrap();
        assert_eq!(first.dir(), out);
        // Another open file description of the same file, as another process would have.
        let err = OutputLock::acquire(&out, &me(1), Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "another vmkaudit run (pid 4242, started at 2026-11-24T06:00:00+01:00) is writing to {}",
                out.display()
            )),
            "{msg}"
        );
        assert!(msg.contains("(report.lock_wait)"), "{msg}");
        assert_eq!(err.exit_code(), crate::error::ExitCode::Usage);
        // Released on drop: the next run gets it at once and records itself.
        drop(first);
        let second = OutputLock::acquire(&out, &me(7), Duration::ZERO).unwrap();
        let text = std::fs::read_to_string(out.join(LOCK_FILE)).unwrap();
        let recorded: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(recorded, me(7));
        drop(second);
    }

    #[test]
    fn a_lock_file_without_a_holder_is_no_obstacle() {
        // What a dead run leaves: the file with its record, but no lock on it.
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(LOCK_FILE),
            serde_json::to_string(&me(99)).unwrap(),
        )
        .unwrap();
        let lock = OutputLock::acquire(tmp.path(), &me(5), Duration::ZERO).unwrap();
        drop(lock);
    }
}
