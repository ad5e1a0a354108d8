//! Where a finding belongs in the report: the group (cluster or standalone hosts) of the
//! inventory host it is about; for a host that is not in the inventory (a resolved finding of an
//! earlier run), its own cluster when it has one; a waiver whose host glob is exactly an
//! inventory host's name goes with that host; everything else (a source that could not be
//! collected, a waiver for many hosts, the estate) is the estate as a whole. The findings table, its cluster filter, the per-cluster counts and the
//! email and the checklist place findings this way (this module is the only place that
//! decides it), so that a vCenter URL is never shown as a standalone host
//! and a group never has more hosts with findings than hosts.

use std::collections::HashMap;

use super::labels::label;
use crate::findings::{Finding, Subject, STANDALONE};
use crate::i18n::Lang;
use crate::model::{Host, Inventory};

/// The cluster filter value of the estate-wide group.
pub const ESTATE: &str = crate::findings::ESTATE;

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
        Group::of_cluster(host.cluster.as_deref())
    }

    /// The group of the hosts in `cluster` (none: standalone).
    pub fn of_cluster(cluster: Option<&str>) -> Group {
        match cluster {
            Some(c) => Group::Cluster(c.to_string()),
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

    /// The inventory host `f` is about, if any: a host subject of the inventory, or a waiver
    /// whose host glob is exactly one inventory host's name.
    pub fn host_of<'f>(&self, f: &'f Finding) -> Option<&'f str> {
        let name = match &f.subject {
            Subject::Host { host, .. } => host,
            Subject::Waiver { host_glob, .. } => host_glob,
            Subject::Source { .. } | Subject::Estate => return None,
        };
        self.hosts
            .contains_key(name.as_str())
            .then_some(name.as_str())
    }

    /// The group `f` belongs to.
    pub fn group(&self, f: &Finding) -> Group {
        if let Some(host) = self.host_of(f) {
            return self.hosts[host].clone();
        }
        match f.subject.cluster() {
            Some(c) => Group::Cluster(c.to_string()),
            None => Group::Estate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;
    use crate::model::Host;

    fn on(subject: Subject) -> Finding {
        let mut f = crate::findings::testing::finding("COV004", "x", None, Severity::Warning);
        f.subject = subject;
        f
    }

    fn waiver(host_glob: &str) -> Finding {
        on(Subject::Waiver {
            rule: "FW004".into(),
            host_glob: host_glob.into(),
            object_glob: None,
        })
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
        // A host: its inventory group, whatever cluster the finding carries.
        assert_eq!(
            p.group(&on(Subject::host("esx1", None, None))),
            Group::Cluster("CL1".into())
        );
        // A waiver naming esx1 exactly: esx1's cluster, though the finding carries none.
        assert_eq!(p.group(&waiver("esx1")), Group::Cluster("CL1".into()));
        assert_eq!(p.group(&waiver("esx2")), Group::Standalone);
        let source = on(Subject::Source {
            source: "https://vc1/sdk".into(),
            object: None,
        });
        assert_eq!(p.group(&source), Group::Estate, "a source is not a host");
        // A source named like a host is still a source.
        let esx2_source = on(Subject::Source {
            source: "esx2".into(),
            object: None,
        });
        assert_eq!(p.group(&esx2_source), Group::Estate);
        assert_eq!(p.host_of(&esx2_source), None);
        assert_eq!(p.group(&waiver("esx-*")), Group::Estate);
        assert_eq!(p.group(&on(Subject::Estate)), Group::Estate);
        assert_eq!(
            p.group(&on(Subject::host("gone", Some("CL9"), None))),
            Group::Cluster("CL9".into())
        );
        assert_eq!(p.host_of(&waiver("esx2")), Some("esx2"));
        assert_eq!(p.host_of(&waiver("esx-*")), None);
        assert_eq!(Group::Estate.key(), ESTATE);
        assert_eq!(Group::Estate.label(Lang::En), "(whole estate)");
        assert_eq!(Group::Standalone.key(), STANDALONE);
    }
}
