//! The commands: wire the pipeline steps together.
//!
//! collect ([`crate::collect`]) or import ([`crate::inventory`]) → evaluate
//! ([`crate::evaluate`]) → findings ([`crate::findings`]) → render ([`crate::render`]) → deliver
//! ([`crate::deliver`]). Each command returns the [`ExitCode`] it ends with; errors carry their
//! own.

use std::io::IsTerminal;
use std::path::Path;

use crate::cli::{CheckArgs, Cli, CollectArgs, Command, RulesArgs, RunArgs};
use crate::collect::settings::VcenterConfig;
use crate::collect::SourceOptions;
use crate::config::Config;
use crate::error::{Error, ExitCode, Result};
use crate::evaluate::RuleSet;
use crate::findings::{FailOn, FindingsFile, Severity};
use crate::model::Inventory;
use crate::render::{OutputFormat, RenderOptions};

/// Set up tracing on stderr: warnings by default, more with `-v`, errors only with `-q`.
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = if quiet {
        "error"
    } else {
        match verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("vmkaudit={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Above the collection progress bar when one is drawn.
        .with_writer(|| crate::ui::LogWriter)
        // No colour codes in cron mail or log files.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}

/// Run one command.
pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let ui = Ui {
        quiet: cli.quiet,
        progress: !cli.quiet && std::io::stderr().is_terminal(),
    };
    match cli.command {
        Command::Check(args) => check(args, ui),
        Command::Run(args) => run(args, ui),
        Command::Collect(args) => collect(args, ui),
        Command::Rules(args) => rules(args),
    }
}

/// How chatty to be on the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub quiet: bool,
    /// Draw progress bars (stderr is a terminal and not quiet).
    pub progress: bool,
}

fn parse_formats(list: &[String]) -> Result<Vec<OutputFormat>> {
    crate::choice::parse_set(list.iter().map(String::as_str))
        .map_err(|e| Error::Usage(e.given_in("--format").to_string()))
}

fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        Some(p) => RuleSet::load(p),
        None => Ok(RuleSet::builtin_default()),
    }
}

/// `vmkaudit check`.
pub fn check(args: CheckArgs, ui: Ui) -> Result<ExitCode> {
    let start = std::time::Instant::now();
    let formats = parse_formats(&args.format)?;
    // An unusable output directory is reported before a long import, not after it.
    crate::fsutil::check_output_dir(&args.output_dir, &crate::render::report_names(&formats))?;
    let rules = load_rules(args.rules.as_deref())?;
    let inventory = crate::inventory::load_all_limited(
        args.inventories
            .iter()
            .map(|p| (p.as_path(), args.input_format)),
        args.max_input_bytes,
    )?;
    let lang = args.report.lang.unwrap_or_default();
    inventory.warn_duplicate_hosts();
    let loaded = start.elapsed();
    let findings = crate::evaluate::evaluate(&inventory, &rules, lang, chrono::Local::now());
    let evaluated = start.elapsed();
    let opts = RenderOptions {
        formats,
        lang,
        templates_dir: args.templates_dir.clone(),
        title: None,
    };
    let written = crate::render::write_reports(&args.output_dir, &inventory, &findings, &opts)?;
    if !ui.quiet {
        print_summary(&findings, &written);
    }
    tracing::info!(
        "read {} hosts in {} ms, evaluated in {} ms, wrote the reports in {} ms",
        inventory.hosts.len(),
        loaded.as_millis(),
        (evaluated - loaded).as_millis(),
        (start.elapsed() - evaluated).as_millis()
    );
    let code = outcome(&findings, args.report.fail_on.unwrap_or_default(), false);
    drop_in_background((inventory, findings));
    Ok(code)
}

/// Free `v` on another thread. A 40,000-host inventory is millions of small allocations whose
/// freeing took a tenth of a run; the process need not wait for it before it exits.
fn drop_in_background<T: Send + 'static>(v: T) {
    if let Err(e) = std::thread::Builder::new().spawn(move || drop(v)) {
        tracing::debug!("no thread to free memory on: {e}");
    }
}

