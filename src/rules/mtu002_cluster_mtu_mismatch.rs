//! MTU002 cluster-mtu-mismatch: vmks of one service in one cluster have different MTUs.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::msg;
use crate::rules::net;
use crate::rules::param::{self, Param};
use crate::rules::{Check, Data, EstateCtx, FixTemplate, Hit, Rule};

/// `expected_mtu`: the MTU each service's vmks must use.
pub static EXPECTED_MTU: Param<BTreeMap<String, u32>, BTreeMap<Spanned<String>, Spanned<i64>>> =
    Param {
        name: "expected_mtu",
        ty: "table of service (vSphere nicType) → MTU (1280..9000)",
        doc: "The MTU each service's vmks must use. Services not listed are compared with \
            their cluster's majority.",
        default: BTreeMap::new,
        read: |raw| param::service_numbers(raw, "MTU", 1280..=9000, "1280..9000"),
    };

pub static RULE: Rule = Rule {
    id: "MTU002",
    name: "cluster-mtu-mismatch",
    category: Category::Mtu,
    severity: Severity::Warning,
    summary: "In a cluster, vmks of the same service have different MTUs (reported on the deviating hosts).",
    checks: "For every service, compares the MTUs of the vmks carrying it. When the rule set sets \
        `expected_mtu` for the service, every vmk with another MTU is reported (standalone \
        hosts included). Otherwise, within each cluster, the reference is the MTU most vmks \
        of that service use (on a tie, the larger one) and only the vmks that differ from it \
        are reported. Object: the vmk.",
    why: "vMotion, vSAN and FT run between the hosts of a cluster. When one host sends jumbo \
        frames that another cannot receive, large packets are dropped: vMotion to or from \
        that host fails or crawls, and vSAN reports network partitions. Such differences \
        often appear after a host is rebuilt or added.",
    remediation: "Set the reference MTU on the deviating vmk: `esxcli network ip interface set -i vmkN \
        -m <mtu>` (PowerCLI: `Get-VMHostNetworkAdapter -VMHost <host> -Name vmkN | \
        Set-VMHostNetworkAdapter -Mtu <mtu>`); make sure the switch and physical network \
        carry it, then verify with `vmkping -I vmkN -d -s <mtu-28> <peer>`.",
    fix: Some(&FixTemplate {
        esxcli: &["esxcli network ip interface set -i {dev} -m {mtu}"],
        powercli: &[
            "Get-VMHostNetworkAdapter -VMHost $vmhost -VMKernel -Name {dev} | Set-VMHostNetworkAdapter -Mtu {mtu} -Confirm:$false",
        ],
    }),
    checklist: "Same MTU for a service across the cluster",
    references: &[
        "VMware KB 1003728 (vmkping)",
        "VMware vSAN Network Design Guide: MTU consistency",
    ],
    needs: &[Data::Services, Data::Mtu],
    params: &[&EXPECTED_MTU],
    active: None,
    check: Check::Estate(check),
};

/// How one vmk deviates on one service: English, Chinese, the reference MTU.
type Deviation = (Msg, u32);

/// (host index, device, mtu) of a vmk carrying a service.
type Member<'a> = (usize, &'a str, u32);

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    // (cluster or None when an expected MTU applies estate-wide, service) -> members
    let mut groups: BTreeMap<(Option<&str>, &str), Vec<Member<'_>>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        for vmk in net::sorted_vmks(host) {
            let Some(mtu) = vmk.mtu else { continue };
            for s in net::services(vmk) {
                let key = if ctx.params.get(&EXPECTED_MTU).contains_key(s) {
                    (None, s.as_str())
                } else if let Some(c) = host.cluster.as_deref() {
                    (Some(c), s.as_str())
                } else {
                    continue;
                };
                groups
                    .entry(key)
                    .or_default()
                    .push((i, vmk.device.as_str(), mtu));
            }
        }
    }
    // One finding per vmk, listing every service it deviates on.
    let mut deviations: BTreeMap<(usize, &str), Vec<Deviation>> = BTreeMap::new();
    for ((cluster, service), members) in &groups {
        let expected = ctx.params.get(&EXPECTED_MTU).get(*service).copied();
        let reference = match expected {
            Some(e) => e,
            None => match net::majority(members.iter().map(|m| m.2)) {
                Some(r) => r,
                None => continue,
            },
        };
        let tally = net::tally(members.iter().map(|m| m.2));
        for &(i, dev, mtu) in members {
            if mtu == reference {
                continue;
            }
            let deviation = match (expected, cluster) {
                (Some(expected), _) => msg!(
                    "MTU002.expected",
                    "{service}: MTU {mtu}, the rule set expects {expected}",
                    service,
                    mtu,
                    expected
                ),
                (None, Some(cluster)) => msg!(
                    "MTU002.majority",
                    "{service}: MTU {mtu}, most {service} vmks of cluster {cluster} use {reference} ({tally})",
                    service,
                    mtu,
                    cluster,
                    reference,
                    tally = &tally
                ),
                (None, None) => continue,
            };
            deviations
                .entry((i, dev))
                .or_default()
                .push((deviation, reference));
        }
    }
    let mut hits = Vec::new();
    for ((i, dev), items) in deviations {
        let host = &ctx.inventory.hosts[i].name;
        let mtu = items[0].1;
        let deviations = i18n::clauses(items.into_iter().map(|x| x.0));
        hits.push(Hit {
            host: i,
            object: Some(dev.to_string()),
            message: msg!(
                "MTU002.message",
                "{dev} deviates from its peers — {deviations}. Large frames between this host and the others are dropped.",
                dev,
                deviations,
            ),
            remediation: msg!(
                "MTU002.fix",
                "Set the reference MTU on {dev}: esxcli network ip interface set -i {dev} -m {mtu} (PowerCLI: Get-VMHostNetworkAdapter -VMHost {host} -Name {dev} | Set-VMHostNetworkAdapter -Mtu {mtu}), make sure its switch carries {mtu}, then verify with vmkping -I {dev} -d -s <mtu-28> <peer>.",
                dev,
                mtu,
                host,
            ),
        });
    }
    hits
}
