//! FW004 service-must-be-disabled: a ruleset the rule set wants disabled is enabled.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::param::{self, Param};
use crate::rules::{net, Check, Data, FixTemplate, Hit, HostCtx, Rule};

/// `disabled_rulesets`: firewall rulesets that must stay disabled.
pub static DISABLED_RULESETS: Param<Vec<String>> = Param {
    name: "disabled_rulesets",
    ty: "list of firewall ruleset keys",
    doc: "Firewall rulesets that must stay disabled (compared case-insensitively).",
    default: || vec!["sshServer".into()],
    read: param::trimmed,
};

pub static RULE: Rule = Rule {
    id: "FW004",
    name: "service-must-be-disabled",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: "A firewall ruleset the rule set says must stay disabled (e.g. sshServer) is enabled.",
    checks: "Reports every enabled firewall ruleset named in `disabled_rulesets` (default: \
        `sshServer`; the STIG rule set adds `CIMSLP`). Names compare case-insensitively. \
        Object: the ruleset key.",
    why: "SSH and SLP are break-fix or legacy services: while they are reachable the host \
        accepts shell logins that bypass vCenter's role-based access control and audit \
        (SSH), or exposes a service with a history of remote exploits (OpenSLP). They \
        should be enabled only for the duration of a support case.",
    remediation:
        "Stop the service and disable the ruleset: `Get-VMHost <host> | Get-VMHostService | \
        Where {$_.Key -eq \"TSM-SSH\"} | Stop-VMHostService` and `Set-VMHostService -Policy \
        Off`; `esxcli network firewall ruleset set -r sshServer -e false`.",
    fix: Some(&FixTemplate {
        esxcli: &["esxcli network firewall ruleset set -r {key} -e false"],
        powercli: &[
            "Get-VMHostFirewallException -VMHost $vmhost | Where-Object { $_.ExtensionData.Key -eq {key} } | Set-VMHostFirewallException -Enabled $false -Confirm:$false",
        ],
    }),
    checklist: "Services that must stay disabled are disabled",
    references: &[
        "DISA STIG ESXI-80-000193 (SSH disabled)",
        "DISA STIG ESXI-80-000231 (OpenSLP disabled)",
    ],
    needs: &[Data::Firewall],
    params: &[&DISABLED_RULESETS],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let rulesets = net::enabled_rulesets(ctx.host, |r| {
        ctx.params
            .get(&DISABLED_RULESETS)
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
                msg!(
                    "FW004.message",
                    "Firewall ruleset {key} is enabled, but the rule set requires it to stay disabled.",
                    key,
                ),
                msg!(
                    "FW004.fix",
                    "Stop the service and disable the ruleset: Get-VMHost {host} | Get-VMHostService | Where {{$_.Key -eq \"{service}\"}} | Stop-VMHostService; set its policy to Off (Set-VMHostService -Policy Off); esxcli network firewall ruleset set -r {key} -e false.",
                    host,
                    service,
                    key,
                ),
            )
        })
        .collect()
}
