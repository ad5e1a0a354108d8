//! Integration tests: cli. The command-line cases in `tests/cli/cases.toml` (bad input gives
//! exit 2 and one clear located message, never a panic or a debug dump), `check` on the sample
//! writing its reports, and a failed run leaving reports already written untouched.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::common::{repo, root, vmkaudit};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stderr_not: Vec<String>,
    #[serde(default)]
    stderr_lines: Option<usize>,
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Directories to make (after `files`), relative to the case's directory.
    #[serde(default)]
    dirs: Vec<String>,
}

/// What no stderr may ever show: a panic or a Rust debug dump of an error.
const NEVER: &[&str] = &["panicked", "Error {", "Os {", "RUST_BACKTRACE", "kind: "];

fn run_case(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in &case.files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    for d in &case.dirs {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let d = dir.path().display().to_string();
    let r = root().display().to_string();
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{dir}", &d).replace("{repo}", &r))
        .collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = vmkaudit(dir.path(), &argv);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(case.exit) {
        problems.push(format!(
            "exit {:?}, expected {}",
            out.status.code(),
            case.exit
        ));
    }
    for want in &case.stderr {
        if !stderr.contains(want.as_str()) {
            problems.push(format!("stderr lacks {want:?}"));
        }
    }
    for bad in case
        .stderr_not
        .iter()
        .map(String::as_str)
        .chain(NEVER.iter().copied())
    {
        if stderr.contains(bad) {
            problems.push(format!("stderr contains {bad:?}"));
        }
    }
    let lines = stderr.lines().filter(|l| !l.trim().is_empty()).count();
    let want_lines = case.stderr_lines.or((case.exit == 2).then_some(1));
    if let Some(n) = want_lines {
        if lines != n {
            problems.push(format!("{lines} stderr lines, expected {n}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "case {:?} (vmkaudit {}):\n  {}\n  stderr was:\n{stderr}",
            case.name,
            args.join(" "),
            problems.join("\n  ")
        ))
    }
}

#[test]
fn cli_cases() {
    let text = std::fs::read_to_string(repo("tests/cli/cases.toml")).unwrap();
    let cases: Cases = toml::from_str(&text).expect("tests/cli/cases.toml parses");
    assert!(cases.case.len() >= 20);
    let failures: Vec<String> = cases
        .case
        .iter()
        .filter_map(|c| run_case(c).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} CLI cases failed:\n{}",
        failures.len(),
        cases.case.len(),
        failures.join("\n")
    );
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read(&p).unwrap());
        }
    }
    files
}

/// `vmkaudit check samples/lab-inventory.json <more> -o report --fail-on never` in `dir`.
fn check_sample(dir: &Path, more: &[&str]) -> std::process::Output {
    let sample = repo("samples/lab-inventory.json");
    let mut args = vec!["check", sample.to_str().unwrap()];
    args.extend_from_slice(more);
    args.extend_from_slice(&["-o", "report", "--fail-on", "never"]);
    vmkaudit(dir, &args)
}

