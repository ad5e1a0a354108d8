//! GW001 multiple-default-gateways: more than one default gateway in effect on one TCP/IP stack.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::findings::{Category, Severity};
use crate::rules::net::{self, Gateway};
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "GW001",
    name: "multiple-default-gateways",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: Doc {
        en: "More than one default gateway is in effect on one TCP/IP stack of a host.",
        zh: "主机的同一个 TCP/IP 堆栈上有多个默认网关同时生效。",
    },
    checks: Doc {
        en: "For every TCP/IP stack of a host, collects the stack's default gateway and the \
             gateway override of every vmk on that stack that differs from it. More than one \
             distinct gateway is a finding, reported once per stack (object: the stack key).",
        zh: "对主机的每个 TCP/IP 堆栈，收集堆栈的默认网关，以及该堆栈上每个 VMkernel 适配器中与之不同的\
             替代网关（override）。如果存在一个以上不同的网关，即报告一条发现项，每个堆栈一条（对象：堆栈名称）。",
    },
    why: Doc {
        en: "A stack has one routing table. When adapters on different subnets each bring \
             their own gateway, traffic to remote networks leaves through whichever route wins, \
             often the wrong adapter: vMotion, NFS or replication traffic crosses the management \
             network, asymmetric routing is dropped by firewalls, and HA isolation checks give \
             wrong answers. Only one adapter per stack may hold the default gateway; services \
             that must be routed separately belong on their own stack (vMotion, provisioning).",
        zh: "一个 TCP/IP 堆栈只有一张路由表。位于不同子网的适配器各自带有网关时，发往远程网络的流量会从\
             优先匹配的路由出去，常常走错适配器：vMotion、NFS 或复制流量会穿过管理网络，非对称路由会被\
             防火墙丢弃，HA 隔离检测也会得出错误结果。每个堆栈只应有一个适配器持有默认网关；需要单独路由\
             的服务应使用各自的 TCP/IP 堆栈（vMotion 堆栈、置备堆栈）。",
    },
    remediation: Doc {
        en: "Keep one default gateway per stack. Clear the vmk's gateway override (vSphere \
             Client: Host > Configure > VMkernel adapters > Edit > IPv4 settings > untick \
             \"Override default gateway for this adapter\"), or move the service to its own TCP/IP \
             stack with its own gateway: `esxcli network ip interface add -i vmkN -p <portgroup> \
             -N vmotion` then `esxcli network ip route ipv4 add -N vmotion -n default -g <gateway>`.",
        zh: "每个堆栈只保留一个默认网关。清除该 VMkernel 适配器的替代网关（vSphere Client：主机 > 配置 > \
             VMkernel 适配器 > 编辑 > IPv4 设置 > 取消勾选“替代此适配器的默认网关”），或将该服务迁移到拥有\
             自己网关的独立 TCP/IP 堆栈：`esxcli network ip interface add -i vmkN -p <端口组> -N vmotion`，\
             然后 `esxcli network ip route ipv4 add -N vmotion -n default -g <网关>`。",
    },
    references: &[
        "VMware KB 2010877 (multihoming on ESXi VMkernel networking)",
        "vSphere Networking: Create a VMkernel adapter on a custom TCP/IP stack",
    ],
    needs: &[Data::Netstacks],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let host = ctx.host;
    let mut stacks: BTreeSet<&str> = host
        .netstacks
        .iter()
        .flatten()
        .map(|n| n.key.as_str())
        .collect();
    stacks.extend(host.vmks.iter().map(net::stack_of));
    let mut hits = Vec::new();
    for stack in stacks {
        let stack_gw = net::stack_gateway(host, stack).valid();
        let mut gws: Vec<(Ipv4Addr, String, String)> = Vec::new();
        if let Some(g) = stack_gw {
            gws.push((g, "stack".into(), "堆栈".into()));
        }
        for vmk in net::sorted_vmks(host) {
            if net::stack_of(vmk) != stack {
                continue;
            }
            if let Some(g) = Gateway::parse(vmk.gateway.as_deref()).valid() {
                if Some(g) != stack_gw {
                    let dev = &vmk.device;
                    gws.push((g, format!("override on {dev}"), format!("{dev} 的替代网关")));
                }
            }
        }
        let distinct: BTreeSet<Ipv4Addr> = gws.iter().map(|g| g.0).collect();
        if distinct.len() < 2 {
            continue;
        }
        let n = distinct.len();
        let list: Vec<String> = gws.iter().map(|(g, w, _)| format!("{g} ({w})")).collect();
        let list_zh: Vec<String> = gws.iter().map(|(g, _, w)| format!("{g}（{w}）")).collect();
        let (list, list_zh) = (net::list(&list), net::list_zh(&list_zh));
        hits.push(ctx.hit(
            Some(stack),
            text!(
                "{n} default gateways are in effect on TCP/IP stack {stack}: {list}. A stack routes through one gateway; traffic to other networks may leave through the wrong adapter.",
                "TCP/IP 堆栈 {stack} 上同时生效 {n} 个默认网关：{list_zh}。一个堆栈只能经由一个网关路由，发往其他网络的流量可能从错误的适配器发出。"
            ),
            text!(
                "Keep one gateway on {stack}: clear the gateway override of the adapters listed (vSphere Client: VMkernel adapter > Edit > IPv4 settings > untick \"Override default gateway for this adapter\"), or move their service to its own TCP/IP stack with its own gateway (esxcli network ip route ipv4 add -N <stack> -n default -g <gateway>).",
                "请在 {stack} 上只保留一个网关：清除上述适配器的替代网关（vSphere Client：VMkernel 适配器 > 编辑 > IPv4 设置 > 取消勾选“替代此适配器的默认网关”），或将其服务迁移到拥有独立网关的 TCP/IP 堆栈（esxcli network ip route ipv4 add -N <堆栈> -n default -g <网关>）。"
            ),
        ));
    }
    hits
}
