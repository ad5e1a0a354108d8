//! ADDR002 multihoming: two vmks on one TCP/IP stack in one subnet.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::model::Vmk;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "ADDR002",
    name: "multihoming",
    category: Category::Addressing,
    severity: Severity::Warning,
    summary: Doc {
        en: "Two vmks on one TCP/IP stack are in the same IPv4 subnet (multihoming).",
        zh: "同一 TCP/IP 堆栈上的两个 VMkernel 适配器位于同一 IPv4 子网（多宿主）。",
    },
    checks: Doc {
        en: "Groups a host's vmks by TCP/IP stack and IPv4 subnet. In a group of two or more, \
             the first vmk (lowest number) is the subnet's owner; every other vmk is reported \
             unless it carries exactly the same single service as the ones before it, or no \
             service at all like them (iSCSI port binding, multi-NIC vMotion). Vmks with unknown \
             services are skipped, and so are vMotion and provisioning vmks whose TCP/IP stack the \
             source does not give (they may be on their own stack). Object: the vmk.",
        zh: "将主机的 VMkernel 适配器按 TCP/IP 堆栈和 IPv4 子网分组。在两个及以上适配器的组内，编号最小的适配器\
             视为该子网的所有者；其余每个适配器都会被报告，除非它与之前的适配器承载完全相同的单一服务，或同样\
             不承载任何服务（iSCSI 端口绑定、多网卡 vMotion）。服务未知的适配器跳过；数据源未提供 TCP/IP 堆栈的 vMotion 和置备适配器也跳过（它们可能\
             位于独立堆栈）。对象：该适配器。",
    },
    why: Doc {
        en: "A stack sends traffic for a subnet out of the first adapter it finds there, not the \
             one the service is bound to (VMware KB 2010877). Traffic meant to be separated ends \
             up on the management adapter, replies come from an unexpected address, and \
             failover behaves unpredictably.",
        zh: "一个堆栈会从它在该子网中找到的第一个适配器发出流量，而不是从服务所绑定的适配器发出（VMware KB \
             2010877）。本应隔离的流量最终走了管理适配器，应答来自意料之外的地址，故障切换行为也难以预测。",
    },
    remediation: Doc {
        en: "Put each service in its own subnet, or move it to its own TCP/IP stack: create the \
             vmk on the vMotion or provisioning stack (`esxcli network ip interface add -i vmkN \
             -p <portgroup> -N vmotion`) or readdress it (`esxcli network ip interface ipv4 set -i \
             vmkN -t static -I <ip> -N <mask>`).",
        zh: "将每种服务放入独立子网，或迁移到独立的 TCP/IP 堆栈：在 vMotion 或置备堆栈上创建适配器（`esxcli network \
             ip interface add -i vmkN -p <端口组> -N vmotion`），或为其重新编址（`esxcli network ip interface \
             ipv4 set -i vmkN -t static -I <地址> -N <掩码>`）。",
    },
    references: &["VMware KB 2010877 (multihoming on ESXi VMkernel networking)"],
    needs: &[Data::Services, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

/// Whether two vmks in one subnet are a legitimate pair (same single service or none).
fn compatible(a: &Vmk, b: &Vmk) -> bool {
    let (sa, sb) = (net::services(a), net::services(b));
    sa.len() <= 1 && sa == sb
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut groups: BTreeMap<(&str, Ipv4Net), Vec<&Vmk>> = BTreeMap::new();
    for vmk in net::sorted_vmks(ctx.host) {
        if vmk.services.is_none() {
            continue;
        }
        if let (Some(stack), Some(subnet)) = (net::known_stack(vmk), net::subnet(vmk)) {
            groups.entry((stack, subnet)).or_default().push(vmk);
        }
    }
    let mut hits = Vec::new();
    for ((stack, subnet), vmks) in &groups {
        for (j, b) in vmks.iter().enumerate().skip(1) {
            let Some(a) = vmks[..j].iter().find(|a| !compatible(a, b)) else {
                continue;
            };
            let (da, db) = (&a.device, &b.device);
            hits.push(ctx.hit(
                Some(db),
                text!(
                    "{db} and {da} are both in {subnet} on TCP/IP stack {stack}: the stack sends traffic for that subnet out of one of them only (multihoming).",
                    "{db} 与 {da} 都位于 TCP/IP 堆栈 {stack} 上的 {subnet}：该堆栈只会从其中一个适配器发出该子网的流量（多宿主）。"
                ),
                text!(
                    "Move {db} to its own subnet (esxcli network ip interface ipv4 set -i {db} -t static -I <ip> -N <mask>) or to its own TCP/IP stack (recreate it with esxcli network ip interface add -i {db} -p <portgroup> -N vmotion).",
                    "请将 {db} 迁移到独立子网（esxcli network ip interface ipv4 set -i {db} -t static -I <地址> -N <掩码>），或迁移到独立的 TCP/IP 堆栈（使用 esxcli network ip interface add -i {db} -p <端口组> -N vmotion 重新创建）。"
                ),
            ));
        }
    }
    hits
}
