//! Live collection from vCenter Server and ESXi over the vSphere API (SOAP, vim25).
//!
//! [`SourceSpec`] is one endpoint with its credentials (the password comes from an environment
//! variable or a file, never from the command line). [`collect_all`] collects every source
//! concurrently (at most [`MAX_PARALLEL_SOURCES`] at a time) on a tokio runtime and merges them
//! into one [`Inventory`]. A source that fails — unreachable, TLS, bad password, missing
//! privilege, timeout — is recorded in `inventory.sources` with `error: Some(message)` and the
//! others are still collected; the caller turns that into a coverage finding and exit code 3.
//!
//! Layers: [`soap`] (envelopes, XML, faults) → [`client`] (HTTPS, TLS, timeouts, retries,
//! session cookie) → [`vsphere`] (the property-collector exchange and the mapping into
//! [`crate::model`]). The exchange and the privileges it needs are described in
//! `docs/collect.md`.

pub mod client;
pub mod page;
pub mod soap;
pub mod vsphere;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::CollectArgs;
use crate::config::VcenterConfig;
use crate::error::{Error, Result};
use crate::model::{Host, Inventory, Source, SourceKind};
use crate::secret::{read_secret, SecretSource};

use client::{CallError, Client};
pub use client::{Password, Settings};
use vsphere::StepError;

/// The collection progress bar while it is drawn: log lines are written above it.
static ACTIVE_BAR: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Standard error for log lines: while the progress bar is drawn, it is hidden for the write
/// and redrawn below the line, so that warnings do not end up glued to the bar.
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ACTIVE_BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn set_active_bar(bar: Option<&indicatif::ProgressBar>) {
    if let Ok(mut slot) = ACTIVE_BAR.lock() {
        *slot = bar.cloned();
    }
}

/// How many sources are collected at the same time.
pub const MAX_PARALLEL_SOURCES: usize = 4;

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
}

/// Read the password from an environment variable or the first line of a file
/// ([`crate::secret::read_secret`]).
fn read_password(
    env: Option<&str>,
    file: Option<&std::path::Path>,
    what: &str,
    setting: &str,
) -> Result<Password> {
    let source = match (env, file) {
        (Some(var), _) => SecretSource::Env { var, setting },
        (None, Some(path)) => SecretSource::File(path),
        (None, None) => {
            return Err(Error::Usage(format!(
                "{what}: no password source; give --password-env VAR or --password-file FILE \
                 (password_env or password_file in the config)"
            )))
        }
    };
    read_secret(source)
        .map(Password::new)
        .map_err(|e| Error::Usage(format!("{what}: {e}")))
}

fn check_url(url: &str) -> Result<()> {
    client::sdk_url(url).map(|_| ()).map_err(Error::Usage)
}

/// A CA file that cannot be read or holds no PEM certificate is a usage error, found before
/// anything is collected.
fn check_ca_file(path: Option<&std::path::Path>) -> Result<()> {
    match path {
        Some(p) => client::load_ca_file(p).map(|_| ()).map_err(Error::Usage),
        None => Ok(()),
    }
}

impl SourceSpec {
    pub fn from_config(c: &VcenterConfig) -> Result<SourceSpec> {
        let url = c.url.get_ref().clone();
        check_url(&url)?;
        check_ca_file(c.ca_file.as_deref())?;
        let password = read_password(
            c.password_env.as_deref(),
            c.password_file.as_deref(),
            &format!("[[vcenter]] {url}"),
            "password_env",
        )?;
        Ok(SourceSpec {
            url,
            user: c.user.clone(),
            password,
            ca_file: c.ca_file.clone(),
            insecure: c.insecure,
        })
    }

