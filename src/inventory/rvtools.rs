//! RVTools' vmk tab exported as CSV (`RVTools_tabvSC_VMK.csv`).
//!
//! One row per VMkernel adapter: Host, Datacenter, Cluster, Port Group, Device, Mac Address,
//! DHCP, IP Address, IP 6 Address, Subnet mask, Gateway, IP 6 Gateway, MTU, VI SDK Server,
//! VI SDK UUID. Columns are found by name in any order; `,` or `;` separated; a byte-order mark
//! is fine. Host and Device are required; other RVTools versions' extra columns are ignored with
//! a warning. Hosts appear in the order they first occur in the file.
//!
//! RVTools does not export services, TCP/IP stacks, switches, VLANs or the firewall: those stay
//! `None` (unknown) so the evaluation reports which checks could not run. Its Gateway column
//! shows the host's default gateway without saying whether it is a vmk override or the stack's
//! gateway, so it goes to [`Vmk::reported_gateway`], never to [`Vmk::gateway`].

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::csvutil::{CsvTable, HostTable, Table, VmkColumnNames, VmkColumns};
use super::rvtools_tabs::{Tab, Tabs};
use crate::error::Result;
use crate::findings::Data;
use crate::model::{Host, Inventory, SourceKind, Vmk};

const WHAT: &str = "an RVTools vSC_VMK CSV export";

/// Every column RVTools writes on the vSC_VMK tab (those not used are accepted silently).
pub const KNOWN_COLUMNS: &[&str] = &[
    "Host",
    "Datacenter",
    "Cluster",
    "Port Group",
    "Device",
    "Mac Address",
    "DHCP",
    "IP Address",
    "IP 6 Address",
    "Subnet mask",
    "Gateway",
    "IP 6 Gateway",
    "MTU",
    "VI SDK Server",
    "VI SDK UUID",
];

/// What no RVTools tab carries: unknown for every host of an RVTools import.
pub const NOT_EXPORTED: &[Data] = &[
    Data::Services,
    Data::Netstacks,
    Data::Firewall,
    Data::HostServices,
    Data::Lockdown,
    Data::Routes,
    Data::IscsiBinding,
];

/// The data the tabs besides vSC_VMK give, and those tabs: an export without them (the
/// vSC_VMK tab alone) leaves that data unknown for every host. Teaming is read for distributed
/// port groups only.
pub const NEEDED_TABS: &[(Data, &[&str])] = &[
    (Data::Switches, &["vSwitch", "dvSwitch"]),
    (Data::Vlan, &["vPort", "dvPort"]),
    (Data::Security, &["vPort", "dvPort"]),
    (Data::Pnics, &["vNIC"]),
    (Data::Teaming, &["dvPort", "vNIC"]),
];

/// The columns the checks need and the data each gives: an export without them (RVTools
/// exports can be trimmed to some columns) leaves that data unknown for every vmk.
pub const NEEDED_COLUMNS: &[(Data, &[&str])] = &[
    (Data::Ipv4, &["IP Address", "Subnet mask"]),
    (Data::Mtu, &["MTU"]),
];

/// Parse an RVTools vSC_VMK CSV export (the whole text of `path`).
pub fn parse(path: &Path, text: &str) -> Result<Inventory> {
    let source = path.display().to_string();
    from_table(&mut CsvTable::parse(path, text, WHAT)?, source, None)
}

/// Read an RVTools vSC_VMK CSV export from `src` (the UTF-8 text of `path`), row by row.
pub fn read(path: &Path, src: Box<dyn Read + Send>) -> Result<Inventory> {
    let source = path.display().to_string();
    from_table(&mut CsvTable::open(path, src, WHAT)?, source, None)
}

