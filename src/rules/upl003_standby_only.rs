//! UPL003 standby-only: a vmk's active uplinks are all down and it runs on a standby uplink.

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::msg;
use crate::rules::port::{self, Link};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "UPL003",
    name: "standby-only",
    category: Category::Uplinks,
    severity: Severity::Warning,
    summary: "A vmk's active uplinks are all down or missing; only a standby uplink carries its traffic.",
    checks: "For every vmk whose failover order is known: when no active uplink is up (each \
        is link-down or not a NIC of the host, or none is active) but a standby uplink is up, \
        the vmk has failed over and has no redundancy left. An uplink whose link state is \
        unknown counts as up. When no uplink at all is up, UPL002 reports it instead. \
        Object: the vmk.",
    why: "Failover worked, but the vmk now depends on its last NIC, usually on the other \
        physical switch than designed: one more failure isolates it, and traffic may cross \
        the inter-switch link or a path that was not sized for it.",
    remediation: "Repair the active uplinks (`esxcli network nic list` shows the link state; \
        check cabling and switch ports) or correct the failover order of the vmk's port \
        group: `esxcli network vswitch standard portgroup policy failover set -p <port group> \
        -a <vmnic> -s <vmnic>`.",
    checklist: "No vmk runs on its standby uplinks",
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
        let state = |u: &String| port::link(ctx.host, u);
        if !t.active.iter().map(state).all(Link::dead) {
            continue;
        }
        let up: Vec<&str> = t
            .standby
            .iter()
            .filter(|u| !state(u).dead())
            .map(|u| u.trim())
            .collect();
        if up.is_empty() {
            continue;
        }
        let dev = &vmk.device;
        let pg = port::portgroup(vmk);
        let active = if t.active.is_empty() {
            i18n::list(["-"])
        } else {
            i18n::list(&t.active)
        };
        let standby = i18n::list(&up);
        let host = &ctx.host.name;
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "UPL003.message",
                "{dev} (port group {pg}) runs on its standby uplink {standby}: its active uplinks ({active}) are down or missing, no redundancy is left.",
                dev,
                pg,
                standby,
                active,
            ),
            msg!(
                "UPL003.fix",
                "Repair the active uplinks {active} (esxcli network nic list on {host}; cabling, switch ports) or correct the failover order of port group {pg}.",
                active,
                host,
                pg,
            ),
        ));
    }
    hits
}
