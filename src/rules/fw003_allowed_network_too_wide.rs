//! FW003 allowed-network-too-wide: a ruleset's allowed networks are too wide or unauthorised.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_spanned::Spanned;

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::msg;
use crate::rules::fw002_ruleset_allows_all_ips::{self, FIREWALL_EXEMPT_RULESETS};
use crate::rules::param::{Invalid, Param};
use crate::rules::{net, Check, Data, Hit, HostCtx, Rule};

/// `firewall_widest_prefix`: the widest prefix an allowed network may have.
pub static FIREWALL_WIDEST_PREFIX: Param<u8, Spanned<i64>> = Param {
    name: "firewall_widest_prefix",
    ty: "prefix length (0..32)",
    doc: "The widest prefix length a firewall allowed network may have: with 16, a /8 is a \
        finding, a /16 or /24 is not.",
    default: || 16,
    read: |w| {
        u8::try_from(*w.get_ref())
            .ok()
            .filter(|n| *n <= 32)
            .ok_or_else(|| {
                Invalid::at(
                    w.span(),
                    format!("prefix length {} is out of range (0..32)", w.get_ref()),
                )
            })
    },
};

/// `management_networks`: the authorised management networks.
pub static MANAGEMENT_NETWORKS: Param<Vec<Ipv4Net>, Vec<Spanned<String>>> = Param {
    name: "management_networks",
    ty: "list of IPv4 networks (CIDR) or addresses",
    doc: "Authorised management networks; firewall allowed networks and IPs must lie inside \
        one. Empty: only the width of allowed networks is checked.",
    default: Vec::new,
    read: |nets| {
        nets.iter()
            .map(|n| {
                let s = n.get_ref().trim();
                s.parse::<Ipv4Net>()
                    .or_else(|_| s.parse::<Ipv4Addr>().map(Ipv4Net::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        Invalid::at(
                            n.span(),
                            format!(
                                "`{s}` is not an IPv4 network (expected CIDR, e.g. 10.10.0.0/16)"
                            ),
                        )
                    })
            })
            .collect()
    },
};

pub static RULE: Rule = Rule {
    id: "FW003",
    name: "allowed-network-too-wide",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: "A firewall ruleset allows networks wider than the rule set's limit, or outside the authorised management networks.",
    checks: "For every enabled ruleset that is restricted (not \"all IPs\") and whose allowed IP \
        list the user can configure (as FW002 decides: `ip_list_user_configurable` when the \
        server says, `firewall_exempt_rulesets` otherwise), reports allowed networks with a prefix shorter than \
        `firewall_widest_prefix` (default 16: a /8 is too wide, a /16 is not) and, when the \
        rule set lists `management_networks`, allowed networks and IP addresses that lie \
        outside all of them. Unparsable entries are reported too. IPv6 entries are not \
        judged. One finding per ruleset. Object: the ruleset key.",
    why: "An allowed network of 10.0.0.0/8 or 0.0.0.0/1 is \"allow all\" in disguise: it \
        passes the STIG's any-IP check while leaving the service open to most of the \
        enterprise. Access to host services should come only from the authorised \
        management networks.",
    remediation: "Replace the wide entry with the networks that need access: `esxcli network firewall \
        ruleset allowedip remove -r <ruleset> -i <wide network>` and `esxcli network firewall \
        ruleset allowedip add -r <ruleset> -i <management network/prefix>`.",
    fix: None,
    checklist: "Firewall allowed networks are narrow and authorised",
    references: &[
        "DISA STIG ESXI-80-000239 / ESXI-70-000056 (firewall restricts access to services; user-configurable rulesets)",
        "VMware vSphere Security Configuration Guide: restrict access to services (firewall allowed IPs)",
    ],
    needs: &[Data::Firewall],
    params: &[
        &FIREWALL_WIDEST_PREFIX,
        &MANAGEMENT_NETWORKS,
        &FIREWALL_EXEMPT_RULESETS,
    ],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let widest = *ctx.params.get(&FIREWALL_WIDEST_PREFIX);
    let authorised = ctx.params.get(&MANAGEMENT_NETWORKS);
    let inside = |n: &Ipv4Net| authorised.iter().any(|a| a.contains(n));
    let rulesets = net::enabled_rulesets(ctx.host, |r| {
        !r.all_ip && fw002_ruleset_allows_all_ips::user_configurable(r, ctx.params)
    });
    let mut hits = Vec::new();
    for r in rulesets {
        let mut problems: Vec<Msg> = Vec::new();
        let mut remove: Vec<String> = Vec::new();
        for raw in &r.allowed_networks {
            let s = raw.trim();
            if s.contains(':') {
                continue;
            }
            match s.parse::<Ipv4Net>() {
                Err(_) => {
                    problems.push(msg!(
                        "FW003.invalid_network",
                        "`{value}` is not a valid network",
                        value = s
                    ));
                }
                Ok(net) if net.prefix_len() < widest => {
                    problems.push(msg!(
                        "FW003.too_wide",
                        "{net} is wider than /{widest}",
                        net,
                        widest
                    ));
                    remove.push(net.to_string());
                }
                Ok(net) if !authorised.is_empty() && !inside(&net) => {
                    problems.push(outside(net));
                    remove.push(net.to_string());
                }
                Ok(_) => {}
            }
        }
        for raw in &r.allowed_ips {
            let s = raw.trim();
            if s.contains(':') {
                continue;
            }
            match s.parse::<Ipv4Addr>() {
                Err(_) => {
                    problems.push(msg!(
                        "FW003.invalid_ip",
                        "`{value}` is not a valid IP address",
                        value = s
                    ));
                }
                Ok(a) if !authorised.is_empty() && !inside(&Ipv4Net::from(a)) => {
                    problems.push(outside(a));
                    remove.push(a.to_string());
                }
                Ok(_) => {}
            }
        }
        if problems.is_empty() {
            continue;
        }
        let key = &r.key;
        let problems = i18n::clauses(problems);
        let remove: Vec<String> = remove
            .iter()
            .map(|n| format!("esxcli network firewall ruleset allowedip remove -r {key} -i {n}"))
            .collect();
        let remove = if remove.is_empty() {
            String::new()
        } else {
            format!("{}; ", remove.join("; "))
        };
        hits.push(ctx.hit(
            Some(key),
            msg!(
                "FW003.message",
                "Firewall ruleset {key} allows too much: {problems}.",
                key,
                problems,
            ),
            msg!(
                "FW003.fix",
                "Allow only authorised networks no wider than /{widest}: {remove}esxcli network firewall ruleset allowedip add -r {key} -i <management network/prefix>.",
                widest,
                remove,
                key,
            ),
        ));
    }
    hits
}

/// An allowed network or address outside the authorised management networks.
fn outside(net: impl std::fmt::Display) -> Msg {
    msg!(
        "FW003.outside",
        "{net} is outside the authorised management networks",
        net
    )
}
