//! GW004 management-stack-no-gateway: the default (management) TCP/IP stack has no gateway.

use crate::findings::{Category, Severity};
use crate::model::DEFAULT_NETSTACK;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "GW004",
    name: "management-stack-no-gateway",
    category: Category::Gateway,
    severity: Severity::Warning,
    summary: "The management (default) TCP/IP stack has no default gateway.",
    checks: "Checks that the host's `defaultTcpipStack` has an IPv4 default gateway (a missing \
        stack, an empty value and 0.0.0.0 count as none). Object: defaultTcpipStack.",
    why: "vSphere HA uses the management gateway as the default isolation address: without \
        it a host cannot tell isolation from a network partition. Without a gateway the host \
        can reach vCenter, NTP, DNS, syslog and Active Directory only when they sit in its \
        own management subnet, and upgrades from a remote depot fail.",
    remediation: "Set the management gateway: `esxcli network ip route ipv4 add -n default -g \
        <gateway>` or `Get-VMHostNetwork -VMHost <host> | Set-VMHostNetwork -VMKernelGateway \
        <gateway>` (DCUI: Configure Management Network > IPv4 Configuration).",
    fix: None,
    checklist: "Management stack has a default gateway",
    references: &[
        "VMware KB 1002117 (das.isolationaddress: HA isolation address)",
        "vSphere Availability: Network isolation addresses",
    ],
    needs: &[Data::Netstacks],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    if net::stack_gateway(ctx.host, DEFAULT_NETSTACK)
        .valid()
        .is_some()
    {
        return Vec::new();
    }
    let host = &ctx.host.name;
    vec![ctx.hit(
        Some(DEFAULT_NETSTACK),
        msg!(
            "GW004.message",
            "The management TCP/IP stack (defaultTcpipStack) has no default gateway: vCenter, NTP, DNS and syslog outside the management subnet are unreachable, and HA has no default isolation address.",
        ),
        msg!(
            "GW004.fix",
            "Set the management gateway: esxcli network ip route ipv4 add -n default -g <gateway>, or Get-VMHostNetwork -VMHost {host} | Set-VMHostNetwork -VMKernelGateway <gateway>.",
            host,
        ),
    )]
}
