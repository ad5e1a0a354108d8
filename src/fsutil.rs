//! File helpers: atomic writes so that a failed run never clobbers reports already written.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Location, Result};

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

/// The default of the largest input file vmkaudit reads (`max_input_bytes`, `--max-input-bytes`):
/// 2 GiB. The largest estate vmkaudit is built for (15 vCenters of 2,500 hosts) is about 100 MB
/// as an inventory file and 15 MB as an RVTools export, so real files stay far below it, while a
/// device, an endless stream or a wrong file several gigabytes long is refused before it can
/// take the machine's memory.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 2 << 30;

/// Read a whole file as text: UTF-8 (a leading byte-order mark is dropped), or UTF-16 when the
/// file starts with a UTF-16 byte-order mark (what Windows PowerShell 5.1 writes with
/// `> file` or `-Encoding Unicode`). Any readable file: a named pipe or `/dev/stdin` too (a
/// password file can be one); inputs to import go through [`open_input`] instead.
pub fn read_text(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_string(path, TextReader::new(path, Box::new(file))?, 0)
}

/// Read a whole input file as text like [`read_text`], refusing what [`open_input`] refuses.
pub fn read_input(path: &Path, max_bytes: u64) -> Result<String> {
    let text = open_input(path, max_bytes)?;
    let size = text.size_hint();
    read_string(path, text, size)
}

/// The rest of `src` (text of `path` from a [`TextReader`]) as one string; `size` is the
/// expected length, to allocate once.
pub fn read_string(path: &Path, mut src: impl Read, size: usize) -> Result<String> {
    let mut bytes = Vec::with_capacity(size);
    src.read_to_end(&mut bytes)
        .map_err(|e| input_read_error(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::input(
            Location::file(path),
            format!(
                "not valid UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Open an input file (an inventory or an export) as a stream of UTF-8 text, decoded as
/// [`read_text`] does. It must be a regular file (not a directory, device such as `/dev/zero`,
/// or named pipe: those can be endless) of at most `max_bytes`; anything else is an input error
/// naming the file and the limit. A file that grows past the limit while it is read fails
/// the read the same way.
pub fn open_input(path: &Path, max_bytes: u64) -> Result<TextReader> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a named pipe waits for a writer: open without waiting, then refuse it below.
    // (Reads of a regular file do not heed the flag.)
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    // The metadata of the opened file, not of the path: what is checked is what is read.
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let refuse = |what: String| Error::input(Location::file(path), what);
    if !meta.is_file() {
        return Err(refuse(format!(
            "not a regular file but {}: give an inventory file or an export saved as a file",
            file_kind(&meta)
        )));
    }
    if meta.len() > max_bytes {
        return Err(refuse(format!(
            "the file is {} bytes, more than the limit of {max_bytes} bytes for an input file; \
             raise it with `max_input_bytes` in the configuration or `--max-input-bytes` if \
             the file is right",
            meta.len()
        )));
    }
    let mut text = TextReader::new(
        path,
        Box::new(Limited {
            inner: file,
            max: max_bytes,
            left: max_bytes,
        }),
    )?;
    text.size_hint = usize::try_from(meta.len()).unwrap_or(0);
    Ok(text)
}

/// What a non-regular file is, for messages.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Why the text of an input file could not be read, carried inside the `io::Error` of a
/// [`TextReader`] read so that [`input_read_error`] can turn it into a located input error.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// The file grew past the input limit while it was read.
    #[error(
        "the file grew past the limit of {max_bytes} bytes for an input file while it was read"
    )]
    TooLarge { max_bytes: u64 },
    /// Not valid UTF-16 at `line`.
    #[error("not valid UTF-16 text ({what})")]
    Utf16 { line: usize, what: String },
}

/// The error of a failed read of a [`TextReader`] over `path`: a [`TextError`] as a located
/// input error, anything else as an I/O error.
pub fn input_read_error(path: &Path, e: std::io::Error) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TextError>())
    {
        Some(t @ TextError::Utf16 { line, .. }) => {
            Error::input(Location::at(path, *line, None), t.to_string())
        }
        Some(t @ TextError::TooLarge { .. }) => Error::input(Location::file(path), t.to_string()),
        None => Error::io(path, e),
    }
}

