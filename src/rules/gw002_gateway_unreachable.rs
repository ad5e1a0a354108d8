//! GW002 gateway-unreachable: a stack's default gateway is outside the subnets of all its vmks.

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "GW002",
    name: "gateway-unreachable",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: "A TCP/IP stack's default gateway lies outside the subnets of all the stack's vmks.",
    checks: "For every TCP/IP stack with a default gateway, checks that the gateway lies inside \
        the IPv4 subnet (address and netmask) of at least one vmk on that stack. Stacks \
        without a vmk that has a valid static address are skipped. Object: the stack key.",
    why: "A gateway must be on-link: the host ARPs for it on one of the stack's adapters. A \
        gateway outside every subnet cannot be reached, so everything that must be routed \
        (vCenter, syslog, NTP, DNS, HA isolation address, routed vMotion) fails, usually \
        after a typo in the gateway or netmask.",
    remediation:
        "Correct the gateway or the adapter's netmask: `esxcli network ip route ipv4 remove \
        -N <stack> -n default -g <old>` and `esxcli network ip route ipv4 add -N <stack> -n \
        default -g <gateway in the vmk subnet>`; for the management stack also \
        `Get-VMHostNetwork -VMHost <host> | Set-VMHostNetwork -VMKernelGateway <gateway>`.",
    fix: None,
    checklist: "Stack gateway lies in a vmk subnet",
    references: &["vSphere Networking: Change the default gateway of a TCP/IP stack"],
    needs: &[Data::Netstacks, Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let host = ctx.host;
    let mut hits = Vec::new();
    for stack in host.netstacks.iter().flatten() {
        let key = stack.key.as_str();
        let Some(gw) = net::stack_gateway(host, key).valid() else {
            continue;
        };
        let subnets: Vec<ipnet::Ipv4Net> = net::sorted_vmks(host)
            .into_iter()
            .filter(|v| net::stack_of(v) == key)
            .filter_map(net::subnet)
            .collect();
        if subnets.is_empty() || subnets.iter().any(|n| n.contains(&gw)) {
            continue;
        }
        let nets = i18n::list(&subnets);
        let host_name = &host.name;
        hits.push(ctx.hit(
            Some(key),
            msg!(
                "GW002.message",
                "The default gateway {gw} of TCP/IP stack {key} is outside every subnet of its vmks ({nets}): it cannot be reached, so routed traffic on this stack fails.",
                gw,
                key,
                nets,
            ),
            msg!(
                "GW002.fix",
                "Set a gateway inside {nets}, or correct the adapter's netmask: esxcli network ip route ipv4 remove -N {key} -n default -g {gw}; esxcli network ip route ipv4 add -N {key} -n default -g <gateway> (PowerCLI for the management stack: Get-VMHostNetwork -VMHost {host_name} | Set-VMHostNetwork -VMKernelGateway <gateway>).",
                nets,
                key,
                gw,
                host_name,
            ),
        ));
    }
    hits
}
