//! ADDR005 service-subnets-unroutable: a host cannot reach, or reaches only through the default
//! (management) gateway, a network its cluster uses for one of its services.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::model::{Host, Vmk};
use crate::msg;
use crate::rules::net::{self, Reach};
use crate::rules::{Check, Data, EstateCtx, Hit, Rule};

pub static RULE: Rule = Rule {
    id: "ADDR005",
    name: "service-subnets-unroutable",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: "A host cannot reach a network its cluster uses for a service, or reaches it only through the default (management) gateway.",
    checks: "Within each cluster, collects the IPv4 networks (subnets) the vmks of every \
        host-to-host service (vMotion, vSAN, FT logging, provisioning) and storage fabric \
        (NVMe/TCP, NVMe/RDMA) are in; witness, replication, backup and PTP traffic goes to \
        peers outside the cluster and is not compared. Every host must reach each of them, fabric by fabric: \
        directly (a vmk of the service in that network) or routed from a vmk of the service: \
        a static route of the vmk's TCP/IP stack that covers the network, the vmk's gateway \
        override, the gateway of the vmk's own (non-default) stack, or a default-stack \
        gateway inside the vmk's own subnet. A network the host has no such route to is \
        reported as unreachable (its stack has no gateway), or, when only the default \
        stack's gateway in another subnet (usually management's) would carry it, as leaving \
        through the management gateway; the latter only when the stack's static routes are \
        known. When two networks cannot reach each other, the hosts of the smaller one are \
        reported (on a tie, both). Object: the vmk. Does not fire on: routed vSAN or vMotion \
        with gateway overrides, L3 vMotion or provisioning on their own stacks, stretched vSAN \
        joined by static routes, 2-node vSAN with witness traffic separation, A/B storage \
        fabrics (every host in both fabrics), one non-routed subnet per cluster.",
    why: "vMotion, vSAN, FT, replication and NVMe/TCP connect host to host or host to target. \
        Without a route a vmk only reaches its own subnet, so a host whose vSAN or vMotion \
        vmk sits in another subnet than its peers cannot exchange that traffic with them: \
        vMotion fails, vSAN partitions, DRS and maintenance mode stall. Routed through the \
        default stack's gateway, the traffic leaves through the management adapter instead of \
        the service's own: the very thing one default gateway per stack is meant to prevent \
        (the vSAN planning guide adds static routes or overrides for exactly this).",
    remediation: "Route the service for its vmk: a static route on the vmk's stack through a \
        gateway in the vmk's own subnet (`esxcli network ip route ipv4 add -N <stack> -n \
        <network> -g <gateway>`), a gateway override on the vmk (vSAN 7+, vSphere 6.5+: \
        `esxcli network ip interface ipv4 set -i vmkN -t static -I <ip> -N <mask> -g \
        <gateway>`), or its own TCP/IP stack with a gateway; or readdress the vmk into its \
        peers' subnet.",
    fix: None,
    checklist: "Every host reaches each network its cluster uses for a service, not through the management gateway",
    references: &[
        "vSAN Planning and Deployment 7.0: Using static routes (stretched clusters and witness networks need static routes or a vSAN gateway override), https://docs.vmware.com/en/VMware-vSphere/7.0/com.vmware.vsphere.vsan-planning.doc/GUID-98C22A7D-6BC6-4841-B2D5-7C96163951F1.html",
        "vSphere vCenter Server and Host Management: Networking requirements for vMotion",
        "Broadcom KB 318546 / VMware KB 2010877 (one routing table per TCP/IP stack)",
    ],
    needs: &[Data::Services, Data::Netstacks, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Estate(check),
};

/// One vmk of a service in a cluster.
struct Member<'a> {
    host: usize,
    h: &'a Host,
    vmk: &'a Vmk,
    subnet: Ipv4Net,
}

