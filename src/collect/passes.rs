//! The two passes over one source's inventory, on an open session.
//!
//! The structure pass: one container view over datacenters, folders, compute resources and
//! clusters (for the parent chain of each host), read in pages of [`STRUCTURE_PAGE_FACTOR`]
//! times the host pass's, and on vCenter distributed switches (with
//! `config.maxMtu` asked of VMware distributed switches only, or their whole `config` where the
//! server refuses that path) and distributed port groups (with their default port setting and
//! override policy), read into a [`Structure`]; then, for port groups that let ports override
//! their policy, the settings of the vmks' own distributed ports (FetchDVPorts, one call per
//! switch). The host pass: one container view over every HostSystem, read in pages and mapped
//! page by page ([`map_host`]). On vCenter with more than one stream allowed, the view's hosts
//! are listed first and the streams' property collectors made meanwhile ([`list_hosts`], at
//! the same time as the structure pass), and the hosts read in several streams side by side,
//! each through its own collector over its slice of the list ([`read_hosts`]): with a vCenter
//! that takes a second per page, wall time is the number of sequential requests, not the
//! client's work. Every pass destroys its views and collectors when done, also after an error;
//! the host pass each of them as soon as the last page it serves has arrived, while that page
//! is still parsed and mapped.

use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use tokio::sync::oneshot;

use super::client::Client;
use super::error::{CallError, StepError};
use super::map::{describe_missing, map_host, sample, Refused, Structure};
use super::object::ObjectContent;
use super::page::{as_is, Convert};
use super::retrieve::{
    create_collector, create_view, destroy_view, is_gone, retrieve, retrieve_from, view_members,
    Objects,
};
use super::session::ServiceContent;
use super::soap::{esc, MoRef};
use crate::model::{Host, SwitchKind};

/// Objects per page of the structure pass, as a multiple of the host pass's `max_objects`: a
/// folder, cluster, switch or port group is about 2 KB of XML, a tenth of a host (about 19 KB),
/// so a page of 1,000 of them (by default) is as large as one of 100 hosts, and most
/// vCenters' structure is read in one page: one request less in a row per 1,000 objects.
pub const STRUCTURE_PAGE_FACTOR: u32 = 10;

/// The structure pass: one view, one paged read, then the overrides of distributed ports
/// where a port group allows them.
pub async fn read_structure(
    client: &Client,
    sc: &ServiceContent,
    max_objects: u32,
) -> Result<Structure, StepError> {
    let (result, view) = read_structure_open(client, sc, max_objects).await?;
    destroy_view(client, &view).await;
    result
}

/// [`read_structure`], leaving its view open for the caller to destroy while it goes on (one
/// request less in a row); the view is the client's to destroy after an error too.
pub async fn read_structure_open(
    client: &Client,
    sc: &ServiceContent,
    max_objects: u32,
) -> Result<(Result<Structure, StepError>, MoRef), StepError> {
    // A standalone ESXi host has no distributed switch or port group objects (only the
    // proxy switches in its network config), so they are only asked of vCenter.
    let types: &[&str] = if sc.is_esxi() {
        &["Folder", "Datacenter", "ComputeResource"]
    } else {
        &[
            "Folder",
            "Datacenter",
            "ComputeResource",
            "DistributedVirtualSwitch",
            "DistributedVirtualPortgroup",
        ]
    };
    let view = create_view(client, sc, types).await?;
    let mut result = read_structure_in(client, sc, &view, max_objects, false).await;
    if let Err(StepError {
        error: CallError::Fault(f),
        ..
    }) = &result
    {
        if f.is("InvalidProperty") {
            // A server that validates `config.maxMtu` against the declared type of `config`
            // (DVSConfigInfo, which lacks it) even on a VMware distributed switch: read the
            // switches' whole config instead.
            tracing::info!("config.maxMtu refused ({f}); reading the switches' whole config");
            result = read_structure_in(client, sc, &view, max_objects, true).await;
        }
    }
    let result = match result {
        Ok(mut structure) => read_port_overrides(client, &mut structure)
            .await
            .map(|()| structure),
        Err(e) => Err(e),
    };
    Ok((result, view))
}

