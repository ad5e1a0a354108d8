//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the repository root.
pub fn repo(rel: &str) -> PathBuf {
    root().join(rel)
}

/// The built `vmkaudit` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vmkaudit"))
}

/// Run `vmkaudit` with `args` in `cwd`.
pub fn vmkaudit(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .output()
        .expect("run vmkaudit")
}

/// Whether a test of the calling suite can use the program `tool` (a name looked up on `PATH`,
/// or a path). See [`require`] for what happens when it cannot. A test runs the program as
/// [`tool`] finds it (or by its name, which the system looks up on the same `PATH`), so that a
/// `PATH` without it is a machine without it.
#[track_caller]
pub fn require_tool(tool: &str, packages: &str) -> bool {
    require(tool, packages, || find_tool(tool).is_some())
}

/// The program `tool` for a test of the calling suite: [`require_tool`], then where it is.
#[track_caller]
pub fn tool(tool: &str, packages: &str) -> Option<PathBuf> {
    if require_tool(tool, packages) {
        find_tool(tool)
    } else {
        None
    }
}

/// A `python3` that can import `module`, for a test of the calling suite ([`require`] with
/// `python3 with <module>`): the first such `python3` on `PATH` (a virtualenv's first, the
/// system's, where Debian's python3-* packages live, after it).
#[track_caller]
pub fn python_with(module: &str, packages: &str) -> Option<PathBuf> {
    let what = format!("python3 with {module}");
    if require(&what, packages, || find_python_with(module).is_some()) {
        find_python_with(module)
    } else {
        None
    }
}

/// The first `python3` on `PATH` that imports `module` (asked once per module and run).
fn find_python_with(module: &str) -> Option<PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<String, Option<PathBuf>>>> = OnceLock::new();
    let mut found = FOUND
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    found
        .entry(module.to_string())
        .or_insert_with(|| {
            find_all_in("python3", std::env::var_os("PATH").as_deref())
                .into_iter()
                .find(|py| {
                    Command::new(py)
                        .args(["-c", &format!("import {module}")])
                        .output()
                        .is_ok_and(|o| o.status.success())
                })
        })
        .clone()
}

/// Where `tool` is: the path itself when it is one, else the first executable of that name on
/// `PATH`.
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    find_all_in(tool, std::env::var_os("PATH").as_deref())
        .into_iter()
        .next()
}

/// Every executable `tool` with `path` as `PATH`, in order (a path: itself, if executable).
fn find_all_in(tool: &str, path: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        return if is_executable(&p) { vec![p] } else { vec![] };
    }
    path.map(|p| {
        std::env::split_paths(p)
            .map(|d| d.join(tool))
            .filter(|t| is_executable(t))
            .collect()
    })
    .unwrap_or_default()
}

/// Whether `tool` is runnable with `path` as `PATH`.
fn runnable_in(tool: &str, path: Option<&std::ffi::OsStr>) -> bool {
    !find_all_in(tool, path).is_empty()
}

/// Whether a test of the calling suite can use `what` (a tool, a library, sources),
/// `present` telling whether it is there (asked once per run). When it is missing:
/// - with the environment variable `CI` set, a panic that says what to install: on CI a
///   missing tool is a failure, never a skip;
/// - otherwise `false` (the test returns early, and passes), after one line on stderr, once
///   per suite: `skipped: <suite> needs <what> (install <packages>)`.
#[track_caller]
pub fn require(what: &str, packages: &str, present: impl FnOnce() -> bool) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static PRESENT: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    static TOLD: OnceLock<Mutex<Told>> = OnceLock::new();
    let suite = suite_of(std::panic::Location::caller());
    let found = {
        let mut known = PRESENT
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *known.entry(what.to_string()).or_insert_with(present)
    };
    let ci = std::env::var_os("CI").is_some();
    // A lock poisoned by the panic of another test (CI, a missing tool) is still good.
    let mut told = TOLD
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (usable, line) = decide(&suite, what, packages, found, ci, &mut told);
    if let Some(line) = line {
        // Straight to stderr: the test harness captures `eprintln!` of passing tests.
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{line}");
    }
    usable
}

