//! SEP007 vmk-vlan-trunk: a vmk's port group is a VLAN trunk (VLAN 4095 or a trunk range).

use crate::findings::{Category, Severity};
use crate::model::{Vlan, VlanSpec};
use crate::msg;
use crate::rules::{net, port, Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "SEP007",
    name: "vmk-vlan-trunk",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: "A vmk sits on a VLAN trunk port group (VLAN 4095 or a trunk range) instead of one VLAN.",
    checks: "Reports every vmk whose VLAN is 4095 (virtual guest tagging on a standard switch) \
        or a trunk range (a distributed port group with VLAN trunking). A private VLAN or a \
        plain VLAN ID (0 = untagged included) passes. Vmks on NSX switches are skipped (the \
        transport VLAN comes from the NSX uplink profile). Object: the vmk.",
    why: "A vmk does not tag its own frames: on a trunk port group its traffic leaves untagged, \
        on the native VLAN of the physical port, sharing it with whatever else lands there, \
        and the port group passes every VLAN of the trunk to it. VLAN 4095 and trunks are \
        meant for guests that tag themselves (virtual guest tagging); the STIG allows them \
        only as documented exceptions.",
    remediation: "Move the vmk to a port group with the single VLAN its traffic belongs to: `esxcli \
        network vswitch standard portgroup set -p <pg> --vlan-id <id>` (PowerCLI: \
        `Get-VirtualPortGroup -Name <pg> | Set-VirtualPortGroup -VLanId <id>`; on a \
        distributed switch `Set-VDVlanConfiguration -VlanId <id>` on its port group).",
    fix: None,
    checklist: "No vmk on a VLAN trunk (4095) port group",
    references: &[
        "DISA STIG ESXI-80-000220 / ESXI-70-000064 (restrict virtual guest tagging, VLAN 4095)",
        "VMware vSphere Security Guide: Securing VLANs (VLAN 4095 only for virtual guest tagging)",
    ],
    needs: &[Data::Vlan],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let trunk = matches!(
            &vmk.vlan,
            Some(Vlan::Id(4095)) | Some(Vlan::Spec(VlanSpec::Trunk(_)))
        );
        if !trunk || port::on_nsx(vmk) {
            continue;
        }
        let dev = &vmk.device;
        let pg = port::portgroup(vmk);
        let vlan = vmk.vlan.as_ref().map(ToString::to_string).unwrap_or_default();
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "SEP007.message",
                "{dev} is on port group {pg} with VLAN {vlan} (a trunk): its traffic leaves untagged on the native VLAN instead of a VLAN of its own.",
                dev,
                pg,
                vlan,
            ),
            msg!(
                "SEP007.fix",
                "Give {dev} a port group with the one VLAN its traffic belongs to: esxcli network vswitch standard portgroup set -p \"{pg}\" --vlan-id <id>, or on a distributed switch set a VLAN ID (not trunking) on the port group.",
                dev,
                pg,
            ),
        ));
    }
    hits
}
