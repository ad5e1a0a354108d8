//! Helpers the rules share: tolerant IPv4 parsing, gateways, stacks, service names, vmk order,
//! majorities, and what the network rules need to know about networks: which vmks may sit on
//! one network ([`Networks`]: a routed subnet is one address space, a non-routed subnet reused
//! on another VLAN or switch is another network) and how a vmk's traffic reaches another
//! subnet ([`reach`]: static route, gateway override, own stack, or the default gateway). All
//! subnet math uses `ipnet`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};
use rustc_hash::FxHashSet;

use crate::model::{
    device_order, service, FirewallRuleset, Host, SwitchKind, Vmk, DEFAULT_NETSTACK,
};

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

/// The services whose vmks talk to each other within a cluster (vMotion, vSAN, FT logging,
/// provisioning), or to targets every host reaches fabric by fabric (NVMe/TCP, NVMe/RDMA): what
/// ADDR005 checks. Witness, replication, backup and PTP traffic goes to peers outside the
/// cluster (the witness host, the replication appliance, backup proxies, the PTP master).
pub const PEER_TO_PEER: &[&str] = &[
    service::VMOTION,
    service::VSAN,
    service::FT_LOGGING,
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

/// The vmk's gateway override when it is a second gateway: a valid address that is not its
/// stack's own gateway.
pub fn override_gateway(host: &Host, vmk: &Vmk) -> Option<Ipv4Addr> {
    let gw = Gateway::parse(vmk.gateway.as_deref()).valid()?;
    (Some(gw) != stack_gateway(host, stack_of(vmk)).valid()).then_some(gw)
}

/// Where a non-routed subnet lives: the vmk's VLAN and the scope of its switch (a distributed
/// or NSX switch: its name within the source and datacenter; a standard switch: the host's
/// cluster, or the host when standalone, whatever the switch is called there).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Segment<'a> {
    vlan: String,
    scope: [&'a str; 4],
}

/// The networks of a set of hosts: which subnets are routed, and so one address space
/// wherever they appear, and on which segment a vmk of a non-routed subnet is.
#[derive(Debug, Default)]
pub struct Networks {
    routed: FxHashSet<Ipv4Net>,
}

impl Networks {
    /// A subnet is routed when a gateway lies inside it: the gateway override of a vmk in it,
    /// the gateway of the stack of such a vmk, or the gateway of one of that stack's static
    /// routes.
    pub fn new<'h>(hosts: impl IntoIterator<Item = &'h Host>) -> Networks {
        let mut routed = FxHashSet::default();
        for host in hosts {
            for vmk in &host.vmks {
                let Some(net) = subnet(vmk) else {
                    continue;
                };
                let stack = host.netstack(stack_of(vmk));
                let routes = stack
                    .and_then(|n| n.routes.as_deref())
                    .unwrap_or(&[])
                    .iter()
                    .map(|r| r.gateway.as_str());
                let mut gateways = [
                    vmk.gateway.as_deref(),
                    stack.and_then(|n| n.gateway.as_deref()),
                ]
                .into_iter()
                .flatten()
                .chain(routes);
                if gateways.any(|g| {
                    Gateway::parse(Some(g))
                        .valid()
                        .is_some_and(|g| net.contains(&g))
                }) {
                    routed.insert(net);
                }
            }
        }
        Networks { routed }
    }

    pub fn is_routed(&self, net: Ipv4Net) -> bool {
        self.routed.contains(&net)
    }

    /// The segment of `vmk`'s subnet; `None` when the subnet is routed (one network wherever it
    /// is) or the vmk's VLAN or switch is unknown (then it may be on any of the subnet's
    /// networks).
    pub fn segment<'a>(&self, host: &'a Host, vmk: &'a Vmk) -> Option<Segment<'a>> {
        let net = subnet(vmk)?;
        if self.is_routed(net) {
            return None;
        }
        let vlan = vmk.vlan.as_ref()?.to_string();
        let name = vmk
            .switch
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())?;
        let kind = vmk
            .switch_kind
            .or_else(|| host.switch(name).map(|s| s.kind))?;
        let source = host.source.as_deref().unwrap_or("");
        let dc = host.datacenter.as_deref().unwrap_or("");
        let scope = match kind {
            SwitchKind::Distributed | SwitchKind::Nsx => [source, dc, "dvs", name],
            SwitchKind::Standard => [
                source,
                dc,
                "host",
                host.cluster.as_deref().unwrap_or(&host.name),
            ],
        };
        Some(Segment { vlan, scope })
    }
}

