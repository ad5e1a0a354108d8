//! SEP003 traffic-shares-network: two vmks with different traffic share a subnet, port group or
//! VLAN.

use std::collections::BTreeSet;

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::model::{service, Vmk};
use crate::msg;
use crate::rules::net;
use crate::rules::sep002_multiple_traffic_types::ALLOWED_SERVICE_COMBINATIONS;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "SEP003",
    name: "traffic-shares-network",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: "Two vmks of one host that carry different traffic share an IPv4 subnet, a port group or a VLAN.",
    checks: "Gives every vmk a traffic class: its management flag plus its separated services \
        (see SEP002); a vmk with no service at all is its own class, untagged IP storage \
        (iSCSI, NFS), which STIG ESXI-80-000199 wants isolated too. Vmks whose services are \
        unknown, or that carry only services outside these (e.g. vsanWitness alone), are not \
        compared. For every pair of vmks on one host whose classes differ, reports when they \
        are in the same IPv4 subnet (whatever their TCP/IP stacks), on the same port group, or \
        on the same VLAN of the same switch (not when either switch is unknown: two standard \
        switches of one host can carry one VLAN ID on separate physical networks). Traffic \
        the rule set lets share one vmk (`allowed_service_combinations`, e.g. vMotion and \
        provisioning) may also share a network. vMotion and vSAN on one switch with different \
        VLANs is a normal design and not a finding. Object: the later vmk of the pair. Does \
        not fire on: iSCSI port binding or A/B storage fabrics (untagged vmks among \
        themselves), 2-node direct connect with vSAN and vMotion on tagged VLANs of the \
        back-to-back links.",
    why: "Separate vmks only separate traffic when they sit on separate networks. On a shared \
        subnet or VLAN, vMotion memory, storage and management traffic reach each other's \
        listeners, share one broadcast domain and bandwidth, and the host may answer on the \
        wrong adapter. DISA STIG requires vMotion, IP storage and management to be \
        on separate networks.",
    remediation: "Put each traffic type on its own port group with its own VLAN and subnet: \
        `esxcli network vswitch standard portgroup set -p <portgroup> -v <vlan>` (distributed: \
        `Get-VDPortgroup <pg> | Set-VDVlanConfiguration -VlanId <vlan>`), then readdress the \
        vmk: `esxcli network ip interface ipv4 set -i vmkN -t static -I <ip> -N <mask>`.",
    fix: None,
    checklist: "Separated traffic types use different subnets, port groups and VLANs",
    references: &[
        "DISA STIG ESXI-80-000160 / ESXI-70-000048 (vMotion traffic isolated)",
        "DISA STIG ESXI-80-000198 / ESXI-70-000049 (management traffic isolated)",
        "DISA STIG ESXI-80-000199 / ESXI-70-000050 (IP-based storage traffic isolated)",
    ],
    needs: &[Data::Services, Data::Ipv4],
    params: &[&ALLOWED_SERVICE_COMBINATIONS],
    active: None,
    check: Check::Host(check),
};

/// The class of a vmk without any service (untagged IP storage: iSCSI, NFS).
const UNTAGGED: &str = "";

fn class(vmk: &Vmk) -> BTreeSet<&'static str> {
    let mut c: BTreeSet<&'static str> = net::separated(vmk).into_iter().collect();
    if vmk.has_service(service::MANAGEMENT) == Some(true) {
        c.insert(service::MANAGEMENT);
    }
    if vmk.services.as_ref().is_some_and(|s| s.is_empty()) {
        c.insert(UNTAGGED);
    }
    c
}

/// A class as shown in messages.
fn class_label(c: &BTreeSet<&str>) -> i18n::Arg {
    i18n::list(c.iter().map(|s| {
        if *s == UNTAGGED {
            i18n::ToArg::to_arg(msg!("SEP003.untagged", "no service: IP storage"))
        } else {
            i18n::ToArg::to_arg(*s)
        }
    }))
}

/// Traffic the rule set lets share one vmk may also share one network.
fn allowed_together(a: &BTreeSet<&str>, b: &BTreeSet<&str>, ctx: &HostCtx<'_>) -> bool {
    ctx.params
        .get(&ALLOWED_SERVICE_COMBINATIONS)
        .iter()
        .any(|combo| a.iter().chain(b).all(|s| combo.contains(*s)))
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let vmks: Vec<(&Vmk, BTreeSet<&str>)> = net::sorted_vmks(ctx.host)
        .into_iter()
        .filter(|v| v.services.is_some())
        .map(|v| (v, class(v)))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    let mut hits = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for (j, (b, cb)) in vmks.iter().enumerate() {
        for (a, ca) in &vmks[..j] {
            if ca == cb || allowed_together(ca, cb, ctx) {
                continue;
            }
            let mut shared = Vec::new();
            if let (Some(subnet), Some(nb)) = (net::subnet(a), net::subnet(b)) {
                if subnet == nb {
                    shared.push(msg!("SEP003.subnet", "subnet {subnet}", subnet));
                }
            }
            if let (Some(portgroup), Some(pb)) = (&a.portgroup, &b.portgroup) {
                if portgroup.trim() == pb.trim() && !portgroup.trim().is_empty() {
                    shared.push(msg!(
                        "SEP003.portgroup",
                        "port group {portgroup}",
                        portgroup
                    ));
                }
            }
            if let (Some(va), Some(vb)) = (&a.vlan, &b.vlan) {
                let same_switch = match (&a.switch, &b.switch) {
                    (Some(sa), Some(sb)) => sa.trim() == sb.trim() && !sa.trim().is_empty(),
                    _ => false,
                };
                if va == vb && same_switch {
                    let switch = a.switch.as_deref().unwrap_or("?");
                    shared.push(msg!(
                        "SEP003.vlan",
                        "VLAN {vlan} on {switch}",
                        vlan = va,
                        switch
                    ));
                }
            }
            if shared.is_empty() || reported.contains(b.device.as_str()) {
                continue;
            }
            reported.insert(b.device.as_str());
            let (da, db) = (&a.device, &b.device);
            let (ta, tb) = (class_label(ca), class_label(cb));
            let shared = i18n::list(shared);
            hits.push(ctx.hit(
                Some(db),
                msg!(
                    "SEP003.message",
                    "{db} ({tb}) shares {shared} with {da} ({ta}): these traffic types are not separated.",
                    db,
                    tb,
                    shared,
                    da,
                    ta,
                ),
                msg!(
                    "SEP003.fix",
                    "Move {db} to a port group with its own VLAN and subnet (esxcli network vswitch standard portgroup set -p <portgroup> -v <vlan>, or Set-VDVlanConfiguration on a distributed port group), then readdress it: esxcli network ip interface ipv4 set -i {db} -t static -I <ip> -N <mask>.",
                    db,
                ),
            ));
        }
    }
    hits
}
