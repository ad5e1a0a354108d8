//! Integration tests: the rule engine, the rule catalog and rule sets.
//!
//! Every rule has fixtures in tests/fixtures/rules/<ID>/ (see the README there): the rule must
//! report exactly `expected.json` on `fires.json` and nothing on `quiet.json`. Then the meta
//! checks on the registry, rule-set parsing errors, waivers, scopes, determinism, the findings
//! schema, the generated docs/rules.md and the planted faults of the samples.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::TimeZone;
use vmkaudit::cli::RulesFormat;
use vmkaudit::evaluate::{evaluate, RuleSet};
use vmkaudit::findings::{Data, FindingsFile, Reason, Severity};
use vmkaudit::i18n::Lang;
use vmkaudit::model::Inventory;
use vmkaudit::rules::addr001_duplicate_ip::{DuplicateScope, DUPLICATE_IP_SCOPE};
use vmkaudit::rules::fw003_allowed_network_too_wide::{
    FIREWALL_WIDEST_PREFIX, MANAGEMENT_NETWORKS,
};
use vmkaudit::rules::sep002_multiple_traffic_types::ALLOWED_SERVICE_COMBINATIONS;
use vmkaudit::rules::sep004_unexpected_vlan::EXPECTED_VLAN;
use vmkaudit::rules::svc001_service_must_be_off::SERVICES_OFF;
use vmkaudit::rules::{param, DocField, Params, REGISTRY};

use crate::common::{repo, vmkaudit};

/// The day the fixtures are evaluated on (waivers expire relative to it).
pub(crate) fn now() -> chrono::DateTime<chrono::Local> {
    chrono::Local
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .earliest()
        .expect("valid local time")
}

fn fixtures() -> PathBuf {
    repo("tests/fixtures/rules")
}

