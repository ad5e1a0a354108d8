//! UPL003 standby-only: a vmk's active uplinks are all down and it runs on a standby uplink.

use crate::findings::{Category, Severity};
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
        unknown counts as up (so does a link aggregation group or an uplink port not mapped \
        to a NIC). When no uplink at all is up, UPL002 reports it instead. \
        Object: the vmk.",
    why: "Failover worked, but the vmk now depends on its last NIC, usually on the other \
        physical switch than designed: one more failure isolates it, and traffic may cross \
        the inter-switch link or a path that was not sized for it.",
    remediation: "Repair the active uplinks (`esxcli network nic list` shows the link state; \
        check cabling and switch ports) or correct the failover order of the vmk's port \
        group: `esxcli network vswitch standard portgroup policy failover set -p <port group> \
        -a <vmnic> -s <vmnic>`.",
    fix: None,
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
        let active = port::uplink_list(&t.active);
        let standby = port::uplink_list(&up);
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

#[cfg(test)]
mod tests {
    use crate::model::{Host, Pnic, Teaming, Vmk};
    use crate::rules::{upl002_uplinks_down, HostCtx, Params, Rule};

    fn host(active: &[&str], standby: &[&str]) -> Host {
        let mut h = Host::named("h");
        h.pnics = Some(vec![Pnic {
            device: "vmnic1".into(),
            link_up: Some(true),
            speed_mbps: Some(10000),
            duplex: None,
        }]);
        let mut v = Vmk::named("vmk1");
        v.teaming = Some(Teaming {
            policy: None,
            active: active.iter().map(|s| s.to_string()).collect(),
            standby: standby.iter().map(|s| s.to_string()).collect(),
        });
        h.vmks.push(v);
        h
    }

    fn fired(rule: &Rule, h: &Host) -> bool {
        let params = Params::default();
        let ctx = HostCtx {
            index: 0,
            host: h,
            params: &params,
        };
        match rule.check {
            crate::rules::Check::Host(f) => !f(&ctx).is_empty(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn standby_only_and_dead_are_told_apart() {
        let (standby, dead) = (&super::RULE, &upl002_uplinks_down::RULE);
        // No active uplink at all, a standby that is up: failed over (UPL003), not dead.
        let h = host(&[], &["vmnic1"]);
        assert!(fired(standby, &h) && !fired(dead, &h));
        // An active uplink that is not a NIC of the host, the standby up: UPL003.
        let h = host(&["vmnic0"], &["vmnic1"]);
        assert!(fired(standby, &h) && !fired(dead, &h));
        // No uplink in the failover order: dead (UPL002) only.
        let h = host(&[], &[]);
        assert!(!fired(standby, &h) && fired(dead, &h));
        // The active uplink is up: neither.
        let h = host(&["vmnic1"], &["vmnic0"]);
        assert!(!fired(standby, &h) && !fired(dead, &h));
        // A LAG is not a missing NIC: neither.
        let h = host(&["lag1"], &[]);
        assert!(!fired(standby, &h) && !fired(dead, &h));
        // Link states unknown: neither.
        let mut h = host(&["vmnic0"], &[]);
        h.pnics = None;
        assert!(!fired(standby, &h) && !fired(dead, &h));
    }
}
