//! ADDR005 service-subnets-unroutable: a cluster's vmks of one service are spread over subnets
//! that cannot reach each other.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::model::service;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, EstateCtx, Hit, Rule};

pub static RULE: Rule = Rule {
    id: "ADDR005",
    name: "service-subnets-unroutable",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: "In a cluster, vmks of one service sit in different subnets while their stack has no gateway.",
    checks: "Within each cluster, groups the vmks of every service except management by IPv4 \
        subnet. When there is more than one subnet and at least one of these vmks has no \
        route off its subnet (no gateway override and no gateway on its TCP/IP stack), the \
        vmks outside the service's main subnet (the one most of them use; on a tie the \
        lowest) are reported. Object: the vmk.",
    why: "vMotion, vSAN, FT and replication connect host to host. Without a gateway a vmk only \
        reaches its own subnet, so a host whose vMotion or vSAN vmk sits in another subnet \
        cannot exchange that traffic with the rest of the cluster: vMotion fails, vSAN \
        partitions, DRS and maintenance mode stall.",
    remediation: "Readdress the vmk into the service's main subnet (`esxcli network ip interface ipv4 \
        set -i vmkN -t static -I <ip> -N <mask>`), or route the service: give its stack a \
        gateway (`esxcli network ip route ipv4 add -N vmotion -n default -g <gateway>`) or the \
        vmk a gateway override.",
    fix: None,
    checklist: "A service's subnets can reach each other",
    references: &["vSphere vCenter Server and Host Management: Networking requirements for vMotion"],
    needs: &[Data::Services, Data::Netstacks, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Estate(check),
};

struct Member<'a> {
    host: usize,
    dev: &'a str,
    subnet: Ipv4Net,
    routed: bool,
}

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let mut groups: BTreeMap<(&str, &str), Vec<Member<'_>>> = BTreeMap::new();
    for (i, host) in ctx.hosts() {
        let Some(cluster) = host.cluster.as_deref() else {
            continue;
        };
        for vmk in net::sorted_vmks(host) {
            let Some(subnet) = net::subnet(vmk) else {
                continue;
            };
            for s in net::services(vmk) {
                if s == service::MANAGEMENT {
                    continue;
                }
                groups
                    .entry((cluster, s.as_str()))
                    .or_default()
                    .push(Member {
                        host: i,
                        dev: &vmk.device,
                        subnet,
                        routed: net::has_route(host, vmk),
                    });
            }
        }
    }
    let mut found: BTreeMap<(usize, &str), Vec<Msg>> = BTreeMap::new();
    for ((cluster, svc), members) in &groups {
        if members.iter().all(|m| m.routed) {
            continue;
        }
        // Main subnet: the most common; on a tie the lowest (majority() picks the largest, so
        // rank by reversed order).
        let Some(std::cmp::Reverse(main)) =
            net::majority(members.iter().map(|m| std::cmp::Reverse(m.subnet)))
        else {
            continue;
        };
        if members.iter().all(|m| m.subnet == main) {
            continue;
        }
        for m in members.iter().filter(|m| m.subnet != main) {
            let sub = m.subnet;
            found.entry((m.host, m.dev)).or_default().push(msg!(
                "ADDR005.clause",
                "{svc} is in {sub} but the other {svc} vmks of cluster {cluster} are in {main}",
                svc,
                sub,
                cluster,
                main
            ));
        }
    }
    found
        .into_iter()
        .map(|((i, dev), problems)| Hit {
            host: i,
            object: Some(dev.to_string()),
            message: msg!(
                "ADDR005.message",
                "{dev}: {problems}; without a gateway they cannot reach each other.",
                dev,
                problems = i18n::clauses(problems),
            ),
            remediation: msg!(
                "ADDR005.fix",
                "Readdress {dev} into the main subnet (esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <mask>), or make the service routable with a gateway on its stack (esxcli network ip route ipv4 add -N <stack> -n default -g <gateway>).",
                dev,
            ),
        })
        .collect()
}
