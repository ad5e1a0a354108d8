//! MTU002 cluster-mtu-mismatch: vmks of one service in one cluster have different MTUs.

use std::collections::BTreeMap;

use crate::findings::{Category, Severity};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, EstateCtx, Hit, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "MTU002",
    name: "cluster-mtu-mismatch",
    category: Category::Mtu,
    severity: Severity::Warning,
    summary: Doc {
        en: "In a cluster, vmks of the same service have different MTUs (reported on the deviating hosts).",
        zh: "同一集群中，承载相同服务的 VMkernel 适配器 MTU 不一致（仅在偏离的主机上报告）。",
    },
    checks: Doc {
        en: "For every service, compares the MTUs of the vmks carrying it. When the rule set sets \
             `expected_mtu` for the service, every vmk with another MTU is reported (standalone \
             hosts included). Otherwise, within each cluster, the reference is the MTU most vmks \
             of that service use (on a tie, the larger one) and only the vmks that differ from it \
             are reported. Object: the vmk.",
        zh: "对每种服务，比较承载该服务的 VMkernel 适配器的 MTU。如果规则集为该服务设置了 `expected_mtu`，\
             所有 MTU 与之不同的适配器都会被报告（包括独立主机）。否则，在每个集群内以该服务多数适配器使用的 MTU \
             为基准（数量相同时取较大值），只报告与基准不同的适配器。对象：该适配器。",
    },
    why: Doc {
        en: "vMotion, vSAN and FT run between the hosts of a cluster. When one host sends jumbo \
             frames that another cannot receive, large packets are dropped: vMotion to or from \
             that host fails or crawls, and vSAN reports network partitions. Such differences \
             often appear after a host is rebuilt or added.",
        zh: "vMotion、vSAN 和 FT 在集群主机之间运行。当一台主机发送的巨型帧另一台主机无法接收时，大数据包会被丢弃：\
             进出该主机的 vMotion 会失败或极慢，vSAN 会报告网络分区。这类差异常在主机重装或新加入集群后出现。",
    },
    remediation: Doc {
        en: "Set the reference MTU on the deviating vmk: `esxcli network ip interface set -i vmkN \
             -m <mtu>` (PowerCLI: `Get-VMHostNetworkAdapter -VMHost <host> -Name vmkN | \
             Set-VMHostNetworkAdapter -Mtu <mtu>`); make sure the switch and physical network \
             carry it, then verify with `vmkping -I vmkN -d -s <mtu-28> <peer>`.",
        zh: "将偏离的适配器设置为基准 MTU：`esxcli network ip interface set -i vmkN -m <MTU>`（PowerCLI：\
             `Get-VMHostNetworkAdapter -VMHost <主机> -Name vmkN | Set-VMHostNetworkAdapter -Mtu <MTU>`）；\
             确认交换机和物理网络支持该 MTU，然后用 `vmkping -I vmkN -d -s <MTU-28> <对端>` 验证。",
    },
    references: &[
        "VMware KB 1003728 (vmkping)",
        "VMware vSAN Network Design Guide: MTU consistency",
    ],
    needs: &[Data::Services, Data::Mtu],
    params: &["expected_mtu"],
    active: None,
    check: Check::Estate(check),
};

/// How one vmk deviates on one service: English, Chinese, the reference MTU.
type Deviation = (String, String, u32);

/// (host index, device, mtu) of a vmk carrying a service.
type Member<'a> = (usize, &'a str, u32);

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    // (cluster or None when an expected MTU applies estate-wide, service) -> members
    let mut groups: BTreeMap<(Option<&str>, &str), Vec<Member<'_>>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        for vmk in net::sorted_vmks(host) {
            let Some(mtu) = vmk.mtu else { continue };
            for s in net::services(vmk) {
                let key = if ctx.params.expected_mtu.contains_key(s) {
                    (None, s.as_str())
                } else if let Some(c) = host.cluster.as_deref() {
                    (Some(c), s.as_str())
                } else {
                    continue;
                };
                groups
                    .entry(key)
                    .or_default()
                    .push((i, vmk.device.as_str(), mtu));
            }
        }
    }
    // One finding per vmk, listing every service it deviates on.
    let mut deviations: BTreeMap<(usize, &str), Vec<Deviation>> = BTreeMap::new();
    for ((cluster, service), members) in &groups {
        let expected = ctx.params.expected_mtu.get(*service).copied();
        let reference = match expected {
            Some(e) => e,
            None => match net::majority(members.iter().map(|m| m.2)) {
                Some(r) => r,
                None => continue,
            },
        };
        let tally = net::tally(members.iter().map(|m| m.2));
        for &(i, dev, mtu) in members {
            if mtu == reference {
                continue;
            }
            let (en, zh) = match (expected, cluster) {
                (Some(e), _) => (
                    format!("{service}: MTU {mtu}, the rule set expects {e}"),
                    format!("{service}：MTU 为 {mtu}，规则集要求 {e}"),
                ),
                (None, Some(c)) => (
                    format!("{service}: MTU {mtu}, most {service} vmks of cluster {c} use {reference} ({tally})"),
                    format!("{service}：MTU 为 {mtu}，集群 {c} 中多数 {service} 适配器使用 {reference}（{tally}）"),
                ),
                (None, None) => continue,
            };
            deviations
                .entry((i, dev))
                .or_default()
                .push((en, zh, reference));
        }
    }
    let mut hits = Vec::new();
    for ((i, dev), items) in deviations {
        let en: Vec<&str> = items.iter().map(|x| x.0.as_str()).collect();
        let zh: Vec<&str> = items.iter().map(|x| x.1.as_str()).collect();
        let (en, zh) = (en.join("; "), zh.join("；"));
        let host = &ctx.inventory.hosts[i].name;
        let mtu = items[0].2;
        hits.push(Hit {
            host: i,
            object: Some(dev.to_string()),
            message: text!(
                "{dev} deviates from its peers — {en}. Large frames between this host and the others are dropped.",
                "{dev} 与同类适配器不一致——{zh}。该主机与其他主机之间的大帧会被丢弃。"
            ),
            remediation: text!(
                "Set the reference MTU on {dev}: esxcli network ip interface set -i {dev} -m {mtu} (PowerCLI: Get-VMHostNetworkAdapter -VMHost {host} -Name {dev} | Set-VMHostNetworkAdapter -Mtu {mtu}), make sure its switch carries {mtu}, then verify with vmkping -I {dev} -d -s <mtu-28> <peer>.",
                "请将 {dev} 设置为基准 MTU：esxcli network ip interface set -i {dev} -m {mtu}（PowerCLI：Get-VMHostNetworkAdapter -VMHost {host} -Name {dev} | Set-VMHostNetworkAdapter -Mtu {mtu}），确认其交换机支持 {mtu}，然后用 vmkping -I {dev} -d -s <MTU-28> <对端> 验证。"
            ),
        });
    }
    hits
}
