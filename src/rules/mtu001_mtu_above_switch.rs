//! MTU001 mtu-above-switch: a vmk's MTU is larger than its switch's MTU.

use crate::findings::{Category, Severity};
use crate::model::SwitchKind;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "MTU001",
    name: "mtu-above-switch",
    category: Category::Mtu,
    severity: Severity::Error,
    summary: "A vmk's MTU is larger than the MTU of its standard or distributed switch.",
    checks: "For every vmk whose MTU and switch are known, compares its MTU with the MTU of that \
        switch on the host. Object: the vmk.",
    why: "The switch drops frames larger than its MTU. Small packets (ping, heartbeats, vMotion \
        handshakes) pass, large ones vanish: vMotion and storage time out or stall in ways \
        that look like performance problems rather than a misconfiguration.",
    remediation:
        "Raise the switch MTU (end to end, including the physical switches): `esxcli network \
        vswitch standard set -v <vSwitch> -m 9000` or `Get-VDSwitch <dvs> | Set-VDSwitch -Mtu \
        9000`; or lower the vmk MTU: `esxcli network ip interface set -i vmkN -m 1500`. \
        Verify with `vmkping -I vmkN -d -s 8972 <peer>`.",
    fix: None,
    checklist: "vmk MTU does not exceed its switch's MTU",
    references: &[
        "VMware KB 1003728 (testing VMkernel network connectivity with vmkping)",
        "vSphere Networking: Jumbo frames",
    ],
    needs: &[Data::Switches, Data::Mtu],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let (Some(mtu), Some(sw_name)) = (vmk.mtu, vmk.switch.as_deref()) else {
            continue;
        };
        let Some(sw) = ctx.host.switch(sw_name) else {
            continue;
        };
        let Some(sw_mtu) = sw.mtu else {
            continue;
        };
        if mtu <= sw_mtu {
            continue;
        }
        let dev = &vmk.device;
        let fix_switch = match sw.kind {
            SwitchKind::Standard => {
                format!("esxcli network vswitch standard set -v {sw_name} -m {mtu}")
            }
            SwitchKind::Distributed => {
                format!("Get-VDSwitch \"{sw_name}\" | Set-VDSwitch -Mtu {mtu}")
            }
            SwitchKind::Nsx => format!("the MTU of the NSX uplink profile of {sw_name}"),
        };
        let kind = match sw.kind {
            SwitchKind::Standard => msg!("MTU001.kind.standard", "standard"),
            SwitchKind::Distributed => msg!("MTU001.kind.distributed", "distributed"),
            SwitchKind::Nsx => msg!("MTU001.kind.nsx", "NSX"),
        };
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "MTU001.message",
                "{dev} has MTU {mtu} but its {kind} switch {sw_name} only {sw_mtu}: frames larger than {sw_mtu} bytes are dropped.",
                dev,
                mtu,
                kind,
                sw_name,
                sw_mtu,
            ),
            msg!(
                "MTU001.fix",
                "Raise the switch MTU end to end ({fix_switch}, and the physical switch ports), or lower the vmk: esxcli network ip interface set -i {dev} -m {sw_mtu}. Verify with vmkping -I {dev} -d -s <MTU-28> <peer>.",
                fix_switch,
                dev,
                sw_mtu,
            ),
        ));
    }
    hits
}
