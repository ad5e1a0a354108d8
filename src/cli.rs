//! The command line: clap definitions only. `main` parses these and hands them to the commands
//! (`app`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::findings::FailOn;
use crate::i18n::Lang;
use crate::inventory::Format as InputFormat;

/// The exit codes of the program (README "Exit codes"); each command's help lists only those
/// it can give (`EXIT_CHECK` ...).
const EXIT_CODES: &str = "\
Exit codes (`vmkaudit COMMAND --help` lists those of one command):
  0  nothing at or above the fail level (--fail-on)
  1  findings at or above the fail level
  2  usage, configuration or input error
  3  a source could not be collected in this run (the rest was still reported)
  4  reports written, but email delivery failed";

const EXIT_CHECK: &str = "\
Exit codes:
  0  nothing at or above the fail level (--fail-on)
  1  findings at or above the fail level
  2  usage or input error, or an output path that cannot be written";

const EXIT_RUN: &str = "\
Exit codes:
  0  nothing at or above the fail level (--fail-on, report.fail_on)
  1  findings at or above the fail level
  2  usage, configuration or input error, an output path that cannot be written, or another
     run still writing to the output directory after report.lock_wait
  3  a source could not be collected in this run (the rest was still reported)
  4  reports written, but email delivery failed";

const EXIT_COLLECT: &str = "\
Exit codes:
  0  every source collected
  2  usage or input error, or an output path that cannot be written
  3  a source could not be collected (the others are in the inventory file)";

const EXIT_RULES: &str = "\
Exit codes:
  0  listed
  2  usage error, a rule set that cannot be read, or an unknown rule";

const EXIT_WRITTEN: &str = "\
Exit codes:
  0  written
  2  usage error, or an output path that cannot be written";

/// Where `run` looks for its configuration, and the environment the program heeds (the long
/// help and the man page).
const FILES_AND_ENVIRONMENT: &str = "\
Files:
  /etc/vmkaudit/vmkaudit.toml  the configuration of `vmkaudit run` when neither --config nor
                               VMKAUDIT_CONFIG names one

Environment:
  VMKAUDIT_CONFIG  the configuration of `vmkaudit run` when --config is not given
  NO_COLOR         when set and not empty, no colour in the log output
  RUST_LOG         log filter, overriding -v and -q (e.g. vmkaudit=debug)";

/// `vmkaudit --version`: the package version and the commit it was built from (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("VMKAUDIT_COMMIT"),
    ")"
);

/// Audit ESXi VMkernel adapters (vmk): gateways, service separation, MTU, firewall, addressing.
///
/// vmkaudit gathers every host's vmk configuration from vCenter/ESXi or from exported files
/// (vmkaudit inventory JSON, RVTools vSC_VMK CSV, PowerCLI Export-Csv), checks it against a rule
/// set and writes HTML, CSV, JSON, JUnit XML and Prometheus reports.
#[derive(Debug, Parser)]
#[command(
    name = "vmkaudit",
    version = VERSION,
    after_help = EXIT_CODES,
    after_long_help = long_help_tail(),
    propagate_version = true
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no summary, no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The program's exit codes, then its files and environment: the end of `vmkaudit --help`.
fn long_help_tail() -> String {
    format!("{EXIT_CODES}\n\n{FILES_AND_ENVIRONMENT}")
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check inventory files against a rule set and write the reports.
    #[command(after_help = EXIT_CHECK)]
    Check(CheckArgs),
    /// Run the periodic job from a config file: collect, check, report, email.
    #[command(after_help = EXIT_RUN)]
    Run(RunArgs),
    /// Collect the inventory live from vCenter Server or ESXi hosts into an inventory file.
    #[command(after_help = EXIT_COLLECT)]
    Collect(CollectArgs),
    /// List the rules, or explain one.
    #[command(after_help = EXIT_RULES)]
    Rules(RulesArgs),
    /// Write a shell completion script to standard output.
    ///
    /// bash: `vmkaudit completions bash > /etc/bash_completion.d/vmkaudit`; zsh: into a
    /// directory of $fpath as `_vmkaudit`; fish: `~/.config/fish/completions/vmkaudit.fish`;
    /// PowerShell: `vmkaudit completions powershell | Out-String | Invoke-Expression` in the
    /// profile.
    #[command(after_help = EXIT_WRITTEN)]
    Completions(CompletionsArgs),
    /// Write the manual page (roff) to standard output, or every page into a directory.
    ///
    /// `vmkaudit man | man -l -` shows it; `vmkaudit man --dir /usr/local/share/man/man1`
    /// installs vmkaudit.1 and one page per command (vmkaudit-check.1, ...).
    #[command(after_help = EXIT_WRITTEN)]
    Man(ManArgs),
}

