//! Live collection from vCenter Server and ESXi over the vSphere API (SOAP, vim25).
//!
//! [`SourceSpec`] is one endpoint with its credentials (the password comes from an environment
//! variable or a file, never from the command line). [`collect_all`] collects every source
//! concurrently (at most [`DEFAULT_PARALLEL_SOURCES`] at a time unless configured otherwise)
//! on a tokio runtime, each vCenter's host pass in up to [`DEFAULT_STREAMS`] streams, and
//! merges them into one [`Inventory`], with a progress bar of hosts done per source. A source that fails — unreachable, TLS, bad password, missing
//! privilege, timeout — is recorded in `inventory.sources` with `error: Some(message)` and the
//! others are still collected; the caller turns that into a coverage finding and exit code 3.
//! That holds for whatever the server sends: a redirect, an answer nested too deep or too
//! large, a connection that hangs are each that source's error, never the process's end.
//!
//! The modules, bottom first; each uses only those above it in this list (a unit test checks
//! it):
//!
//! - [`soap`]: envelopes, the XML element tree, faults;
//! - [`error`]: the collector's error types ([`SetupError`], [`CallError`], [`StepError`]);
//! - [`client`]: HTTPS, TLS, timeouts, retries, the session cookie;
//! - [`object`]: one object of a property-collector answer;
//! - [`page`]: the streaming read of one page of objects;
//! - [`session`]: the service content, Login, Logout;
//! - [`retrieve`]: container views and the paged RetrievePropertiesEx exchange;
//! - [`map`]: the mapping of objects into [`crate::model`];
//! - [`passes`]: the structure pass and the host pass of one source;
//! - [`settings`]: the `[[vcenter]]` tables of the run configuration;
//! - [`output`]: the inventory file of `collect`, from hosts serialized as they come;
//! - this module: the sources, in parallel, with the progress bar (hosts done out of the
//!   total, per source).
//!
//! The exchange and the privileges it needs are described in `docs/collect.md`. The collector
//! takes its own [`SourceOptions`], not the command line's or the config file's types: the
//! commands (`src/app.rs`) convert theirs.

pub mod client;
pub mod error;
pub mod map;
pub mod object;
pub mod output;
pub mod page;
pub mod passes;
pub mod retrieve;
pub mod session;
pub mod settings;
pub mod soap;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::model::{Host, Inventory, Source, SourceKind};
use crate::secret::{read_secret, SecretSource};

use client::Client;
pub use client::{Password, Settings};
pub use error::{CallError, SetupError, StepError};

/// How many sources are collected at the same time, by default (top-level
/// `max_parallel_sources` in the run configuration, `VMKAUDIT_MAX_PARALLEL_SOURCES`): enough
/// for the 15 linked vCenters of the largest estate at once.
pub const DEFAULT_PARALLEL_SOURCES: usize = 16;

/// Streams of the host pass of one vCenter, by default (`streams` of a `[[vcenter]]` table,
/// `VMKAUDIT_STREAMS`): each reads its slice of the hosts through a property collector of its
/// own, side by side with the others.
pub const DEFAULT_STREAMS: usize = 4;

pub use settings::MAX_STREAMS;

/// Objects per RetrievePropertiesEx page (overridable with `VMKAUDIT_MAX_OBJECTS`).
pub const DEFAULT_MAX_OBJECTS: u32 = 100;

/// Upper bound for one whole source (overridable with `VMKAUDIT_SOURCE_TIMEOUT`, seconds).
pub const DEFAULT_SOURCE_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// One live source to collect.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    /// The URL as the user wrote it (also the source's name in the inventory).
    pub url: String,
    pub user: String,
    pub password: Password,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    /// The largest answer accepted from this source (bytes); the default when `None`.
    pub max_response_bytes: Option<u64>,
    /// Streams of the host pass ([`DEFAULT_STREAMS`], or [`Options::streams`], when `None`).
    pub streams: Option<usize>,
}

/// Live sources that share their user, password and TLS settings, as the user gave them: the
/// URLs of `vmkaudit collect`, or the one URL of a `[[vcenter]]` table.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    pub urls: Vec<String>,
    pub user: String,
    /// The name of the environment variable that holds the password.
    pub password_env: Option<String>,
    /// A file whose first line is the password (when `password_env` is not given).
    pub password_file: Option<PathBuf>,
    /// A PEM file of CA certificates to trust besides the system roots.
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    /// The largest answer accepted from these sources (bytes); the default when `None`.
    pub max_response_bytes: Option<u64>,
    /// Streams of each source's host pass; the run's default when `None`.
    pub streams: Option<usize>,
    /// What messages call these sources (`vmkaudit collect`, `[[vcenter]] https://vc01`).
    pub origin: String,
    /// The option that names the password variable, for messages (`--password-env`,
    /// `password_env`).
    pub password_setting: &'static str,
}

