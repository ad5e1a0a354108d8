//! Integration tests: outputs for pipelines and monitoring. JUnit XML of the sample lab fails
//! exactly the hosts and rules with findings at the fail level and skips what was not checked;
//! the Prometheus textfile passes `promtool check metrics` and carries the run's counts;
//! `check -` reads an inventory from standard input; `--stdout json` writes findings.json to
//! standard output and nothing else there.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use quick_xml::events::Event;
use serde_json::Value;

use crate::common::{bin, repo, tool};

/// `vmkaudit args` in `cwd` with `stdin` as its standard input.
fn vmkaudit_with_stdin(cwd: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // Written from a thread: the child may stop reading (a size limit) and exit first.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// `check` on the sample lab with the lab's rules and `more` arguments, in `dir`.
fn check_lab(dir: &Path, more: &[&str]) -> Output {
    let inv = repo("samples/lab-inventory.json");
    let rules = repo("samples/lab-rules.toml");
    let mut args = vec![
        "check",
        inv.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let out = crate::common::vmkaudit(dir, &args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// One `<testcase>`: suite, classname, name, and `failure`/`skipped`/`pass`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TestCase {
    suite: String,
    class: String,
    name: String,
    outcome: &'static str,
}

/// The test cases of a JUnit file, checking on the way that every suite's and the root's
/// `tests`, `failures` and `skipped` attributes count its cases.
fn junit_cases(xml: &str) -> Vec<TestCase> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> Option<String> {
        e.attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == name.as_bytes())
            .map(|a| a.unescape_value().unwrap().into_owned())
    };
    let mut cases = Vec::new();
    // (tests, failures, skipped) claimed by the open suite and by the root.
    let mut claimed: Vec<(String, [usize; 3])> = Vec::new();
    let mut suite = String::new();
    let mut open_case: Option<TestCase> = None;
    let counts = |cs: &[TestCase]| {
        [
            cs.len(),
            cs.iter().filter(|c| c.outcome == "failure").count(),
            cs.iter().filter(|c| c.outcome == "skipped").count(),
        ]
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e)
                if matches!(e.name().as_ref(), b"testsuites" | b"testsuite") =>
            {
                let n = |k| attr(&e, k).unwrap().parse::<usize>().unwrap();
                if e.name().as_ref() == b"testsuite" {
                    suite = attr(&e, "name").unwrap();
                    claimed.push((suite.clone(), [n("tests"), n("failures"), n("skipped")]));
                } else {
                    claimed.push((String::new(), [n("tests"), n("failures"), n("skipped")]));
                }
                assert_eq!(attr(&e, "errors").as_deref(), Some("0"));
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                open_case = Some(TestCase {
                    suite: suite.clone(),
                    class: attr(&e, "classname").unwrap(),
                    name: attr(&e, "name").unwrap(),
                    outcome: "pass",
                });
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => cases.push(TestCase {
                suite: suite.clone(),
                class: attr(&e, "classname").unwrap(),
                name: attr(&e, "name").unwrap(),
                outcome: "pass",
            }),
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"failure" => {
                assert!(attr(&e, "message").is_some_and(|m| !m.is_empty()));
                open_case.as_mut().unwrap().outcome = "failure";
            }
            Event::Empty(e) if e.name().as_ref() == b"skipped" => {
                assert!(attr(&e, "message").is_some_and(|m| !m.is_empty()));
                open_case.as_mut().unwrap().outcome = "skipped";
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => {
                cases.push(open_case.take().unwrap());
            }
            _ => {}
        }
    }
    for (name, claim) in &claimed {
        let of: Vec<TestCase> = cases
            .iter()
            .filter(|c| name.is_empty() || c.suite == *name)
            .cloned()
            .collect();
        assert_eq!(counts(&of), *claim, "counts of suite {name:?}");
    }
    cases
}

/// The rule ID a test case is about (its name starts with it).
fn rule_of(c: &TestCase) -> &str {
    c.name.split_whitespace().next().unwrap()
}

fn findings_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap()
}

