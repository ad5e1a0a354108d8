//! COV002 check-not-run: a check could not run on a host for lack of data.

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::inventory::FileGap;
use crate::model::{Host, Source, SourceKind};
use crate::msg;
use crate::rules::{net, Data};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    id: "COV002",
    name: "check-not-run",
    category: Category::Coverage,
    severity: Severity::Info,
    summary: "A check could not run on a host because the source did not provide the data (e.g. firewall from an RVTools import).",
    checks: "Raised by the engine once per host and missing kind of data: `netstacks`, \
        `switches` or `firewall` missing for the host (the rules that need it do not run \
        there), or `services`, `vlan`, `mtu` or `ipv4` (address and netmask) unknown for some vmks (the rules skip those \
        vmks). The message names the vmks and the rules; when a live source refused the \
        vSphere property (`not_collected` in the inventory), it also names the property and \
        the missing privilege. Data that an imported RVTools or PowerCLI file provides for \
        none of its hosts (its format does not carry it, or a column the checks need is \
        missing or empty) is one finding on the file instead, not one per host: its host is \
        the file, and its message says for how many hosts which rules could not run and \
        why. The same holds for the data live collection never reads (the iSCSI port \
        binding: one finding on the vCenter or ESXi source) and for the data a source read \
        from an inventory file of an earlier schema version cannot record (schema 1 has no \
        host services, NICs, lockdown mode, teaming, port security or iSCSI binding: one \
        finding per source and kind); the report lists those rules under each host's details \
        and the checklist shows them as not checked. `not_checked` lists the rule IDs and the summary counts the \
        hosts per rule. Object: the kind of data.",
    why: "An export that lacks firewall or switch data cannot prove those settings are right. \
        Saying what was not checked keeps a clean report from being read as a clean \
        estate.",
    remediation: "Collect live from vCenter (`vmkaudit collect --vcenter https://<vcenter> ...` or a \
        `[[vcenter]]` source in the run configuration), which reads every kind of data, \
        then run vmkaudit again.",
    fix: None,
    checklist: "Every check could run",
    references: &["vmkaudit documentation: sources and the data each one provides"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};

/// The message and remediation of COV002 on `host`, which lacks `data` (for a vmk-level kind,
/// on the vmks `missing`), so that `rules` could not check it. A live source that refused the
/// vSphere property says why (`Host::not_collected`).
pub fn host_messages(host: &Host, data: Data, rules: &[String], missing: &[String]) -> (Msg, Msg) {
    let what = data.label();
    let list = net::list(rules);
    let refused: Vec<String> = data
        .vsphere_properties()
        .iter()
        .filter_map(|p| host.not_collected.get(*p).map(|why| format!("{p} ({why})")))
        .collect();
    let message = if data.host_level() {
        msg!(
            "COV002.message.host",
            "Not checked on this host: {list}. The source did not provide {what}.",
            list,
            what
        )
    } else {
        let vmks = i18n::list(missing);
        msg!(
            "COV002.message.vmks",
            "Not checked on {vmks}: {list}. The source did not provide {what}.",
            vmks,
            list,
            what
        )
    };
    if refused.is_empty() {
        let remediation = msg!(
            "COV002.fix",
            "Collect this host live from vCenter (`vmkaudit collect` or a `[[vcenter]]` source) or from an export that includes this data, then run vmkaudit again.",
        );
        (message, remediation)
    } else {
        let refused = refused.join(", ");
        let message = msg!(
            "COV002.refused",
            "{message} The server refused {refused} to the collecting user.",
            message,
            refused
        );
        let remediation = msg!(
            "COV002.fix.refused",
            "Give the collecting user the Read-only role on this host, propagated from the vCenter root object (see docs/collect.md, minimal privileges), then run vmkaudit again.",
        );
        (message, remediation)
    }
}

