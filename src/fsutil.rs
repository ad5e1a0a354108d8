//! File helpers: atomic writes so that a failed run never clobbers reports already written.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

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
    // Temporary files are created private (0600); reports are meant to be read by the team.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
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
