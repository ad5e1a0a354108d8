//! GW003 override-gateway-outside-subnet: a vmk's gateway override is outside its own subnet.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::net::{self, Gateway};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "GW003",
    name: "override-gateway-outside-subnet",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: "A vmk's override gateway lies outside that vmk's own subnet.",
    checks: "For every vmk with a default-gateway override and a valid static address and \
        netmask, checks that the override lies inside the vmk's IPv4 subnet. Object: the vmk.",
    why: "The override is used for traffic this adapter sends to other networks (routed \
        vMotion, provisioning, replication). A gateway outside the adapter's subnet is not \
        reachable through it, so that traffic silently fails.",
    remediation:
        "Set an override inside the vmk's subnet, or correct its netmask: `esxcli network ip \
        interface ipv4 set -i vmkN -t static -I <address> -N <netmask> -g <gateway>` (vSphere \
        Client: VMkernel adapter > Edit > IPv4 settings > Default gateway).",
    fix: None,
    checklist: "vmk gateway override lies in the vmk's subnet",
    references: &[
        "vSphere Networking: Edit a VMkernel adapter configuration (override default gateway)",
    ],
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
            msg!(
                "GW003.message",
                "The gateway override {gw} of {dev} is outside its subnet {subnet}: traffic {dev} routes to other networks cannot reach the gateway.",
                gw,
                dev,
                subnet,
            ),
            msg!(
                "GW003.fix",
                "Set a gateway inside {subnet}, or correct the netmask: esxcli network ip interface ipv4 set -i {dev} -t static -I {addr} -N {mask} -g <gateway in {subnet}>.",
                subnet,
                dev,
                addr,
                mask,
            ),
        ));
    }
    hits
}
