//! ADDR002 multihoming: two vmks on one TCP/IP stack in one subnet.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::net::{self, Pair};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "ADDR002",
    name: "multihoming",
    category: Category::Addressing,
    severity: Severity::Warning,
    summary: "Two vmks on one TCP/IP stack are in the same IPv4 subnet (multihoming).",
    checks: "Groups a host's vmks by TCP/IP stack and IPv4 subnet. In a group of two or more, \
        every vmk after the first (lowest number) is reported when it is multihomed with an \
        earlier one. Not multihoming (Broadcom KB 318546): multi-NIC vMotion (vmks that carry \
        vMotion, with or without provisioning, the same on each), iSCSI port binding (vmks \
        without services that are bound to the software iSCSI adapter, `iscsi_bound`), and \
        vmks of one same single service. Two vmks without services whose binding is not \
        known but whose layout fits port binding (one active uplink each, different ones, no \
        standby; or teaming unknown) are left to ADDR006, an info note; when the binding is \
        known to be absent (e.g. two NFS vmks) they are multihomed. Vmks with unknown \
        services are skipped, and so are vMotion and provisioning vmks whose TCP/IP stack the \
        source does not give (they may be on their own stack). Object: the vmk. Does not fire \
        on: multi-NIC vMotion on the vmotion or the default stack, iSCSI port binding.",
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
    references: &[
        "Broadcom KB 318546 / VMware KB 2010877 (multihoming on ESXi; not to be confused with iSCSI port binding or multi-NIC vMotion), https://knowledge.broadcom.com/external/article?articleNumber=318546",
        "VMware KB 2007467 (multiple-NIC vMotion)",
        "VMware KB 2038869 (considerations for software iSCSI port binding)",
    ],
    needs: &[Data::Services, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    net::shared_subnets(ctx.host)
        .into_iter()
        .filter(|s| s.pair == Pair::Multihomed)
        .map(|s| {
            let (da, db, subnet, stack) = (&s.first.device, &s.vmk.device, s.subnet, s.stack);
            ctx.hit(
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
            )
        })
        .collect()
}
