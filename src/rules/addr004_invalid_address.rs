//! ADDR004 invalid-address: an invalid IPv4 address, netmask or gateway.

use std::net::Ipv4Addr;

use crate::findings::{Category, Severity};
use crate::i18n::Text;
use crate::rules::net::{self, Gateway};
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "ADDR004",
    name: "invalid-address",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: Doc {
        en: "A vmk has an invalid IPv4 address or netmask (or a stack an invalid gateway).",
        zh: "VMkernel 适配器的 IPv4 地址或子网掩码无效（或堆栈网关无效）。",
    },
    checks: Doc {
        en: "Parses every vmk's IPv4 address and netmask (surrounding whitespace is ignored) and \
             reports values that are not IPv4 at all; netmasks that are not contiguous; \
             addresses that cannot be a host's (loopback, multicast, broadcast, reserved \
             240.0.0.0/4, 0.0.0.0 on a static vmk) or that are the network or broadcast \
             address of their own subnet. Unparsable vmk gateway overrides and stack gateways are \
             reported too. A vmk with no address at all (e.g. IPv6 only) is not reported. Object: \
             the vmk, or the stack key for a stack gateway.",
        zh: "解析每个 VMkernel 适配器的 IPv4 地址和子网掩码（忽略首尾空白），报告以下情况：根本不是 IPv4 的值；\
             不连续的子网掩码；不能作为主机地址的地址（环回、组播、广播、保留的 240.0.0.0/4、静态适配器上的 \
             0.0.0.0），或者是其所在子网的网络地址或广播地址。无法解析的适配器替代网关和堆栈网关也会被报告。\
             完全没有 IPv4 地址的适配器（例如仅 IPv6）不报告。对象：该适配器；堆栈网关则为堆栈名称。",
    },
    why: Doc {
        en: "An address that cannot work means the service on that vmk is down, and the other \
             rules cannot check it (subnets, gateways and duplicates all need a valid address). \
             Such values usually come from typos in host profiles or in automation.",
        zh: "无法工作的地址意味着该适配器上的服务已中断，其他规则也无法对其进行检查（子网、网关和重复检查都需要\
             有效地址）。这类值通常来自主机配置文件或自动化脚本中的输入错误。",
    },
    remediation: Doc {
        en: "Set a valid address and netmask: `esxcli network ip interface ipv4 set -i vmkN -t \
             static -I <ip> -N <netmask>` (PowerCLI: `Set-VMHostNetworkAdapter -IP <ip> \
             -SubnetMask <mask>`).",
        zh: "设置有效的地址和子网掩码：`esxcli network ip interface ipv4 set -i vmkN -t static -I <地址> -N \
             <子网掩码>`（PowerCLI：`Set-VMHostNetworkAdapter -IP <地址> -SubnetMask <掩码>`）。",
    },
    references: &["RFC 1122 section 3.2.1.3 (addresses a host may not use)", "RFC 950 (subnet masks)"],
    needs: &[Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

/// Why `addr` cannot be a vmk's address, if it cannot.
fn bad_address(addr: Ipv4Addr, dhcp: bool) -> Option<(&'static str, &'static str)> {
    if addr.is_unspecified() {
        return (!dhcp).then_some(("0.0.0.0 (no address)", "0.0.0.0（无地址）"));
    }
    if addr.is_loopback() {
        return Some(("a loopback address", "环回地址"));
    }
    if addr.is_multicast() {
        return Some(("a multicast address", "组播地址"));
    }
    if addr.is_broadcast() {
        return Some(("the broadcast address", "广播地址"));
    }
    if addr.octets()[0] >= 240 {
        return Some((
            "in the reserved range 240.0.0.0/4",
            "位于保留地址段 240.0.0.0/4",
        ));
    }
    None
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let dev = &vmk.device;
        let mut en: Vec<String> = Vec::new();
        let mut zh: Vec<String> = Vec::new();
        let addr_raw = vmk.ipv4.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let mask_raw = vmk
            .netmask
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let addr = match addr_raw {
            None => None,
            Some(s) => match net::parse_ipv4(s) {
                Some(a) => {
                    if let Some((e, z)) = bad_address(a, vmk.dhcp == Some(true)) {
                        en.push(format!("address {s} is {e}"));
                        zh.push(format!("地址 {s} 是{z}"));
                    }
                    Some(a)
                }
                None => {
                    en.push(format!("address `{s}` is not an IPv4 address"));
                    zh.push(format!("地址 `{s}` 不是 IPv4 地址"));
                    None
                }
            },
        };
        let prefix = match mask_raw {
            None => None,
            Some(s) => match net::parse_ipv4(s).map(ipnet::ipv4_mask_to_prefix) {
                Some(Ok(p)) if p > 0 => Some(p),
                Some(Ok(_)) => {
                    en.push(format!("netmask {s} has no network bits"));
                    zh.push(format!("子网掩码 {s} 没有网络位"));
                    None
                }
                Some(Err(_)) => {
                    en.push(format!("netmask {s} is not contiguous"));
                    zh.push(format!("子网掩码 {s} 不连续"));
                    None
                }
                None => {
                    en.push(format!("netmask `{s}` is not an IPv4 netmask"));
                    zh.push(format!("子网掩码 `{s}` 不是 IPv4 子网掩码"));
                    None
                }
            },
        };
        if let (Some(a), Some(p)) = (addr, prefix) {
            if en.is_empty() && p <= 30 {
                if let Ok(n) = ipnet::Ipv4Net::new(a, p) {
                    if a == n.network() {
                        en.push(format!("{a} is the network address of {}", n.trunc()));
                        zh.push(format!("{a} 是 {} 的网络地址", n.trunc()));
                    } else if a == n.broadcast() {
                        en.push(format!("{a} is the broadcast address of {}", n.trunc()));
                        zh.push(format!("{a} 是 {} 的广播地址", n.trunc()));
                    }
                }
            }
        }
        if let Gateway::Invalid(g) = Gateway::parse(vmk.gateway.as_deref()) {
            en.push(format!("gateway override `{g}` is not an IPv4 address"));
            zh.push(format!("替代网关 `{g}` 不是 IPv4 地址"));
        }
        if en.is_empty() {
            continue;
        }
        let (en, zh) = (en.join("; "), zh.join("；"));
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "{dev} has an invalid IPv4 configuration: {en}.",
                "{dev} 的 IPv4 配置无效：{zh}。"
            ),
            fix(dev),
        ));
    }
    for stack in ctx.host.netstacks.iter().flatten() {
        if let Gateway::Invalid(g) = Gateway::parse(stack.gateway.as_deref()) {
            let key = &stack.key;
            hits.push(ctx.hit(
                Some(key),
                text!(
                    "The default gateway `{g}` of TCP/IP stack {key} is not an IPv4 address.",
                    "TCP/IP 堆栈 {key} 的默认网关 `{g}` 不是 IPv4 地址。"
                ),
                text!(
                    "Set a valid gateway: esxcli network ip route ipv4 add -N {key} -n default -g <gateway>.",
                    "请设置有效的网关：esxcli network ip route ipv4 add -N {key} -n default -g <网关>。"
                ),
            ));
        }
    }
    hits
}

fn fix(dev: &str) -> Text {
    text!(
        "Set a valid static address and netmask: esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <netmask> (PowerCLI: Set-VMHostNetworkAdapter -IP <ip> -SubnetMask <mask>).",
        "请设置有效的静态地址和子网掩码：esxcli network ip interface ipv4 set -i {dev} -t static -I <地址> -N <子网掩码>（PowerCLI：Set-VMHostNetworkAdapter -IP <地址> -SubnetMask <掩码>）。"
    )
}
