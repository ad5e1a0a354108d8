//! SEP003 traffic-shares-network: two vmks with different traffic share a subnet, port group or
//! VLAN.

use std::collections::BTreeSet;

use crate::findings::{Category, Severity};
use crate::model::{service, Vmk};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "SEP003",
    name: "traffic-shares-network",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: Doc {
        en: "Two vmks of one host that carry different traffic share an IPv4 subnet, a port group or a VLAN.",
        zh: "同一主机上承载不同流量的两个 VMkernel 适配器共用了 IPv4 子网、端口组或 VLAN。",
    },
    checks: Doc {
        en: "Gives every vmk a traffic class: its management flag plus its separated services \
             (see SEP002). Vmks with no such service (e.g. iSCSI port binding) are not compared. \
             For every pair of vmks on one host whose classes differ, reports when they are in \
             the same IPv4 subnet (whatever their TCP/IP stacks), on the same port group, or on \
             the same VLAN of the same switch. Traffic the rule set lets share one vmk \
             (`allowed_service_combinations`, e.g. vMotion and provisioning) may also share a \
             network. vMotion and vSAN on one switch with different VLANs is a normal design and \
             not a finding. Object: the later vmk of the pair.",
        zh: "为每个 VMkernel 适配器确定流量类别：是否承载管理流量，加上其需要隔离的服务（见 SEP002）。没有此类服务\
             的适配器（例如 iSCSI 端口绑定）不参与比较。对同一主机上流量类别不同的每对适配器，如果它们位于同一 \
             IPv4 子网（无论 TCP/IP 堆栈）、同一端口组，或同一交换机的同一 VLAN，即报告。规则集允许共用同一适配器的\
             流量（`allowed_service_combinations`，例如 vMotion 与置备）也可以共用同一网络。vMotion 和 vSAN 在\
             同一交换机的不同 VLAN 上是正常设计，不报告。对象：该对适配器中编号较大的那个。",
    },
    why: Doc {
        en: "Separate vmks only separate traffic when they sit on separate networks. On a shared \
             subnet or VLAN, vMotion memory, storage and management traffic reach each other's \
             listeners, share one broadcast domain and bandwidth, and the host may answer on the \
             wrong adapter. DISA STIG requires vMotion, IP storage and management to be \
             on separate networks.",
        zh: "只有位于不同网络时，不同的 VMkernel 适配器才能真正隔离流量。共用子网或 VLAN 时，vMotion 内存、存储和\
             管理流量可以互相访问对方的监听端口，共享同一广播域和带宽，主机也可能从错误的适配器应答。DISA STIG \
             要求 vMotion、IP 存储和管理流量位于不同网络。",
    },
    remediation: Doc {
        en: "Put each traffic type on its own port group with its own VLAN and subnet: \
             `esxcli network vswitch standard portgroup set -p <portgroup> -v <vlan>` (distributed: \
             `Get-VDPortgroup <pg> | Set-VDVlanConfiguration -VlanId <vlan>`), then readdress the \
             vmk: `esxcli network ip interface ipv4 set -i vmkN -t static -I <ip> -N <mask>`.",
        zh: "为每种流量类型配置独立的端口组、VLAN 和子网：`esxcli network vswitch standard portgroup set -p \
             <端口组> -v <VLAN>`（分布式交换机：`Get-VDPortgroup <端口组> | Set-VDVlanConfiguration -VlanId \
             <VLAN>`），然后为适配器重新编址：`esxcli network ip interface ipv4 set -i vmkN -t static -I <地址> \
             -N <掩码>`。",
    },
    references: &[
        "DISA STIG ESXI-80-000160 (vMotion traffic isolated)",
        "DISA STIG ESXI-80-000198 (management traffic isolated)",
        "DISA STIG ESXI-80-000199 (IP-based storage traffic isolated)",
    ],
    needs: &[Data::Services, Data::Ipv4],
    params: &["allowed_service_combinations"],
    active: None,
    check: Check::Host(check),
};

fn class(vmk: &Vmk) -> BTreeSet<&'static str> {
    let mut c: BTreeSet<&'static str> = net::separated(vmk).into_iter().collect();
    if vmk.has_service(service::MANAGEMENT) == Some(true) {
        c.insert(service::MANAGEMENT);
    }
    c
}

/// Traffic the rule set lets share one vmk may also share one network.
fn allowed_together(a: &BTreeSet<&str>, b: &BTreeSet<&str>, ctx: &HostCtx<'_>) -> bool {
    ctx.params
        .allowed_service_combinations
        .iter()
        .any(|combo| a.iter().chain(b).all(|s| combo.contains(*s)))
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let vmks: Vec<(&Vmk, BTreeSet<&str>)> = net::sorted_vmks(ctx.host)
        .into_iter()
        .filter(|v| v.services.is_some())
        .map(|v| (v, class(v)))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    let mut hits = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for (j, (b, cb)) in vmks.iter().enumerate() {
        for (a, ca) in &vmks[..j] {
            if ca == cb || allowed_together(ca, cb, ctx) {
                continue;
            }
            let mut why_en = Vec::new();
            let mut why_zh = Vec::new();
            if let (Some(na), Some(nb)) = (net::subnet(a), net::subnet(b)) {
                if na == nb {
                    why_en.push(format!("subnet {na}"));
                    why_zh.push(format!("子网 {na}"));
                }
            }
            if let (Some(pa), Some(pb)) = (&a.portgroup, &b.portgroup) {
                if pa.trim() == pb.trim() && !pa.trim().is_empty() {
                    why_en.push(format!("port group {pa}"));
                    why_zh.push(format!("端口组 {pa}"));
                }
            }
            if let (Some(va), Some(vb)) = (a.vlan, b.vlan) {
                let same_switch = match (&a.switch, &b.switch) {
                    (Some(sa), Some(sb)) => sa == sb,
                    _ => true,
                };
                if va == vb && same_switch {
                    let sw = a.switch.as_deref().unwrap_or("?");
                    why_en.push(format!("VLAN {va} on {sw}"));
                    why_zh.push(format!("{sw} 上的 VLAN {va}"));
                }
            }
            if why_en.is_empty() || reported.contains(b.device.as_str()) {
                continue;
            }
            reported.insert(b.device.as_str());
            let (da, db) = (&a.device, &b.device);
            let ta: Vec<&str> = ca.iter().copied().collect();
            let tb: Vec<&str> = cb.iter().copied().collect();
            let (ta, tb) = (net::list(&ta), net::list(&tb));
            let (shared, shared_zh) = (why_en.join(", "), why_zh.join("、"));
            hits.push(ctx.hit(
                Some(db),
                text!(
                    "{db} ({tb}) shares {shared} with {da} ({ta}): these traffic types are not separated.",
                    "{db}（{tb}）与 {da}（{ta}）共用{shared_zh}：这些流量类型没有被隔离。"
                ),
                text!(
                    "Move {db} to a port group with its own VLAN and subnet (esxcli network vswitch standard portgroup set -p <portgroup> -v <vlan>, or Set-VDVlanConfiguration on a distributed port group), then readdress it: esxcli network ip interface ipv4 set -i {db} -t static -I <ip> -N <mask>.",
                    "请将 {db} 迁移到拥有独立 VLAN 和子网的端口组（esxcli network vswitch standard portgroup set -p <端口组> -v <VLAN>，分布式端口组使用 Set-VDVlanConfiguration），然后重新编址：esxcli network ip interface ipv4 set -i {db} -t static -I <地址> -N <掩码>。"
                ),
            ));
        }
    }
    hits
}
