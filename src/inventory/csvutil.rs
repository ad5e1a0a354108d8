//! Shared plumbing of the CSV importers (RVTools, PowerCLI).
//!
//! [`CsvTable::open`] reads an export the way the tools write it: an optional UTF-8 byte-order
//! mark, an optional PowerShell `#TYPE ...` first line, a header whose delimiter (`,`, `;` or
//! tab) is recognised from the header itself, then records, handed out one at a time as they
//! are read ([`CsvTable::next_row`]): a big export never sits in memory whole, the importers
//! build the model row by row ([`CsvTable::parse`] does the same over a string). Columns are
//! looked up by name (trimmed, case-insensitive), so their order does not matter; a missing
//! required column, a row with the wrong number of fields, or a value that is not a boolean or
//! a number is an [`Error::input`] naming the file, the line (1-based, counting the header and
//! a `#TYPE` line), the column and the bad value. [`HostTable`] groups the per-vmk rows into
//! hosts in first-seen order and refuses the same device twice on one host.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use crate::error::{Error, Location, Result};
use crate::findings::Data;
use crate::model::{Host, Inventory, Source, SourceKind, Vmk};

/// One column of the header, as found in the file.
#[derive(Debug, Clone)]
pub struct Col {
    /// Position in each record.
    pub index: usize,
    /// The header text as written (trimmed), for messages.
    pub name: String,
}

/// A CSV export being read: the header, then one record at a time ([`CsvTable::next_row`]), so
/// that a big export never sits in memory as a whole (only the record being read does).
pub struct CsvTable<'p> {
    pub path: &'p Path,
    /// Header names as written (trimmed, quotes removed).
    pub headers: Vec<String>,
    /// Normalised header name → column index.
    index: HashMap<String, usize>,
    /// 1-based line of the header in the file (2 when a `#TYPE` line precedes it).
    pub header_line: usize,
    reader: csv::Reader<Tracked>,
    lines: Rc<RefCell<LineBreaks>>,
    /// The record being read (one buffer for all of them).
    record: csv::StringRecord,
}

/// The key columns are looked up by: trimmed, lowercase, inner whitespace collapsed.
pub fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Pick the delimiter of a header line: the most frequent of `,` `;` tab outside quotes
/// (`,` wins ties, and is the answer for a one-column header).
pub fn sniff_delimiter(header: &str) -> u8 {
    let (mut comma, mut semi, mut tab) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semi += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if semi > comma && semi >= tab {
        b';'
    } else if tab > comma && tab > semi {
        b'\t'
    } else {
        b','
    }
}

/// Whether `text` starts with a PowerShell `#TYPE` line, and its header's column names
/// (normalised), for format detection. Never fails: unreadable input gives no names.
pub fn header_names(text: &str) -> (bool, Vec<String>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let has_type = text.starts_with("#TYPE");
    let Some(first) = text
        .lines()
        .skip(usize::from(has_type))
        .find(|l| !l.trim().is_empty())
    else {
        return (has_type, Vec::new());
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(first))
        .has_headers(false)
        .from_reader(first.as_bytes());
    let names = match reader.records().next() {
        Some(Ok(rec)) => rec.iter().map(normalize).collect(),
        _ => Vec::new(),
    };
    (has_type, names)
}

impl std::fmt::Debug for CsvTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvTable")
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("header_line", &self.header_line)
            .finish_non_exhaustive()
    }
}

impl<'p> CsvTable<'p> {
    /// Parse `text` (the whole content of `path`, a byte-order mark allowed) up to the header;
    /// `what` names the format in messages, with its article ("an RVTools vSC_VMK CSV export").
    pub fn parse(path: &'p Path, text: &str, what: &str) -> Result<CsvTable<'p>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self::open(
            path,
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            what,
        )
    }

