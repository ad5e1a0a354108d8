//! Offline imports: read inventory files, RVTools and PowerCLI CSV exports into the model.
//!
//! [`load`] reads one file in a given [`Format`], or recognises the format from the content when
//! none is given. Every importer produces the same [`Inventory`](crate::model::Inventory); what a
//! format cannot express stays `None` (unknown) so that the evaluation reports the checks it could
//! not run. Errors name the file, the line and, where the parser knows it, the column.

pub mod csvutil;
pub mod json;
pub mod json_stream;
pub mod powercli;
pub mod rvtools;
pub mod rvtools_tabs;
pub mod rvtools_xlsx;

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::findings::Data;
use crate::model::{Inventory, SourceKind};

/// The formats `vmkaudit` can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A vmkaudit inventory file (JSON, `schema_version` 1).
    Inventory,
    /// RVTools: its `.xlsx` workbook, the folder of its all-tabs CSV export (`ExportAll2csv`),
    /// or its vmk tab alone exported as CSV (`RVTools_tabvSC_VMK.csv`).
    Rvtools,
    /// `Get-VMHostNetworkAdapter -VMKernel | Export-Csv` from PowerCLI.
    Powercli,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Inventory => "inventory",
            Format::Rvtools => "rvtools",
            Format::Powercli => "powercli",
        }
    }
}

/// Recognise the format of `text` (read from `path`) from its content: JSON is an inventory
/// file; a CSV is RVTools or PowerCLI by which of their known column names its header has more
/// of (at least two; a PowerShell `#TYPE` line counts for PowerCLI).
pub fn detect(path: &Path, text: &str) -> Result<Format> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(Format::Inventory);
    }
    let (has_type_line, header) = csvutil::header_names(text);
    let score = |known: &mut dyn Iterator<Item = &str>| {
        let known: Vec<String> = known.map(csvutil::normalize).collect();
        header.iter().filter(|h| known.contains(h)).count()
    };
    let rv = score(&mut rvtools::KNOWN_COLUMNS.iter().copied());
    let pc = score(
        &mut powercli::SERVICE_COLUMNS
            .iter()
            .map(|(c, _)| *c)
            .chain(powercli::OTHER_KNOWN_COLUMNS.iter().copied()),
    ) + usize::from(has_type_line);
    if pc >= 2 && pc > rv {
        return Ok(Format::Powercli);
    }
    if rv >= 2 && rv > pc {
        return Ok(Format::Rvtools);
    }
    Err(Error::input(
        Location::at(path, 1, None),
        "cannot tell the file's format: expected a vmkaudit inventory (JSON), an RVTools vSC_VMK \
         CSV (columns Host, Device, ...) or a PowerCLI Export-Csv (columns VMHost, Name, ...); \
         name the format with `format = \"...\"` or `--input-format`",
    ))
}

/// Why an imported file provides a kind of data for none of its hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileGap {
    /// The format does not carry it (RVTools has no firewall).
    NotExported,
    /// It comes from these columns, which the file lacks or left empty.
    Columns(&'static [&'static str]),
    /// It comes from these tabs of an RVTools export, which the import lacks or left empty
    /// (the vSC_VMK tab alone, without the workbook's other sheets).
    Tabs(&'static [&'static str]),
}

/// What neither a vmk export (RVTools' vSC_VMK tab, PowerCLI's `Get-VMHostNetworkAdapter`)
/// carries, beside each format's own `NOT_EXPORTED`: the host services, physical NICs, lockdown
/// mode, static routes and the vmks' teaming, security policy and iSCSI binding.
pub const NOT_IN_VMK_EXPORTS: &[Data] = &[
    Data::HostServices,
    Data::Pnics,
    Data::Lockdown,
    Data::Routes,
    Data::Teaming,
    Data::Security,
    Data::IscsiBinding,
];

/// Why a file of source kind `kind` (RVTools or PowerCLI) can have no `data` at all.
pub fn file_gap(kind: SourceKind, data: Data) -> FileGap {
    let (not_exported, needed, extended) = match kind {
        SourceKind::Powercli => (
            powercli::NOT_EXPORTED,
            powercli::NEEDED_COLUMNS,
            powercli::EXTENDED_COLUMNS,
        ),
        _ => (rvtools::NOT_EXPORTED, rvtools::NEEDED_COLUMNS, &[][..]),
    };
    if not_exported.contains(&data) || NOT_IN_VMK_EXPORTS.contains(&data) {
        return FileGap::NotExported;
    }
    if kind != SourceKind::Powercli {
        if let Some((_, tabs)) = rvtools::NEEDED_TABS.iter().find(|(d, _)| *d == data) {
            return FileGap::Tabs(tabs);
        }
    }
    match needed.iter().chain(extended).find(|(d, _)| *d == data) {
        Some((_, columns)) => FileGap::Columns(columns),
        // PowerCLI's services: the traffic columns.
        None => FileGap::Columns(&[powercli::TRAFFIC_COLUMNS]),
    }
}

