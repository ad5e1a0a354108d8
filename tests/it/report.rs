//! Integration tests: report rendering (HTML, CSV, JSON, checklist, email body), snapshots in
//! both languages, injection, template overrides, headless Chromium, and the 40,000-host size.

use std::path::{Path, PathBuf};
use std::process::Command;

use vmkaudit::config::OutputFormat;
use vmkaudit::findings::{self, Category, Finding, FindingsFile, Severity, Subject};
use vmkaudit::i18n::Lang;
use vmkaudit::model::{Host, Inventory, Vmk};
use vmkaudit::render::{self, RenderOptions};

use crate::common;

fn fixture() -> (Inventory, FindingsFile) {
    let dir = common::repo("tests/fixtures/report");
    let inv = serde_json::from_str(&std::fs::read_to_string(dir.join("inventory.json")).unwrap())
        .expect("fixture inventory parses");
    let ff = serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap())
        .expect("fixture findings parse");
    (inv, ff)
}

fn opts(lang: Lang) -> RenderOptions {
    RenderOptions {
        formats: vec![OutputFormat::Html, OutputFormat::Csv, OutputFormat::Json],
        lang,
        templates_dir: None,
        title: Some("Lab".into()),
        fail_on: vmkaudit::findings::FailOn::default(),
    }
}

/// The HTML with the bodies of `<style>` and `<script>` left out: snapshots track content; the
/// Chromium test covers the script.
fn without_assets(html: &str) -> String {
    let mut out = html.to_string();
    for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
        if let (Some(a), Some(b)) = (out.find(open), out.find(close)) {
            out.replace_range(a + open.len()..b, "\n…\n");
        }
    }
    out
}

fn snapshot(name: &str, content: &str) {
    insta::with_settings!({snapshot_path => "../snapshots/report", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, content);
    });
}

fn csv_text(bytes: &[u8]) -> String {
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "CSV starts with a BOM"
    );
    String::from_utf8(bytes[3..].to_vec()).unwrap()
}

#[test]
fn fixture_summary_matches_its_findings() {
    let (inv, ff) = fixture();
    let s = findings::summarize(
        &ff.findings,
        &inv.hosts,
        inv.vmk_count(),
        ff.summary.not_checked.clone(),
    );
    assert_eq!(s, ff.summary);
    let mut sorted = ff.findings.clone();
    findings::sort_findings(&mut sorted);
    assert_eq!(sorted, ff.findings, "fixture findings are in output order");
}

/// Snapshot every rendered output of a run as `{prefix}_{output}_{lang}`.
fn snapshot_all(prefix: &str, inv: &Inventory, ff: &FindingsFile, o: &RenderOptions) {
    let (lang, code) = (o.lang, o.lang.code());
    let html = render::report_html(inv, ff, o).unwrap();
    assert!(html.contains(&format!("<html lang=\"{code}\">")));
    let mut outputs = vec![
        ("report_html", without_assets(&html)),
        (
            "findings_csv",
            csv_text(&render::csv::findings_csv(inv, ff, lang)),
        ),
        ("vmks_csv", csv_text(&render::csv::vmks_csv(inv, lang))),
        ("checklist", render::checklist_text(inv, ff, o)),
        ("email_html", render::email_html(inv, ff, o).unwrap()),
        ("email_text", render::email_text(inv, ff, o)),
        (
            "remediation_sh",
            render::remediation::remediation_sh(ff, lang),
        ),
        (
            "remediation_ps1",
            render::remediation::remediation_ps1(ff, lang),
        ),
    ];
    if ff.drift.is_some() {
        let csv = csv_text(&render::drift::changes_csv(ff, lang));
        outputs.push(("changes_csv", csv));
    }
    for (what, content) in outputs {
        snapshot(&format!("{prefix}_{what}_{code}"), &content);
    }
}

#[test]
fn snapshots_fixture_both_languages() {
    let (inv, ff) = fixture();
    for lang in Lang::ALL {
        snapshot_all("fixture", &inv, &ff, &opts(lang));
    }
}

/// The sample lab through the real pipeline (import, built-in pre-upgrade rule set, engine) at a
/// fixed time, in `lang`.
fn lab(lang: Lang) -> (Inventory, FindingsFile) {
    let rules = vmkaudit::evaluate::RuleSet::builtin("pre-upgrade").unwrap();
    common::lab_at_fixed_time(&rules, lang)
}

#[test]
fn snapshots_sample_lab_both_languages() {
    for lang in Lang::ALL {
        let (inv, ff) = lab(lang);
        assert!(!ff.findings.is_empty(), "the lab has planted faults");
        let o = RenderOptions {
            title: Some("Sample lab".into()),
            ..opts(lang)
        };
        snapshot_all("lab", &inv, &ff, &o);
    }
}

#[test]
fn check_command_writes_every_report_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::vmkaudit(
        &common::root(),
        &[
            "check",
            "samples/lab-inventory.json",
            "--lang",
            "zh-CN",
            "-o",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "planted faults: exit 1");
    for f in [
        "report.html",
        "checklist.txt",
        "findings.csv",
        "vmks.csv",
        "findings.json",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("升级前检查清单"));
    // The lab's Chinese port group name survives into the CSV (UTF-8 with BOM).
    let vmks = std::fs::read(dir.path().join("vmks.csv")).unwrap();
    assert!(csv_text(&vmks).contains("管理网络"));
}