    pub fn from_args(a: &CollectArgs) -> Result<Vec<SourceSpec>> {
        for u in &a.vcenters {
            check_url(u)?;
        }
        check_ca_file(a.ca_file.as_deref())?;
        let password = read_password(
            a.password_env.as_deref(),
            a.password_file.as_deref(),
            "vmkaudit collect",
            "--password-env",
        )?;
        Ok(a.vcenters
            .iter()
            .map(|u| SourceSpec {
                url: u.clone(),
                user: a.user.clone(),
                password: password.clone(),
                ca_file: a.ca_file.clone(),
                insecure: a.insecure,
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
}

impl Options {
    /// Defaults, with the `VMKAUDIT_MAX_OBJECTS` and `VMKAUDIT_SOURCE_TIMEOUT` overrides.
    pub fn from_env() -> Self {
        let num = |var: &str| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        Options {
            max_objects: num("VMKAUDIT_MAX_OBJECTS")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(DEFAULT_MAX_OBJECTS),
            source_timeout: num("VMKAUDIT_SOURCE_TIMEOUT")
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_SOURCE_TIMEOUT),
            settings: Settings::default(),
        }
    }
}

/// Collect every source; a source that fails is recorded with its error in `sources`.
pub fn collect_all(specs: &[SourceSpec], progress: bool) -> Inventory {
    collect_with(specs, progress, Options::from_env())
}

/// [`collect_all`] with explicit options.
pub fn collect_with(specs: &[SourceSpec], progress: bool, opts: Options) -> Inventory {
    let mut inv = Inventory::new();
    inv.collected_at = Some(now());
    if specs.is_empty() {
        return inv;
    }
    let bar = if progress {
        let b = indicatif::ProgressBar::new(specs.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} collecting [{bar:30}] {pos}/{len} sources, {msg} {elapsed}",
        ) {
            b.set_style(style.progress_chars("=> "));
        }
        b.enable_steady_tick(Duration::from_millis(200));
        set_active_bar(Some(&b));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let hosts_seen = Arc::new(AtomicUsize::new(0));
    bar.set_message("0 hosts");

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(MAX_PARALLEL_SOURCES)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            set_active_bar(None);
            bar.finish_and_clear();
            for s in specs {
                inv.sources
                    .push(failed(s, format!("cannot start the async runtime: {e}")));
            }
            return inv;
        }
    };
    let results: Vec<(Source, Vec<Host>)> = runtime.block_on(async {
        let limit = Arc::new(tokio::sync::Semaphore::new(MAX_PARALLEL_SOURCES));
        let mut set = tokio::task::JoinSet::new();
        for (i, spec) in specs.iter().cloned().enumerate() {
            let limit = limit.clone();
            let bar = bar.clone();
            let seen = hosts_seen.clone();
            set.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let counter = |n: usize| {
                    let total = seen.fetch_add(n, Ordering::Relaxed) + n;
                    bar.set_message(format!("{total} hosts"));
                };
                let out = collect_source(&spec, opts, counter).await;
                bar.inc(1);
                (i, out)
            });
        }
        let mut out: Vec<Option<(Source, Vec<Host>)>> = vec![None; specs.len()];
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
    set_active_bar(None);
    bar.finish_and_clear();
    for (source, mut hosts) in results {
        hosts.sort_by(|a, b| a.name.cmp(&b.name));
        inv.sources.push(source);
        inv.hosts.extend(hosts);
    }
    inv
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
        product: None,
        error: None,
    }
}

fn failed(spec: &SourceSpec, error: String) -> Source {
    Source {
        error: Some(error),
        ..source_of(spec)
    }
}