    /// Start reading `src`, the UTF-8 text of `path` without a byte-order mark (as
    /// [`crate::fsutil::open_input`] gives it): an optional `#TYPE` line, then the header.
    pub fn open(path: &'p Path, src: Box<dyn Read + Send>, what: &str) -> Result<CsvTable<'p>> {
        let mut src = BufReader::with_capacity(64 << 10, src);
        let read_err = |e| crate::fsutil::input_read_error(path, e);
        let mut head = Vec::new();
        src.read_until(b'\n', &mut head).map_err(read_err)?;
        let mut header_line = 1;
        if head.starts_with(b"#TYPE") {
            // PowerShell's Export-Csv type line (without -NoTypeInformation).
            head.clear();
            header_line = 2;
        }
        // The header is the first non-blank line (the csv reader skips blank lines too); its
        // delimiter is the file's. The lines read to find it are read again by the csv reader.
        let mut start = 0;
        let first = loop {
            let line = &head[start..];
            if !line.trim_ascii().is_empty() {
                break Some(String::from_utf8_lossy(line).into_owned());
            }
            start = head.len();
            if src.read_until(b'\n', &mut head).map_err(read_err)? == 0 {
                break None;
            }
        };
        let Some(first) = first else {
            return Err(Error::input(
                Location::at(path, header_line, None),
                format!("empty file: expected the header line of {what}"),
            ));
        };
        let lines = Rc::new(RefCell::new(LineBreaks {
            skipped: header_line - 1,
            ..LineBreaks::default()
        }));
        let tracked = Tracked {
            inner: Box::new(std::io::Cursor::new(head).chain(src)),
            lines: Rc::clone(&lines),
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sniff_delimiter(&first))
            .has_headers(true)
            .flexible(true)
            .from_reader(tracked);
        let header_record = reader
            .headers()
            .map_err(|e| csv_error(path, &lines, e))?
            .clone();
        if let Some(pos) = header_record.position() {
            header_line = lines.borrow_mut().line_at(pos.byte());
        }
        let headers: Vec<String> = header_record
            .iter()
            .map(|h| h.trim().trim_matches('"').trim().to_string())
            .collect();
        let mut index = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                continue;
            }
            if index.insert(normalize(h), i).is_some() {
                return Err(Error::input(
                    Location::at(path, header_line, None),
                    format!("column \"{h}\" appears twice in the header"),
                ));
            }
        }
        Ok(CsvTable {
            path,
            headers,
            index,
            header_line,
            reader,
            lines,
            record: csv::StringRecord::new(),
        })
    }

    /// The next record as a [`Row`], `None` after the last one. A record with a different
    /// number of fields than the header, or text that is not UTF-8, is an error at its line.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(csv_error(self.path, &self.lines, e)),
        }
        let line = match self.record.position() {
            Some(p) => self.lines.borrow_mut().line_at(p.byte()),
            None => self.header_line + 1,
        };
        let rec = &self.record;
        if rec.len() != self.headers.len() {
            // A quote that is never closed runs on over the following lines.
            let hint = if rec.iter().any(|f| f.contains('\n')) {
                " (a quoted field here runs over several lines: closing `\"` missing?)"
            } else {
                ""
            };
            return Err(Error::input(
                Location::at(self.path, line, None),
                format!(
                    "row has {} but the header has {} columns{hint}",
                    if rec.len() == 1 {
                        "1 field".to_string()
                    } else {
                        format!("{} fields", rec.len())
                    },
                    self.headers.len()
                ),
            ));
        }
        Ok(Some(Row {
            path: self.path,
            line,
            rec,
            sheet: None,
        }))
    }
}

/// A table of an export being read row by row: a CSV file ([`CsvTable`]) or a workbook sheet
/// ([`super::rvtools_xlsx::SheetTable`]). Columns are found by name (see [`normalize`]).
pub trait Table {
    /// The file the table is in.
    fn path(&self) -> &Path;
    /// The header names as written (trimmed).
    fn headers(&self) -> &[String];
    /// The index of the column whose normalised name is `key`.
    fn index_of(&self, key: &str) -> Option<usize>;
    /// An error located at the header.
    fn header_error(&self, message: String) -> Error;
    /// The table for messages: the file, and the sheet of a workbook.
    fn describe(&self) -> String {
        self.path().display().to_string()
    }
    /// The next row, `None` after the last one.
    fn next_row(&mut self) -> Result<Option<Row<'_>>>;

    /// The column named `name` (any case, surrounding spaces ignored), if present.
    fn col(&self, name: &str) -> Option<Col> {
        self.index_of(&normalize(name)).map(|index| Col {
            index,
            name: self.headers()[index].clone(),
        })
    }

    /// The first of `names` that is present.
    fn col_any(&self, names: &[&str]) -> Option<Col> {
        names.iter().find_map(|n| self.col(n))
    }

