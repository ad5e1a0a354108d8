//! Shared plumbing of the CSV importers (RVTools, PowerCLI).
//!
//! [`CsvTable::parse`] reads an export the way the tools write it: an optional UTF-8 byte-order
//! mark, an optional PowerShell `#TYPE ...` first line, a header whose delimiter (`,`, `;` or
//! tab) is recognised from the header itself, then records. Columns are looked up by name
//! (trimmed, case-insensitive), so their order does not matter; a missing required column, a row
//! with the wrong number of fields, or a value that is not a boolean or a number is an
//! [`Error::input`] naming the file, the line (1-based, counting the header and a `#TYPE` line),
//! the column and the bad value. [`HostTable`] groups the per-vmk rows into hosts in first-seen
//! order.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::model::{Host, Inventory, Source, SourceKind, Vmk};

/// One column of the header, as found in the file.
#[derive(Debug, Clone)]
pub struct Col {
    /// Position in each record.
    pub index: usize,
    /// The header text as written (trimmed), for messages.
    pub name: String,
}

/// A parsed CSV export: header plus records, each with the line it started on.
#[derive(Debug)]
pub struct CsvTable<'p> {
    pub path: &'p Path,
    /// Header names as written (trimmed, quotes removed).
    pub headers: Vec<String>,
    /// Normalised header name → column index.
    index: HashMap<String, usize>,
    /// 1-based line of the header in the file (2 when a `#TYPE` line precedes it).
    pub header_line: usize,
    pub records: Vec<(usize, csv::StringRecord)>,
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

impl<'p> CsvTable<'p> {
    /// Parse `text` (the content of `path`). `what` names the format in messages, with its
    /// article ("an RVTools vSC_VMK CSV export").
    pub fn parse(path: &'p Path, text: &str, what: &str) -> Result<CsvTable<'p>> {
        let mut text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut header_line = 1;
        if text.starts_with("#TYPE") {
            // PowerShell's Export-Csv type line (without -NoTypeInformation).
            text = match text.find('\n') {
                Some(i) => &text[i + 1..],
                None => "",
            };
            header_line = 2;
        }
        // The header is the first non-blank line (the csv reader skips blank lines too); its
        // delimiter is the file's.
        let first = text.lines().find(|l| !l.trim().is_empty());
        let Some(first) = first else {
            return Err(Error::input(
                Location::at(path, header_line, None),
                format!("empty file: expected the header line of {what}"),
            ));
        };
        let delimiter = sniff_delimiter(first);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        // The csv crate's own line numbers are off by one after CRLF line ends, so lines are
        // computed from byte offsets.
        let lines = LineIndex::new(text, header_line - 1);
        let header_record = reader
            .headers()
            .map_err(|e| csv_error(path, &lines, &e))?
            .clone();
        if let Some(pos) = header_record.position() {
            header_line = lines.line_at(pos.byte());
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
        let mut records = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| csv_error(path, &lines, &e))?;
            let line = rec
                .position()
                .map_or(header_line + records.len() + 1, |p| lines.line_at(p.byte()));
            if rec.len() != headers.len() {
                // A quote that is never closed runs on over the following lines.
                let hint = if rec.iter().any(|f| f.contains('\n')) {
                    " (a quoted field here runs over several lines: closing `\"` missing?)"
                } else {
                    ""
                };
                return Err(Error::input(
                    Location::at(path, line, None),
                    format!(
                        "row has {} but the header has {} columns{hint}",
                        if rec.len() == 1 {
                            "1 field".to_string()
                        } else {
                            format!("{} fields", rec.len())
                        },
                        headers.len()
                    ),
                ));
            }
            records.push((line, rec));
        }
        Ok(CsvTable {
            path,
            headers,
            index,
            header_line,
            records,
        })
    }

    /// The column named `name` (any case, surrounding spaces ignored), if present.
    pub fn col(&self, name: &str) -> Option<Col> {
        self.index.get(&normalize(name)).map(|&index| Col {
            index,
            name: self.headers[index].clone(),
        })
    }

    /// The first of `names` that is present.
    pub fn col_any(&self, names: &[&str]) -> Option<Col> {
        names.iter().find_map(|n| self.col(n))
    }