/// The clap definition of the whole command line (for completions and the man page).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write vmkaudit.1 and one page per command into this directory instead.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// What `check --stdout` writes to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StdoutFormat {
    /// findings.json
    Json,
}

/// Report options shared by `check` and overridable for `run`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    // Report language; the help lists the codes of `i18n::LANGUAGES`.
    #[arg(long = "lang", value_name = "LANG", value_parser = parse_lang, help = lang_help())]
    pub lang: Option<Lang>,
    /// Severity at or above which findings make the exit code 1 (default: warning; for `run`,
    /// the config's report.fail_on).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
}

fn parse_lang(s: &str) -> Result<Lang, crate::i18n::UnknownLanguage> {
    s.parse()
}

fn lang_help() -> String {
    format!(
        "Report language: {} (default: en; for `run`, the config's report.language).",
        crate::i18n::codes_phrase(false)
    )
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Inventory files: vmkaudit JSON, an RVTools workbook (.xlsx), the folder or files of its
    /// all-tabs CSV export, its vSC_VMK CSV, or a PowerCLI CSV (recognised by content); `-`
    /// reads one from standard input.
    #[arg(value_name = "INVENTORY", required = true)]
    pub inventories: Vec<PathBuf>,
    /// Read every input in this format instead of recognising it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// Refuse an input file (or standard input) larger than this many bytes (default 2 GiB).
    #[arg(long, value_name = "BYTES", default_value_t = crate::fsutil::DEFAULT_MAX_INPUT_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_input_bytes: u64,
    /// Rule set: a TOML file, or a built-in set: default, stig, pre-upgrade (default: default).
    #[arg(long, value_name = "FILE|NAME")]
    pub rules: Option<PathBuf>,
    /// Directory the reports are written into (default: vmkaudit-report; with --stdout and
    /// neither -o nor --format, no report file is written).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Report formats, comma-separated: html, csv, json, remediation (the fix scripts
    /// remediation.sh and remediation.ps1, never run by vmkaudit), junit, prometheus
    /// (default: html,csv,json,remediation).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub format: Option<Vec<String>>,
    /// Also write this to standard output, and nothing else there: json (findings.json).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub stdout: Option<StdoutFormat>,
    /// Directory with templates overriding the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run configuration (TOML; the README's configuration reference has every key).
    /// Default: $VMKAUDIT_CONFIG, then /etc/vmkaudit/vmkaudit.toml.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write the email as message.eml beside the reports instead of sending it.
    #[arg(long)]
    pub dry_run_email: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// vCenter or ESXi URL: https://host, https://host:port or https://host:port/sdk. Repeatable.
    #[arg(long = "vcenter", value_name = "URL", required = true)]
    pub vcenters: Vec<String>,
    /// User name to log in with.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// Name of the environment variable that holds the password.
    #[arg(long, value_name = "VAR", required_unless_present = "password_file")]
    pub password_env: Option<String>,
    /// File whose first line is the password.
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// PEM file with CA certificate(s) to trust in addition to the system roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify TLS certificates (logged, and shown in the report).
    #[arg(long)]
    pub insecure: bool,
    /// The largest single SOAP answer accepted, in bytes (default 1 GiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(crate::collect::settings::MIN_RESPONSE_BYTES..))]
    pub max_response_bytes: Option<u64>,
    /// Inventory file to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule ID (or name) to explain in full.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// Show the rules as configured by this rule set (a file, or default, stig, pre-upgrade).
    #[arg(long, value_name = "FILE|NAME")]
    pub rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: RulesFormat,
}

pub use crate::evaluate::RulesFormat;