    /// The column named `name`, or an error at the header line naming it.
    fn require(&self, name: &str, what: &str) -> Result<Col> {
        self.col(name).ok_or_else(|| {
            self.header_error(format!(
                "missing required column \"{name}\": this does not look like {what} \
                 (columns found: {})",
                self.headers().join(", ")
            ))
        })
    }

    /// Header names not in `known` (compared normalised), in file order.
    fn unknown_columns(&self, known: &[&str]) -> Vec<String> {
        let known: Vec<String> = known.iter().map(|k| normalize(k)).collect();
        self.headers()
            .iter()
            .filter(|h| !h.is_empty() && !known.contains(&normalize(h)))
            .cloned()
            .collect()
    }

    /// Log a warning naming the columns not in `known` (tools add columns between versions).
    fn warn_unknown(&self, known: &[&str], what: &str) {
        let unknown = self.unknown_columns(known);
        if !unknown.is_empty() {
            tracing::warn!(
                "{}: ignoring unknown {what} column(s): {}",
                self.describe(),
                unknown.join(", ")
            );
        }
    }

    /// Log one warning naming the `needed` columns (each with the data it gives) that the header
    /// lacks: without them that data is unknown for every vmk of the file, and the evaluation
    /// reports the checks that need it as not checked (once for the file, see
    /// `evaluate`). A name that is no column (a description of a group of columns)
    /// counts as missing.
    fn warn_missing(&self, needed: &[(Data, &[&str])], format: &str) {
        let mut names = Vec::new();
        let mut unknown = Vec::new();
        for (data, cols) in needed {
            let missing: Vec<&str> = cols
                .iter()
                .copied()
                .filter(|c| self.col(c).is_none())
                .collect();
            if !missing.is_empty() {
                names.extend(missing);
                unknown.push(data.label().english());
            }
        }
        if !names.is_empty() {
            tracing::warn!(
                "{}: this {format} export has no column {}: {} stay unknown for every vmk, and \
                 the checks that need them are reported as not checked",
                self.describe(),
                names.join(", "),
                unknown.join(" and ")
            );
        }
    }
}

impl Table for CsvTable<'_> {
    fn path(&self) -> &Path {
        self.path
    }

    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    fn header_error(&self, message: String) -> Error {
        Error::input(Location::at(self.path, self.header_line, None), message)
    }

    fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        CsvTable::next_row(self)
    }
}

/// The line breaks of a CSV stream between the record being located and what the csv reader
/// has read ahead, to turn record offsets into line numbers without keeping the text. (The csv
/// crate's own line numbers are off by one after CRLF line ends.)
#[derive(Debug, Default)]
struct LineBreaks {
    /// Offsets of the `\r` and `\n` bytes not passed yet, each with whether it is a `\n`.
    pending: VecDeque<(u64, bool)>,
    /// `\n` bytes before the first pending one.
    newlines: usize,
    /// Bytes read so far.
    read: u64,
    /// Lines of the file before the stream starts (a `#TYPE` line).
    skipped: usize,
}

impl LineBreaks {
    /// The 1-based line of the first byte at or after `byte` that is not a line break (a
    /// record's reported start may be the line break ending the previous record). Offsets
    /// asked for never go back: records are located in file order.
    fn line_at(&mut self, byte: u64) -> usize {
        while let Some(&(at, lf)) = self.pending.front() {
            if at >= byte {
                break;
            }
            self.newlines += usize::from(lf);
            self.pending.pop_front();
        }
        // The line breaks right at `byte`, one after the other.
        let more: usize = (byte..)
            .zip(&self.pending)
            .take_while(|(at, (b, _))| b == at)
            .map(|(_, (_, lf))| usize::from(*lf))
            .sum();
        self.skipped + self.newlines + more + 1
    }
}

/// The CSV input, noting its line breaks on the way to the csv reader.
struct Tracked {
    inner: Box<dyn Read + Send>,
    lines: Rc<RefCell<LineBreaks>>,
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut l = self.lines.borrow_mut();
        let base = l.read;
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            l.pending.push_back((base + i as u64, buf[i] == b'\n'));
        }
        l.read += n as u64;
        Ok(n)
    }
}