/// Read the password from an environment variable or the first line of a file, with the one
/// secret reader ([`crate::secret::read_secret`]: trimming, checks, permission warning).
/// `setting` names the option that gave the variable (`--password-env`, `password_env`).
fn read_password(
    env: Option<&str>,
    file: Option<&Path>,
    what: &str,
    setting: &str,
) -> Result<Password, SetupError> {
    let source = match (env, file) {
        (Some(var), _) => SecretSource::Env { var, setting },
        (None, Some(path)) => SecretSource::File(path),
        (None, None) => {
            return Err(SetupError::NoPassword {
                what: what.to_string(),
            })
        }
    };
    read_secret(source)
        .map(Password::new)
        .map_err(|source| SetupError::Password {
            what: what.to_string(),
            source,
        })
}

impl SourceSpec {
    /// One spec per URL of `o`, after checking every URL, the CA file and the password source
    /// (in that order), before anything is collected.
    pub fn resolve(o: &SourceOptions) -> Result<Vec<SourceSpec>, SetupError> {
        for u in &o.urls {
            client::sdk_url(u)?;
        }
        if let Some(ca) = &o.ca_file {
            crate::tls::load_ca_file(ca)?;
        }
        let password = read_password(
            o.password_env.as_deref(),
            o.password_file.as_deref(),
            &o.origin,
            o.password_setting,
        )?;
        Ok(o.urls
            .iter()
            .map(|u| SourceSpec {
                url: u.clone(),
                user: o.user.clone(),
                password: password.clone(),
                ca_file: o.ca_file.clone(),
                insecure: o.insecure,
                max_response_bytes: o.max_response_bytes,
                streams: o.streams,
            })
            .collect())
    }
}

/// Tuning of a collection run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub max_objects: u32,
    pub source_timeout: Duration,
    pub settings: Settings,
    /// Sources collected at the same time.
    pub max_parallel_sources: usize,
    /// Streams of a source's host pass when its spec does not say.
    pub streams: usize,
}

impl Options {
    /// Defaults, with the `VMKAUDIT_MAX_OBJECTS`, `VMKAUDIT_SOURCE_TIMEOUT`,
    /// `VMKAUDIT_CONNECT_TIMEOUT` and `VMKAUDIT_REQUEST_TIMEOUT` overrides (whole seconds), and
    /// `VMKAUDIT_MAX_PARALLEL_SOURCES` and `VMKAUDIT_STREAMS` (at most [`MAX_STREAMS`]).
    pub fn from_env() -> Self {
        let num = |var: &str| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        let defaults = Settings::default();
        Options {
            max_objects: num("VMKAUDIT_MAX_OBJECTS")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(DEFAULT_MAX_OBJECTS),
            source_timeout: num("VMKAUDIT_SOURCE_TIMEOUT")
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_SOURCE_TIMEOUT),
            settings: Settings {
                connect_timeout: num("VMKAUDIT_CONNECT_TIMEOUT")
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.connect_timeout),
                request_timeout: num("VMKAUDIT_REQUEST_TIMEOUT")
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.request_timeout),
                ..defaults
            },
            max_parallel_sources: num("VMKAUDIT_MAX_PARALLEL_SOURCES")
                .map(|n| n.min(MAX_STREAMS as u64) as usize)
                .unwrap_or(DEFAULT_PARALLEL_SOURCES),
            streams: num("VMKAUDIT_STREAMS")
                .map(|n| n.min(MAX_STREAMS as u64) as usize)
                .unwrap_or(DEFAULT_STREAMS),
        }
    }
}

/// Collect every source; a source that fails is recorded with its error in `sources`.
pub fn collect_all(specs: &[SourceSpec], progress: bool) -> Inventory {
    collect_with(specs, progress, Options::from_env())
}

/// [`collect_all`] with explicit options.
pub fn collect_with(specs: &[SourceSpec], progress: bool, opts: Options) -> Inventory {
    let (mut inv, hosts) = collect_hosts(specs, progress, opts, Arc::new(|h| h), |h| &h.name);
    inv.hosts = hosts;
    inv
}