#[test]
fn chinese_report_has_no_english_labels() {
    let (inv, mut ff) = fixture();
    // The findings' own text is the rule engine's (English in this fixture).
    for f in ff.findings.iter_mut().chain(ff.resolved.iter_mut()) {
        f.message = "消息".into();
        f.remediation = "修复".into();
    }
    let html = render::report_html(&inv, &ff, &opts(Lang::ZhCn)).unwrap();
    for (key, en) in render::labels::LABELS {
        let zh = render::labels::label(Lang::ZhCn, key);
        // Labels long enough not to occur by chance in data or identifiers.
        // `(standalone)` is also the cluster filter's machine value.
        if en.len() >= 12 && *en != zh && !matches!(*key, "kind_vcenter" | "standalone") {
            assert!(
                !html.contains(en),
                "English label {key} `{en}` in the Chinese report"
            );
        }
    }
    assert!(html.contains("升级前检查清单"));
    assert!(html.contains("已禁用 TLS 证书验证"));
}

#[test]
fn report_shows_what_the_issue_asks_for() {
    let (inv, ff) = fixture();
    let html = render::report_html(&inv, &ff, &opts(Lang::En)).unwrap();
    // Header: sources, the insecure badge on the insecure source only, the failed source.
    assert_eq!(html.matches("TLS verification disabled").count(), 1);
    assert!(html.contains("connection refused (os error 111)"));
    assert!(html.contains("pre-upgrade"));
    // Every unwaived finding is a table row; the waived one is listed with its reason.
    let rows = html.matches("<tr data-sev=").count();
    assert_eq!(
        rows,
        ff.findings.iter().filter(|f| f.waived.is_none()).count()
    );
    assert!(html.contains("Approved design exception CHG-2291"));
    // Chart, not-checked list, history, resolved.
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("id=\"not-checked\""));
    assert!(html.contains("FW001, FW002, FW003"));
    assert!(html.contains("Resolved since the previous run"));
    assert!(html.contains("Override gateway 10.99.0.1"));
    // Host details only for hosts with unwaived findings, collapsed.
    let details = html.matches("<details class=\"host").count();
    let hosts: std::collections::BTreeSet<_> = ff
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .filter_map(|f| f.subject.host_name())
        .filter(|host| inv.hosts.iter().any(|h| h.name == *host))
        .collect();
    assert_eq!(details, hosts.len());
    assert!(!html.contains("<details class=\"host sev-error\" id=\"host-0\" open"));
    // The vmk named in a finding is highlighted in its host's table.
    assert!(html.contains("<tr class=\"flag\"><td>vmk1</td>"));
    // The verdict counts hosts, not the failed source.
    assert!(
        html.contains("8 hosts affected of 8 checked"),
        "verdict line"
    );
    // No network: no external resource anywhere.
    for bad in ["src=\"http", "href=\"//", "@import", "url(http", "<link"] {
        assert!(!html.contains(bad), "external resource `{bad}`");
    }
}

#[test]
fn checklist_states_per_cluster() {
    let (inv, ff) = fixture();
    let c = render::checklist::build(&inv, &ff, Lang::En);
    let cell = |group: &str, rule: &str| {
        let g = c.groups.iter().find(|g| g.label == group).unwrap();
        let i = c.rules.iter().position(|r| r.id == rule).unwrap();
        g.cells[i].text.clone()
    };
    assert_eq!(cell("Prod-A", "MTU001"), "FAIL (1)");
    assert_eq!(cell("Prod-A", "ADDR001"), "FAIL (2)");
    assert_eq!(cell("Prod-A", "GW001"), "PASS");
    // The waived SEP003 finding does not fail the item.
    assert_eq!(cell("Prod-A", "SEP003"), "PASS (1 waived)");
    // A disconnected host leaves every rule of its cluster not checked (unless failed).
    assert_eq!(cell("Prod-B", "GW001"), "NOT CHECKED (1/3 hosts)");
    assert_eq!(cell("Prod-B", "FW001"), "FAIL (1)");
    // RVTools data has no firewall or stacks: those items are not checked for the standalone.
    assert_eq!(cell("(standalone)", "FW002"), "NOT CHECKED (1/1 hosts)");
    assert_eq!(cell("(standalone)", "MTU001"), "PASS");
    // The failed source is estate-wide.
    assert_eq!(cell("(whole estate)", "COV003"), "FAIL (1)");
    assert!(!c.rules.iter().any(|r| r.id == "COV002"));
}

#[test]
fn write_reports_writes_the_selected_formats() {
    let (inv, ff) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let written = render::write_reports(dir.path(), &inv, &ff, &opts(Lang::En)).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "report.html",
            "checklist.txt",
            "findings.csv",
            "vmks.csv",
            // The fixture was compared with a previous run's inventory.
            "changes.csv",
            "findings.json"
        ]
    );
    let back: FindingsFile =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("findings.json")).unwrap())
            .unwrap();
    assert_eq!(back, ff);

    let only_csv = RenderOptions {
        formats: vec![OutputFormat::Csv],
        ..opts(Lang::En)
    };
    let dir2 = tempfile::tempdir().unwrap();
    let written = render::write_reports(dir2.path(), &inv, &ff, &only_csv).unwrap();
    assert_eq!(written.len(), 3);
    // Without a comparison (`vmkaudit check`), no changes.csv.
    let first = FindingsFile {
        drift: None,
        ..ff.clone()
    };
    let dir3 = tempfile::tempdir().unwrap();
    let written = render::write_reports(dir3.path(), &inv, &first, &only_csv).unwrap();
    assert_eq!(written.len(), 2);
    assert!(!dir3.path().join("changes.csv").exists());
    assert!(!dir2.path().join("report.html").exists());
    // Nothing else (no temporary files) is left behind.
    assert_eq!(std::fs::read_dir(dir2.path()).unwrap().count(), 3);
}

