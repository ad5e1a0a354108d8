//! Delivery: place a run's reports in a dated run folder, compare with the previous run, email.
//!
//! [`deliver`] is the end of `vmkaudit run`, done while the run holds the output directory's
//! lock ([`lock`]): remove the unfinished folders of runs that died, make a new run folder
//! ([`rundir`]), mark the findings new/persisting/resolved against the previous complete run
//! ([`history`]) and list the configuration changes since its inventory ([`crate::drift`]),
//! write the reports into the folder (always including `findings.json` and the run's
//! `inventory.json`, which the next run compares with), build the email ([`email`], subject
//! from [`subject`]) or write it as `message.eml` (dry run, or no `smtp_host`), mark the
//! folder complete, point `latest` at it, apply retention, and only then send the email,
//! recorded in the [`outbox`] until the server accepted it. An email failure never touches what was written: it comes back in
//! [`Delivered::email_error`] (a [`Error`]) and the run ends with exit code 4.
//!
//! The `[report]` and `[email]` tables of the run config are declared and checked here
//! ([`settings`], [`email::settings`]), beside the code that uses them.

pub mod email;
pub mod error;
pub mod history;
pub mod lock;
pub mod outbox;
pub mod record;
pub mod rundir;
pub mod settings;
pub mod subject;

use std::path::PathBuf;

use crate::deliver::lock::OutputLock;
use crate::findings::{FailOn, FindingsFile};
use crate::model::Inventory;
use crate::render::{OutputFormat, RenderOptions};

pub use email::{EmailOutcome, EmailSettings};
pub use error::Error;
pub use history::Changes;
pub use settings::ReportSettings;

/// Options from the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeliverOptions {
    /// `--dry-run-email`: write `message.eml` instead of sending.
    pub dry_run_email: bool,
    /// The effective fail level (for `send = "findings"`).
    pub fail_on: FailOn,
}

/// What a delivery did.
#[derive(Debug)]
pub struct Delivered {
    /// The findings with the run history filled in.
    pub findings: FindingsFile,
    /// The run folder.
    pub report_dir: PathBuf,
    pub written: Vec<PathBuf>,
    /// Set when the email could not be built, written or sent (the reports are written).
    pub email_error: Option<Error>,
    /// What became of the email.
    pub email: EmailOutcome,
    /// What changed since the previous run.
    pub changes: Changes,
    /// Old run folders deleted by retention.
    pub pruned: Vec<PathBuf>,
    /// Unfinished run folders of runs that died, removed.
    pub leftovers: Vec<PathBuf>,
}

