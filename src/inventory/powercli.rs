//! PowerCLI `Get-VMHostNetworkAdapter -VMKernel | Export-Csv`, plain or extended.
//!
//! One row per VMkernel adapter (`HostVMKernelVirtualNicImpl`), with or without Export-Csv's
//! `#TYPE` first line, columns in any order. VMHost and Name (or DeviceName) are required. The
//! `*Enabled` traffic columns become the vmk's services (nicType strings); when the file has none
//! of them the services are unknown, and an empty cell makes the whole service list unknown
//! rather than guessing. The plain export gives no cluster, datacenter, TCP/IP stack, switch,
//! VLAN, gateway or firewall: those stay `None`. The extended export (the one-liner in
//! docs/collect.md, calculated properties in [`extended`]) adds the host's cluster, datacenter,
//! version, build and connection state, and the vmk's TCP/IP stack, gateway override, IPv6
//! addresses, switch (and whether it is distributed) and VLAN. Hosts appear in the order they
//! first occur in the file.

use std::io::Read;
use std::path::Path;

use super::csvutil::{Col, CsvTable, HostTable, Table, VmkColumnNames, VmkColumns};
use super::rvtools_tabs::vlan_cell;
use crate::error::Result;
use crate::findings::Data;
use crate::model::{service, Host, Inventory, SourceKind, SwitchKind, Vmk};

const WHAT: &str = "a PowerCLI Get-VMHostNetworkAdapter -VMKernel Export-Csv";

/// The traffic columns and the vSphere service (nicType) each one enables.
pub const SERVICE_COLUMNS: &[(&str, &str)] = &[
    ("ManagementTrafficEnabled", service::MANAGEMENT),
    ("VMotionEnabled", service::VMOTION),
    ("FaultToleranceLoggingEnabled", service::FT_LOGGING),
    ("VsanTrafficEnabled", service::VSAN),
    ("VSphereReplicationEnabled", service::REPLICATION),
    ("VSphereReplicationNFCEnabled", service::REPLICATION_NFC),
    ("ProvisioningEnabled", service::PROVISIONING),
    ("VSphereBackupNFCEnabled", service::BACKUP_NFC),
    // Exported by the PowerCLI versions that know vSAN witness traffic; older ones have no such
    // column. PowerCLI has no NVMe over TCP/RDMA or PTP column (HostVMKernelVirtualNicImpl
    // carries none): those services are not seen in a PowerCLI export.
    ("VsanWitnessTrafficEnabled", service::VSAN_WITNESS),
];

/// Columns Export-Csv writes for a `HostVMKernelVirtualNicImpl` besides the traffic columns
/// (accepted silently; only some are used).
pub const OTHER_KNOWN_COLUMNS: &[&str] = &[
    "VMHost",
    "Name",
    "DeviceName",
    "PortGroupName",
    "IP",
    "SubnetMask",
    "Mac",
    "DhcpEnabled",
    "Mtu",
    "IPv6",
    "IPv6Enabled",
    "AutomaticIPv6",
    "IPv6ThroughDhcp",
    "Id",
    "VMHostId",
    "VMHostUid",
    "Uid",
    "ExtensionData",
    "Client",
];

/// The columns of the extended export (the one-liner in docs/collect.md): calculated
/// properties beside `Get-VMHostNetworkAdapter`'s own.
pub mod extended {
    pub const CLUSTER: &str = "Cluster";
    pub const DATACENTER: &str = "Datacenter";
    pub const VERSION: &str = "VMHostVersion";
    pub const BUILD: &str = "VMHostBuild";
    pub const CONNECTION_STATE: &str = "ConnectionState";
    pub const NETSTACK: &str = "NetStack";
    pub const GATEWAY: &str = "Gateway";
    pub const IPV6: &str = "IPv6Addresses";
    pub const DISTRIBUTED: &str = "Distributed";
    pub const SWITCH: &str = "Switch";
    pub const VLAN: &str = "VLanId";
    pub const VLAN_CONFIGURATION: &str = "VlanConfiguration";
    /// All of them.
    pub const ALL: &[&str] = &[
        CLUSTER,
        DATACENTER,
        VERSION,
        BUILD,
        CONNECTION_STATE,
        NETSTACK,
        GATEWAY,
        IPV6,
        DISTRIBUTED,
        SWITCH,
        VLAN,
        VLAN_CONFIGURATION,
    ];
}