async fn read_structure_in(
    client: &Client,
    sc: &ServiceContent,
    view: &MoRef,
    max_objects: u32,
    whole_config: bool,
) -> Result<Structure, StepError> {
    let mut s = Structure::default();
    let entity: &[&str] = &["name", "parent"];
    // `config.maxMtu` exists only on VMware distributed switches (VMwareDVSConfigInfo): it is
    // asked of that type alone, so that a server validating paths accepts the request.
    let (dvs_paths, vmware_dvs_paths): (&[&str], &[&str]) = if whole_config {
        (&["name", "uuid", "config"], &[])
    } else {
        (
            &["name", "uuid", "config.defaultPortConfig"],
            &["config.maxMtu"],
        )
    };
    let props: &[(&str, &[&str])] = &[
        ("Folder", entity),
        ("Datacenter", entity),
        ("ComputeResource", entity),
        ("DistributedVirtualSwitch", dvs_paths),
        ("VmwareDistributedVirtualSwitch", vmware_dvs_paths),
        (
            "DistributedVirtualPortgroup",
            &[
                "name",
                "key",
                "config.defaultPortConfig",
                "config.policy",
                "config.distributedVirtualSwitch",
            ],
        ),
    ];
    let props: Vec<(&str, &[&str])> = props
        .iter()
        .take(if sc.is_esxi() { 3 } else { props.len() })
        .filter(|(_, paths)| !paths.is_empty())
        .copied()
        .collect();
    let per_page = max_objects.saturating_mul(STRUCTURE_PAGE_FACTOR);
    let add = |oc: ObjectContent| s.add(&oc);
    retrieve(client, sc, view, &props, per_page, &as_is(), add).await?;
    Ok(s)
}

/// The settings of the distributed ports in port groups that let a port override its VLAN,
/// teaming or security policy: one FetchDVPorts per switch that has such port groups (none
/// on most estates: port groups allow no override by default), for the vmks' own overrides.
async fn read_port_overrides(client: &Client, s: &mut Structure) -> Result<(), StepError> {
    for (dvs, keys) in s.overridable_portgroups() {
        let mut criteria = String::from("<criteria>");
        for k in &keys {
            criteria.push_str(&format!("<portgroupKey>{}</portgroupKey>", esc(k)));
        }
        criteria.push_str("<inside>true</inside></criteria>");
        match client.invoke("FetchDVPorts", &dvs, &criteria).await {
            Ok(resp) => s.add_ports(&resp),
            // A refused call leaves the overrides unknown, not the whole source.
            Err(CallError::Fault(f)) => {
                tracing::warn!(
                    "FetchDVPorts on {dvs} refused ({f}); the vmks' port-level overrides of \
                     VLAN, teaming and security policy are not seen, their port groups' \
                     policy is reported"
                );
            }
            Err(error) => {
                return Err(StepError {
                    step: "FetchDVPorts",
                    error,
                })
            }
        }
    }
    Ok(())
}

/// The host properties read in the host pass.
pub const HOST_PROPERTIES: &[&str] = &[
    "name",
    "parent",
    "runtime.connectionState",
    "summary.config.product",
    "config.network",
    "config.virtualNicManagerInfo",
    "config.firewall",
    "config.service",
    "config.lockdownMode",
];

/// The host pass's view over every HostSystem, the hosts it holds, and the property
/// collectors of the streams, made before the pass is split into streams ([`list_hosts`]).
pub struct HostList {
    pub view: MoRef,
    pub hosts: Vec<MoRef>,
    /// One per stream that may read the hosts; [`read_hosts`] destroys those it does not use.
    pub collectors: Vec<MoRef>,
}