#[test]
fn check_on_the_sample_inventory_writes_findings_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = check_sample(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("report/findings.json")).unwrap();
    let findings: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(findings["schema_version"], 1);
    assert_eq!(findings["summary"]["hosts_checked"], 76);
    assert!(findings["findings"].is_array());
    // Nothing half-written or temporary is left behind.
    let leftovers: Vec<_> = snapshot(&dir.path().join("report"))
        .into_keys()
        .filter(|n| n.starts_with(".vmkaudit-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_failed_run_leaves_reports_already_written_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = check_sample(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let before = snapshot(&dir.path().join("report"));
    assert!(before.contains_key("findings.json"), "{:?}", before.keys());

    // The same report directory, now with a bad second input: exit 2, nothing changed.
    std::fs::write(dir.path().join("bad.csv"), "Host,Device,MTU\nesx1,vmk0,x\n").unwrap();
    let out = check_sample(dir.path(), &["bad.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.csv:2: column \"MTU\""));
    assert_eq!(snapshot(&dir.path().join("report")), before);

    // A bad config for `run` pointing at the same directory changes nothing either.
    std::fs::write(
        dir.path().join("cfg.toml"),
        "[[inventory]]\npath = \"bad.csv\"\n[report]\noutput_dir = \"report\"\n",
    )
    .unwrap();
    let out = vmkaudit(dir.path(), &["run", "--config", "cfg.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(snapshot(&dir.path().join("report")), before);
}

#[test]
fn help_names_the_values_and_defaults_of_lang_and_fail_on() {
    for cmd in ["check", "run"] {
        let out = vmkaudit(&repo(""), &[cmd, "--help"]);
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        // The option's text: its line and the continuation lines up to the next option.
        let line = |opt: &str| {
            let at = help.find(opt).unwrap_or_else(|| panic!("{cmd}: no {opt}"));
            let mut lines = help[at..].lines();
            let mut text = lines.next().unwrap().to_string();
            for l in lines.take_while(|l| !l.trim_start().starts_with('-')) {
                text.push(' ');
                text.push_str(l.trim());
            }
            text
        };
        let lang = line("--lang");
        assert!(
            lang.contains("zh-CN") && lang.contains("en"),
            "{cmd}: {lang}"
        );
        assert!(lang.contains("default"), "{cmd}: {lang}");
        let fail_on = line("--fail-on");
        assert!(fail_on.contains("default: warning"), "{cmd}: {fail_on}");
    }
}

#[test]
fn readme_config_reference_is_a_valid_config() {
    // The README's configuration reference names every key with an example value: it must be
    // a config vmkaudit accepts, so that no documented key is misspelt or missing.
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let section = &readme[readme
        .find("## Configuration reference")
        .expect("README has a configuration reference")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    assert!(block.contains("[[vcenter]]") && block.contains("[email]"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readme.toml");
    std::fs::write(&path, block).unwrap();
    if let Err(e) = vmkaudit::config::Config::load(&path) {
        panic!("README configuration reference: {e}\n{block}");
    }
}

#[test]
fn a_closed_stdout_or_stderr_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let sample = repo("samples/lab-inventory.json");
    for args in [
        vec!["rules", "--format", "markdown"],
        vec![
            "check",
            sample.to_str().unwrap(),
            "-o",
            "out",
            "--fail-on",
            "never",
        ],
    ] {
        let mut child = Command::new(crate::common::bin())
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close both pipes before the program writes (like `| head -0`).
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {status}");
    }
}

/// `collect -o` an existing directory is refused before the vCenter is contacted: the
/// collected data would be thrown away after a collection that can take minutes.
#[test]
fn collect_checks_its_output_path_before_any_network_work() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "secret\n").unwrap();
    std::fs::create_dir(dir.path().join("inventory.json")).unwrap();
    // A "vCenter" on loopback that counts connections and drops them at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let contacted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&contacted);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    let url = format!("https://127.0.0.1:{port}");
    for output in ["inventory.json", "pw/inventory.json"] {
        let out = vmkaudit(
            dir.path(),
            &[
                "collect",
                "--vcenter",
                &url,
                "--user",
                "audit",
                "--password-file",
                "pw",
                "--output",
                output,
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{output}: {err}");
        assert_eq!(err.lines().count(), 1, "{output}: {err}");
        let want = if output == "inventory.json" {
            "vmkaudit: error: inventory.json: is a directory; give the name of the file to write"
        } else {
            "vmkaudit: error: pw: exists and is not a directory, so nothing can be written into it"
        };
        assert!(err.starts_with(want), "{output}: {err}");
        assert_eq!(
            contacted.load(Ordering::SeqCst),
            0,
            "{output}: vCenter contacted"
        );
    }
}

/// A report file that cannot be replaced (here a directory named findings.csv) fails `check`
/// with exit 2 before any file of the set is replaced.
#[test]
fn check_replaces_the_report_set_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let out = check_sample(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    let report = dir.path().join("report");
    std::fs::remove_file(report.join("findings.csv")).unwrap();
    std::fs::create_dir(report.join("findings.csv")).unwrap();
    let before = snapshot(&report);
    assert!(before.contains_key("report.html") && before.contains_key("checklist.txt"));

    // Another inventory, so that every report would differ.
    let rvtools = repo("samples/RVTools_tabvSC_VMK.csv");
    let out = vmkaudit(
        dir.path(),
        &[
            "check",
            rvtools.to_str().unwrap(),
            "-o",
            "report",
            "--fail-on",
            "never",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("report/findings.csv: is a directory, so the report findings.csv cannot be written there"),
        "{err}"
    );
    assert_eq!(snapshot(&report), before);
    // No staging directory is left behind.
    let names: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".vmkaudit")),
        "{names:?}"
    );
}