fn hostile() -> (Inventory, FindingsFile) {
    let evil_host = "=HYPERLINK(\"http://x\")";
    let evil_pg = "<script>alert(1)</script>";
    let mut inv = Inventory::new();
    let mut h = Host::named(evil_host);
    h.cluster = Some("<img src=x onerror=alert(2)>".into());
    let mut v = Vmk::named("vmk0");
    v.portgroup = Some(evil_pg.into());
    v.switch = Some("+cmd|' /C calc'!A0".into());
    v.ipv4 = Some("@SUM(1+1)".into());
    v.services = Some(vec!["-2+3".into()]);
    h.vmks.push(v);
    inv.hosts.push(h);
    let f = Finding {
        rule: "SEP003".into(),
        category: Category::Separation,
        severity: Severity::Warning,
        subject: Subject::host(
            evil_host,
            Some("<img src=x onerror=alert(2)>"),
            Some("vmk0"),
        ),
        message: format!("port group {evil_pg} is shared"),
        remediation: "\u{9}=cmd".into(),
        references: vec![
            "javascript:alert(3)".into(),
            "\" onmouseover=\"alert(4)".into(),
        ],
        waived: None,
        status: None,
        not_checked: vec![],
        fix: None,
    };
    let findings = vec![f];
    let ff = FindingsFile {
        schema_version: findings::SCHEMA_VERSION,
        generated_at: "2026-01-01T00:00:00Z".into(),
        rule_set: Some("<b>x</b>".into()),
        checked_rules: vec!["SEP003".into()],
        language: Some("en".into()),
        sources: vec![],
        summary: findings::summarize(&findings, &inv.hosts, 1, vec![]),
        findings,
        previous_run: None,
        resolved: vec![],
        drift: None,
        trend: vec![],
    };
    (inv, ff)
}

#[test]
fn injection_is_inert_in_html() {
    let (inv, ff) = hostile();
    for lang in Lang::ALL {
        let o = opts(lang);
        for html in [
            render::report_html(&inv, &ff, &o).unwrap(),
            render::email_html(&inv, &ff, &o).unwrap(),
        ] {
            assert!(!html.contains("<script>alert"), "raw script tag");
            assert!(!html.contains("<img"), "raw img tag");
            assert!(!html.contains("<b>x</b>"));
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(!html.contains("href=\"javascript:"), "javascript: link");
            assert!(!html.contains("\" onmouseover"), "attribute breakout");
            // Only our own script block (the email has none).
            assert!(html.matches("<script").count() <= 1);
        }
    }
}

#[test]
fn injection_is_inert_in_csv() {
    let (inv, ff) = hostile();
    let fcsv = csv_text(&render::csv::findings_csv(&inv, &ff, Lang::En));
    let vcsv = csv_text(&render::csv::vmks_csv(&inv, Lang::En));
    for text in [&fcsv, &vcsv] {
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "live formula cell {cell:?}"
                );
            }
        }
    }
    assert!(fcsv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{fcsv}");
    assert!(vcsv.contains("'+cmd|"), "{vcsv}");
    assert!(vcsv.contains("'@SUM(1+1)"));
    assert!(vcsv.contains("'-2+3"));
    assert!(fcsv.contains(",'\t=cmd,"), "{fcsv}");
}

