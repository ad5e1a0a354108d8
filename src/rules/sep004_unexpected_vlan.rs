//! SEP004 unexpected-vlan: a service's vmk is not on the VLAN the rule set expects for it.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::msg;
use crate::rules::net;
use crate::rules::param::{self, Param};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

/// `expected_vlan`: the VLAN ID each service's vmks must use.
pub static EXPECTED_VLAN: Param<BTreeMap<String, u16>, BTreeMap<Spanned<String>, Spanned<i64>>> =
    Param {
        name: "expected_vlan",
        ty: "table of service (vSphere nicType) → VLAN ID (0..4095)",
        doc: "The VLAN ID each service's vmks must use. Empty: not checked.",
        default: BTreeMap::new,
        read: |raw| param::service_numbers(raw, "VLAN ID", 0..=4095, "0..4095"),
    };

pub static RULE: Rule = Rule {
    id: "SEP004",
    name: "unexpected-vlan",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: "A service's vmk is on a different VLAN than the rule set expects for that service.",
    checks: "For every vmk whose VLAN is known, compares it with `expected_vlan` of the rule set \
        for each service the vmk carries (e.g. `expected_vlan = { vmotion = 20 }`, like the \
        STIG profile's vMotion VLAN input). Does nothing when the rule set expects no VLANs. \
        Object: the vmk.",
    why: "Each traffic type is meant to live on its own, documented VLAN. A vmk on another \
        VLAN is either on the wrong (possibly routed or shared) network or breaks the \
        service: unless routed, vMotion and vSAN only work between vmks on the same VLAN.",
    remediation: "Set the port group's VLAN: `esxcli network vswitch standard portgroup set -p \
        <portgroup> -v <vlan>` or, on a distributed switch, `Get-VDPortgroup <pg> | \
        Set-VDVlanConfiguration -VlanId <vlan>`; or move the vmk to the right port group.",
    fix: None,
    checklist: "Services are on their expected VLANs",
    references: &[
        "DISA STIG ESXI-80-000160 / ESXI-70-000048 (vMotion VLAN)",
        "DISA STIG ESXI-80-000199 / ESXI-70-000050 (IP-based storage VLAN)",
    ],
    needs: &[Data::Services, Data::Vlan],
    params: &[&EXPECTED_VLAN],
    active: Some(|p| !p.get(&EXPECTED_VLAN).is_empty()),
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let expected = ctx.params.get(&EXPECTED_VLAN);
    if expected.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let Some(vlan) = vmk.vlan_id() else {
            continue;
        };
        let wrong: Vec<(String, u16)> = net::services(vmk)
            .iter()
            .filter_map(|s| expected.get(s).map(|&e| (s.clone(), e)))
            .filter(|&(_, e)| e != vlan)
            .collect();
        if wrong.is_empty() {
            continue;
        }
        let dev = &vmk.device;
        let pg = vmk.portgroup.as_deref().unwrap_or("<portgroup>");
        let want = wrong[0].1;
        let expected = i18n::list(wrong.iter().map(|(service, vlan)| {
            msg!(
                "SEP004.expects",
                "{service} expects VLAN {vlan}",
                service,
                vlan
            )
        }));
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "SEP004.message",
                "{dev} is on VLAN {vlan} but the rule set says {expected}.",
                dev,
                vlan,
                expected,
            ),
            msg!(
                "SEP004.fix",
                "Put {dev} on VLAN {want}: esxcli network vswitch standard portgroup set -p \"{pg}\" -v {want} (distributed switch: Get-VDPortgroup \"{pg}\" | Set-VDVlanConfiguration -VlanId {want}), or move {dev} to the port group of VLAN {want}.",
                dev,
                want,
                pg,
            ),
        ));
    }
    hits
}
