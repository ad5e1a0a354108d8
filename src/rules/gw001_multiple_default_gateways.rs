//! GW001 multiple-default-gateways: more than one default gateway in effect on one TCP/IP stack
//! where the design does not call for it: an override on the management vmk, overrides that the
//! hosts of a cluster do not agree on, or (parameter `gateway_overrides = "deny"`) any second
//! gateway on a stack.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::model::{service, Host, Vmk};
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, EstateCtx, Hit, Param, Rule};

/// `gateway_overrides`: how per-vmk gateway overrides are judged.
pub static GATEWAY_OVERRIDES: Param<GatewayOverrides> = Param {
    name: "gateway_overrides",
    ty: "one of consistent, allow, deny",
    doc: "How GW001 judges a vmk's gateway override (vSphere 6.5+): `consistent` (the default) \
        accepts overrides inside the vmk's subnet when the hosts of the cluster agree for that \
        service (all route it by override, or none do); `allow` accepts every override; `deny` \
        is the strict reading, one gateway per TCP/IP stack. An override on a vmk that carries \
        management is a finding in every mode.",
    default: || GatewayOverrides::Consistent,
    read: Ok,
};

/// How GW001 judges gateway overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatewayOverrides {
    /// Overrides in the vmk's subnet, the same way on every host of the cluster.
    #[default]
    Consistent,
    /// Every override (except on management).
    Allow,
    /// None: one gateway per stack.
    Deny,
}

impl crate::choice::Choice for GatewayOverrides {
    const WHAT: &'static str = "gateway_overrides";
    const ALL: &'static [Self] = &[
        GatewayOverrides::Consistent,
        GatewayOverrides::Allow,
        GatewayOverrides::Deny,
    ];
    fn name(self) -> &'static str {
        match self {
            GatewayOverrides::Consistent => "consistent",
            GatewayOverrides::Allow => "allow",
            GatewayOverrides::Deny => "deny",
        }
    }
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == s.trim())
    }
}
crate::choice_serde!(GatewayOverrides);

impl serde::Serialize for GatewayOverrides {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::choice::Choice::name(*self))
    }
}

pub static RULE: Rule = Rule {
    id: "GW001",
    name: "multiple-default-gateways",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: "A TCP/IP stack of a host has a second default gateway the design does not call for: a gateway override on management, or overrides the hosts of a cluster do not agree on.",
    checks: "Looks at every vmk whose default-gateway override differs from its TCP/IP stack's \
        gateway. An override on a vmk that carries management is always a finding, IPv4 or \
        IPv6 (the management vmk routes through the stack's gateway). Other overrides are judged by \
        `gateway_overrides`: with `consistent` (the default) an override inside the vmk's \
        subnet is supported routing for that vmk's traffic (an override outside it is GW003's) \
        as long as the hosts of the cluster agree for each of its services: all of that \
        service's vmks in the cluster are routed by an override, or none are. When they \
        disagree, the vmks on the side fewer of them are on are reported (on a tie, the ones \
        with the override). `allow` accepts every override; `deny` reports every stack \
        with more than one distinct gateway (its own and the overrides; object: the stack). \
        Otherwise the object is the vmk. Does not fire on: routed vSAN or vMotion with \
        per-vmk gateway overrides on every host of the cluster (vSAN 7+, vSphere 6.5+), L3 \
        vMotion or provisioning on their own TCP/IP stacks, stretched vSAN with static routes.",
    why: "A stack has one routing table and one default gateway; an override gives one vmk's \
        traffic its own gateway, which is how routed vSAN and vMotion are built without their \
        own stack. An override on the management vmk, or on some hosts of a cluster only, is \
        not a design but drift: management traffic or a service's traffic then leaves \
        through a different gateway on different hosts, asymmetric routing is dropped by \
        firewalls, and HA isolation checks give wrong answers.",
    remediation: "Make the hosts of the cluster agree: give every host's vmk of the service an \
        override in its own subnet (vSphere Client: Host > Configure > VMkernel adapters > \
        Edit > IPv4 settings > \"Override default gateway for this adapter\"; `esxcli network \
        ip interface ipv4 set -i vmkN -t static -I <ip> -N <mask> -g <gateway>`), or clear it \
        on all of them and route the service with its own TCP/IP stack (`esxcli network ip \
        route ipv4 add -N vmotion -n default -g <gateway>`) or static routes. Never override \
        the gateway of the management vmk: set the default stack's gateway instead.",
    fix: None,
    checklist: "One default gateway per TCP/IP stack, overrides consistent within each cluster",
    references: &[
        "Broadcom KB 318546 / VMware KB 2010877 (multihoming on ESXi: one routing table per TCP/IP stack)",
        "vSphere Web Services API: HostVirtualNicIpRouteSpec (per-vmk default gateway, vSphere 6.5+)",
        "vSAN Planning and Deployment 7.0: Using static routes (override of the vSAN VMkernel adapter's default gateway, vSAN 7.0+), https://docs.vmware.com/en/VMware-vSphere/7.0/com.vmware.vsphere.vsan-planning.doc/GUID-98C22A7D-6BC6-4841-B2D5-7C96163951F1.html",
        "vSphere Networking: Create a VMkernel adapter on a custom TCP/IP stack",
    ],
    needs: &[Data::Netstacks],
    params: &[&GATEWAY_OVERRIDES],
    active: None,
    check: Check::Estate(check),
};

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let mode = *ctx.params.get(&GATEWAY_OVERRIDES);
    let mut hits = Vec::new();
    for (i, host) in ctx.hosts() {
        for vmk in net::sorted_vmks(host) {
            if vmk.has_service(service::MANAGEMENT) == Some(true) {
                let stack = host.netstack(net::stack_of(vmk));
                if let Some(gw) = net::override_gateway(host, vmk) {
                    let stack_gw = net::stack_gateway(host, net::stack_of(vmk)).valid();
                    hits.push(management_hit(i, vmk, gw, stack_gw));
                }
                let stack_gw6 = stack.and_then(|n| ipv6(n.ipv6_gateway.as_deref()));
                if let Some(gw) = ipv6(vmk.ipv6_gateway.as_deref()) {
                    if Some(gw) != stack_gw6 {
                        hits.push(management_hit(i, vmk, gw, stack_gw6));
                    }
                }
            }
        }
        if mode == GatewayOverrides::Deny {
            hits.extend(strict(i, host));
        }
    }
    if mode == GatewayOverrides::Consistent {
        hits.extend(inconsistent(ctx));
    }
    hits
}

