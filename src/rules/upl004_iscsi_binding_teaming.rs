//! UPL004 iscsi-binding-teaming: a vmk bound to the software iSCSI adapter has a failover
//! order port binding does not support.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::{port, Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "UPL004",
    name: "iscsi-binding-teaming",
    category: Category::Uplinks,
    severity: Severity::Warning,
    summary: "A vmk bound to the software iSCSI adapter has more than one active uplink, or a standby uplink.",
    checks: "For every vmk bound to the software iSCSI adapter (`iscsi_bound`), reports a \
        failover order other than exactly one active uplink and no standby uplink (the \
        others unused). Vmks whose binding or failover order is unknown are skipped (COV002 \
        says so). Object: the vmk.",
    why: "iSCSI port binding gives each path its own vmk and NIC and leaves failover to \
        storage multipathing (NMP/PSP): a bound vmk with several active or a standby NIC is \
        not compliant, vSphere shows the binding as non-compliant, and path failover \
        becomes unpredictable (a path may move to a NIC that cannot reach its target \
        fabric).",
    remediation: "Override the failover order of each bound vmk's port group: one active uplink, the \
        others unused: `esxcli network vswitch standard portgroup policy failover set -p \
        <port group> -a vmnic2` and move the others to unused (PowerCLI: \
        `Get-VirtualPortGroup -Name <pg> | Get-NicTeamingPolicy | Set-NicTeamingPolicy \
        -MakeNicActive vmnic2 -MakeNicUnused vmnic3`).",
    fix: None,
    checklist: "iSCSI-bound vmks have one active uplink and no standby",
    references: &[
        "VMware KB 2045040: Considerations for using software iSCSI port binding in ESX/ESXi",
        "vSphere Storage: Multiple network adapters in iSCSI configuration (port binding needs one active adapter per VMkernel adapter)",
    ],
    needs: &[Data::IscsiBinding, Data::Teaming],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (vmk, t) in port::teamed(ctx.host) {
        if vmk.iscsi_bound != Some(true) || (t.active.len() == 1 && t.standby.is_empty()) {
            continue;
        }
        let dev = &vmk.device;
        let pg = port::portgroup(vmk);
        let active = port::uplink_list(&t.active);
        let standby = port::uplink_list(&t.standby);
        let keep = t.active.first().map_or("<vmnic>", String::as_str);
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "UPL004.message",
                "{dev} is bound to the software iSCSI adapter but port group {pg} has active uplinks {active} and standby uplinks {standby}: port binding needs exactly one active uplink and no standby.",
                dev,
                pg,
                active,
                standby,
            ),
            msg!(
                "UPL004.fix",
                "Override the failover order of port group {pg}: one active uplink, the others unused (esxcli network vswitch standard portgroup policy failover set -p \"{pg}\" -a {keep}; PowerCLI Set-NicTeamingPolicy -MakeNicActive {keep} -MakeNicUnused <the others>).",
                pg,
                keep,
            ),
        ));
    }
    hits
}
