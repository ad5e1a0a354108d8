//! SEP005 vmotion-missing: a host of a cluster has no vmk that carries vMotion, so its VMs
//! cannot be moved off it (maintenance mode, rolling upgrades, DRS).

use std::collections::BTreeMap;

use crate::findings::{Category, Severity};
use crate::model::service;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, EstateCtx, Hit, Rule};

pub static RULE: Rule = Rule {
    id: "SEP005",
    name: "vmotion-missing",
    category: Category::Separation,
    severity: Severity::Warning,
    summary:
        "A host of a cluster has no vmk with vMotion enabled, so its VMs cannot be migrated off it.",
    checks: "For every cluster with at least two checked hosts, reports each host none of whose \
        vmks carries the `vmotion` service or sits on the `vmotion` TCP/IP stack (whose \
        adapters handle vMotion). Hosts whose services are unknown on a vmk (e.g. an \
        RVTools import) are not judged (COV002 says so); standalone hosts and single-host \
        clusters are not checked. Object: none (the whole host).",
    why: "Without a vMotion vmk the host's running VMs cannot be live-migrated: the host cannot \
        enter maintenance mode without powering VMs off, a rolling ESXi upgrade with vSphere \
        Lifecycle Manager stalls on it, and DRS cannot balance load onto or off it.",
    remediation:
        "Enable vMotion on the vmk meant for it: `esxcli network ip interface tag add -i vmkN \
        -t VMotion` (PowerCLI: `Get-VMHostNetworkAdapter -VMHost <host> -Name vmkN | \
        Set-VMHostNetworkAdapter -VMotionEnabled $true`), or create one on the vMotion port \
        group and TCP/IP stack like the cluster's other hosts: `esxcli network ip interface \
        add -i vmkN -p <portgroup> -N vmotion`, then give it an address in the vMotion subnet.",
    fix: None,
    checklist: "Every host of a cluster has a vMotion vmk",
    references: &[
        "vSphere vCenter Server and Host Management: Host configuration for vSphere vMotion",
        "vSphere Lifecycle Manager: hosts are remediated in maintenance mode",
    ],
    needs: &[Data::Services],
    params: &[],
    active: None,
    check: Check::Estate(check),
};

/// The vMotion TCP/IP stack: its adapters carry vMotion whatever their service tags say.
const VMOTION_STACK: &str = "vmotion";

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    // Per cluster: its checked hosts and, for each, whether it has vMotion (None: unknown).
    let mut clusters: BTreeMap<&str, Vec<(usize, Option<bool>)>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        let Some(cluster) = host.cluster.as_deref() else {
            continue;
        };
        let has = host.vmks.iter().any(|v| {
            net::services(v).iter().any(|s| s == service::VMOTION)
                || v.netstack.as_deref().map(str::trim) == Some(VMOTION_STACK)
        });
        let unknown = host.vmks.iter().any(|v| v.services.is_none());
        let state = if has {
            Some(true)
        } else if unknown {
            None
        } else {
            Some(false)
        };
        clusters.entry(cluster).or_default().push((i, state));
    }
    let mut hits = Vec::new();
    for (cluster, members) in &clusters {
        if members.len() < 2 {
            continue;
        }
        let with = members.iter().filter(|m| m.1 == Some(true)).count();
        let total = members.len();
        for &(i, _) in members.iter().filter(|m| m.1 == Some(false)) {
            let host = &ctx.inventory.hosts[i].name;
            hits.push(Hit {
                host: i,
                object: None,
                message: msg!(
                    "SEP005.message",
                    "{host} has no vmk with vMotion enabled ({with} of {total} checked hosts of cluster {cluster} have one): its VMs cannot be migrated off it for maintenance or an upgrade.",
                    host,
                    with,
                    total,
                    cluster,
                ),
                remediation: msg!(
                    "SEP005.fix",
                    "Enable vMotion on {host}'s vMotion vmk (esxcli network ip interface tag add -i vmkN -t VMotion), or add one on the cluster's vMotion port group and stack (esxcli network ip interface add -i vmkN -p <portgroup> -N vmotion) with an address in the vMotion subnet.",
                    host,
                ),
            });
        }
    }
    hits
}
