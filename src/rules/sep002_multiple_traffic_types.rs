//! SEP002 multiple-traffic-types: one vmk carries more than one separated traffic type.

use std::collections::BTreeSet;

use crate::findings::{Category, Severity};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "SEP002",
    name: "multiple-traffic-types",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: Doc {
        en: "One vmk carries more than one separated traffic type (vMotion, FT, vSAN, replication, provisioning, NVMe).",
        zh: "一个 VMkernel 适配器承载了多种需要隔离的流量类型（vMotion、FT、vSAN、复制、置备、NVMe）。",
    },
    checks: Doc {
        en: "For every vmk, takes the services among vmotion, faultToleranceLogging, vsan, \
             vSphereReplication, vSphereReplicationNFC, vSphereProvisioning, nvmeTcp and nvmeRdma. \
             More than one is a finding unless they all belong to one allowed combination of the \
             rule set (`allowed_service_combinations`; default vSphereReplication with \
             vSphereReplicationNFC, and vmotion with vSphereProvisioning). Management is SEP001's \
             business. Object: the vmk.",
        zh: "对每个 VMkernel 适配器，取其在 vmotion、faultToleranceLogging、vsan、vSphereReplication、\
             vSphereReplicationNFC、vSphereProvisioning、nvmeTcp 和 nvmeRdma 中启用的服务。多于一种即为发现项，\
             除非它们全部属于规则集允许的某个组合（`allowed_service_combinations`；默认允许 vSphereReplication \
             与 vSphereReplicationNFC、vmotion 与 vSphereProvisioning 共用）。管理流量由 SEP001 检查。\
             对象：该适配器。",
    },
    why: Doc {
        en: "Each of these traffic types can saturate a link on its own. Sharing one vmk means \
             sharing one VLAN, subnet, MTU and uplink policy: a vMotion storm starves vSAN or FT \
             (which need low latency), and the traffic types cannot be isolated, secured or \
             shaped separately as the vSphere security and design guides require.",
        zh: "这些流量类型中的每一种都可能单独占满链路。共用一个适配器意味着共用 VLAN、子网、MTU 和上行链路策略：\
             vMotion 流量高峰会挤占对时延敏感的 vSAN 或 FT 流量，而且这些流量无法像 vSphere 安全与设计指南\
             要求的那样分别隔离、加固和限速。",
    },
    remediation: Doc {
        en: "Give each traffic type its own vmk, port group, VLAN and subnet: create one with \
             `New-VMHostNetworkAdapter -VMHost <host> -PortGroup <pg> -VirtualSwitch <switch> -IP \
             <ip> -SubnetMask <mask> -VsanTrafficEnabled $true`, then remove the service from the \
             shared vmk with `esxcli network ip interface tag remove -i vmkN -t <tag>`.",
        zh: "为每种流量类型配置独立的 VMkernel 适配器、端口组、VLAN 和子网：使用 `New-VMHostNetworkAdapter \
             -VMHost <主机> -PortGroup <端口组> -VirtualSwitch <交换机> -IP <地址> -SubnetMask <掩码> \
             -VsanTrafficEnabled $true` 创建，再用 `esxcli network ip interface tag remove -i vmkN -t <标记>` \
             从共用的适配器上移除该服务。",
    },
    references: &[
        "DISA STIG ESXI-80-000160 (vMotion on a separate network)",
        "DISA STIG ESXI-80-000199 (IP-based storage on a separate network)",
        "VMware vSphere Security Configuration Guide: network isolation of VMkernel traffic",
    ],
    needs: &[Data::Services],
    params: &["allowed_service_combinations"],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let sep = net::separated(vmk);
        if sep.len() < 2 {
            continue;
        }
        let set: BTreeSet<String> = sep.iter().map(|s| s.to_string()).collect();
        if ctx
            .params
            .allowed_service_combinations
            .iter()
            .any(|combo| set.is_subset(combo))
        {
            continue;
        }
        let dev = &vmk.device;
        let (list, list_zh) = (net::list(&sep), net::list_zh(&sep));
        let keep = sep[0];
        let untag = net::untag_commands(dev, &sep[1..]);
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "{dev} carries {list}: each of these traffic types should have its own vmk, VLAN and subnet.",
                "{dev} 同时承载了 {list_zh}：每种流量类型都应使用独立的 VMkernel 适配器、VLAN 和子网。"
            ),
            text!(
                "Keep {keep} on {dev}, create a dedicated vmk for each other service on its own port group, VLAN and subnet (New-VMHostNetworkAdapter), then remove them from {dev}: {untag}.",
                "在 {dev} 上保留 {keep}，为其他每种服务在独立的端口组、VLAN 和子网上创建专用适配器（New-VMHostNetworkAdapter），然后从 {dev} 上移除：{untag}。"
            ),
        ));
    }
    hits
}
