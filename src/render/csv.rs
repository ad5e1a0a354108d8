//! CSV reports: `findings.csv` (one row per finding) and `vmks.csv` (one row per vmk, like
//! RVTools' vmk tab plus services, stack, gateways, VLAN and switch MTU).
//!
//! Both are UTF-8 with a byte-order mark (so Excel shows Chinese), RFC 4180 quoting by the `csv`
//! crate with CRLF line ends, headers and enumerated values in the report language, and every
//! cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) prefixed with `'`. Control characters from a source are made visible first
//! ([`super::controls`]).

use std::borrow::Cow;

use super::controls::visible;
use super::labels::{self, label};
use super::placement::Placement;
use super::view::{cluster_label, switch_kind};
use crate::findings::{FindingsFile, Status};
use crate::i18n::Lang;
use crate::model::{Inventory, DEFAULT_NETSTACK};

const BOM: &[u8] = "\u{feff}".as_bytes();

/// Make a cell inert for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

pub(crate) fn to_bytes(header: Vec<&str>, rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into memory cannot fail: the only errors of the csv writer are I/O errors.
    write_rows(&mut out, header, rows).expect("CSV into memory");
    out
}

/// Write a CSV file (the byte-order mark, the header, the rows) to `out`, row by row as they
/// are made (120,000 at 40,000 hosts), cell by cell, without copying cells that need no
/// neutralising.
pub(crate) fn write_rows(
    out: &mut dyn std::io::Write,
    header: Vec<&str>,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    out.write_all(BOM)?;
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    let mut write = |cells: &mut dyn Iterator<Item = &str>| -> std::io::Result<()> {
        for c in cells {
            let c = visible(c);
            w.write_field(neutralise(&c).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
        Ok(())
    };
    write(&mut header.iter().copied())?;
    for row in rows {
        write(&mut row.iter().map(String::as_str))?;
    }
    w.flush()
}

fn yes_no(lang: Lang, b: Option<bool>) -> String {
    match b {
        Some(true) => label(lang, "yes").into(),
        Some(false) => label(lang, "no").into(),
        None => String::new(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// `findings.csv`: every finding of the run on `inv` (waived ones with their waiver), in output
/// order. The cluster column places a finding as the report does ([`Placement`]).
pub fn findings_csv(inv: &Inventory, ff: &FindingsFile, lang: Lang) -> Vec<u8> {
    let place = Placement::of(inv);
    let header = [
        "severity",
        "rule",
        "category",
        "host",
        "cluster",
        "object",
        "message",
        "remediation",
        "references",
        "status",
        "waiver_reason",
        "waiver_expires",
    ]
    .iter()
    .map(|k| label(lang, k))
    .collect();
    let rows = ff.findings.iter().map(|f| {
        vec![
            labels::severity(lang, f.severity).to_string(),
            f.rule.clone(),
            labels::category(lang, f.category).to_string(),
            f.subject.name().to_string(),
            place.group(f).label(lang),
            opt(f.subject.object()),
            f.message.clone(),
            f.remediation.clone(),
            f.references.join("; "),
            f.status
                .map(|s: Status| labels::status(lang, s).to_string())
                .unwrap_or_default(),
            opt(f.waived.as_ref().map(|w| w.reason.as_str())),
            opt(f.waived.as_ref().and_then(|w| w.expires.as_deref())),
        ]
    });
    to_bytes(header, rows)
}

/// `vmks.csv`: one row per VMkernel adapter of the inventory, in inventory order.
pub fn vmks_csv(inv: &Inventory, lang: Lang) -> Vec<u8> {
    let mut out = Vec::new();
    write_vmks_csv(inv, lang, &mut out).expect("CSV into memory");
    out
}

/// [`vmks_csv`], written to `out` as it is made (20 MB at 40,000 hosts).
pub fn write_vmks_csv(
    inv: &Inventory,
    lang: Lang,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let header = [
        "host",
        "cluster",
        "datacenter",
        "device",
        "portgroup",
        "switch",
        "switch_kind",
        "vlan",
        "ipv4",
        "netmask",
        "dhcp",
        "mtu",
        "switch_mtu",
        "stack",
        "gateway_override",
        "stack_gateway",
        "services",
        "mac",
    ]
    .iter()
    .map(|k| label(lang, k))
    .collect();
    let rows = inv.hosts.iter().flat_map(|h| {
        h.vmks.iter().map(move |v| {
            let stack = v.netstack.as_deref().unwrap_or(DEFAULT_NETSTACK);
            vec![
                h.name.clone(),
                cluster_label(lang, h.cluster.as_deref()),
                opt(h.datacenter.as_deref()),
                v.device.clone(),
                opt(v.portgroup.as_deref()),
                opt(v.switch.as_deref()),
                opt(v.switch_kind.map(|k| switch_kind(lang, k))),
                opt(v.vlan.as_ref()),
                opt(v.ipv4.as_deref()),
                opt(v.netmask.as_deref()),
                yes_no(lang, v.dhcp),
                opt(v.mtu),
                opt(v
                    .switch
                    .as_deref()
                    .and_then(|s| h.switch(s))
                    .and_then(|s| s.mtu)),
                opt(v.netstack.as_deref()),
                opt(v.gateway.as_deref()),
                opt(h.netstack(stack).and_then(|n| n.gateway.as_deref())),
                v.services
                    .as_ref()
                    .map(|s| s.join(", "))
                    .unwrap_or_default(),
                opt(v.mac.as_deref()),
            ]
        })
    });
    write_rows(out, header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starters_are_neutralised() {
        for s in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        for s in ["vmk0", "10.0.0.1", "", "'quoted", " =x"] {
            assert_eq!(neutralise(s), s);
        }
    }

    #[test]
    fn csv_starts_with_bom_and_uses_crlf() {
        let bytes = to_bytes(vec!["a", "b"], vec![vec!["x,y".into(), "=z".into()]]);
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        assert_eq!(text, "a,b\r\n\"x,y\",'=z\r\n");
    }
}