fn csv_error(path: &Path, lines: &RefCell<LineBreaks>, e: csv::Error) -> Error {
    let loc = match e.position() {
        Some(p) => Location::at(path, lines.borrow_mut().line_at(p.byte()), None),
        None => Location::file(path),
    };
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        // A read error of the file or of its decoding (UTF-16, the size limit).
        csv::ErrorKind::Io(_) => match e.into_kind() {
            csv::ErrorKind::Io(io) => return crate::fsutil::input_read_error(path, io),
            other => format!("malformed CSV: {other:?}"),
        },
        _ => format!("malformed CSV: {e}"),
    };
    Error::input(loc, msg)
}

/// One data row, with what is needed to report a bad value.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub path: &'a Path,
    /// 1-based line of the record in the file (the row number in a workbook sheet).
    pub line: usize,
    pub rec: &'a csv::StringRecord,
    /// The sheet of a workbook and the 0-based column of its first field; `None` in a CSV.
    pub sheet: Option<(&'a str, usize)>,
}

/// The spreadsheet name of 0-based column `index`: `A`, ..., `Z`, `AA`, ...
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let d = (n - 1) % 26;
        out.push(b'A' + d as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A non-negative whole number as written in any locale: digits with an optional thousands
/// separator between groups of three (a space, a no-break or narrow no-break space, `'`, `.`
/// or `,`; one kind per number): `9000`, `9 000`, `9.000`, `9,000`. A fraction (`1.5`,
/// `1500.0`), `9k` or a number above `u32::MAX` is `None`.
pub fn parse_whole(text: &str) -> Option<u32> {
    const SEPARATORS: [char; 6] = [' ', '\u{a0}', '\u{202f}', '\'', '.', ','];
    let t = text.trim();
    let mut kind: Option<char> = None;
    for c in t.chars().filter(|c| !c.is_ascii_digit()) {
        if !SEPARATORS.contains(&c) || kind.is_some_and(|k| k != c) {
            return None;
        }
        kind = Some(c);
    }
    let Some(sep) = kind else {
        return t.parse().ok();
    };
    let groups: Vec<&str> = t.split(sep).collect();
    let grouped = (1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3);
    if grouped {
        groups.concat().parse().ok()
    } else {
        None
    }
}

impl Row<'_> {
    /// The trimmed text of `col`; `None` when the column is absent or the cell is empty.
    pub fn text(&self, col: Option<&Col>) -> Option<String> {
        let v = self.rec.get(col?.index)?.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// An error about this row: at its line in a CSV, at its sheet and row in a workbook.
    pub fn located(&self, message: impl std::fmt::Display) -> Error {
        match self.sheet {
            None => Error::input(
                Location::at(self.path, self.line, None),
                message.to_string(),
            ),
            Some((sheet, _)) => Error::input(
                Location::file(self.path),
                format!("sheet {sheet}, row {}: {message}", self.line),
            ),
        }
    }

    /// An error at this row about `col`.
    pub fn error(&self, col: &Col, message: impl std::fmt::Display) -> Error {
        match self.sheet {
            None => self.located(format_args!("column \"{}\": {message}", col.name)),
            Some((sheet, first)) => Error::input(
                Location::file(self.path),
                format!(
                    "sheet {sheet}, row {}, column \"{}\" ({}): {message}",
                    self.line,
                    col.name,
                    column_letter(first + col.index)
                ),
            ),
        }
    }

    /// A required cell: present and not empty.
    pub fn required(&self, col: &Col) -> Result<String> {
        self.text(Some(col))
            .ok_or_else(|| self.error(col, "empty, but a value is required"))
    }

    /// `True`/`False` (any case; also `yes`/`no`, `1`/`0`); empty → `None`.
    pub fn bool(&self, col: Option<&Col>) -> Result<Option<bool>> {
        let Some(v) = self.text(col) else {
            return Ok(None);
        };
        match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            _ => Err(self.error(
                col.expect("text() found the column"),
                format!("\"{v}\" is not a boolean (expected True or False)"),
            )),
        }
    }

    /// A non-negative whole number; empty → `None`. Written as the tools and spreadsheets of
    /// any locale write it (see [`parse_whole`]): `9000`, `9 000`, `9.000`, `9,000`.
    pub fn u32(&self, col: Option<&Col>) -> Result<Option<u32>> {
        let Some(v) = self.text(col) else {
            return Ok(None);
        };
        parse_whole(&v).map(Some).ok_or_else(|| {
            self.error(
                col.expect("text() found the column"),
                format!("\"{v}\" is not a whole number"),
            )
        })
    }

    /// IPv6 addresses in a cell (separated by commas, semicolons or spaces). Tokens that are not
    /// addresses are dropped: Export-Csv writes an array property as its type name
    /// (`System.String[]`), which carries no data.
    pub fn ipv6_list(&self, col: Option<&Col>) -> Vec<String> {
        let Some(v) = self.text(col) else {
            return Vec::new();
        };
        v.split([',', ';', ' '])
            .map(str::trim)
            .filter(|t| {
                let addr = t.split('/').next().unwrap_or("");
                addr.parse::<std::net::Ipv6Addr>().is_ok()
            })
            .map(str::to_string)
            .collect()
    }
}

