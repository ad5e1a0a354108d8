//! ADDR004 invalid-address: an invalid IPv4 address, netmask or gateway.

use std::net::Ipv4Addr;

use crate::findings::{Category, Severity};
use crate::i18n::{self, Msg};
use crate::msg;
use crate::rules::net::{self, Gateway};
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

pub static RULE: Rule = Rule {
    id: "ADDR004",
    name: "invalid-address",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: "A vmk has an invalid IPv4 address or netmask (or a stack an invalid gateway).",
    checks: "Parses every vmk's IPv4 address and netmask (surrounding whitespace is ignored) and \
        reports values that are not IPv4 at all; netmasks that are not contiguous; \
        addresses that cannot be a host's (loopback, multicast, broadcast, reserved \
        240.0.0.0/4, 0.0.0.0 on a static vmk) or that are the network or broadcast \
        address of their own subnet. Unparsable vmk gateway overrides and stack gateways are \
        reported too. A vmk with no address at all (e.g. IPv6 only) is not reported. Object: \
        the vmk, or the stack key for a stack gateway.",
    why: "An address that cannot work means the service on that vmk is down, and the other \
        rules cannot check it (subnets, gateways and duplicates all need a valid address). \
        Such values usually come from typos in host profiles or in automation.",
    remediation:
        "Set a valid address and netmask: `esxcli network ip interface ipv4 set -i vmkN -t \
        static -I <ip> -N <netmask>` (PowerCLI: `Set-VMHostNetworkAdapter -IP <ip> \
        -SubnetMask <mask>`).",
    fix: None,
    checklist: "Valid IPv4 addresses and netmasks",
    references: &[
        "RFC 1122 section 3.2.1.3 (addresses a host may not use)",
        "RFC 950 (subnet masks)",
    ],
    needs: &[Data::Ipv4],
    params: &[],
    active: None,
    check: Check::Host(check),
};

/// Why `addr` cannot be a vmk's address, if it cannot.
fn bad_address(addr: Ipv4Addr, dhcp: bool) -> Option<Msg> {
    if addr.is_unspecified() {
        return (!dhcp).then(|| msg!("ADDR004.unspecified", "0.0.0.0 (no address)"));
    }
    if addr.is_loopback() {
        return Some(msg!("ADDR004.loopback", "a loopback address"));
    }
    if addr.is_multicast() {
        return Some(msg!("ADDR004.multicast", "a multicast address"));
    }
    if addr.is_broadcast() {
        return Some(msg!("ADDR004.broadcast", "the broadcast address"));
    }
    if addr.octets()[0] >= 240 {
        return Some(msg!(
            "ADDR004.reserved",
            "in the reserved range 240.0.0.0/4"
        ));
    }
    None
}

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let dev = &vmk.device;
        let mut problems: Vec<Msg> = Vec::new();
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
                    if let Some(what) = bad_address(a, vmk.dhcp == Some(true)) {
                        problems.push(msg!(
                            "ADDR004.address_is",
                            "address {addr} is {what}",
                            addr = s,
                            what
                        ));
                    }
                    Some(a)
                }
                None => {
                    problems.push(msg!(
                        "ADDR004.not_ipv4",
                        "address `{addr}` is not an IPv4 address",
                        addr = s
                    ));
                    None
                }
            },
        };
        let prefix = match mask_raw {
            None => None,
            Some(mask) => match net::parse_ipv4(mask).map(ipnet::ipv4_mask_to_prefix) {
                Some(Ok(p)) if p > 0 => Some(p),
                Some(Ok(_)) => {
                    problems.push(msg!(
                        "ADDR004.mask_no_network_bits",
                        "netmask {mask} has no network bits",
                        mask
                    ));
                    None
                }
                Some(Err(_)) => {
                    problems.push(msg!(
                        "ADDR004.mask_not_contiguous",
                        "netmask {mask} is not contiguous",
                        mask
                    ));
                    None
                }
                None => {
                    problems.push(msg!(
                        "ADDR004.mask_not_ipv4",
                        "netmask `{mask}` is not an IPv4 netmask",
                        mask
                    ));
                    None
                }
            },
        };
        if let (Some(addr), Some(p)) = (addr, prefix) {
            if problems.is_empty() && p <= 30 {
                if let Ok(n) = ipnet::Ipv4Net::new(addr, p) {
                    let net = n.trunc();
                    if addr == n.network() {
                        problems.push(msg!(
                            "ADDR004.network_address",
                            "{addr} is the network address of {net}",
                            addr,
                            net
                        ));
                    } else if addr == n.broadcast() {
                        problems.push(msg!(
                            "ADDR004.broadcast_address",
                            "{addr} is the broadcast address of {net}",
                            addr,
                            net
                        ));
                    }
                }
            }
        }
        if let Gateway::Invalid(gw) = Gateway::parse(vmk.gateway.as_deref()) {
            problems.push(msg!(
                "ADDR004.gateway_not_ipv4",
                "gateway override `{gw}` is not an IPv4 address",
                gw
            ));
        }
        if problems.is_empty() {
            continue;
        }
        let problems = i18n::clauses(problems);
        hits.push(ctx.hit(
            Some(dev),
            msg!(
                "ADDR004.message",
                "{dev} has an invalid IPv4 configuration: {problems}.",
                dev,
                problems
            ),
            fix(dev),
        ));
    }
    for stack in ctx.host.netstacks.iter().flatten() {
        if let Gateway::Invalid(g) = Gateway::parse(stack.gateway.as_deref()) {
            let key = &stack.key;
            hits.push(ctx.hit(
                Some(key),
                msg!(
                    "ADDR004.stack_gateway",
                    "The default gateway `{g}` of TCP/IP stack {key} is not an IPv4 address.",
                    g,
                    key,
                ),
                msg!(
                    "ADDR004.stack_gateway.fix",
                    "Set a valid gateway: esxcli network ip route ipv4 add -N {key} -n default -g <gateway>.",
                    key,
                ),
            ));
        }
    }
    hits
}

fn fix(dev: &str) -> Msg {
    msg!(
        "ADDR004.fix",
        "Set a valid static address and netmask: esxcli network ip interface ipv4 set -i {dev} -t static -I <ip> -N <netmask> (PowerCLI: Set-VMHostNetworkAdapter -IP <ip> -SubnetMask <mask>).",
        dev,
    )
}