/// Write the reports of a run and deliver them: into a run folder under `report.output_dir`,
/// emailed per `email` when there is an `[email]` table. `lock` is the lock on the output
/// directory.
pub fn deliver(
    report: &ReportSettings,
    email: Option<&EmailSettings>,
    lock: &OutputLock,
    inv: &Inventory,
    mut findings: FindingsFile,
    opts: &RenderOptions,
    options: DeliverOptions,
) -> crate::error::Result<Delivered> {
    let leftovers = rundir::remove_leftovers(lock);
    let output_dir = &report.output_dir;
    let run_dir = rundir::create_run_dir(output_dir, chrono::Local::now())?;
    let previous = history::load_previous(output_dir, &run_dir);
    if let Some((dir, _)) = &previous {
        tracing::info!("comparing with the previous run in {}", dir.display());
    }
    let mut changes = history::apply(
        &mut findings,
        previous.as_ref().map(|(_, f)| f),
        &history::Scope::of(inv),
    );
    findings.drift = previous
        .as_ref()
        .and_then(|(dir, _)| history::load_inventory(dir))
        .map(|before| crate::drift::compare(&before, inv));
    changes.drift = findings
        .drift
        .as_deref()
        .map_or(0, |d| crate::drift::Counts::of(d).drift());
    findings.trend = history::trend(
        output_dir,
        &run_dir,
        report.keep,
        previous.as_ref(),
        &findings,
    );

    // The next run compares with this run's findings.json, so it is always written.
    let mut render_opts = opts.clone();
    if !render_opts.formats.contains(&OutputFormat::Json) {
        render_opts.formats.push(OutputFormat::Json);
    }
    let mut written = match crate::render::write_reports(&run_dir, inv, &findings, &render_opts) {
        Ok(w) => w,
        Err(e) => {
            // The folder is this run's own and holds nothing usable.
            if let Err(rm) = std::fs::remove_dir_all(&run_dir) {
                tracing::warn!("could not remove {}: {rm}", run_dir.display());
            }
            return Err(e);
        }
    };
    // The next run lists the configuration changes since this one's inventory.
    let kept = run_dir.join(history::INVENTORY_JSON);
    // Without it the reports still stand: warn, and the next run has no baseline.
    match crate::fsutil::write_atomic_with(&kept, |w| {
        serde_json::to_writer(&mut *w, inv)?;
        std::io::Write::write_all(w, b"\n")
    }) {
        Ok(()) => written.push(kept),
        Err(e) => tracing::warn!("could not keep the run's inventory for the next comparison: {e}"),
    }
    // Build the email (and write message.eml) before `latest` is updated, so that a copied
    // `latest` holds it too; send only after the reports are in place.
    if options.dry_run_email && email.is_none() {
        tracing::warn!("--dry-run-email has no effect: the config has no [email] table");
    }
    let mut outcome = EmailOutcome::NotConfigured;
    let mut email_error = None;
    let mut to_send = None;
    if let Some(settings) = email {
        // Owed: emails of earlier runs that were not accepted (interrupted or failed). Folders
        // of older versions have no outbox but may record a failure.
        let mut owed = outbox::load(output_dir);
        if owed.is_empty() {
            if let Some((dir, f)) = previous
                .as_ref()
                .filter(|(dir, _)| record::email_failed(dir))
            {
                owed.push(outbox::Owed {
                    run: folder_name(dir),
                    generated_at: f.generated_at.clone(),
                    subject: String::new(),
                });
            }
        }
        let run = RunEmail {
            inv,
            findings: &findings,
            changes: &changes,
            run_dir: &run_dir,
            opts,
        };
        match prepare_email(settings, &run, options, &owed) {
            Ok(Prepared::Done(o)) => outcome = o,
            Ok(Prepared::Send(smtp, message)) => to_send = Some((settings, smtp, message)),
            Err(e) => {
                outcome = EmailOutcome::Failed(e.to_string());
                email_error = Some(e);
            }
        }
        if let EmailOutcome::Written(p) = &outcome {
            written.push(p.clone());
        }
    }
    // The report set is whole: from now on the folder counts as a run (for the history, for
    // retention), even if this process dies while sending.
    rundir::mark_complete(&run_dir)?;
    if let Err(e) = rundir::update_latest(output_dir, &run_dir) {
        tracing::warn!("could not update `latest`: {e}");
    }
    let pruned = rundir::prune(output_dir, report.keep, &run_dir);
    // The textfile collector's file: replaced atomically, so it never reads half of it. Its
    // path was checked before the run (`run` stops with exit 2 on one it cannot write); one
    // that fails now costs neither the reports nor the email, and the metrics' age shows it.
    if let Some(path) = &report.prometheus_textfile {
        let text = crate::render::prometheus::textfile(inv, &findings);
        match crate::fsutil::write_atomic(path, text.as_bytes()) {
            Ok(()) => written.push(path.clone()),
            Err(e) => tracing::warn!("could not write the Prometheus textfile: {e}"),
        }
    }
    if let Some((settings, smtp, message)) = to_send {
        // Owed until the server accepts it: a run killed while sending leaves this entry, and
        // the next run sends.
        let entry = outbox::Owed {
            run: folder_name(&run_dir),
            generated_at: findings.generated_at.clone(),
            subject: email::subject(
                settings,
                &findings,
                &changes,
                opts.title.as_deref(),
                opts.lang,
            ),
        };
        if let Err(e) = outbox::add(output_dir, entry) {
            tracing::warn!("could not record the email in the outbox: {e}");
        }
        match email::send(smtp, &message, &std::thread::sleep) {
            Ok(()) => {
                outcome = EmailOutcome::Sent {
                    server: email::server_label(smtp),
                    recipients: settings.to.len() + settings.cc.len() + settings.bcc.len(),
                };
                if let Err(e) = outbox::clear(output_dir) {
                    tracing::warn!("could not clear the outbox: {e}");
                }
            }
            Err(e) => {
                outcome = EmailOutcome::Failed(e.to_string());
                email_error = Some(e);
            }
        }
    }
    if email.is_some() {
        if let Err(e) = record::write(&run_dir, &outcome) {
            tracing::warn!("could not record the email outcome: {e}");
        }
    }
    Ok(Delivered {
        findings,
        report_dir: run_dir,
        written,
        email_error,
        email: outcome,
        changes,
        pruned,
        leftovers,
    })
}

