//! Integration tests: the supported designs of tests/fixtures/designs/ (see the README there)
//! get no warning or error from any rule, one by one and all together as one estate, under the
//! default, stig and pre-upgrade rule sets with every rule enabled; and their data is complete
//! (no COV002), so that every rule really ran on them.

use std::path::{Path, PathBuf};

use vmkaudit::evaluate::{evaluate, RuleSet};
use vmkaudit::findings::{FindingsFile, Severity};
use vmkaudit::i18n::Lang;
use vmkaudit::model::Inventory;
use vmkaudit::rules::REGISTRY;

use crate::common::repo;
use crate::rules::now;

fn designs() -> Vec<(String, Inventory)> {
    let dir = repo("tests/fixtures/designs");
    let mut out: Vec<(String, Inventory)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, load(&p.join("inventory.json")))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(out.len(), 8, "eight designs in {}", dir.display());
    out
}

fn load(path: &Path) -> Inventory {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    vmkaudit::inventory::json::parse(path, &text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A built-in rule set with every rule of the registry enabled (its severities kept).
fn all_rules_of(base: &str) -> RuleSet {
    let text = format!("extends = \"{base}\"\nname = \"{base}-all\"\nall_rules = true\n");
    let set = RuleSet::parse(&PathBuf::from(format!("{base}-all.toml")), &text)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(set.rules.iter().all(|c| c.enabled), "{base}: every rule on");
    set
}

/// Every finding that breaks the bar: a warning or error, or a check that could not run.
fn false_alarms(f: &FindingsFile) -> Vec<String> {
    f.findings
        .iter()
        .filter(|x| x.severity >= Severity::Warning || x.rule == "COV002")
        .map(|x| {
            format!(
                "{} {} {:?} [{}]: {}",
                x.rule,
                x.subject.name(),
                x.subject.object(),
                x.severity,
                x.message
            )
        })
        .collect()
}

#[test]
fn supported_designs_get_no_warning_or_error_under_any_rule_set() {
    let designs = designs();
    let mut estate = Inventory::new();
    let mut failures = Vec::new();
    for set in ["default", "stig", "pre-upgrade"] {
        let rules = all_rules_of(set);
        for (name, inv) in &designs {
            let f = evaluate(inv, &rules, Lang::En, now());
            assert_eq!(f.checked_rules.len(), REGISTRY.len());
            assert_eq!(f.summary.hosts_checked, inv.hosts.len(), "{name}");
            for alarm in false_alarms(&f) {
                failures.push(format!("{name} ({set}): {alarm}"));
            }
        }
    }
    // All designs as one estate: estate-wide rules (duplicates, subnet MTUs, cluster
    // majorities) compare across them too.
    for (_, inv) in designs {
        if estate.sources.is_empty() {
            estate.sources = inv.sources.clone();
        }
        estate.hosts.extend(inv.hosts);
    }
    assert!(estate.duplicate_host_names().is_empty());
    for set in ["default", "stig", "pre-upgrade"] {
        let f = evaluate(&estate, &all_rules_of(set), Lang::En, now());
        for alarm in false_alarms(&f) {
            failures.push(format!("all designs ({set}): {alarm}"));
        }
    }
    assert!(
        failures.is_empty(),
        "false alarms on supported designs:\n{}",
        failures.join("\n")
    );
}

#[test]
fn design_fixtures_are_generated() {
    // The fixtures are written by scripts/gen-designs.py; a hand edit would drift from the
    // sample lab, which builds the same designs.
    let Some(python) = crate::common::python_with("json", "python3") else {
        return;
    };
    let out = std::process::Command::new(python)
        .arg(repo("scripts/gen-designs.py"))
        .arg("--check")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
