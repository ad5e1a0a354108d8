//! File helpers: atomic writes so that a failed run never clobbers reports already written.
//!
//! [`write_atomic`] replaces one file atomically; [`write_set`] writes a set of files (the
//! reports of one run) into a staging directory first and moves them in only when every one
//! was written. [`check_output_dir`] and [`check_output_file`] check, before any long work
//! (an import, a collection), that an output path can be written at all.

use std::io::{Read, Write};
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

/// The directory a file at `path` goes into (`.` for a bare file name).
pub fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Like [`write_atomic`], but the content is written by `fill` into a buffered writer over the
/// temporary file (a big file need not be built in memory first). An error from `fill` leaves
/// `path` untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = dir_of(path);
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

/// Write the files `(name, content)` into `dir` as one set ([`Staging`]): a failure before
/// every file was written leaves the files already in `dir` as they were. Returns the paths
/// written, in the order given.
pub fn write_set(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let staging = Staging::new(dir, &names)?;
    files
        .par_iter()
        .try_for_each(|(name, bytes)| staging.write(name, bytes))?;
    staging.commit()
}

/// A set of files written into a directory as one: every file is first written (and synced)
/// into a staging directory inside `dir` as soon as it is ready (so that a large set is not
/// held in memory until the last file is rendered), and only when all were written are they
/// renamed into place, each atomically ([`Staging::commit`]). Dropped before that, it removes
/// what it staged, leaving the files already in `dir` as they were; staging directories left
/// by a killed process are removed an hour later.
pub struct Staging {
    dir: PathBuf,
    names: Vec<String>,
    staging: tempfile::TempDir,
}

impl Staging {
    /// Stage the files `names` (in this order) for `dir`, which is created if missing.
    pub fn new(dir: &Path, names: &[&str]) -> Result<Self> {
        ensure_dir(dir)?;
        // Staging directories of a run killed mid-write.
        remove_stale(dir, &[STAGING_PREFIX]);
        check_targets(dir, names)?;
        let staging = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            names: names.iter().map(|n| n.to_string()).collect(),
            staging,
        })
    }

    /// Write and sync file `name` (one of the set's) into the staging directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.write_with(name, |w, path| {
            w.write_all(bytes).map_err(|e| Error::io(path, e))
        })
    }

    /// Write file `name` (one of the set's) into the staging directory with `write`, which is
    /// given a buffered writer and the staged file's path (for its errors), then sync it.
    pub fn write_with(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write, &Path) -> Result<()>,
    ) -> Result<()> {
        let staged = self.staging.path().join(name);
        let file = std::fs::File::create(&staged).map_err(|e| Error::io(&staged, e))?;
        let mut out = std::io::BufWriter::with_capacity(256 << 10, file);
        write(&mut out, &staged)?;
        let file = out
            .into_inner()
            .map_err(|e| Error::io(&staged, e.into_error()))?;
        set_mode_for(&file, &self.dir.join(name))?;
        file.sync_all().map_err(|e| Error::io(&staged, e))
    }

    /// Move every staged file into place. Returns the paths written, in the order of the set.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        // Check the targets again right before, so that a directory that appeared in the
        // meantime stops the move before the first file.
        check_targets(&self.dir, &names)?;
        let mut written = Vec::with_capacity(names.len());
        for name in names {
            let to = self.dir.join(name);
            std::fs::rename(self.staging.path().join(name), &to).map_err(|e| Error::io(&to, e))?;
            written.push(to);
        }
        if let Err(e) = self.staging.close() {
            tracing::warn!(
                "could not remove the staging directory in {}: {e}",
                self.dir.display()
            );
        }
        Ok(written)
    }
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
    let (file, len) = open_regular(path, max_bytes)?;
    let mut text = TextReader::new(
        path,
        Box::new(Limited {
            inner: file,
            max: max_bytes,
            left: max_bytes,
            stream: false,
        }),
    )?;
    text.size_hint = usize::try_from(len).unwrap_or(0);
    Ok(text)
}

/// An input file as [`open_any_input`] opens it.
pub enum Input {
    /// Text, decoded as [`open_input`] does.
    Text(TextReader),
    /// The whole content of a ZIP archive (an Excel `.xlsx` workbook), read into memory.
    Zip(Vec<u8>),
}

/// Open an input file like [`open_input`] (the same refusals and size limit), but read a ZIP
/// archive (an `.xlsx` workbook) whole as bytes instead of refusing it.
pub fn open_any_input(path: &Path, max_bytes: u64) -> Result<Input> {
    let (mut file, len) = open_regular(path, max_bytes)?;
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let mut src = Limited {
        inner: std::io::Cursor::new(head[..n].to_vec()).chain(file),
        max: max_bytes,
        left: max_bytes,
        stream: false,
    };
    if head[..n].starts_with(b"PK\x03\x04") {
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        src.read_to_end(&mut bytes)
            .map_err(|e| input_read_error(path, e))?;
        return Ok(Input::Zip(bytes));
    }
    let mut text = TextReader::new(path, Box::new(src))?;
    text.size_hint = usize::try_from(len).unwrap_or(0);
    Ok(Input::Text(text))
}

/// Open `path` for reading if it is a regular file of at most `max_bytes`; its length.
fn open_regular(path: &Path, max_bytes: u64) -> Result<(std::fs::File, u64)> {
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
    Ok((file, meta.len()))
}

/// Open standard input as an input (`vmkaudit check -`), named `name` in messages: decoded
/// as [`open_input`] decodes a file, and refused with an input error once more than
/// `max_bytes` were read (a pipe has no size to check before).
pub fn open_stdin(name: &Path, max_bytes: u64) -> Result<TextReader> {
    TextReader::new(
        name,
        Box::new(Limited {
            inner: std::io::stdin(),
            max: max_bytes,
            left: max_bytes,
            stream: true,
        }),
    )
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
    /// Standard input went on past the input limit.
    #[error(
        "more than the limit of {max_bytes} bytes for an input arrived; raise it with \
         `--max-input-bytes` if the input is right"
    )]
    StreamTooLarge { max_bytes: u64 },
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
        Some(t @ (TextError::TooLarge { .. } | TextError::StreamTooLarge { .. })) => {
            Error::input(Location::file(path), t.to_string())
        }
        None => Error::io(path, e),
    }
}

/// Fails a read past `left` bytes with [`TextError::TooLarge`].
struct Limited<R> {
    inner: R,
    max: u64,
    left: u64,
    /// Standard input rather than a file (which can only grow past the limit).
    stream: bool,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            let max_bytes = self.max;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                if self.stream {
                    TextError::StreamTooLarge { max_bytes }
                } else {
                    TextError::TooLarge { max_bytes }
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
