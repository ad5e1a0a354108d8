//! SVC002 lockdown-disabled: a vCenter-managed host has lockdown mode disabled.

use crate::findings::{Category, Severity};
use crate::model::{LockdownMode, SourceKind};
use crate::msg;
use crate::rules::{Check, Data, EstateCtx, FixTemplate, Hit, Rule};

pub static RULE: Rule = Rule {
    id: "SVC002",
    name: "lockdown-disabled",
    category: Category::Services,
    severity: Severity::Info,
    summary: "Lockdown mode is disabled on a host managed by vCenter.",
    checks: "Reports a host whose lockdown mode (`config.lockdownMode`) is `disabled`; `normal` \
        and `strict` pass. A host collected directly from ESXi (source kind `esxi`, not managed \
        through vCenter) is not checked: the STIG does not apply there. Info in the default \
        rule set (many estates manage hosts without lockdown by decision), error in the \
        `stig` set. Object: none (the whole host).",
    why: "Without lockdown mode, anyone with a host's local credentials manages it directly, \
        bypassing vCenter's roles, permissions and audit trail. Lockdown mode forces every \
        change through vCenter (with the exception users of your choice).",
    remediation: "Enable normal lockdown mode (vSphere Client: Host > Configure > Security Profile > \
        Lockdown Mode > Edit), or with PowerCLI: `(Get-View (Get-VMHost <host> | \
        Get-View).ConfigManager.HostAccessManager).ChangeLockdownMode(\"lockdownNormal\")`.",
    fix: Some(&FixTemplate {
        esxcli: &[],
        powercli: &[
            "(Get-View ($vmhost | Get-View).ConfigManager.HostAccessManager).ChangeLockdownMode('lockdownNormal')",
        ],
    }),
    checklist: "Lockdown mode is enabled",
    references: &[
        "DISA STIG ESXI-80-000008 / ESXI-70-000001 (lockdown mode)",
        "VMware vSphere Security Configuration Guide 8: esxi-8.lockdown-mode",
    ],
    needs: &[Data::Lockdown],
    params: &[],
    active: None,
    check: Check::Estate(check),
};

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let direct: Vec<&str> = ctx
        .inventory
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::Esxi)
        .map(|s| s.name.as_str())
        .collect();
    ctx.hosts()
        .filter(|(_, h)| h.lockdown_mode == Some(LockdownMode::Disabled))
        .filter(|(_, h)| !h.source.as_deref().is_some_and(|s| direct.contains(&s)))
        .map(|(index, h)| {
            let host = &h.name;
            Hit {
                host: index,
                object: None,
                message: msg!(
                    "SVC002.message",
                    "Lockdown mode is disabled: the host can be managed directly, bypassing vCenter's permissions and audit.",
                ),
                remediation: msg!(
                    "SVC002.fix",
                    "Enable normal lockdown mode: (Get-View (Get-VMHost {host} | Get-View).ConfigManager.HostAccessManager).ChangeLockdownMode(\"lockdownNormal\"), or in the vSphere Client under Configure > Security Profile > Lockdown Mode.",
                    host,
                ),
            }
        })
        .collect()
}