/// Whether two vmks may be on one network: not when both segments are known and differ.
pub fn may_share(a: &Option<Segment<'_>>, b: &Option<Segment<'_>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// The networks among the members of one subnet: one per known segment, each with the members
/// whose segment is unknown (they may be on any); one network of them all when no segment is
/// known.
pub fn split_networks<'a, T: Copy>(members: &[(Option<Segment<'a>>, T)]) -> Vec<Vec<T>> {
    let mut known: BTreeMap<&Segment<'a>, Vec<T>> = BTreeMap::new();
    for (seg, m) in members {
        if let Some(seg) = seg {
            known.entry(seg).or_default().push(*m);
        }
    }
    let unknown: Vec<T> = members
        .iter()
        .filter(|(s, _)| s.is_none())
        .map(|(_, m)| *m)
        .collect();
    if known.is_empty() {
        return vec![unknown];
    }
    known
        .into_values()
        .map(|mut v| {
            v.extend(unknown.iter().copied());
            v
        })
        .collect()
}

/// How traffic a vmk sends reaches another subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Routed for this vmk: a static route of its stack, its gateway override, its own stack's
    /// gateway, or a default-stack gateway in the vmk's own subnet.
    Routed,
    /// Only through the default stack's gateway, which is in another vmk's subnet (usually
    /// management's): the traffic leaves through that adapter.
    DefaultGateway(Ipv4Addr),
    /// No route at all.
    Unreachable,
}

/// How traffic from `vmk` reaches `dest` (a subnet other than the vmk's own). When the stack's
/// static routes are unknown (`null`), a default gateway counts as a route (a static route may
/// exist); no gateway at all is still unreachable.
pub fn reach(host: &Host, vmk: &Vmk, dest: Ipv4Net) -> Reach {
    let stack = stack_of(vmk);
    let routes = host.netstack(stack).and_then(|n| n.routes.as_deref());
    let covered = routes.unwrap_or(&[]).iter().any(|r| {
        matches!(r.net(), Some(IpNet::V4(n)) if n.contains(&dest))
            && Gateway::parse(Some(&r.gateway)).valid().is_some()
    });
    if covered || Gateway::parse(vmk.gateway.as_deref()).valid().is_some() {
        return Reach::Routed;
    }
    match stack_gateway(host, stack).valid() {
        None => Reach::Unreachable,
        Some(_) if stack != DEFAULT_NETSTACK || routes.is_none() => Reach::Routed,
        Some(gw) if subnet(vmk).is_some_and(|s| s.contains(&gw)) => Reach::Routed,
        Some(gw) => Reach::DefaultGateway(gw),
    }
}

/// How two vmks of one TCP/IP stack in one subnet stand (Broadcom KB 318546: multihoming is
/// not to be confused with iSCSI port binding or multi-NIC vMotion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pair {
    /// A supported design: multi-NIC vMotion (with or without provisioning on the same vmks),
    /// iSCSI port binding, or two vmks of one single service.
    Supported,
    /// Two vmks without services whose iSCSI binding is unknown but whose layout fits port
    /// binding (one active uplink each, different ones, no standby; or teaming unknown).
    Unverified,
    /// Multihoming.
    Multihomed,
}

/// See [`Pair`].
pub fn pair(a: &Vmk, b: &Vmk) -> Pair {
    let (sa, sb) = (services(a), services(b));
    fn set(s: &[String]) -> std::collections::BTreeSet<&str> {
        s.iter().map(String::as_str).collect()
    }
    let multi_nic_vmotion = |s: &[String]| {
        s.iter().any(|x| x == service::VMOTION)
            && s.iter()
                .all(|x| x == service::VMOTION || x == service::PROVISIONING)
    };
    if multi_nic_vmotion(sa) && set(sa) == set(sb) {
        return Pair::Supported;
    }
    if sa.len() == 1 && sa == sb {
        return Pair::Supported;
    }
    if !(sa.is_empty() && sb.is_empty() && a.services.is_some() && b.services.is_some()) {
        return Pair::Multihomed;
    }
    match (a.iscsi_bound, b.iscsi_bound) {
        (Some(true), Some(true)) => Pair::Supported,
        (Some(false), _) | (_, Some(false)) => Pair::Multihomed,
        _ => match (&a.teaming, &b.teaming) {
            (Some(ta), Some(tb)) => {
                let single =
                    |t: &crate::model::Teaming| t.active.len() == 1 && t.standby.is_empty();
                if single(ta) && single(tb) && ta.active != tb.active {
                    Pair::Unverified
                } else {
                    Pair::Multihomed
                }
            }
            _ => Pair::Unverified,
        },
    }
}

