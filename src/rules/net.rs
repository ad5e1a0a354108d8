//! Helpers the rules share: tolerant IPv4 parsing, gateways, stacks, service names, vmk order,
//! majorities. All subnet math uses `ipnet`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::{service, FirewallRuleset, Host, Vmk, DEFAULT_NETSTACK};

/// The traffic types that must each have their own vmk (SEP002, SEP003).
pub const SEPARATED: &[&str] = &[
    service::VMOTION,
    service::FT_LOGGING,
    service::VSAN,
    service::REPLICATION,
    service::REPLICATION_NFC,
    service::PROVISIONING,
    service::NVME_TCP,
    service::NVME_RDMA,
];

/// Parse an IPv4 address, ignoring surrounding whitespace.
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.trim().parse().ok()
}

/// A gateway value as a source gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gateway {
    /// No gateway (missing, empty or `0.0.0.0`).
    None,
    Valid(Ipv4Addr),
    /// Not an IPv4 address (reported by ADDR004).
    Invalid(String),
}

impl Gateway {
    pub fn parse(raw: Option<&str>) -> Gateway {
        match raw.map(str::trim) {
            None | Some("") => Gateway::None,
            Some(s) => match parse_ipv4(s) {
                Some(a) if a.is_unspecified() => Gateway::None,
                Some(a) => Gateway::Valid(a),
                None => Gateway::Invalid(s.to_string()),
            },
        }
    }

    pub fn valid(&self) -> Option<Ipv4Addr> {
        match self {
            Gateway::Valid(a) => Some(*a),
            _ => None,
        }
    }
}

/// The TCP/IP stack a vmk is on (the default stack when the source does not say).
pub fn stack_of(vmk: &Vmk) -> &str {
    match vmk.netstack.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s,
        _ => DEFAULT_NETSTACK,
    }
}

/// The TCP/IP stack a vmk is on, when it can be known: a vmk whose source does not say may be
/// assumed on the default stack unless it carries vMotion or provisioning traffic, which often
/// have their own stacks (then it is unknown, `None`).
pub fn known_stack(vmk: &Vmk) -> Option<&str> {
    match vmk.netstack.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Some(s),
        _ if services(vmk)
            .iter()
            .any(|s| s == service::VMOTION || s == service::PROVISIONING) =>
        {
            None
        }
        _ => Some(DEFAULT_NETSTACK),
    }
}

/// The gateway of `stack` on `host` (`Gateway::None` when the stack is unknown or has none).
pub fn stack_gateway(host: &Host, stack: &str) -> Gateway {
    Gateway::parse(host.netstack(stack).and_then(|n| n.gateway.as_deref()))
}

/// Whether `vmk` can route off its subnet: its own override gateway or its stack's gateway.
pub fn has_route(host: &Host, vmk: &Vmk) -> bool {
    Gateway::parse(vmk.gateway.as_deref()).valid().is_some()
        || stack_gateway(host, stack_of(vmk)).valid().is_some()
}

/// The vmk's IPv4 interface (address and prefix) when both are valid and the address is set.
pub fn interface(vmk: &Vmk) -> Option<Ipv4Net> {
    vmk.ipv4_net().filter(|n| !n.addr().is_unspecified())
}

/// The vmk's subnet (network address and prefix).
pub fn subnet(vmk: &Vmk) -> Option<Ipv4Net> {
    interface(vmk).map(|n| n.trunc())
}

/// The vmk's services (empty when unknown).
pub fn services(vmk: &Vmk) -> &[String] {
    vmk.services.as_deref().unwrap_or(&[])
}

