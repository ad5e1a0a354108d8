//! The commands: wire the pipeline steps together.
//!
//! collect ([`crate::collect`]) or import ([`crate::inventory`]) → evaluate
//! ([`crate::evaluate`]) → findings ([`crate::findings`]) → render ([`crate::render`]) → deliver
//! ([`crate::deliver`]). Each command returns the [`ExitCode`] it ends with; errors carry their
//! own.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use crate::cli::{
    CheckArgs, Cli, CollectArgs, Command, CompletionsArgs, ManArgs, RulesArgs, RunArgs,
    StdoutFormat,
};
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
        // No colour codes in cron mail or log files, nor when NO_COLOR asks for none.
        .with_ansi(log_colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_target(false)
        .without_time()
        .try_init();
}

/// Whether the log output may be coloured: on a terminal, unless `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>).
pub fn log_colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
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
        Command::Completions(args) => completions(args),
        Command::Man(args) => man(args),
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

/// The report directory of `check` without `-o`.
pub const DEFAULT_OUTPUT_DIR: &str = "vmkaudit-report";

/// The report files `check` writes, as their formats and directory; `None` when only
/// `--stdout` was asked for (with `-o` or `--format` as well, the files are written too).
fn report_files(args: &CheckArgs) -> Result<Option<(Vec<OutputFormat>, PathBuf)>> {
    if args.stdout.is_some() && args.output_dir.is_none() && args.format.is_none() {
        return Ok(None);
    }
    let formats = match &args.format {
        Some(list) => parse_formats(list)?,
        None => crate::render::DEFAULT_FORMATS.to_vec(),
    };
    let dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT_DIR));
    Ok(Some((formats, dir)))
}

/// `vmkaudit check`.
pub fn check(args: CheckArgs, ui: Ui) -> Result<ExitCode> {
    let start = std::time::Instant::now();
    let from_stdin = args
        .inventories
        .iter()
        .filter(|p| p.as_os_str() == crate::inventory::STDIN)
        .count();
    if from_stdin > 1 {
        return Err(Error::Usage(
            "standard input (`-`) can be read only once: name it once among the inventories".into(),
        ));
    }
    let files = report_files(&args)?;
    // An unusable output directory is reported before a long import, not after it.
    if let Some((formats, dir)) = &files {
        crate::fsutil::check_output_dir(dir, &crate::render::report_names(formats))?;
    }
    let rules = load_rules(args.rules.as_deref())?;
    if from_stdin > 0 && !ui.quiet && std::io::stdin().is_terminal() {
        crate::say!("vmkaudit: reading an inventory from standard input (end it with Ctrl-D)");
    }
    let inventory = crate::inventory::load_all_limited(
        args.inventories
            .iter()
            .map(|p| (p.as_path(), args.input_format)),
        args.max_input_bytes,
    )?;
    let lang = args.report.lang.unwrap_or_default();
    let fail_on = args.report.fail_on.unwrap_or_default();
    inventory.warn_duplicate_hosts();
    let loaded = start.elapsed();
    let loaded_peak = peak_memory_mib();
    let findings = crate::evaluate::evaluate(&inventory, &rules, lang, chrono::Local::now());
    let evaluated = start.elapsed();
    let evaluated_peak = peak_memory_mib();
    let written = match files {
        Some((formats, dir)) => {
            let opts = RenderOptions {
                formats,
                lang,
                templates_dir: args.templates_dir.clone(),
                title: None,
                fail_on,
            };
            crate::render::write_reports(&dir, &inventory, &findings, &opts)?
        }
        None => Vec::new(),
    };
    if args.stdout == Some(StdoutFormat::Json) {
        let json = crate::render::findings_json(&findings);
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error.
        let _ = out.write_all(json.as_bytes()).and_then(|()| out.flush());
    }
    if !ui.quiet {
        print_summary(&findings, &written);
    }
    tracing::info!(
        "read {} hosts in {} ms, evaluated in {} ms, wrote the reports in {} ms \
         (peak memory after each: {} MiB)",
        inventory.hosts.len(),
        loaded.as_millis(),
        (evaluated - loaded).as_millis(),
        (start.elapsed() - evaluated).as_millis(),
        [loaded_peak, evaluated_peak, peak_memory_mib()]
            .map(|m| m.map_or("?".to_string(), |m| m.to_string()))
            .join(" / ")
    );
    let code = outcome(&findings, fail_on, false);
    drop_in_background((inventory, findings));
    Ok(code)
}

/// The process's peak resident memory so far, in MiB (Linux: `VmHWM` of /proc/self/status;
/// elsewhere unknown), for the phase timings of `-v` (not read when they are not logged).
fn peak_memory_mib() -> Option<u64> {
    if !tracing::enabled!(tracing::Level::INFO) {
        return None;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Free `v` on another thread. A 40,000-host inventory is millions of small allocations whose
/// freeing took a tenth of a run; the process need not wait for it before it exits.
fn drop_in_background<T: Send + 'static>(v: T) {
    if let Err(e) = std::thread::Builder::new().spawn(move || drop(v)) {
        tracing::debug!("no thread to free memory on: {e}");
    }
}

/// The configuration `run` reads when neither `--config` nor [`CONFIG_ENV`] names one.
pub const DEFAULT_CONFIG: &str = "/etc/vmkaudit/vmkaudit.toml";
/// The environment variable naming the configuration of `run` when `--config` is not given.
pub const CONFIG_ENV: &str = "VMKAUDIT_CONFIG";

/// Where the configuration of `run` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOrigin {
    Option,
    Environment,
    Default,
}