/// The characters no report file may hold raw: C0 controls other than tab and line feed, DEL,
/// C1 controls and the bidirectional embedding/override/isolate controls.
fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn control_characters_from_a_source_are_visible_escapes_in_every_report() {
    let host = "esx\u{0}01\u{1b}[31m\u{7f}\u{85}\u{9b}\r\u{202e}";
    let cluster = "Prod\u{1b}]0;pwned\u{7}";
    let pg = "Mgmt\u{0}\u{1b}[2J";
    let error = "refused\u{1b}[1m by peer\u{0}";
    let inv = serde_json::json!({
        "schema_version": 1,
        "sources": [
            {"name": "https://vc01.lab", "kind": "vcenter"},
            {"name": "https://vc\u{1b}02.lab", "kind": "vcenter", "error": error}
        ],
        "hosts": [{
            "name": host,
            "cluster": cluster,
            "source": "https://vc01.lab",
            "connection_state": "connected",
            "vmks": [
                {"device": "vmk0", "portgroup": pg, "ipv4": "10.0.0.1",
                 "netmask": "255.255.255.0", "mtu": 1500, "services": ["management", "vmotion"]},
                {"device": "vmk1", "portgroup": pg, "ipv4": "10.0.0.1",
                 "netmask": "255.255.255.0", "mtu": 9000, "services": ["vsan"]}
            ]
        }]
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inv.json"), inv.to_string()).unwrap();
    let out = common::vmkaudit(
        dir.path(),
        &[
            "check",
            "inv.json",
            "-o",
            "out",
            "--format",
            "html,csv,json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Findings (the source failure recorded in the file is one, COV003): exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let mut names: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "checklist.txt",
            "findings.csv",
            "findings.json",
            "report.html",
            "vmks.csv"
        ]
    );
    for name in &names {
        let bytes = std::fs::read(dir.path().join("out").join(name)).unwrap();
        let mut text = String::from_utf8(bytes).unwrap();
        if name.ends_with(".csv") {
            // The CSV line ends are CRLF by design.
            text = text.replace("\r\n", "\n");
        }
        let raw: Vec<char> = text.chars().filter(|&c| is_hidden(c)).collect();
        assert!(
            raw.is_empty(),
            "{name} holds raw control characters {raw:?}"
        );
    }
    let read = |name: &str| std::fs::read_to_string(dir.path().join("out").join(name)).unwrap();
    let visible_host = r"esx\u{0}01\u{1b}[31m\u{7f}\u{85}\u{9b}\u{d}\u{202e}";
    let html = read("report.html");
    assert!(html.contains(visible_host), "host name in report.html");
    assert!(
        html.contains(r"Mgmt\u{0}\u{1b}[2J"),
        "port group in report.html"
    );
    assert!(
        html.contains(r"refused\u{1b}[1m by peer\u{0}"),
        "source error in report.html"
    );
    assert!(
        read("vmks.csv").contains(visible_host),
        "host name in vmks.csv"
    );
    assert!(
        read("vmks.csv").contains(r"Mgmt\u{0}\u{1b}[2J"),
        "port group in vmks.csv"
    );
    assert!(
        read("findings.csv").contains(visible_host),
        "host name in findings.csv"
    );
    assert!(
        read("checklist.txt").contains(r"Prod\u{1b}]0;pwned\u{7}"),
        "cluster in checklist.txt"
    );
    // findings.json keeps the source's text exactly (as JSON escapes).
    let ff: serde_json::Value = serde_json::from_str(&read("findings.json")).unwrap();
    let hosts: Vec<&str> = ff["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["host"].as_str())
        .collect();
    assert!(hosts.contains(&host), "{hosts:?}");
    assert!(ff["sources"][1]["error"].as_str().unwrap().contains(error));
}

#[test]
fn templates_dir_overrides_and_report_html_fails_on_unknown_variable() {
    let (inv, ff) = fixture();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("style.css.hbs"),
        "body { color: rebeccapurple; }",
    )
    .unwrap();
    let o = RenderOptions {
        templates_dir: Some(dir.path().to_path_buf()),
        ..opts(Lang::En)
    };
    let html = render::report_html(&inv, &ff, &o).unwrap();
    assert!(html.contains("rebeccapurple"));
    assert!(!html.contains("--warn-bg"));

    // The style and script partials get the label table as their context; the report's data
    // is under @root (templates/README.md).
    std::fs::write(
        dir.path().join("script.js.hbs"),
        "/* {{hosts_checked}} | {{@root.title}} */",
    )
    .unwrap();
    let html = render::report_html(&inv, &ff, &o).unwrap();
    assert!(
        html.contains("/* Hosts checked | VMkernel adapter audit — Lab */"),
        "{}",
        html.lines().find(|l| l.contains("/*")).unwrap_or_default()
    );
    std::fs::remove_file(dir.path().join("script.js.hbs")).unwrap();

    std::fs::write(
        dir.path().join("report.html.hbs"),
        "<html>\n<p>{{summary.hosts_chekced}}</p>",
    )
    .unwrap();
    let err = render::report_html(&inv, &ff, &o).unwrap_err().to_string();
    assert!(err.contains("report.html.hbs:2:"), "{err}");
    assert!(err.contains("hosts_chekced"), "{err}");

    let missing = RenderOptions {
        templates_dir: Some(dir.path().join("nope")),
        ..opts(Lang::En)
    };
    assert!(render::report_html(&inv, &ff, &missing).is_err());
}

#[test]
fn no_template_file_prints_unescaped() {
    let dir = common::repo("templates");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        n += 1;
        for bad in ["{{{", "{{&", "{{~&", "{{~{"] {
            assert!(!text.contains(bad), "{} contains `{bad}`", p.display());
        }
        // Every label the template uses exists.
        for (i, _) in text.match_indices("t.") {
            let before = &text[..i];
            if before.ends_with("{{") || before.ends_with("@root.") || before.ends_with("{{#if ") {
                let key: String = text[i + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    render::labels::LABELS.iter().any(|l| l.0 == key),
                    "{}: unknown label t.{key}",
                    p.display()
                );
            }
        }
    }
    assert!(n >= 4);
}

#[test]
fn email_lists_the_most_severe_and_counts_the_rest() {
    let (inv, mut ff) = fixture();
    let template = ff.findings[0].clone();
    for i in 0..60 {
        let mut f = template.clone();
        f.severity = if i % 2 == 0 {
            Severity::Info
        } else {
            Severity::Error
        };
        f.subject = Subject::host(
            &format!("bulk{i:02}"),
            f.subject.cluster(),
            f.subject.object(),
        );
        ff.findings.push(f);
    }
    findings::sort_findings(&mut ff.findings);
    let o = opts(Lang::En);
    let html = render::email_html(&inv, &ff, &o).unwrap();
    let active = ff.findings.iter().filter(|f| f.waived.is_none()).count();
    assert!(html.contains(&format!("… {} more findings", active - render::EMAIL_TOP)));
    assert!(!html.contains("<script") && !html.contains("<style") && !html.contains("<link"));
    // The errors come first: no info row before the last error row.
    let last_err = html.rfind(">Error</span>").unwrap();
    let first_info = html.find(">Info</span>").unwrap_or(usize::MAX);
    assert!(first_info > last_err);
    let text = render::email_text(&inv, &ff, &o);
    assert!(text.contains("TLS verification disabled"));
    assert_eq!(
        text.lines().filter(|l| l.starts_with("- [")).count(),
        render::EMAIL_TOP
    );
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium: the page renders and the filter code works from file://.

/// Chromium (Debian's `chromium`, found on `PATH`), or `None` when the calling test is to be
/// skipped ([`common::require`]).
fn chromium_bin() -> Option<PathBuf> {
    common::tool("chromium", "chromium")
}

fn dump_dom(url: &str) -> String {
    dump_dom_with(url, &[])
}

/// [`dump_dom`] with more Chromium flags.
fn dump_dom_with(url: &str, flags: &[&str]) -> String {
    let mut args: Vec<&str> = flags.to_vec();
    args.extend(["--dump-dom", url]);
    let out = chromium(&args);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Headless Chromium with a fresh profile, no network chatter, and `args`.
fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let bin = chromium_bin().expect("the test checked for chromium first");
    Command::new(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()))
}

/// The severity of every findings row in the table of a dumped DOM (the rows the filter shows;
/// rows it hides are not in the document).
fn rows(dom: &str) -> Vec<String> {
    assert!(
        !dom.contains("<template id=\"more-rows\""),
        "deferred rows not taken in"
    );
    dom.split("<tr data-sev=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn render_to_tmp(inv: &Inventory, ff: &FindingsFile, lang: Lang) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    render::write_reports(dir.path(), inv, ff, &opts(lang)).unwrap();
    let p = dir.path().join("report.html");
    (dir, p)
}

#[test]
fn chromium_renders_table_and_filters_by_severity() {
    if chromium_bin().is_none() {
        return;
    }
    let (inv, ff) = fixture();
    let (_dir, page) = render_to_tmp(&inv, &ff, Lang::En);
    let total = ff.findings.iter().filter(|f| f.waived.is_none()).count();
    let errors = ff
        .findings
        .iter()
        .filter(|f| f.waived.is_none() && f.severity == Severity::Error)
        .count();

    // No filter: every row is there; the script ran (it sets data-matched).
    let dom = dump_dom(&file_url(&page));
    assert_eq!(rows(&dom).len(), total);
    assert!(
        dom.contains(&format!("data-matched=\"{total}\"")),
        "script did not run"
    );

    // Severity filter from the fragment: only the errors remain.
    let dom = dump_dom(&format!("{}#sev=error", file_url(&page)));
    let r = rows(&dom);
    assert_eq!(r.len(), errors);
    assert!(r.iter().all(|s| s == "error"), "{r:?}");
    assert!(dom.contains(&format!("<b id=\"shown\">{errors}</b>")));

    // Combined: warnings in cluster Prod-B matching a free-text term.
    let dom = dump_dom(&format!(
        "{}#sev=warning&cluster=Prod-B&q=ssh",
        file_url(&page)
    ));
    assert_eq!(
        rows(&dom).len(),
        2,
        "FW002 on esx-b02's sshServer and SVC001 on its TSM-SSH"
    );
    assert!(dom.contains("data-matched=\"2\""));

    // Sorting from the fragment (the code a click on a heading runs): by host, both ways.
    let pos = |dom: &str, host: &str| dom.find(&format!(">{host}</a>")).unwrap();
    let dom = dump_dom(&format!("{}#sort=host&dir=asc", file_url(&page)));
    assert!(pos(&dom, "esx-a01.lab.example") < pos(&dom, "esx-b03.lab.example"));
    assert!(dom.contains("aria-sort=\"ascending\""));
    let dom = dump_dom(&format!(
        "{}#sev=error,warning&sort=host&dir=desc",
        file_url(&page)
    ));
    assert!(pos(&dom, "esx-a01.lab.example") > pos(&dom, "esx-b03.lab.example"));
    assert_eq!(rows(&dom).len(), total - 3, "sorting keeps the filter");

    // A host link opens that host's details (and only those).
    let dom = dump_dom(&format!("{}#host-1", file_url(&page)));
    assert!(dom.contains("id=\"host-1\" open=\"\""), "details opened");
    let open_hosts = dom
        .split("<details class=\"host")
        .skip(1)
        .filter(|t| t[..t.find('>').unwrap()].contains(" open"))
        .count();
    assert_eq!(open_hosts, 1);

    // A filter that matches nothing shows the "no match" line.
    let dom = dump_dom(&format!("{}#q=no-such-host-anywhere", file_url(&page)));
    assert!(rows(&dom).is_empty());
    assert!(dom.contains("<p class=\"empty\" id=\"no-match\">"));
}

#[test]
fn chromium_runs_the_chinese_page() {
    if chromium_bin().is_none() {
        return;
    }
    let (inv, ff) = fixture();
    let (_dir, page) = render_to_tmp(&inv, &ff, Lang::ZhCn);
    let dom = dump_dom(&format!("{}?sev=warning,info", file_url(&page)));
    assert!(dom.contains("<html lang=\"zh-CN\">"));
    let r = rows(&dom);
    let expect = ff
        .findings
        .iter()
        .filter(|f| f.waived.is_none() && f.severity != Severity::Error)
        .count();
    assert_eq!(r.len(), expect);
    assert!(r.iter().all(|s| s != "error"));
}

// ---------------------------------------------------------------------------------------------
// A synthetic 40,000-host estate: the page stays small enough to open and filter.

/// `hosts` hosts in clusters of 100, four vmks each; one host in `faulty_every` has two findings
/// (an error and a warning) and every host of one cluster in forty (an RVTools import) has an
/// info "not checked" finding.
pub fn synthetic_estate(hosts: usize, faulty_every: usize) -> (Inventory, FindingsFile) {
    let (template_inv, template_ff) = fixture();
    let proto = template_inv.hosts[0].clone();
    let err = template_ff
        .findings
        .iter()
        .find(|f| f.rule == "MTU001")
        .unwrap()
        .clone();
    let warn = template_ff
        .findings
        .iter()
        .find(|f| f.rule == "SEP001")
        .unwrap()
        .clone();
    let cov = template_ff
        .findings
        .iter()
        .find(|f| f.rule == "COV002")
        .unwrap()
        .clone();
    let mut inv = Inventory::new();
    inv.sources = template_inv.sources.clone();
    let mut fs = Vec::new();
    for i in 0..hosts {
        let mut h = proto.clone();
        h.name = format!("esx{i:05}.dc{}.example.com", i / 10_000);
        h.cluster = Some(format!("cluster-{:03}", i / 100));
        for (k, v) in h.vmks.iter_mut().enumerate() {
            v.ipv4 = Some(format!("10.{}.{}.{}", k, i / 250, i % 250 + 1));
        }
        let mut v3 = h.vmks[2].clone();
        v3.device = "vmk3".into();
        v3.services = Some(vec!["vSphereReplication".into()]);
        h.vmks.push(v3);
        if i % faulty_every == 3 % faulty_every {
            for proto_f in [&err, &warn] {
                let mut f = proto_f.clone();
                f.subject = Subject::host(&h.name, h.cluster.as_deref(), f.subject.object());
                fs.push(f);
            }
        }
        if (i / 100) % 40 == 7 {
            let mut f = cov.clone();
            f.subject = Subject::host(&h.name, h.cluster.as_deref(), f.subject.object());
            fs.push(f);
        }
        inv.hosts.push(h);
    }
    findings::sort_findings(&mut fs);
    let ff = FindingsFile {
        summary: findings::summarize(&fs, &inv.hosts, inv.vmk_count(), vec![]),
        findings: fs,
        ..template_ff
    };
    (inv, ff)
}

#[test]
fn forty_thousand_hosts_render_to_a_page_that_opens_and_filters() {
    let (inv, ff) = synthetic_estate(40_000, 10);
    let start = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    render::write_reports(dir.path(), &inv, &ff, &opts(Lang::En)).unwrap();
    let took = start.elapsed();
    let size = std::fs::metadata(dir.path().join("report.html"))
        .unwrap()
        .len();
    eprintln!(
        "40,000 hosts, {} findings: report.html {} bytes ({:.1} MiB), rendered in {:.1?}",
        ff.findings.len(),
        size,
        size as f64 / 1048576.0,
        took
    );
    assert!(size < 40 * 1024 * 1024, "report.html is {size} bytes");
    // Chromium loads it and the filter runs over every row.
    if chromium_bin().is_none() {
        return;
    }
    let dom = dump_dom(&format!(
        "{}#sev=error",
        file_url(&dir.path().join("report.html"))
    ));
    let r = rows(&dom);
    assert!(dom.contains("data-matched=\"4000\""));
    // At most the display limit is shown at once.
    assert_eq!(r.len(), 1000);
    assert!(r.iter().all(|s| s == "error"));
}

/// Not a check: writes the fixture reports (both languages) and a 40,000-host report into
/// `$VMKAUDIT_REVIEW_DIR` for looking at them in a browser.
/// `VMKAUDIT_REVIEW_DIR=/tmp/review cargo test --test it report::write_review_reports -- --ignored`
#[test]
#[ignore]
fn write_review_reports() {
    let out = PathBuf::from(std::env::var("VMKAUDIT_REVIEW_DIR").expect("VMKAUDIT_REVIEW_DIR"));
    let (inv, ff) = fixture();
    for lang in Lang::ALL {
        render::write_reports(&out.join(lang.code()), &inv, &ff, &opts(lang)).unwrap();
        std::fs::write(
            out.join(lang.code()).join("email.html"),
            render::email_html(&inv, &ff, &opts(lang)).unwrap(),
        )
        .unwrap();
    }
    let (inv, ff) = synthetic_estate(40_000, 10);
    render::write_reports(&out.join("40k"), &inv, &ff, &opts(Lang::En)).unwrap();
    // The worst case: a systemic fault on every host.
    let (inv, ff) = synthetic_estate(40_000, 1);
    render::write_reports(&out.join("40k-all"), &inv, &ff, &opts(Lang::En)).unwrap();
}

#[test]
fn written_findings_json_validates_against_the_schema() {
    // The fixture carries what the engine alone does not: run history (status, resolved,
    // previous_run) and a waiver.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo("schemas/findings.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let (inv, ff) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let o = RenderOptions {
        formats: vec![OutputFormat::Json],
        ..opts(Lang::En)
    };
    render::write_reports(dir.path(), &inv, &ff, &o).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("findings.json")).unwrap())
            .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn clean_and_empty_runs_render_in_both_languages() {
    let (inv, mut ff) = fixture();
    ff.findings.clear();
    ff.resolved.clear();
    ff.previous_run = None;
    ff.summary = findings::summarize(&[], &inv.hosts, inv.vmk_count(), vec![]);
    let empty_inv = Inventory::new();
    let mut empty_ff = ff.clone();
    empty_ff.sources.clear();
    empty_ff.checked_rules.clear();
    empty_ff.summary = findings::summarize(&[], &[], 0, vec![]);
    for lang in Lang::ALL {
        let o = opts(lang);
        for (inv, ff) in [(&inv, &ff), (&empty_inv, &empty_ff)] {
            let html = render::report_html(inv, ff, &o).unwrap();
            assert!(html.contains("verdict-ok"));
            assert!(html.contains(render::labels::label(lang, "no_findings")));
            assert!(!html.contains("id=\"findings-table\""));
            assert!(!html.contains("<details class=\"host"));
            let email = render::email_html(inv, ff, &o).unwrap();
            assert!(email.contains(render::labels::label(lang, "verdict_ok")));
            assert!(!render::email_text(inv, ff, &o).contains("- ["));
            render::checklist_text(inv, ff, &o);
        }
        // Clean: every checklist item passes.
        let c = render::checklist::build(&inv, &ff, lang);
        assert!(c
            .groups
            .iter()
            .all(|g| g.cells.iter().all(|x| x.state == "pass")));
    }
}