/// The services of `of` that the vmk carries, in `of`'s order.
pub fn carried(vmk: &Vmk, of: &[&'static str]) -> Vec<&'static str> {
    of.iter()
        .copied()
        .filter(|s| services(vmk).iter().any(|x| x == s))
        .collect()
}

/// The vmk's separated traffic types, in [`SEPARATED`] order.
pub fn separated(vmk: &Vmk) -> Vec<&'static str> {
    carried(vmk, SEPARATED)
}

/// `esxcli` commands that remove `services` from the vmk `dev`, joined with `; `.
pub fn untag_commands(dev: &str, services: &[&str]) -> String {
    services
        .iter()
        .map(|s| {
            format!(
                "esxcli network ip interface tag remove -i {dev} -t {}",
                esxcli_tag(s)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The host's enabled firewall rulesets that `keep` accepts, sorted by key; none when the
/// firewall was not collected (the engine reports that as COV002).
pub fn enabled_rulesets(
    host: &Host,
    keep: impl Fn(&FirewallRuleset) -> bool,
) -> Vec<&FirewallRuleset> {
    let Some(fw) = &host.firewall else {
        return Vec::new();
    };
    let mut rulesets: Vec<_> = fw
        .rulesets
        .iter()
        .filter(|r| r.enabled && keep(r))
        .collect();
    rulesets.sort_by(|a, b| a.key.cmp(&b.key));
    rulesets
}

/// The host's vmks in natural device order.
pub fn sorted_vmks(host: &Host) -> Vec<&Vmk> {
    let mut v: Vec<&Vmk> = host.vmks.iter().collect();
    v.sort_by(|a, b| crate::model::device_order(&a.device, &b.device));
    v
}

/// The `esxcli network ip interface tag` name of a service (nicType).
pub fn esxcli_tag(service: &str) -> &str {
    match service {
        service::MANAGEMENT => "Management",
        service::VMOTION => "VMotion",
        service::VSAN => "VSAN",
        service::VSAN_WITNESS => "VSANWitness",
        service::NVME_TCP => "NVMeTCP",
        service::NVME_RDMA => "NVMeRDMA",
        other => other,
    }
}

/// The PowerCLI `Set-VMHostNetworkAdapter` switch for a service, when there is one.
pub fn powercli_switch(service: &str) -> Option<&'static str> {
    match service {
        service::MANAGEMENT => Some("-ManagementTrafficEnabled"),
        service::VMOTION => Some("-VMotionEnabled"),
        service::FT_LOGGING => Some("-FaultToleranceLoggingEnabled"),
        service::VSAN => Some("-VsanTrafficEnabled"),
        _ => None,
    }
}

/// The reference value among `values`: the most common one; on a tie the largest (for MTUs, the
/// deliberately configured jumbo frames; for subnets, made deterministic).
pub fn majority<T: Ord + Copy>(values: impl IntoIterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(v, _)| v)
}

/// How many of `values` equal each distinct value, as `9000 ×3, 1500 ×1` (most common first).
pub fn tally<T: Ord + Copy + std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut v: Vec<(T, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    v.iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `a, b, c`.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| s.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The host's cluster as shown in messages.
pub fn cluster_label(host: &Host) -> &str {
    host.cluster
        .as_deref()
        .unwrap_or(crate::findings::STANDALONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_parsing_is_tolerant() {
        assert_eq!(Gateway::parse(None), Gateway::None);
        assert_eq!(Gateway::parse(Some(" ")), Gateway::None);
        assert_eq!(Gateway::parse(Some("0.0.0.0")), Gateway::None);
        assert_eq!(
            Gateway::parse(Some(" 10.0.0.1 ")),
            Gateway::Valid(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(
            Gateway::parse(Some("10.0.0.300")),
            Gateway::Invalid("10.0.0.300".into())
        );
    }

    #[test]
    fn unknown_stack_is_default_except_for_vmotion_and_provisioning() {
        let mut v = Vmk::named("vmk1");
        v.services = Some(vec!["vsan".into()]);
        assert_eq!(known_stack(&v), Some(DEFAULT_NETSTACK));
        v.services = Some(vec!["vmotion".into()]);
        assert_eq!(known_stack(&v), None);
        v.netstack = Some("vmotion".into());
        assert_eq!(known_stack(&v), Some("vmotion"));
    }

    #[test]
    fn majority_prefers_count_then_largest() {
        assert_eq!(majority([1500, 9000, 9000]), Some(9000));
        assert_eq!(majority([1500, 1500, 9000]), Some(1500));
        assert_eq!(majority([1500, 9000]), Some(9000));
        assert_eq!(majority::<u32>([]), None);
        assert_eq!(tally([1500, 9000, 9000]), "9000 ×2, 1500 ×1");
    }
}