/// Collect one source. Never fails: errors end up in `Source.error`.
async fn collect_source(
    spec: &SourceSpec,
    opts: Options,
    progress: impl Fn(usize),
) -> (Source, Vec<Host>) {
    let mut source = source_of(spec);
    let url = match client::sdk_url(&spec.url) {
        Ok(u) => u,
        Err(e) => return (failed(spec, e), Vec::new()),
    };
    if spec.insecure {
        tracing::warn!(
            "{}: TLS certificate verification is switched off (insecure); the server's identity is not checked",
            spec.url
        );
    }
    let client = match Client::new(&url, spec.ca_file.as_deref(), spec.insecure, opts.settings) {
        Ok(c) => c,
        Err(e) => return (failed(spec, e), Vec::new()),
    };
    tracing::info!("{}: connecting as {}", spec.url, spec.user);

    let mut hosts = Vec::new();
    let mut sc_seen = None;
    let work = async {
        let sc = vsphere::retrieve_service_content(&client).await?;
        if let Some(v) = &sc.api_version {
            client.set_api_version(v);
        }
        sc_seen = Some(sc.clone());
        vsphere::login(&client, &sc, &spec.user, &spec.password).await?;
        tracing::info!(
            "{}: logged in to {}",
            spec.url,
            sc.full_name.as_deref().unwrap_or("the server")
        );
        let mut structure = vsphere::read_structure(&client, &sc, opts.max_objects).await?;
        let mut refused = std::mem::take(&mut structure.refused);
        vsphere::read_hosts(
            &client,
            &sc,
            &structure,
            &spec.url,
            opts.max_objects,
            &mut refused,
            |h| {
                hosts.push(h);
                progress(1);
            },
        )
        .await?;
        refused.log(&spec.url);
        Ok::<_, StepError>(sc)
    };
    let outcome = tokio::time::timeout(opts.source_timeout, work).await;

    // Destroy the views and log out whatever happened, if a session was opened.
    if let Some(sc) = &sc_seen {
        if client.has_session() {
            let cleanup = async {
                vsphere::destroy_open_views(&client).await;
                vsphere::logout(&client, sc).await
            };
            match tokio::time::timeout(Duration::from_secs(15), cleanup).await {
                Ok(Ok(())) => tracing::debug!("{}: logged out", spec.url),
                Ok(Err(e)) => tracing::debug!("{}: logout failed: {e}", spec.url),
                Err(_) => tracing::debug!("{}: logout timed out", spec.url),
            }
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
        CallError::Timeout(d) => format!(
            "{url} did not answer {step} within {} s",
            d.as_secs()
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
        }
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
    fn sources_are_collected_concurrently_at_most_four_at_a_time() {
        // A server that accepts connections and never answers: every source times out.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(conn);
            }
        });
        let specs: Vec<SourceSpec> = (0..6)
            .map(|_| SourceSpec {
                url: format!("https://127.0.0.1:{port}"),
                ..spec()
            })
            .collect();
        let opts = Options {
            max_objects: DEFAULT_MAX_OBJECTS,
            source_timeout: Duration::from_secs(60),
            settings: Settings {
                request_timeout: Duration::from_secs(2),
                retries: 0,
                ..Settings::default()
            },
        };
        let run = std::thread::spawn(move || collect_with(&specs, false, opts));
        std::thread::sleep(Duration::from_millis(1000));
        // Four sources wait for their answer at the same time; the other two wait for a slot.
        assert_eq!(accepted.load(Ordering::SeqCst), MAX_PARALLEL_SOURCES);
        let inv = run.join().unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 6);
        assert_eq!(inv.sources.len(), 6);
        for s in &inv.sources {
            let err = s.error.as_deref().unwrap();
            assert!(
                err.contains("did not answer RetrieveServiceContent within 2 s"),
                "{err}"
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
    fn vcenter_password_file_and_collect_password_file_warn_when_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vc.pw");
        std::fs::write(&p, "s3cret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let toml = format!(
            "url = \"https://vc.lab\"\nuser = \"u\"\npassword_file = {:?}\n",
            p.display().to_string()
        );
        let vc: VcenterConfig = toml::from_str(&toml).unwrap();
        let log = crate::secret::tests::logged(|| {
            SourceSpec::from_config(&vc).unwrap();
        });
        assert!(
            log.contains("vc.pw can be read by other users (mode 644)"),
            "{log}"
        );
        use clap::Parser as _;
        let cli = crate::cli::Cli::try_parse_from([
            "vmkaudit",
            "collect",
            "--vcenter",
            "https://vc.lab",
            "--user",
            "u",
            "--password-file",
            p.to_str().unwrap(),
            "-o",
            "inv.json",
        ])
        .unwrap();
        let crate::cli::Command::Collect(args) = cli.command else {
            unreachable!("parsed as collect")
        };
        let log = crate::secret::tests::logged(|| {
            SourceSpec::from_args(&args).unwrap();
        });
        assert!(
            log.contains("vc.pw can be read by other users (mode 644)"),
            "{log}"
        );
        assert!(!log.contains("s3cret"), "{log}");
    }
}
