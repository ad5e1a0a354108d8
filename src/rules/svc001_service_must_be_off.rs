//! SVC001 service-must-be-off: a host service the rule set wants off is running or starts
//! with the host.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::param::{self, Param};
use crate::rules::{Check, Data, FixTemplate, Hit, HostCtx, Rule};

/// The host services of the STIG and the Security Configuration Guide that must be off: SSH,
/// the ESXi Shell, SLP and CIM.
pub const SSH: &str = "TSM-SSH";
pub const SHELL: &str = "TSM";
pub const SLP: &str = "slpd";
pub const CIM: &str = "sfcbd-watchdog";

/// `services_off`: host services that must be stopped with policy off.
pub static SERVICES_OFF: Param<Vec<String>> = Param {
    name: "services_off",
    ty: "list of host service keys",
    doc: "Host services (`config.service` keys) that must be stopped and not start with the \
        host (compared case-insensitively): TSM-SSH (SSH), TSM (ESXi Shell), slpd (SLP), \
        sfcbd-watchdog (CIM). Replaces `disabled_rulesets` of the retired FW004.",
    default: || vec![SSH.into(), SHELL.into(), SLP.into()],
    read: param::trimmed,
};

pub static RULE: Rule = Rule {
    id: "SVC001",
    name: "service-must-be-off",
    category: Category::Services,
    severity: Severity::Warning,
    summary: "A host service that must be off (SSH, ESXi Shell, SLP, CIM) is running or starts with the host.",
    checks: "Reports every host service named in `services_off` (default: `TSM-SSH`, `TSM` and \
        `slpd`; the STIG rule set adds `sfcbd-watchdog`, CIM) that is running or whose startup \
        policy is `on` (\"Start and stop with host\"). A service stopped with policy `off` or \
        `automatic` (it starts only while its firewall ruleset is open) is not a finding; a \
        service the host does not have is not either. Names compare case-insensitively. \
        Replaces FW004, which looked at firewall rulesets: a stopped service behind an \
        enabled ruleset is harmless, a running one is what the STIG asks about. Object: the \
        service key.",
    why: "SSH and the ESXi Shell give logins that bypass vCenter's role-based access control \
        and audit; SLP (OpenSLP) and CIM (sfcbd) are network services with a history of \
        remote exploits (OpenSLP was the way in for the ESXiArgs ransomware). The STIG and \
        the Security Configuration Guide require them stopped and set to start manually, \
        turned on only for the duration of a support case.",
    remediation: "Stop the service and set its policy to manual: `Get-VMHost <host> | \
        Get-VMHostService | Where {$_.Key -eq \"TSM-SSH\"} | Stop-VMHostService` and `| \
        Set-VMHostService -Policy Off`; for SLP and CIM also `esxcli system slp set --enable \
        false` and `esxcli system wbem set --enable false`.",
    fix: Some(&FixTemplate {
        esxcli: &[],
        powercli: &[
            "Get-VMHostService -VMHost $vmhost | Where-Object { $_.Key -eq {key} } | Stop-VMHostService -Confirm:$false",
            "Get-VMHostService -VMHost $vmhost | Where-Object { $_.Key -eq {key} } | Set-VMHostService -Policy Off -Confirm:$false",
        ],
    }),
    checklist: "SSH, ESXi Shell, SLP and CIM are off",
    references: &[
        "DISA STIG ESXI-80-000193 / ESXI-70-000035 (SSH)",
        "DISA STIG ESXI-80-000194 / ESXI-70-000036 (ESXi Shell)",
        "DISA STIG ESXI-80-000231 / ESXI-70-000083 (OpenSLP)",
        "DISA STIG ESXI-80-000228 / ESXi 7.0 V-256448 (CIM)",
        "VMware vSphere Security Configuration Guide 8: esxi-8.deactivate-ssh, esxi-8.deactivate-shell, esxi-8.deactivate-slp, esxi-8.deactivate-cim",
    ],
    needs: &[Data::HostServices],
    params: &[&SERVICES_OFF],
    active: Some(|p| !p.get(&SERVICES_OFF).is_empty()),
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let Some(services) = &ctx.host.services else {
        return Vec::new();
    };
    let off = ctx.params.get(&SERVICES_OFF);
    let mut bad: Vec<_> = services
        .iter()
        .filter(|s| off.iter().any(|o| o.eq_ignore_ascii_case(s.key.trim())))
        .filter(|s| s.running || s.policy.trim().eq_ignore_ascii_case("on"))
        .collect();
    bad.sort_by(|a, b| a.key.cmp(&b.key));
    let host = &ctx.host.name;
    bad.into_iter()
        .map(|s| {
            let key = s.key.trim();
            let state = match (s.running, s.policy.trim().eq_ignore_ascii_case("on")) {
                (true, true) => msg!("SVC001.running_on", "running and starts with the host"),
                (true, false) => msg!("SVC001.running", "running"),
                _ => msg!("SVC001.policy_on", "set to start with the host"),
            };
            let extra = match key {
                k if k.eq_ignore_ascii_case(SLP) => "; esxcli system slp set --enable false",
                k if k.eq_ignore_ascii_case(CIM) => "; esxcli system wbem set --enable false",
                _ => "",
            };
            ctx.hit(
                Some(key),
                msg!(
                    "SVC001.message",
                    "Host service {key} is {state}, but the rule set requires it to be off.",
                    key,
                    state,
                ),
                msg!(
                    "SVC001.fix",
                    "Stop it and set its policy to manual: Get-VMHost {host} | Get-VMHostService | Where {{$_.Key -eq \"{key}\"}} | Stop-VMHostService; then Set-VMHostService -Policy Off{extra}.",
                    host,
                    key,
                    extra,
                ),
            )
        })
        .collect()
}