/// Fails a read past `left` bytes with [`TextError::TooLarge`].
struct Limited<R> {
    inner: R,
    max: u64,
    left: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                TextError::TooLarge {
                    max_bytes: self.max,
                },
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A file's content as UTF-8 text, read as it streams in: a UTF-8 byte-order mark is dropped,
/// UTF-8 passes through unchanged (its validity is the reader's business: the CSV reader
/// checks each record, [`read_text`] the whole text), and UTF-16 with a byte-order mark is
/// decoded to UTF-8 on the way. A ZIP archive (an `.xlsx` given for a CSV) is refused at once.
pub struct TextReader {
    src: Box<dyn Read + Send>,
    utf16: Option<Utf16>,
    /// The file's size, to size a buffer for a whole read.
    size_hint: usize,
}

/// The state of a streaming UTF-16 decoder.
struct Utf16 {
    big_endian: bool,
    /// Raw bytes read but not decoded yet (an odd byte, a high surrogate awaiting its pair).
    raw: Vec<u8>,
    /// Decoded UTF-8 not handed out yet, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// Lines decoded so far, for the position of an error.
    line: usize,
}

impl TextReader {
    /// The file's size in bytes (0 when not known).
    pub fn size_hint(&self) -> usize {
        self.size_hint
    }

    /// Decide how `src` (the content of `path`) is decoded from its first bytes.
    fn new(path: &Path, mut src: Box<dyn Read + Send>) -> Result<TextReader> {
        let mut head = [0u8; 4];
        let mut n = 0;
        while n < head.len() {
            match src.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(input_read_error(path, e)),
            }
        }
        let head = &head[..n];
        if head.starts_with(b"PK\x03\x04") {
            return Err(Error::input(
                Location::file(path),
                "not a text file but a ZIP archive (an Excel .xlsx workbook?): export or save it \
                 as CSV (for RVTools, the vSC_VMK tab as RVTools_tabvSC_VMK.csv)",
            ));
        }
        let (skip, utf16) = match head {
            [0xEF, 0xBB, 0xBF, ..] => (3, None),
            [0xFF, 0xFE, ..] => (2, Some(false)),
            [0xFE, 0xFF, ..] => (2, Some(true)),
            _ => (0, None),
        };
        let rest = std::io::Cursor::new(head[skip..].to_vec()).chain(src);
        Ok(TextReader {
            src: Box::new(rest),
            utf16: utf16.map(|big_endian| Utf16 {
                big_endian,
                raw: Vec::new(),
                out: Vec::new(),
                pos: 0,
                line: 1,
            }),
            size_hint: 0,
        })
    }
}

impl Read for TextReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(u) = self.utf16.as_mut() else {
            return self.src.read(buf);
        };
        while u.pos == u.out.len() {
            if !u.refill(&mut self.src)? {
                return Ok(0);
            }
        }
        let n = buf.len().min(u.out.len() - u.pos);
        buf[..n].copy_from_slice(&u.out[u.pos..u.pos + n]);
        u.pos += n;
        Ok(n)
    }
}

impl Utf16 {
    /// Decode the next chunk of `src` into `out`; `false` at the end of the input.
    fn refill(&mut self, src: &mut dyn Read) -> std::io::Result<bool> {
        const CHUNK: usize = 64 << 10;
        self.out.clear();
        self.pos = 0;
        let kept = self.raw.len();
        self.raw.resize(kept + CHUNK, 0);
        let n = loop {
            match src.read(&mut self.raw[kept..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                r => break r?,
            }
        };
        self.raw.truncate(kept + n);
        let eof = n == 0;
        if eof && self.raw.is_empty() {
            return Ok(false);
        }
        let bad = |line: usize, what: String| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                TextError::Utf16 { line, what },
            )
        };
        if eof && self.raw.len() % 2 != 0 {
            return Err(bad(self.line, "odd number of bytes".into()));
        }
        let pairs = self.raw.len() / 2;
        let unit = |c: &[u8]| {
            if self.big_endian {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        };
        // A high surrogate at the end of the chunk waits for its pair in the next one.
        let mut usable = pairs;
        if !eof && usable > 0 {
            let last = unit(&self.raw[2 * (usable - 1)..2 * usable]);
            if (0xD800..0xDC00).contains(&last) {
                usable -= 1;
            }
        }
        let units = self.raw[..2 * usable].chunks_exact(2).map(unit);
        for c in char::decode_utf16(units) {
            match c {
                Ok(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    let mut b = [0u8; 4];
                    self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
                Err(e) => {
                    return Err(bad(
                        self.line,
                        format!("unpaired surrogate {:#06x}", e.unpaired_surrogate()),
                    ))
                }
            }
        }
        self.raw.drain(..2 * usable);
        Ok(true)
    }
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
