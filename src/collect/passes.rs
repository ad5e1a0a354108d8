//! The two passes over one source's inventory, on an open session.
//!
//! The structure pass: one container view over datacenters, folders, compute resources and
//! clusters (for the parent chain of each host), and on vCenter distributed switches (with
//! `config.maxMtu`, or their whole `config` where the server refuses that path) and
//! distributed port groups (with their default VLAN), read into a [`Structure`]. The host
//! pass: one container view over every HostSystem, read in pages and mapped page by page
//! ([`map_host`]), each host handed on as it is mapped. Both destroy their view when done.

use super::client::Client;
use super::error::{CallError, StepError};
use super::map::{describe_missing, map_host, sample, Refused, Structure};
use super::retrieve::{create_view, destroy_view, retrieve};
use super::session::ServiceContent;
use super::soap::MoRef;
use crate::model::{Host, SwitchKind};

/// The structure pass: one view, one paged read.
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
    let mut result = read_structure_in(client, sc, &view, max_objects, "config.maxMtu").await;
    if let Err(StepError {
        error: CallError::Fault(f),
        ..
    }) = &result
    {
        if f.is("InvalidProperty") {
            // Some servers validate property paths against the declared type (DVSConfigInfo),
            // which lacks maxMtu: read the whole config instead.
            tracing::info!("config.maxMtu refused ({f}); reading the switches' whole config");
            result = read_structure_in(client, sc, &view, max_objects, "config").await;
        }
    }
    destroy_view(client, &view).await;
    result
}

async fn read_structure_in(
    client: &Client,
    sc: &ServiceContent,
    view: &MoRef,
    max_objects: u32,
    mtu_path: &str,
) -> Result<Structure, StepError> {
    let mut s = Structure::default();
    let entity: &[&str] = &["name", "parent"];
    let dvs_paths = ["name", "uuid", mtu_path];
    let props: &[(&str, &[&str])] = &[
        ("Folder", entity),
        ("Datacenter", entity),
        ("ComputeResource", entity),
        ("DistributedVirtualSwitch", &dvs_paths),
        (
            "DistributedVirtualPortgroup",
            &["name", "key", "config.defaultPortConfig"],
        ),
    ];
    let props = if sc.is_esxi() { &props[..3] } else { props };
    retrieve(client, sc, view, props, max_objects, |oc| s.add(&oc)).await?;
    Ok(s)
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
