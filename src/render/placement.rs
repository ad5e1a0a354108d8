//! Where a finding belongs in the report: the group (cluster or standalone hosts) of the
//! inventory host it names; for a finding that names no inventory host, its own cluster when it
//! has one, else the estate as a whole (a source that could not be collected, an expired
//! waiver's host glob). The findings table, its cluster filter, the per-cluster counts and the
//! email and the checklist place findings this way (this module is the only place that
//! decides it), so that a vCenter URL is never shown as a standalone host
//! and a group never has more hosts with findings than hosts.

use std::collections::HashMap;

use super::labels::label;
use crate::findings::{Finding, STANDALONE};
use crate::i18n::Lang;
use crate::model::{Host, Inventory};

/// The cluster filter value of the estate-wide group.
pub const ESTATE: &str = "(estate)";

/// A group of the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Cluster(String),
    Standalone,
    Estate,
}

impl Group {
    /// The group of an inventory host: its cluster, or the standalone hosts.
    pub fn of_host(host: &Host) -> Group {
        match &host.cluster {
            Some(c) => Group::Cluster(c.clone()),
            None => Group::Standalone,
        }
    }

    /// The group's name in the report language.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            Group::Cluster(c) => c.clone(),
            Group::Standalone => label(lang, "standalone").to_string(),
            Group::Estate => label(lang, "estate").to_string(),
        }
    }

    /// The value of the report's cluster filter (`cluster=` in the address).
    pub fn key(&self) -> String {
        match self {
            Group::Cluster(c) => c.clone(),
            Group::Standalone => STANDALONE.to_string(),
            Group::Estate => ESTATE.to_string(),
        }
    }
}

/// The inventory's hosts and their groups.
#[derive(Debug, Default)]
pub struct Placement<'a> {
    hosts: HashMap<&'a str, Group>,
}

impl<'a> Placement<'a> {
    pub fn of(inv: &'a Inventory) -> Self {
        let mut hosts = HashMap::new();
        for h in &inv.hosts {
            hosts
                .entry(h.name.as_str())
                .or_insert_with(|| Group::of_host(h));
        }
        Placement { hosts }
    }

    /// Whether `name` is a host of the inventory.
    pub fn is_host(&self, name: &str) -> bool {
        self.hosts.contains_key(name)
    }

    /// The group `f` belongs to.
    pub fn group(&self, f: &Finding) -> Group {
        match (self.hosts.get(f.host.as_str()), &f.cluster) {
            (Some(g), _) => g.clone(),
            (None, Some(c)) => Group::Cluster(c.clone()),
            (None, None) => Group::Estate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;
    use crate::model::Host;

    fn finding(host: &str, cluster: Option<&str>) -> Finding {
        let mut f = crate::findings::testing::finding("COV004", host, None, Severity::Warning);
        f.cluster = cluster.map(str::to_string);
        f
    }

    #[test]
    fn findings_are_placed_by_inventory_host_then_cluster_then_estate() {
        let mut inv = Inventory::new();
        for (name, cluster) in [("esx1", Some("CL1")), ("esx2", None)] {
            let mut h = Host::named(name);
            h.cluster = cluster.map(str::to_string);
            inv.hosts.push(h);
        }
        let p = Placement::of(&inv);
        // A waiver naming esx1 exactly: esx1's cluster, though the finding carries none.
        assert_eq!(
            p.group(&finding("esx1", None)),
            Group::Cluster("CL1".into())
        );
        assert_eq!(p.group(&finding("esx2", None)), Group::Standalone);
        assert_eq!(
            p.group(&finding("https://vc1/sdk", None)),
            Group::Estate,
            "a source is not a standalone host"
        );
        assert_eq!(p.group(&finding("esx-*", None)), Group::Estate);
        assert_eq!(
            p.group(&finding("gone", Some("CL9"))),
            Group::Cluster("CL9".into())
        );
        assert!(p.is_host("esx2") && !p.is_host("esx-*"));
        assert_eq!(Group::Estate.key(), ESTATE);
        assert_eq!(Group::Estate.label(Lang::En), "(whole estate)");
        assert_eq!(Group::Standalone.key(), STANDALONE);
    }
}