/// [`collect_all`] for an inventory file only (`vmkaudit collect`): each host is serialized
/// as soon as it is mapped, into a spill file in `dir` (the output's directory), and only
/// where it is there stays in memory ([`output`]). Fails only when the spill file cannot be
/// made.
pub fn collect_serialized(
    specs: &[SourceSpec],
    progress: bool,
    dir: &Path,
) -> std::io::Result<output::Collected> {
    let spill = Arc::new(output::Spill::new(dir)?);
    let into = spill.clone();
    let finish = Arc::new(move |h: Host| into.add(&h));
    let opts = Options::from_env();
    let (inventory, hosts) = collect_hosts(specs, progress, opts, finish, |h| &h.name);
    // The collection's tasks, and with them the other handles, have ended.
    let spill = Arc::into_inner(spill).ok_or_else(|| {
        std::io::Error::other("the spill file is still in use after the collection")
    })?;
    Ok(output::Collected {
        inventory,
        hosts,
        spill,
    })
}

/// Collect every source, each host made into an `H` by `finish` right after it is mapped (on
/// the thread that parsed it); the inventory's sources, and the hosts source by source, each
/// source's sorted by `name`. `finish` may still be running for a source's last hosts after
/// its session was logged out: everything the source needs from the server has arrived by then.
pub fn collect_hosts<H: Send + 'static>(
    specs: &[SourceSpec],
    progress: bool,
    opts: Options,
    finish: Arc<dyn Fn(Host) -> H + Send + Sync>,
    name: fn(&H) -> &str,
) -> (Inventory, Vec<H>) {
    let mut inv = Inventory::new();
    inv.collected_at = Some(now());
    if specs.is_empty() {
        return (inv, Vec::new());
    }
    let progress = crate::ui::Progress::new(
        0,
        "{spinner} collecting [{bar:30}] {pos}/{len} hosts, {msg} {elapsed}",
        progress,
    );
    let tally = Arc::new(Tally::new(progress.bar().clone(), specs));
    tally.show();

    // The work is waiting for answers; the parsing runs on blocking threads.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            drop(progress);
            for s in specs {
                inv.sources
                    .push(failed(s, format!("cannot start the async runtime: {e}")));
            }
            return (inv, Vec::new());
        }
    };
    let results: Vec<(Source, Vec<H>)> = runtime.block_on(async {
        let limit = Arc::new(tokio::sync::Semaphore::new(
            opts.max_parallel_sources.max(1),
        ));
        let mut set = tokio::task::JoinSet::new();
        for (i, spec) in specs.iter().cloned().enumerate() {
            let limit = limit.clone();
            let tally = tally.clone();
            let finish = finish.clone();
            set.spawn(async move {
                let _permit = limit.acquire_owned().await;
                tally.started(i);
                let started = std::time::Instant::now();
                let mut out = collect_source(&spec, opts, finish, |p| tally.update(i, p)).await;
                // Whole milliseconds: enough for a duration metric, and a stable JSON number.
                out.0.duration_seconds = Some(started.elapsed().as_millis() as f64 / 1000.0);
                tally.finished(i);
                (i, out)
            });
        }
        let mut out: Vec<Option<(Source, Vec<H>)>> = specs.iter().map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, r)) => out[i] = Some(r),
                Err(e) => tracing::error!("a collection task failed: {e}"),
            }
        }
        out.into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| {
                    (
                        failed(&specs[i], "the collection task failed unexpectedly".into()),
                        Vec::new(),
                    )
                })
            })
            .collect()
    });
    drop(progress);
    let mut all = Vec::new();
    for (source, mut hosts) in results {
        hosts.sort_by(|a, b| name(a).cmp(name(b)));
        inv.sources.push(source);
        all.extend(hosts);
    }
    (inv, all)
}

/// What one source's collection tells the progress bar.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The number of hosts the source holds, once listed.
    Total(usize),
    /// This many more hosts are mapped.
    Done(usize),
}

/// The progress of one source on the bar.
#[derive(Debug, Clone, Default)]
struct SourceTally {
    /// The host part of the URL, for the bar.
    label: String,
    running: bool,
    finished: bool,
    done: usize,
    total: Option<usize>,
}