/// An IPv6 gateway as a source gave it; `None` when missing, empty, `::` or not IPv6.
fn ipv6(raw: Option<&str>) -> Option<Ipv6Addr> {
    raw?.trim()
        .parse::<Ipv6Addr>()
        .ok()
        .filter(|a| !a.is_unspecified())
}

/// The management vmk `vmk` overrides its stack's IPv4 or IPv6 gateway `stack_gw` with `gw`.
fn management_hit<A: std::fmt::Display>(i: usize, vmk: &Vmk, gw: A, stack_gw: Option<A>) -> Hit {
    let dev = &vmk.device;
    let stack = net::stack_of(vmk);
    let stack_gw = match stack_gw {
        Some(g) => g.to_string(),
        None => "-".to_string(),
    };
    Hit {
        host: i,
        object: Some(dev.clone()),
        message: msg!(
            "GW001.message.management",
            "{dev} carries management and overrides the default gateway of {stack} ({stack_gw}) with {gw}: management traffic must leave through the stack's gateway.",
            dev,
            stack,
            stack_gw,
            gw,
        ),
        remediation: msg!(
            "GW001.fix.management",
            "Clear the override of {dev} (vSphere Client: VMkernel adapter > Edit > IPv4 settings > untick \"Override default gateway for this adapter\") and set the gateway of {stack} instead: esxcli network ip route ipv4 add -N {stack} -n default -g <gateway>.",
            dev,
            stack,
        ),
    }
}

/// `deny`: every stack with more than one distinct gateway (its own and the overrides).
fn strict(i: usize, host: &Host) -> Vec<Hit> {
    let mut stacks: BTreeSet<&str> = host
        .netstacks
        .iter()
        .flatten()
        .map(|n| n.key.as_str())
        .collect();
    stacks.extend(host.vmks.iter().map(net::stack_of));
    let mut hits = Vec::new();
    for stack in stacks {
        let stack_gw = net::stack_gateway(host, stack).valid();
        let mut gws: Vec<(Ipv4Addr, Msg)> = Vec::new();
        if let Some(gw) = stack_gw {
            gws.push((gw, msg!("GW001.gateway.stack", "{gw} (stack)", gw)));
        }
        for vmk in net::sorted_vmks(host) {
            if net::stack_of(vmk) != stack {
                continue;
            }
            if let Some(gw) = net::override_gateway(host, vmk) {
                let dev = &vmk.device;
                gws.push((
                    gw,
                    msg!(
                        "GW001.gateway.override",
                        "{gw} (override on {dev})",
                        gw,
                        dev
                    ),
                ));
            }
        }
        let distinct: BTreeSet<Ipv4Addr> = gws.iter().map(|g| g.0).collect();
        if distinct.len() < 2 {
            continue;
        }
        let n = distinct.len();
        let list = i18n::list(gws.into_iter().map(|(_, w)| w));
        hits.push(Hit {
            host: i,
            object: Some(stack.to_string()),
            message: msg!(
                "GW001.message",
                "{n} default gateways are in effect on TCP/IP stack {stack}: {list}. A stack routes through one gateway; traffic to other networks may leave through the wrong adapter.",
                n,
                stack,
                list,
            ),
            remediation: msg!(
                "GW001.fix",
                "Keep one gateway on {stack}: clear the gateway override of the adapters listed (vSphere Client: VMkernel adapter > Edit > IPv4 settings > untick \"Override default gateway for this adapter\"), or move their service to its own TCP/IP stack with its own gateway (esxcli network ip route ipv4 add -N <stack> -n default -g <gateway>).",
                stack,
            ),
        });
    }
    hits
}

