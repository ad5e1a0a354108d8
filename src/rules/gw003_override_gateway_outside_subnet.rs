//! GW003 override-gateway-outside-subnet: a vmk's gateway override is outside its own subnet.

use crate::findings::{Category, Severity};
use crate::rules::net::{self, Gateway};
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "GW003",
    name: "override-gateway-outside-subnet",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: Doc {
        en: "A vmk's override gateway lies outside that vmk's own subnet.",
        zh: "VMkernel 适配器的替代网关不在该适配器自身的子网内。",
    },
    checks: Doc {
        en: "For every vmk with a default-gateway override and a valid static address and \
             netmask, checks that the override lies inside the vmk's IPv4 subnet. Object: the vmk.",
        zh: "对每个设置了替代默认网关、且静态地址和子网掩码有效的 VMkernel 适配器，检查替代网关是否位于该\
             适配器的 IPv4 子网内。对象：该适配器。",
    },
    why: Doc {
        en: "The override is used for traffic this adapter sends to other networks (routed \
             vMotion, provisioning, replication). A gateway outside the adapter's subnet is not \
             reachable through it, so that traffic silently fails.",
        zh: "替代网关用于该适配器发往其他网络的流量（跨子网 vMotion、置备、复制）。不在适配器子网内的网关\
             无法经由该适配器到达，这些流量会无声无息地失败。",
    },
    remediation: Doc {
        en: "Set an override inside the vmk's subnet, or correct its netmask: `esxcli network ip \
             interface ipv4 set -i vmkN -t static -I <address> -N <netmask> -g <gateway>` (vSphere \
             Client: VMkernel adapter > Edit > IPv4 settings > Default gateway).",
        zh: "将替代网关设置为适配器子网内的地址，或更正其子网掩码：`esxcli network ip interface ipv4 set -i vmkN \
             -t static -I <地址> -N <子网掩码> -g <网关>`（vSphere Client：VMkernel 适配器 > 编辑 > \
             IPv4 设置 > 默认网关）。",
    },
    references: &["vSphere Networking: Edit a VMkernel adapter configuration (override default gateway)"],
    needs: &[Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let Some(gw) = Gateway::parse(vmk.gateway.as_deref()).valid() else {
            continue;
        };
        let Some(iface) = net::interface(vmk) else {
            continue;
        };
        if iface.trunc().contains(&gw) {
            continue;
        }
        let dev = &vmk.device;
        let subnet = iface.trunc();
        let addr = iface.addr();
        let mask = iface.netmask();
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "The gateway override {gw} of {dev} is outside its subnet {subnet}: traffic {dev} routes to other networks cannot reach the gateway.",
                "{dev} 的替代网关 {gw} 不在其子网 {subnet} 内：{dev} 发往其他网络的流量无法到达该网关。"
            ),
            text!(
                "Set a gateway inside {subnet}, or correct the netmask: esxcli network ip interface ipv4 set -i {dev} -t static -I {addr} -N {mask} -g <gateway in {subnet}>.",
                "请设置位于 {subnet} 内的网关，或更正子网掩码：esxcli network ip interface ipv4 set -i {dev} -t static -I {addr} -N {mask} -g <{subnet} 内的网关>。"
            ),
        ));
    }
    hits
}
