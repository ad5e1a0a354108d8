//! UPL005 uplink-speed-mismatch: the active uplinks of one vmk run at different speeds.

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::msg;
use crate::rules::port::{self, Link};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "UPL005",
    name: "uplink-speed-mismatch",
    category: Category::Uplinks,
    severity: Severity::Warning,
    summary: "The active uplinks of one vmk are linked at different speeds.",
    checks: "For every vmk whose failover order is known, takes the active uplinks that are up \
        with a known speed. Two or more different speeds among them is a finding (standby \
        uplinks are not compared: a slower standby NIC is a deliberate choice). Object: the \
        vmk.",
    why: "Load balancing spreads a vmk's flows over its active uplinks as if they were equal: \
        flows pinned to the slower NIC crawl (a 10 Gb/s NIC among 25 Gb/s ones, or a port \
        that negotiated 1 Gb/s on a bad cable), and vMotion or vSAN times become erratic. \
        A speed below the others usually means a cabling, transceiver or switch-port \
        problem.",
    remediation: "Find why the slower NIC negotiated less (`esxcli network nic list`; cable, \
        transceiver, switch port speed) and fix it, or move it to standby or unused for this \
        port group: `esxcli network vswitch standard portgroup policy failover set -p <port \
        group> -a <fast vmnics>`.",
    fix: None,
    checklist: "Active uplinks of a vmk run at one speed",
    references: &[
        "vSphere Networking: teaming and failover policy (load balancing over active uplinks)",
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
        let speeds: Vec<(&str, u32)> = t
            .active
            .iter()
            .filter_map(|u| match port::link(ctx.host, u) {
                Link::Up(Some(s)) => Some((u.trim(), s)),
                _ => None,
            })
            .collect();
        let fastest = speeds.iter().map(|(_, s)| *s).max().unwrap_or(0);
        if speeds.iter().all(|(_, s)| *s == fastest) {
            continue;
        }
        let dev = &vmk.device;
        let pg = port::portgroup(vmk);
        let list = i18n::list(speeds.iter().map(|(u, s)| format!("{u} {s} Mb/s")));
        let slow = i18n::list(
            speeds
                .iter()
                .filter(|(_, s)| *s < fastest)
                .map(|(u, _)| u.to_string()),
        );
        let host = &ctx.host.name;
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "UPL005.message",
                "The active uplinks of {dev} (port group {pg}) run at different speeds: {list}.",
                dev,
                pg,
                list,
            ),
            msg!(
                "UPL005.fix",
                "Find why {slow} negotiated a lower speed (esxcli network nic list on {host}; cable, transceiver, switch port) and fix it, or make {slow} standby or unused for port group {pg}.",
                slow,
                host,
                pg,
            ),
        ));
    }
    hits
}
