//! The memory allocator's settings. The binary allocates with mimalloc (`main.rs`: parsing
//! vSphere answers and inventories makes millions of small allocations); this module tunes it
//! for what vmkaudit is, one large batch per process.
//!
//! By default mimalloc 3 keeps memory a thread freed for a second before giving it back to the
//! system, so that it can be reused without a system call. vmkaudit's phases each free what
//! the next one does not reuse (the inventory's parse buffers, the evaluation's per-host lists,
//! the report's template data), and across the rayon threads that kept memory adds up: at
//! 40,000 hosts the check's peak resident memory was about 50 MiB higher. vmkaudit sets the
//! delay to 100 ms: as low in memory as giving pages back at once (delay 0), without the
//! tenth of a second of system time that costs (BENCHMARKS.md).

/// `mi_option_purge_delay` of mimalloc 3's `mi_option_e` (`libmimalloc-sys` has no constant
/// for it); a test checks it is the option whose default is 1,000 ms.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory is kept for reuse before it goes back to the system.
pub const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Give memory freed by the program back to the system after [`PURGE_DELAY_MS`] instead of
/// a second, unless the environment sets mimalloc's `MIMALLOC_PURGE_DELAY` (milliseconds).
/// Harmless when mimalloc is not the global allocator (its own heaps are then unused).
pub fn return_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_set only stores the option's value; any option and value are valid.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_whose_default_is_a_second() {
        // Read before anything sets it (this test only reads it): mimalloc's default, or the
        // value the environment gives it.
        // SAFETY: mi_option_get only reads an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        let expected = std::env::var("MIMALLOC_PURGE_DELAY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        assert_eq!(
            delay, expected,
            "MI_OPTION_PURGE_DELAY is not mi_option_purge_delay"
        );
        // Its neighbours are not: 14 is the deprecated eager_commit_delay, 16 use_numa_nodes.
        // SAFETY: as above.
        let numa = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY + 1) };
        assert_eq!(numa, 0);
    }
}
