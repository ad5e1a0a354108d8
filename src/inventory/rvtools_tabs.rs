//! RVTools' other tabs, joined to the vmks of its vSC_VMK tab.
//!
//! An RVTools export is a workbook (`.xlsx`, one sheet per tab) or, from the command line's
//! `ExportAll2csv`, one CSV file per tab named `RVTools_tab<Tab>.csv` (in a folder, or given
//! as several files). Beside `vSC_VMK` (the vmks), these tabs carry what the model can use:
//!
//! | tab | one row per | gives |
//! |---|---|---|
//! | `vSwitch` | standard switch of a host | its MTU; its security policy (the default of its port groups) |
//! | `vPort` | standard port group of a host | a standard vmk's switch, VLAN and security policy |
//! | `dvSwitch` | distributed switch | its MTU (`Max MTU`) |
//! | `dvPort` | distributed port group | a distributed vmk's switch, VLAN (ID, trunk ranges or private VLAN), security policy and teaming (load balancing, active and standby uplinks) |
//! | `vNIC` | physical NIC of a host | the host's pnics (speed, duplex; link up when the speed is above 0), each switch's uplinks, the vmnic behind a distributed uplink (`Uplink port`) |
//! | `vHost` | host | version and build (`ESX Version`: `VMware ESXi 8.0.2 build-22380479`), cluster and datacenter when the vSC_VMK tab has none |
//!
//! A host with no row in `vNIC` (or in neither switch tab) has its pnics (switches) unknown,
//! not empty: RVTools read nothing there.
//!
//! A vmk's port group is looked up among the host's standard port groups first, then among the
//! distributed port groups of the same vCenter (`VI SDK Server`) on a switch the host has
//! uplinks on; a port group found nowhere (or twice) leaves the vmk's switch, VLAN, security
//! and teaming unknown, with one warning for the file. RVTools shows no failover order for a
//! standard port group, so a standard vmk's teaming stays unknown; a distributed uplink that no
//! vNIC row maps to a vmnic of the host leaves that vmk's teaming unknown too. Columns are found
//! by name in any order, with the names of other RVTools 4.x versions where they differ
//! ([`Tab::required`] lists the required ones); numbers may be written in any locale
//! ([`super::csvutil::parse_whole`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::csvutil::{Col, Row, Table};
use crate::error::{Error, Location, Result};
use crate::model::{
    device_order, Duplex, Host, Pnic, SecurityPolicy, Switch, SwitchKind, Teaming, Vlan, VlanSpec,
};

