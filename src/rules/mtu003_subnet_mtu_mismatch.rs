//! MTU003 subnet-mtu-mismatch: vmks in one IPv4 subnet have different MTUs.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, EstateCtx, Hit, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "MTU003",
    name: "subnet-mtu-mismatch",
    category: Category::Mtu,
    severity: Severity::Warning,
    summary: Doc {
        en: "vmks in one IPv4 subnet have different MTUs (reported on the deviating vmks).",
        zh: "同一 IPv4 子网中的 VMkernel 适配器 MTU 不一致（仅报告偏离的适配器）。",
    },
    checks: Doc {
        en: "Groups every vmk of the checked inventory (all hosts, clusters and vCenters) by its \
             IPv4 subnet (network address and prefix). In a subnet whose vmks use more than one \
             MTU, the reference is the MTU most of them use (on a tie, the larger one); the vmks \
             with another MTU are reported. Object: the vmk.",
        zh: "将所检查清单中（所有主机、集群和 vCenter）的每个 VMkernel 适配器按 IPv4 子网（网络地址和前缀）分组。\
             如果某子网内的适配器使用了多种 MTU，以多数适配器使用的 MTU 为基准（数量相同时取较大值），报告 MTU \
             与之不同的适配器。对象：该适配器。",
    },
    why: Doc {
        en: "Hosts in one subnet talk to each other directly. A mix of 9000 and 1500 means large \
             packets from the jumbo side are dropped or fragmented on the way to the others, \
             which breaks vMotion, iSCSI, NFS and vSAN in ways that only show under load.",
        zh: "同一子网内的主机直接互相通信。9000 与 1500 混用时，巨型帧一侧发出的大数据包在到达其他主机时会被\
             丢弃或分片，导致 vMotion、iSCSI、NFS 和 vSAN 出现只在高负载下才显现的故障。",
    },
    remediation: Doc {
        en: "Use one MTU per subnet: `esxcli network ip interface set -i vmkN -m <mtu>` (PowerCLI: \
             `Set-VMHostNetworkAdapter -Mtu <mtu>`), with switches and physical ports that carry \
             it; verify with `vmkping -I vmkN -d -s <mtu-28> <peer>`.",
        zh: "每个子网使用统一的 MTU：`esxcli network ip interface set -i vmkN -m <MTU>`（PowerCLI：\
             `Set-VMHostNetworkAdapter -Mtu <MTU>`），并确保交换机和物理端口支持该 MTU；用 \
             `vmkping -I vmkN -d -s <MTU-28> <对端>` 验证。",
    },
    references: &["VMware KB 1003728 (vmkping)", "vSphere Networking: Jumbo frames"],
    needs: &[Data::Mtu, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Estate(check),
};

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let mut groups: BTreeMap<Ipv4Net, Vec<(usize, &str, u32)>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        for vmk in net::sorted_vmks(host) {
            if let (Some(subnet), Some(mtu)) = (net::subnet(vmk), vmk.mtu) {
                groups
                    .entry(subnet)
                    .or_default()
                    .push((i, vmk.device.as_str(), mtu));
            }
        }
    }
    let mut hits = Vec::new();
    for (subnet, members) in &groups {
        let Some(reference) = net::majority(members.iter().map(|m| m.2)) else {
            continue;
        };
        if members.iter().all(|m| m.2 == reference) {
            continue;
        }
        let tally = net::tally(members.iter().map(|m| m.2));
        for &(i, dev, mtu) in members {
            if mtu == reference {
                continue;
            }
            hits.push(Hit {
                host: i,
                object: Some(dev.to_string()),
                message: text!(
                    "{dev} has MTU {mtu} but most vmks in its subnet {subnet} use {reference} ({tally}).",
                    "{dev} 的 MTU 为 {mtu}，但其子网 {subnet} 中多数适配器使用 {reference}（{tally}）。"
                ),
                remediation: text!(
                    "Use one MTU in {subnet}: esxcli network ip interface set -i {dev} -m {reference} (if the switch carries it), then verify with vmkping -I {dev} -d -s <mtu-28> <peer>.",
                    "请在 {subnet} 中统一 MTU：esxcli network ip interface set -i {dev} -m {reference}（前提是交换机支持），然后用 vmkping -I {dev} -d -s <MTU-28> <对端> 验证。"
                ),
            });
        }
    }
    hits
}
