//! The two passes over one source's inventory, on an open session.
//!
//! The structure pass: one container view over datacenters, folders, compute resources and
//! clusters (for the parent chain of each host), and on vCenter distributed switches (with
//! their default port setting, and `config.maxMtu` asked of VMware distributed switches only;
//! their whole `config` where the server refuses that path) and distributed port groups (with
//! their default port setting and override policy), read into a [`Structure`]; then, for port
//! groups that let ports override their policy, the settings of the vmks' own distributed ports
//! (FetchDVPorts, one call per switch). The host pass: one container view over every
//! HostSystem, read in pages and mapped page by page ([`map_host`]), each host handed on as it
//! is mapped. Both destroy their view when done.

use super::client::Client;
use super::error::{CallError, StepError};
use super::map::{describe_missing, map_host, sample, Refused, Structure};
use super::retrieve::{create_view, destroy_view, retrieve};
use super::session::ServiceContent;
use super::soap::{esc, MoRef};
use crate::model::{Host, SwitchKind};

/// The structure pass: one view, one paged read, then the overrides of distributed ports
/// where a port group allows them.
pub async fn read_structure(
    client: &Client,
    sc: &ServiceContent,
    max_objects: u32,
) -> Result<Structure, StepError> {
    // A standalone ESXi host has no distributed switch or port group objects (only the
    // proxy switches in its network config), so they are only asked of vCenter.
    let types: &[&str] = if sc.is_esxi() {
        &["Folder", "Datacenter", "ComputeResource"]
    } else {
        &[
            "Folder",
            "Datacenter",
            "ComputeResource",
            "DistributedVirtualSwitch",
            "DistributedVirtualPortgroup",
        ]
    };
    let view = create_view(client, sc, types).await?;
    let mut result = read_structure_in(client, sc, &view, max_objects, false).await;
    if let Err(StepError {
        error: CallError::Fault(f),
        ..
    }) = &result
    {
        if f.is("InvalidProperty") {
            // A server that validates `config.maxMtu` against the declared type of `config`
            // (DVSConfigInfo, which lacks it) even on a VMware distributed switch: read the
            // switches' whole config instead.
            tracing::info!("config.maxMtu refused ({f}); reading the switches' whole config");
            result = read_structure_in(client, sc, &view, max_objects, true).await;
        }
    }
    destroy_view(client, &view).await;
    let mut structure = result?;
    read_port_overrides(client, &mut structure).await?;
    Ok(structure)
}

async fn read_structure_in(
    client: &Client,
    sc: &ServiceContent,
    view: &MoRef,
    max_objects: u32,
    whole_config: bool,
) -> Result<Structure, StepError> {
    let mut s = Structure::default();
    let entity: &[&str] = &["name", "parent"];
    // `config.maxMtu` exists only on VMware distributed switches (VMwareDVSConfigInfo): it is
    // asked of that type alone, so that a server validating paths accepts the request.
    let (dvs_paths, vmware_dvs_paths): (&[&str], &[&str]) = if whole_config {
        (&["name", "uuid", "config"], &[])
    } else {
        (
            &["name", "uuid", "config.defaultPortConfig"],
            &["config.maxMtu"],
        )
    };
    let props: &[(&str, &[&str])] = &[
        ("Folder", entity),
        ("Datacenter", entity),
        ("ComputeResource", entity),
        ("DistributedVirtualSwitch", dvs_paths),
        ("VmwareDistributedVirtualSwitch", vmware_dvs_paths),
        (
            "DistributedVirtualPortgroup",
            &[
                "name",
                "key",
                "config.defaultPortConfig",
                "config.policy",
                "config.distributedVirtualSwitch",
            ],
        ),
    ];
    let props: Vec<(&str, &[&str])> = props
        .iter()
        .take(if sc.is_esxi() { 3 } else { props.len() })
        .filter(|(_, paths)| !paths.is_empty())
        .copied()
        .collect();
    retrieve(client, sc, view, &props, max_objects, |oc| s.add(&oc)).await?;
    Ok(s)
}

/// The settings of the distributed ports in port groups that let a port override its VLAN,
/// teaming or security policy: one FetchDVPorts per switch that has such port groups (none
/// on most estates: port groups allow no override by default), for the vmks' own overrides.
async fn read_port_overrides(client: &Client, s: &mut Structure) -> Result<(), StepError> {
    for (dvs, keys) in s.overridable_portgroups() {
        let mut criteria = String::from("<criteria>");
        for k in &keys {
            criteria.push_str(&format!("<portgroupKey>{}</portgroupKey>", esc(k)));
        }
        criteria.push_str("<inside>true</inside></criteria>");
        match client.invoke("FetchDVPorts", &dvs, &criteria).await {
            Ok(resp) => s.add_ports(&resp),
            // A refused call leaves the overrides unknown, not the whole source.
            Err(CallError::Fault(f)) => {
                tracing::warn!(
                    "FetchDVPorts on {dvs} refused ({f}); the vmks' port-level overrides of \
                     VLAN, teaming and security policy are not seen, their port groups' \
                     policy is reported"
                );
            }
            Err(error) => {
                return Err(StepError {
                    step: "FetchDVPorts",
                    error,
                })
            }
        }
    }
    Ok(())
}

/// The host properties read in the host pass.
pub const HOST_PROPERTIES: &[&str] = &[
    "name",
    "parent",
    "runtime.connectionState",
    "summary.config.product",
    "config.network",
    "config.virtualNicManagerInfo",
    "config.firewall",
    "config.service",
    "config.lockdownMode",
];

/// The host pass: every HostSystem, paged; `each` gets every mapped host as it arrives.
pub async fn read_hosts(
    client: &Client,
    sc: &ServiceContent,
    structure: &Structure,
    source_name: &str,
    max_objects: u32,
    refused: &mut Refused,
    mut each: impl FnMut(Host),
) -> Result<(), StepError> {
    let view = create_view(client, sc, &["HostSystem"]).await?;
    // vmks on a distributed port group the structure pass did not see (on vCenter).
    let mut unresolved: Vec<String> = Vec::new();
    let result = retrieve(
        client,
        sc,
        &view,
        &[("HostSystem", HOST_PROPERTIES)],
        max_objects,
        |oc| {
            let mut host = map_host(&oc, structure, sc.is_esxi());
            host.source = Some(source_name.to_string());
            for (path, fault) in &oc.missing {
                tracing::debug!(
                    "{source_name}: host {}: property {path} not readable ({})",
                    host.name,
                    describe_missing(fault)
                );
                refused.add(&host.name, path, fault);
                host.not_collected
                    .insert(path.clone(), describe_missing(fault));
            }
            if !sc.is_esxi() {
                unresolved.extend(
                    host.vmks
                        .iter()
                        .filter(|v| {
                            v.switch_kind == Some(SwitchKind::Distributed) && v.portgroup.is_none()
                        })
                        .map(|v| format!("{} {}", host.name, v.device)),
                );
            }
            each(host);
        },
    )
    .await;
    destroy_view(client, &view).await;
    if !unresolved.is_empty() {
        tracing::warn!(
            "{source_name}: {} vmk(s) on a distributed switch whose port group is not visible to \
             the user (read permission on the networking folder?): {}; port group and VLAN left \
             unknown",
            unresolved.len(),
            sample(&unresolved)
        );
    }
    result
}