/// Open the host pass's view and read which hosts it holds (two requests in a row), and at the
/// same time create `collectors` property collectors for the streams (CreatePropertyCollector,
/// side by side): the streams can start as soon as the hosts are listed, without a request in
/// a row of their own. Everything is kept open for [`read_hosts`]. Whatever fails, every call
/// is answered before this returns, and what was made is destroyed again: a listing that fails
/// leaves no view and no collector open.
pub async fn list_hosts(
    client: &Client,
    sc: &ServiceContent,
    collectors: usize,
) -> Result<HostList, StepError> {
    // The listing's error comes with the view when the view was made.
    let listing = async {
        let view = (create_view(client, sc, &["HostSystem"]).await).map_err(|e| (e, None))?;
        match view_members(client, sc, &view).await {
            Ok(hosts) => Ok((view, hosts)),
            Err(e) => Err((e, Some(view))),
        }
    };
    let creating = join_all((0..collectors).map(|_| create_collector(client, sc)));
    let (listed, created) = tokio::join!(listing, creating);
    let mut made = Vec::with_capacity(collectors);
    let mut refused = None;
    for c in created {
        match c {
            Ok(c) => made.push(c),
            Err(e) => refused = refused.or(Some(e)),
        }
    }
    let (error, view) = match (listed, refused) {
        (Ok((view, hosts)), None) => {
            return Ok(HostList {
                view,
                hosts,
                collectors: made,
            })
        }
        (Ok((view, _)), Some(e)) => (e, Some(view)),
        (Err((e, view)), _) => (e, view),
    };
    made.extend(view);
    join_all(made.iter().map(|m| destroy_view(client, m))).await;
    Err(error)
}

/// How many streams read `hosts` hosts, at most `streams`, `max_objects` per page: the fewest
/// that read them in as few pages in a row as `streams` would (their collectors are made while
/// the hosts are listed, so a stream costs no request in a row of its own).
pub fn stream_count(hosts: usize, max_objects: u32, streams: usize) -> usize {
    let per_page = max_objects.max(1) as usize;
    let pages = |k: usize| hosts.div_ceil(k * per_page);
    (1..=streams.max(1))
        .min_by_key(|&k| (pages(k), k))
        .unwrap_or(1)
}

/// `list` cut into `k` consecutive slices whose lengths differ by at most one.
pub fn slices<T>(list: &[T], k: usize) -> Vec<&[T]> {
    let k = k.clamp(1, list.len().max(1));
    let (base, extra) = (list.len() / k, list.len() % k);
    let mut out = Vec::with_capacity(k);
    let mut start = 0;
    for i in 0..k {
        let len = base + usize::from(i < extra);
        out.push(&list[start..start + len]);
        start += len;
    }
    out
}

