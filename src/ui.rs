//! Terminal output shared by every layer: [`say!`](crate::say), `eprintln!` that survives a
//! closed stderr; the progress bar ([`Progress`]) and the log writer that keeps log lines
//! above it ([`LogWriter`]).
//!
//! It sits at the bottom of the module graph (ARCHITECTURE.md, "Layers") so that any module may
//! tell the user something without reaching up into the commands: the collector draws its bar
//! here, and the commands install [`LogWriter`] as the writer of the log.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::ProgressBar;

/// The progress bar while it is drawn: log lines are written above it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Standard error for log lines: while a [`Progress`] bar is drawn, it is hidden for the write
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

fn set_active_bar(bar: Option<&ProgressBar>) {
    if let Ok(mut slot) = ACTIVE_BAR.lock() {
        *slot = bar.cloned();
    }
}

/// A progress bar on stderr for as long as it lives; [`LogWriter`] writes above it. Dropping
/// it clears the bar. One at a time.
pub struct Progress {
    bar: ProgressBar,
    shown: bool,
}

impl Progress {
    /// A bar of `len` steps drawn with the indicatif `template` (ticking five times a second),
    /// or, when not `shown`, a hidden one that draws nothing.
    pub fn new(len: u64, template: &str, shown: bool) -> Progress {
        if !shown {
            return Progress {
                bar: ProgressBar::hidden(),
                shown,
            };
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        set_active_bar(Some(&bar));
        Progress { bar, shown }
    }

    /// The bar, to advance it or set its message (cheap to clone into tasks).
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            set_active_bar(None);
        }
        self.bar.finish_and_clear();
    }
}

/// `eprintln!` that ignores a closed stderr (`vmkaudit ... 2>&1 | head`) instead of panicking.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a bar is drawn (log lines go above it).
    fn bar_is_active() -> bool {
        ACTIVE_BAR.lock().is_ok_and(|b| b.is_some())
    }

    #[test]
    fn log_lines_go_above_the_bar_only_while_it_is_drawn() {
        {
            let hidden = Progress::new(3, "{bar}", false);
            assert!(hidden.bar().is_hidden());
            assert!(!bar_is_active());
        }
        let shown = Progress::new(3, "{bar} {pos}/{len}", true);
        shown.bar().inc(1);
        assert!(bar_is_active());
        assert_eq!(shown.bar().position(), 1);
        drop(shown);
        assert!(
            !bar_is_active(),
            "a dropped bar is not in the way of log lines"
        );
    }
}
