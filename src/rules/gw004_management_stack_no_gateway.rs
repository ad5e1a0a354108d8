//! GW004 management-stack-no-gateway: the default (management) TCP/IP stack has no gateway.

use crate::findings::{Category, Severity};
use crate::model::DEFAULT_NETSTACK;
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "GW004",
    name: "management-stack-no-gateway",
    category: Category::Gateway,
    severity: Severity::Warning,
    summary: Doc {
        en: "The management (default) TCP/IP stack has no default gateway.",
        zh: "管理（默认）TCP/IP 堆栈没有默认网关。",
    },
    checks: Doc {
        en: "Checks that the host's `defaultTcpipStack` has an IPv4 default gateway (a missing \
             stack, an empty value and 0.0.0.0 count as none). Object: defaultTcpipStack.",
        zh: "检查主机的 `defaultTcpipStack` 是否配置了 IPv4 默认网关（堆栈缺失、值为空或为 0.0.0.0 均视为\
             没有网关）。对象：defaultTcpipStack。",
    },
    why: Doc {
        en: "vSphere HA uses the management gateway as the default isolation address: without \
             it a host cannot tell isolation from a network partition. Without a gateway the host \
             can reach vCenter, NTP, DNS, syslog and Active Directory only when they sit in its \
             own management subnet, and upgrades from a remote depot fail.",
        zh: "vSphere HA 默认使用管理网络的网关作为隔离地址：没有网关，主机无法区分隔离和网络分区。没有网关时，\
             只有与主机处于同一管理子网的 vCenter、NTP、DNS、syslog 和 Active Directory 才能访问，从远程\
             存储库进行的升级也会失败。",
    },
    remediation: Doc {
        en: "Set the management gateway: `esxcli network ip route ipv4 add -n default -g \
             <gateway>` or `Get-VMHostNetwork -VMHost <host> | Set-VMHostNetwork -VMKernelGateway \
             <gateway>` (DCUI: Configure Management Network > IPv4 Configuration).",
        zh: "设置管理网络网关：`esxcli network ip route ipv4 add -n default -g <网关>`，或 \
             `Get-VMHostNetwork -VMHost <主机> | Set-VMHostNetwork -VMKernelGateway <网关>`\
             （DCUI：配置管理网络 > IPv4 配置）。",
    },
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
        text!(
            "The management TCP/IP stack (defaultTcpipStack) has no default gateway: vCenter, NTP, DNS and syslog outside the management subnet are unreachable, and HA has no default isolation address.",
            "管理 TCP/IP 堆栈（defaultTcpipStack）没有默认网关：管理子网之外的 vCenter、NTP、DNS 和 syslog 均无法访问，HA 也没有默认的隔离地址。"
        ),
        text!(
            "Set the management gateway: esxcli network ip route ipv4 add -n default -g <gateway>, or Get-VMHostNetwork -VMHost {host} | Set-VMHostNetwork -VMKernelGateway <gateway>.",
            "请设置管理网络网关：esxcli network ip route ipv4 add -n default -g <网关>，或 Get-VMHostNetwork -VMHost {host} | Set-VMHostNetwork -VMKernelGateway <网关>。"
        ),
    )]
}
