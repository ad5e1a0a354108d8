//! Integration tests: command-line conventions. Each command's `--help` lists only the exit
//! codes that command can give and names no path that exists only in the source tree; shell
//! completions and the man page come from the clap definitions; `run` finds its configuration
//! without `--config`; `NO_COLOR` turns off colour in the log; `--version` names the commit.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{repo, vmkaudit};

/// The `--help` text of `vmkaudit <cmd>` (the program's own for an empty `cmd`).
fn help(cmd: &[&str]) -> String {
    let mut args = cmd.to_vec();
    args.push("--help");
    let out = vmkaudit(&repo(""), &args);
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The codes listed under "Exit codes" of a help text.
fn exit_codes(help: &str) -> BTreeSet<u8> {
    let Some(at) = help.find("\nExit codes") else {
        return BTreeSet::new();
    };
    help[at + 1..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The commands and the exit codes each can give (README "Exit codes").
const COMMANDS: &[(&str, &[u8])] = &[
    ("", &[0, 1, 2, 3, 4]),
    ("check", &[0, 1, 2]),
    ("run", &[0, 1, 2, 3, 4]),
    ("collect", &[0, 2, 3]),
    ("rules", &[0, 2]),
    ("completions", &[0, 2]),
    ("man", &[0, 2]),
];

#[test]
fn each_help_lists_only_the_exit_codes_its_command_can_give() {
    for (cmd, codes) in COMMANDS {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let listed = exit_codes(&help(&args));
        let expected: BTreeSet<u8> = codes.iter().copied().collect();
        assert_eq!(listed, expected, "vmkaudit {cmd} --help");
    }
}

/// Words of a text that look like relative file paths (`dir/file`, `name.toml`).
fn path_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "`'\"(),;[]".contains(c))
        .map(|w| w.trim_end_matches(['.', ':']))
        .filter(|w| !w.is_empty() && !w.starts_with('/') && !w.starts_with('-'))
        .filter(|w| {
            w.contains('/')
                || [".toml", ".json", ".md", ".csv", ".pem", ".html", ".txt"]
                    .iter()
                    .any(|ext| w.ends_with(ext))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn no_help_names_a_path_that_exists_only_in_the_source_tree() {
    // The test itself: the run help named `samples/vmkaudit.toml` before.
    assert_eq!(
        path_words("See samples/vmkaudit.toml. Or x.toml"),
        ["samples/vmkaudit.toml", "x.toml"]
    );
    for (cmd, _) in COMMANDS {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let text = help(&args);
        for w in path_words(&text) {
            assert!(
                !Path::new(&repo(&w)).exists(),
                "vmkaudit {cmd} --help names {w}, which exists only in the source tree:\n{text}"
            );
        }
    }
}

#[test]
fn completions_come_from_the_clap_definitions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = vmkaudit(&repo(""), &["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        // Every command and a recent option are offered.
        for word in [
            "check",
            "run",
            "collect",
            "rules",
            "man",
            "input-format",
            "fail-on",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script is valid bash.
    if crate::common::require_tool("bash", "bash") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vmkaudit.bash");
        let out = vmkaudit(&repo(""), &["completions", "bash"]);
        std::fs::write(&path, &out.stdout).unwrap();
        let syntax = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(syntax.status.success(), "{syntax:?}");
    }
    let out = vmkaudit(&repo(""), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_comes_from_the_clap_definitions() {
    let out = vmkaudit(&repo(""), &["man"]);
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH vmkaudit 1"), "{page}");
    for word in [
        "vmkaudit\\-check(1)",
        "vmkaudit\\-run(1)",
        "VMKAUDIT_CONFIG",
        "NO_COLOR",
    ] {
        assert!(page.contains(word), "the page lacks {word}");
    }
    if let Some(groff) = crate::common::tool("groff", "groff-base") {
        // groff renders it without a warning.
        let mut child = std::process::Command::new(groff)
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let rendered = child.wait_with_output().unwrap();
        assert!(
            rendered.status.success() && rendered.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
    }
    // --dir: one page per command besides the program's own.
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = vmkaudit(&repo(""), &["man", "--dir", pages.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let mut names: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "vmkaudit-check.1",
            "vmkaudit-collect.1",
            "vmkaudit-completions.1",
            "vmkaudit-man.1",
            "vmkaudit-rules.1",
            "vmkaudit-run.1",
            "vmkaudit.1"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(pages.join("vmkaudit.1")).unwrap(),
        page
    );
    let check = std::fs::read_to_string(pages.join("vmkaudit-check.1")).unwrap();
    assert!(check.contains("\\-\\-stdout"), "{check}");
}

/// `vmkaudit args` in `cwd` with `VMKAUDIT_CONFIG` set to `config` (or unset).
fn with_config_env(cwd: &Path, args: &[&str], config: Option<&Path>) -> std::process::Output {
    let mut cmd = std::process::Command::new(crate::common::bin());
    cmd.args(args).current_dir(cwd).env_remove("RUST_LOG");
    match config {
        Some(c) => cmd.env("VMKAUDIT_CONFIG", c),
        None => cmd.env_remove("VMKAUDIT_CONFIG"),
    };
    cmd.output().unwrap()
}

#[test]
fn run_without_config_uses_vmkaudit_config_then_the_default_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("job.toml");
    let job = |output_dir: &str| {
        format!(
            "[[inventory]]\npath = {:?}\n[report]\noutput_dir = {output_dir:?}\n",
            repo("samples/lab-inventory.json")
        )
    };
    std::fs::write(&config, job("reports")).unwrap();
    let out = with_config_env(dir.path(), &["run", "--fail-on", "never"], Some(&config));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "vmkaudit: configuration {} (from $VMKAUDIT_CONFIG)",
            config.display()
        )),
        "{stderr}"
    );
    assert!(dir.path().join("reports/latest/findings.json").exists());

    // --config wins over the variable, and is not announced (the user named it).
    let other = dir.path().join("other.toml");
    std::fs::write(&other, job("other")).unwrap();
    let out = with_config_env(
        dir.path(),
        &[
            "run",
            "--config",
            other.to_str().unwrap(),
            "--fail-on",
            "never",
        ],
        Some(&config),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("vmkaudit: configuration"), "{stderr}");
    assert!(dir.path().join("other/latest").exists());

    // Neither: the default, or a message naming all three ways.
    if Path::new("/etc/vmkaudit/vmkaudit.toml").exists() {
        return;
    }
    let out = with_config_env(dir.path(), &["run"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "vmkaudit: error: no configuration: give --config FILE, set VMKAUDIT_CONFIG, or create \
         /etc/vmkaudit/vmkaudit.toml"
    );
}

#[test]
fn no_color_turns_off_colour_in_the_log_on_a_terminal() {
    // `script` gives vmkaudit a terminal; without NO_COLOR its log lines are coloured there.
    if !crate::common::require_tool("script", "bsdutils") {
        return;
    }
    let sample = repo("samples/lab-inventory.json");
    let dir = tempfile::tempdir().unwrap();
    let run = |no_color: Option<&str>| {
        let command = format!(
            "{} check {} -o out --fail-on never -v",
            crate::common::bin().display(),
            sample.display()
        );
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &command, "/dev/null"])
            .current_dir(dir.path())
            .env_remove("RUST_LOG")
            .env("TERM", "xterm");
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = run(None);
    assert!(coloured.contains("INFO"), "{coloured}");
    assert!(
        coloured.contains("\u{1b}["),
        "no colour on a terminal: {coloured}"
    );
    let plain = run(Some("1"));
    assert!(plain.contains("INFO"), "{plain}");
    assert!(
        !plain.contains("\u{1b}["),
        "colour despite NO_COLOR: {plain}"
    );
    // An empty NO_COLOR does not count (no-color.org).
    assert!(run(Some("")).contains("\u{1b}["));
}

#[allow(dead_code)]
#[path = "../../build.rs"]
mod build_script;

#[test]
fn version_names_the_commit_or_says_it_is_unknown() {
    let out = vmkaudit(&repo(""), &["--version"]);
    assert!(out.status.success());
    let version = String::from_utf8(out.stdout).unwrap();
    let commit = build_script::commit(&repo("")).map(|c| c.name);
    let name = build_script::describe(commit.clone(), std::env::var("VMKAUDIT_COMMIT").ok());
    assert_eq!(
        version.trim(),
        format!("vmkaudit {} (commit {name})", env!("CARGO_PKG_VERSION"))
    );
    if crate::common::require_tool("git", "git") {
        if let Some(c) = &commit {
            let head = std::process::Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .current_dir(repo(""))
                .output()
                .unwrap();
            assert_eq!(c, String::from_utf8_lossy(&head.stdout).trim());
        }
        // A directory inside a checkout that is not its top (a tarball unpacked in some
        // repository) has no commit of its own.
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(ok.success());
        let pkg = dir.path().join("vmkaudit-0.1.0");
        std::fs::create_dir(&pkg).unwrap();
        assert!(build_script::commit(&pkg).is_none());
    }
    // Outside a checkout: unknown, unless the packager names it.
    let dir = tempfile::tempdir().unwrap();
    assert!(build_script::commit(dir.path()).is_none());
    assert_eq!(build_script::describe(None, None), "unknown");
    assert_eq!(build_script::describe(None, Some(" ".into())), "unknown");
    assert_eq!(
        build_script::describe(Some("abc".into()), Some("v0.1.0-2-gdef".into())),
        "v0.1.0-2-gdef"
    );
}

#[test]
fn readme_install_section_names_files_of_the_clone() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let start = readme
        .find("\n## Install\n")
        .expect("README has an Install section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    assert!(
        section.contains("cargo install --locked --path ."),
        "{section}"
    );
    for needed in [
        "/usr/local/bin/vmkaudit",
        "/etc/vmkaudit/vmkaudit.toml",
        "/etc/systemd/system/",
        "vmkaudit man --dir",
        "vmkaudit completions bash",
    ] {
        assert!(section.contains(needed), "Install lacks {needed}");
    }
    // Every file of the clone it copies exists (a glob: its directory).
    let mut named = 0;
    for w in path_words(section) {
        let rel = w.trim_end_matches('/');
        if ["contrib/", "docs/", "samples/"]
            .iter()
            .any(|d| rel.starts_with(d))
        {
            let rel = rel.split(['*', '#']).next().unwrap();
            assert!(
                repo(rel).exists(),
                "README Install names {w}, which is not in the clone"
            );
            named += 1;
        }
    }
    assert!(named >= 5, "{named}");
    // The unit it installs runs the binary from where the section puts it.
    let unit = std::fs::read_to_string(repo("contrib/vmkaudit.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/vmkaudit run"));
}