/// Why a host does not reach a peer network: the vmk that would send, and how.
type Miss<'a> = (&'a Vmk, Reach);

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let mut groups: BTreeMap<(&str, &str), Vec<Member<'_>>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        let Some(cluster) = host.cluster.as_deref() else {
            continue;
        };
        for vmk in net::sorted_vmks(host) {
            let Some(subnet) = net::subnet(vmk) else {
                continue;
            };
            for s in net::carried(vmk, net::PEER_TO_PEER) {
                groups
                    .entry((cluster, s))
                    .or_default()
                    .push(Member {
                        host: i,
                        h: host,
                        vmk,
                        subnet,
                    });
            }
        }
    }
    let mut found: BTreeMap<(usize, &str), Vec<Msg>> = BTreeMap::new();
    for ((cluster, svc), members) in &groups {
        // Each network of the service and the hosts in it.
        let mut nets: BTreeMap<Ipv4Net, BTreeSet<usize>> = BTreeMap::new();
        let mut own: BTreeMap<usize, Vec<&Member>> = BTreeMap::new();
        for m in members {
            nets.entry(m.subnet).or_default().insert(m.host);
            own.entry(m.host).or_default().push(m);
        }
        if nets.len() < 2 {
            continue;
        }
        let mut misses: BTreeMap<(usize, Ipv4Net), Miss<'_>> = BTreeMap::new();
        for (&host, mine) in &own {
            for &peer in nets.keys() {
                if mine.iter().any(|m| m.subnet == peer) {
                    continue;
                }
                let reaches: Vec<(&Vmk, Reach)> = mine
                    .iter()
                    .map(|m| (m.vmk, net::reach(m.h, m.vmk, peer)))
                    .collect();
                if reaches.iter().any(|r| r.1 == Reach::Routed) {
                    continue;
                }
                let miss = reaches
                    .iter()
                    .find(|r| matches!(r.1, Reach::DefaultGateway(_)))
                    .or(reaches.first())
                    .copied();
                if let Some(miss) = miss {
                    misses.insert((host, peer), miss);
                }
            }
        }
        for (&(host, peer), &(vmk, how)) in &misses {
            // When the peer network cannot reach this host's either, the smaller side is the
            // one out of place: report it (on a tie, both).
            let mutual_sizes = own[&host]
                .iter()
                .map(|m| m.subnet)
                .filter(|n| nets[&peer].iter().any(|q| misses.contains_key(&(*q, *n))))
                .map(|n| nets[&n].len())
                .max();
            if mutual_sizes.is_some_and(|mine| nets[&peer].len() < mine) {
                continue;
            }
            let n = nets[&peer].len();
            let stack = net::stack_of(vmk);
            let dev = &vmk.device;
            let clause = match how {
                Reach::DefaultGateway(gw) => msg!(
                    "ADDR005.clause.default_gateway",
                    "{svc} traffic to {peer} ({n} hosts of cluster {cluster}) would leave through the default gateway {gw} of {stack}, not through {dev}: no static route, gateway override or own TCP/IP stack routes it",
                    svc,
                    peer,
                    n,
                    cluster,
                    gw,
                    stack,
                    dev,
                ),
                _ => msg!(
                    "ADDR005.clause.unreachable",
                    "{svc} peers in {peer} ({n} hosts of cluster {cluster}) are unreachable: {stack} has no gateway and no static route to {peer}",
                    svc,
                    peer,
                    n,
                    cluster,
                    stack,
                ),
            };
            found.entry((host, dev.as_str())).or_default().push(clause);
        }
    }
    found
        .into_iter()
        .map(|((i, dev), problems)| Hit {
            host: i,
            object: Some(dev.to_string()),
            message: msg!(
                "ADDR005.message",
                "{dev}: {problems}.",
                dev,
                problems = i18n::clauses(problems),
            ),
            remediation: msg!(
                "ADDR005.fix",
                "Route the service for {dev}: a static route on its stack through a gateway in its own subnet (esxcli network ip route ipv4 add -N <stack> -n <network> -g <gateway>), a gateway override on {dev} (esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <mask> -g <gateway>), or its own TCP/IP stack with a gateway; or readdress {dev} into its peers' subnet.",
                dev,
            ),
        })
        .collect()
}