/// The message and remediation of the COV002 on source `source` (an imported file, a live
/// source for data live collection does not read, or a source read from an inventory file of
/// a schema version that does not record the data), which provides `data` for none of its
/// `hosts` hosts, so that `ids` could not check it there.
pub fn file_messages(source: &Source, data: Data, hosts: usize, ids: &[String]) -> (Msg, Msg) {
    let name = &source.name;
    let list = net::list(ids);
    let what = data.label();
    let live = matches!(source.kind, SourceKind::Vcenter | SourceKind::Esxi);
    if let Some(version) = source
        .schema_version
        .filter(|_| data.not_in_schema(source.schema_version) && (!live || data.read_live()))
    {
        return (
            msg!(
                "COV002.schema.not_recorded",
                "Not checked on the {hosts} hosts from {name}: {list}. They were read from an inventory file of schema version {version}, which does not record {what}.",
                hosts,
                name,
                list,
                version,
                what,
            ),
            msg!(
                "COV002.schema.fix",
                "Collect these hosts again with this version of vmkaudit (`vmkaudit collect` or a `[[vcenter]]` source), which records every kind of data, then run vmkaudit again.",
            ),
        );
    }
    if live {
        return (
            msg!(
                "COV002.live.not_read",
                "Not checked on the {hosts} hosts from {name}: {list}. Live collection does not read {what} (see docs/collect.md).",
                hosts,
                name,
                list,
                what,
            ),
            msg!(
                "COV002.live.fix",
                "Check it on the hosts themselves (iSCSI port binding: esxcli iscsi networkportal list), or record it in an inventory file (`iscsi_bound`) and check that file.",
            ),
        );
    }
    match crate::inventory::file_gap(source.kind, data) {
        FileGap::NotExported => {
            let format = match source.kind {
                SourceKind::Powercli => msg!(
                    "COV002.format.powercli",
                    "A PowerCLI Get-VMHostNetworkAdapter export"
                ),
                // The vmk tab alone as CSV, or the whole export (workbook, CSV folder).
                _ if name.ends_with(".csv") => {
                    msg!("COV002.format.rvtools", "An RVTools vSC_VMK export")
                }
                _ => msg!("COV002.format.rvtools_export", "An RVTools export"),
            };
            (
                msg!(
                    "COV002.file.not_exported",
                    "Not checked on the {hosts} hosts from {name}: {list}. {format} does not include {what}.",
                    hosts,
                    name,
                    list,
                    format,
                    what,
                ),
                msg!(
                    "COV002.file.fix",
                    "Collect these hosts live from vCenter (`vmkaudit collect` or a `[[vcenter]]` source), which reads every kind of data, then run vmkaudit again.",
                ),
            )
        }
        FileGap::Tabs(tabs) => {
            let tabs = tabs.join(", ");
            (
                msg!(
                    "COV002.file.tabs",
                    "Not checked on the {hosts} hosts from {name}: {list}. No tab of this RVTools export gives {what} (tab {tabs}: missing or empty).",
                    hosts,
                    name,
                    list,
                    what,
                    tabs,
                ),
                msg!(
                    "COV002.file.tabs_fix",
                    "Give vmkaudit the whole RVTools export, with the tab {tabs}: the workbook (.xlsx) or the folder of its CSV files (ExportAll2csv), instead of the vSC_VMK tab alone; then run vmkaudit again.",
                    tabs,
                ),
            )
        }
        FileGap::Columns(columns) => {
            let columns = columns.join(", ");
            (
                msg!(
                    "COV002.file.columns",
                    "Not checked on the {hosts} hosts from {name}: {list}. No row of the file gives {what} (column {columns}: missing or empty).",
                    hosts,
                    name,
                    list,
                    what,
                    columns,
                ),
                msg!(
                    "COV002.file.columns_fix",
                    "Export the file again with the column {columns}, or collect these hosts live from vCenter (`vmkaudit collect` or a `[[vcenter]]` source), then run vmkaudit again.",
                    columns,
                ),
            )
        }
    }
}
