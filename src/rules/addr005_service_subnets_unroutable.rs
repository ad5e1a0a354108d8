//! ADDR005 service-subnets-unroutable: a cluster's vmks of one service are spread over subnets
//! that cannot reach each other.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::model::service;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, EstateCtx, Hit, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "ADDR005",
    name: "service-subnets-unroutable",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: Doc {
        en: "In a cluster, vmks of one service sit in different subnets while their stack has no gateway.",
        zh: "集群中同一服务的 VMkernel 适配器分布在不同子网，而其堆栈没有网关，彼此无法通信。",
    },
    checks: Doc {
        en: "Within each cluster, groups the vmks of every service except management by IPv4 \
             subnet. When there is more than one subnet and at least one of these vmks has no \
             route off its subnet (no gateway override and no gateway on its TCP/IP stack), the \
             vmks outside the service's main subnet (the one most of them use; on a tie the \
             lowest) are reported. Object: the vmk.",
        zh: "在每个集群内，将除管理以外的每种服务的 VMkernel 适配器按 IPv4 子网分组。如果存在多个子网，且其中至少\
             一个适配器无法路由出其子网（既没有替代网关，其 TCP/IP 堆栈也没有网关），则报告不在该服务主子网\
             （多数适配器所在的子网；数量相同时取地址最小者）内的适配器。对象：该适配器。",
    },
    why: Doc {
        en: "vMotion, vSAN, FT and replication connect host to host. Without a gateway a vmk only \
             reaches its own subnet, so a host whose vMotion or vSAN vmk sits in another subnet \
             cannot exchange that traffic with the rest of the cluster: vMotion fails, vSAN \
             partitions, DRS and maintenance mode stall.",
        zh: "vMotion、vSAN、FT 和复制都是主机到主机的连接。没有网关时，适配器只能访问自身子网，因此 vMotion 或 vSAN \
             适配器位于其他子网的主机无法与集群其他主机交换这些流量：vMotion 失败，vSAN 分区，DRS 和维护模式\
             停滞。",
    },
    remediation: Doc {
        en: "Readdress the vmk into the service's main subnet (`esxcli network ip interface ipv4 \
             set -i vmkN -t static -I <ip> -N <mask>`), or route the service: give its stack a \
             gateway (`esxcli network ip route ipv4 add -N vmotion -n default -g <gateway>`) or the \
             vmk a gateway override.",
        zh: "将该适配器重新编址到该服务的主子网（`esxcli network ip interface ipv4 set -i vmkN -t static -I <地址> \
             -N <掩码>`），或者让该服务可路由：为其堆栈配置网关（`esxcli network ip route ipv4 add -N vmotion -n \
             default -g <网关>`），或为适配器设置替代网关。",
    },
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
    let mut found: BTreeMap<(usize, &str), (String, String)> = BTreeMap::new();
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
            let entry = found.entry((m.host, m.dev)).or_default();
            if !entry.0.is_empty() {
                entry.0.push_str("; ");
                entry.1.push('；');
            }
            entry.0.push_str(&format!(
                "{svc} is in {sub} but the other {svc} vmks of cluster {cluster} are in {main}"
            ));
            entry.1.push_str(&format!(
                "{svc} 位于 {sub}，而集群 {cluster} 中其他 {svc} 适配器位于 {main}"
            ));
        }
    }
    found
        .into_iter()
        .map(|((i, dev), (en, zh))| Hit {
            host: i,
            object: Some(dev.to_string()),
            message: text!(
                "{dev}: {en}; without a gateway they cannot reach each other.",
                "{dev}：{zh}；由于没有网关，二者无法互通。"
            ),
            remediation: text!(
                "Readdress {dev} into the main subnet (esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <mask>), or make the service routable with a gateway on its stack (esxcli network ip route ipv4 add -N <stack> -n default -g <gateway>).",
                "请将 {dev} 重新编址到主子网（esxcli network ip interface ipv4 set -i {dev} -t static -I <地址> -N <掩码>），或为其堆栈配置网关使该服务可路由（esxcli network ip route ipv4 add -N <堆栈> -n default -g <网关>）。"
            ),
        })
        .collect()
}
