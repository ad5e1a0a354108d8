//! ADDR003 dhcp-on-service-vmk: DHCP on a vmk carrying vMotion, vSAN, FT or NVMe storage.

use crate::findings::{Category, Severity};
use crate::model::service;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

const STATIC_ONLY: &[&str] = &[
    service::VMOTION,
    service::VSAN,
    service::VSAN_WITNESS,
    service::FT_LOGGING,
    service::NVME_TCP,
    service::NVME_RDMA,
];

pub static RULE: Rule = Rule {
    id: "ADDR003",
    name: "dhcp-on-service-vmk",
    category: Category::Addressing,
    severity: Severity::Warning,
    summary: Doc {
        en: "A vmk carrying vMotion, vSAN, FT or NVMe storage traffic gets its address from DHCP.",
        zh: "承载 vMotion、vSAN、FT 或 NVMe 存储流量的 VMkernel 适配器通过 DHCP 获取地址。",
    },
    checks: Doc {
        en: "Reports every vmk with DHCP enabled that carries vmotion, vsan, vsanWitness, \
             faultToleranceLogging, nvmeTcp or nvmeRdma. Object: the vmk.",
        zh: "报告启用了 DHCP 且承载 vmotion、vsan、vsanWitness、faultToleranceLogging、nvmeTcp 或 nvmeRdma 的\
             每个 VMkernel 适配器。对象：该适配器。",
    },
    why: Doc {
        en: "These services run on dedicated, usually non-routed networks where a DHCP server \
             is a single point of failure: a lost lease or a changed address breaks vMotion, \
             partitions vSAN or disconnects storage, and the address no longer matches \
             documentation or firewall rules.",
        zh: "这些服务运行在专用且通常不可路由的网络上，DHCP 服务器在那里是单点故障：租约丢失或地址变化会导致 \
             vMotion 失败、vSAN 分区或存储断开，地址也不再与文档和防火墙规则一致。",
    },
    remediation: Doc {
        en: "Assign a static address: `esxcli network ip interface ipv4 set -i vmkN -t static -I \
             <ip> -N <netmask>` (PowerCLI: `Set-VMHostNetworkAdapter -Dhcp:$false -IP <ip> \
             -SubnetMask <mask>`).",
        zh: "分配静态地址：`esxcli network ip interface ipv4 set -i vmkN -t static -I <地址> -N <子网掩码>`\
             （PowerCLI：`Set-VMHostNetworkAdapter -Dhcp:$false -IP <地址> -SubnetMask <掩码>`）。",
    },
    references: &["VMware vSAN Network Design Guide: static IP addressing for VMkernel adapters"],
    needs: &[Data::Services],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        if vmk.dhcp != Some(true) {
            continue;
        }
        let svc = net::carried(vmk, STATIC_ONLY);
        if svc.is_empty() {
            continue;
        }
        let dev = &vmk.device;
        let (list, list_zh) = (net::list(&svc), net::list_zh(&svc));
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "{dev} carries {list} but gets its address from DHCP: a lost lease or changed address breaks the service.",
                "{dev} 承载 {list_zh}，但通过 DHCP 获取地址：租约丢失或地址变化都会导致服务中断。"
            ),
            text!(
                "Assign a static address: esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <netmask>.",
                "请分配静态地址：esxcli network ip interface ipv4 set -i {dev} -t static -I <地址> -N <子网掩码>。"
            ),
        ));
    }
    hits
}
