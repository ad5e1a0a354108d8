//! GW001 multiple-default-gateways: more than one default gateway in effect on one TCP/IP stack.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::msg;
use crate::rules::net::{self, Gateway};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "GW001",
    name: "multiple-default-gateways",
    category: Category::Gateway,
    severity: Severity::Error,
    summary: "More than one default gateway is in effect on one TCP/IP stack of a host.",
    checks: "For every TCP/IP stack of a host, collects the stack's default gateway and the \
        gateway override of every vmk on that stack that differs from it. More than one \
        distinct gateway is a finding, reported once per stack (object: the stack key).",
    why: "A stack has one routing table. When adapters on different subnets each bring \
        their own gateway, traffic to remote networks leaves through whichever route wins, \
        often the wrong adapter: vMotion, NFS or replication traffic crosses the management \
        network, asymmetric routing is dropped by firewalls, and HA isolation checks give \
        wrong answers. Only one adapter per stack may hold the default gateway; services \
        that must be routed separately belong on their own stack (vMotion, provisioning).",
    remediation: "Keep one default gateway per stack. Clear the vmk's gateway override (vSphere \
        Client: Host > Configure > VMkernel adapters > Edit > IPv4 settings > untick \
        \"Override default gateway for this adapter\"), or move the service to its own TCP/IP \
        stack with its own gateway: `esxcli network ip interface add -i vmkN -p <portgroup> \
        -N vmotion` then `esxcli network ip route ipv4 add -N vmotion -n default -g <gateway>`.",
    fix: None,
    checklist: "One default gateway per TCP/IP stack",
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
        let mut gws: Vec<(Ipv4Addr, Msg)> = Vec::new();
        if let Some(gw) = stack_gw {
            gws.push((gw, msg!("GW001.gateway.stack", "{gw} (stack)", gw)));
        }
        for vmk in net::sorted_vmks(host) {
            if net::stack_of(vmk) != stack {
                continue;
            }
            if let Some(gw) = Gateway::parse(vmk.gateway.as_deref()).valid() {
                if Some(gw) != stack_gw {
                    let dev = &vmk.device;
                    gws.push((
                        gw,
                        msg!(
                            "GW001.gateway.override",
                            "{gw} (override on {dev})",
                            gw,
                            dev
                        ),
                    ));
                }
            }
        }
        let distinct: BTreeSet<Ipv4Addr> = gws.iter().map(|g| g.0).collect();
        if distinct.len() < 2 {
            continue;
        }
        let n = distinct.len();
        let list = i18n::list(gws.into_iter().map(|(_, w)| w));
        hits.push(ctx.hit(
            Some(stack),
            msg!(
                "GW001.message",
                "{n} default gateways are in effect on TCP/IP stack {stack}: {list}. A stack routes through one gateway; traffic to other networks may leave through the wrong adapter.",
                n,
                stack,
                list,
            ),
            msg!(
                "GW001.fix",
                "Keep one gateway on {stack}: clear the gateway override of the adapters listed (vSphere Client: VMkernel adapter > Edit > IPv4 settings > untick \"Override default gateway for this adapter\"), or move their service to its own TCP/IP stack with its own gateway (esxcli network ip route ipv4 add -N <stack> -n default -g <gateway>).",
                stack,
            ),
        ));
    }
    hits
}