#[test]
fn long_waived_and_resolved_lists_are_cut_with_a_pointer() {
    let (inv, mut ff) = fixture();
    let waived = ff
        .findings
        .iter()
        .find(|f| f.waived.is_some())
        .unwrap()
        .clone();
    let resolved = ff.resolved[0].clone();
    for i in 0..1200 {
        let mut w = waived.clone();
        w.subject = Subject::host(&format!("w{i:04}"), w.subject.cluster(), w.subject.object());
        ff.findings.push(w);
        let mut r = resolved.clone();
        r.subject = Subject::host(&format!("r{i:04}"), r.subject.cluster(), r.subject.object());
        ff.resolved.push(r);
    }
    findings::sort_findings(&mut ff.findings);
    let html = render::report_html(&inv, &ff, &opts(Lang::En)).unwrap();
    assert!(html.contains("… 201 more are listed in findings.csv."));
    assert!(html.contains("… 201 more are listed in findings.json."));
    assert_eq!(
        html.matches("Approved design exception CHG-2291").count(),
        1000
    );
}

/// Findings that name no inventory host (a source that could not be collected, an expired
/// waiver) belong to the estate, not to the standalone hosts; a waiver that names a host
/// exactly belongs to that host's cluster. No group has more hosts with findings than hosts.
#[test]
fn findings_about_sources_and_waivers_are_placed_like_the_checklist() {
    let inv = vmkaudit::inventory::load(&common::repo("samples/lab-inventory.json"), None).unwrap();
    let rules = vmkaudit::evaluate::RuleSet::load(&common::repo("samples/lab-rules.toml")).unwrap();
    for lang in Lang::ALL {
        let ff = vmkaudit::evaluate::evaluate(&inv, &rules, lang, chrono::Local::now());
        let source = ff.sources.iter().find(|s| s.error.is_some()).unwrap();
        let waiver = ff.findings.iter().find(|f| f.rule == "COV004").unwrap();
        let Subject::Waiver { host_glob, .. } = &waiver.subject else {
            panic!("COV004 is about a waiver: {:?}", waiver.subject);
        };
        assert!(
            waiver.subject.cluster().is_none(),
            "the engine leaves the waiver's cluster out"
        );
        let waived_host = inv.hosts.iter().find(|h| &h.name == host_glob).unwrap();
        let view = render::view::build(&inv, &ff, lang, None);
        let estate = render::labels::label(lang, "estate");
        let standalone = render::labels::label(lang, "standalone");
        for c in &view.clusters {
            assert!(
                c.hosts_with_findings <= c.hosts,
                "{}: {} hosts with findings of {}",
                c.label,
                c.hosts_with_findings,
                c.hosts
            );
        }
        let estate_row = view.clusters.iter().find(|c| c.label == estate).unwrap();
        assert_eq!((estate_row.hosts, estate_row.hosts_with_findings), (0, 0));
        assert!(estate_row.estate);
        // The page shows no host counts for it (not "0 hosts, 0 with findings").
        let html = render::report_html(&inv, &ff, &opts(lang)).unwrap();
        let row = format!(
            "<tr><td>{estate}</td><td class=\"num muted\">—</td><td class=\"num muted\">—</td>"
        );
        assert!(html.contains(&row), "no estate row {row}");
        let row = |rule: &str| view.findings.iter().find(|r| r.rule == rule).unwrap();
        assert_eq!(row("COV003").host, source.name);
        assert_eq!(row("COV003").cluster, estate);
        assert_eq!(row("COV003").cluster_key, "(estate)");
        assert_eq!(
            Some(row("COV004").cluster.as_str()),
            waived_host.cluster.as_deref()
        );
        assert!(view
            .filter_clusters
            .iter()
            .any(|o| o.value == "(estate)" && o.label == estate));
        // The email and findings.csv say the same.
        let o = opts(lang);
        let email = render::email_html(&inv, &ff, &o).unwrap();
        let cov003 = &email[email.find(source.name.as_str()).unwrap()..];
        let cov003 = &cov003[..cov003.find("</tr>").unwrap()];
        assert!(!cov003.contains(standalone), "{cov003}");
        let fcsv = csv_text(&render::csv::findings_csv(&inv, &ff, lang));
        let line = fcsv.lines().find(|l| l.contains(",COV003,")).unwrap();
        assert!(line.contains(&format!(",{estate},")), "{line}");
    }
}

