//! ADDR001 duplicate-ip: one vmk IPv4 address appears more than once in the inventory.

use std::collections::hash_map::Entry;
use std::net::Ipv4Addr;

use rustc_hash::FxHashMap;

use crate::findings::{Category, Severity};
use crate::i18n;
use crate::model::Host;
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, EstateCtx, Hit, Param, Rule};

/// `duplicate_ip_scope`: where one address may appear only once.
pub static DUPLICATE_IP_SCOPE: Param<DuplicateScope> = Param {
    name: "duplicate_ip_scope",
    ty: "one of estate, source, datacenter, cluster",
    doc: "Where one address may appear only once: the whole checked inventory (`estate`), each \
        source, each datacenter of each source, or each cluster (a standalone host on its own). \
        Within it, ADDR001 already compares addresses per network (a non-routed subnet reused \
        on another VLAN or switch is another network); narrow it when reused subnets share \
        VLAN IDs and switch names too.",
    default: || DuplicateScope::Estate,
    read: Ok,
};

/// Where ADDR001 looks for duplicate addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateScope {
    /// The whole checked inventory, across vCenters (one address space).
    #[default]
    Estate,
    /// Within each source (vCenter or file).
    Source,
    /// Within each datacenter of each source.
    Datacenter,
    /// Within each cluster (a standalone host on its own), for estates that reuse non-routed
    /// vMotion/vSAN subnets in every cluster.
    Cluster,
}

impl crate::choice::Choice for DuplicateScope {
    const WHAT: &'static str = "duplicate_ip_scope";
    const ALL: &'static [Self] = &[
        DuplicateScope::Estate,
        DuplicateScope::Source,
        DuplicateScope::Datacenter,
        DuplicateScope::Cluster,
    ];
    fn name(self) -> &'static str {
        match self {
            DuplicateScope::Estate => "estate",
            DuplicateScope::Source => "source",
            DuplicateScope::Datacenter => "datacenter",
            DuplicateScope::Cluster => "cluster",
        }
    }
    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == s.trim())
    }
}
crate::choice_serde!(DuplicateScope);

impl serde::Serialize for DuplicateScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(crate::choice::Choice::name(*self))
    }
}

pub static RULE: Rule = Rule {
    id: "ADDR001",
    name: "duplicate-ip",
    category: Category::Addressing,
    severity: Severity::Error,
    summary: "The same vmk IPv4 address appears more than once anywhere in the checked inventory.",
    checks: "Collects the IPv4 address of every vmk of every host, across clusters and vCenters, \
        and reports every vmk whose address another vmk on the same network also holds: each \
        holder gets a finding naming the others. A network is a subnet with, unless the \
        subnet is routed (a gateway, an override or a static route's gateway lies in it: one \
        address space wherever it appears), its VLAN and switch scope (a distributed switch \
        within its vCenter and datacenter; a standard switch: the host's cluster): a \
        non-routed vMotion or vSAN subnet reused per cluster on its own VLAN or switch is \
        another network. A vmk whose VLAN or switch is unknown may be on any of its subnet's \
        networks. The same host seen through two sources counts once. \
        `duplicate_ip_scope` narrows the search further (`estate`, the default; `source`, \
        `datacenter` or `cluster`). Object: the vmk. Does not fire on: one non-routed \
        subnet reused per cluster on separate VLANs and switches.",
    why: "Two adapters answering ARP for one address take turns receiving each other's \
        traffic: management connections drop, vMotion lands on the wrong host, storage \
        sessions reset. The conflict often hides until both sides are busy.",
    remediation: "Give each vmk its own address: `esxcli network ip interface ipv4 set -i vmkN -t \
        static -I <unused ip> -N <netmask>` (PowerCLI: `Set-VMHostNetworkAdapter -IP <ip> \
        -SubnetMask <mask>`), and record it in your IP address management.",
    fix: None,
    checklist: "No duplicate vmk IPv4 address",
    references: &["RFC 5227 (IPv4 address conflict detection)"],
    needs: &[Data::Ipv4],
    params: &[&DUPLICATE_IP_SCOPE],
    active: None,
    check: Check::Estate(check),
};