/// The RVTools tabs vmkaudit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tab {
    VscVmk,
    VSwitch,
    VPort,
    DvSwitch,
    DvPort,
    VNic,
    VHost,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::VscVmk,
        Tab::VSwitch,
        Tab::VPort,
        Tab::DvSwitch,
        Tab::DvPort,
        Tab::VNic,
        Tab::VHost,
    ];

    /// The sheet name in the workbook (`RVTools_tab<sheet>.csv` in a CSV export).
    pub fn sheet(self) -> &'static str {
        match self {
            Tab::VscVmk => "vSC_VMK",
            Tab::VSwitch => "vSwitch",
            Tab::VPort => "vPort",
            Tab::DvSwitch => "dvSwitch",
            Tab::DvPort => "dvPort",
            Tab::VNic => "vNIC",
            Tab::VHost => "vHost",
        }
    }

    /// The tab of sheet `name` (any case).
    pub fn of_sheet(name: &str) -> Option<Tab> {
        Tab::ALL
            .into_iter()
            .find(|t| t.sheet().eq_ignore_ascii_case(name.trim()))
    }

    /// The tab of an `ExportAll2csv` file name: `RVTools_tab<sheet>.csv` (any case, any
    /// prefix before `tab`).
    pub fn of_file_name(name: &str) -> Option<Tab> {
        let lower = name.to_ascii_lowercase();
        let stem = lower.strip_suffix(".csv")?;
        Tab::ALL.into_iter().find(|t| {
            stem.strip_suffix(&t.sheet().to_ascii_lowercase())
                .is_some_and(|rest| rest.ends_with("tab"))
        })
    }

    /// The tab a CSV's header belongs to, from the columns only that tab has.
    pub fn of_header(t: &dyn Table) -> Option<Tab> {
        let has = |n: &str| t.col(n).is_some();
        if has("Host") && has("Device") {
            Some(Tab::VscVmk)
        } else if has("Network Device") {
            Some(Tab::VNic)
        } else if has("ESX Version") {
            Some(Tab::VHost)
        } else if has("Host") && has("Port Group") && has("Switch") {
            Some(Tab::VPort)
        } else if has("Host") && has("Switch") {
            Some(Tab::VSwitch)
        } else if has("Port") && has("Switch") {
            Some(Tab::DvPort)
        } else if has("Switch") && (has("Max MTU") || has("Host members")) {
            Some(Tab::DvSwitch)
        } else {
            None
        }
    }

    /// The columns a tab must have to be read (other versions' names in brackets).
    pub fn required(self) -> &'static [&'static [&'static str]] {
        match self {
            Tab::VscVmk => &[&["Host"], &["Device"]],
            Tab::VSwitch => &[&["Host"], &["Switch"]],
            Tab::VPort => &[&["Host"], &["Port Group", "Portgroup"], &["Switch"]],
            Tab::DvSwitch => &[&["Switch", "Name"]],
            Tab::DvPort => &[&["Port", "Port Group", "Portgroup"], &["Switch"]],
            Tab::VNic => &[&["Host"], &["Network Device", "Device"]],
            Tab::VHost => &[&["Host"]],
        }
    }
}

/// A column by any of its names across RVTools versions, or the first name's error.
fn require_any(t: &dyn Table, names: &[&str], what: &str) -> Result<Col> {
    t.col_any(names)
        .map_or_else(|| t.require(names[0], what), Ok)
}

/// A port group's settings as one tab row gives them.
#[derive(Debug, Clone, Default)]
struct Port {
    switch: String,
    vlan: Option<Vlan>,
    promiscuous: Option<bool>,
    mac_changes: Option<bool>,
    forged_transmits: Option<bool>,
    policy: Option<String>,
    /// Uplink port names (distributed), `None` when the cell is empty or absent.
    active: Option<Vec<String>>,
    standby: Vec<String>,
    server: Option<String>,
}

/// A standard switch of a host (vSwitch).
#[derive(Debug, Clone, Default)]
struct StdSwitch {
    name: String,
    mtu: Option<u32>,
    promiscuous: Option<bool>,
    mac_changes: Option<bool>,
    forged_transmits: Option<bool>,
}

/// A distributed switch (dvSwitch): its vCenter and MTU.
type DvSwitch = (Option<String>, Option<u32>);

/// A physical NIC of a host (vNIC).
#[derive(Debug, Clone)]
struct Nic {
    device: String,
    speed: Option<u32>,
    duplex: Option<Duplex>,
    switch: Option<String>,
    uplink_port: Option<String>,
}

/// A host's vHost row.
#[derive(Debug, Clone, Default)]
struct HostInfo {
    version: Option<String>,
    build: Option<String>,
    cluster: Option<String>,
    datacenter: Option<String>,
}

/// What the tabs other than vSC_VMK say, indexed for the join.
#[derive(Debug, Default)]
pub struct Tabs {
    present: Vec<Tab>,
    /// Host → its standard switches, in tab order.
    vswitch: HashMap<String, Vec<StdSwitch>>,
    /// (host, port group) → standard port group.
    vport: HashMap<(String, String), Port>,
    /// Switch name → (vCenter, MTU) of each distributed switch of that name.
    dvswitch: HashMap<String, Vec<DvSwitch>>,
    /// Port group name → each distributed port group of that name.
    dvport: HashMap<String, Vec<Port>>,
    vnic: HashMap<String, Vec<Nic>>,
    vhost: HashMap<String, HostInfo>,
    /// vmks whose port group was found in no tab (or in several), for one warning.
    unresolved: std::cell::Cell<usize>,
}

