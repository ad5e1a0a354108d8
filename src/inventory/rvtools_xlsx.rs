//! RVTools' own output: the `.xlsx` workbook, one sheet per tab.
//!
//! The workbook is read with `calamine`. The `vSC_VMK` sheet is required; `vSwitch`, `vPort`,
//! `dvSwitch`, `dvPort`, `vNIC` and `vHost` are read when present and joined to the vmks as
//! [`super::rvtools_tabs`] describes; other sheets are ignored. Each sheet's header is its
//! first non-empty row; cells are read as their text (a number cell `9000` as `9000`, a text
//! cell `9.000` through the locale-tolerant number parser). Errors name the file, the sheet,
//! the row (as Excel numbers it) and the column (name and letter). The workbook's file size is
//! capped like every input, and so is the sum of its parts' uncompressed sizes (a ZIP archive
//! can unpack to far more than its size).

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};

use super::csvutil::{normalize, Row, Table};
use super::rvtools_tabs::{Tab, Tabs};
use crate::error::{Error, Location, Result};
use crate::model::Inventory;

/// One sheet of a workbook, read as a table.
pub struct SheetTable<'p> {
    path: &'p Path,
    sheet: String,
    range: Range<Data>,
    headers: Vec<String>,
    index: HashMap<String, usize>,
    /// 0-based row in `range` of the header.
    header: usize,
    /// 0-based row in `range` of the next data row.
    next: usize,
    /// 0-based absolute row and column of the range's first cell.
    start: (usize, usize),
    record: csv::StringRecord,
}

impl<'p> SheetTable<'p> {
    /// The sheet `sheet` of `path`, its cells `range`.
    pub fn new(path: &'p Path, sheet: &str, range: Range<Data>) -> Result<SheetTable<'p>> {
        let start = range
            .start()
            .map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let header = range
            .rows()
            .position(|r| r.iter().any(|c| !c.to_string().trim().is_empty()));
        let Some(header) = header else {
            return Err(Error::input(
                Location::file(path),
                format!("sheet {sheet}: empty, expected a header row"),
            ));
        };
        let headers: Vec<String> = range
            .rows()
            .nth(header)
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_string().trim().to_string())
            .collect();
        let mut index = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if h.is_empty() {
                continue;
            }
            if index.insert(normalize(h), i).is_some() {
                return Err(Error::input(
                    Location::file(path),
                    format!(
                        "sheet {sheet}, row {}: column \"{h}\" appears twice in the header",
                        start.0 + header + 1
                    ),
                ));
            }
        }
        Ok(SheetTable {
            path,
            sheet: sheet.to_string(),
            range,
            headers,
            index,
            header,
            next: header + 1,
            start,
            record: csv::StringRecord::new(),
        })
    }
}

impl Table for SheetTable<'_> {
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
        Error::input(
            Location::file(self.path),
            format!(
                "sheet {}, row {}: {message}",
                self.sheet,
                self.start.0 + self.header + 1
            ),
        )
    }

    fn describe(&self) -> String {
        format!("{} (sheet {})", self.path.display(), self.sheet)
    }

    fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let width = self.range.width();
        loop {
            if self.next >= self.range.height() {
                return Ok(None);
            }
            let row = self.next;
            let line = self.start.0 + row + 1;
            self.next += 1;
            self.record.clear();
            for c in 0..width {
                match self.range.get((row, c)) {
                    None | Some(Data::Empty) => self.record.push_field(""),
                    Some(other) => self.record.push_field(&other.to_string()),
                }
            }
            // Blank rows (formatting below the data) are skipped, as in a CSV.
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            return Ok(Some(Row {
                path: self.path,
                line,
                rec: &self.record,
                sheet: Some((&self.sheet, self.start.1)),
            }));
        }
    }
}

/// Read an RVTools workbook (`bytes`, the content of `path`, at most `max_bytes` unpacked).
pub fn read(path: &Path, bytes: Vec<u8>, max_bytes: u64) -> Result<Inventory> {
    let bad = |e: &dyn std::fmt::Display| {
        Error::input(
            Location::file(path),
            format!("not a readable Excel workbook (.xlsx): {e}"),
        )
    };
    check_unpacked_size(path, &bytes, max_bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let names = book.sheet_names();
    let find = |tab: Tab| {
        names
            .iter()
            .find(|n| Tab::of_sheet(n) == Some(tab))
            .cloned()
    };
    let Some(vmk_sheet) = find(Tab::VscVmk) else {
        return Err(Error::input(
            Location::file(path),
            format!(
                "this workbook has no vSC_VMK sheet, the one with the vmks (sheets found: {}): \
                 give a workbook RVTools wrote",
                names.join(", ")
            ),
        ));
    };
    let mut tabs = Tabs::default();
    for tab in Tab::ALL.into_iter().filter(|t| *t != Tab::VscVmk) {
        let Some(sheet) = find(tab) else {
            continue;
        };
        let range = book.worksheet_range(&sheet).map_err(|e| bad(&e))?;
        let mut t = SheetTable::new(path, &sheet, range)?;
        tabs.read(tab, &mut t)?;
    }
    let range = book.worksheet_range(&vmk_sheet).map_err(|e| bad(&e))?;
    let mut t = SheetTable::new(path, &vmk_sheet, range)?;
    super::rvtools::from_table(&mut t, path.display().to_string(), Some(&tabs))
}

/// Refuse a workbook whose parts unpack to more than `max_bytes` together.
fn check_unpacked_size(path: &Path, bytes: &[u8], max_bytes: u64) -> Result<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Error::input(
            Location::file(path),
            format!("not a readable Excel workbook (.xlsx): {e}"),
        )
    })?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let size = zip.by_index_raw(i).map(|f| f.size()).unwrap_or(0);
        total = total.saturating_add(size);
    }
    if total > max_bytes {
        return Err(Error::input(
            Location::file(path),
            format!(
                "the workbook unpacks to {total} bytes, more than the limit of {max_bytes} bytes \
                 for an input file; raise it with `max_input_bytes` in the configuration or \
                 `--max-input-bytes` if the file is right"
            ),
        ));
    }
    Ok(())
}