/// The address space a host's vmks belong to under `scope`.
fn space(host: &Host, scope: DuplicateScope) -> [&str; 3] {
    let source = host.source.as_deref().unwrap_or("");
    let dc = host.datacenter.as_deref().unwrap_or("");
    match scope {
        DuplicateScope::Estate => ["", "", ""],
        DuplicateScope::Source => [source, "", ""],
        DuplicateScope::Datacenter => [source, dc, ""],
        DuplicateScope::Cluster => [source, dc, host.cluster.as_deref().unwrap_or(&host.name)],
    }
}

/// A vmk holding an address: (host index, host, vmk).
type Holder<'a> = (usize, &'a Host, &'a crate::model::Vmk);

fn check(ctx: &EstateCtx<'_>) -> Vec<Hit> {
    let scope = *ctx.params.get(&DUPLICATE_IP_SCOPE);
    // A hash map: one lookup per vmk (a B-tree of 120,000 string keys cost most of the
    // evaluation); the duplicated groups are sorted below, so the output order is unchanged.
    // Small entries (the address space as a number, the first holder inline): at 40,000 hosts
    // a list per address was most of the evaluation's memory. The holders of an address held
    // twice are gathered apart; each vmk's network segment is worked out only for them.
    let mut spaces: FxHashMap<[&str; 3], u32> = FxHashMap::default();
    let mut first: FxHashMap<(u32, Ipv4Addr), Holder<'_>> = FxHashMap::default();
    let mut shared: FxHashMap<(u32, Ipv4Addr), Vec<Holder<'_>>> = FxHashMap::default();
    let same = |a: &Holder<'_>, b: &Holder<'_>| (&a.1.name, &a.2.device) == (&b.1.name, &b.2.device);
    for (i, host) in ctx.hosts() {
        let next = spaces.len() as u32;
        let space = *spaces.entry(space(host, scope)).or_insert(next);
        for vmk in net::sorted_vmks(host) {
            let Some(addr) = vmk.ipv4.as_deref().and_then(net::parse_ipv4) else {
                continue;
            };
            if addr.is_unspecified() {
                continue;
            }
            let holder = (i, host, vmk);
            match first.entry((space, addr)) {
                Entry::Vacant(e) => {
                    e.insert(holder);
                }
                Entry::Occupied(e) if same(e.get(), &holder) => {}
                Entry::Occupied(e) => {
                    let holders = shared.entry((space, addr)).or_insert_with(|| vec![*e.get()]);
                    if !holders.iter().any(|h| same(h, &holder)) {
                        holders.push(holder);
                    }
                }
            }
        }
    }
    drop(first);
    if shared.is_empty() {
        return Vec::new();
    }
    let mut names: Vec<[&str; 3]> = vec![[""; 3]; spaces.len()];
    for (name, id) in spaces {
        names[id as usize] = name;
    }
    let mut dups: Vec<_> = shared
        .iter()
        .map(|((space, addr), holders)| ((names[*space as usize], *addr), holders))
        .collect();
    dups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let networks = net::Networks::new(ctx.hosts().map(|(_, h)| h));
    let mut hits = Vec::new();
    for ((_, addr), holders) in dups {
        let holders: Vec<_> = holders
            .iter()
            .map(|&(i, h, v)| (i, h.name.as_str(), v.device.as_str(), networks.segment(h, v)))
            .collect();
        for (i, host, dev, seg) in &holders {
            // Holders on isolated networks (a non-routed subnet reused on another VLAN or
            // switch) do not conflict.
            let others: Vec<String> = holders
                .iter()
                .filter(|h| (h.1, h.2) != (*host, *dev) && net::may_share(seg, &h.3))
                .map(|h| format!("{} {}", h.1, h.2))
                .collect();
            if others.is_empty() {
                continue;
            }
            let others = i18n::list(&others);
            hits.push(Hit {
                host: *i,
                object: Some(dev.to_string()),
                message: msg!(
                    "ADDR001.message",
                    "{dev} has address {addr}, which is also used by {others}.",
                    dev,
                    addr,
                    others,
                ),
                remediation: msg!(
                    "ADDR001.fix",
                    "Give each vmk its own address: esxcli network ip interface ipv4 set -i {dev} -t static -I <unused ip> -N <netmask> on one of the holders, then update your IP address management.",
                    dev,
                ),
            });
        }
    }
    hits
}
