//! FW001 firewall-default-allow: the firewall's default policy lets traffic through.

use crate::findings::{Category, Severity};
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "FW001",
    name: "firewall-default-allow",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: Doc {
        en: "The host firewall's default policy does not block incoming or outgoing traffic.",
        zh: "主机防火墙的默认策略没有阻止入站或出站流量。",
    },
    checks: Doc {
        en: "Checks that the host firewall's default policy blocks both incoming and outgoing \
             traffic (`esxcli network firewall get`: Default Action DROP). One finding per host \
             naming the direction(s) allowed. Object: none (the whole host).",
        zh: "检查主机防火墙默认策略是否同时阻止入站和出站流量（`esxcli network firewall get`：Default Action \
             为 DROP）。每台主机一条发现项，注明被允许的方向。对象：无（整台主机）。",
    },
    why: Doc {
        en: "With a permissive default, every port that is not explicitly described by a \
             ruleset is open: any service started on the host, or any agent installed with a \
             VIB, is reachable from every network the host is on.",
        zh: "默认策略为放行时，所有未被规则集明确描述的端口都是开放的：主机上启动的任何服务、通过 VIB 安装的\
             任何代理程序，都可以从主机所连接的任何网络访问。",
    },
    remediation: Doc {
        en: "`esxcli network firewall set --default-action false` (false = DROP) and `esxcli \
             network firewall set --enabled true`; PowerCLI: `Get-VMHost <host> | \
             Get-VMHostFirewallDefaultPolicy | Set-VMHostFirewallDefaultPolicy -AllowIncoming \
             $false -AllowOutgoing $false`.",
        zh: "`esxcli network firewall set --default-action false`（false 表示 DROP）以及 `esxcli network firewall \
             set --enabled true`；PowerCLI：`Get-VMHost <主机> | Get-VMHostFirewallDefaultPolicy | \
             Set-VMHostFirewallDefaultPolicy -AllowIncoming $false -AllowOutgoing $false`。",
    },
    references: &["DISA STIG ESXI-80-000214", "DISA STIG ESXI-70-000057"],
    needs: &[Data::Firewall],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let Some(fw) = &ctx.host.firewall else {
        return Vec::new();
    };
    let (en, zh) = match (fw.incoming_blocked, fw.outgoing_blocked) {
        (true, true) => return Vec::new(),
        (false, true) => ("incoming", "入站"),
        (true, false) => ("outgoing", "出站"),
        (false, false) => ("incoming and outgoing", "入站和出站"),
    };
    let host = &ctx.host.name;
    vec![ctx.hit(
        None,
        text!(
            "The firewall's default policy allows {en} traffic: every port no ruleset covers is open.",
            "防火墙默认策略允许{zh}流量：所有未被规则集覆盖的端口都是开放的。"
        ),
        text!(
            "Block by default: esxcli network firewall set --default-action false; or Get-VMHost {host} | Get-VMHostFirewallDefaultPolicy | Set-VMHostFirewallDefaultPolicy -AllowIncoming $false -AllowOutgoing $false.",
            "请将默认策略设为阻止：esxcli network firewall set --default-action false；或 Get-VMHost {host} | Get-VMHostFirewallDefaultPolicy | Set-VMHostFirewallDefaultPolicy -AllowIncoming $false -AllowOutgoing $false。"
        ),
    )]
}
