//! ADDR002 multihoming: two vmks on one TCP/IP stack in one subnet.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::model::Vmk;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "ADDR002",
    name: "multihoming",
    category: Category::Addressing,
    severity: Severity::Warning,
    summary: "Two vmks on one TCP/IP stack are in the same IPv4 subnet (multihoming).",
    checks: "Groups a host's vmks by TCP/IP stack and IPv4 subnet. In a group of two or more, \
        the first vmk (lowest number) is the subnet's owner; every other vmk is reported \
        unless it carries exactly the same single service as the ones before it, or no \
        service at all like them (iSCSI port binding, multi-NIC vMotion). Vmks with unknown \
        services are skipped, and so are vMotion and provisioning vmks whose TCP/IP stack the \
        source does not give (they may be on their own stack). Object: the vmk.",
    why: "A stack sends traffic for a subnet out of the first adapter it finds there, not the \
        one the service is bound to (VMware KB 2010877). Traffic meant to be separated ends \
        up on the management adapter, replies come from an unexpected address, and \
        failover behaves unpredictably.",
    remediation:
        "Put each service in its own subnet, or move it to its own TCP/IP stack: create the \
        vmk on the vMotion or provisioning stack (`esxcli network ip interface add -i vmkN \
        -p <portgroup> -N vmotion`) or readdress it (`esxcli network ip interface ipv4 set -i \
        vmkN -t static -I <ip> -N <mask>`).",
    fix: None,
    checklist: "No two vmks of one stack in one subnet",
    references: &["VMware KB 2010877 (multihoming on ESXi VMkernel networking)"],
    needs: &[Data::Services, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

/// Whether two vmks in one subnet are a legitimate pair (same single service or none).
fn compatible(a: &Vmk, b: &Vmk) -> bool {
    let (sa, sb) = (net::services(a), net::services(b));
    sa.len() <= 1 && sa == sb
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut groups: BTreeMap<(&str, Ipv4Net), Vec<&Vmk>> = BTreeMap::new();
    for vmk in net::sorted_vmks(ctx.host) {
        if vmk.services.is_none() {
            continue;
        }
        if let (Some(stack), Some(subnet)) = (net::known_stack(vmk), net::subnet(vmk)) {
            groups.entry((stack, subnet)).or_default().push(vmk);
        }
    }
    let mut hits = Vec::new();
    for ((stack, subnet), vmks) in &groups {
        for (j, b) in vmks.iter().enumerate().skip(1) {
            let Some(a) = vmks[..j].iter().find(|a| !compatible(a, b)) else {
                continue;
            };
            let (da, db) = (&a.device, &b.device);
            hits.push(ctx.hit(
                Some(db),
                msg!(
                    "ADDR002.message",
                    "{db} and {da} are both in {subnet} on TCP/IP stack {stack}: the stack sends traffic for that subnet out of one of them only (multihoming).",
                    db,
                    da,
                    subnet,
                    stack,
                ),
                msg!(
                    "ADDR002.fix",
                    "Move {db} to its own subnet (esxcli network ip interface ipv4 set -i {db} -t static -I <ip> -N <mask>) or to its own TCP/IP stack (recreate it with esxcli network ip interface add -i {db} -p <portgroup> -N vmotion).",
                    db,
                ),
            ));
        }
    }
    hits
}
