//! GW002 gateway-unreachable: a stack's default gateway is outside the subnets of all its vmks.

use crate::findings::{Category, Severity};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "GW002",
    name: "gateway-unreachable",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: Doc {
        en: "A TCP/IP stack's default gateway lies outside the subnets of all the stack's vmks.",
        zh: "TCP/IP 堆栈的默认网关不在该堆栈任何 VMkernel 适配器的子网内。",
    },
    checks: Doc {
        en: "For every TCP/IP stack with a default gateway, checks that the gateway lies inside \
             the IPv4 subnet (address and netmask) of at least one vmk on that stack. Stacks \
             without a vmk that has a valid static address are skipped. Object: the stack key.",
        zh: "对每个配置了默认网关的 TCP/IP 堆栈，检查该网关是否位于该堆栈上至少一个 VMkernel 适配器的 \
             IPv4 子网（地址和子网掩码）内。没有任何有效静态地址适配器的堆栈将被跳过。对象：堆栈名称。",
    },
    why: Doc {
        en: "A gateway must be on-link: the host ARPs for it on one of the stack's adapters. A \
             gateway outside every subnet cannot be reached, so everything that must be routed \
             (vCenter, syslog, NTP, DNS, HA isolation address, routed vMotion) fails, usually \
             after a typo in the gateway or netmask.",
        zh: "网关必须与适配器处于同一链路：主机需要通过该堆栈的某个适配器对网关进行 ARP 解析。不在任何子网内\
             的网关无法到达，所有需要路由的流量（vCenter、syslog、NTP、DNS、HA 隔离地址、跨子网 vMotion）\
             都会失败，通常是网关或子网掩码输入错误所致。",
    },
    remediation: Doc {
        en: "Correct the gateway or the adapter's netmask: `esxcli network ip route ipv4 remove \
             -N <stack> -n default -g <old>` and `esxcli network ip route ipv4 add -N <stack> -n \
             default -g <gateway in the vmk subnet>`; for the management stack also \
             `Get-VMHostNetwork -VMHost <host> | Set-VMHostNetwork -VMKernelGateway <gateway>`.",
        zh: "更正网关或适配器的子网掩码：`esxcli network ip route ipv4 remove -N <堆栈> -n default -g <旧网关>`，\
             再执行 `esxcli network ip route ipv4 add -N <堆栈> -n default -g <位于适配器子网内的网关>`；\
             管理堆栈也可使用 `Get-VMHostNetwork -VMHost <主机> | Set-VMHostNetwork -VMKernelGateway <网关>`。",
    },
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
        let nets: Vec<String> = subnets.iter().map(|n| n.to_string()).collect();
        let (nets, nets_zh) = (net::list(&nets), net::list_zh(&nets));
        let host_name = &host.name;
        hits.push(ctx.hit(
            Some(key),
            text!(
                "The default gateway {gw} of TCP/IP stack {key} is outside every subnet of its vmks ({nets}): it cannot be reached, so routed traffic on this stack fails.",
                "TCP/IP 堆栈 {key} 的默认网关 {gw} 不在其任何 VMkernel 适配器的子网（{nets_zh}）内，无法到达，该堆栈上需要路由的流量将会失败。"
            ),
            text!(
                "Set a gateway inside {nets}, or correct the adapter's netmask: esxcli network ip route ipv4 remove -N {key} -n default -g {gw}; esxcli network ip route ipv4 add -N {key} -n default -g <gateway> (PowerCLI for the management stack: Get-VMHostNetwork -VMHost {host_name} | Set-VMHostNetwork -VMKernelGateway <gateway>).",
                "请设置位于 {nets_zh} 内的网关，或更正适配器的子网掩码：esxcli network ip route ipv4 remove -N {key} -n default -g {gw}；esxcli network ip route ipv4 add -N {key} -n default -g <网关>（管理堆栈可用 PowerCLI：Get-VMHostNetwork -VMHost {host_name} | Set-VMHostNetwork -VMKernelGateway <网关>）。"
            ),
        ));
    }
    hits
}