/// What `Get-VMHostNetworkAdapter -VMKernel` does not carry at all: unknown for every host
/// of a PowerCLI import.
pub const NOT_EXPORTED: &[Data] = &[
    Data::Netstacks,
    Data::Switches,
    Data::Firewall,
    Data::HostServices,
    Data::Pnics,
    Data::Lockdown,
    Data::Routes,
    Data::Teaming,
    Data::Security,
    Data::IscsiBinding,
];

/// The columns the checks need and the data each gives (see [`SERVICE_COLUMNS`] for the
/// services, which need at least one traffic column).
pub const NEEDED_COLUMNS: &[(Data, &[&str])] =
    &[(Data::Ipv4, &["IP", "SubnetMask"]), (Data::Mtu, &["Mtu"])];

/// The data only the extended export gives, and its columns: a plain export without them is
/// not warned about, but the report names them as what would give the data.
pub const EXTENDED_COLUMNS: &[(Data, &[&str])] = &[(Data::Vlan, &[extended::VLAN])];

/// The traffic columns as one name for messages.
pub const TRAFFIC_COLUMNS: &str =
    "ManagementTrafficEnabled, VMotionEnabled, ... (the *Enabled traffic columns)";

/// Parse a PowerCLI Export-Csv of VMkernel adapters (the whole text of `path`).
pub fn parse(path: &Path, text: &str) -> Result<Inventory> {
    from_table(CsvTable::parse(path, text, WHAT)?)
}

/// Read a PowerCLI Export-Csv of VMkernel adapters from `src` (the UTF-8 text of `path`), row
/// by row.
pub fn read(path: &Path, src: Box<dyn Read + Send>) -> Result<Inventory> {
    from_table(CsvTable::open(path, src, WHAT)?)
}

fn from_table(mut t: CsvTable<'_>) -> Result<Inventory> {
    let path = t.path;
    let host_col = t.require("VMHost", WHAT)?;
    let device_col = match t.col_any(&["DeviceName", "Name"]) {
        Some(c) => c,
        None => t.require("Name", WHAT)?,
    };
    let known: Vec<&str> = SERVICE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(OTHER_KNOWN_COLUMNS.iter().copied())
        .chain(extended::ALL.iter().copied())
        .collect();
    t.warn_unknown(&known, "PowerCLI");
    let ext: Vec<Option<Col>> = extended::ALL.iter().map(|c| t.col(c)).collect();
    let ext_col = |name: &str| {
        let i = extended::ALL.iter().position(|c| *c == name)?;
        ext[i].as_ref()
    };
    let services: Vec<_> = SERVICE_COLUMNS
        .iter()
        .filter_map(|(name, svc)| t.col(name).map(|c| (c, *svc)))
        .collect();
    let mut needed = NEEDED_COLUMNS.to_vec();
    if services.is_empty() {
        needed.push((Data::Services, &[TRAFFIC_COLUMNS]));
    }
    let common = VmkColumns::find(
        &t,
        &VmkColumnNames {
            portgroup: "PortGroupName",
            ipv4: "IP",
            netmask: "SubnetMask",
            mac: "Mac",
            dhcp: "DhcpEnabled",
            mtu: "Mtu",
            ipv6: "IPv6",
        },
    );

    let source = path.display().to_string();
    let mut hosts = HostTable::default();
    while let Some(row) = t.next_row()? {
        let name = row.required(&host_col)?;
        // Parse every traffic cell (so a bad value is reported wherever it is), then the list
        // is known only when every present column has a value.
        let mut enabled = Some(Vec::new());
        for (col, svc) in &services {
            match row.bool(Some(col))? {
                Some(true) => {
                    if let Some(list) = enabled.as_mut() {
                        list.push(svc.to_string());
                    }
                }
                Some(false) => {}
                None => enabled = None,
            }
        }
        let switch = row.text(ext_col(extended::SWITCH));
        let distributed = row.bool(ext_col(extended::DISTRIBUTED))?;
        let vlan = match row.text(ext_col(extended::VLAN)) {
            Some(_) => vlan_cell(&row, ext_col(extended::VLAN))?,
            None => vlan_cell(&row, ext_col(extended::VLAN_CONFIGURATION))?,
        };
        let common_vmk = common.read(&row, row.required(&device_col)?)?;
        let ipv6 = match row.text(ext_col(extended::IPV6)) {
            Some(_) => row.ipv6_list(ext_col(extended::IPV6)),
            None => common_vmk.ipv6.clone(),
        };
        let vmk = Vmk {
            services: if services.is_empty() { None } else { enabled },
            switch_kind: switch.as_ref().and(distributed).map(|d| {
                if d {
                    SwitchKind::Distributed
                } else {
                    SwitchKind::Standard
                }
            }),
            switch,
            vlan,
            netstack: row.text(ext_col(extended::NETSTACK)),
            gateway: row.text(ext_col(extended::GATEWAY)),
            ipv6,
            ..common_vmk
        };
        let state = row.text(ext_col(extended::CONNECTION_STATE));
        let make = || Host {
            source: Some(source.clone()),
            cluster: row.text(ext_col(extended::CLUSTER)),
            datacenter: row.text(ext_col(extended::DATACENTER)),
            version: row.text(ext_col(extended::VERSION)),
            build: row.text(ext_col(extended::BUILD)),
            connection_state: state.as_deref().map(connection_state),
            ..Host::named(name.clone())
        };
        hosts.push(&row, &name, make, vmk)?;
    }
    // After the rows: a file that turns out malformed gets its error line only.
    t.warn_missing(&needed, "PowerCLI");

    Ok(hosts.into_inventory(source, SourceKind::Powercli))
}