/// Read the vmks of a vSC_VMK tab `t` into the hosts of source `source`, completed from the
/// export's other tabs when there are any.
pub fn from_table(t: &mut dyn Table, source: String, tabs: Option<&Tabs>) -> Result<Inventory> {
    // Another tab given for the vmk tab: say which, and what to give instead.
    if let Some(tab) = Tab::of_header(&*t).filter(|tab| *tab != Tab::VscVmk) {
        return Err(t.header_error(format!(
            "this is RVTools' {} tab, but the vmks are on its vSC_VMK tab: give the workbook \
             (.xlsx), the folder of the CSV export, or RVTools_tabvSC_VMK.csv together with this \
             file",
            tab.sheet()
        )));
    }
    let host_col = t.require("Host", WHAT)?;
    let device_col = t.require("Device", WHAT)?;
    t.warn_unknown(KNOWN_COLUMNS, "RVTools");
    let datacenter = t.col("Datacenter");
    let cluster = t.col("Cluster");
    let server_col = t.col("VI SDK Server");
    let common = VmkColumns::find(
        &*t,
        &VmkColumnNames {
            portgroup: "Port Group",
            ipv4: "IP Address",
            netmask: "Subnet mask",
            mac: "Mac Address",
            dhcp: "DHCP",
            mtu: "MTU",
            ipv6: "IP 6 Address",
        },
    );
    let gateway = t.col("Gateway");

    let mut hosts = HostTable::default();
    // The vCenter of each host's rows, to find its distributed port groups.
    let mut servers: HashMap<String, String> = HashMap::new();
    while let Some(row) = t.next_row()? {
        let name = row.required(&host_col)?;
        let vmk = Vmk {
            reported_gateway: row.text(gateway.as_ref()),
            ..common.read(&row, row.required(&device_col)?)?
        };
        let make = || Host {
            cluster: row.text(cluster.as_ref()),
            datacenter: row.text(datacenter.as_ref()),
            source: Some(source.clone()),
            ..Host::named(name.clone())
        };
        if tabs.is_some() {
            if let Some(s) = row.text(server_col.as_ref()) {
                servers.entry(name.clone()).or_insert(s);
            }
        }
        hosts.push(&row, &name, make, vmk)?;
    }
    // After the rows: a file that turns out malformed gets its error line only.
    t.warn_missing(NEEDED_COLUMNS, "RVTools");

    let mut inv = hosts.into_inventory(source, SourceKind::Rvtools);
    if let Some(tabs) = tabs {
        for h in &mut inv.hosts {
            let server = servers.get(&h.name).map(String::as_str);
            tabs.complete(h, server);
        }
        tabs.warn_unresolved(&inv.sources[0].name);
    }
    Ok(inv)
}