/// `vmkaudit run`.
pub fn run(args: RunArgs, ui: Ui) -> Result<ExitCode> {
    let started = chrono::Local::now();
    let cfg = Config::load(&args.config)?;
    let rules = load_rules(cfg.rules_file.as_deref())?;
    // A broken custom template is a config error: report it before a long collection.
    let report = &cfg.report;
    crate::render::html::Templates::load(report.templates_dir.as_deref())?;
    // So is an output directory that cannot be written, or a `latest` that is not ours.
    crate::fsutil::check_output_dir(&report.output_dir, &[])?;
    crate::deliver::rundir::check_latest(&report.output_dir)?;
    let lang = args.report.lang.unwrap_or(report.language);
    let fail_on = args.report.fail_on.or(report.fail_on).unwrap_or_default();

    let mut inventory = Inventory::new();
    for inv in &cfg.inventories {
        inventory.merge(crate::inventory::load_limited(
            &inv.path,
            inv.format,
            cfg.max_input_bytes,
        )?);
    }
    let mut specs = Vec::new();
    for vc in &cfg.vcenters {
        specs.extend(crate::collect::SourceSpec::resolve(&vcenter_sources(vc))?);
    }
    // From here to the end, this is the only run writing to the output directory.
    let lock = crate::deliver::lock::OutputLock::acquire(
        &report.output_dir,
        &crate::deliver::lock::Holder::this_process(started),
        report.lock_wait,
    )?;
    let mut source_failed = false;
    if !specs.is_empty() {
        let mut opts = crate::collect::Options::from_env();
        if let Some(n) = cfg.max_parallel_sources {
            opts.max_parallel_sources = n;
        }
        let collected = crate::collect::collect_with(&specs, ui.progress, opts);
        source_failed = collected.sources.iter().any(|s| s.error.is_some());
        inventory.merge(collected);
    }

    inventory.warn_duplicate_hosts();
    let findings = crate::evaluate::evaluate(&inventory, &rules, lang, chrono::Local::now());
    let opts = RenderOptions {
        formats: report.formats.clone(),
        lang,
        templates_dir: report.templates_dir.clone(),
        title: cfg.name.clone(),
    };
    let delivered = crate::deliver::deliver(
        report,
        cfg.email.as_ref(),
        &lock,
        &inventory,
        findings,
        &opts,
        crate::deliver::DeliverOptions {
            dry_run_email: args.dry_run_email,
            fail_on,
        },
    )?;
    if !ui.quiet {
        print_summary(&delivered.findings, &delivered.written);
        crate::deliver::print_outcome(&delivered);
    }
    if let Some(err) = delivered.email_error {
        // The reports are written: say so after the error, and end with its exit code (4).
        let err = Error::Email(Box::new(err));
        crate::say!("vmkaudit: error: {err}");
        crate::say!(
            "vmkaudit: the reports were written to {}",
            delivered.report_dir.display()
        );
        return Ok(err.exit_code());
    }
    Ok(outcome(&delivered.findings, fail_on, source_failed))
}

/// The collector's options for a `[[vcenter]]` table of the config.
fn vcenter_sources(c: &VcenterConfig) -> SourceOptions {
    let url = c.url.get_ref().clone();
    SourceOptions {
        origin: format!("[[vcenter]] {url}"),
        urls: vec![url],
        user: c.user.clone(),
        password_env: c.password_env.clone(),
        password_file: c.password_file.clone(),
        ca_file: c.ca_file.clone(),
        insecure: c.insecure,
        max_response_bytes: c.max_response_bytes.as_ref().map(|m| *m.get_ref()),
        streams: c.streams.as_ref().map(|n| *n.get_ref() as usize),
        password_setting: "password_env",
    }
}

/// The collector's options for `vmkaudit collect`.
fn collect_sources(a: &CollectArgs) -> SourceOptions {
    SourceOptions {
        origin: "vmkaudit collect".into(),
        urls: a.vcenters.clone(),
        user: a.user.clone(),
        password_env: a.password_env.clone(),
        password_file: a.password_file.clone(),
        ca_file: a.ca_file.clone(),
        insecure: a.insecure,
        max_response_bytes: a.max_response_bytes,
        streams: None,
        password_setting: "--password-env",
    }
}

/// `vmkaudit collect`.
pub fn collect(args: CollectArgs, ui: Ui) -> Result<ExitCode> {
    // Before the network: an output path that cannot be written would lose the collection.
    crate::fsutil::check_output_file(&args.output)?;
    let specs = crate::collect::SourceSpec::resolve(&collect_sources(&args))?;
    let inventory = crate::collect::collect_all(&specs, ui.progress);
    let failed: Vec<_> = inventory
        .sources
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| (s.name.clone(), e.clone())))
        .collect();
    crate::fsutil::write_atomic_with(&args.output, |w| {
        crate::inventory::json::write(&inventory, w)
    })?;
    for (name, err) in &failed {
        crate::say!("vmkaudit: source {name} could not be collected: {err}");
    }
    if !ui.quiet {
        crate::say!(
            "Collected {} hosts, {} vmks from {} source(s) into {}",
            inventory.hosts.len(),
            inventory.vmk_count(),
            inventory.sources.len() - failed.len(),
            args.output.display()
        );
    }
    drop_in_background(inventory);
    Ok(if failed.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::SourceFailed
    })
}

/// `vmkaudit rules`.
pub fn rules(args: RulesArgs) -> Result<ExitCode> {
    let set = load_rules(args.rules.as_deref())?;
    let out = crate::evaluate::describe(args.id.as_deref(), &set, args.format)?;
    // A closed pipe (`vmkaudit rules | head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    Ok(ExitCode::Ok)
}

/// The exit code for a finished evaluation. A failed source (3) outranks findings (1).
pub fn outcome(findings: &FindingsFile, fail_on: FailOn, source_failed: bool) -> ExitCode {
    if source_failed {
        return ExitCode::SourceFailed;
    }
    match fail_on.threshold() {
        Some(level) if findings.count_at_or_above(level) > 0 => ExitCode::Findings,
        _ => ExitCode::Ok,
    }
}

fn print_summary(findings: &FindingsFile, written: &[std::path::PathBuf]) {
    let s = &findings.summary;
    let count = |sev| s.by_severity[sev];
    crate::say!(
        "Checked {} ({}): {}, {}, {} info on {}{}",
        plural(s.hosts_checked, "host"),
        plural(s.vmks_checked, "vmk"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info),
        plural(s.hosts_with_findings, "host"),
        if s.waived > 0 {
            format!(", {} waived", s.waived)
        } else {
            String::new()
        }
    );
    for p in written {
        crate::say!("  wrote {}", p.display());
    }
}

/// `1 host`, `2 hosts`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