impl Tabs {
    /// Whether any tab besides vSC_VMK was read.
    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// The tabs read, in [`Tab::ALL`] order.
    pub fn present(&self) -> &[Tab] {
        &self.present
    }

    /// Read tab `tab` (not vSC_VMK) from `t`, row by row, into the indexes.
    pub fn read(&mut self, tab: Tab, t: &mut dyn Table) -> Result<()> {
        if tab == Tab::VscVmk {
            // The vmks are read by the vSC_VMK importer, which joins these tabs to them.
            return Ok(());
        }
        let what = format!("RVTools' {} tab", tab.sheet());
        let mut cols = Vec::new();
        for names in tab.required() {
            cols.push(require_any(t, names, &what)?);
        }
        let switch = t.col("Switch");
        let server = t.col("VI SDK Server");
        let vlan = t.col_any(&["VLAN", "VLAN ID", "VlanId"]);
        let promiscuous = t.col_any(&["Promiscuous Mode", "Allow Promiscuous"]);
        let mac_changes = t.col_any(&["Mac Changes", "MAC Address Changes"]);
        let forged = t.col("Forged Transmits");
        let policy = t.col_any(&["Policy", "Load Balancing"]);
        let mtu = t.col_any(&["MTU", "Max MTU"]);
        let active = t.col_any(&["Active Uplink", "Active Uplinks"]);
        let standby = t.col_any(&["Standby Uplink", "Standby Uplinks"]);
        let speed = t.col_any(&["Speed", "Speed (Mbps)"]);
        let duplex = t.col_any(&["Duplex", "Full Duplex"]);
        let uplink_port = t.col_any(&["Uplink port", "Uplink Port Name"]);
        let version = t.col_any(&["ESX Version", "ESXi Version"]);
        let cluster = t.col("Cluster");
        let datacenter = t.col("Datacenter");
        while let Some(row) = t.next_row()? {
            let port = |switch: String| -> Result<Port> {
                Ok(Port {
                    switch,
                    vlan: vlan_cell(&row, vlan.as_ref())?,
                    promiscuous: row.bool(promiscuous.as_ref())?,
                    mac_changes: row.bool(mac_changes.as_ref())?,
                    forged_transmits: row.bool(forged.as_ref())?,
                    policy: row.text(policy.as_ref()),
                    active: row.text(active.as_ref()).map(|v| list(&v)),
                    standby: row
                        .text(standby.as_ref())
                        .map_or_else(Vec::new, |v| list(&v)),
                    server: row.text(server.as_ref()),
                })
            };
            match tab {
                Tab::VscVmk => {}
                Tab::VSwitch => {
                    let h = row.required(&cols[0])?;
                    let sw = StdSwitch {
                        name: row.required(&cols[1])?,
                        mtu: row.u32(mtu.as_ref())?,
                        promiscuous: row.bool(promiscuous.as_ref())?,
                        mac_changes: row.bool(mac_changes.as_ref())?,
                        forged_transmits: row.bool(forged.as_ref())?,
                    };
                    self.vswitch.entry(h).or_default().push(sw);
                }
                Tab::VPort => {
                    let h = row.required(&cols[0])?;
                    let pg = row.required(&cols[1])?;
                    let p = port(row.required(&cols[2])?)?;
                    self.vport.insert((h, pg), p);
                }
                Tab::DvSwitch => {
                    let name = row.required(&cols[0])?;
                    let entry = (row.text(server.as_ref()), row.u32(mtu.as_ref())?);
                    self.dvswitch.entry(name).or_default().push(entry);
                }
                Tab::DvPort => {
                    let pg = row.required(&cols[0])?;
                    let p = port(row.required(&cols[1])?)?;
                    self.dvport.entry(pg).or_default().push(p);
                }
                Tab::VNic => {
                    let h = row.required(&cols[0])?;
                    let nic = Nic {
                        device: row.required(&cols[1])?,
                        speed: row.u32(speed.as_ref())?,
                        duplex: duplex_cell(&row, duplex.as_ref())?,
                        switch: row.text(switch.as_ref()),
                        uplink_port: row.text(uplink_port.as_ref()),
                    };
                    self.vnic.entry(h).or_default().push(nic);
                }
                Tab::VHost => {
                    let h = row.required(&cols[0])?;
                    let (version, build) = row
                        .text(version.as_ref())
                        .map_or((None, None), |v| esx_version(&v));
                    self.vhost.insert(
                        h,
                        HostInfo {
                            version,
                            build,
                            cluster: row.text(cluster.as_ref()),
                            datacenter: row.text(datacenter.as_ref()),
                        },
                    );
                }
            }
        }
        if !self.present.contains(&tab) {
            self.present.push(tab);
            self.present.sort();
        }
        Ok(())
    }

