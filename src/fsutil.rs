//! File helpers: atomic writes so that a failed run never clobbers reports already written.
//!
//! [`write_atomic`] replaces one file atomically; [`write_set`] writes a set of files (the
//! reports of one run) into a staging directory first and moves them in only when every one
//! was written. [`check_output_dir`] and [`check_output_file`] check, before any long work
//! (an import, a collection), that an output path can be written at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Location, Result};

/// Prefix of the staging directory [`write_set`] makes inside the output directory.
pub const STAGING_PREFIX: &str = ".vmkaudit-staging-";

/// Write `bytes` to `path` atomically: into a temporary file in the same directory, flushed and
/// synced, then renamed over `path`. Readers see the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Like [`write_atomic`], but the content is written by `fill` into a buffered writer over the
/// temporary file (a big file need not be built in memory first). An error from `fill` leaves
/// `path` untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    ensure_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".vmkaudit-tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    {
        let mut w = std::io::BufWriter::with_capacity(256 << 10, tmp.as_file_mut());
        fill(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| Error::io(path, e))?;
    }
    set_mode_for(tmp.as_file(), path)?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Give `file`, about to replace `target`, the mode of the file it replaces, or 0644 for a new
/// one: temporary files are created private (0600), and reports are meant to be read by the
/// team.
fn set_mode_for(file: &std::fs::File, target: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(target)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644);
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(target, e))?;
    }
    #[cfg(not(unix))]
    let _ = (file, target);
    Ok(())
}

/// Write the files `(name, content)` into `dir` as one set: every file is first written (and
/// synced) into a staging directory inside `dir`, and only when all were written are they
/// renamed into place, each atomically. A failure before that point leaves the files already
/// in `dir` as they were; staging directories left by a killed process are removed an hour
/// later. Returns the paths written, in the order given.
pub fn write_set(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    ensure_dir(dir)?;
    // Staging directories of a run killed mid-write.
    remove_stale(dir, &[STAGING_PREFIX]);
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    check_targets(dir, &names)?;
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    files.par_iter().try_for_each(|(name, bytes)| {
        let staged = staging.path().join(name);
        let mut f = std::fs::File::create(&staged).map_err(|e| Error::io(&staged, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&staged, e))?;
        set_mode_for(&f, &dir.join(name))?;
        f.sync_all().map_err(|e| Error::io(&staged, e))
    })?;
    // Everything is written: move it in. Check the targets again right before, so that a
    // directory that appeared in the meantime stops the move before the first file.
    check_targets(dir, &names)?;
    let mut written = Vec::with_capacity(files.len());
    for name in names {
        let to = dir.join(name);
        std::fs::rename(staging.path().join(name), &to).map_err(|e| Error::io(&to, e))?;
        written.push(to);
    }
    if let Err(e) = staging.close() {
        tracing::warn!(
            "could not remove the staging directory in {}: {e}",
            dir.display()
        );
    }
    Ok(written)
}

/// Remove `path`, whatever it is (a directory with its contents); absent is fine.
pub fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Remove the entries of `dir` whose name starts with one of `prefixes` and that were last
/// changed more than an hour ago: temporaries of a process that died (`kill -9`) before it
/// could clean up. A fresh one may be a running process's, and is left alone.
pub fn remove_stale(dir: &Path, prefixes: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !prefixes
            .iter()
            .any(|p| name.to_string_lossy().starts_with(p))
        {
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

/// Every `dir/name` can be replaced by a file: it is absent, a file or a symlink (replaced
/// itself), but not a directory.
fn check_targets(dir: &Path, names: &[&str]) -> Result<()> {
    for name in names {
        let target = dir.join(name);
        if std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
            return Err(Error::input(
                Location::file(&target),
                format!("is a directory, so the report {name} cannot be written there; move or rename it"),
            ));
        }
    }
    Ok(())
}

/// `.` for an empty path (the parent of a bare file name).
fn or_dot(p: &Path) -> &Path {
    if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    }
}

/// Check, without creating anything, that the files `names` can be written into directory
/// `dir`: it is a directory (or can be made: its nearest existing ancestor is a directory),
/// files can be created there, and none of `names` is a directory. Meant to run before any long
/// work, so that an unusable output path is reported before the data is gathered.
pub fn check_output_dir(dir: &Path, names: &[&str]) -> Result<()> {
    let dir = or_dot(dir);
    let Some((existing, meta)) = dir.ancestors().find_map(|a| {
        let a = or_dot(a);
        std::fs::metadata(a).ok().map(|m| (a, m))
    }) else {
        return Ok(());
    };
    if !meta.is_dir() {
        return Err(Error::input(
            Location::file(existing),
            "exists and is not a directory, so nothing can be written into it",
        ));
    }
    // Creating (and at once removing) a file is the one test of writability that holds for
    // every cause: permissions, ACLs, a read-only mount.
    tempfile::Builder::new()
        .prefix(".vmkaudit-probe-")
        .tempfile_in(existing)
        .map_err(|e| {
            Error::io(
                existing,
                std::io::Error::new(e.kind(), format!("cannot write into this directory: {e}")),
            )
        })?;
    if existing == dir {
        check_targets(dir, names)?;
    }
    Ok(())
}

/// Check, without creating anything, that a file can be written at `path` (see
/// [`check_output_dir`]): it is not a directory, and its directory is usable.
pub fn check_output_file(path: &Path) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(Error::input(
            Location::file(path),
            "is a directory; give the name of the file to write, such as inventory.json inside it",
        ));
    }
    check_output_dir(path.parent().unwrap_or(Path::new("")), &[])
}