/// `vc01.lab:8443` for `https://vc01.lab:8443/sdk`.
fn label(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// The progress of every source, drawn on one bar: hosts done out of the hosts listed so far,
/// sources finished, and per running source its hosts done out of its total.
struct Tally {
    bar: indicatif::ProgressBar,
    sources: std::sync::Mutex<Vec<SourceTally>>,
}

/// Running sources named on the bar; the rest are counted.
const SOURCES_ON_THE_BAR: usize = 4;

impl Tally {
    fn new(bar: indicatif::ProgressBar, specs: &[SourceSpec]) -> Tally {
        let sources = specs
            .iter()
            .map(|s| SourceTally {
                label: label(&s.url),
                ..SourceTally::default()
            })
            .collect();
        Tally {
            bar,
            sources: std::sync::Mutex::new(sources),
        }
    }

    fn with(&self, i: usize, f: impl FnOnce(&mut SourceTally)) {
        if let Ok(mut all) = self.sources.lock() {
            if let Some(s) = all.get_mut(i) {
                f(s);
            }
        }
        self.show();
    }

    fn started(&self, i: usize) {
        self.with(i, |s| s.running = true);
    }

    fn finished(&self, i: usize) {
        self.with(i, |s| {
            s.running = false;
            s.finished = true;
        });
    }

    fn update(&self, i: usize, step: Step) {
        self.with(i, |s| match step {
            Step::Total(n) => s.total = Some(n),
            Step::Done(n) => s.done += n,
        });
    }

    /// The bar's message: `2/8 sources done; vc01 812/2500, vc02 40/400, ...`.
    fn message(all: &[SourceTally]) -> String {
        let finished = all.iter().filter(|s| s.finished).count();
        let running: Vec<&SourceTally> = all.iter().filter(|s| s.running).collect();
        let mut m = format!("{finished}/{} sources done", all.len());
        for (n, s) in running.iter().enumerate() {
            if n == SOURCES_ON_THE_BAR {
                m.push_str(&format!(", {} more", running.len() - n));
                break;
            }
            m.push_str(if n == 0 { "; " } else { ", " });
            match s.total {
                Some(t) => m.push_str(&format!("{} {}/{t}", s.label, s.done)),
                None => m.push_str(&format!("{} {}", s.label, s.done)),
            }
        }
        m
    }

    fn show(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let Ok(all) = self.sources.lock() else {
            return;
        };
        let done: usize = all.iter().map(|s| s.done).sum();
        let total: usize = all.iter().map(|s| s.total.unwrap_or(s.done)).sum();
        self.bar.set_length(total.max(done) as u64);
        self.bar.set_position(done as u64);
        self.bar.set_message(Self::message(&all));
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The source record of `spec`, before anything is known about the server.
fn source_of(spec: &SourceSpec) -> Source {
    Source {
        name: spec.url.clone(),
        kind: SourceKind::Vcenter,
        insecure: spec.insecure,
        collected_at: None,
        duration_seconds: None,
        product: None,
        error: None,
        schema_version: None,
    }
}

fn failed(spec: &SourceSpec, error: String) -> Source {
    Source {
        error: Some(error),
        schema_version: None,
        ..source_of(spec)
    }
}

/// Collect one source, each host made into an `H` by `finish`. Never fails: errors end up in
/// `Source.error`. Whatever happens, the views and collectors it opened are destroyed and the
/// session is logged out.
async fn collect_source<H: Send + 'static>(
    spec: &SourceSpec,
    opts: Options,
    finish: Arc<dyn Fn(Host) -> H + Send + Sync>,
    progress: impl Fn(Step) + Sync,
) -> (Source, Vec<H>) {
    let mut source = source_of(spec);
    let url = match client::sdk_url(&spec.url) {
        Ok(u) => u,
        Err(e) => return (failed(spec, e.to_string()), Vec::new()),
    };
    if spec.insecure {
        tracing::warn!(
            "{}: TLS certificate verification is switched off (insecure); the server's identity is not checked",
            spec.url
        );
    }
    let settings = Settings {
        max_response_bytes: spec
            .max_response_bytes
            .unwrap_or(opts.settings.max_response_bytes),
        ..opts.settings
    };
    let client = match Client::new(&url, spec.ca_file.as_deref(), spec.insecure, settings) {
        Ok(c) => c,
        Err(e) => return (failed(spec, e.to_string()), Vec::new()),
    };
    tracing::info!("{}: connecting as {}", spec.url, spec.user);
    let streams = spec.streams.unwrap_or(opts.streams).clamp(1, MAX_STREAMS);

    let mut hosts = Vec::new();
    let mut sc_seen = None;
    let work = async {
        let sc = session::retrieve_service_content(&client).await?;
        if let Some(v) = &sc.api_version {
            client.set_api_version(v);
        }
        sc_seen = Some(sc.clone());
        session::login(&client, &sc, &spec.user, &spec.password).await?;
        tracing::info!(
            "{}: logged in to {}",
            spec.url,
            sc.full_name.as_deref().unwrap_or("the server")
        );
        // With streams, the hosts are listed and the streams' collectors made while the
        // structure is read, and the structure's view is destroyed while the hosts are read (a
        // standalone ESXi host is one host: nothing to split).
        let (structure, list, structure_view) = if streams > 1 && !sc.is_esxi() {
            let (structure, list) = tokio::join!(
                passes::read_structure_open(&client, &sc, opts.max_objects),
                passes::list_hosts(&client, &sc, streams)
            );
            let (structure, view) = structure?;
            let list = list?;
            (structure?, Some(list), Some(view))
        } else {
            let structure = passes::read_structure(&client, &sc, opts.max_objects).await?;
            (structure, None, None)
        };
        if let Some(list) = &list {
            progress(Step::Total(list.hosts.len()));
        }
        let mut structure = structure;
        let mut refused = std::mem::take(&mut structure.refused);
        let done = |n| progress(Step::Done(n));
        let (released, all_received) = tokio::sync::oneshot::channel();
        let read = passes::read_hosts(
            &client,
            &sc,
            Arc::new(structure),
            &spec.url,
            opts.max_objects,
            list,
            &mut refused,
            finish,
            &done,
            released,
        );
        // The structure's view is destroyed while the hosts are read; and as soon as the last
        // page of every stream has arrived (and their collectors are destroyed), the session
        // is closed while those pages are still parsed and mapped: the server's session never
        // waits for the client's CPU. After an error it is closed below instead.
        let close_early = async {
            if let Some(view) = &structure_view {
                retrieve::destroy_view(&client, view).await;
            }
            if all_received.await.is_ok() {
                close_session(&client, &sc, &spec.url).await;
            }
        };
        let ((), read) = tokio::join!(close_early, read);
        hosts = read?;
        refused.log(&spec.url);
        Ok::<_, StepError>(sc)
    };
    let outcome = tokio::time::timeout(opts.source_timeout, work).await;

    // Destroy the views and collectors and log out whatever happened, if a session is still
    // open (it was not closed early).
    if let Some(sc) = &sc_seen {
        if client.has_session() {
            close_session(&client, sc, &spec.url).await;
        }
    }

    if let Some(sc) = &sc_seen {
        source.product = sc.full_name.clone();
        if sc.is_esxi() {
            source.kind = SourceKind::Esxi;
        }
    }
    match outcome {
        Ok(Ok(_)) => {
            source.collected_at = Some(now());
            tracing::info!("{}: {} hosts collected", spec.url, hosts.len());
            (source, hosts)
        }
        Ok(Err(e)) => {
            source.error = Some(describe(&e, spec));
            (source, Vec::new())
        }
        Err(_) => {
            source.error = Some(format!(
                "{}: the collection did not finish within {} s (VMKAUDIT_SOURCE_TIMEOUT)",
                spec.url,
                opts.source_timeout.as_secs()
            ));
            (source, Vec::new())
        }
    }
}

/// Destroy the views and collectors still open and log the session out (once: see
/// [`session::logout`]), within 15 s.
async fn close_session(client: &Client, sc: &session::ServiceContent, url: &str) {
    let cleanup = async {
        retrieve::destroy_open_views(client).await;
        session::logout(client, sc).await
    };
    match tokio::time::timeout(Duration::from_secs(15), cleanup).await {
        Ok(Ok(())) => tracing::debug!("{url}: logged out"),
        Ok(Err(e)) => tracing::debug!("{url}: logout failed: {e}"),
        Err(_) => tracing::debug!("{url}: logout timed out"),
    }
}

/// A clear message for a failed step. Never contains the password.
fn describe(e: &StepError, spec: &SourceSpec) -> String {
    let url = &spec.url;
    let step = e.step;
    match &e.error {
        CallError::Tls(m) => format!(
            "TLS certificate verification failed for {url}: {m}; trust the server's CA with \
             --ca-file PEM (`ca_file` in the [[vcenter]] table), or skip verification with \
             --insecure (`insecure = true`) at your own risk"
        ),
        CallError::Connect(m) | CallError::Resolve(m) => format!("cannot connect to {url}: {m}"),
        CallError::Timeout(t) => match t.phase {
            error::Phase::Connect | error::Phase::TlsHandshake => format!(
                "cannot connect to {url} ({step}): {t} (VMKAUDIT_CONNECT_TIMEOUT sets the \
                 connect timeout)"
            ),
            error::Phase::Answer | error::Phase::Body => format!(
                "{url} did not answer {step} in time: {t} (VMKAUDIT_REQUEST_TIMEOUT sets the \
                 request timeout)"
            ),
        },
        CallError::Redirect { status, location } => {
            let (to, advice) = match location {
                Some(l) => (
                    format!("a redirect to `{l}`"),
                    format!("if you trust `{l}`, give that URL as the source instead"),
                ),
                None => (
                    "a redirect without a Location".to_string(),
                    "give the server's own SDK address as the source".to_string(),
                ),
            };
            format!(
                "{url} answered {step} with HTTP status {status}, {to}; vmkaudit does not follow \
                 redirects, which would send the request (at Login, the user name and password) \
                 to another address; {advice}"
            )
        }
        CallError::TooLarge(limit) => format!(
            "{url}: the answer to {step} is larger than {limit} bytes, the most accepted from \
             one answer; reading stopped there (vSphere answers are a few MB; if this one is \
             genuine, raise `max_response_bytes` in the [[vcenter]] table or \
             --max-response-bytes)"
        ),
        CallError::TooDeep(_) => format!(
            "{url}: unexpected answer to {step}: {} (vSphere answers are a few dozen levels \
             deep)",
            e.error
        ),
        CallError::Http(s) => format!(
            "{url} answered {step} with HTTP status {s} and no SOAP response; is this the SDK \
             endpoint of a vCenter Server or ESXi host?"
        ),
        CallError::Protocol(m) => format!("{url}: unexpected answer to {step}: {m}"),
        CallError::Fault(f) => match f.kind.as_deref() {
            Some("InvalidLogin") => format!("login failed for user {} at {url}", spec.user),
            Some("NotAuthenticated") => format!(
                "not authenticated at {url} during {step}: the session was refused or has expired{}",
                f.privilege
                    .as_deref()
                    .map(|p| format!(" (privilege {p})"))
                    .unwrap_or_default()
            ),
            Some("NoPermission") => format!(
                "user {} lacks the privilege {} on {} at {url} ({step}); give the user the \
                 read-only role described in docs/collect.md",
                spec.user,
                f.privilege.as_deref().unwrap_or("(not named by the server)"),
                f.object
                    .as_ref()
                    .map(|o| o.to_string())
                    .unwrap_or_else(|| "the inventory".into()),
            ),
            _ => format!("{url}: {step} failed: {f}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SourceSpec {
        SourceSpec {
            url: "https://vc.lab".into(),
            user: "audit".into(),
            password: Password::new("topsecret"),
            ca_file: None,
            insecure: false,
            max_response_bytes: None,
            streams: None,
        }
    }

    #[test]
    fn a_source_records_how_long_its_collection_took_even_when_it_failed() {
        // Nothing listens on port 1 of loopback: the source fails at once.
        let bad = SourceSpec {
            url: "https://127.0.0.1:1".into(),
            ..spec()
        };
        let opts = Options {
            settings: Settings {
                retries: 0,
                ..Settings::default()
            },
            ..Options::from_env()
        };
        let inv = collect_with(&[bad], false, opts);
        let s = &inv.sources[0];
        assert!(s.error.is_some(), "{s:?}");
        let secs = s.duration_seconds.expect("a duration");
        assert!((0.0..60.0).contains(&secs), "{secs}");
    }

    #[test]
    fn debug_of_a_spec_hides_the_password() {
        assert!(!format!("{:?}", spec()).contains("topsecret"));
    }

    #[test]
    fn fault_messages() {
        let fault = |kind: &str, privilege: Option<&str>| StepError {
            step: "Login",
            error: CallError::Fault(Box::new(soap::Fault {
                kind: Some(kind.into()),
                message: String::new(),
                privilege: privilege.map(String::from),
                object: None,
                property: None,
            })),
        };
        assert_eq!(
            describe(&fault("InvalidLogin", None), &spec()),
            "login failed for user audit at https://vc.lab"
        );
        let m = describe(&fault("NoPermission", Some("System.View")), &spec());
        assert!(
            m.contains("System.View") && m.contains("docs/collect.md"),
            "{m}"
        );
        let m = describe(&fault("NotAuthenticated", Some("System.View")), &spec());
        assert!(
            m.starts_with("not authenticated at https://vc.lab during Login")
                && m.contains("System.View"),
            "{m}"
        );
        let tls = StepError {
            step: "RetrieveServiceContent",
            error: CallError::Tls("invalid peer certificate: UnknownIssuer".into()),
        };
        let m = describe(&tls, &spec());
        assert!(m.contains("--ca-file") && m.contains("--insecure"), "{m}");
    }

    #[test]
    fn a_redirect_without_a_location_is_explained() {
        let e = StepError {
            step: "RetrieveServiceContent",
            error: CallError::Redirect {
                status: 302,
                location: None,
            },
        };
        assert_eq!(
            describe(&e, &spec()),
            "https://vc.lab answered RetrieveServiceContent with HTTP status 302, a redirect \
             without a Location; vmkaudit does not follow redirects, which would send the \
             request (at Login, the user name and password) to another address; give the \
             server's own SDK address as the source"
        );
    }

    /// What the server of [`sources_are_collected_concurrently_up_to_the_limit`] saw
    /// and did, in order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Seen {
        Accepted,
        Released,
    }

    #[test]
    fn sources_are_collected_concurrently_up_to_the_limit() {
        // A configured limit, and the default one (enough for 15 linked vCenters at once).
        concurrency(4, 6);
        assert_eq!(DEFAULT_PARALLEL_SOURCES, 16);
        concurrency(DEFAULT_PARALLEL_SOURCES, DEFAULT_PARALLEL_SOURCES + 2);
    }

    /// Collect `count` sources with at most `limit` at a time, and check that `limit` were
    /// collected at the same time, never more.
    fn concurrency(limit: usize, count: usize) {
        use std::sync::Mutex;
        // A server that accepts connections and says nothing until the test lets one go: each
        // source holds its slot while its connection waits in the TLS handshake.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let held = Arc::new(Mutex::new(std::collections::VecDeque::new()));
        let (server_log, server_held) = (log.clone(), held.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut held = server_held.lock().unwrap();
                server_log.lock().unwrap().push(Seen::Accepted);
                held.push_back(conn);
            }
        });
        let specs: Vec<SourceSpec> = (0..count)
            .map(|_| SourceSpec {
                url: format!("https://127.0.0.1:{port}"),
                ..spec()
            })
            .collect();
        // Nothing runs out while the test holds the connections; four sources at a time.
        let opts = Options {
            max_objects: DEFAULT_MAX_OBJECTS,
            source_timeout: Duration::from_secs(600),
            settings: Settings {
                connect_timeout: Duration::from_secs(120),
                request_timeout: Duration::from_secs(300),
                retries: 0,
                ..Settings::default()
            },
            max_parallel_sources: limit,
            streams: DEFAULT_STREAMS,
        };
        let run = std::thread::spawn(move || collect_with(&specs, false, opts));
        let accepted = || {
            let log = log.lock().unwrap();
            log.iter().filter(|e| **e == Seen::Accepted).count()
        };
        // Wait (generously bounded) until `n` connections were accepted.
        let wait_for = |n: usize| {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while accepted() < n {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{} of {n} connections after 60 s",
                    accepted()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        };
        // End the connection held longest: the end of the TLS handshake fails its source at
        // once, which frees its slot. Logged before it is ended, so that a connection it lets
        // in is logged after it. What the client sent is read, so that it sees an end of
        // file, not a reset.
        let release = || {
            log.lock().unwrap().push(Seen::Released);
            let mut conn = held.lock().unwrap().pop_front().expect("a held connection");
            std::thread::spawn(move || {
                use std::io::Read;
                let _ = conn.shutdown(std::net::Shutdown::Write);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = conn.read_to_end(&mut Vec::new());
            });
        };
        for n in limit..=count {
            wait_for(n);
            release();
        }
        for _ in 0..limit - 1 {
            release();
        }
        let inv = run.join().unwrap();

        // `limit` connections were open at the same time, never more.
        let log = log.lock().unwrap().clone();
        let mut open = 0i32;
        let mut most = 0;
        for e in &log {
            open += if *e == Seen::Accepted { 1 } else { -1 };
            most = most.max(open);
        }
        assert_eq!(most, limit as i32, "{log:?}");
        assert_eq!(accepted(), count, "{log:?}");
        assert_eq!(inv.sources.len(), count);
        for s in &inv.sources {
            let err = s.error.as_deref().unwrap();
            assert!(err.contains("TLS"), "{err}");
        }
    }

    /// The error of the one source at `url`, collected with `settings`.
    fn error_of(url: &str, settings: Settings) -> String {
        let specs = [SourceSpec {
            url: url.to_string(),
            ..spec()
        }];
        let opts = Options {
            max_objects: DEFAULT_MAX_OBJECTS,
            source_timeout: Duration::from_secs(60),
            settings,
            ..Options::from_env()
        };
        let inv = collect_with(&specs, false, opts);
        inv.sources[0].error.clone().expect("the source failed")
    }

    #[test]
    fn a_peer_that_never_starts_tls_is_a_tls_handshake_timeout() {
        // Accepts TCP connections and never says anything.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming().flatten() {
                held.push(conn);
            }
        });
        let err = error_of(
            &format!("https://127.0.0.1:{port}"),
            Settings {
                connect_timeout: Duration::from_millis(300),
                request_timeout: Duration::from_secs(45),
                retries: 1,
                backoff: Duration::from_millis(10),
                ..Settings::default()
            },
        );
        assert!(
            err.contains(&format!(
                "the TLS handshake with 127.0.0.1:{port} did not complete within 0."
            )),
            "{err}"
        );
        assert!(err.contains("the TCP connection was accepted"), "{err}");
        assert!(err.contains("RetrieveServiceContent"), "{err}");
        assert!(err.contains("2 attempts"), "{err}");
        // Not the request timeout, which did not run out (its 45 s, not any "45": the port
        // may hold those digits).
        assert!(err.contains("VMKAUDIT_CONNECT_TIMEOUT"), "{err}");
        assert!(
            !err.contains("45.0 s") && !err.contains("VMKAUDIT_REQUEST_TIMEOUT"),
            "{err}"
        );
    }

    #[test]
    fn a_full_listen_queue_is_a_tcp_connect_timeout() {
        // A listener that never accepts, its queue filled: further SYNs go unanswered.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(1).unwrap()
        });
        let addr = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        while let Ok(c) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            queued.push(c);
            assert!(queued.len() < 100, "the listen queue does not fill");
        }
        let err = error_of(
            &format!("https://{addr}"),
            Settings {
                connect_timeout: Duration::from_millis(300),
                retries: 0,
                ..Settings::default()
            },
        );
        assert!(
            err.contains(&format!("no TCP connection to {addr} within 0.")),
            "{err}"
        );
        drop(listener);
    }

    /// The modules of `collect/`, bottom first: each may use only those before it (`mod.rs`,
    /// the top, uses them all). Keep in step with the module docs above.
    const LAYERS: &[&str] = &[
        "soap", "error", "client", "object", "page", "session", "retrieve", "map", "passes",
        "settings", "output",
    ];

    /// The non-test part of every `.rs` file of `src/collect/` except `mod.rs`, by module name.
    fn collect_sources() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = match text.find("#[cfg(test)]\nmod tests") {
                    Some(i) => text[..i].to_string(),
                    None => text,
                };
                out.push((name, code));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn collect_modules_only_use_the_layers_below_them() {
        let sibling = regex::Regex::new(r"(?:super|crate::collect)::(\w+)").unwrap();
        let mut wrong = Vec::new();
        for (name, code) in collect_sources() {
            if name == "mod" {
                continue;
            }
            let Some(rank) = LAYERS.iter().position(|l| *l == name) else {
                wrong.push(format!("{name}.rs is not in LAYERS"));
                continue;
            };
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for cap in sibling.captures_iter(&code) {
                let used = &cap[1];
                match LAYERS.iter().position(|l| *l == used) {
                    Some(r) if r < rank => {}
                    Some(_) => wrong.push(format!("{name}.rs uses {used}, which is not below it")),
                    // An item of mod.rs: the top layer.
                    None => wrong.push(format!("{name}.rs uses collect::{used} (mod.rs)")),
                }
            }
        }
        wrong.dedup();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn collect_uses_neither_cli_nor_config_nor_string_errors() {
        let string_error = regex::Regex::new(r"Result<[^;{]*,\s*String>").unwrap();
        for (name, code) in collect_sources() {
            // Spelt in two pieces so that tests/it/layers.rs does not read them as imports.
            for layer in ["cli", "config"].map(|m| format!("crate{}{m}", "::")) {
                assert!(!code.contains(&layer), "{name}.rs uses {layer}");
            }
            assert!(
                !string_error.is_match(&code),
                "{name}.rs returns an error as a String: {:?}",
                string_error.find(&code).map(|m| m.as_str())
            );
        }
    }

    #[test]
    fn password_from_file_and_missing_env() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\r\nignored\n").unwrap();
        let pw = read_password(None, Some(&p), "x", "s").unwrap();
        assert_eq!(pw.expose(), "s3cret");
        let err =
            read_password(Some("VMKAUDIT_TEST_SURELY_UNSET_VAR"), None, "x", "s").unwrap_err();
        assert!(err.to_string().contains("VMKAUDIT_TEST_SURELY_UNSET_VAR"));
        for not_a_name in ["Hunter2!", "9lives", "my pass", ""] {
            let err = read_password(Some(not_a_name), None, "x", "s")
                .unwrap_err()
                .to_string();
            assert!(err.contains("not the password itself"), "{err}");
            assert!(not_a_name.is_empty() || !err.contains(not_a_name), "{err}");
        }
        assert!(crate::secret::is_env_name("_VC01_PW") && !crate::secret::is_env_name("VC-PW"));
        std::fs::write(&p, "\n").unwrap();
        assert!(read_password(None, Some(&p), "x", "s").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_password_file_others_can_read_gives_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vc.pw");
        std::fs::write(&p, "s3cret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        for setting in ["password_env", "--password-env"] {
            let opts = SourceOptions {
                urls: vec!["https://vc.lab".into()],
                user: "u".into(),
                password_env: None,
                password_file: Some(p.clone()),
                ca_file: None,
                insecure: false,
                max_response_bytes: None,
                streams: None,
                origin: "x".into(),
                password_setting: setting,
            };
            let log = crate::secret::tests::logged(|| {
                SourceSpec::resolve(&opts).unwrap();
            });
            assert!(
                log.contains("vc.pw can be read by other users (mode 644)"),
                "{log}"
            );
            assert!(!log.contains("s3cret"), "{log}");
        }
    }
}