#[test]
fn junit_fails_exactly_the_hosts_and_rules_with_findings_at_the_fail_level() {
    let dir = tempfile::tempdir().unwrap();
    let inv: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("samples/lab-inventory.json")).unwrap())
            .unwrap();
    let hosts: BTreeMap<&str, &Value> = inv["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap(), h))
        .collect();
    for (fail_on, levels) in [
        ("warning", &["error", "warning"][..]),
        ("error", &["error"][..]),
        ("never", &[][..]),
    ] {
        let out = dir.path().join(fail_on);
        check_lab(
            dir.path(),
            &[
                "-o",
                out.to_str().unwrap(),
                "--format",
                "junit,json",
                "--fail-on",
                fail_on,
            ],
        );
        let cases = junit_cases(&std::fs::read_to_string(out.join("junit.xml")).unwrap());
        let ff = findings_json(&out);
        // Unwaived findings at the fail level on inventory hosts, as (host, rule).
        let expected: BTreeSet<(String, String)> = ff["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f.get("waived").is_none())
            .filter(|f| levels.contains(&f["severity"].as_str().unwrap()))
            .filter(|f| f["subject"] == "host" && hosts.contains_key(f["host"].as_str().unwrap()))
            .map(|f| {
                (
                    f["host"].as_str().unwrap().into(),
                    f["rule"].as_str().unwrap().into(),
                )
            })
            .collect();
        let failed: BTreeSet<(String, String)> = cases
            .iter()
            .filter(|c| c.outcome == "failure" && c.suite != "(whole estate)")
            .map(|c| (c.class.clone(), rule_of(c).to_string()))
            .collect();
        assert_eq!(failed, expected, "--fail-on {fail_on}");
        if fail_on == "never" {
            assert!(cases.iter().all(|c| c.outcome != "failure"));
        } else {
            assert!(!failed.is_empty(), "the lab has planted faults");
        }
        // One suite per cluster and one for the standalone hosts, each host in its own.
        for c in cases
            .iter()
            .filter(|c| hosts.contains_key(c.class.as_str()))
        {
            let cluster = hosts[c.class.as_str()]["cluster"]
                .as_str()
                .unwrap_or("(standalone)");
            if c.suite != "(whole estate)" {
                assert_eq!(c.suite, cluster, "{c:?}");
            }
        }
        // Every inventory host has one case per host rule.
        let per_host: BTreeMap<&str, usize> = cases
            .iter()
            .filter(|c| c.suite != "(whole estate)")
            .fold(BTreeMap::new(), |mut m, c| {
                *m.entry(c.class.as_str()).or_default() += 1;
                m
            });
        assert_eq!(per_host.len(), hosts.len());
        let n = per_host.values().next().copied().unwrap();
        assert!(
            n >= 20 && per_host.values().all(|v| *v == n),
            "{per_host:?}"
        );
        // The disconnected host: every configuration rule skipped, none passed.
        let down = hosts
            .iter()
            .find(|(_, h)| {
                h["connection_state"]
                    .as_str()
                    .is_some_and(|s| s != "connected")
            })
            .map(|(n, _)| *n)
            .expect("the lab has a disconnected host");
        for c in cases.iter().filter(|c| c.class == down) {
            if rule_of(c).starts_with("COV") {
                continue;
            }
            assert_eq!(c.outcome, "skipped", "{c:?}");
        }
        // The failed source of the lab is a case of the estate suite.
        assert!(cases.iter().any(|c| c.suite == "(whole estate)"
            && rule_of(c) == "COV003"
            && c.outcome
                == if fail_on == "warning" {
                    "failure"
                } else {
                    "pass"
                }));
    }
}

/// The value of the sample `name{labels}` (labels as written) of a textfile.
fn sample(prom: &str, series: &str) -> Option<f64> {
    prom.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn prometheus_textfile_passes_promtool_and_counts_the_run() {
    let Some(promtool) = tool("promtool", "prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("textfile");
    check_lab(
        dir.path(),
        &["-o", out.to_str().unwrap(), "--format", "prometheus,json"],
    );
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".prom")).count(),
        1,
        "one textfile, no temporary one left: {names:?}"
    );
    let prom = std::fs::read_to_string(out.join("vmkaudit.prom")).unwrap();
    let check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(out.join("vmkaudit.prom")).unwrap())
        .output()
        .unwrap();
    assert!(
        check.status.success() && check.stdout.is_empty() && check.stderr.is_empty(),
        "promtool check metrics: {}{}\n{prom}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    let ff = findings_json(&out);
    let summary = &ff["summary"];
    for sev in ["error", "warning", "info"] {
        assert_eq!(
            sample(
                &prom,
                &format!("vmkaudit_findings_by_severity{{severity=\"{sev}\"}}")
            ),
            summary["by_severity"][sev].as_f64(),
            "{sev}"
        );
        // The per rule and cluster samples add up to the same.
        let sum: f64 = prom
            .lines()
            .filter(|l| l.starts_with(&format!("vmkaudit_findings{{severity=\"{sev}\"")))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum();
        assert_eq!(Some(sum), summary["by_severity"][sev].as_f64(), "{sev}");
    }
    assert_eq!(
        sample(&prom, "vmkaudit_hosts_checked"),
        summary["hosts_checked"].as_f64()
    );
    assert_eq!(sample(&prom, "vmkaudit_hosts_not_connected"), Some(1.0));
    assert!(prom.contains(
        "vmkaudit_findings{severity=\"error\",rule=\"ADDR001\",cluster=\"CL-BJ-Prod\"} 2"
    ));
    // The lab's inventory records a vCenter that could not be collected.
    let failed = ff["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.get("error").is_some())
        .expect("the lab has a failed source");
    let name = failed["name"].as_str().unwrap();
    assert_eq!(
        sample(
            &prom,
            &format!("vmkaudit_source_up{{source=\"{name}\",kind=\"vcenter\"}}")
        ),
        Some(0.0)
    );
    let run = sample(&prom, "vmkaudit_run_timestamp_seconds").unwrap();
    let generated = chrono::DateTime::parse_from_rfc3339(ff["generated_at"].as_str().unwrap())
        .unwrap()
        .timestamp() as f64;
    assert_eq!(run, generated);
}

#[test]
fn prometheus_textfile_has_each_sources_success_and_collection_time() {
    let Some(promtool) = tool("promtool", "prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // What `collect` writes: two vCenters, one collected in 12.5 s, one that failed; and a
    // name that needs escaping.
    let inv = r#"{"schema_version": 2, "collected_at": "2026-11-30T06:00:00Z",
      "sources": [
        {"name": "https://vc1.lab/sdk", "kind": "vcenter", "collected_at": "2026-11-30T06:00:12Z",
         "duration_seconds": 12.5},
        {"name": "https://vc2.lab/sdk?\"x\"", "kind": "vcenter", "duration_seconds": 30.25,
         "error": "connection refused"}],
      "hosts": [{"name": "esx1", "cluster": "CL\\1", "source": "https://vc1.lab/sdk",
                 "vmks": []}]}"#;
    std::fs::write(dir.path().join("inv.json"), inv).unwrap();
    let out = crate::common::vmkaudit(
        dir.path(),
        &["check", "inv.json", "-o", "out", "--format", "prometheus"],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prom = std::fs::read_to_string(dir.path().join("out/vmkaudit.prom")).unwrap();
    for (series, value) in [
        (
            r#"vmkaudit_source_up{source="https://vc1.lab/sdk",kind="vcenter"}"#,
            1.0,
        ),
        (
            r#"vmkaudit_source_up{source="https://vc2.lab/sdk?\"x\"",kind="vcenter"}"#,
            0.0,
        ),
        (
            r#"vmkaudit_source_collection_duration_seconds{source="https://vc1.lab/sdk",kind="vcenter"}"#,
            12.5,
        ),
        (
            r#"vmkaudit_source_collection_duration_seconds{source="https://vc2.lab/sdk?\"x\"",kind="vcenter"}"#,
            30.25,
        ),
        (
            r#"vmkaudit_source_collected_timestamp_seconds{source="https://vc1.lab/sdk",kind="vcenter"}"#,
            1_796_018_412.0,
        ),
        ("vmkaudit_hosts_checked", 1.0),
        ("vmkaudit_hosts_not_connected", 0.0),
    ] {
        assert_eq!(sample(&prom, series), Some(value), "{series}\n{prom}");
    }
    let check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(dir.path().join("out/vmkaudit.prom")).unwrap())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// findings.json without what differs from one run to the next.
fn stable(mut ff: Value) -> Value {
    ff["generated_at"] = Value::Null;
    for s in ff["sources"].as_array_mut().unwrap() {
        s["name"] = Value::Null;
    }
    for f in ff["findings"].as_array_mut().unwrap() {
        if f["subject"] == "source" {
            f["host"] = Value::Null;
        }
    }
    ff
}

#[test]
fn check_reads_an_inventory_from_stdin_and_writes_findings_json_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let lab = std::fs::read(repo("samples/lab-inventory.json")).unwrap();
    let rules = repo("samples/lab-rules.toml");
    let piped = vmkaudit_with_stdin(
        dir.path(),
        &[
            "check",
            "-",
            "--rules",
            rules.to_str().unwrap(),
            "--stdout",
            "json",
            "-v",
        ],
        &lab,
    );
    assert_eq!(
        piped.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    // Standard output is findings.json and nothing else; the summary and the log went to
    // standard error.
    let from_stdout: Value = serde_json::from_slice(&piped.stdout).expect("stdout is one JSON");
    let stderr = String::from_utf8_lossy(&piped.stderr);
    let hosts = lab_host_count();
    assert!(
        stderr.contains(&format!("Checked {hosts} hosts")),
        "{stderr}"
    );
    assert!(stderr.contains("INFO"), "-v logs on stderr: {stderr}");
    // `--stdout` alone writes no report file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // The same findings as from the file.
    check_lab(dir.path(), &["-o", "files", "--format", "json"]);
    let from_file = findings_json(&dir.path().join("files"));
    assert_eq!(stable(from_stdout), stable(from_file));

    // With -o, the reports are written too, and standard output is still findings.json.
    let both = vmkaudit_with_stdin(
        dir.path(),
        &[
            "check",
            "-",
            "--stdout",
            "json",
            "-o",
            "both",
            "--fail-on",
            "never",
        ],
        &lab,
    );
    assert_eq!(both.status.code(), Some(0));
    let written = std::fs::read(dir.path().join("both/findings.json")).unwrap();
    assert_eq!(written, both.stdout);
    assert!(dir.path().join("both/report.html").exists());
}

#[test]
fn stdin_is_recognised_and_limited_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // An RVTools export on standard input: recognised from its content.
    let rv = std::fs::read(repo("samples/RVTools_tabvSC_VMK.csv")).unwrap();
    let out = vmkaudit_with_stdin(
        dir.path(),
        &["check", "-", "--stdout", "json", "--fail-on", "never"],
        &rv,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ff["sources"][0]["kind"], "rvtools");
    assert_eq!(ff["sources"][0]["name"], "<stdin>");
    assert!(ff["summary"]["hosts_checked"].as_u64().unwrap() > 10);

    // Past the input limit: one located message, exit 2.
    let out = vmkaudit_with_stdin(
        dir.path(),
        &["check", "-", "--max-input-bytes", "1000", "-o", "r"],
        &rv,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("<stdin>: more than the limit of 1000 bytes"),
        "{stderr}"
    );
    assert!(!dir.path().join("r/findings.json").exists());

    // Malformed input is located in `<stdin>`.
    let out = vmkaudit_with_stdin(dir.path(), &["check", "-", "-o", "r"], b"{\"hosts\": [,]}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("vmkaudit: error: <stdin>:1:"), "{stderr}");

    // Standard input cannot be read twice.
    let out = vmkaudit_with_stdin(dir.path(), &["check", "-", "-", "-o", "r"], b"{}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("only once"), "{stderr}");
}

#[test]
fn run_keeps_a_prometheus_textfile_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let textfile = dir.path().join("node-exporter/vmkaudit.prom");
    let config = dir.path().join("job.toml");
    std::fs::write(
        &config,
        format!(
            "[[inventory]]\npath = {:?}\n[report]\noutput_dir = \"reports\"\n\
             formats = [\"json\", \"prometheus\"]\nprometheus_textfile = \"node-exporter/vmkaudit.prom\"\n",
            repo("samples/lab-inventory.json")
        ),
    )
    .unwrap();
    let run = || {
        let out = crate::common::vmkaudit(
            dir.path(),
            &[
                "run",
                "--config",
                config.to_str().unwrap(),
                "--fail-on",
                "never",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&textfile).unwrap()
    };
    let first = run();
    assert_eq!(
        first,
        std::fs::read_to_string(dir.path().join("reports/latest/vmkaudit.prom")).unwrap()
    );
    assert!(
        first.contains(&format!("vmkaudit_hosts_checked {}\n", lab_host_count())),
        "{first}"
    );
    // The next run replaces it (and leaves no temporary file beside it).
    let second = run();
    assert_eq!(
        second,
        std::fs::read_to_string(dir.path().join("reports/latest/vmkaudit.prom")).unwrap()
    );
    let names: Vec<_> = std::fs::read_dir(dir.path().join("node-exporter"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["vmkaudit.prom"]);

    // A textfile path that cannot be written stops the run before it starts.
    std::fs::create_dir_all(dir.path().join("blocked/vmkaudit.prom")).unwrap();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("node-exporter/vmkaudit.prom", "blocked/vmkaudit.prom");
    std::fs::write(&config, text).unwrap();
    let out = crate::common::vmkaudit(dir.path(), &["run", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("blocked/vmkaudit.prom: is a directory"),
        "{stderr}"
    );
}

/// The sample lab with its rules, evaluated at a fixed time, in `lang`.
fn lab(
    lang: vmkaudit::i18n::Lang,
) -> (vmkaudit::model::Inventory, vmkaudit::findings::FindingsFile) {
    let rules = vmkaudit::evaluate::RuleSet::load(&repo("samples/lab-rules.toml")).unwrap();
    crate::common::lab_at_fixed_time(&rules, lang)
}

fn snapshot(name: &str, content: &str) {
    insta::with_settings!({snapshot_path => "../snapshots/pipeline", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, content);
    });
}

#[test]
fn snapshots_of_junit_and_prometheus_for_the_sample_lab() {
    use vmkaudit::findings::FailOn;
    use vmkaudit::i18n::Lang;
    for lang in Lang::ALL {
        let (inv, ff) = lab(lang);
        let xml = vmkaudit::render::junit::junit_xml(&inv, &ff, FailOn::Warning, lang);
        // The expired waiver's message names the rule set file by its path in this checkout.
        let root = crate::common::repo("").display().to_string();
        let xml = xml.replace(root.trim_end_matches('/'), "[repo]");
        snapshot(&format!("lab_junit_{}", lang.code()), &xml);
    }
    let (inv, ff) = lab(Lang::En);
    let prom = vmkaudit::render::prometheus::textfile(&inv, &ff);
    // The build's line names the commit, which every commit changes.
    let prom: String = prom
        .lines()
        .map(|l| {
            if l.starts_with("vmkaudit_build_info{") {
                "vmkaudit_build_info{version=\"[version]\",commit=\"[commit]\"} 1".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    snapshot("lab_prometheus", &prom);
}

/// The number of hosts of the sample lab.
fn lab_host_count() -> usize {
    let text = std::fs::read_to_string(crate::common::repo("samples/lab-inventory.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["hosts"].as_array().unwrap().len()
}