fn load_inventory(path: &Path) -> Inventory {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    vmkaudit::inventory::json::parse(path, &text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rule_set_for(dir: &Path, which: &str) -> RuleSet {
    for name in [format!("{which}.toml"), "rules.toml".to_string()] {
        let p = dir.join(&name);
        if p.exists() {
            return RuleSet::load(&p).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    RuleSet::builtin_default()
}

fn eval_fixture(id: &str, which: &str, lang: Lang) -> FindingsFile {
    let dir = fixtures().join(id);
    let inv = load_inventory(&dir.join(format!("{which}.json")));
    evaluate(&inv, &rule_set_for(&dir, which), lang, now())
}

fn hits(f: &FindingsFile, id: &str) -> BTreeSet<(String, Option<String>)> {
    f.findings
        .iter()
        .filter(|x| x.rule == id && x.waived.is_none())
        .map(|x| {
            (
                x.subject.name().to_string(),
                x.subject.object().map(str::to_string),
            )
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct Expected {
    host: String,
    object: Option<String>,
}

/// The fixture cases of a rule: `""` for `fires.json`/`quiet.json`, and `-<case>` for every
/// further `fires-<case>.json` (with `expected-<case>.json`) and `quiet-<case>.json`.
fn cases(dir: &Path, which: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let case = name.strip_prefix(which)?.strip_suffix(".json")?;
            (case.is_empty() || case.starts_with('-')).then(|| case.to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_rule_fires_on_its_fixture_and_not_on_the_near_miss() {
    let mut failures = Vec::new();
    for rule in REGISTRY {
        let dir = fixtures().join(rule.id);
        for case in cases(&dir, "fires") {
            let expected: Vec<Expected> = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("expected{case}.json")))
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display())),
            )
            .unwrap();
            let want: BTreeSet<(String, Option<String>)> =
                expected.into_iter().map(|e| (e.host, e.object)).collect();
            assert!(
                !want.is_empty(),
                "{}: expected{case}.json is empty",
                rule.id
            );
            for lang in Lang::ALL {
                let fired = eval_fixture(rule.id, &format!("fires{case}"), lang);
                let got = hits(&fired, rule.id);
                if got != want {
                    failures.push(format!(
                        "{} fires{case}.json ({lang}): expected {want:?}, got {got:?}",
                        rule.id
                    ));
                }
                for f in fired.findings.iter().filter(|f| f.rule == rule.id) {
                    assert!(!f.message.trim().is_empty() && !f.remediation.trim().is_empty());
                    assert_eq!(f.category, rule.category);
                    let cjk = f
                        .message
                        .chars()
                        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                    assert_eq!(
                        cjk,
                        lang == Lang::ZhCn,
                        "{}: message language: {}",
                        rule.id,
                        f.message
                    );
                }
            }
        }
        for case in cases(&dir, "quiet") {
            for lang in Lang::ALL {
                let quiet = eval_fixture(rule.id, &format!("quiet{case}"), lang);
                let got = hits(&quiet, rule.id);
                if !got.is_empty() {
                    failures.push(format!(
                        "{} quiet{case}.json: must not fire, got {got:?}",
                        rule.id
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn quiet_fixtures_of_the_base_estate_are_healthy() {
    // The base estate itself (GW004's quiet.json is unchanged) gets no finding at all.
    let f = eval_fixture("GW004", "quiet", Lang::En);
    assert!(f.findings.is_empty(), "{:#?}", f.findings);
    assert_eq!(f.checked_rules.len(), REGISTRY.len());
    assert_eq!(f.summary.hosts_checked, 3);
}

#[test]
fn registry_meta() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for r in REGISTRY {
        assert!(ids.insert(r.id), "duplicate rule ID {}", r.id);
        assert!(names.insert(r.name), "duplicate rule name {}", r.name);
        let prefix = r.id.trim_end_matches(|c: char| c.is_ascii_digit());
        assert!(
            ["GW", "SEP", "MTU", "FW", "SVC", "UPL", "ADDR", "COV"].contains(&prefix)
                && r.id.len() == prefix.len() + 3,
            "bad ID {}",
            r.id
        );
        assert!(
            r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "name {} is not kebab-case",
            r.name
        );
        for field in DocField::ALL {
            let section = field.as_str();
            let en = r.english(field);
            let zh = r.doc(field, Lang::ZhCn);
            assert!(!en.trim().is_empty(), "{} {section} (en) is empty", r.id);
            assert!(!zh.trim().is_empty(), "{} {section} (zh-CN) is empty", r.id);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{} {section} (zh-CN) is not Chinese",
                r.id
            );
            assert!(
                !en.contains("  "),
                "{} {section} (en) has a double space",
                r.id
            );
        }
        assert!(!r.references.is_empty(), "{} has no references", r.id);
        assert!(
            r.remediation.contains("esxcli")
                || r.remediation.contains("PowerCLI")
                || r.remediation.contains("Get-")
                || r.category == vmkaudit::findings::Category::Coverage,
            "{} remediation names no esxcli or PowerCLI command",
            r.id
        );
        let dir = fixtures().join(r.id);
        for f in ["fires.json", "quiet.json", "expected.json"] {
            assert!(dir.join(f).exists(), "{} has no fixture {f}", r.id);
        }
    }
    // Every rule file in src/rules/ (`<id>_<name>.rs`) is registered, and nothing else is.
    let files: BTreeSet<String> = std::fs::read_dir(repo("src/rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.contains('_') && f.ends_with(".rs"))
        .map(|f| f.split('_').next().unwrap().to_ascii_uppercase())
        .collect();
    let registered: BTreeSet<String> = REGISTRY.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(files, registered, "rule files and the registry differ");
    // No fixture directory without a rule.
    for e in std::fs::read_dir(fixtures()).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            let name = e.file_name().into_string().unwrap();
            assert!(
                ids.contains(name.as_str()),
                "fixture dir {name} has no rule"
            );
        }
    }
}

#[test]
fn parameters_are_declared_once_and_documented() {
    let declared = param::declared();
    let mut names = BTreeSet::new();
    for p in &declared {
        assert!(
            names.insert(p.name()),
            "parameter {} declared twice",
            p.name()
        );
        assert!(
            !p.ty().is_empty() && !p.doc().is_empty(),
            "{} undocumented",
            p.name()
        );
        assert!(
            !p.to_toml(&p.default_value()).is_empty(),
            "{} default",
            p.name()
        );
        assert!(!param::used_by(p.name()).is_empty());
    }
    // Two declarations never share a key (a shared parameter is one static, referenced).
    for r in REGISTRY {
        for p in r.params {
            assert!(
                std::ptr::addr_eq(*p, param::find(p.name()).unwrap()),
                "{}: a second declaration of `{}`",
                r.id,
                p.name()
            );
        }
    }
    // rules/default.toml writes out parameters at their declared defaults (no drift).
    assert_eq!(RuleSet::builtin_default().params, Params::default());
}

#[test]
fn parameter_values_are_typed_and_merged_across_extends() {
    let set = RuleSet::parse(
        Path::new("set.toml"),
        "extends = \"stig\"\n[params]\nexpected_vlan = { vmotion = 20 }\nduplicate_ip_scope = \" cluster \"\n",
    )
    .unwrap();
    assert_eq!(set.params.get(&EXPECTED_VLAN)["vmotion"], 20);
    assert_eq!(
        *set.params.get(&DUPLICATE_IP_SCOPE),
        DuplicateScope::Cluster
    );
    // From stig.toml, not replaced here.
    assert_eq!(*set.params.get(&FIREWALL_WIDEST_PREFIX), 24);
    // A type error is located at the value.
    let e = parse_err("[params]\nfirewall_widest_prefix = \"16\"\n");
    assert!(e.starts_with("set.toml:2:26:"), "{e}");
    let e = parse_err("[params]\nexpected_mtu = { vmotion = 90000 }\n");
    assert!(
        e.starts_with("set.toml:2:28:") && e.contains("MTU 90000 is out of range"),
        "{e}"
    );
}

fn parse_err(text: &str) -> String {
    RuleSet::parse(Path::new("set.toml"), text)
        .expect_err("must not parse")
        .to_string()
}

#[test]
fn rule_set_errors_have_line_column_and_suggestions() {
    // (rule set text, where the error must point, what it must say)
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "name = \"x\"\n\n[params]\nexpected_vlann = { vmotion = 20 }\n",
            "set.toml:4:1:",
            &["did you mean `expected_vlan`?"],
        ),
        (
            "disable = [\"GW001\", \"GW01\"]\n",
            "set.toml:1:21:",
            &["unknown rule `GW01`", "did you mean `GW001`?"],
        ),
        (
            "[rules.multihomin]\nenabled = false\n",
            "set.toml:1:8:",
            &["did you mean `multihoming`?"],
        ),
        (
            "[rules.GW004]\nseverity = \"critical\"\n",
            "set.toml:2:12:",
            &["unknown severity `critical`"],
        ),
        (
            "[rules.GW004]\nseverty = \"error\"\n",
            "set.toml:2:1:",
            &["did you mean `severity`?"],
        ),
        (
            "[params]\nexpected_vlan = { vMotion = 20 }\n",
            "set.toml:2:19:",
            &["did you mean `vmotion`?"],
        ),
        (
            "[params]\nmanagement_networks = [\"10.0.0.0/33\"]\n",
            "set.toml:2:24:",
            &["not an IPv4 network"],
        ),
        (
            "[[waiver]]\nrule = \"SVC001\"\nreason = \"x\"\nexpires = \"2026-13-01\"\n",
            "set.toml:4:11:",
            &["YYYY-MM-DD"],
        ),
        (
            "[params]\nduplicate_ip_scope = \"clustr\"\n",
            "set.toml:2:22:",
            &["did you mean `cluster`?"],
        ),
        (
            "[params]\ngateway_overrides = \"consistant\"\n",
            "set.toml:2:21:",
            &["did you mean `consistent`?", "consistent, allow or deny"],
        ),
        (
            "extends = \"stgi\"\n",
            "set.toml:1:11:",
            &["did you mean `stig`?"],
        ),
        // Retired: FW004 and its parameter say what replaced them (no alias: the objects differ).
        (
            "disable = [\"GW001\", \"FW004\"]\n",
            "set.toml:1:21:",
            &[
                "rule `FW004` (FW004) was retired",
                "SVC001 (service-must-be-off)",
            ],
        ),
        (
            "[[waiver]]\nrule = \"service-must-be-disabled\"\nreason = \"x\"\n",
            "set.toml:2:8:",
            &["(FW004) was retired", "object = \"TSM-SSH\""],
        ),
        (
            "[params]\ndisabled_rulesets = [\"sshServer\"]\n",
            "set.toml:2:1:",
            &["parameter `disabled_rulesets` was retired", "services_off"],
        ),
        (
            "enable = [\"GW001\"]\ndisable = [\"multiple-default-gateways\"]\n",
            "set.toml:2:12:",
            &["both in `enable` and in `disable`"],
        ),
    ];
    for (text, at, says) in cases {
        let e = parse_err(text);
        assert!(e.starts_with(at), "{text:?}: {e}");
        for s in *says {
            assert!(e.contains(s), "{text:?}: {e}");
        }
    }
}

#[test]
fn builtin_rule_sets_load_and_differ() {
    let default = RuleSet::builtin_default();
    let stig = RuleSet::builtin("stig").unwrap();
    let pre = RuleSet::builtin("pre-upgrade").unwrap();
    assert_eq!(default.enabled().count(), REGISTRY.len());
    assert_eq!(stig.enabled().count(), REGISTRY.len());
    assert_eq!(stig.config("FW002").unwrap().severity, Severity::Error);
    assert_eq!(
        *stig.params.get(&SERVICES_OFF),
        ["TSM-SSH", "TSM", "slpd", "sfcbd-watchdog"]
    );
    assert_eq!(stig.config("SVC002").unwrap().severity, Severity::Error);
    assert_eq!(default.config("SVC002").unwrap().severity, Severity::Info);
    // stig extends default: untouched parameters are inherited.
    assert_eq!(
        stig.params.get(&ALLOWED_SERVICE_COMBINATIONS),
        default.params.get(&ALLOWED_SERVICE_COMBINATIONS)
    );
    assert!(pre.is_enabled("ADDR001") && pre.is_enabled("MTU002") && pre.is_enabled("GW004"));
    assert!(!pre.is_enabled("FW002") && !pre.is_enabled("SEP004"));
    // `--rules stig` names a built-in when no such file exists.
    assert_eq!(RuleSet::load(Path::new("stig")).unwrap().name, "stig");
    let err = RuleSet::load(Path::new("stgi")).unwrap_err().to_string();
    assert!(err.contains("did you mean `stig`?"), "{err}");
}

#[test]
fn waivers_mark_findings_and_expired_ones_are_reported() {
    let dir = fixtures().join("SVC001");
    let inv = load_inventory(&dir.join("fires.json"));
    let set = |expires: &str| {
        RuleSet::parse(
            Path::new("w.toml"),
            &format!(
                "[[waiver]]\nrule = \"service-must-be-off\"\nhost = \"ESX0*.lab.example\"\nobject = \"tsm-ssh*\"\nreason = \"support case 42\"\nexpires = \"{expires}\"\n"
            ),
        )
        .unwrap()
    };
    // Active waiver: the finding stays, marked waived, and is not counted.
    let f = evaluate(&inv, &set("2026-06-01"), Lang::En, now());
    let fw: Vec<_> = f.findings.iter().filter(|x| x.rule == "SVC001").collect();
    assert_eq!(fw.len(), 2);
    let fw: Vec<_> = fw.into_iter().filter(|x| x.waived.is_some()).collect();
    assert_eq!(fw.len(), 1);
    let w = fw[0].waived.as_ref().expect("waived");
    assert_eq!(w.reason, "support case 42");
    assert_eq!(w.expires.as_deref(), Some("2026-06-01"));
    assert_eq!(f.summary.waived, 1);
    // esx03's slpd (not waived) is the one warning left.
    assert_eq!(f.summary.by_severity[Severity::Warning], 1);
    assert!(f.findings.iter().all(|x| x.rule != "COV004"));
    // Expired: no longer applies, and COV004 says so.
    let f = evaluate(&inv, &set("2026-05-31"), Lang::En, now());
    let fw = f.findings.iter().find(|x| x.rule == "SVC001").unwrap();
    assert!(fw.waived.is_none());
    let cov = f.findings.iter().find(|x| x.rule == "COV004").unwrap();
    assert!(
        cov.message.contains("SVC001") && cov.message.contains("2026-05-31"),
        "{}",
        cov.message
    );
    assert_eq!(f.summary.waived, 0);
}

#[test]
fn scope_by_cluster_and_host_glob() {
    // MTU004 fires on all three hosts of CL-A; scope it.
    let dir = fixtures().join("MTU004");
    let mut inv = load_inventory(&dir.join("fires.json"));
    inv.hosts[2].cluster = Some("lab-1".into());
    let run = |toml: &str| {
        let set = RuleSet::parse(Path::new("s.toml"), toml).unwrap();
        let f = evaluate(&inv, &set, Lang::En, now());
        hits(&f, "MTU004")
            .into_iter()
            .map(|(h, _)| h)
            .collect::<Vec<_>>()
    };
    assert_eq!(run("").len(), 3);
    assert_eq!(run("[rules.MTU004]\nclusters = [\"cl-*\"]\n").len(), 2);
    assert_eq!(
        run("[rules.MTU004]\nclusters = [\"LAB-*\"]\n"),
        ["esx03.lab.example"]
    );
    assert_eq!(
        run("[rules.MTU004]\nexclude_hosts = [\"esx0[12]*\"]\n"),
        ["esx03.lab.example"]
    );
    assert_eq!(
        run("[rules.MTU004]\nhosts = [\"esx01.*\"]\n"),
        ["esx01.lab.example"]
    );
    assert!(run("disable = [\"MTU004\"]\n").is_empty());
    assert!(run("all_rules = false\nenable = [\"GW001\"]\n").is_empty());
    // Scope limits where findings are reported, not who a host is compared with: esx02's
    // duplicate partner esx04 is outside the scope, the duplicate is still found on esx02.
    let dup = load_inventory(&fixtures().join("ADDR001/fires.json"));
    let set = RuleSet::parse(
        Path::new("s.toml"),
        "[rules.ADDR001]\nhosts = [\"esx02*\"]\n",
    )
    .unwrap();
    let f = evaluate(&dup, &set, Lang::En, now());
    assert_eq!(
        hits(&f, "ADDR001").into_iter().collect::<Vec<_>>(),
        [("esx02.lab.example".to_string(), Some("vmk0".to_string()))]
    );
    // duplicate_ip_scope narrows where an address must be unique: esx02 (CL-A) and esx04
    // (CL-B, another vCenter) reuse one management address (a routed subnet: one address
    // space across vCenters).
    for (scope, dups) in [("estate", 2), ("source", 0), ("cluster", 0)] {
        let set = RuleSet::parse(
            Path::new("s.toml"),
            &format!("[params]\nduplicate_ip_scope = \"{scope}\"\n"),
        )
        .unwrap();
        assert_eq!(
            hits(&evaluate(&dup, &set, Lang::En, now()), "ADDR001").len(),
            dups,
            "{scope}"
        );
    }
    // Severity override.
    let set = RuleSet::parse(Path::new("s.toml"), "[rules.MTU004]\nseverity = \"info\"\n").unwrap();
    let f = evaluate(&inv, &set, Lang::En, now());
    assert!(f
        .findings
        .iter()
        .filter(|x| x.rule == "MTU004")
        .all(|x| x.severity == Severity::Info));
}

#[test]
fn coverage_is_counted_per_rule() {
    let f = eval_fixture("COV002", "fires", Lang::En);
    let fw = f
        .summary
        .not_checked
        .iter()
        .find(|n| n.rule == "FW002")
        .unwrap();
    assert_eq!((fw.reason, fw.hosts), (Reason::Missing(Data::Firewall), 1));
    let cov = f
        .findings
        .iter()
        .find(|x| x.rule == "COV002" && x.subject.object() == Some("services"))
        .unwrap();
    assert!(cov.not_checked.contains(&"SEP001".to_string()), "{cov:?}");
    assert!(cov.message.contains("vmk2"), "{}", cov.message);
    // Missing VLANs stop SEP007 (trunk port groups) always, SEP004 only when the rule set
    // expects VLANs.
    let mut inv = load_inventory(&fixtures().join("GW004/quiet.json"));
    inv.hosts[0].vmks[1].vlan = None;
    let vlan_cov = |set: &RuleSet| {
        evaluate(&inv, set, Lang::En, now())
            .findings
            .into_iter()
            .find(|x| x.rule == "COV002" && x.subject.object() == Some("vlan"))
    };
    let cov = vlan_cov(&RuleSet::builtin_default()).expect("COV002 vlan");
    assert_eq!(cov.not_checked, ["SEP007"]);
    let expecting = RuleSet::parse(
        Path::new("v.toml"),
        "[params]\nexpected_vlan = { vmotion = 20 }\n",
    )
    .unwrap();
    let cov = vlan_cov(&expecting).expect("COV002 vlan");
    assert_eq!(cov.not_checked, ["SEP004", "SEP007"]);
    assert!(
        cov.message
            .starts_with("Not checked on vmk1: SEP004, SEP007."),
        "{}",
        cov.message
    );
    // A disconnected host: COV001 only, even though its stale data has SSH enabled.
    let f = eval_fixture("COV001", "fires", Lang::En);
    let on_host: Vec<_> = f
        .findings
        .iter()
        .filter(|x| x.subject.name() == "esx02.lab.example")
        .map(|x| x.rule.as_str())
        .collect();
    assert_eq!(on_host, ["COV001"]);
}

fn samples() -> Inventory {
    load_inventory(&repo("samples/lab-inventory.json"))
}

#[test]
fn parallel_evaluation_is_deterministic() {
    let inv = samples();
    let set = RuleSet::load(&repo("samples/lab-rules.toml")).unwrap();
    let reference = {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| serde_json::to_string(&evaluate(&inv, &set, Lang::ZhCn, now())).unwrap())
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    for _ in 0..5 {
        let again = pool
            .install(|| serde_json::to_string(&evaluate(&inv, &set, Lang::ZhCn, now())).unwrap());
        assert_eq!(again, reference);
    }
    // Host order in the input does not change the output either.
    let mut reversed = inv.clone();
    reversed.hosts.reverse();
    let r = serde_json::to_string(&evaluate(&reversed, &set, Lang::ZhCn, now())).unwrap();
    assert_eq!(r, reference);
}

#[test]
fn findings_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/findings.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let inv = samples();
    let set = RuleSet::load(&repo("samples/lab-rules.toml")).unwrap();
    for lang in Lang::ALL {
        let f = evaluate(&inv, &set, lang, now());
        let v = serde_json::to_value(&f).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    // And a broken file is rejected (the schema is not vacuous).
    let mut v = serde_json::to_value(evaluate(&inv, &set, Lang::En, now())).unwrap();
    v["findings"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&v));
}

#[test]
fn docs_rules_md_is_up_to_date() {
    let generated =
        vmkaudit::evaluate::describe(None, &RuleSet::builtin_default(), RulesFormat::Markdown)
            .unwrap();
    // Retired rules and parameters are listed with what replaced them.
    assert!(
        generated.contains("Retired: FW004 (`service-must-be-disabled`)")
            && generated.contains("Retired parameter `disabled_rulesets`"),
        "retired rules are documented"
    );
    let path = repo("docs/rules.md");
    if std::env::var_os("UPDATE_RULE_DOCS").is_some() {
        vmkaudit::fsutil::write_atomic(&path, generated.as_bytes()).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/rules.md is out of date with the rule declarations in src/rules/.\n\
         Regenerate it with:  UPDATE_RULE_DOCS=1 cargo test --test it rules::docs\n\
         or:                  cargo run -- rules --format markdown > docs/rules.md"
    );
}

#[derive(serde::Deserialize)]
struct SampleExpectations {
    faults: Vec<SampleFault>,
    healthy_hosts: Vec<String>,
    #[serde(default)]
    only_rules: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    needs_waiver: Vec<SampleFault>,
}

#[derive(serde::Deserialize)]
struct SampleFault {
    rule: String,
    host: String,
    object: Option<String>,
}

#[test]
fn samples_planted_faults_are_found_and_healthy_hosts_stay_clean() {
    let expect: SampleExpectations = serde_json::from_str(
        &std::fs::read_to_string(repo("samples/expected-findings.json")).unwrap(),
    )
    .unwrap();
    let inv = samples();
    let set = RuleSet::load(&repo("samples/lab-rules.toml")).unwrap();
    let f = evaluate(&inv, &set, Lang::En, now());
    let found = |e: &SampleFault| {
        f.findings.iter().any(|x| {
            x.rule == e.rule
                && x.subject.name() == e.host
                && (e.object.is_none() || x.subject.object() == e.object.as_deref())
        })
    };
    let missing: Vec<String> = expect
        .faults
        .iter()
        .chain(&expect.needs_waiver)
        .filter(|e| !found(e))
        .map(|e| format!("{} on {} ({:?})", e.rule, e.host, e.object))
        .collect();
    assert!(
        missing.is_empty(),
        "planted faults not found:\n{}",
        missing.join("\n")
    );
    for host in &expect.healthy_hosts {
        let bad: Vec<_> = f
            .findings
            .iter()
            .filter(|x| {
                x.subject.name() == host && x.severity >= Severity::Warning && x.waived.is_none()
            })
            .map(|x| format!("{} {:?}: {}", x.rule, x.subject.object(), x.message))
            .collect();
        assert!(
            bad.is_empty(),
            "healthy host {host} got:\n{}",
            bad.join("\n")
        );
    }
    for (host, rules) in &expect.only_rules {
        for x in f.findings.iter().filter(|x| x.subject.name() == host) {
            assert!(
                rules.contains(&x.rule),
                "{host}: unexpected {} {:?}",
                x.rule,
                x.message
            );
        }
    }
    // With the built-in default set (no site parameters) the generic faults are found too,
    // and the healthy hosts stay clean.
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    for host in &expect.healthy_hosts {
        assert!(
            !f.findings
                .iter()
                .any(|x| x.subject.name() == host && x.severity >= Severity::Warning),
            "{host} not clean under the default rule set"
        );
    }
    assert_eq!(f.checked_rules.len(), REGISTRY.len());
}

#[test]
fn default_rule_set_has_the_generic_sample_parameters() {
    // samples/README.md: maximum allowed prefix /16, sshServer must stay disabled, the default
    // allowed service combinations. (The lab's VLANs and networks live in samples/lab-rules.toml.)
    let d = RuleSet::builtin_default();
    assert_eq!(*d.params.get(&FIREWALL_WIDEST_PREFIX), 16);
    assert_eq!(*d.params.get(&SERVICES_OFF), ["TSM-SSH", "TSM", "slpd"]);
    assert_eq!(d.params.get(&ALLOWED_SERVICE_COMBINATIONS).len(), 2);
    let lab = RuleSet::load(&repo("samples/lab-rules.toml")).unwrap();
    assert_eq!(lab.params.get(&EXPECTED_VLAN)["vmotion"], 20);
    assert_eq!(lab.params.get(&MANAGEMENT_NETWORKS).len(), 3);
}

#[test]
fn rules_command_lists_and_explains() {
    let out = vmkaudit(&repo(""), &["rules"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for r in REGISTRY {
        assert!(
            text.contains(r.id) && text.contains(r.name),
            "{} missing",
            r.id
        );
    }
    assert!(text.lines().nth(3).unwrap().starts_with("ID "), "{text}");

    let out = vmkaudit(&repo(""), &["rules", "multihoming"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ADDR002 multihoming"), "{text}");
    assert!(
        text.contains("KB 2010877") && text.contains("修复方法"),
        "{text}"
    );

    let out = vmkaudit(
        &repo(""),
        &["rules", "--rules", "pre-upgrade", "--format", "json"],
    );
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rule_set"], "pre-upgrade");
    let fw2 = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "FW002")
        .unwrap();
    assert_eq!(fw2["enabled"], false);

    let out = vmkaudit(&repo(""), &["rules", "FW004"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("was retired") && err.contains("SVC001"),
        "{err}"
    );

    let out = vmkaudit(&repo(""), &["rules", "GW01"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did you mean `GW001`?"), "{err}");
}

#[test]
fn rule_set_parameters_change_what_the_rules_report() {
    // Every parameter a rule set can set, tried on the healthy base estate (or a one-change
    // fixture): the default reports nothing, the parameter makes the rule fire (or stop).
    let base = load_inventory(&fixtures().join("GW004/quiet.json"));
    let fired = |inv: &Inventory, toml: &str, rule: &str| {
        let set = RuleSet::parse(Path::new("p.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
        hits(&evaluate(inv, &set, Lang::En, now()), rule)
            .into_iter()
            .map(|(h, o)| format!("{h} {}", o.unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    let all = |obj: &str| {
        ["esx01", "esx02", "esx03"]
            .iter()
            .map(|h| format!("{h}.lab.example {obj}"))
            .collect::<Vec<_>>()
    };
    // expected_mtu: every vMotion vmk has 9000, which is the majority but not what is expected.
    assert!(fired(&base, "", "MTU002").is_empty());
    assert_eq!(
        fired(
            &base,
            "[params]\nexpected_mtu = { vmotion = 1500 }\n",
            "MTU002"
        ),
        all("vmk1")
    );
    assert!(fired(
        &base,
        "[params]\nexpected_mtu = { vmotion = 9000 }\n",
        "MTU002"
    )
    .is_empty());
    // allowed_service_combinations: vsan + vSphereProvisioning (esx02) and vsan +
    // vSphereBackupNFC (esx03) are not allowed by default.
    let sep002 = load_inventory(&fixtures().join("SEP002/fires.json"));
    assert_eq!(
        fired(&sep002, "", "SEP002"),
        ["esx02.lab.example vmk2", "esx03.lab.example vmk2"]
    );
    assert_eq!(
        fired(
            &sep002,
            "[params]\nallowed_service_combinations = [[\"vsan\", \"vSphereProvisioning\"]]\n",
            "SEP002"
        ),
        ["esx03.lab.example vmk2"]
    );
    // firewall_widest_prefix: vSphereClient allows 10.0.10.0/24.
    assert!(fired(&base, "", "FW003").is_empty());
    assert_eq!(
        fired(&base, "[params]\nfirewall_widest_prefix = 25\n", "FW003"),
        all("vSphereClient")
    );
    // management_networks: 10.0.10.0/24 lies outside 10.9.0.0/16 but inside 10.0.0.0/16.
    assert_eq!(
        fired(
            &base,
            "[params]\nmanagement_networks = [\"10.9.0.0/16\"]\n",
            "FW003"
        ),
        all("vSphereClient")
    );
    assert!(fired(
        &base,
        "[params]\nmanagement_networks = [\"10.0.0.0/16\"]\n",
        "FW003"
    )
    .is_empty());
    // firewall_exempt_rulesets: the enabled, all-IP `dns` ruleset is exempt by default.
    assert!(fired(&base, "", "FW002").is_empty());
    assert_eq!(
        fired(&base, "[params]\nfirewall_exempt_rulesets = []\n", "FW002"),
        all("dns")
    );
    // services_off: NTP runs on every host and is not on the default list.
    assert!(fired(&base, "", "SVC001").is_empty());
    assert_eq!(
        fired(&base, "[params]\nservices_off = [\"NTPD\"]\n", "SVC001"),
        all("ntpd")
    );
}

#[test]
fn missing_addresses_are_reported_not_passed() {
    // An export without the IP columns (e.g. PowerCLI through Select-Object) gives vmks whose
    // address is unknown: the address checks cannot run on them, and COV002 must say so.
    let mut inv = load_inventory(&fixtures().join("ADDR001/fires.json"));
    for h in &mut inv.hosts {
        for v in &mut h.vmks {
            v.ipv4 = None;
            v.netmask = None;
        }
    }
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    assert!(hits(&f, "ADDR001").is_empty());
    let cov: Vec<_> = f
        .findings
        .iter()
        .filter(|x| x.rule == "COV002" && x.subject.object() == Some("ipv4"))
        .collect();
    assert_eq!(cov.len(), inv.hosts.len(), "{:#?}", f.findings);
    for id in [
        "GW002", "GW003", "SEP003", "MTU003", "ADDR001", "ADDR002", "ADDR004", "ADDR005",
    ] {
        assert!(
            cov[0].not_checked.iter().any(|r| r == id),
            "{id}: {:?}",
            cov[0]
        );
    }
    assert!(
        f.summary
            .not_checked
            .iter()
            .any(|n| n.rule == "ADDR001" && n.reason == Reason::Missing(Data::Ipv4)),
        "{:?}",
        f.summary.not_checked
    );
    // One vmk without an address (the others have theirs): named on its own.
    let mut inv = load_inventory(&fixtures().join("GW004/quiet.json"));
    inv.hosts[1].vmks[2].ipv4 = None;
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let cov: Vec<_> = f.findings.iter().filter(|x| x.rule == "COV002").collect();
    assert_eq!(cov.len(), 1, "{cov:#?}");
    assert_eq!(cov[0].subject.name(), "esx02.lab.example");
    assert!(cov[0].message.contains("vmk2"), "{}", cov[0].message);
}

/// `scripts/gen-estate.py ARGS` into `dir/name`.
pub fn gen_estate(dir: &Path, args: &[&str], name: &str) -> PathBuf {
    let out = dir.join(name);
    let status = std::process::Command::new("python3")
        .arg(repo("scripts/gen-estate.py"))
        .args(args)
        .arg(&out)
        .status()
        .expect("python3 runs scripts/gen-estate.py");
    assert!(status.success(), "gen-estate.py {args:?}");
    out
}

#[test]
fn data_a_file_format_lacks_is_one_fact_per_file_not_a_finding_per_host() {
    let dir = tempfile::tempdir().unwrap();
    let path = gen_estate(dir.path(), &["--rvtools", "400"], "RVTools_tabvSC_VMK.csv");
    let file = path.display().to_string();
    let mut inv = vmkaudit::inventory::load(&path, None).unwrap();
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let cov: Vec<_> = f.findings.iter().filter(|x| x.rule == "COV002").collect();
    let objects: Vec<_> = cov.iter().map(|x| x.subject.object().unwrap()).collect();
    assert_eq!(
        objects,
        [
            "firewall",
            "host_services",
            "iscsi_binding",
            "lockdown_mode",
            "netstacks",
            "pnics",
            "security",
            "services",
            "switches",
            "teaming",
            "vlan"
        ]
    );
    for c in &cov {
        assert_eq!(
            (c.subject.name(), c.subject.cluster()),
            (file.as_str(), None)
        );
    }
    assert_eq!(
        cov[0].message,
        format!(
            "Not checked on the 400 hosts from {file}: FW001, FW002, FW003. An RVTools \
             vSC_VMK export does not include the host firewall configuration."
        )
    );
    assert_eq!(cov[0].not_checked, ["FW001", "FW002", "FW003"]);
    // The schema-2 kinds no vmk export carries say so too (not "a column is missing").
    let teaming = cov
        .iter()
        .find(|c| c.subject.object() == Some("teaming"))
        .unwrap();
    assert!(
        teaming.message.ends_with(
            "An RVTools vSC_VMK export does not include the failover order of the vmk's port."
        ),
        "{}",
        teaming.message
    );
    // Still counted per rule and host, and not a pass anywhere.
    let fw = f
        .summary
        .not_checked
        .iter()
        .find(|n| n.rule == "FW001")
        .unwrap();
    assert_eq!((fw.reason.as_str(), fw.hosts), ("firewall", 400));
    let list = vmkaudit::render::checklist::build(&inv, &f, Lang::En);
    let fw001 = list.rules.iter().position(|r| r.id == "FW001").unwrap();
    assert_eq!(list.groups.len(), 16, "clusters of 25, no estate group");
    for g in &list.groups {
        assert_eq!(
            g.cells[fw001].text, "NOT CHECKED (25/25 hosts)",
            "{}",
            g.label
        );
    }
    let view = vmkaudit::render::view::build(&inv, &f, Lang::En, None);
    let group = view
        .coverage_groups
        .iter()
        .find(|g| g.object.as_deref() == Some("firewall"))
        .unwrap();
    assert_eq!(group.count, 400);
    assert!(!view.hosts.is_empty());
    for h in &view.hosts {
        assert!(h.not_checked.iter().any(|r| r == "FW001"), "{}", h.name);
    }

    // Data the file has for some hosts but not for others stays a finding per host.
    for v in &mut inv.hosts[7].vmks {
        v.mtu = None;
    }
    inv.hosts[8].vmks[1].mtu = None;
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let mtu: Vec<_> = f
        .findings
        .iter()
        .filter(|x| x.rule == "COV002" && x.subject.object() == Some("mtu"))
        .map(|x| (x.subject.name(), x.message.as_str()))
        .collect();
    assert_eq!(mtu.len(), 2, "{mtu:#?}");
    assert_eq!(mtu[0].0, inv.hosts[7].name);
    assert!(
        mtu[1].1.starts_with("Not checked on vmk1: "),
        "{}",
        mtu[1].1
    );
    // An inventory file (a live collection) that lacks data on every host still says so per
    // host: that is not the file format's doing.
    let mut json = inv.clone();
    json.sources[0].kind = vmkaudit::model::SourceKind::Inventory;
    let f = evaluate(&json, &RuleSet::builtin_default(), Lang::En, now());
    let per_host = f
        .findings
        .iter()
        .filter(|x| x.rule == "COV002" && x.subject.object() == Some("firewall"))
        .count();
    assert_eq!(per_host, 400);
}

#[test]
fn data_a_schema_1_inventory_does_not_record_is_one_fact_per_source() {
    // An inventory written before schema 2 records no host services, NICs, lockdown mode,
    // teaming, port security or iSCSI binding for any host: that is one COV002 per source and
    // kind, not one per host and kind (200,000 for 40,000 hosts).
    let dir = tempfile::tempdir().unwrap();
    let v1 = gen_estate(dir.path(), &["--schema", "1", "400"], "v1.json");
    let inv = vmkaudit::inventory::load(&v1, None).unwrap();
    assert_eq!(inv.schema_version, 1);
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let cov: Vec<_> = f.findings.iter().filter(|x| x.rule == "COV002").collect();
    assert!(!cov.is_empty());
    for c in &cov {
        assert_eq!(
            c.subject.name(),
            "https://vc00.example.com/sdk",
            "{}",
            c.message
        );
        assert!(c.message.contains("the 399 hosts"), "{}", c.message);
    }
    let objects: Vec<_> = cov.iter().map(|x| x.subject.object().unwrap()).collect();
    assert_eq!(
        objects,
        [
            "host_services",
            "iscsi_binding",
            "lockdown_mode",
            "pnics",
            "security",
            "teaming"
        ]
    );
    let svc = cov[0];
    assert_eq!(
        svc.message,
        "Not checked on the 399 hosts from https://vc00.example.com/sdk: SVC001. They were \
         read from an inventory file of schema version 1, which does not record the host \
         services (SSH, ESXi Shell, SLP, CIM)."
    );
    // The same hosts in schema 2 lack nothing.
    let v2 = gen_estate(dir.path(), &["400"], "v2.json");
    let inv = vmkaudit::inventory::load(&v2, None).unwrap();
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let cov: Vec<_> = f.findings.iter().filter(|x| x.rule == "COV002").collect();
    assert!(cov.is_empty(), "{cov:#?}");
}

#[test]
fn every_fix_template_is_filled_where_its_rule_fires() {
    // A placeholder no finding of the rule can fill would silently drop the fix from the
    // scripts: on its firing fixture, every finding of a rule with a fix template has commands,
    // and no placeholder is left in them.
    let mut with_fix = 0;
    for rule in vmkaudit::rules::REGISTRY.iter().filter(|r| r.fix.is_some()) {
        with_fix += 1;
        let f = eval_fixture(rule.id, "fires", Lang::En);
        let mine: Vec<_> = f.findings.iter().filter(|x| x.rule == rule.id).collect();
        assert!(!mine.is_empty(), "{} fires on its fixture", rule.id);
        for x in mine {
            let fix = x
                .fix
                .as_ref()
                .unwrap_or_else(|| panic!("{}: no commands for {:?}", rule.id, x.subject));
            assert!(
                !fix.esxcli.is_empty() || !fix.powercli.is_empty(),
                "{}",
                rule.id
            );
            for c in fix.esxcli.iter().chain(&fix.powercli) {
                let names = rule.fix.unwrap().placeholders();
                assert!(
                    names.iter().all(|n| !c.contains(&format!("{{{n}}}"))),
                    "{}: {c}",
                    rule.id
                );
            }
        }
    }
    assert!(with_fix >= 3, "rules with a fix template: {with_fix}");
}

#[test]
fn data_live_collection_never_reads_is_one_fact_per_source_not_a_finding_per_host() {
    // A vCenter collection leaves `iscsi_bound` unknown on every vmk (no host property carries
    // it): one COV002 on the source, never one per host (2,500 for a big vCenter).
    let mut inv = load_inventory(&fixtures().join("GW004/quiet.json"));
    let source = inv.sources[0].name.clone();
    assert_eq!(inv.sources[0].kind, vmkaudit::model::SourceKind::Vcenter);
    for h in &mut inv.hosts {
        h.source = Some(source.clone());
        for v in &mut h.vmks {
            v.iscsi_bound = None;
        }
    }
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let cov: Vec<_> = f.findings.iter().filter(|x| x.rule == "COV002").collect();
    assert_eq!(cov.len(), 1, "{cov:#?}");
    assert_eq!(
        (cov[0].subject.name(), cov[0].subject.object()),
        (source.as_str(), Some("iscsi_binding"))
    );
    assert!(
        cov[0]
            .message
            .contains("Live collection does not read the iSCSI port binding"),
        "{}",
        cov[0].message
    );
    // Data live collection does read stays per host: a refused property on one host.
    inv.hosts[1].firewall = None;
    let f = evaluate(&inv, &RuleSet::builtin_default(), Lang::En, now());
    let hosts: Vec<_> = f
        .findings
        .iter()
        .filter(|x| x.rule == "COV002" && x.subject.object() == Some("firewall"))
        .map(|x| x.subject.name().to_string())
        .collect();
    assert_eq!(hosts, [inv.hosts[1].name.clone()]);
}
