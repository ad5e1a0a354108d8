//! Smoke test of the benchmark driver (scripts/bench/run.py) at tiny sizes.
//!
//! The benchmark itself is never a timed test; this only checks that its pieces still fit
//! together: the simulator scenario from gen-estate.py, the request dump and its replay
//! (examples/bench_replay.rs), the pyVmomi script, the check runs and the table. A few
//! seconds with debug builds.

use std::process::Command;

use crate::common;

#[test]
fn bench_driver_runs_at_tiny_sizes() {
    // The simulator fixture (Go, govmomi) and the pyVmomi comparison; both asked, so that a
    // skip names every missing tool.
    let (true, Some(python)) = (
        crate::collect::simulator_available(),
        common::python_with("pyVmomi", "python3-pyvmomi"),
    ) else {
        return;
    };
    // Examples are not built for `cargo test --test it`; build the replay client and the bare
    // parse if needed.
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--example",
            "bench_replay",
            "--example",
            "bench_parse",
        ])
        .current_dir(common::root())
        .status()
        .expect("run cargo build --example bench_replay --example bench_parse");
    assert!(status.success(), "building the bench examples failed");
    let replay = common::repo("target/debug/examples/bench_replay");
    let parse = common::repo("target/debug/examples/bench_parse");
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .arg(common::repo("scripts/bench/run.py"))
        .arg("--vmkaudit")
        .arg(common::bin())
        .arg("--replay")
        .arg(&replay)
        .arg("--parse")
        .arg(&parse)
        .arg("--fixture")
        .arg(crate::collect::fixture_bin())
        .arg("--work")
        .arg(work.path())
        .args([
            "--runs",
            "1",
            "--pyvmomi-runs",
            "1",
            "--collect-hosts",
            "30",
        ])
        // The latency rows at 20 ms per request: 30 hosts, and 2 sources of 10.
        .args([
            "--latency-ms",
            "20",
            "--latency-sources",
            "2",
            "--latency-source-hosts",
            "10",
        ])
        .args([
            "--sizes",
            "60,120",
            "--rvtools-sizes",
            "60",
            "--parse-sizes",
            "60",
            "--rvtools-rows",
            "300",
        ])
        .env_remove("VMKAUDIT_MAX_OBJECTS")
        .output()
        .expect("run scripts/bench/run.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for row in [
        "| vmkaudit collect |",
        "| bare HTTP replay |",
        "| pyVmomi |",
        "| 60 | 180 | inventory |",
        "| 60 | 180 | RVTools |",
        "| 120 | 360 | inventory |",
        "| 60 | 180 | inventory, schema 1 |",
        "| 60 | inventory | ",
        "| 60 | inventory, schema 1 | ",
        "| 100 | 300 | RVTools |",
        "| hosts | RVTools / inventory file: wall |",
        "| 30 hosts: vmkaudit collect (default streams) |",
        "| 30 hosts: vmkaudit collect, one stream |",
        "| 30 hosts: bare HTTP replay, sequential |",
        "| 2 x 10 hosts at once: vmkaudit collect",
        "| one of them alone |",
    ] {
        assert!(stdout.contains(row), "no `{row}` row in\n{stdout}");
    }
    // 30 hosts at 100 per page: one page, so the replay sent exactly what vmkaudit sent.
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("results.json")).unwrap()).unwrap();
    assert_eq!(results["collect"]["hosts"], 30);
    assert!(results["collect"]["response_bytes"].as_u64().unwrap() > 30 * 10_000);
    let dump = std::fs::read_to_string(work.path().join("requests.jsonl")).unwrap();
    assert!(dump.contains("{{PASSWORD}}") && !dump.contains("bench-pw"));
    assert_eq!(results["latency"]["latency_ms"], 20);
    assert_eq!(results["latency"]["many"]["sources"], 2);
    // The bare replay sends each request after the answer to the one before: all of them in a
    // row, as counted from the simulator's request log.
    let one = &results["latency"]["one"];
    assert_eq!(
        one["median_in_a_row"]["bare"].as_f64(),
        one["requests"]["sequential"].as_f64(),
        "{one}"
    );
}
