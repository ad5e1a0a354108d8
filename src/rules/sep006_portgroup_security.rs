//! SEP006 portgroup-security: a vmk's port group accepts promiscuous mode, MAC address changes
//! or forged transmits.

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::msg;
use crate::rules::{net, port, Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "SEP006",
    name: "portgroup-security",
    category: Category::Separation,
    severity: Severity::Warning,
    summary: "A vmk's port group accepts promiscuous mode, MAC address changes or forged transmits.",
    checks: "For every vmk whose port group security policy is known (the effective policy: \
        the port group's, or the switch's it inherits), reports each of promiscuous mode, MAC \
        address changes and forged transmits that is set to Accept. Vmks on NSX switches are \
        skipped (NSX segment profiles govern them). One finding per vmk naming the settings. \
        Object: the vmk.",
    why: "With promiscuous mode accepted, anything on the port group sees all traffic of its \
        VLAN, vMotion memory and storage blocks included; accepting MAC changes and forged \
        transmits lets a guest impersonate another address on the network. A port group \
        that carries VMkernel traffic has no use for any of them.",
    remediation: "Set all three to Reject and let the port group inherit the switch's policy: \
        `Get-VirtualPortGroup -VMHost <host> -Name <pg> | Get-SecurityPolicy | \
        Set-SecurityPolicy -AllowPromiscuousInherited $true -MacChangesInherited $true \
        -ForgedTransmitsInherited $true` with `Get-VirtualSwitch | Get-SecurityPolicy | \
        Set-SecurityPolicy -AllowPromiscuous $false -MacChanges $false -ForgedTransmits \
        $false`; on a distributed switch `Get-VDPortgroup <pg> | Get-VDSecurityPolicy | \
        Set-VDSecurityPolicy -AllowPromiscuous $false -MacChanges $false -ForgedTransmits \
        $false`; or `esxcli network vswitch standard portgroup policy security set -p <pg> \
        --allow-promiscuous false --allow-mac-change false --allow-forged-transmits false`.",
    fix: None,
    checklist: "vmk port groups reject promiscuous mode, MAC changes and forged transmits",
    references: &[
        "DISA STIG ESXI-80-000216 / ESXI-70-000059 (forged transmits)",
        "DISA STIG ESXI-80-000217 / ESXI-70-000060 (MAC address changes)",
        "DISA STIG ESXI-80-000218 / ESXI-70-000061 (promiscuous mode)",
        "VMware vSphere Security Configuration Guide 8: esxi-8.network-reject-forged-transmit-standardswitch, -reject-mac-changes-, -reject-promiscuous-mode-",
    ],
    needs: &[Data::Security],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let Some(sec) = &vmk.security else {
            continue;
        };
        if port::on_nsx(vmk) {
            continue;
        }
        let mut accepted: Vec<Msg> = Vec::new();
        let mut flags: Vec<&str> = Vec::new();
        if sec.promiscuous == Some(true) {
            accepted.push(msg!("SEP006.promiscuous", "promiscuous mode"));
            flags.push("--allow-promiscuous false");
        }
        if sec.mac_changes == Some(true) {
            accepted.push(msg!("SEP006.mac_changes", "MAC address changes"));
            flags.push("--allow-mac-change false");
        }
        if sec.forged_transmits == Some(true) {
            accepted.push(msg!("SEP006.forged_transmits", "forged transmits"));
            flags.push("--allow-forged-transmits false");
        }
        if accepted.is_empty() {
            continue;
        }
        let dev = &vmk.device;
        let pg = port::portgroup(vmk);
        let list = i18n::list(accepted);
        let flags = flags.join(" ");
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "SEP006.message",
                "Port group {pg} of {dev} accepts {list}.",
                pg,
                dev,
                list,
            ),
            msg!(
                "SEP006.fix",
                "Reject them on port group {pg} (and on its switch, so that the port group can inherit): esxcli network vswitch standard portgroup policy security set -p \"{pg}\" {flags}; on a distributed switch Get-VDPortgroup \"{pg}\" | Get-VDSecurityPolicy | Set-VDSecurityPolicy -AllowPromiscuous $false -MacChanges $false -ForgedTransmits $false.",
                pg,
                flags,
            ),
        ));
    }
    hits
}
