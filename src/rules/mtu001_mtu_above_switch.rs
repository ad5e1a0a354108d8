//! MTU001 mtu-above-switch: a vmk's MTU is larger than its switch's MTU.

use crate::findings::{Category, Severity};
use crate::model::SwitchKind;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "MTU001",
    name: "mtu-above-switch",
    category: Category::Mtu,
    severity: Severity::Error,
    summary: Doc {
        en: "A vmk's MTU is larger than the MTU of its standard or distributed switch.",
        zh: "VMkernel 适配器的 MTU 大于其标准交换机或分布式交换机的 MTU。",
    },
    checks: Doc {
        en: "For every vmk whose MTU and switch are known, compares its MTU with the MTU of that \
             switch on the host. Object: the vmk.",
        zh: "对每个 MTU 和所属交换机均已知的 VMkernel 适配器，将其 MTU 与主机上该交换机的 MTU 比较。\
             对象：该适配器。",
    },
    why: Doc {
        en: "The switch drops frames larger than its MTU. Small packets (ping, heartbeats, vMotion \
             handshakes) pass, large ones vanish: vMotion and storage time out or stall in ways \
             that look like performance problems rather than a misconfiguration.",
        zh: "交换机会丢弃大于其 MTU 的帧。小数据包（ping、心跳、vMotion 握手）可以通过，大数据包却会丢失：\
             vMotion 和存储会超时或停顿，看起来像性能问题而不是配置错误。",
    },
    remediation: Doc {
        en: "Raise the switch MTU (end to end, including the physical switches): `esxcli network \
             vswitch standard set -v <vSwitch> -m 9000` or `Get-VDSwitch <dvs> | Set-VDSwitch -Mtu \
             9000`; or lower the vmk MTU: `esxcli network ip interface set -i vmkN -m 1500`. \
             Verify with `vmkping -I vmkN -d -s 8972 <peer>`.",
        zh: "提高交换机 MTU（端到端，包括物理交换机）：`esxcli network vswitch standard set -v <vSwitch> -m 9000` \
             或 `Get-VDSwitch <分布式交换机> | Set-VDSwitch -Mtu 9000`；或者降低适配器 MTU：`esxcli network \
             ip interface set -i vmkN -m 1500`。用 `vmkping -I vmkN -d -s 8972 <对端>` 验证。",
    },
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
        };
        let kind = sw.kind.as_str();
        let kind_zh = match sw.kind {
            SwitchKind::Standard => "标准交换机",
            SwitchKind::Distributed => "分布式交换机",
        };
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "{dev} has MTU {mtu} but its {kind} switch {sw_name} only {sw_mtu}: frames larger than {sw_mtu} bytes are dropped.",
                "{dev} 的 MTU 为 {mtu}，但其所在的{kind_zh} {sw_name} 的 MTU 仅为 {sw_mtu}：大于 {sw_mtu} 字节的帧会被丢弃。"
            ),
            text!(
                "Raise the switch MTU end to end ({fix_switch}, and the physical switch ports), or lower the vmk: esxcli network ip interface set -i {dev} -m {sw_mtu}. Verify with vmkping -I {dev} -d -s <MTU-28> <peer>.",
                "请端到端提高交换机 MTU（{fix_switch}，以及物理交换机端口），或降低适配器 MTU：esxcli network ip interface set -i {dev} -m {sw_mtu}。用 vmkping -I {dev} -d -s <MTU-28> <对端> 验证。"
            ),
        ));
    }
    hits
}
