//! Terminal output shared by every layer: [`say!`](crate::say), `eprintln!` that survives a
//! closed stderr.
//!
//! It sits at the bottom of the module graph (ARCHITECTURE.md, "Layers") so that any module may
//! tell the user something without reaching up into the commands. (The log writer that keeps
//! log lines above the collection progress bar still lives in `collect`, beside the bar; it moves
//! here when the bar does.)

/// `eprintln!` that ignores a closed stderr (`vmkaudit ... 2>&1 | head`) instead of panicking.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
