//! SEP001 management-shared: the management vmk also carries other separated traffic.

use crate::findings::{Category, Severity};
use crate::model::service;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

/// Traffic that must not ride on the management vmk.
const NOT_ON_MANAGEMENT: &[&str] = &[
    service::VMOTION,
    service::FT_LOGGING,
    service::VSAN,
    service::REPLICATION,
    service::REPLICATION_NFC,
    service::PROVISIONING,
    service::BACKUP_NFC,
    service::NVME_TCP,
    service::NVME_RDMA,
];

pub static RULE: Rule = Rule {
    id: "SEP001",
    name: "management-shared",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: Doc {
        en: "The management vmk also carries vMotion, FT, vSAN, replication, provisioning or backup traffic.",
        zh: "管理 VMkernel 适配器同时承载了 vMotion、FT、vSAN、复制、置备或备份流量。",
    },
    checks: Doc {
        en: "For every vmk with the `management` service, reports the other services it carries \
             among vmotion, faultToleranceLogging, vsan, vSphereReplication, \
             vSphereReplicationNFC, vSphereProvisioning, vSphereBackupNFC, nvmeTcp and nvmeRdma. \
             vsanWitness on the management vmk (two-node vSAN witness traffic separation) is \
             allowed. Object: the vmk.",
        zh: "对每个启用了 `management` 服务的 VMkernel 适配器，报告它同时承载的以下服务：vmotion、\
             faultToleranceLogging、vsan、vSphereReplication、vSphereReplicationNFC、vSphereProvisioning、\
             vSphereBackupNFC、nvmeTcp 和 nvmeRdma。管理适配器上的 vsanWitness（双节点 vSAN 见证流量分离）\
             是允许的。对象：该适配器。",
    },
    why: Doc {
        en: "The management network is the way into the host. Bulk traffic on it (vMotion copies \
             memory in clear text unless encrypted, vSAN and NFC move disks) competes with \
             management and HA heartbeats, and exposes that data to everyone who can reach \
             management. DISA STIG and the VMware Security Configuration Guide require the \
             management vmk to be dedicated.",
        zh: "管理网络是进入主机的入口。其上的大流量（未加密时 vMotion 以明文复制内存，vSAN 和 NFC 传输磁盘数据）\
             会与管理流量和 HA 心跳争用带宽，并让所有能访问管理网络的人接触到这些数据。DISA STIG 和 VMware \
             安全配置指南都要求管理适配器专用。",
    },
    remediation: Doc {
        en: "Move the extra service to a dedicated vmk on its own VLAN and subnet, then untag it \
             on the management vmk: `esxcli network ip interface tag remove -i vmk0 -t VMotion` \
             (PowerCLI: `Get-VMHostNetworkAdapter -VMHost <host> -Name vmk0 | \
             Set-VMHostNetworkAdapter -VMotionEnabled $false`).",
        zh: "将额外的服务迁移到位于独立 VLAN 和子网上的专用 VMkernel 适配器，然后在管理适配器上取消该服务标记：\
             `esxcli network ip interface tag remove -i vmk0 -t VMotion`（PowerCLI：`Get-VMHostNetworkAdapter \
             -VMHost <主机> -Name vmk0 | Set-VMHostNetworkAdapter -VMotionEnabled $false`）。",
    },
    references: &[
        "DISA STIG ESXI-80-000198",
        "DISA STIG ESXI-70-000049",
        "VMware vSphere Security Configuration Guide: esxi-8.vmk-management",
    ],
    needs: &[Data::Services],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        if vmk.has_service(service::MANAGEMENT) != Some(true) {
            continue;
        }
        let extra = net::carried(vmk, NOT_ON_MANAGEMENT);
        if extra.is_empty() {
            continue;
        }
        let dev = &vmk.device;
        let (list, list_zh) = (net::list(&extra), net::list_zh(&extra));
        let untag = net::untag_commands(dev, &extra);
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "Management vmk {dev} also carries {list}: management traffic must have its own vmk.",
                "管理 VMkernel 适配器 {dev} 同时承载了 {list_zh}：管理流量必须使用专用适配器。"
            ),
            text!(
                "Create a dedicated vmk for {list} on its own VLAN and subnet, then remove the service from {dev}: {untag}.",
                "请为 {list_zh} 在独立的 VLAN 和子网上创建专用 VMkernel 适配器，然后从 {dev} 上移除该服务：{untag}。"
            ),
        ));
    }
    hits
}