    /// Fill in `host` (read from the vSC_VMK tab; its vmks' `server` is the vCenter of its
    /// rows) from the other tabs.
    pub fn complete(&self, host: &mut Host, server: Option<&str>) {
        let name = host.name.clone();
        let nics: &[Nic] = self.vnic.get(&name).map_or(&[], Vec::as_slice);
        let std_switches: &[StdSwitch] = self.vswitch.get(&name).map_or(&[], Vec::as_slice);
        if let Some(info) = self.vhost.get(&name) {
            host.version = info.version.clone();
            host.build = info.build.clone();
            if host.cluster.is_none() {
                host.cluster = info.cluster.clone();
            }
            if host.datacenter.is_none() {
                host.datacenter = info.datacenter.clone();
            }
        }
        // A host with no row in a tab was not read there (a host without physical NICs or
        // switches carries no vmks): unknown, not empty.
        if !nics.is_empty() {
            host.pnics = Some(
                nics.iter()
                    .map(|n| {
                        let up = n.speed.map(|s| s > 0);
                        Pnic {
                            device: n.device.clone(),
                            link_up: up,
                            speed_mbps: n.speed.filter(|s| *s > 0),
                            duplex: if up == Some(true) { n.duplex } else { None },
                        }
                    })
                    .collect(),
            );
        }
        let uplinks = |switch: &str| -> Vec<String> {
            let mut u: Vec<String> = nics
                .iter()
                .filter(|n| n.switch.as_deref() == Some(switch))
                .map(|n| n.device.clone())
                .collect();
            u.sort_by(|a, b| device_order(a, b));
            u
        };
        let is_standard = |sw: &str| std_switches.iter().any(|s| s.name == sw);
        let mut distributed: Vec<String> = Vec::new();
        for n in nics {
            if let Some(sw) = n.switch.as_deref() {
                if !is_standard(sw)
                    && self.dvswitch.contains_key(sw)
                    && !distributed.iter().any(|d| d == sw)
                {
                    distributed.push(sw.to_string());
                }
            }
        }
        for vmk in &mut host.vmks {
            let Some(pg) = vmk.portgroup.clone() else {
                continue;
            };
            if let Some(p) = self.vport.get(&(name.clone(), pg.clone())) {
                let sw = std_switches.iter().find(|s| s.name == p.switch);
                vmk.switch = Some(p.switch.clone());
                vmk.switch_kind = Some(SwitchKind::Standard);
                vmk.vlan = p.vlan.clone();
                vmk.security = security(
                    p.promiscuous.or(sw.and_then(|s| s.promiscuous)),
                    p.mac_changes.or(sw.and_then(|s| s.mac_changes)),
                    p.forged_transmits.or(sw.and_then(|s| s.forged_transmits)),
                );
                continue;
            }
            let candidates: Vec<&Port> = self
                .dvport
                .get(&pg)
                .map(|v| {
                    v.iter()
                        .filter(|p| match (server, p.server.as_deref()) {
                            (Some(a), Some(b)) => a == b,
                            _ => true,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let chosen = match candidates.as_slice() {
                [one] => Some(*one),
                [] => None,
                many => {
                    let on_host: Vec<&&Port> = many
                        .iter()
                        .filter(|p| nics.iter().any(|n| n.switch.as_deref() == Some(&p.switch)))
                        .collect();
                    match on_host.as_slice() {
                        [one] => Some(**one),
                        _ => None,
                    }
                }
            };
            let Some(p) = chosen else {
                if !self.vport.is_empty() || !self.dvport.is_empty() {
                    self.unresolved.set(self.unresolved.get() + 1);
                }
                continue;
            };
            vmk.switch = Some(p.switch.clone());
            vmk.switch_kind = Some(SwitchKind::Distributed);
            vmk.vlan = p.vlan.clone();
            vmk.security = security(p.promiscuous, p.mac_changes, p.forged_transmits);
            vmk.teaming = p.active.as_ref().and_then(|active| {
                let vmnic = |port: &String| {
                    nics.iter()
                        .find(|n| {
                            n.switch.as_deref() == Some(&p.switch)
                                && n.uplink_port.as_deref() == Some(port.as_str())
                        })
                        .map(|n| n.device.clone())
                };
                Some(Teaming {
                    policy: p.policy.clone(),
                    active: active.iter().map(vmnic).collect::<Option<Vec<_>>>()?,
                    standby: p.standby.iter().map(vmnic).collect::<Option<Vec<_>>>()?,
                })
            });
            if !distributed.contains(&p.switch) {
                distributed.push(p.switch.clone());
            }
        }
        if self.present.contains(&Tab::VSwitch) || self.present.contains(&Tab::DvSwitch) {
            let mut switches: Vec<Switch> = std_switches
                .iter()
                .map(|s| Switch {
                    name: s.name.clone(),
                    kind: SwitchKind::Standard,
                    mtu: s.mtu,
                    uplinks: Some(uplinks(&s.name)).filter(|_| !nics.is_empty()),
                })
                .collect();
            for d in distributed {
                let mtu = self.dvswitch.get(&d).and_then(|all| {
                    let same = |s: &Option<String>| match (server, s.as_deref()) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    };
                    all.iter().find(|(s, _)| same(s)).and_then(|(_, m)| *m)
                });
                switches.push(Switch {
                    uplinks: Some(uplinks(&d)).filter(|_| !nics.is_empty()),
                    name: d,
                    kind: SwitchKind::Distributed,
                    mtu,
                });
            }
            host.switches = Some(switches).filter(|s| !s.is_empty());
        }
    }

    /// Log one warning when some vmks' port groups were found in no tab.
    pub fn warn_unresolved(&self, source: &str) {
        let n = self.unresolved.get();
        if n > 0 {
            tracing::warn!(
                "{source}: the port group of {n} vmk(s) is in neither the vPort nor the dvPort \
                 tab (or in several distributed switches of the host): their switch, VLAN, \
                 security policy and teaming stay unknown"
            );
        }
    }
}

fn security(
    promiscuous: Option<bool>,
    mac_changes: Option<bool>,
    forged_transmits: Option<bool>,
) -> Option<SecurityPolicy> {
    (promiscuous.is_some() || mac_changes.is_some() || forged_transmits.is_some()).then_some(
        SecurityPolicy {
            promiscuous,
            mac_changes,
            forged_transmits,
        },
    )
}

/// A list cell: names separated by commas or semicolons.
fn list(v: &str) -> Vec<String> {
    v.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The version and build in an `ESX Version` cell (`VMware ESXi 8.0.2 build-22380479`).
fn esx_version(v: &str) -> (Option<String>, Option<String>) {
    let mut version = None;
    let mut build = None;
    for word in v.split_whitespace() {
        if let Some(b) = word.strip_prefix("build-") {
            build = Some(b.to_string()).filter(|b| b.bytes().all(|c| c.is_ascii_digit()));
        } else if version.is_none()
            && word.contains('.')
            && word
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        {
            version = Some(word.to_string());
        }
    }
    (version, build)
}

/// A Duplex cell: `True`/`Full`/`Full Duplex` or `False`/`Half`/`Half Duplex`; empty → `None`.
fn duplex_cell(row: &Row<'_>, col: Option<&Col>) -> Result<Option<Duplex>> {
    let Some(v) = row.text(col) else {
        return Ok(None);
    };
    match v.to_ascii_lowercase().as_str() {
        "true" | "full" | "full duplex" | "1" | "yes" => Ok(Some(Duplex::Full)),
        "false" | "half" | "half duplex" | "0" | "no" => Ok(Some(Duplex::Half)),
        _ => Err(row.error(
            col.expect("text() found the column"),
            format!("\"{v}\" is not a duplex (expected True, False, Full or Half)"),
        )),
    }
}

/// A VLAN cell: an ID (`120`, `VLAN 120`), trunk ranges (`0-4094`, `100-199, 300`, PowerCLI's
/// `VLAN Trunk [0-4094]`) or a private VLAN (`PVLAN 101`, `Private VLAN 101`); empty → `None`.
pub(crate) fn vlan_cell(row: &Row<'_>, col: Option<&Col>) -> Result<Option<Vlan>> {
    let Some(v) = row.text(col) else {
        return Ok(None);
    };
    let bad = || {
        row.error(
            col.expect("text() found the column"),
            format!(
                "\"{v}\" is not a VLAN (expected an ID 0-4095, trunk ranges such as 100-199, 300, \
                 or PVLAN <ID>)"
            ),
        )
    };
    let id = |s: &str| -> Option<u16> {
        super::csvutil::parse_whole(s)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n <= 4095)
    };
    let lower = v.to_ascii_lowercase().replace(['[', ']'], " ");
    let lower = lower.trim();
    let pvlan = lower
        .strip_prefix("private vlan")
        .or_else(|| lower.strip_prefix("pvlan"));
    if let Some(rest) = pvlan {
        let n = id(rest.trim_start_matches([':', ' '])).ok_or_else(bad)?;
        return Ok(Some(Vlan::Spec(VlanSpec::Pvlan(n))));
    }
    let trunk = lower
        .strip_prefix("vlan trunk")
        .or_else(|| lower.strip_prefix("trunk"));
    if trunk.is_none() {
        let plain = lower.strip_prefix("vlan").unwrap_or(lower);
        if let Some(n) = id(plain.trim_start_matches([':', ' '])) {
            return Ok(Some(Vlan::Id(n)));
        }
    }
    let lower = trunk.unwrap_or(lower).trim_start_matches([':', ' ']);
    let mut ranges = Vec::new();
    for part in lower
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (id(a.trim()).ok_or_else(bad)?, id(b.trim()).ok_or_else(bad)?);
        if a > b {
            return Err(bad());
        }
        ranges.push([a, b]);
    }
    if ranges.is_empty() {
        return Err(bad());
    }
    Ok(Some(Vlan::Spec(VlanSpec::Trunk(ranges))))
}

/// The files of an `ExportAll2csv` folder that vmkaudit reads, by tab. Files of other tabs are
/// ignored; two files of one tab are an error, and so is a folder without the vSC_VMK tab (one
/// with no RVTools tab at all is refused as any directory given for a file is).
pub fn folder_files(dir: &Path) -> Result<Vec<(Tab, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut found: Vec<(Tab, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(tab) = Tab::of_file_name(&name.to_string_lossy()) else {
            continue;
        };
        let path = entry.path();
        if let Some((_, other)) = found.iter().find(|(t, _)| *t == tab) {
            return Err(Error::input(
                Location::file(dir),
                format!(
                    "two files of RVTools' {} tab: {} and {}; keep one export per folder",
                    tab.sheet(),
                    other.display(),
                    path.display()
                ),
            ));
        }
        found.push((tab, path));
    }
    found.sort();
    if found.is_empty() {
        // No RVTools export here: a directory given for a file.
        return Err(Error::input(
            Location::file(dir),
            "not a regular file but a directory: give an inventory file or an export saved as \
             a file"
                .to_string(),
        ));
    }
    if !found.iter().any(|(t, _)| *t == Tab::VscVmk) {
        return Err(Error::input(
            Location::file(dir),
            "a folder is read as an RVTools CSV export (ExportAll2csv), but it has no \
             RVTools_tabvSC_VMK.csv: give the folder of an export, an inventory file or an \
             export saved as a file"
                .to_string(),
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_names() {
        assert_eq!(
            Tab::of_file_name("RVTools_tabvSC_VMK.csv"),
            Some(Tab::VscVmk)
        );
        assert_eq!(
            Tab::of_file_name("rvtools_tabdvport.CSV"),
            Some(Tab::DvPort)
        );
        assert_eq!(
            Tab::of_file_name("vc01_RVTools_tabvNIC.csv"),
            Some(Tab::VNic)
        );
        assert_eq!(Tab::of_file_name("RVTools_tabvInfo.csv"), None);
        assert_eq!(Tab::of_file_name("vPort.csv"), None);
        assert_eq!(Tab::of_sheet(" vhost "), Some(Tab::VHost));
    }

    fn vlan(text: &str) -> std::result::Result<Option<Vlan>, String> {
        let rec = csv::StringRecord::from(vec![text]);
        let row = Row {
            path: Path::new("t.csv"),
            line: 2,
            rec: &rec,
            sheet: None,
        };
        let col = Col {
            index: 0,
            name: "VLAN".into(),
        };
        vlan_cell(&row, Some(&col)).map_err(|e| e.to_string())
    }

    #[test]
    fn vlan_cells() {
        assert_eq!(vlan(""), Ok(None));
        assert_eq!(vlan("120"), Ok(Some(Vlan::Id(120))));
        assert_eq!(vlan("4095"), Ok(Some(Vlan::Id(4095))));
        assert_eq!(vlan("VLAN 120"), Ok(Some(Vlan::Id(120))));
        assert_eq!(
            vlan("VLAN Trunk [0-4094]"),
            Ok(Some(Vlan::Spec(VlanSpec::Trunk(vec![[0, 4094]]))))
        );
        assert_eq!(
            vlan("0-4094"),
            Ok(Some(Vlan::Spec(VlanSpec::Trunk(vec![[0, 4094]]))))
        );
        assert_eq!(
            vlan("Trunk: 100-199, 300"),
            Ok(Some(Vlan::Spec(VlanSpec::Trunk(vec![
                [100, 199],
                [300, 300]
            ]))))
        );
        assert_eq!(
            vlan("PVLAN 101"),
            Ok(Some(Vlan::Spec(VlanSpec::Pvlan(101))))
        );
        assert_eq!(
            vlan("Private VLAN: 7"),
            Ok(Some(Vlan::Spec(VlanSpec::Pvlan(7))))
        );
        for bad in ["4096", "ten", "200-100", "1-", "pvlan x"] {
            let err = vlan(bad).unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "t.csv:2: column \"VLAN\": \"{bad}\" is not a VLAN"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn versions() {
        assert_eq!(
            esx_version("VMware ESXi 8.0.2 build-22380479"),
            (Some("8.0.2".into()), Some("22380479".into()))
        );
        assert_eq!(esx_version("n/a"), (None, None));
    }
}