/// One vmk of a service in a cluster: host index, host name, device, override (a second
/// gateway inside the vmk's subnet).
struct Member<'a> {
    host: usize,
    name: &'a str,
    dev: &'a str,
    gw: Option<Ipv4Addr>,
}

/// The service key a vmk's override is compared under: each service it carries but
/// management, or `untagged` for a vmk without one (iSCSI, NFS).
fn service_keys(vmk: &Vmk) -> Vec<&str> {
    let keys: Vec<&str> = net::services(vmk)
        .iter()
        .map(String::as_str)
        .filter(|s| *s != service::MANAGEMENT)
        .collect();
    match (&vmk.services, keys.is_empty()) {
        (None, _) => Vec::new(),
        (Some(all), true) if all.is_empty() => vec!["untagged"],
        (Some(_), true) => Vec::new(),
        (Some(_), false) => keys,
    }
}

/// `consistent`: per cluster and service, vmks routed by an override and vmks without one.
fn inconsistent(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let mut groups: BTreeMap<(&str, &str), Vec<Member<'_>>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        let Some(cluster) = host.cluster.as_deref() else {
            continue;
        };
        for vmk in net::sorted_vmks(host) {
            if vmk.has_service(service::MANAGEMENT) == Some(true) {
                continue;
            }
            let gw = net::override_gateway(host, vmk);
            // Outside the subnet (GW003) or with an unknown subnet: not judged here.
            if gw.is_some_and(|g| !net::subnet(vmk).is_some_and(|s| s.contains(&g))) {
                continue;
            }
            for svc in service_keys(vmk) {
                groups.entry((cluster, svc)).or_default().push(Member {
                    host: i,
                    name: &host.name,
                    dev: &vmk.device,
                    gw,
                });
            }
        }
    }
    let mut found: BTreeMap<(usize, &str), Vec<Msg>> = BTreeMap::new();
    for ((cluster, svc), members) in &groups {
        let (with, without): (Vec<&Member>, Vec<&Member>) =
            members.iter().partition(|m| m.gw.is_some());
        if with.is_empty() || without.is_empty() {
            continue;
        }
        let others = |side: &[&Member]| {
            // By name, so that the message does not depend on the order of the hosts.
            let mut all: Vec<(&str, &str)> = side.iter().map(|m| (m.name, m.dev)).collect();
            all.sort_by(|a, b| a.0.cmp(b.0).then_with(|| crate::model::device_order(a.1, b.1)));
            let names: Vec<String> = all
                .iter()
                .take(3)
                .map(|(name, dev)| format!("{name} {dev}"))
                .collect();
            let more = side.len().saturating_sub(3);
            if more > 0 {
                format!("{} (+{more})", names.join(", "))
            } else {
                names.join(", ")
            }
        };
        if with.len() <= without.len() {
            let (n, peers) = (without.len(), others(&without));
            for m in &with {
                let gw = m.gw.map(|g| g.to_string()).unwrap_or_default();
                found.entry((m.host, m.dev)).or_default().push(msg!(
                    "GW001.clause.override",
                    "its {svc} traffic is routed by the override {gw}, but {n} {svc} vmks of cluster {cluster} use their stack's gateway ({peers})",
                    svc,
                    gw,
                    n,
                    cluster,
                    peers,
                ));
            }
        } else {
            let (n, peers) = (with.len(), others(&with));
            for m in &without {
                found.entry((m.host, m.dev)).or_default().push(msg!(
                    "GW001.clause.no_override",
                    "its {svc} traffic uses the stack's gateway, but {n} {svc} vmks of cluster {cluster} are routed by a gateway override ({peers})",
                    svc,
                    n,
                    cluster,
                    peers,
                ));
            }
        }
    }
    found
        .into_iter()
        .map(|((i, dev), clauses)| Hit {
            host: i,
            object: Some(dev.to_string()),
            message: msg!(
                "GW001.message.inconsistent",
                "{dev}: {clauses}. The hosts of a cluster route a service differently.",
                dev,
                clauses = i18n::clauses(clauses),
            ),
            remediation: msg!(
                "GW001.fix.inconsistent",
                "Route the service the same way on every host of the cluster: give {dev} a gateway override in its own subnet like its peers (esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <mask> -g <gateway>), or clear the overrides on all of them and route the service with its own TCP/IP stack or static routes.",
                dev,
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_vmks_are_compared_as_one_service() {
        let mut v = Vmk::named("vmk3");
        assert!(service_keys(&v).is_empty(), "unknown services");
        v.services = Some(vec![]);
        assert_eq!(service_keys(&v), ["untagged"]);
        v.services = Some(vec!["vsanWitness".into(), "management".into()]);
        assert_eq!(service_keys(&v), ["vsanWitness"]);
        v.services = Some(vec!["management".into()]);
        assert!(service_keys(&v).is_empty());
    }
}
