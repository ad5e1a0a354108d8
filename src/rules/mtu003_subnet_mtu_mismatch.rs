//! MTU003 subnet-mtu-mismatch: vmks in one IPv4 subnet have different MTUs.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, EstateCtx, Hit, Rule};

pub static RULE: Rule = Rule {
    id: "MTU003",
    name: "subnet-mtu-mismatch",
    category: Category::Mtu,
    severity: Severity::Warning,
    summary: "vmks in one IPv4 network (subnet, VLAN and switch) have different MTUs (reported on the deviating vmks).",
    checks: "Groups every vmk of the checked inventory (all hosts, clusters and vCenters) by \
        network: its IPv4 subnet (network address and prefix) and, unless the subnet is routed \
        (a gateway, an override or a static route's gateway lies in it), its VLAN and switch \
        scope (a distributed switch within its vCenter and datacenter; a standard switch: the \
        host's cluster); a vmk whose VLAN or switch is unknown is counted in each of its \
        subnet's networks. In a network whose vmks use more than one MTU, the reference is the \
        MTU most of them use (on a tie, the larger one); the vmks with another MTU are \
        reported. Object: the vmk. Does not fire on: one non-routed subnet reused per cluster \
        on separate VLANs and switches with different MTUs.",
    why: "Hosts in one subnet talk to each other directly. A mix of 9000 and 1500 means large \
        packets from the jumbo side are dropped or fragmented on the way to the others, \
        which breaks vMotion, iSCSI, NFS and vSAN in ways that only show under load.",
    remediation:
        "Use one MTU per subnet: `esxcli network ip interface set -i vmkN -m <mtu>` (PowerCLI: \
        `Set-VMHostNetworkAdapter -Mtu <mtu>`), with switches and physical ports that carry \
        it; verify with `vmkping -I vmkN -d -s <mtu-28> <peer>`.",
    fix: None,
    checklist: "Same MTU within a subnet",
    references: &[
        "VMware KB 1003728 (vmkping)",
        "vSphere Networking: Jumbo frames",
    ],
    needs: &[Data::Mtu, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Estate(check),
};

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    type Holder<'a> = (usize, &'a crate::model::Host, &'a crate::model::Vmk, u32);
    let mut subnets: BTreeMap<Ipv4Net, Vec<Holder<'_>>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        for vmk in net::sorted_vmks(host) {
            if let (Some(subnet), Some(mtu)) = (net::subnet(vmk), vmk.mtu) {
                subnets.entry(subnet).or_default().push((i, host, vmk, mtu));
            }
        }
    }
    // A subnet with one MTU has no finding in any of its networks: the networks (which need
    // the routed subnets of the whole estate) are worked out only when a subnet has two.
    subnets.retain(|_, holders| holders.iter().any(|h| h.3 != holders[0].3));
    if subnets.is_empty() {
        return Vec::new();
    }
    let networks = net::Networks::new(ctx.hosts().map(|(_, h)| h));
    let mut hits = Vec::new();
    let mut reported: BTreeSet<(usize, &str)> = BTreeSet::new();
    for (subnet, holders) in &subnets {
        let members: Vec<_> = holders
            .iter()
            .map(|&(i, host, vmk, mtu)| {
                (networks.segment(host, vmk), (i, vmk.device.as_str(), mtu))
            })
            .collect();
        // Compared within one network: a non-routed subnet reused on other VLANs or switches
        // is another network with its own MTU.
        for members in net::split_networks(&members) {
            let Some(reference) = net::majority(members.iter().map(|m| m.2)) else {
                continue;
            };
            if members.iter().all(|m| m.2 == reference) {
                continue;
            }
            let tally = net::tally(members.iter().map(|m| m.2));
            for &(i, dev, mtu) in &members {
                if mtu == reference || !reported.insert((i, dev)) {
                    continue;
                }
                hits.push(Hit {
                    host: i,
                    object: Some(dev.to_string()),
                    message: msg!(
                        "MTU003.message",
                        "{dev} has MTU {mtu} but most vmks in its subnet {subnet} use {reference} ({tally}).",
                        dev,
                        mtu,
                        subnet,
                        reference,
                        tally,
                    ),
                    remediation: msg!(
                        "MTU003.fix",
                        "Use one MTU in {subnet}: esxcli network ip interface set -i {dev} -m {reference} (if the switch carries it), then verify with vmkping -I {dev} -d -s <mtu-28> <peer>.",
                        subnet,
                        dev,
                        reference,
                    ),
                });
            }
        }
    }
    hits
}