/// The `(suite, what)` pairs already reported as skipped.
type Told = std::collections::HashSet<(String, String)>;

/// Whether the test can go on, and the line to print: the decision of [`require`].
fn decide(
    suite: &str,
    what: &str,
    packages: &str,
    found: bool,
    ci: bool,
    told: &mut Told,
) -> (bool, Option<String>) {
    if found {
        return (true, None);
    }
    if ci {
        panic!("{suite} needs {what}: install {packages} (CI is set: a missing tool fails)");
    }
    let first = told.insert((suite.to_string(), what.to_string()));
    let line = first.then(|| format!("skipped: {suite} needs {what} (install {packages})"));
    (false, line)
}

/// `collect` for a caller in `tests/it/collect.rs`.
fn suite_of(location: &std::panic::Location<'_>) -> String {
    Path::new(location.file()).file_stem().map_or_else(
        || location.file().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[test]
fn a_missing_tool_is_one_skip_line_per_suite() {
    let mut told = Told::default();
    let skip = |suite: &str, told: &mut Told| decide(suite, "go", "golang-go", false, false, told);
    assert_eq!(
        skip("collect", &mut told),
        (
            false,
            Some("skipped: collect needs go (install golang-go)".to_string())
        )
    );
    assert_eq!(skip("collect", &mut told), (false, None));
    assert_eq!(
        skip("bench", &mut told),
        (
            false,
            Some("skipped: bench needs go (install golang-go)".to_string())
        )
    );
    assert_eq!(
        decide("collect", "go", "golang-go", true, false, &mut told),
        (true, None)
    );
    assert_eq!(
        decide("collect", "go", "golang-go", true, true, &mut told),
        (true, None)
    );
}

#[test]
#[should_panic(expected = "collect needs go: install golang-go (CI is set")]
fn a_missing_tool_on_ci_is_a_failure() {
    decide(
        "collect",
        "go",
        "golang-go",
        false,
        true,
        &mut Told::default(),
    );
}

#[test]
fn tools_are_found_on_the_path_or_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let (bin, other) = (dir.path().join("bin"), dir.path().join("other"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let tool = bin.join("mytool");
    std::fs::write(&tool, "#!/bin/sh\n").unwrap();
    let text = bin.join("notes");
    std::fs::write(&text, "not a program\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(!runnable_in(text.to_str().unwrap(), None));
    }
    let path = std::env::join_paths([&other, &bin]).unwrap();
    assert!(runnable_in("mytool", Some(&path)));
    assert!(runnable_in(tool.to_str().unwrap(), None));
    assert!(!runnable_in("mytool", None));
    assert!(!runnable_in("other-tool", Some(&path)));
    assert!(!runnable_in(
        bin.join("gone").to_str().unwrap(),
        Some(&path)
    ));
    assert_eq!(suite_of(std::panic::Location::caller()), "common");
    // Every one on the path, in its order.
    std::fs::copy(&tool, other.join("mytool")).unwrap();
    assert_eq!(
        find_all_in("mytool", Some(&path)),
        [other.join("mytool"), tool.clone()]
    );
}

/// The sample lab (`samples/lab-inventory.json`) through the real pipeline with `rules`, at a
/// fixed time (2026-05-04 10:30 +08:00), in `lang`: what the snapshot tests render.
pub fn lab_at_fixed_time(
    rules: &vmkaudit::evaluate::RuleSet,
    lang: vmkaudit::i18n::Lang,
) -> (vmkaudit::model::Inventory, vmkaudit::findings::FindingsFile) {
    const AT: &str = "2026-05-04T10:30:00+08:00";
    let inv = vmkaudit::inventory::load(&repo("samples/lab-inventory.json"), None)
        .expect("sample inventory loads");
    let now = chrono::DateTime::parse_from_rfc3339(AT)
        .unwrap()
        .with_timezone(&chrono::Local);
    let mut ff = vmkaudit::evaluate::evaluate(&inv, rules, lang, now);
    // The engine stamps local time; pin it so the snapshots do not depend on TZ.
    ff.generated_at = AT.into();
    (inv, ff)
}