/// Create directory `dir` and its parents unless it exists. A file in the way is named as such
/// (the OS would only say "File exists" or "Not a directory").
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| match dir.ancestors().find(|a| a.is_file()) {
        Some(file) => Error::input(
            crate::error::Location::file(file),
            "exists and is not a directory, so nothing can be written into it",
        ),
        None => Error::io(dir, e),
    })
}

/// Read a whole file as text: UTF-8 (a leading byte-order mark is dropped), or UTF-16 when the
/// file starts with a UTF-16 byte-order mark (what Windows PowerShell 5.1 writes with
/// `> file` or `-Encoding Unicode`).
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |what: String| Error::input(crate::error::Location::file(path), what);
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(bad(
            "not a text file but a ZIP archive (an Excel .xlsx workbook?): export or save it as \
             CSV (for RVTools, the vSC_VMK tab as RVTools_tabvSC_VMK.csv)"
                .into(),
        ));
    }
    let utf16 = match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => Some((rest, u16::from_le_bytes as fn([u8; 2]) -> u16)),
        [0xFE, 0xFF, rest @ ..] => Some((rest, u16::from_be_bytes as fn([u8; 2]) -> u16)),
        _ => None,
    };
    if let Some((rest, unit)) = utf16 {
        if rest.len() % 2 != 0 {
            return Err(bad("not valid UTF-16 text (odd number of bytes)".into()));
        }
        let units = rest.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        return char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|e| {
                bad(format!(
                    "not valid UTF-16 text (unpaired surrogate {:#06x})",
                    e.unpaired_surrogate()
                ))
            });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        bad(format!(
            "not valid UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_is_readable_by_others_and_keeps_existing_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.html");
        write_atomic(&p, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o644);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"y").unwrap();
        assert_eq!(mode(&p), 0o640);
    }

    /// The names in `d`, sorted.
    fn listing(d: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_set_is_moved_in_only_when_every_file_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let written =
            write_set(d, &[("a.txt", b"A1".to_vec()), ("b.txt", b"B1".to_vec())]).unwrap();
        assert_eq!(written, [d.join("a.txt"), d.join("b.txt")]);
        // The second file cannot be written (its name has a missing directory in it): the
        // first one is not replaced either, and the staging directory is gone.
        let err = write_set(
            d,
            &[("a.txt", b"A2".to_vec()), ("no/b.txt", b"B2".to_vec())],
        );
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(d.join("a.txt")).unwrap(), "A1");
        assert_eq!(listing(d), ["a.txt", "b.txt"]);

        // A staging directory of a process killed two hours ago goes; a fresh one (maybe a
        // running process's) stays.
        let old = d.join(format!("{STAGING_PREFIX}old"));
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("report.html"), "half").unwrap();
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
            .unwrap();
        let fresh = d.join(format!("{STAGING_PREFIX}fresh"));
        std::fs::create_dir(&fresh).unwrap();
        write_set(d, &[("a.txt", b"A3".to_vec())]).unwrap();
        assert!(!old.exists() && fresh.is_dir());
        assert_eq!(std::fs::read_to_string(d.join("a.txt")).unwrap(), "A3");
    }

    #[test]
    fn output_paths_are_checked_without_writing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("file"), "x").unwrap();
        std::fs::create_dir(d.join("out")).unwrap();
        std::fs::create_dir(d.join("out/findings.csv")).unwrap();
        assert!(check_output_dir(&d.join("new/deeper"), &["findings.csv"]).is_ok());
        assert!(check_output_dir(&d.join("out"), &["report.html"]).is_ok());
        let e = check_output_dir(&d.join("out"), &["report.html", "findings.csv"])
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("out/findings.csv: is a directory, so the report findings.csv cannot be written there; move or rename it"), "{e}");
        let e = check_output_dir(&d.join("file/out"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("file: exists and is not a directory, so nothing can be written into it"),
            "{e}"
        );
        assert!(check_output_file(&d.join("new/inventory.json")).is_ok());
        let e = check_output_file(&d.join("out")).unwrap_err().to_string();
        assert!(
            e.contains("out: is a directory; give the name of the file to write"),
            "{e}"
        );
        assert!(check_output_file(&d.join("file/inventory.json")).is_err());
        // Nothing was made or left behind.
        assert_eq!(listing(d), ["file", "out"]);
    }

    #[test]
    fn reads_utf8_with_or_without_bom_and_utf16_with_bom() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        let text = "Host,Port Group\r\nesx1,管理网络\r\n";
        let cases: Vec<Vec<u8>> = vec![
            text.as_bytes().to_vec(),
            [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
            [0xFF, 0xFE]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            [0xFE, 0xFF]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
        ];
        for bytes in cases {
            std::fs::write(&p, &bytes).unwrap();
            assert_eq!(read_text(&p).unwrap(), text);
        }
        std::fs::write(&p, b"PK\x03\x04rest").unwrap();
        let err = read_text(&p).unwrap_err().to_string();
        assert!(
            err.contains("ZIP archive (an Excel .xlsx workbook?)"),
            "{err}"
        );
        std::fs::write(&p, [0xFF, 0xFE, 0x41]).unwrap();
        assert!(read_text(&p)
            .unwrap_err()
            .to_string()
            .contains("odd number of bytes"));
        std::fs::write(&p, b"ok\xC3(").unwrap();
        let err = read_text(&p).unwrap_err().to_string();
        assert!(
            err.ends_with("t.csv: not valid UTF-8 text (byte 2)"),
            "{err}"
        );
    }
}