/// The header names of the vmk fields both CSV formats carry.
pub struct VmkColumnNames {
    pub portgroup: &'static str,
    pub ipv4: &'static str,
    pub netmask: &'static str,
    pub mac: &'static str,
    pub dhcp: &'static str,
    pub mtu: &'static str,
    pub ipv6: &'static str,
}

/// Those columns as found in one file (each may be absent: its values are then unknown).
pub struct VmkColumns {
    portgroup: Option<Col>,
    ipv4: Option<Col>,
    netmask: Option<Col>,
    mac: Option<Col>,
    dhcp: Option<Col>,
    mtu: Option<Col>,
    ipv6: Option<Col>,
}

impl VmkColumns {
    pub fn find(t: &dyn Table, names: &VmkColumnNames) -> VmkColumns {
        VmkColumns {
            portgroup: t.col(names.portgroup),
            ipv4: t.col(names.ipv4),
            netmask: t.col(names.netmask),
            mac: t.col(names.mac),
            dhcp: t.col(names.dhcp),
            mtu: t.col(names.mtu),
            ipv6: t.col(names.ipv6),
        }
    }

    /// The vmk `device` of `row` with the common fields filled in (empty cells → `None`).
    pub fn read(&self, row: &Row<'_>, device: String) -> Result<Vmk> {
        Ok(Vmk {
            portgroup: row.text(self.portgroup.as_ref()),
            ipv4: row.text(self.ipv4.as_ref()),
            netmask: row.text(self.netmask.as_ref()),
            dhcp: row.bool(self.dhcp.as_ref())?,
            mtu: row.u32(self.mtu.as_ref())?,
            mac: row.text(self.mac.as_ref()),
            ipv6: row.ipv6_list(self.ipv6.as_ref()),
            ..Vmk::named(device)
        })
    }
}

/// Collects vmk rows into hosts, in the order hosts first appear in the file (and vmks in file
/// order within a host), so the result follows the export and is deterministic.
#[derive(Debug, Default)]
pub struct HostTable {
    hosts: Vec<Host>,
    /// The line of each vmk's row, per host in the order of its vmks.
    lines: Vec<Vec<usize>>,
    by_name: HashMap<String, usize>,
    /// Device → vmk index of the hosts with [`HostTable::SCAN`] vmks or more (fewer are
    /// scanned: cheaper than a map per host, and the usual case).
    many: HashMap<usize, HashMap<String, usize>>,
}

impl HostTable {
    /// Up to this many vmks a host's devices are compared one by one.
    const SCAN: usize = 32;