/// The filter controls themselves, as a user works them: a page beside the report loads it in a
/// frame, unticks the Warning and Info boxes, picks a cluster and types a search term, and
/// writes what the table then shows into its own DOM.
#[test]
fn chromium_filter_controls_work_when_clicked_and_typed() {
    if chromium_bin().is_none() {
        return;
    }
    let (inv, ff) = fixture();
    let (dir, _page) = render_to_tmp(&inv, &ff, Lang::En);
    let active: Vec<&Finding> = ff.findings.iter().filter(|f| f.waived.is_none()).collect();
    let errors = active
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let errors_prod_a = active
        .iter()
        .filter(|f| f.severity == Severity::Error && f.subject.cluster() == Some("Prod-A"))
        .count();
    assert!(errors > errors_prod_a && errors_prod_a > 0);
    let driver = r#"<!DOCTYPE html><html><body><pre id="out">not run</pre>
<iframe id="f" src="report.html" width="1200" height="800"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
  var out = document.getElementById('out'), d = this.contentDocument, w = this.contentWindow;
  var sevs = function () {
    return Array.prototype.map.call(d.querySelectorAll('#findings-table tbody tr[data-sev]'),
      function (r) { return r.getAttribute('data-sev') + '/' + r.getAttribute('data-cluster'); });
  };
  var steps = {all: sevs()};
  ['warning', 'info'].forEach(function (v) {
    d.querySelector('#filters input[name=sev][value=' + v + ']').click();
  });
  steps.errors = sevs(); steps.hash1 = w.location.hash;
  var sel = d.querySelector('#filters select[name=cluster]');
  sel.value = 'Prod-A'; sel.dispatchEvent(new Event('change', {bubbles: true}));
  steps.proda = sevs();
  var q = d.querySelector('#filters input[name=q]');
  q.value = 'no-such-thing'; q.dispatchEvent(new Event('input', {bubbles: true}));
  steps.none = sevs(); steps.nomatch = !d.getElementById('no-match').hidden;
  d.querySelector('#filters button').click();
  steps.reset = sevs();
  out.textContent = JSON.stringify(steps);
});
</script></body></html>"#;
    std::fs::write(dir.path().join("drive.html"), driver).unwrap();
    let dom = dump_dom_with(
        &file_url(&dir.path().join("drive.html")),
        &["--allow-file-access-from-files"],
    );
    let start = dom.find("<pre id=\"out\">").unwrap() + "<pre id=\"out\">".len();
    let json = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let json = json.replace("&quot;", "\"").replace("&amp;", "&");
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap_or_else(|| panic!("{k}: {v}"))
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list("all").len(), active.len());
    let e = list("errors");
    assert_eq!(e.len(), errors, "{e:?}");
    assert!(e.iter().all(|s| s.starts_with("error/")), "{e:?}");
    assert_eq!(v["hash1"], "#sev=error");
    let p = list("proda");
    assert_eq!(p.len(), errors_prod_a, "{p:?}");
    assert!(p.iter().all(|s| s == "error/Prod-A"), "{p:?}");
    assert!(list("none").is_empty());
    assert_eq!(v["nomatch"], true);
    assert_eq!(list("reset").len(), active.len());
}