/// The path that stands for standard input (`vmkaudit check -`); a file named `-` is `./-`.
pub const STDIN: &str = "-";
/// How standard input is named in messages and as the source of its hosts.
pub const STDIN_NAME: &str = "<stdin>";

/// How much of a file's beginning is read to recognise its format.
const DETECT_BYTES: u64 = 64 << 10;

/// Read one file into an inventory, in `format` or the format recognised from its content,
/// refusing a file that is not a regular file or is larger than
/// [`DEFAULT_MAX_INPUT_BYTES`](crate::fsutil::DEFAULT_MAX_INPUT_BYTES). A folder is read as
/// RVTools' all-tabs CSV export, an `.xlsx` workbook as RVTools' workbook.
pub fn load(path: &Path, format: Option<Format>) -> Result<Inventory> {
    load_limited(path, format, crate::fsutil::DEFAULT_MAX_INPUT_BYTES)
}

/// [`load`] with an input size limit of `max_bytes`. CSV exports are read row by row into the
/// model (the text, decoded from UTF-16 where needed, streams through); an inventory file is
/// read whole and parsed in one pass, and so is a workbook. The path [`STDIN`] reads standard
/// input (same limit, same recognition of the text formats), named [`STDIN_NAME`].
pub fn load_limited(path: &Path, format: Option<Format>, max_bytes: u64) -> Result<Inventory> {
    if path == Path::new(STDIN) {
        let name = Path::new(STDIN_NAME);
        let text = crate::fsutil::open_stdin(name, max_bytes)?;
        return load_text(name, format, text, None);
    }
    let rvtools_ok = matches!(format, None | Some(Format::Rvtools));
    if rvtools_ok && std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        let files = rvtools_tabs::folder_files(path)?;
        tracing::debug!(path = %path.display(), "importing an RVTools CSV export folder");
        return rvtools::read_csv_tabs(&files, path.display().to_string(), max_bytes);
    }
    let text = match crate::fsutil::open_any_input(path, max_bytes)? {
        crate::fsutil::Input::Text(text) => text,
        crate::fsutil::Input::Zip(bytes) if rvtools_ok => {
            tracing::debug!(path = %path.display(), "importing an RVTools workbook");
            return rvtools_xlsx::read(path, bytes, max_bytes);
        }
        crate::fsutil::Input::Zip(_) => {
            return Err(Error::input(
                Location::file(path),
                format!(
                    "not a text file but a ZIP archive (an Excel .xlsx workbook?), which is no \
                     {} file: name the format `rvtools` for an RVTools workbook",
                    format.map_or("", Format::as_str)
                ),
            ))
        }
    };
    load_text(path, format, text, Some(max_bytes))
}

/// Recognise the format of `text` (unless given) and import it. `reread_limit` is the size
/// limit for reading a file again (an inventory file that is not good is read a second time,
/// whole, for the error's place); `None` for standard input, which is read whole at once.
fn load_text(
    path: &Path,
    format: Option<Format>,
    mut text: crate::fsutil::TextReader,
    reread_limit: Option<u64>,
) -> Result<Inventory> {
    // The format is recognised from the beginning of the file, which is then read again.
    let mut head = Vec::new();
    (&mut text)
        .take(DETECT_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| crate::fsutil::input_read_error(path, e))?;
    let format = match format {
        Some(f) => f,
        None => {
            let valid = match std::str::from_utf8(&head) {
                Ok(s) => s,
                // A character cut at the end of the head, or bad text the importer will locate.
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
            };
            detect(path, valid)?
        }
    };
    tracing::debug!(path = %path.display(), format = format.as_str(), "importing");
    let size = text.size_hint();
    let stream: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(head).chain(text));
    match format {
        Format::Inventory => match reread_limit {
            Some(max_bytes) => json::read(path, stream, || {
                let again = crate::fsutil::open_input(path, max_bytes)?;
                let size = again.size_hint();
                crate::fsutil::read_string(path, again, size)
            }),
            None => json::parse(path, &crate::fsutil::read_string(path, stream, size)?),
        },
        Format::Rvtools => rvtools::read(path, stream),
        Format::Powercli => powercli::read(path, stream),
    }
}

/// What [`load_all`] reads as one: a file (or folder), or the tab files of one RVTools CSV
/// export given one by one.
enum Unit<'a> {
    One(&'a Path, Option<Format>),
    Tabs(Vec<(rvtools_tabs::Tab, std::path::PathBuf)>),
}

