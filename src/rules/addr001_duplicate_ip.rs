//! ADDR001 duplicate-ip: one vmk IPv4 address appears more than once in the inventory.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::evaluate::DuplicateScope;
use crate::findings::{Category, Severity};
use crate::model::Host;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, EstateCtx, Hit, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "ADDR001",
    name: "duplicate-ip",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: Doc {
        en: "The same vmk IPv4 address appears more than once anywhere in the checked inventory.",
        zh: "同一个 VMkernel IPv4 地址在所检查的清单中出现了不止一次。",
    },
    checks: Doc {
        en: "Collects the IPv4 address of every vmk of every host, across clusters and vCenters, \
             and reports every vmk whose address another vmk also holds: each holder gets a \
             finding naming the others. The same host seen through two sources counts once. \
             Estates that reuse non-routed vMotion or vSAN subnets in every cluster can narrow \
             the search with `duplicate_ip_scope` (`estate`, the default; `source`, \
             `datacenter` or `cluster`). Object: the vmk.",
        zh: "收集所有主机（跨集群和 vCenter）上每个 VMkernel 适配器的 IPv4 地址，报告地址与其他适配器重复的每个\
             适配器：每个持有者都会得到一条发现项，并列出其他持有者。通过两个数据源看到的同一主机只计一次。\
             在每个集群中重复使用不可路由的 vMotion 或 vSAN 子网的环境，可以用 `duplicate_ip_scope` 缩小查找\
             范围（默认 `estate`；可选 `source`、`datacenter` 或 `cluster`）。对象：该适配器。",
    },
    why: Doc {
        en: "Two adapters answering ARP for one address take turns receiving each other's \
             traffic: management connections drop, vMotion lands on the wrong host, storage \
             sessions reset. The conflict often hides until both sides are busy.",
        zh: "两个适配器同时响应同一地址的 ARP 请求时，会轮流收到对方的流量：管理连接中断，vMotion 落到错误的主机，\
             存储会话被重置。这种冲突往往要等双方都繁忙时才会暴露。",
    },
    remediation: Doc {
        en: "Give each vmk its own address: `esxcli network ip interface ipv4 set -i vmkN -t \
             static -I <unused ip> -N <netmask>` (PowerCLI: `Set-VMHostNetworkAdapter -IP <ip> \
             -SubnetMask <mask>`), and record it in your IP address management.",
        zh: "为每个适配器分配独立的地址：`esxcli network ip interface ipv4 set -i vmkN -t static -I <未使用的地址> \
             -N <子网掩码>`（PowerCLI：`Set-VMHostNetworkAdapter -IP <地址> -SubnetMask <掩码>`），并在 IP 地址\
             管理系统中登记。",
    },
    references: &["RFC 5227 (IPv4 address conflict detection)"],
    needs: &[Data::Ipv4],
    params: &["duplicate_ip_scope"],
    active: None,
    check: Check::Estate(check),
};

/// The address space a host's vmks belong to under `scope`.
fn space(host: &Host, scope: DuplicateScope) -> [&str; 3] {
    let source = host.source.as_deref().unwrap_or("");
    let dc = host.datacenter.as_deref().unwrap_or("");
    match scope {
        DuplicateScope::Estate => ["", "", ""],
        DuplicateScope::Source => [source, "", ""],
        DuplicateScope::Datacenter => [source, dc, ""],
        DuplicateScope::Cluster => [source, dc, host.cluster.as_deref().unwrap_or(&host.name)],
    }
}

type Holders<'a> = Vec<(usize, &'a str, &'a str)>;

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let scope = ctx.params.duplicate_ip_scope;
    // A hash map: one lookup per vmk (a B-tree of 120,000 string keys cost most of the
    // evaluation); the duplicated groups are sorted below, so the output order is unchanged.
    let mut by_addr: HashMap<([&str; 3], Ipv4Addr), Holders<'_>> = HashMap::new();
    for (i, host) in ctx.hosts() {
        for vmk in net::sorted_vmks(host) {
            let Some(addr) = vmk.ipv4.as_deref().and_then(net::parse_ipv4) else {
                continue;
            };
            if addr.is_unspecified() {
                continue;
            }
            let holders = by_addr.entry((space(host, scope), addr)).or_default();
            let key = (host.name.as_str(), vmk.device.as_str());
            if !holders.iter().any(|h| (h.1, h.2) == key) {
                holders.push((i, key.0, key.1));
            }
        }
    }
    let mut dups: Vec<_> = by_addr.iter().filter(|(_, h)| h.len() >= 2).collect();
    dups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut hits = Vec::new();
    for ((_, addr), holders) in dups {
        for &(i, host, dev) in holders {
            let others: Vec<String> = holders
                .iter()
                .filter(|h| (h.1, h.2) != (host, dev))
                .map(|h| format!("{} {}", h.1, h.2))
                .collect();
            let (others, others_zh) = (net::list(&others), net::list_zh(&others));
            hits.push(Hit {
                host: i,
                object: Some(dev.to_string()),
                message: text!(
                    "{dev} has address {addr}, which is also used by {others}.",
                    "{dev} 的地址 {addr} 同时被 {others_zh} 使用。"
                ),
                remediation: text!(
                    "Give each vmk its own address: esxcli network ip interface ipv4 set -i {dev} -t static -I <unused ip> -N <netmask> on one of the holders, then update your IP address management.",
                    "请为每个适配器分配独立地址：在其中一个持有者上执行 esxcli network ip interface ipv4 set -i {dev} -t static -I <未使用的地址> -N <子网掩码>，然后更新 IP 地址管理记录。"
                ),
            });
        }
    }
    hits
}