/// The English report of `ff` printed to PDF by Chromium, as text (pdftotext with `args`).
fn printed_text(inv: &Inventory, ff: &FindingsFile, pdftotext: &Path, args: &[&str]) -> String {
    let (dir, page) = render_to_tmp(inv, ff, Lang::En);
    let pdf = dir.path().join("report.pdf");
    let out = chromium(&[
        "--no-pdf-header-footer",
        &format!("--print-to-pdf={}", pdf.display()),
        &file_url(&page),
    ]);
    assert!(pdf.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = Command::new(pdftotext)
        .args(args)
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    String::from_utf8(text.stdout).unwrap()
}

/// Print / Save as PDF: the findings table's column headings repeat on every page it spans
/// (Chromium paints no button in a repeated header, so the sort buttons print as text).
#[test]
fn chromium_print_repeats_every_column_heading() {
    // Both asked, so that a skip names every missing tool.
    let (Some(_), Some(pdftotext)) = (chromium_bin(), common::tool("pdftotext", "poppler-utils"))
    else {
        return;
    };
    let (inv, ff) = lab(Lang::En);
    let text = printed_text(&inv, &ff, &pdftotext, &["-layout"]);
    let pages: Vec<&str> = text.split('\u{c}').collect();
    let t = |k: &'static str| render::labels::label(Lang::En, k);
    let table_pages: Vec<&&str> = pages
        .iter()
        .filter(|p| p.contains(t("remediation")))
        .collect();
    assert!(
        table_pages.len() >= 2,
        "the lab's findings span pages: {}",
        table_pages.len()
    );
    for p in table_pages {
        for heading in ["severity", "rule", "object", "message", "references"] {
            assert!(
                p.contains(t(heading)),
                "no `{}` heading on:\n{p}",
                t(heading)
            );
        }
    }
}

/// Print / Save as PDF keeps the trend chart (its axis labels and last values are text) and the
/// table of configuration changes.
#[test]
fn chromium_prints_the_trend_chart_and_the_changes() {
    let (Some(_), Some(pdftotext)) = (chromium_bin(), common::tool("pdftotext", "poppler-utils"))
    else {
        return;
    };
    let (inv, ff) = fixture();
    let text = printed_text(&inv, &ff, &pdftotext, &[]);
    let t = |k: &'static str| render::labels::label(Lang::En, k);
    let trend = &text[text.find(t("trend_title")).expect("trend heading printed")..];
    for tick in ["11-06 09:20", "11-13 09:20", "11-20 09:20"] {
        assert!(
            trend.contains(tick),
            "axis label {tick} not printed:\n{trend}"
        );
    }
    for legend in ["Error", "Warning", "Info", "3 runs"] {
        assert!(trend.contains(legend), "legend {legend} not printed");
    }
    let changes = &trend[trend.find(t("drift_title")).expect("changes printed")..];
    for cell in [
        "10.10.0.22",
        "all addresses",
        "not responding",
        "esx-old01.lab.example",
    ] {
        assert!(changes.contains(cell), "{cell} not printed:\n{changes}");
    }
}

#[test]
fn an_rvtools_estates_report_stays_near_the_size_of_the_same_estate_as_json() {
    // The same 2,000 hosts as an inventory file and as an RVTools export: what RVTools lacks is
    // said once per kind of data, so the page does not grow with one line per host and rule.
    let dir = tempfile::tempdir().unwrap();
    let json = crate::rules::gen_estate(dir.path(), &["2000"], "estate.json");
    let rv = crate::rules::gen_estate(dir.path(), &["--rvtools", "2000"], "estate.csv");
    let o = RenderOptions {
        formats: vec![OutputFormat::Html],
        ..opts(Lang::En)
    };
    let size = |input: &Path, out: &str| {
        let inv = vmkaudit::inventory::load(input, None).unwrap();
        let ff = vmkaudit::evaluate::evaluate(
            &inv,
            &vmkaudit::evaluate::RuleSet::builtin_default(),
            Lang::En,
            chrono::Local::now(),
        );
        render::write_reports(&dir.path().join(out), &inv, &ff, &o).unwrap();
        let bytes = std::fs::metadata(dir.path().join(out).join("report.html"))
            .unwrap()
            .len();
        (bytes, ff.findings.len())
    };
    let (json_size, json_findings) = size(&json, "json");
    let (rv_size, rv_findings) = size(&rv, "rv");
    eprintln!(
        "report.html: inventory file {json_size} bytes ({json_findings} findings), RVTools \
         {rv_size} bytes ({rv_findings} findings)"
    );
    assert!(
        rv_size <= 2 * json_size,
        "RVTools report {rv_size} bytes, JSON report {json_size} bytes"
    );
}
