//! FW002 ruleset-allows-all-ips: an enabled firewall ruleset accepts every IP address.

use std::collections::BTreeSet;

use crate::findings::{Category, Severity};
use crate::model::FirewallRuleset;
use crate::msg;
use crate::rules::param::{self, Param};
use crate::rules::{net, Check, Data, Hit, HostCtx, Params, Rule};

/// `firewall_exempt_rulesets`: rulesets FW002 and FW003 leave alone.
pub static FIREWALL_EXEMPT_RULESETS: Param<BTreeSet<String>, Vec<String>> = Param {
    name: "firewall_exempt_rulesets",
    ty: "list of firewall ruleset keys",
    doc: "Rulesets FW002 and FW003 do not look at when the server does not say whether their \
        allowed IP list is user-configurable (before vSphere 8.0 U2, and in imported files): \
        client-side or system-owned ones whose allowed IPs the administrator cannot set.",
    default: || param::string_set(&["dhcp", "DHCPv6", "dns"]),
    read: param::trimmed,
};

pub static RULE: Rule = Rule {
    id: "FW002",
    name: "ruleset-allows-all-ips",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: "An enabled firewall ruleset accepts connections from all IP addresses.",
    checks: "Reports every enabled ruleset with \"Allow connections from any IP address\" set \
        whose allowed IP list the user can configure, as ESXI-80-000239 says. vSphere 8.0 U2+ \
        tells (`ipListUserConfigurable`, `ip_list_user_configurable` in the inventory): a \
        system-owned ruleset (false) is never reported, a configurable one (true) always. \
        When the server does not say, the rulesets listed in `firewall_exempt_rulesets` are \
        left out; by default `dhcp`, `DHCPv6` and `dns`, client-side rulesets whose peers the \
        host only learns at run time, so restricting them breaks the host. Object: the \
        ruleset key.",
    why: "A ruleset open to any address exposes the service (SSH, CIM, vMotion, NFC, SNMP...) \
        to every network that can reach the host. Restricting it to the management or \
        service networks that need it shrinks the attack surface.",
    remediation: "Restrict the ruleset: `esxcli network firewall ruleset set -r <ruleset> \
        --allowed-all false` and `esxcli network firewall ruleset allowedip add -r <ruleset> \
        -i <network/prefix>` (vSphere Client: Host > Configure > Firewall > Edit > untick \
        \"Allow connections from any IP address\"; PowerCLI via Get-EsxCli -V2 \
        network.firewall.ruleset.set with allowedall = $false).",
    fix: None,
    checklist: "Enabled firewall rulesets are restricted to allowed IPs",
    references: &[
        "DISA STIG ESXI-80-000239 / ESXI-70-000056 (firewall restricts access to services; user-configurable rulesets)",
        "vSphere API: HostFirewallRuleset.ipListUserConfigurable (vSphere 8.0 U2)",
    ],
    needs: &[Data::Firewall],
    params: &[&FIREWALL_EXEMPT_RULESETS],
    active: None,
    check: Check::Host(check),
};

/// Whether the allowed IP list of ruleset `r` is the user's to set, so FW002 and FW003 judge
/// it: as the server says (`ip_list_user_configurable`, vSphere 8.0 U2+), otherwise unless the
/// rule set exempts it (`firewall_exempt_rulesets`).
pub fn user_configurable(r: &FirewallRuleset, params: &Params) -> bool {
    r.ip_list_user_configurable
        .unwrap_or_else(|| !params.get(&FIREWALL_EXEMPT_RULESETS).contains(r.key.trim()))
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    net::enabled_rulesets(ctx.host, |r| r.all_ip && user_configurable(r, ctx.params))
        .into_iter()
        .map(|r| {
            let key = &r.key;
            ctx.hit(
                Some(key),
                msg!(
                    "FW002.message",
                    "Firewall ruleset {key} is enabled and accepts connections from any IP address.",
                    key,
                ),
                msg!(
                    "FW002.fix",
                    "Allow only the networks that need it: esxcli network firewall ruleset set -r {key} --allowed-all false; esxcli network firewall ruleset allowedip add -r {key} -i <network/prefix>. If {key} is not needed, disable it: esxcli network firewall ruleset set -r {key} -e false.",
                    key,
                ),
            )
        })
        .collect()
}
