//! Benchmark helper: the "bare parse" of an inventory file, the yardstick of the check's cost.
//!
//! Reads the file whole and parses it with `serde_json` into vmkaudit's model
//! (`vmkaudit::model::Inventory`), with the same global allocator as the `vmkaudit` binary,
//! and nothing else: no schema-version handling, no duplicate checks, no evaluation or
//! rendering. `scripts/bench/run.py` runs it as a process beside `vmkaudit check` on the same
//! file, so both pay process start and reading the file alike.
//!
//! usage: bench_parse INVENTORY.json
//! Prints the number of hosts read.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: bench_parse INVENTORY.json");
        std::process::exit(2);
    };
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let inv: vmkaudit::model::Inventory = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let hosts = inv.hosts.len();
    println!("{hosts}");
}