/// Group the RVTools tab files among `paths` (named `RVTools_tab<Tab>.csv`, format unnamed or
/// `rvtools`) by folder: the tabs of one folder are one export when other tabs than vSC_VMK
/// are among them. The others stay single files, in argument order (an export where its first
/// file is).
fn units<'a>(paths: Vec<(&'a Path, Option<Format>)>) -> Result<Vec<Unit<'a>>> {
    use rvtools_tabs::Tab;
    let tab_of = |p: &Path, f: Option<Format>| {
        if !matches!(f, None | Some(Format::Rvtools)) {
            return None;
        }
        Tab::of_file_name(&p.file_name()?.to_string_lossy())
    };
    let folder = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
    // Folders with a tab other than vSC_VMK among the arguments.
    let mut export_dirs: Vec<std::path::PathBuf> = Vec::new();
    for (p, f) in &paths {
        if tab_of(p, *f).is_some_and(|t| t != Tab::VscVmk) && !export_dirs.contains(&folder(p)) {
            export_dirs.push(folder(p));
        }
    }
    let mut out: Vec<Unit<'a>> = Vec::new();
    let mut placed: Vec<(std::path::PathBuf, usize)> = Vec::new();
    for (p, f) in paths {
        let in_export = export_dirs.contains(&folder(p));
        let Some(tab) = tab_of(p, f).filter(|_| in_export) else {
            // The export's tabs vmkaudit does not read (vInfo, vDisk, ...), as given by a
            // shell pattern such as `export/*.csv`.
            let other_tab = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .is_some_and(|n| n.contains("rvtools_tab") && n.ends_with(".csv"));
            if in_export && other_tab && matches!(f, None | Some(Format::Rvtools)) {
                tracing::debug!(path = %p.display(), "an RVTools tab vmkaudit does not read");
                continue;
            }
            out.push(Unit::One(p, f));
            continue;
        };
        let dir = folder(p);
        let i = match placed.iter().find(|(d, _)| *d == dir) {
            Some((_, i)) => *i,
            None => {
                out.push(Unit::Tabs(Vec::new()));
                placed.push((dir, out.len() - 1));
                out.len() - 1
            }
        };
        let Unit::Tabs(files) = &mut out[i] else {
            unreachable!("placed units are tab sets");
        };
        if let Some((_, other)) = files.iter().find(|(t, _)| *t == tab) {
            return Err(Error::input(
                Location::file(p),
                format!(
                    "two files of RVTools' {} tab from one folder: {} and {}",
                    tab.sheet(),
                    other.display(),
                    p.display()
                ),
            ));
        }
        files.push((tab, p.to_path_buf()));
    }
    Ok(out)
}

/// Read several files and merge them into one inventory.
pub fn load_all<'a>(
    paths: impl IntoIterator<Item = (&'a Path, Option<Format>)>,
) -> Result<Inventory> {
    load_all_limited(paths, crate::fsutil::DEFAULT_MAX_INPUT_BYTES)
}

/// [`load_all`] with an input size limit of `max_bytes` per file. The tab files of an RVTools
/// CSV export given one by one (`RVTools_tabvSC_VMK.csv RVTools_tabvSwitch.csv ...`) are read
/// as one export (see [`rvtools_tabs`]).
pub fn load_all_limited<'a>(
    paths: impl IntoIterator<Item = (&'a Path, Option<Format>)>,
    max_bytes: u64,
) -> Result<Inventory> {
    let mut inv: Option<Inventory> = None;
    for unit in units(paths.into_iter().collect())? {
        let more = match unit {
            Unit::One(path, format) => load_limited(path, format, max_bytes)?,
            Unit::Tabs(mut files) => {
                files.sort();
                let source = files
                    .iter()
                    .find(|(t, _)| *t == rvtools_tabs::Tab::VscVmk)
                    .map_or_else(|| files[0].1.clone(), |(_, p)| p.clone());
                rvtools::read_csv_tabs(&files, source.display().to_string(), max_bytes)?
            }
        };
        match inv.as_mut() {
            // The first file is the start (not moved into an empty one: 100,000s of hosts).
            None => inv = Some(more),
            Some(inv) => inv.merge(more),
        }
    }
    Ok(inv.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(text: &str) -> Result<Format> {
        detect(Path::new("f"), text)
    }

    #[test]
    fn recognises_formats_by_their_columns() {
        assert_eq!(det("  {\"schema_version\": 1}").unwrap(), Format::Inventory);
        assert_eq!(det("Host,Device\n").unwrap(), Format::Rvtools);
        // A required column missing still says RVTools, so the importer can name it.
        assert_eq!(
            det("\u{feff}Host;Port Group;MTU\n").unwrap(),
            Format::Rvtools
        );
        assert_eq!(det("\"VMHost\",\"Mtu\"\n").unwrap(), Format::Powercli);
        assert_eq!(det("#TYPE x\nName,IP\n").unwrap(), Format::Powercli);
        let err = det("a,b,c\n1,2,3\n").unwrap_err().to_string();
        assert!(
            err.starts_with("f:1: cannot tell the file's format"),
            "{err}"
        );
        assert!(det("MTU\n").is_err(), "one shared column is not enough");
    }
}
