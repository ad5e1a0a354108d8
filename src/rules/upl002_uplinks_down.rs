//! UPL002 uplinks-down: no uplink of a vmk's failover order is up.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::port::{self, Link};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "UPL002",
    name: "uplinks-down",
    category: Category::Uplinks,
    severity: Severity::Error,
    summary: "Every uplink of a vmk is down or missing: its traffic cannot leave the host.",
    checks: "For every vmk whose failover order is known, looks up its active and standby \
        uplinks among the host's physical NICs. When every one of them is link-down or not a \
        NIC of the host (or the order names none), the vmk is cut off. A vmk whose active \
        uplinks are dead but a standby is up is UPL003's (a warning). An uplink whose link \
        state is unknown counts as up, and so does a link aggregation group or an uplink \
        port not mapped to a NIC (only a missing `vmnicN` counts as missing). Object: the \
        vmk.",
    why: "A vmk without a working uplink still has its address and services: vMotion, vSAN, \
        storage or management traffic sent through it is lost, and depending on the service \
        the host is isolated (HA), a vSAN partition forms or paths to datastores fail.",
    remediation: "Check cabling and the physical switch ports (`esxcli network nic list` shows the \
        link state), replace a failed NIC, or correct the failover order of the vmk's port \
        group to name working NICs: `esxcli network vswitch standard portgroup policy \
        failover set -p <port group> -a <vmnic>` (PowerCLI: `Get-VirtualPortGroup -Name <pg> \
        | Get-NicTeamingPolicy | Set-NicTeamingPolicy -MakeNicActive <vmnic>`).",
    fix: None,
    checklist: "Every vmk has a working uplink",
    references: &[
        "vSphere Networking: teaming and failover policy (active, standby and unused uplinks)",
        "VMware KB 1004088: NIC teaming in ESXi and ESX",
    ],
    needs: &[Data::Teaming, Data::Pnics],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (vmk, t) in port::teamed(ctx.host) {
        let all = port::uplinks(t);
        let links: Vec<Link> = all.iter().map(|u| port::link(ctx.host, u)).collect();
        if !links.iter().all(|l| l.dead()) {
            continue;
        }
        let dev = &vmk.device;
        let pg = port::portgroup(vmk);
        let host = &ctx.host.name;
        let message = if all.is_empty() {
            msg!(
                "UPL002.none",
                "{dev} (port group {pg}) has no active or standby uplink: its traffic cannot leave the host.",
                dev,
                pg,
            )
        } else {
            let uplinks = port::uplink_list(&all);
            msg!(
                "UPL002.message",
                "Every uplink of {dev} (port group {pg}) is down or missing ({uplinks}): its traffic cannot leave the host.",
                dev,
                pg,
                uplinks,
            )
        };
        hits.push(ctx.hit(
            Some(dev),
            message,
            msg!(
                "UPL002.fix",
                "Check the cabling and switch ports of the uplinks (esxcli network nic list on {host}), or give port group {pg} a working uplink: esxcli network vswitch standard portgroup policy failover set -p \"{pg}\" -a <vmnic> (on a distributed switch, edit the port group's teaming and failover).",
                host,
                pg,
            ),
        ));
    }
    hits
}