    /// The column named `name`, or an error at the header line naming it.
    pub fn require(&self, name: &str, what: &str) -> Result<Col> {
        self.col(name).ok_or_else(|| {
            Error::input(
                Location::at(self.path, self.header_line, None),
                format!(
                    "missing required column \"{name}\": this does not look like {what} \
                     (columns found: {})",
                    self.headers.join(", ")
                ),
            )
        })
    }

    /// Header names not in `known` (compared normalised), in file order.
    pub fn unknown_columns(&self, known: &[&str]) -> Vec<String> {
        let known: Vec<String> = known.iter().map(|k| normalize(k)).collect();
        self.headers
            .iter()
            .filter(|h| !h.is_empty() && !known.contains(&normalize(h)))
            .cloned()
            .collect()
    }

    /// Log a warning naming the columns not in `known` (tools add columns between versions).
    pub fn warn_unknown(&self, known: &[&str], what: &str) {
        let unknown = self.unknown_columns(known);
        if !unknown.is_empty() {
            tracing::warn!(
                "{}: ignoring unknown {what} column(s): {}",
                self.path.display(),
                unknown.join(", ")
            );
        }
    }

    /// The records as [`Row`]s.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(move |(line, rec)| Row {
            path: self.path,
            line: *line,
            rec,
        })
    }
}

/// Byte offset → 1-based line number in the file.
struct LineIndex<'t> {
    text: &'t str,
    /// Offsets of every `\n` in `text`.
    newlines: Vec<usize>,
    /// Lines of the file before `text` starts (a `#TYPE` line).
    skipped: usize,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str, skipped: usize) -> Self {
        let newlines = text.match_indices('\n').map(|(i, _)| i).collect();
        LineIndex {
            text,
            newlines,
            skipped,
        }
    }

    /// The line of the first character at or after `byte` that is not a line break (a record's
    /// reported start may be the line break ending the previous record).
    fn line_at(&self, byte: u64) -> usize {
        let mut at = (byte as usize).min(self.text.len());
        let bytes = self.text.as_bytes();
        while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
            at += 1;
        }
        self.skipped + self.newlines.partition_point(|&nl| nl < at) + 1
    }
}

fn csv_error(path: &Path, lines: &LineIndex<'_>, e: &csv::Error) -> Error {
    let loc = match e.position() {
        Some(p) => Location::at(path, lines.line_at(p.byte()), None),
        None => Location::file(path),
    };
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        _ => format!("malformed CSV: {e}"),
    };
    Error::input(loc, msg)
}

/// One data row, with what is needed to report a bad value.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub path: &'a Path,
    /// 1-based line of the record in the file.
    pub line: usize,
    rec: &'a csv::StringRecord,
}

