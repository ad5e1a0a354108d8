//! SEP002 multiple-traffic-types: one vmk carries more than one separated traffic type.

use std::collections::BTreeSet;

use serde_spanned::Spanned;

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::model::service;
use crate::msg;
use crate::rules::net;
use crate::rules::param::{self, Param};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

/// `allowed_service_combinations`: sets of separated traffic types that may share one vmk
/// (SEP002) and one network (SEP003).
pub static ALLOWED_SERVICE_COMBINATIONS: Param<Vec<BTreeSet<String>>, Vec<Vec<Spanned<String>>>> =
    Param {
        name: "allowed_service_combinations",
        ty: "list of lists of services (vSphere nicTypes)",
        doc: "Sets of separated traffic types that may share one vmk (SEP002) and one network \
            (SEP003).",
        default: || {
            vec![
                param::string_set(&[service::REPLICATION, service::REPLICATION_NFC]),
                param::string_set(&[service::VMOTION, service::PROVISIONING]),
            ]
        },
        read: |combos| {
            combos
                .iter()
                .map(|combo| combo.iter().map(param::service).collect())
                .collect()
        },
    };

pub static RULE: Rule = Rule {
    id: "SEP002",
    name: "multiple-traffic-types",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: "One vmk carries more than one separated traffic type (vMotion, FT, vSAN, replication, provisioning, backup NFC, NVMe).",
    checks: "For every vmk, takes the services among vmotion, faultToleranceLogging, vsan, \
        vSphereReplication, vSphereReplicationNFC, vSphereProvisioning, nvmeTcp, nvmeRdma and \
        vSphereBackupNFC (backup traffic moves disks like IP storage does). \
        More than one is a finding unless they all belong to one allowed combination of the \
        rule set (`allowed_service_combinations`; default vSphereReplication with \
        vSphereReplicationNFC, and vmotion with vSphereProvisioning). Management is SEP001's \
        business. Object: the vmk.",
    why: "Each of these traffic types can saturate a link on its own. Sharing one vmk means \
        sharing one VLAN, subnet, MTU and uplink policy: a vMotion storm starves vSAN or FT \
        (which need low latency), and the traffic types cannot be isolated, secured or \
        shaped separately as the vSphere security and design guides require.",
    remediation: "Give each traffic type its own vmk, port group, VLAN and subnet: create one with \
        `New-VMHostNetworkAdapter -VMHost <host> -PortGroup <pg> -VirtualSwitch <switch> -IP \
        <ip> -SubnetMask <mask> -VsanTrafficEnabled $true`, then remove the service from the \
        shared vmk with `esxcli network ip interface tag remove -i vmkN -t <tag>`.",
    fix: None,
    checklist: "One separated traffic type per vmk",
    references: &[
        "DISA STIG ESXI-80-000160 / ESXI-70-000048 (vMotion on a separate network)",
        "DISA STIG ESXI-80-000199 / ESXI-70-000050 (IP-based storage on a separate network)",
        "VMware vSphere Security Configuration Guide: network isolation of VMkernel traffic",
    ],
    needs: &[Data::Services],
    params: &[&ALLOWED_SERVICE_COMBINATIONS],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let mut sep = net::separated(vmk);
        sep.extend(net::carried(vmk, &[service::BACKUP_NFC]));
        if sep.len() < 2 {
            continue;
        }
        let set: BTreeSet<String> = sep.iter().map(|s| s.to_string()).collect();
        if ctx
            .params
            .get(&ALLOWED_SERVICE_COMBINATIONS)
            .iter()
            .any(|combo| set.is_subset(combo))
        {
            continue;
        }
        let dev = &vmk.device;
        let list = i18n::list(&sep);
        let keep = sep[0];
        let untag = net::untag_commands(dev, &sep[1..]);
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "SEP002.message",
                "{dev} carries {list}: each of these traffic types should have its own vmk, VLAN and subnet.",
                dev,
                list,
            ),
            msg!(
                "SEP002.fix",
                "Keep {keep} on {dev}, create a dedicated vmk for each other service on its own port group, VLAN and subnet (New-VMHostNetworkAdapter), then remove them from {dev}: {untag}.",
                keep,
                dev,
                untag,
            ),
        ));
    }
    hits
}