    /// Add `vmk` to host `name` (created by `make` on first sight). The same device twice on one
    /// host is an error at `row`'s line that points at the first one.
    pub fn push(
        &mut self,
        row: &Row<'_>,
        name: &str,
        make: impl FnOnce() -> Host,
        vmk: Vmk,
    ) -> Result<()> {
        let i = match self.by_name.get(name) {
            Some(&i) => i,
            None => {
                self.hosts.push(make());
                self.lines.push(Vec::with_capacity(4));
                self.by_name.insert(name.to_string(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        let vmks = &mut self.hosts[i].vmks;
        let first = if vmks.len() < Self::SCAN {
            vmks.iter().position(|v| v.device == vmk.device)
        } else {
            let index = self.many.entry(i).or_insert_with(|| {
                vmks.iter()
                    .enumerate()
                    .map(|(k, v)| (v.device.clone(), k))
                    .collect()
            });
            let first = index.get(&vmk.device).copied();
            if first.is_none() {
                index.insert(vmk.device.clone(), vmks.len());
            }
            first
        };
        if let Some(k) = first {
            let first = match row.sheet {
                None => format!("line {}", self.lines[i][k]),
                Some(_) => format!("row {}", self.lines[i][k]),
            };
            return Err(row.located(format_args!(
                "{} appears twice for host {name} (first on {first})",
                vmk.device
            )));
        }
        vmks.push(vmk);
        self.lines[i].push(row.line);
        Ok(())
    }

    /// The inventory of one imported file: its hosts, and the file as the only source.
    pub fn into_inventory(self, source: String, kind: SourceKind) -> Inventory {
        let mut inv = Inventory::new();
        inv.sources.push(Source::named(source, kind));
        inv.hosts = self.hosts;
        inv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<CsvTable<'static>> {
        CsvTable::parse(Path::new("t.csv"), text, "test CSV")
    }

    /// Every row's line and the text of `col`.
    fn all_rows(t: &mut CsvTable<'_>, col: Option<&Col>) -> Vec<(usize, Option<String>)> {
        let mut out = Vec::new();
        while let Some(row) = t.next_row().unwrap() {
            out.push((row.line, row.text(col)));
        }
        out
    }

    /// The error of reading `text` to its end.
    fn rows_err(text: &str) -> String {
        let mut t = table(text).unwrap();
        loop {
            match t.next_row() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error in {text:?}"),
                Err(e) => return e.to_string(),
            }
        }
    }

    /// Rows forever, each made only when asked for.
    struct Endless {
        pending: Vec<u8>,
        next: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                self.pending = format!("esx{0},vmk{0}\r\n", self.next).into_bytes();
                self.next += 1;
            }
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn rows_are_read_as_they_arrive() {
        // Each row is handed out as soon as it is read: the table never waits for the end of
        // the input, nor keeps what it has handed out.
        let src = Endless {
            pending: b"#TYPE X\r\n\r\nHost,Device\r\n".to_vec(),
            next: 0,
        };
        let mut t = CsvTable::open(Path::new("big.csv"), Box::new(src), "test CSV").unwrap();
        assert_eq!(t.header_line, 3);
        let device = t.col("device");
        for i in 0..100_000 {
            let row = t.next_row().unwrap().unwrap();
            assert_eq!(row.line, i + 4);
            assert_eq!(row.text(device.as_ref()), Some(format!("vmk{i}")));
        }
        assert!(
            t.lines.borrow().pending.len() < 10_000,
            "line breaks are let go"
        );
    }

    #[test]
    fn header_names_for_detection() {
        let (t, names) = header_names("\u{feff}#TYPE X\r\n\"VM Host\";\"Name\"\r\n1;2\r\n");
        assert!(t);
        assert_eq!(names, vec!["vm host", "name"]);
        assert_eq!(header_names(""), (false, vec![]));
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c"), b',');
        assert_eq!(sniff_delimiter("a;b;c"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("\"a;x\",b"), b',');
        assert_eq!(sniff_delimiter("single"), b',');
    }

    #[test]
    fn columns_by_name_any_case_and_spacing() {
        let mut t = table("\u{feff} Host ;IP  Address;mtu\nh1;10.0.0.1;1500\n").unwrap();
        assert_eq!(t.col("host").unwrap().index, 0);
        assert_eq!(t.col("ip address").unwrap().name, "IP  Address");
        assert_eq!(t.col("MTU").unwrap().index, 2);
        assert!(t.col("Device").is_none());
        let mtu = t.col("mtu");
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(row.line, 2);
        assert_eq!(row.u32(mtu.as_ref()).unwrap(), Some(1500));
    }

    #[test]
    fn type_line_shifts_line_numbers() {
        let mut t = table("#TYPE Some.Type\n\"A\",\"B\"\n\"1\",\"x\"\n").unwrap();
        assert_eq!(t.header_line, 2);
        let b = t.col("b");
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(row.line, 3);
        let err = row.u32(b.as_ref()).unwrap_err().to_string();
        assert_eq!(err, "t.csv:3: column \"B\": \"x\" is not a whole number");
    }

    #[test]
    fn crlf_line_endings() {
        let mut t = table("#TYPE X\r\n\"A\",\"B\"\r\n\"1\",\"2\"\r\n\"3\",\"x\"\r\n").unwrap();
        assert_eq!(t.headers, vec!["A", "B"]);
        let b = t.col("b");
        let rows = all_rows(&mut t, b.as_ref());
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1.as_deref(), Some("x"));
    }

    #[test]
    fn wrong_field_count_is_located() {
        let err = rows_err("a,b\n1,2\n1,2,3\n");
        assert_eq!(
            err,
            "t.csv:3: row has 3 fields but the header has 2 columns"
        );
    }

    #[test]
    fn unclosed_quote_is_named() {
        // The quote opened on line 2 swallows the rest of the file into one field.
        let err = rows_err("a,b,c\n\"x,1,2\ny,3,4\n");
        assert!(
            err.starts_with("t.csv:2: row has 1 field but the header has 3 columns"),
            "{err}"
        );
        assert!(err.contains("closing `\"` missing?"), "{err}");
    }

    #[test]
    fn quoted_multiline_cells_keep_line_numbers_right() {
        let mut t = table("a,b\n\"x\ny\",1\nz,bad\n").unwrap();
        let rows = all_rows(&mut t, None);
        assert_eq!(rows[1].0, 4);
    }

    #[test]
    fn booleans_and_empty_cells() {
        let mut t = table("a,b,c,d\nTrue,false,,maybe\n").unwrap();
        let cols: Vec<_> = ["a", "b", "c", "zz", "d"].map(|c| t.col(c)).into();
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(row.bool(cols[0].as_ref()).unwrap(), Some(true));
        assert_eq!(row.bool(cols[1].as_ref()).unwrap(), Some(false));
        assert_eq!(row.bool(cols[2].as_ref()).unwrap(), None);
        assert_eq!(row.bool(cols[3].as_ref()).unwrap(), None);
        let err = row.bool(cols[4].as_ref()).unwrap_err().to_string();
        assert!(
            err.contains("t.csv:2: column \"d\": \"maybe\" is not a boolean"),
            "{err}"
        );
    }

    #[test]
    fn missing_column_and_duplicates() {
        let t = table("a,b\n").unwrap();
        let err = t.require("Host", "RVTools CSV").unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv:1: missing required column \"Host\""),
            "{err}"
        );
        let err = table("a,A\n").unwrap_err().to_string();
        assert!(err.contains("column \"A\" appears twice"), "{err}");
        assert!(table("").unwrap_err().to_string().contains("empty file"));
    }

    #[test]
    fn unknown_columns_listed_in_order() {
        let t = table("Host,Zeta,device,Alpha\n").unwrap();
        assert_eq!(
            t.unknown_columns(&["host", "Device"]),
            vec!["Zeta", "Alpha"]
        );
    }

    #[test]
    fn whole_numbers_in_any_locale() {
        for (text, want) in [
            ("9000", Some(9000)),
            (" 9000 ", Some(9000)),
            ("9 000", Some(9000)),
            ("9\u{a0}000", Some(9000)),
            ("9\u{202f}000", Some(9000)),
            ("9.000", Some(9000)),
            ("9,000", Some(9000)),
            ("9'000", Some(9000)),
            ("1,000,000", Some(1_000_000)),
            ("9000.0", None),
            ("1500.0", None),
            ("9000,00", None),
            ("9.000,0", None),
            ("1500", Some(1500)),
            ("0", Some(0)),
            ("1.5", None),
            ("1,50", None),
            ("9.00.0", None),
            ("9 000.5", None),
            ("9000.", None),
            (".5", None),
            ("9k", None),
            ("-1", None),
            ("9,000 000", None),
            ("12345.678", None),
            ("99999999999", None),
            ("", None),
        ] {
            assert_eq!(parse_whole(text), want, "{text:?}");
        }
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(12), "M");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn ipv6_cells() {
        let mut t = table("v6\n\"fd00::1, fd00::2/64\"\nSystem.String[]\n").unwrap();
        let col = t.col("v6");
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(row.ipv6_list(col.as_ref()), vec!["fd00::1", "fd00::2/64"]);
        let row = t.next_row().unwrap().unwrap();
        assert!(row.ipv6_list(col.as_ref()).is_empty());
    }
}
