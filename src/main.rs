//! `vmkaudit`: parse the command line, run, map the outcome to the documented exit code.

use clap::Parser;

/// mimalloc instead of the system allocator: parsing vSphere answers and inventories makes
/// millions of small allocations, and glibc's malloc/free were a large share of the profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    vmkaudit::alloc::return_freed_memory_soon();
    let cli = vmkaudit::cli::Cli::parse();
    vmkaudit::app::init_logging(cli.verbose, cli.quiet);
    let code = match vmkaudit::app::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            vmkaudit::say!("vmkaudit: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code.code());
}