/// The configuration file of `run`: `--config`, else `$VMKAUDIT_CONFIG` (when set and not
/// empty), else [`DEFAULT_CONFIG`] when it exists; a usage error naming all three otherwise.
pub fn config_path(
    given: Option<&Path>,
    env: Option<std::ffi::OsString>,
    default: &Path,
) -> Result<(PathBuf, ConfigOrigin)> {
    if let Some(p) = given {
        return Ok((p.to_path_buf(), ConfigOrigin::Option));
    }
    if let Some(v) = env.filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(v), ConfigOrigin::Environment));
    }
    if default.exists() {
        return Ok((default.to_path_buf(), ConfigOrigin::Default));
    }
    Err(Error::Usage(format!(
        "no configuration: give --config FILE, set {CONFIG_ENV}, or create {}",
        default.display()
    )))
}

/// `vmkaudit run`.
pub fn run(args: RunArgs, ui: Ui) -> Result<ExitCode> {
    let started = chrono::Local::now();
    let (config, origin) = config_path(
        args.config.as_deref(),
        std::env::var_os(CONFIG_ENV),
        Path::new(DEFAULT_CONFIG),
    )?;
    if origin != ConfigOrigin::Option && !ui.quiet {
        let from = match origin {
            ConfigOrigin::Environment => format!("from ${CONFIG_ENV}"),
            _ => format!("the default: no --config, no ${CONFIG_ENV}"),
        };
        crate::say!("vmkaudit: configuration {} ({from})", config.display());
    }
    let cfg = Config::load(&config)?;
    let rules = load_rules(cfg.rules_file.as_deref())?;
    // A broken custom template is a config error: report it before a long collection.
    let report = &cfg.report;
    crate::render::html::Templates::load(report.templates_dir.as_deref())?;
    // So is an output directory that cannot be written, or a `latest` that is not ours.
    crate::fsutil::check_output_dir(&report.output_dir, &[])?;
    crate::deliver::rundir::check_latest(&report.output_dir)?;
    if let Some(path) = &report.prometheus_textfile {
        crate::fsutil::check_output_file(path)?;
    }
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
        fail_on,
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
    // Each host goes to a spill file beside the output as it comes, not kept as its model:
    // nothing is evaluated here.
    let dir = crate::fsutil::dir_of(&args.output);
    let collected = crate::collect::collect_serialized(&specs, ui.progress, dir)
        .map_err(|e| Error::io(dir, e))?;
    let failed: Vec<_> = (collected.inventory.sources.iter())
        .filter_map(|s| s.error.as_ref().map(|e| (s.name.clone(), e.clone())))
        .collect();
    crate::fsutil::write_atomic_with(&args.output, |w| collected.write(w))?;
    for (name, err) in &failed {
        crate::say!("vmkaudit: source {name} could not be collected: {err}");
    }
    if !ui.quiet {
        crate::say!(
            "Collected {} hosts, {} vmks from {} source(s) into {}",
            collected.hosts.len(),
            collected.vmk_count(),
            collected.inventory.sources.len() - failed.len(),
            args.output.display()
        );
    }
    drop_in_background(collected);
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

/// `vmkaudit completions SHELL`: the completion script, from the clap definitions.
pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut crate::cli::command(),
        "vmkaudit",
        &mut script,
    );
    // A closed pipe is not an error (written whole, so clap_complete never meets it).
    let _ = std::io::stdout().write_all(&script);
    Ok(ExitCode::Ok)
}

/// The manual pages from the clap definitions: `vmkaudit.1` last, after one page per command
/// (`vmkaudit-check.1`, ...), as (file name, roff).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn walk(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            walk(sub, out);
        }
        let page = clap_mangen::Man::new(cmd);
        let mut roff = Vec::new();
        // Rendering into memory cannot fail.
        let _ = page.render(&mut roff);
        out.push((page.get_filename(), roff));
    }
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    // Gives each command its display name (`vmkaudit-check`), the name of its page.
    cmd.build();
    let mut out = Vec::new();
    walk(cmd, &mut out);
    out
}

/// `vmkaudit man [--dir DIR]`.
pub fn man(args: ManArgs) -> Result<ExitCode> {
    let mut pages = man_pages();
    match args.dir {
        Some(dir) => {
            let files: Vec<(&str, Vec<u8>)> = pages
                .iter_mut()
                .map(|(name, roff)| (name.as_str(), std::mem::take(roff)))
                .collect();
            for p in crate::fsutil::write_set(&dir, &files)? {
                crate::say!("  wrote {}", p.display());
            }
        }
        None => {
            let (_, top) = pages.pop().unwrap_or_default();
            let _ = std::io::stdout().write_all(&top);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_finds_its_configuration_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let default = dir.path().join("vmkaudit.toml");
        let given = Path::new("given.toml");
        let env = || Some(std::ffi::OsString::from("env.toml"));
        let found = |g: Option<&Path>, e: Option<std::ffi::OsString>| {
            config_path(g, e, &default).map_err(|e| e.to_string())
        };
        assert_eq!(
            found(Some(given), env()).unwrap(),
            (given.to_path_buf(), ConfigOrigin::Option)
        );
        assert_eq!(
            found(None, env()).unwrap(),
            (PathBuf::from("env.toml"), ConfigOrigin::Environment)
        );
        let err = found(None, Some("".into())).unwrap_err();
        assert!(err.contains(&default.display().to_string()), "{err}");
        std::fs::write(&default, "").unwrap();
        assert_eq!(
            found(None, Some("".into())).unwrap(),
            (default.clone(), ConfigOrigin::Default)
        );
        assert_eq!(found(None, None).unwrap().1, ConfigOrigin::Default);
    }

    #[test]
    fn no_color_set_and_not_empty_turns_colour_off() {
        assert!(log_colour(true, None));
        assert!(log_colour(true, Some("".into())));
        assert!(!log_colour(true, Some("1".into())));
        assert!(!log_colour(false, None));
    }
}
