//! SEP001 management-shared: the management vmk also carries other separated traffic.

use crate::findings::{Category, Severity};
use crate::i18n::{self, Arg, ToArg};
use crate::model::service;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

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
    summary: "The management vmk also carries vMotion, FT, vSAN, replication, provisioning or backup traffic.",
    checks: "For every vmk with the `management` service, reports the other services it carries \
        among vmotion, faultToleranceLogging, vsan, vSphereReplication, \
        vSphereReplicationNFC, vSphereProvisioning, vSphereBackupNFC, nvmeTcp and nvmeRdma: \
        management enabled on a vmk meant for one of those is the same finding seen from the \
        other side. vsanWitness on the management vmk (two-node vSAN witness traffic \
        separation, a supported design) is allowed, and so is a second vmk carrying only \
        management (a redundant management network). A management vmk bound to the software \
        iSCSI adapter (`iscsi_bound`; iSCSI has no service tag) carries IP storage and is \
        reported too, when the binding is known. Object: the vmk.",
    why: "The management network is the way into the host. Bulk traffic on it (vMotion copies \
        memory in clear text unless encrypted, vSAN and NFC move disks) competes with \
        management and HA heartbeats, and exposes that data to everyone who can reach \
        management. DISA STIG and the VMware Security Configuration Guide require the \
        management vmk to be dedicated.",
    remediation: "Move the extra service to a dedicated vmk on its own VLAN and subnet, then untag it \
        on the management vmk: `esxcli network ip interface tag remove -i vmk0 -t VMotion` \
        (PowerCLI: `Get-VMHostNetworkAdapter -VMHost <host> -Name vmk0 | \
        Set-VMHostNetworkAdapter -VMotionEnabled $false`).",
    fix: None,
    checklist: "Management vmk carries no other separated traffic",
    references: &[
        "DISA STIG ESXI-80-000198 / ESXI-70-000049 (management traffic isolated)",
        "DISA STIG ESXI-80-000160 / ESXI-70-000048 (vMotion not on the management network)",
        "DISA STIG ESXI-80-000199 / ESXI-70-000050 (IP storage and backup NFC not on the management network)",
        "VMware vSphere Security Configuration Guide 8: esxi-8.vmk-management (management only on the vmks meant for it)",
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
        // iSCSI has no service tag: a management vmk bound to the software iSCSI adapter
        // carries IP storage all the same.
        let iscsi = vmk.iscsi_bound == Some(true);
        if extra.is_empty() && !iscsi {
            continue;
        }
        let dev = &vmk.device;
        let mut carried: Vec<Arg> = extra.iter().map(|s| s.to_arg()).collect();
        let mut untag = net::untag_commands(dev, &extra);
        if iscsi {
            carried.push(msg!("SEP001.iscsi", "iSCSI (port binding)").to_arg());
            if !untag.is_empty() {
                untag.push_str("; ");
            }
            untag.push_str(&format!(
                "esxcli iscsi networkportal remove -A <vmhba> -n {dev}"
            ));
        }
        let list = i18n::list(carried);
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "SEP001.message",
                "Management vmk {dev} also carries {list}: management traffic must have its own vmk.",
                dev,
                list,
            ),
            msg!(
                "SEP001.fix",
                "Create a dedicated vmk for {list} on its own VLAN and subnet, then remove the service from {dev}: {untag}.",
                list,
                dev,
                untag,
            ),
        ));
    }
    hits
}
