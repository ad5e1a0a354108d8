//! Helpers the rules on a vmk's port share (UPL001–UPL005, SEP006, SEP007): the uplinks of its
//! failover order and the link state of the host's physical NICs behind them.

use crate::i18n::{self, Arg};
use crate::model::{Host, Teaming, Vmk};

/// What a host knows of one physical NIC named in a vmk's failover order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The link is up; its negotiated speed when known.
    Up(Option<u32>),
    Down,
    /// The host has no physical NIC of that name (a failover order naming a removed or
    /// renamed NIC, or an unused LAG/uplink slot).
    Absent,
    /// The host's physical NICs or this NIC's link state are unknown.
    Unknown,
}

impl Link {
    /// Down or absent: it carries nothing.
    pub fn dead(self) -> bool {
        matches!(self, Link::Down | Link::Absent)
    }
}

/// Whether an uplink name is a physical NIC's (`vmnic0`, `vusb0`), not a link aggregation
/// group (`lag1`) or a distributed switch's uplink port name the source could not map to a NIC:
/// the link state and the number of NICs behind those are unknown.
pub fn is_physical(name: &str) -> bool {
    let name = name.trim();
    ["vmnic", "vusb"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The link of the physical NIC `nic` on `host` (unknown for a name that is not a physical
/// NIC's, see [`is_physical`]).
pub fn link(host: &Host, nic: &str) -> Link {
    let Some(pnics) = &host.pnics else {
        return Link::Unknown;
    };
    match pnics.iter().find(|p| p.device == nic.trim()) {
        None if !is_physical(nic) => Link::Unknown,
        None => Link::Absent,
        Some(p) => match p.link_up {
            Some(true) => Link::Up(p.speed_mbps),
            Some(false) => Link::Down,
            None => Link::Unknown,
        },
    }
}

/// Every uplink of a failover order, active first, each once.
pub fn uplinks(t: &Teaming) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    for u in t.active.iter().chain(&t.standby) {
        let u = u.trim();
        if !u.is_empty() && !v.contains(&u) {
            v.push(u);
        }
    }
    v
}

/// The vmks of `host` whose failover order is known, with it, in natural device order.
pub fn teamed(host: &Host) -> Vec<(&Vmk, &Teaming)> {
    super::net::sorted_vmks(host)
        .into_iter()
        .filter_map(|v| v.teaming.as_ref().map(|t| (v, t)))
        .collect()
}

/// Whether the vmk is on an NSX switch (its port group policies come from NSX uplink
/// profiles and segment profiles, not from vSphere port groups).
pub fn on_nsx(vmk: &Vmk) -> bool {
    vmk.switch_kind == Some(crate::model::SwitchKind::Nsx)
}

/// A list of uplinks for a message; "none" (translated) when empty.
pub fn uplink_list<S: AsRef<str>>(uplinks: &[S]) -> Arg {
    if uplinks.is_empty() {
        i18n::list([crate::msg!("port.none", "none")])
    } else {
        i18n::list(uplinks.iter().map(|u| u.as_ref().trim().to_string()))
    }
}

/// The vmk's port group as shown in messages (`?` when unknown).
pub fn portgroup(vmk: &Vmk) -> &str {
    vmk.portgroup.as_deref().unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pnic;

    #[test]
    fn links_and_uplinks() {
        let mut h = Host::named("h");
        assert_eq!(link(&h, "vmnic0"), Link::Unknown);
        h.pnics = Some(vec![
            Pnic {
                device: "vmnic0".into(),
                link_up: Some(true),
                speed_mbps: Some(25000),
                duplex: None,
            },
            Pnic {
                device: "vmnic1".into(),
                link_up: Some(false),
                speed_mbps: None,
                duplex: None,
            },
        ]);
        assert_eq!(link(&h, "vmnic0"), Link::Up(Some(25000)));
        assert!(link(&h, "vmnic1").dead() && link(&h, "vmnic9").dead());
        // A LAG or an unmapped uplink port: unknown, never "absent".
        assert_eq!(link(&h, "lag1"), Link::Unknown);
        assert_eq!(link(&h, "Uplink 1"), Link::Unknown);
        assert!(is_physical("vusb0") && !is_physical("vmnic") && !is_physical("vmnic1a"));
        let t = Teaming {
            policy: None,
            active: vec!["vmnic0".into(), " vmnic0".into()],
            standby: vec!["vmnic1".into(), "".into()],
        };
        assert_eq!(uplinks(&t), ["vmnic0", "vmnic1"]);
    }
}