/// The host pass: every HostSystem, paged, mapped as each page arrives; `progress` is told
/// of every mapped host. Without a `list` ([`list_hosts`]) it is one paged read over a new
/// view through the session's property collector. With one, the listed hosts are read in
/// [`stream_count`] streams (at most one per collector of the list), each through its
/// collector over its slice of the list, side by side, while the list's view and the
/// collectors not needed are destroyed; when one stream fails, the others still finish (and
/// destroy their collectors) before its error is returned. A listed host that is gone by the
/// time its stream reads it is skipped. The hosts come back in the order of the list (stream by
/// stream), whatever order the pages arrived in.
///
/// Each host is mapped, and then turned into what the caller keeps of it by `finish` (the host
/// itself, or its serialized form), on the thread that parsed its page: its element tree is
/// freed where it was built, and only the result crosses to this task.
///
/// Each stream destroys its collector (or view) as soon as the body of its last page has
/// arrived, not when that page is parsed and mapped; `released` is told when every stream's
/// has (and the views and collectors not needed are destroyed): the pass then needs nothing
/// more from the server, and the caller can log out while the last hosts are still mapped.
/// When a stream fails before its last page, `released` is dropped untold.
#[allow(clippy::too_many_arguments)]
pub async fn read_hosts<H: Send + 'static>(
    client: &Client,
    sc: &ServiceContent,
    structure: Arc<Structure>,
    source_name: &str,
    max_objects: u32,
    list: Option<HostList>,
    refused: &mut Refused,
    finish: Arc<dyn Fn(Host) -> H + Send + Sync>,
    progress: &(dyn Fn(usize) + Sync),
    released: oneshot::Sender<()>,
) -> Result<Vec<H>, StepError> {
    // vmks on a distributed port group the structure pass did not see (on vCenter).
    let unresolved: Arc<Mutex<Vec<String>>> = Arc::default();
    let shared_refused = Arc::new(Mutex::new(std::mem::take(refused)));
    let convert: Convert<Mapped<H>> = {
        let (unresolved, refused) = (unresolved.clone(), shared_refused.clone());
        let (esxi, source_name) = (sc.is_esxi(), source_name.to_string());
        Arc::new(move |oc: ObjectContent| {
            if is_gone(&oc) {
                let what = oc.obj.as_ref().map(|o| o.to_string()).unwrap_or_default();
                return Mapped::Gone(what);
            }
            let host = map_one(&oc, &structure, esxi, &source_name, &refused, &unresolved);
            drop(oc);
            Mapped::Host(finish(host))
        })
    };
    // A host from the parser's thread, or one gone since it was listed (only a list is read
    // object by object, so only there).
    let keep = |hosts: &mut Vec<H>, mapped: Mapped<H>| match mapped {
        Mapped::Host(h) => {
            hosts.push(h);
            progress(1);
        }
        Mapped::Gone(what) => tracing::info!(
            "{source_name}: host {what} was removed since the hosts were listed; skipped"
        ),
    };
    let stream = &Stream {
        client,
        max_objects,
        convert: &convert,
        keep: &keep,
    };
    let result = match list {
        None => {
            // One stream, through the session's collector, over a view of its own.
            let view = create_view(client, sc, &["HostSystem"]).await?;
            let (collector, objects) = (&sc.property_collector, Objects::InView(&view));
            stream.read(collector, objects, &view, released).await
        }
        Some(list) => {
            // No host, no stream: an empty objectSet is not a valid request.
            let k = match list.hosts.len() {
                0 => 0,
                n => stream_count(n, max_objects, list.collectors.len()),
            };
            let (used, surplus) = list.collectors.split_at(k.min(list.collectors.len()));
            let (streams, received): (Vec<_>, Vec<_>) = slices(&list.hosts, k)
                .into_iter()
                .zip(used)
                .map(|(slice, collector)| {
                    let (done, received) = oneshot::channel();
                    let objects = Objects::List(slice);
                    (stream.read(collector, objects, collector, done), received)
                })
                .unzip();
            // Every stream runs to its end, also when another fails, and destroys its
            // collector as soon as its last page has arrived; the views and collectors not
            // needed are destroyed meanwhile. When all that is done and every stream got its
            // last page, the caller is told that the pass needs nothing more from the server.
            let unused = surplus.iter().chain(std::iter::once(&list.view));
            let releasing = async move {
                let (_, received) = tokio::join!(
                    join_all(unused.map(|v| destroy_view(client, v))),
                    join_all(received)
                );
                if received.iter().all(Result::is_ok) {
                    let _ = released.send(());
                }
            };
            let ((), parts) = tokio::join!(releasing, join_all(streams));
            parts
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
                .map(|parts| parts.into_iter().flatten().collect())
        }
    };
    // The converter's clones end with the parser threads, which have all ended by now.
    *refused = taken(&shared_refused);
    let unresolved = taken(&unresolved);
    if !unresolved.is_empty() {
        tracing::warn!(
            "{source_name}: {} vmk(s) on a distributed switch whose port group is not visible to \
             the user (read permission on the networking folder?): {}; port group and VLAN left \
             unknown",
            unresolved.len(),
            sample(&unresolved)
        );
    }
    result
}

/// What every stream of the host pass shares: the client, the page size, the conversion of
/// each object on the parser's thread and what keeps each converted host.
struct Stream<'a, H, K> {
    client: &'a Client,
    max_objects: u32,
    convert: &'a Convert<Mapped<H>>,
    keep: &'a K,
}