/// Read an `ExportAll2csv` export: the tab files `files` (the vSC_VMK one among them), as
/// source `source` (the folder, or the vSC_VMK file when the files were given one by one).
pub fn read_csv_tabs(
    files: &[(Tab, PathBuf)],
    source: String,
    max_bytes: u64,
) -> Result<Inventory> {
    let mut tabs = Tabs::default();
    let mut vmk_file = None;
    for (tab, path) in files {
        if *tab == Tab::VscVmk {
            vmk_file = Some(path);
            continue;
        }
        let text = crate::fsutil::open_input(path, max_bytes)?;
        let what = format!("RVTools' {} tab", tab.sheet());
        let mut t = CsvTable::open(path, Box::new(text), &what)?;
        tabs.read(*tab, &mut t)?;
    }
    let Some(path) = vmk_file else {
        let (_, first) = &files[0];
        return Err(crate::error::Error::input(
            crate::error::Location::file(first),
            "RVTools tab files without the vSC_VMK tab of the same export: give \
             RVTools_tabvSC_VMK.csv too, or the folder of the export"
                .to_string(),
        ));
    };
    let text = crate::fsutil::open_input(path, max_bytes)?;
    from_table(
        &mut CsvTable::open(path, Box::new(text), WHAT)?,
        source,
        Some(&tabs),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Host,Datacenter,Cluster,Port Group,Device,Mac Address,DHCP,IP Address,IP 6 Address,Subnet mask,Gateway,IP 6 Gateway,MTU,VI SDK Server,VI SDK UUID";

    fn parse_str(text: &str) -> Result<Inventory> {
        parse(Path::new("RVTools_tabvSC_VMK.csv"), text)
    }

    #[test]
    fn reads_rows_into_hosts_in_file_order() {
        let text = format!(
            "{HEADER}\n\
             esx2,DC,CL,Management Network,vmk0,00:50:56:00:00:01,False,10.0.0.2,,255.255.255.0,10.0.0.1,,1500,vc,u\n\
             esx1,DC,,vMotion,vmk1,00:50:56:00:00:02,True,10.0.1.1,fd00::1,255.255.255.0,,,9000,vc,u\n\
             esx2,DC,CL,vMotion,vmk1,,False,,,,,,,vc,u\n"
        );
        let inv = parse_str(&text).unwrap();
        assert_eq!(inv.sources[0].kind, SourceKind::Rvtools);
        let names: Vec<_> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["esx2", "esx1"]);
        let h2 = &inv.hosts[0];
        assert_eq!(h2.cluster.as_deref(), Some("CL"));
        assert_eq!(h2.datacenter.as_deref(), Some("DC"));
        assert_eq!(h2.vmks.len(), 2);
        let v0 = &h2.vmks[0];
        assert_eq!(v0.device, "vmk0");
        assert_eq!(v0.portgroup.as_deref(), Some("Management Network"));
        assert_eq!(v0.ipv4.as_deref(), Some("10.0.0.2"));
        assert_eq!(v0.netmask.as_deref(), Some("255.255.255.0"));
        assert_eq!(v0.dhcp, Some(false));
        assert_eq!(v0.mtu, Some(1500));
        assert_eq!(v0.mac.as_deref(), Some("00:50:56:00:00:01"));
        // The ambiguous Gateway column is informational only.
        assert_eq!(v0.reported_gateway.as_deref(), Some("10.0.0.1"));
        assert_eq!(v0.gateway, None);
        // Nothing RVTools cannot say is guessed.
        assert_eq!(v0.services, None);
        assert_eq!(v0.netstack, None);
        assert_eq!(v0.switch, None);
        assert_eq!(v0.switch_kind, None);
        assert_eq!(v0.vlan, None);
        assert_eq!(h2.netstacks, None);
        assert_eq!(h2.switches, None);
        assert_eq!(h2.firewall, None);
        // Empty cells are unknown.
        let v1 = &h2.vmks[1];
        assert_eq!(
            (v1.ipv4.clone(), v1.mtu, v1.mac.clone()),
            (None, None, None)
        );
        let h1 = &inv.hosts[1];
        assert_eq!(h1.cluster, None, "empty Cluster = standalone");
        assert_eq!(h1.vmks[0].ipv6, vec!["fd00::1"]);
        assert_eq!(h1.vmks[0].dhcp, Some(true));
    }

    #[test]
    fn columns_any_order_semicolons_bom_and_extra_columns() {
        let text = "\u{feff}MTU;device;Some New Column;HOST;Port Group\n9000;vmk1;x;esx1;vMotion\n";
        let inv = parse_str(text).unwrap();
        let v = &inv.hosts[0].vmks[0];
        assert_eq!(inv.hosts[0].name, "esx1");
        assert_eq!((v.device.as_str(), v.mtu), ("vmk1", Some(9000)));
        assert_eq!(v.portgroup.as_deref(), Some("vMotion"));
    }

    #[test]
    fn localized_numbers_are_read() {
        let text = "Host;Device;MTU\nesx1;vmk0;1.500\nesx1;vmk1;\"9 000\"\nesx1;vmk2;9,000\n";
        let inv = parse_str(text).unwrap();
        let mtus: Vec<_> = inv.hosts[0].vmks.iter().map(|v| v.mtu).collect();
        assert_eq!(mtus, [Some(1500), Some(9000), Some(9000)]);
    }

    #[test]
    fn missing_required_column_is_named() {
        let err = parse_str("Host,Port Group\nesx1,pg\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("RVTools_tabvSC_VMK.csv:1: missing required column \"Device\""),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_located() {
        let err = parse_str("Host,Device,MTU\nesx1,vmk0,1500\nesx1,vmk1,jumbo\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "RVTools_tabvSC_VMK.csv:3: column \"MTU\": \"jumbo\" is not a whole number"
        );
        let err = parse_str("Host,Device,DHCP\nesx1,vmk0,Ja\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("RVTools_tabvSC_VMK.csv:2: column \"DHCP\": \"Ja\""),
            "{err}"
        );
        let err = parse_str("Host,Device\n,vmk0\n").unwrap_err().to_string();
        assert!(
            err.starts_with("RVTools_tabvSC_VMK.csv:2: column \"Host\": empty"),
            "{err}"
        );
        let err = parse_str("Host,Device\nesx1,vmk0\nesx1,vmk0\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":3: vmk0 appears twice for host esx1 (first on line 2)"),
            "{err}"
        );
        // Also on a host with more vmks than are compared one by one.
        let mut text = String::from("Host,Device\n");
        for i in 0..40 {
            text.push_str(&format!("esx1,vmk{i}\nesx2,vmk{i}\n"));
        }
        text.push_str("esx2,vmk35\n");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(
            err.ends_with(":82: vmk35 appears twice for host esx2 (first on line 73)"),
            "{err}"
        );
    }
}
