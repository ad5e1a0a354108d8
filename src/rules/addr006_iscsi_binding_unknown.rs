//! ADDR006 iscsi-binding-unknown: two vmks without services share a subnet on one stack, laid
//! out like iSCSI port binding, but the source did not say whether they are bound.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::net::{self, Pair};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "ADDR006",
    name: "iscsi-binding-unknown",
    category: Category::Addressing,
    severity: Severity::Info,
    summary: "Two vmks without services share a subnet on one TCP/IP stack like iSCSI port binding, but their binding is unknown.",
    checks: "The pairs ADDR002 leaves open: two vmks of one TCP/IP stack in one IPv4 subnet, \
        neither carrying a service, whose iSCSI port binding the source did not give \
        (`iscsi_bound` unknown, e.g. from an RVTools or PowerCLI export or a version 1 \
        inventory) and whose layout fits port binding: each has one active uplink, a \
        different one, and no standby, or their teaming is unknown too. Bound, they are the \
        supported port-binding design; unbound (NFS, or iSCSI without binding), they are \
        multihoming. Object: the later vmk. Does not fire when the binding is known.",
    why: "Port binding is the one case where several vmks in one subnet are supported (KB \
        318546, KB 2038869): the iSCSI initiator sends each session out of its bound vmk. \
        Without binding the stack sends all traffic for that subnet out of one of them, and \
        storage paths fail over unpredictably. The export does not say which it is.",
    remediation: "Check the binding: `esxcli iscsi networkportal list` (or vSphere Client: Storage \
        Adapters > software iSCSI adapter > Network Port Binding). Collect live from vCenter \
        to record it. Unbound vmks belong in their own subnets.",
    fix: None,
    checklist: "vmks sharing a subnet for iSCSI are bound to the iSCSI adapter",
    references: &[
        "Broadcom KB 318546 / VMware KB 2010877 (multihoming on ESXi), https://knowledge.broadcom.com/external/article?articleNumber=318546",
        "VMware KB 2038869 (considerations for software iSCSI port binding)",
        "VMware KB 2045040 (iSCSI port binding: one active uplink per vmk)",
    ],
    needs: &[Data::Services, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    net::shared_subnets(ctx.host)
        .into_iter()
        .filter(|s| s.pair == Pair::Unverified)
        .map(|s| {
            let (da, db, subnet, stack) = (&s.first.device, &s.vmk.device, s.subnet, s.stack);
            ctx.hit(
                Some(db),
                msg!(
                    "ADDR006.message",
                    "{db} and {da} carry no service and are both in {subnet} on TCP/IP stack {stack}, laid out like iSCSI port binding; the source does not say whether they are bound (bound: supported; unbound: multihoming).",
                    db,
                    da,
                    subnet,
                    stack,
                ),
                msg!(
                    "ADDR006.fix",
                    "Check with esxcli iscsi networkportal list that {db} and {da} are bound to the software iSCSI adapter; if they are not (NFS, unbound iSCSI), move {db} to its own subnet.",
                    db,
                    da,
                ),
            )
        })
        .collect()
}
