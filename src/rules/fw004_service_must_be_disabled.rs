//! FW004 service-must-be-disabled: a ruleset the rule set wants disabled is enabled.

use crate::findings::{Category, Severity};
use crate::rules::{net, Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "FW004",
    name: "service-must-be-disabled",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: Doc {
        en: "A firewall ruleset the rule set says must stay disabled (e.g. sshServer) is enabled.",
        zh: "规则集要求保持禁用的防火墙规则集（例如 sshServer）处于启用状态。",
    },
    checks: Doc {
        en: "Reports every enabled firewall ruleset named in `disabled_rulesets` (default: \
             `sshServer`; the STIG rule set adds `CIMSLP`). Names compare case-insensitively. \
             Object: the ruleset key.",
        zh: "报告 `disabled_rulesets` 中列出、但处于启用状态的每个防火墙规则集（默认：`sshServer`；STIG 规则集\
             另加 `CIMSLP`）。名称比较不区分大小写。对象：规则集名称。",
    },
    why: Doc {
        en: "SSH and SLP are break-fix or legacy services: while they are reachable the host \
             accepts shell logins that bypass vCenter's role-based access control and audit \
             (SSH), or exposes a service with a history of remote exploits (OpenSLP). They \
             should be enabled only for the duration of a support case.",
        zh: "SSH 和 SLP 属于故障排查或旧式服务：只要它们可被访问，主机就会接受绕过 vCenter 基于角色的访问控制和\
             审计的 shell 登录（SSH），或暴露一个有过多次远程漏洞利用历史的服务（OpenSLP）。它们只应在处理\
             支持案例期间临时启用。",
    },
    remediation: Doc {
        en: "Stop the service and disable the ruleset: `Get-VMHost <host> | Get-VMHostService | \
             Where {$_.Key -eq \"TSM-SSH\"} | Stop-VMHostService` and `Set-VMHostService -Policy \
             Off`; `esxcli network firewall ruleset set -r sshServer -e false`.",
        zh: "停止服务并禁用规则集：`Get-VMHost <主机> | Get-VMHostService | Where {$_.Key -eq \"TSM-SSH\"} | \
             Stop-VMHostService`，并执行 `Set-VMHostService -Policy Off`；`esxcli network firewall ruleset set \
             -r sshServer -e false`。",
    },
    references: &[
        "DISA STIG ESXI-80-000193 (SSH disabled)",
        "DISA STIG ESXI-80-000231 (OpenSLP disabled)",
    ],
    needs: &[Data::Firewall],
    params: &["disabled_rulesets"],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let rulesets = net::enabled_rulesets(ctx.host, |r| {
        ctx.params
            .disabled_rulesets
            .iter()
            .any(|d| d.eq_ignore_ascii_case(r.key.trim()))
    });
    let host = &ctx.host.name;
    rulesets
        .into_iter()
        .map(|r| {
            let key = &r.key;
            let service = match key.as_str() {
                "sshServer" => "TSM-SSH",
                "CIMSLP" => "slpd",
                _ => "<service key>",
            };
            ctx.hit(
                Some(key),
                text!(
                    "Firewall ruleset {key} is enabled, but the rule set requires it to stay disabled.",
                    "防火墙规则集 {key} 处于启用状态，但规则集要求其保持禁用。"
                ),
                text!(
                    "Stop the service and disable the ruleset: Get-VMHost {host} | Get-VMHostService | Where {{$_.Key -eq \"{service}\"}} | Stop-VMHostService; set its policy to Off (Set-VMHostService -Policy Off); esxcli network firewall ruleset set -r {key} -e false.",
                    "请停止服务并禁用规则集：Get-VMHost {host} | Get-VMHostService | Where {{$_.Key -eq \"{service}\"}} | Stop-VMHostService；将其启动策略设为 Off（Set-VMHostService -Policy Off）；esxcli network firewall ruleset set -r {key} -e false。"
                ),
            )
        })
        .collect()
}
