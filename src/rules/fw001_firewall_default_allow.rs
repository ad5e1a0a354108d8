//! FW001 firewall-default-allow: the firewall's default policy lets traffic through.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::{Check, Data, FixTemplate, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "FW001",
    name: "firewall-default-allow",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: "The host firewall's default policy does not block incoming or outgoing traffic.",
    checks: "Checks that the host firewall's default policy blocks both incoming and outgoing \
        traffic (`esxcli network firewall get`: Default Action DROP). One finding per host \
        naming the direction(s) allowed. Object: none (the whole host).",
    why: "With a permissive default, every port that is not explicitly described by a \
        ruleset is open: any service started on the host, or any agent installed with a \
        VIB, is reachable from every network the host is on.",
    remediation: "`esxcli network firewall set --default-action false` (false = DROP) and `esxcli \
        network firewall set --enabled true`; PowerCLI: `Get-VMHost <host> | \
        Get-VMHostFirewallDefaultPolicy | Set-VMHostFirewallDefaultPolicy -AllowIncoming \
        $false -AllowOutgoing $false`.",
    fix: Some(&FixTemplate {
        esxcli: &["esxcli network firewall set --default-action false"],
        powercli: &[
            "Get-VMHostFirewallDefaultPolicy -VMHost $vmhost | Set-VMHostFirewallDefaultPolicy -AllowIncoming $false -AllowOutgoing $false -Confirm:$false",
        ],
    }),
    checklist: "Firewall blocks by default",
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
    let direction = match (fw.incoming_blocked, fw.outgoing_blocked) {
        (true, true) => return Vec::new(),
        (false, true) => msg!("FW001.incoming", "incoming"),
        (true, false) => msg!("FW001.outgoing", "outgoing"),
        (false, false) => msg!("FW001.both", "incoming and outgoing"),
    };
    let host = &ctx.host.name;
    vec![ctx.hit(
        None,
        msg!(
            "FW001.message",
            "The firewall's default policy allows {direction} traffic: every port no ruleset covers is open.",
            direction,
        ),
        msg!(
            "FW001.fix",
            "Block by default: esxcli network firewall set --default-action false; or Get-VMHost {host} | Get-VMHostFirewallDefaultPolicy | Set-VMHostFirewallDefaultPolicy -AllowIncoming $false -AllowOutgoing $false.",
            host,
        ),
    )]
}