impl<H: Send + 'static, K: Fn(&mut Vec<H>, Mapped<H>)> Stream<'_, H, K> {
    /// Read the hosts of `objects` through `collector`, and destroy `own` (the collector, or
    /// the view read) as soon as the body of the last page has arrived — while that page may
    /// still be parsed and mapped — or, when a page fails before, once the read has ended;
    /// then tell `done`, in the first case only: the stream needs nothing more from the
    /// server.
    async fn read(
        &self,
        collector: &MoRef,
        objects: Objects<'_>,
        own: &MoRef,
        done: oneshot::Sender<()>,
    ) -> Result<Vec<H>, StepError> {
        let props: &[(&str, &[&str])] = &[("HostSystem", HOST_PROPERTIES)];
        let mut hosts = Vec::with_capacity(match objects {
            Objects::List(list) => list.len(),
            Objects::InView(_) => 0,
        });
        let (last, received) = oneshot::channel();
        let each = |m| (self.keep)(&mut hosts, m);
        let (client, max_objects) = (self.client, self.max_objects);
        let reading = retrieve_from(
            client,
            collector,
            objects,
            props,
            max_objects,
            self.convert,
            each,
            Some(last),
        );
        let releasing = async {
            let received = received.await.is_ok();
            destroy_view(client, own).await;
            if received {
                let _ = done.send(());
            }
        };
        let (read, ()) = tokio::join!(reading, releasing);
        read.map(|()| hosts)
    }
}

/// What `m` holds, leaving the default.
fn taken<T: Default>(m: &Mutex<T>) -> T {
    std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))
}

/// A host of the host pass, as the parser's thread hands it over.
enum Mapped<H> {
    /// The host, as the caller keeps it.
    Host(H),
    /// A listed host that no longer exists (its reference).
    Gone(String),
}

/// Map one HostSystem object, noting its refused properties and (on vCenter) its vmks on a
/// distributed port group the structure pass did not see.
fn map_one(
    oc: &ObjectContent,
    structure: &Structure,
    esxi: bool,
    source_name: &str,
    refused: &Mutex<Refused>,
    unresolved: &Mutex<Vec<String>>,
) -> Host {
    let mut host = map_host(oc, structure, esxi);
    host.source = Some(source_name.to_string());
    for (path, fault) in &oc.missing {
        tracing::debug!(
            "{source_name}: host {}: property {path} not readable ({})",
            host.name,
            describe_missing(fault)
        );
        if let Ok(mut r) = refused.lock() {
            r.add(&host.name, path, fault);
        }
        host.not_collected
            .insert(path.clone(), describe_missing(fault));
    }
    if !esxi {
        let missing = host
            .vmks
            .iter()
            .filter(|v| v.switch_kind == Some(SwitchKind::Distributed) && v.portgroup.is_none())
            .map(|v| format!("{} {}", host.name, v.device));
        if let Ok(mut u) = unresolved.lock() {
            u.extend(missing);
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_used_where_they_save_requests() {
        // 2,500 hosts, 100 per page: 4 streams of 7 pages instead of 25 pages in a row.
        assert_eq!(stream_count(2500, 100, 4), 4);
        assert_eq!(stream_count(2500, 100, 1), 1);
        // One page's worth: one stream.
        assert_eq!(stream_count(100, 100, 4), 1);
        assert_eq!(stream_count(0, 100, 4), 1);
        // 250 hosts: 3 streams of one page each (the collectors cost no request in a row: they
        // are made while the hosts are listed); a fourth would not save a page.
        assert_eq!(stream_count(250, 100, 4), 3);
        assert_eq!(stream_count(25, 7, 4), 4);
        // 12 hosts in pages of 2: 3 streams of 2 pages cost what 4 would; the fewer win.
        assert_eq!(stream_count(12, 2, 4), 3);
        assert_eq!(stream_count(20_000, 100, 16), 16);
        // 100 pages: 15 streams of 7 pages are as fast as 16.
        assert_eq!(stream_count(10_000, 100, 16), 15);
    }

    #[test]
    fn slices_cover_the_list_in_order_and_evenly() {
        let list: Vec<u32> = (0..25).collect();
        let parts = slices(&list, 4);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [7, 6, 6, 6]
        );
        assert_eq!(parts.concat(), list);
        assert_eq!(slices(&list, 1), [&list[..]]);
        // Never an empty slice while there are hosts, never more slices than hosts.
        assert_eq!(slices(&list[..2], 4).len(), 2);
        assert_eq!(slices::<u32>(&[], 4), [&[] as &[u32]]);
    }
}
