//! SEP005 vmotion-missing: a host of a cluster has no vmk that carries vMotion, so its VMs
//! cannot be moved off it (maintenance mode, rolling upgrades, DRS).

use std::collections::BTreeMap;

use crate::findings::{Category, Severity};
use crate::model::service;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, EstateCtx, Hit, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "SEP005",
    name: "vmotion-missing",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: Doc {
        en: "A host of a cluster has no vmk with vMotion enabled, so its VMs cannot be migrated off it.",
        zh: "集群中的某台主机没有启用 vMotion 的 VMkernel 适配器，其虚拟机无法迁出。",
    },
    checks: Doc {
        en: "For every cluster with at least two checked hosts, reports each host none of whose \
             vmks carries the `vmotion` service or sits on the `vmotion` TCP/IP stack (whose \
             adapters handle vMotion). Hosts whose services are unknown on a vmk (e.g. an \
             RVTools import) are not judged (COV002 says so); standalone hosts and single-host \
             clusters are not checked. Object: none (the whole host).",
        zh: "对每个至少有两台被检查主机的集群，报告其所有 VMkernel 适配器都未承载 `vmotion` 服务、也都不在 `vmotion` \
             TCP/IP 堆栈（其适配器负责 vMotion）上的主机。某个适配器\
             的服务未知的主机（例如来自 RVTools 导入）不做判断（由 COV002 说明）；独立主机和只有一台主机的集群\
             不检查。对象：无（整台主机）。",
    },
    why: Doc {
        en: "Without a vMotion vmk the host's running VMs cannot be live-migrated: the host cannot \
             enter maintenance mode without powering VMs off, a rolling ESXi upgrade with vSphere \
             Lifecycle Manager stalls on it, and DRS cannot balance load onto or off it.",
        zh: "没有 vMotion 适配器时，主机上运行的虚拟机无法热迁移：主机必须关闭虚拟机才能进入维护模式，使用 vSphere \
             Lifecycle Manager 的滚动升级会在该主机上停滞，DRS 也无法在该主机与其他主机之间平衡负载。",
    },
    remediation: Doc {
        en: "Enable vMotion on the vmk meant for it: `esxcli network ip interface tag add -i vmkN \
             -t VMotion` (PowerCLI: `Get-VMHostNetworkAdapter -VMHost <host> -Name vmkN | \
             Set-VMHostNetworkAdapter -VMotionEnabled $true`), or create one on the vMotion port \
             group and TCP/IP stack like the cluster's other hosts: `esxcli network ip interface \
             add -i vmkN -p <portgroup> -N vmotion`, then give it an address in the vMotion subnet.",
        zh: "在用于 vMotion 的适配器上启用 vMotion：`esxcli network ip interface tag add -i vmkN -t VMotion`\
             （PowerCLI：`Get-VMHostNetworkAdapter -VMHost <主机> -Name vmkN | Set-VMHostNetworkAdapter \
             -VMotionEnabled $true`），或者像集群中其他主机一样，在 vMotion 端口组和 TCP/IP 堆栈上新建适配器：\
             `esxcli network ip interface add -i vmkN -p <端口组> -N vmotion`，再为其分配 vMotion 子网中的地址。",
    },
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
                message: text!(
                    "{host} has no vmk with vMotion enabled ({with} of {total} checked hosts of cluster {cluster} have one): its VMs cannot be migrated off it for maintenance or an upgrade.",
                    "{host} 没有启用 vMotion 的 VMkernel 适配器（集群 {cluster} 的 {total} 台被检查主机中有 {with} 台有）：其虚拟机无法迁出以进行维护或升级。"
                ),
                remediation: text!(
                    "Enable vMotion on {host}'s vMotion vmk (esxcli network ip interface tag add -i vmkN -t VMotion), or add one on the cluster's vMotion port group and stack (esxcli network ip interface add -i vmkN -p <portgroup> -N vmotion) with an address in the vMotion subnet.",
                    "请在 {host} 的 vMotion 适配器上启用 vMotion（esxcli network ip interface tag add -i vmkN -t VMotion），或在集群的 vMotion 端口组和堆栈上新建适配器（esxcli network ip interface add -i vmkN -p <端口组> -N vmotion），并分配 vMotion 子网中的地址。"
                ),
            });
        }
    }
    hits
}
