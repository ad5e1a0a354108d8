//! Live collection from vCenter Server and ESXi over the vSphere API (SOAP).
//!
//! PLACEHOLDER (foundation step): the collector lands with its own issue. Until then every live
//! source is reported as not collected.

use std::path::PathBuf;

use crate::cli::CollectArgs;
use crate::config::VcenterConfig;
use crate::error::Result;
use crate::model::{Inventory, Source, SourceKind};

/// One live source to collect.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub url: String,
    pub user: String,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
}

impl SourceSpec {
    pub fn from_config(c: &VcenterConfig) -> Result<SourceSpec> {
        Ok(SourceSpec {
            url: c.url.get_ref().clone(),
            user: c.user.clone(),
            ca_file: c.ca_file.clone(),
            insecure: c.insecure,
        })
    }

    pub fn from_args(a: &CollectArgs) -> Result<Vec<SourceSpec>> {
        Ok(a.vcenters
            .iter()
            .map(|u| SourceSpec {
                url: u.clone(),
                user: a.user.clone(),
                ca_file: a.ca_file.clone(),
                insecure: a.insecure,
            })
            .collect())
    }
}

/// Collect every source; a source that fails is recorded with its error in `sources`.
pub fn collect_all(specs: &[SourceSpec], _progress: bool) -> Inventory {
    let mut inv = Inventory::new();
    for s in specs {
        inv.sources.push(Source {
            name: s.url.clone(),
            kind: SourceKind::Vcenter,
            insecure: s.insecure,
            collected_at: None,
            product: None,
            error: Some("live collection is not implemented yet".into()),
        });
    }
    inv
}
