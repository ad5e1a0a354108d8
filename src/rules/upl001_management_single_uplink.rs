//! UPL001 management-single-uplink: the management network of a host has one uplink.

use crate::findings::{Category, Severity};
use crate::model::service;
use crate::msg;
use crate::rules::{net, port, Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "UPL001",
    name: "management-single-uplink",
    category: Category::Uplinks,
    severity: Severity::Warning,
    summary: "The host's management network has a single uplink: no active or standby second physical NIC.",
    checks: "Takes every vmk carrying `management` and the uplinks of their failover orders \
        (active and standby, as configured, whatever their link state: UPL002 and UPL003 \
        judge links). Fewer than two distinct uplinks over all management vmks is a \
        finding, reported on the first management vmk. A second management vmk on another \
        uplink (a redundant management network, which vSphere HA also accepts) counts. Not \
        checked while a management vmk's failover order is unknown, nor when it names a link \
        aggregation group (LACP) or an uplink port that is not mapped to a NIC, which may \
        stand for several NICs. Storage vmks with one \
        uplink by design (iSCSI port binding, A/B fabrics) are not judged: only management \
        is. Object: the management vmk.",
    why: "vSphere HA uses the management network for its heartbeats: with one physical NIC, a \
        cable, switch port or NIC failure isolates the host, HA may restart its VMs \
        elsewhere or shut them down, and vCenter loses the host. HA raises \"This host \
        currently has no management network redundancy\" for exactly this.",
    remediation: "Add a second physical NIC to the management port group's switch and make it \
        active or standby: `esxcli network vswitch standard uplink add -u vmnic1 -v vSwitch0` \
        and `esxcli network vswitch standard policy failover set -v vSwitch0 -a vmnic0 -s \
        vmnic1` (PowerCLI: `Get-VirtualSwitch -VMHost <host> -Name vSwitch0 | \
        Set-VirtualSwitch -Nic vmnic0,vmnic1`).",
    fix: None,
    checklist: "Management network has a second uplink",
    references: &[
        "VMware KB 1004700: \"This host currently has no management network redundancy\" (vSphere HA)",
        "vSphere Availability: network redundancy for the management network (NIC teaming or a second management network)",
    ],
    needs: &[Data::Services, Data::Teaming],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mgmt: Vec<_> = net::sorted_vmks(ctx.host)
        .into_iter()
        .filter(|v| v.has_service(service::MANAGEMENT) == Some(true))
        .collect();
    let Some(first) = mgmt.first() else {
        return Vec::new();
    };
    let mut all: Vec<&str> = Vec::new();
    for v in &mgmt {
        let Some(t) = &v.teaming else {
            return Vec::new();
        };
        for u in port::uplinks(t) {
            if !all.contains(&u) {
                all.push(u);
            }
        }
    }
    // A LAG (or an uplink port the source could not map to a NIC) may hide several NICs.
    if all.len() >= 2 || !all.iter().all(|u| port::is_physical(u)) {
        return Vec::new();
    }
    let dev = &first.device;
    let uplink = all.first().copied().unwrap_or("-");
    let host = &ctx.host.name;
    let switch = first.switch.as_deref().unwrap_or("<switch>");
    vec![ctx.hit(
        Some(dev),
        msg!(
            "UPL001.message",
            "Management vmk {dev} has only one uplink ({uplink}): a single NIC, cable or switch port failure cuts the host off from vCenter and vSphere HA.",
            dev,
            uplink,
        ),
        msg!(
            "UPL001.fix",
            "Give {switch} a second physical NIC and make it active or standby for the management port group (esxcli network vswitch standard uplink add -u <vmnic> -v {switch}; on a distributed switch, add the uplink to {host} and to the port group's failover order).",
            switch,
            host,
        ),
    )]
}