/// The name of a run folder.
fn folder_name(dir: &std::path::Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The run an email is about.
struct RunEmail<'a> {
    inv: &'a Inventory,
    findings: &'a FindingsFile,
    changes: &'a Changes,
    run_dir: &'a std::path::Path,
    opts: &'a RenderOptions,
}

enum Prepared<'a> {
    /// Nothing (more) to do: skipped, or written as message.eml.
    Done(EmailOutcome),
    /// To be sent over SMTP to this server.
    Send(&'a email::SmtpSettings, lettre::Message),
}

/// Apply the send policy and build the message; write it as `message.eml` unless it goes to
/// an SMTP server. `owed`: earlier runs' emails that were not delivered.
fn prepare_email<'a>(
    settings: &'a EmailSettings,
    run: &RunEmail,
    options: DeliverOptions,
    owed: &[outbox::Owed],
) -> Result<Prepared<'a>, Error> {
    if let Err(reason) = email::should_send(
        settings.send,
        settings.count_drift,
        run.findings,
        run.changes,
        options.fail_on,
        !owed.is_empty(),
    ) {
        return Ok(Prepared::Done(EmailOutcome::Skipped(reason)));
    }
    let notes: Vec<String> = owed_note(owed, run.opts.lang).into_iter().collect();
    let message = email::build_message(
        settings,
        run.inv,
        run.findings,
        run.changes,
        run.run_dir,
        run.opts,
        &notes,
    )?;
    if let Some(smtp) = &settings.smtp {
        if !(settings.dry_run || options.dry_run_email) {
            return Ok(Prepared::Send(smtp, message));
        }
    }
    let path = email::write_eml(run.run_dir, &message).map_err(|e| Error::WriteEml(Box::new(e)))?;
    Ok(Prepared::Done(EmailOutcome::Written(path)))
}

/// The note at the top of an email that stands for earlier, undelivered ones.
fn owed_note(owed: &[outbox::Owed], lang: crate::i18n::Lang) -> Option<String> {
    if owed.is_empty() {
        return None;
    }
    let when: Vec<String> = owed
        .iter()
        .filter(|o| !o.generated_at.is_empty())
        .map(|o| subject::short_time(&o.generated_at))
        .collect();
    let n = owed.len();
    let list = if when.is_empty() {
        String::new()
    } else {
        format!(" ({})", when.join(", "))
    };
    Some(
        crate::msg!(
            "email.owed",
            "The email of {n} earlier run(s){list} was not delivered (the run was interrupted, or the server did not accept it); this report is sent in its place and shows the estate as it is now.",
            n,
            list
        )
        .render(lang),
    )
}

/// Tell the user (on stderr) what changed and what became of the email.
pub fn print_outcome(d: &Delivered) {
    let c = &d.changes;
    match &c.previous_run {
        Some(prev) => crate::say!(
            "Since {}: {} new, {} persisting, {} resolved",
            subject::short_time(prev),
            c.new,
            c.persisting,
            c.resolved
        ),
        None => crate::say!("First run in this output directory (nothing to compare with)"),
    }
    if let Some(drift) = &d.findings.drift {
        let n = crate::drift::Counts::of(drift);
        crate::say!(
            "Configuration since the previous run: {} setting(s) changed, {} added, {} removed{}",
            n.changed,
            n.added,
            n.removed,
            if n.unverified > 0 {
                format!(
                    ", {} host(s) not verified (not collected this time)",
                    n.unverified
                )
            } else {
                String::new()
            }
        );
    }
    if c.unverified > 0 {
        crate::say!(
            "  {} finding(s) of the previous run could not be re-checked (host not connected or source not collected); not counted as resolved",
            c.unverified
        );
    }
    for p in &d.leftovers {
        crate::say!(
            "  removed the unfinished run folder {} (left by a run that was interrupted)",
            p.display()
        );
    }
    for p in &d.pruned {
        crate::say!("  removed old run {}", p.display());
    }
    match &d.email {
        EmailOutcome::NotConfigured => {}
        EmailOutcome::Skipped(why) => crate::say!("Email not sent: {why}"),
        EmailOutcome::Written(p) => crate::say!("Email written to {} (not sent)", p.display()),
        EmailOutcome::Sent { server, recipients } => {
            crate::say!("Email sent via {server} to {recipients} recipient(s)")
        }
        EmailOutcome::Failed(_) => {}
    }
}