/// PowerCLI's `VMHost.ConnectionState` as the model's `runtime.connectionState`: a host in
/// maintenance mode is connected; other values are kept as written.
fn connection_state(state: &str) -> String {
    match state.to_ascii_lowercase().as_str() {
        "connected" | "maintenance" => "connected".to_string(),
        "disconnected" => "disconnected".to_string(),
        "notresponding" => "notResponding".to_string(),
        _ => state.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Inventory> {
        parse(Path::new("vmk.csv"), text)
    }

    const TYPE_LINE: &str =
        "#TYPE VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.Nic.HostVMKernelVirtualNicImpl";

    #[test]
    fn reads_export_csv_with_type_line() {
        let text = format!(
            "{TYPE_LINE}\n\
             \"VMotionEnabled\",\"ManagementTrafficEnabled\",\"VsanTrafficEnabled\",\"IPv6\",\"Mtu\",\"PortGroupName\",\"VMHost\",\"DeviceName\",\"Mac\",\"DhcpEnabled\",\"IP\",\"SubnetMask\",\"Name\",\"ExtensionData\"\n\
             \"False\",\"True\",\"False\",\"System.String[]\",\"1500\",\"Management Network\",\"esx1\",\"vmk0\",\"00:50:56:00:00:01\",\"False\",\"10.0.0.1\",\"255.255.255.0\",\"vmk0\",\"VMware.Vim.HostVirtualNic\"\n\
             \"True\",\"False\",\"True\",\"System.String[]\",\"9000\",\"vMotion\",\"esx1\",\"vmk1\",\"\",\"True\",\"10.0.1.1\",\"255.255.255.0\",\"vmk1\",\"VMware.Vim.HostVirtualNic\"\n"
        );
        let inv = parse_str(&text).unwrap();
        assert_eq!(inv.sources[0].kind, SourceKind::Powercli);
        assert_eq!(inv.hosts.len(), 1);
        let h = &inv.hosts[0];
        assert_eq!(h.name, "esx1");
        assert_eq!((h.cluster.clone(), h.netstacks.clone()), (None, None));
        assert_eq!((h.switches.clone(), h.firewall.clone()), (None, None));
        let v0 = &h.vmks[0];
        assert_eq!(v0.services, Some(vec!["management".to_string()]));
        assert_eq!(v0.mtu, Some(1500));
        assert!(v0.ipv6.is_empty(), "System.String[] carries no address");
        assert_eq!(v0.mac.as_deref(), Some("00:50:56:00:00:01"));
        assert_eq!(
            (v0.gateway.clone(), v0.vlan_id(), v0.switch.clone()),
            (None, None, None)
        );
        let v1 = &h.vmks[1];
        assert_eq!(
            v1.services,
            Some(vec!["vmotion".to_string(), "vsan".to_string()])
        );
        assert_eq!(v1.dhcp, Some(true));
        assert_eq!(v1.mac, None);
    }

    #[test]
    fn vsan_witness_column_is_a_service() {
        let inv = parse_str(
            "VMHost,Name,VsanTrafficEnabled,VsanWitnessTrafficEnabled\nesx1,vmk1,False,True\n",
        )
        .unwrap();
        assert_eq!(
            inv.hosts[0].vmks[0].services,
            Some(vec!["vsanWitness".to_string()])
        );
    }

    #[test]
    fn services_unknown_without_columns_or_with_empty_cells() {
        let inv = parse_str("VMHost,Name,IP\nesx1,vmk0,10.0.0.1\n").unwrap();
        assert_eq!(inv.hosts[0].vmks[0].services, None);
        let inv =
            parse_str("VMHost,Name,VMotionEnabled,VsanTrafficEnabled\nesx1,vmk0,True,\n").unwrap();
        assert_eq!(inv.hosts[0].vmks[0].services, None);
        let inv = parse_str("VMHost,Name,VMotionEnabled\nesx1,vmk0,False\n").unwrap();
        assert_eq!(inv.hosts[0].vmks[0].services, Some(vec![]));
    }

    #[test]
    fn name_or_device_name() {
        let inv = parse_str("vmhost;name\nesx1;vmk3\n").unwrap();
        assert_eq!(inv.hosts[0].vmks[0].device, "vmk3");
        let err = parse_str("VMHost,IP\nesx1,10.0.0.1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("vmk.csv:1: missing required column \"Name\""),
            "{err}"
        );
        let err = parse_str(&format!("{TYPE_LINE}\nName,IP\nvmk0,10.0.0.1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("vmk.csv:2: missing required column \"VMHost\""),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_located() {
        let text = format!("{TYPE_LINE}\nVMHost,Name,Mtu,VMotionEnabled\nesx1,vmk0,1500,Yes\nesx1,vmk1,9000,Maybe\n");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("vmk.csv:4: column \"VMotionEnabled\": \"Maybe\" is not a boolean"),
            "{err}"
        );
        let err = parse_str("VMHost,Name,Mtu\nesx1,vmk0,9k\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "vmk.csv:2: column \"Mtu\": \"9k\" is not a whole number"
        );
    }

    #[test]
    fn reads_the_extended_export() {
        let text = "\"VMHost\",\"Name\",\"PortGroupName\",\"Mtu\",\"VMotionEnabled\",\"Cluster\",\"Datacenter\",\"VMHostVersion\",\"VMHostBuild\",\"ConnectionState\",\"NetStack\",\"Gateway\",\"IPv6Addresses\",\"Distributed\",\"Switch\",\"VLanId\",\"VlanConfiguration\"\n\
            \"esx1\",\"vmk0\",\"Management Network\",\"1500\",\"False\",\"CL\",\"DC\",\"8.0.3\",\"24022510\",\"Maintenance\",\"defaultTcpipStack\",\"\",\"fd00::1/64\",\"False\",\"vSwitch0\",\"10\",\"\"\n\
            \"esx1\",\"vmk1\",\"dvPG-vMotion\",\"9000\",\"True\",\"CL\",\"DC\",\"8.0.3\",\"24022510\",\"Maintenance\",\"vmotion\",\"10.0.20.254\",\"\",\"True\",\"DVS1\",\"\",\"VLAN Trunk [0-4094]\"\n";
        let inv = parse_str(text).unwrap();
        let h = &inv.hosts[0];
        assert_eq!(
            (h.cluster.as_deref(), h.datacenter.as_deref()),
            (Some("CL"), Some("DC"))
        );
        assert_eq!(
            (h.version.as_deref(), h.build.as_deref()),
            (Some("8.0.3"), Some("24022510"))
        );
        assert_eq!(h.connection_state.as_deref(), Some("connected"));
        let (v0, v1) = (&h.vmks[0], &h.vmks[1]);
        assert_eq!(v0.netstack.as_deref(), Some("defaultTcpipStack"));
        assert_eq!(v0.gateway, None);
        assert_eq!(v0.ipv6, vec!["fd00::1/64"]);
        assert_eq!(
            (v0.switch.as_deref(), v0.switch_kind, v0.vlan_id()),
            (Some("vSwitch0"), Some(SwitchKind::Standard), Some(10))
        );
        assert_eq!(
            (v1.switch.as_deref(), v1.switch_kind),
            (Some("DVS1"), Some(SwitchKind::Distributed))
        );
        assert_eq!(v1.gateway.as_deref(), Some("10.0.20.254"));
        assert_eq!(
            v1.vlan,
            Some(crate::model::Vlan::Spec(crate::model::VlanSpec::Trunk(
                vec![[0, 4094]]
            )))
        );
        let err = parse_str("VMHost,Name,VLanId\nesx1,vmk0,abc\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("vmk.csv:2: column \"VLanId\": \"abc\" is not a VLAN"),
            "{err}"
        );
    }
}
