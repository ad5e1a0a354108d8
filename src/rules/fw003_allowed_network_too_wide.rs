//! FW003 allowed-network-too-wide: a ruleset's allowed networks are too wide or unauthorised.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::findings::{Category, Severity};
use crate::rules::{net, Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "FW003",
    name: "allowed-network-too-wide",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: Doc {
        en: "A firewall ruleset allows networks wider than the rule set's limit, or outside the authorised management networks.",
        zh: "防火墙规则集允许的网络范围超过规则集限制，或不在授权的管理网络之内。",
    },
    checks: Doc {
        en: "For every enabled ruleset that is restricted (not \"all IPs\") and not exempt \
             (`firewall_exempt_rulesets`), reports allowed networks with a prefix shorter than \
             `firewall_widest_prefix` (default 16: a /8 is too wide, a /16 is not) and, when the \
             rule set lists `management_networks`, allowed networks and IP addresses that lie \
             outside all of them. Unparsable entries are reported too. IPv6 entries are not \
             judged. One finding per ruleset. Object: the ruleset key.",
        zh: "对每个已启用、已限制访问（非“所有 IP”）且未被豁免（`firewall_exempt_rulesets`）的规则集，报告前缀\
             短于 `firewall_widest_prefix`（默认 16：/8 过宽，/16 不算）的允许网络；当规则集列出了 \
             `management_networks` 时，还报告不在其中任何一个网络内的允许网络和 IP 地址。无法解析的条目同样\
             会被报告。IPv6 条目不做判断。每个规则集一条发现项。对象：规则集名称。",
    },
    why: Doc {
        en: "An allowed network of 10.0.0.0/8 or 0.0.0.0/1 is \"allow all\" in disguise: it \
             passes the STIG's any-IP check while leaving the service open to most of the \
             enterprise. Access to host services should come only from the authorised \
             management networks.",
        zh: "10.0.0.0/8 或 0.0.0.0/1 这样的允许网络实际上等同于“允许所有”：它能通过 STIG 的任意 IP 检查，却让服务\
             对企业内大部分网络开放。主机服务只应允许来自授权管理网络的访问。",
    },
    remediation: Doc {
        en: "Replace the wide entry with the networks that need access: `esxcli network firewall \
             ruleset allowedip remove -r <ruleset> -i <wide network>` and `esxcli network firewall \
             ruleset allowedip add -r <ruleset> -i <management network/prefix>`.",
        zh: "用确实需要访问的网络替换过宽的条目：`esxcli network firewall ruleset allowedip remove -r <规则集> \
             -i <过宽的网络>`，再执行 `esxcli network firewall ruleset allowedip add -r <规则集> -i \
             <管理网络/前缀>`。",
    },
    references: &[
        "DISA STIG ESXI-80-000239",
        "DISA STIG ESXI-70-000056",
        "VMware vSphere Security Configuration Guide: restrict access to services (firewall allowed IPs)",
    ],
    needs: &[Data::Firewall],
    params: &[
        "firewall_widest_prefix",
        "management_networks",
        "firewall_exempt_rulesets",
    ],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let widest = ctx.params.firewall_widest_prefix;
    let authorised = &ctx.params.management_networks;
    let inside = |n: &Ipv4Net| authorised.iter().any(|a| a.contains(n));
    let rulesets = net::enabled_rulesets(ctx.host, |r| {
        !r.all_ip && !ctx.params.firewall_exempt_rulesets.contains(r.key.trim())
    });
    let mut hits = Vec::new();
    for r in rulesets {
        let mut en: Vec<String> = Vec::new();
        let mut zh: Vec<String> = Vec::new();
        let mut remove: Vec<String> = Vec::new();
        for raw in &r.allowed_networks {
            let s = raw.trim();
            if s.contains(':') {
                continue;
            }
            match s.parse::<Ipv4Net>() {
                Err(_) => {
                    en.push(format!("`{s}` is not a valid network"));
                    zh.push(format!("`{s}` 不是有效的网络"));
                }
                Ok(n) if n.prefix_len() < widest => {
                    en.push(format!("{n} is wider than /{widest}"));
                    zh.push(format!("{n} 的范围宽于 /{widest}"));
                    remove.push(n.to_string());
                }
                Ok(n) if !authorised.is_empty() && !inside(&n) => {
                    en.push(format!("{n} is outside the authorised management networks"));
                    zh.push(format!("{n} 不在授权的管理网络内"));
                    remove.push(n.to_string());
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
                    en.push(format!("`{s}` is not a valid IP address"));
                    zh.push(format!("`{s}` 不是有效的 IP 地址"));
                }
                Ok(a) if !authorised.is_empty() && !inside(&Ipv4Net::from(a)) => {
                    en.push(format!("{a} is outside the authorised management networks"));
                    zh.push(format!("{a} 不在授权的管理网络内"));
                    remove.push(a.to_string());
                }
                Ok(_) => {}
            }
        }
        if en.is_empty() {
            continue;
        }
        let key = &r.key;
        let (en, zh) = (en.join("; "), zh.join("；"));
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
            text!(
                "Firewall ruleset {key} allows too much: {en}.",
                "防火墙规则集 {key} 允许的范围过大：{zh}。"
            ),
            text!(
                "Allow only authorised networks no wider than /{widest}: {remove}esxcli network firewall ruleset allowedip add -r {key} -i <management network/prefix>.",
                "只允许不宽于 /{widest} 的授权网络：{remove}esxcli network firewall ruleset allowedip add -r {key} -i <管理网络/前缀>。"
            ),
        ));
    }
    hits
}