impl Row<'_> {
    /// The trimmed text of `col`; `None` when the column is absent or the cell is empty.
    pub fn text(&self, col: Option<&Col>) -> Option<String> {
        let v = self.rec.get(col?.index)?.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// An error at this row about `col`.
    pub fn error(&self, col: &Col, message: impl std::fmt::Display) -> Error {
        Error::input(
            Location::at(self.path, self.line, None),
            format!("column \"{}\": {message}", col.name),
        )
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

    /// A non-negative whole number; empty → `None`.
    pub fn u32(&self, col: Option<&Col>) -> Result<Option<u32>> {
        let Some(v) = self.text(col) else {
            return Ok(None);
        };
        v.parse::<u32>().map(Some).map_err(|_| {
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
    pub fn find(t: &CsvTable<'_>, names: &VmkColumnNames) -> VmkColumns {
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
    by_name: HashMap<String, usize>,
    /// (host index, device) → line of the row that defined it.
    seen: HashMap<(usize, String), usize>,
}

impl HostTable {
    /// The host named `name`, created by `make` on first sight.
    fn host(&mut self, name: &str, make: impl FnOnce() -> Host) -> &mut Host {
        let i = match self.by_name.get(name) {
            Some(&i) => i,
            None => {
                self.hosts.push(make());
                self.by_name.insert(name.to_string(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        &mut self.hosts[i]
    }

    /// Add `vmk` to host `name` (created by `make` on first sight). The same device twice on one
    /// host is an error at `row`'s line that points at the first one.
    pub fn push(
        &mut self,
        row: &Row<'_>,
        name: &str,
        make: impl FnOnce() -> Host,
        vmk: Vmk,
    ) -> Result<()> {
        self.host(name, make);
        let i = self.by_name[name];
        if let Some(first) = self.seen.get(&(i, vmk.device.clone())) {
            return Err(Error::input(
                Location::at(row.path, row.line, None),
                format!(
                    "{} appears twice for host {name} (first on line {first})",
                    vmk.device
                ),
            ));
        }
        self.seen.insert((i, vmk.device.clone()), row.line);
        self.hosts[i].vmks.push(vmk);
        Ok(())
    }

    /// The inventory of one imported file: its hosts, and the file as the only source.
    pub fn into_inventory(self, source: String, kind: SourceKind) -> Inventory {
        let mut inv = Inventory::new();
        inv.sources.push(Source {
            name: source,
            kind,
            insecure: false,
            collected_at: None,
            product: None,
            error: None,
        });
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
        let t = table("\u{feff} Host ;IP  Address;mtu\nh1;10.0.0.1;1500\n").unwrap();
        assert_eq!(t.col("host").unwrap().index, 0);
        assert_eq!(t.col("ip address").unwrap().name, "IP  Address");
        assert_eq!(t.col("MTU").unwrap().index, 2);
        assert!(t.col("Device").is_none());
        let row = t.rows().next().unwrap();
        assert_eq!(row.line, 2);
        assert_eq!(row.u32(t.col("mtu").as_ref()).unwrap(), Some(1500));
    }

    #[test]
    fn type_line_shifts_line_numbers() {
        let t = table("#TYPE Some.Type\n\"A\",\"B\"\n\"1\",\"x\"\n").unwrap();
        assert_eq!(t.header_line, 2);
        let row = t.rows().next().unwrap();
        assert_eq!(row.line, 3);
        let err = row.u32(t.col("b").as_ref()).unwrap_err().to_string();
        assert_eq!(err, "t.csv:3: column \"B\": \"x\" is not a whole number");
    }

    #[test]
    fn crlf_line_endings() {
        let t = table("#TYPE X\r\n\"A\",\"B\"\r\n\"1\",\"2\"\r\n\"3\",\"x\"\r\n").unwrap();
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(t.headers, vec!["A", "B"]);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].text(t.col("b").as_ref()).as_deref(), Some("x"));
    }

    #[test]
    fn wrong_field_count_is_located() {
        let err = table("a,b\n1,2\n1,2,3\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "t.csv:3: row has 3 fields but the header has 2 columns"
        );
    }

    #[test]
    fn unclosed_quote_is_named() {
        // The quote opened on line 2 swallows the rest of the file into one field.
        let err = table("a,b,c\n\"x,1,2\ny,3,4\n").unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv:2: row has 1 field but the header has 3 columns"),
            "{err}"
        );
        assert!(err.contains("closing `\"` missing?"), "{err}");
    }

    #[test]
    fn quoted_multiline_cells_keep_line_numbers_right() {
        let t = table("a,b\n\"x\ny\",1\nz,bad\n").unwrap();
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn booleans_and_empty_cells() {
        let t = table("a,b,c,d\nTrue,false,,maybe\n").unwrap();
        let row = t.rows().next().unwrap();
        assert_eq!(row.bool(t.col("a").as_ref()).unwrap(), Some(true));
        assert_eq!(row.bool(t.col("b").as_ref()).unwrap(), Some(false));
        assert_eq!(row.bool(t.col("c").as_ref()).unwrap(), None);
        assert_eq!(row.bool(t.col("zz").as_ref()).unwrap(), None);
        let err = row.bool(t.col("d").as_ref()).unwrap_err().to_string();
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
    fn ipv6_cells() {
        let t = table("v6\n\"fd00::1, fd00::2/64\"\nSystem.String[]\n").unwrap();
        let rows: Vec<_> = t.rows().collect();
        let col = t.col("v6");
        assert_eq!(
            rows[0].ipv6_list(col.as_ref()),
            vec!["fd00::1", "fd00::2/64"]
        );
        assert!(rows[1].ipv6_list(col.as_ref()).is_empty());
    }
}
