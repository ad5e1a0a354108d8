//! SEP004 unexpected-vlan: a service's vmk is not on the VLAN the rule set expects for it.

use crate::findings::{Category, Severity};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "SEP004",
    name: "unexpected-vlan",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: Doc {
        en: "A service's vmk is on a different VLAN than the rule set expects for that service.",
        zh: "某服务的 VMkernel 适配器所在 VLAN 与规则集为该服务指定的 VLAN 不一致。",
    },
    checks: Doc {
        en: "For every vmk whose VLAN is known, compares it with `expected_vlan` of the rule set \
             for each service the vmk carries (e.g. `expected_vlan = { vmotion = 20 }`, like the \
             STIG profile's vMotion VLAN input). Does nothing when the rule set expects no VLANs. \
             Object: the vmk.",
        zh: "对每个 VLAN 已知的 VMkernel 适配器，按其承载的每种服务，与规则集中的 `expected_vlan` 比较（例如 \
             `expected_vlan = { vmotion = 20 }`，类似 STIG 配置中的 vMotion VLAN 输入项）。规则集未指定 VLAN \
             时不做任何检查。对象：该适配器。",
    },
    why: Doc {
        en: "Each traffic type is meant to live on its own, documented VLAN. A vmk on another \
             VLAN is either on the wrong (possibly routed or shared) network or breaks the \
             service: unless routed, vMotion and vSAN only work between vmks on the same VLAN.",
        zh: "每种流量类型都应位于其专用且有文档记录的 VLAN 上。位于其他 VLAN 的适配器要么处在错误的（可能是可路由\
             的或共用的）网络上，要么会导致服务中断：除非经过路由，vMotion 和 vSAN 只能在同一 VLAN 的适配器之间工作。",
    },
    remediation: Doc {
        en: "Set the port group's VLAN: `esxcli network vswitch standard portgroup set -p \
             <portgroup> -v <vlan>` or, on a distributed switch, `Get-VDPortgroup <pg> | \
             Set-VDVlanConfiguration -VlanId <vlan>`; or move the vmk to the right port group.",
        zh: "设置端口组的 VLAN：`esxcli network vswitch standard portgroup set -p <端口组> -v <VLAN>`；分布式交换机\
             使用 `Get-VDPortgroup <端口组> | Set-VDVlanConfiguration -VlanId <VLAN>`；或将适配器迁移到正确的端口组。",
    },
    references: &["DISA STIG ESXI-80-000160 (vMotion VLAN)", "DISA STIG ESXI-80-000199"],
    needs: &[Data::Services, Data::Vlan],
    params: &["expected_vlan"],
    active: Some(|p| !p.expected_vlan.is_empty()),
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let expected = &ctx.params.expected_vlan;
    if expected.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let Some(vlan) = vmk.vlan else {
            continue;
        };
        let wrong: Vec<(String, u16)> = net::services(vmk)
            .iter()
            .filter_map(|s| expected.get(s).map(|&e| (s.clone(), e)))
            .filter(|&(_, e)| e != vlan)
            .collect();
        if wrong.is_empty() {
            continue;
        }
        let dev = &vmk.device;
        let pg = vmk.portgroup.as_deref().unwrap_or("<portgroup>");
        let want = wrong[0].1;
        let en: Vec<String> = wrong
            .iter()
            .map(|(s, e)| format!("{s} expects VLAN {e}"))
            .collect();
        let zh: Vec<String> = wrong
            .iter()
            .map(|(s, e)| format!("{s} 应使用 VLAN {e}"))
            .collect();
        let (en, zh) = (net::list(&en), net::list_zh(&zh));
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "{dev} is on VLAN {vlan} but the rule set says {en}.",
                "{dev} 位于 VLAN {vlan}，但规则集规定 {zh}。"
            ),
            text!(
                "Put {dev} on VLAN {want}: esxcli network vswitch standard portgroup set -p \"{pg}\" -v {want} (distributed switch: Get-VDPortgroup \"{pg}\" | Set-VDVlanConfiguration -VlanId {want}), or move {dev} to the port group of VLAN {want}.",
                "请将 {dev} 置于 VLAN {want}：esxcli network vswitch standard portgroup set -p \"{pg}\" -v {want}（分布式交换机：Get-VDPortgroup \"{pg}\" | Set-VDVlanConfiguration -VlanId {want}），或将 {dev} 迁移到 VLAN {want} 的端口组。"
            ),
        ));
    }
    hits
}