/// A vmk that shares its stack and subnet with an earlier vmk (in device order), with the
/// earlier vmk it stands worst with.
pub struct SharedSubnet<'a> {
    pub stack: &'a str,
    pub subnet: Ipv4Net,
    pub first: &'a Vmk,
    pub vmk: &'a Vmk,
    pub pair: Pair,
}

/// Every vmk of `host` in the subnet of an earlier vmk of its TCP/IP stack that is not a
/// [`Pair::Supported`] pair with it (the worst pair first). Vmks with unknown services are
/// skipped, and so are vMotion and provisioning vmks whose stack the source does not give.
pub fn shared_subnets(host: &Host) -> Vec<SharedSubnet<'_>> {
    let mut groups: BTreeMap<(&str, Ipv4Net), Vec<&Vmk>> = BTreeMap::new();
    for vmk in sorted_vmks(host) {
        if vmk.services.is_none() {
            continue;
        }
        if let (Some(stack), Some(subnet)) = (known_stack(vmk), subnet(vmk)) {
            groups.entry((stack, subnet)).or_default().push(vmk);
        }
    }
    let mut out = Vec::new();
    for ((stack, subnet), vmks) in groups {
        for (j, b) in vmks.iter().enumerate().skip(1) {
            let worst = vmks[..j]
                .iter()
                .map(|a| (pair(a, b), *a))
                .filter(|(p, _)| *p != Pair::Supported)
                .max_by(|x, y| {
                    x.0.cmp(&y.0)
                        .then_with(|| device_order(&y.1.device, &x.1.device))
                });
            if let Some((pair, first)) = worst {
                out.push(SharedSubnet {
                    stack,
                    subnet,
                    first,
                    vmk: b,
                    pair,
                });
            }
        }
    }
    out
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
    use crate::model::Route;

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

    fn vmk(dev: &str, ip: &str, stack: &str, services: &[&str]) -> Vmk {
        let mut v = Vmk::named(dev);
        v.ipv4 = Some(ip.into());
        v.netmask = Some("255.255.255.0".into());
        v.netstack = Some(stack.into());
        v.services = Some(services.iter().map(|s| s.to_string()).collect());
        v
    }

    fn host_with(vmks: Vec<Vmk>, default_gw: Option<&str>, routes: Option<Vec<Route>>) -> Host {
        let mut h = Host::named("esx01");
        h.vmks = vmks;
        let mut default = crate::model::Netstack::new(DEFAULT_NETSTACK, default_gw.map(Into::into));
        default.routes = routes;
        let mut vmotion = crate::model::Netstack::new("vmotion", None);
        vmotion.routes = Some(Vec::new());
        h.netstacks = Some(vec![default, vmotion]);
        h
    }

    #[test]
    fn reach_prefers_routes_overrides_and_own_stacks_over_the_default_gateway() {
        let peer: Ipv4Net = "10.0.31.0/24".parse().unwrap();
        let mgmt = vmk("vmk0", "10.0.10.11", DEFAULT_NETSTACK, &["management"]);
        let vsan = vmk("vmk2", "10.0.30.11", DEFAULT_NETSTACK, &["vsan"]);
        // Default gateway in the management subnet, routes known: leaves through management.
        let h = host_with(
            vec![mgmt.clone(), vsan.clone()],
            Some("10.0.10.1"),
            Some(vec![]),
        );
        let gw = Ipv4Addr::new(10, 0, 10, 1);
        assert_eq!(reach(&h, &h.vmks[1], peer), Reach::DefaultGateway(gw));
        // Routes unknown: a static route may exist.
        let h = host_with(vec![mgmt.clone(), vsan.clone()], Some("10.0.10.1"), None);
        assert_eq!(reach(&h, &h.vmks[1], peer), Reach::Routed);
        // A static route covering the peer (a summary route too).
        let route = |net: &str| Route {
            network: net.into(),
            gateway: "10.0.30.1".into(),
            device: None,
        };
        for net in ["10.0.31.0/24", "10.0.0.0/16"] {
            let h = host_with(
                vec![mgmt.clone(), vsan.clone()],
                Some("10.0.10.1"),
                Some(vec![route(net)]),
            );
            assert_eq!(reach(&h, &h.vmks[1], peer), Reach::Routed, "{net}");
        }
        // A route to somewhere else does not help.
        let h = host_with(
            vec![mgmt.clone(), vsan.clone()],
            Some("10.0.10.1"),
            Some(vec![route("10.0.32.0/24")]),
        );
        assert_eq!(reach(&h, &h.vmks[1], peer), Reach::DefaultGateway(gw));
        // The vmk's override.
        let mut over = vsan.clone();
        over.gateway = Some("10.0.30.1".into());
        let h = host_with(vec![mgmt.clone(), over], Some("10.0.10.1"), Some(vec![]));
        assert_eq!(reach(&h, &h.vmks[1], peer), Reach::Routed);
        // Own stack without a gateway: unreachable; with one: routed.
        let vm = vmk("vmk1", "10.0.20.11", "vmotion", &["vmotion"]);
        let mut h = host_with(vec![mgmt, vm], Some("10.0.10.1"), Some(vec![]));
        assert_eq!(reach(&h, &h.vmks[1], peer), Reach::Unreachable);
        h.netstacks.as_mut().unwrap()[1].gateway = Some("10.0.20.1".into());
        assert_eq!(reach(&h, &h.vmks[1], peer), Reach::Routed);
    }

    #[test]
    fn a_non_routed_subnet_is_split_by_vlan_and_switch_scope() {
        let mut a = vmk("vmk1", "192.168.20.11", "vmotion", &["vmotion"]);
        a.vlan = Some(crate::model::Vlan::Id(20));
        a.switch = Some("DVS-A".into());
        a.switch_kind = Some(SwitchKind::Distributed);
        let mut b = a.clone();
        b.switch = Some("DVS-B".into());
        let mut ha = host_with(vec![a.clone()], Some("10.0.10.1"), Some(vec![]));
        ha.cluster = Some("A".into());
        let mut hb = host_with(vec![b], Some("10.0.10.1"), Some(vec![]));
        hb.name = "esx02".into();
        hb.cluster = Some("B".into());
        let nets = Networks::new([&ha, &hb]);
        let (sa, sb) = (
            nets.segment(&ha, &ha.vmks[0]),
            nets.segment(&hb, &hb.vmks[0]),
        );
        assert!(sa.is_some() && !may_share(&sa, &sb));
        // An unknown VLAN may be on any network.
        let mut c = a.clone();
        c.vlan = None;
        assert!(may_share(&sa, &nets.segment(&ha, &c)));
        assert_eq!(
            split_networks(&[(sa.clone(), 1), (sb.clone(), 2), (None, 3)]),
            [vec![1, 3], vec![2, 3]]
        );
        // Routed (an override inside it on one host): one network everywhere.
        hb.vmks[0].gateway = Some("192.168.20.1".into());
        let nets = Networks::new([&ha, &hb]);
        assert!(nets.segment(&ha, &ha.vmks[0]).is_none());
    }

    #[test]
    fn pairs_in_one_subnet_follow_kb_318546() {
        let v = |dev: &str, services: &[&str]| vmk(dev, "10.0.20.11", DEFAULT_NETSTACK, services);
        let vp = ["vmotion", "vSphereProvisioning"];
        assert_eq!(
            pair(&v("a", &vp), &v("b", &["vSphereProvisioning", "vmotion"])),
            Pair::Supported
        );
        assert_eq!(pair(&v("a", &["vmotion"]), &v("b", &vp)), Pair::Multihomed);
        assert_eq!(
            pair(&v("a", &["management"]), &v("b", &[])),
            Pair::Multihomed
        );
        let (mut a, mut b) = (v("a", &[]), v("b", &[]));
        assert_eq!(
            pair(&a, &b),
            Pair::Unverified,
            "binding and teaming unknown"
        );
        let team = |nic: &str, standby: &[&str]| crate::model::Teaming {
            policy: None,
            active: vec![nic.into()],
            standby: standby.iter().map(|s| s.to_string()).collect(),
        };
        (a.teaming, b.teaming) = (Some(team("vmnic2", &[])), Some(team("vmnic3", &[])));
        assert_eq!(pair(&a, &b), Pair::Unverified);
        b.teaming = Some(team("vmnic3", &["vmnic2"]));
        assert_eq!(
            pair(&a, &b),
            Pair::Multihomed,
            "a standby uplink: not port binding"
        );
        (a.iscsi_bound, b.iscsi_bound) = (Some(true), Some(true));
        assert_eq!(pair(&a, &b), Pair::Supported);
        b.iscsi_bound = Some(false);
        assert_eq!(pair(&a, &b), Pair::Multihomed);
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
