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
