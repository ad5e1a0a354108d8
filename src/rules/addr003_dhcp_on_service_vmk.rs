//! ADDR003 dhcp-on-service-vmk: DHCP on a vmk carrying vMotion, vSAN, FT or NVMe storage.

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::model::service;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

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
    summary: "A vmk carrying vMotion, vSAN, FT or NVMe storage traffic gets its address from DHCP.",
    checks: "Reports every vmk with DHCP enabled that carries vmotion, vsan, vsanWitness, \
        faultToleranceLogging, nvmeTcp or nvmeRdma. Object: the vmk.",
    why: "These services run on dedicated, usually non-routed networks where a DHCP server \
        is a single point of failure: a lost lease or a changed address breaks vMotion, \
        partitions vSAN or disconnects storage, and the address no longer matches \
        documentation or firewall rules.",
    remediation:
        "Assign a static address: `esxcli network ip interface ipv4 set -i vmkN -t static -I \
        <ip> -N <netmask>` (PowerCLI: `Set-VMHostNetworkAdapter -Dhcp:$false -IP <ip> \
        -SubnetMask <mask>`).",
    fix: None,
    checklist: "No DHCP on vMotion, vSAN, FT or storage vmks",
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
        let list = i18n::list(&svc);
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "ADDR003.message",
                "{dev} carries {list} but gets its address from DHCP: a lost lease or changed address breaks the service.",
                dev,
                list,
            ),
            msg!(
                "ADDR003.fix",
                "Assign a static address: esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <netmask>.",
                dev,
            ),
        ));
    }
    hits
}
