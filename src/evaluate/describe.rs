//! `vmkaudit rules [ID]`: the rule catalog as a table, one rule's documentation, the Markdown
//! rule reference (`docs/rules.md`) or JSON, all generated from the rule declarations.

use std::fmt::Write as _;

use serde_json::json;

use crate::error::{did_you_mean, Error, Result};
use crate::evaluate::{RuleConfig, RuleSet};
use crate::i18n::Lang;
use crate::msg;
use crate::rules::{Check, DocField, Rule, REGISTRY};

/// What `vmkaudit rules` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Text,
    Markdown,
    Json,
}

/// Width the documentation of one rule wraps at.
const WIDTH: usize = 100;

/// The terminal's width when stdout is a terminal; `None` (no wrapping, one line per rule) when
/// the output goes to a pipe or file.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

/// Text for `vmkaudit rules [ID]`, as configured by `set`.
pub fn describe(id: Option<&str>, set: &RuleSet, format: RulesFormat) -> Result<String> {
    let one = match id {
        None => None,
        Some(id) => Some(crate::rules::find(id).ok_or_else(|| {
            if let Some(r) = crate::rules::retired::rule(id) {
                return Error::Usage(crate::rules::retired::rule_message(id, r));
            }
            let hint = did_you_mean(id, crate::rules::all_keys());
            Error::Usage(format!(
                "unknown rule `{id}` (run `vmkaudit rules` for the list){hint}"
            ))
        })?),
    };
    let cfg = |r: &Rule| set.config(r.id).cloned();
    Ok(match (format, one) {
        (RulesFormat::Text, None) => table(set, terminal_width()),
        (RulesFormat::Text, Some(r)) => text_one(r, cfg(r).as_ref(), set),
        (RulesFormat::Markdown, None) => markdown_all(set),
        (RulesFormat::Markdown, Some(r)) => markdown_one(r, cfg(r).as_ref(), set),
        (RulesFormat::Json, None) => {
            let v: Vec<_> = REGISTRY
                .iter()
                .map(|r| json_one(r, cfg(r).as_ref()))
                .collect();
            pretty(&json!({ "rule_set": set.name, "rules": v }))
        }
        (RulesFormat::Json, Some(r)) => pretty(&json_one(r, cfg(r).as_ref())),
    })
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON value serializes");
    s.push('\n');
    s
}

fn enabled_label(c: Option<&RuleConfig>) -> &'static str {
    match c {
        Some(c) if c.enabled && !c.scope.is_everywhere() => "scoped",
        Some(c) if c.enabled => "yes",
        _ => "no",
    }
}

fn severity_label(r: &Rule, c: Option<&RuleConfig>) -> String {
    match c {
        Some(c) if c.severity != r.severity => format!("{}*", c.severity),
        _ => r.severity.to_string(),
    }
}

/// Greedy word wrap of `text` to `width` columns (counted in chars).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Wrap Chinese text: breaks between CJK characters and at spaces, never inside an ASCII word
/// (commands, IDs); CJK characters count as two columns.
fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for ch in text.chars() {
        let ascii_word = ch.is_ascii() && !ch.is_ascii_whitespace();
        match tokens.last_mut() {
            Some(t)
                if ascii_word
                    && t.chars()
                        .last()
                        .is_some_and(|c| c.is_ascii() && !c.is_ascii_whitespace()) =>
            {
                t.push(ch)
            }
            _ => tokens.push(ch.to_string()),
        }
    }
    let cols = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for t in tokens {
        if !line.is_empty() && cols(&line) + cols(&t) > width {
            lines.push(std::mem::take(&mut line).trim_end().to_string());
        }
        if line.is_empty() && t.trim().is_empty() {
            continue;
        }
        line.push_str(&t);
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// The rule table; summaries wrap to fit `width` columns (`None`: one line per rule).
fn table(set: &RuleSet, width: Option<usize>) -> String {
    let mut out = String::new();
    let enabled = set.enabled().count();
    let _ = writeln!(
        out,
        "Rule set: {} ({}), {enabled} of {} rules enabled",
        set.name,
        set.origin,
        REGISTRY.len()
    );
    if let Some(d) = &set.description {
        for l in wrap(d, width.unwrap_or(usize::MAX)) {
            let _ = writeln!(out, "{l}");
        }
    }
    out.push('\n');
    let name_w = REGISTRY.iter().map(|r| r.name.len()).max().unwrap_or(4);
    let head = format!(
        "{:<7}  {:<name_w$}  {:<10}  {:<8}  {:<7}  ",
        "ID", "NAME", "CATEGORY", "SEVERITY", "ENABLED"
    );
    let indent = head.chars().count();
    let sum_w = width.map_or(usize::MAX, |w| w.saturating_sub(indent + 1).max(30));
    let _ = writeln!(out, "{head}SUMMARY");
    let mut changed = false;
    let mut scoped = false;
    for r in REGISTRY {
        let c = set.config(r.id);
        let sev = severity_label(r, c);
        changed |= sev.ends_with('*');
        let en = enabled_label(c);
        scoped |= en == "scoped";
        let lines = wrap(r.summary, sum_w);
        let _ = writeln!(
            out,
            "{:<7}  {:<name_w$}  {:<10}  {:<8}  {:<7}  {}",
            r.id,
            r.name,
            r.category.as_str(),
            sev,
            en,
            lines.first().map(String::as_str).unwrap_or("")
        );
        for l in lines.iter().skip(1) {
            let _ = writeln!(out, "{:indent$}{l}", "");
        }
    }
    out.push('\n');
    if changed {
        out.push_str("* severity set by this rule set (default severity in `vmkaudit rules ID`)\n");
    }
    if scoped {
        out.push_str("scoped: enabled for some clusters or hosts only (see `vmkaudit rules ID`)\n");
    }
    out.push_str("Explain a rule:     vmkaudit rules GW001   (ID or name)\n");
    out.push_str("Another rule set:   vmkaudit rules --rules stig|pre-upgrade|FILE\n");
    out
}

/// The languages the documentation is translated into (every one but English).
fn translations() -> impl Iterator<Item = Lang> {
    Lang::ALL.into_iter().filter(|l| !l.is_source())
}

/// `GW001 multiple-default-gateways: summary` in `lang`.
fn title(r: &Rule, lang: Lang) -> String {
    msg!(
        "describe.title",
        "{id} {name}: {summary}",
        id = r.id,
        name = r.name,
        summary = r.doc(DocField::Summary, lang)
    )
    .render(lang)
}

/// The headings of the documentation sections in `lang`, with the part each heads.
fn sections(lang: Lang) -> [(String, DocField); 3] {
    [
        (
            msg!("describe.checks", "What it checks").render(lang),
            DocField::Checks,
        ),
        (
            msg!("describe.why", "Why it matters").render(lang),
            DocField::Why,
        ),
        (
            msg!("describe.remediation", "Remediation").render(lang),
            DocField::Remediation,
        ),
    ]
}

/// Whether `text` is written in CJK characters (wrapped between characters, not at spaces).
fn is_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn section(out: &mut String, title: &str, body: &str) {
    let _ = writeln!(out, "{title}");
    let width = terminal_width().map_or(WIDTH, |w| w.min(WIDTH));
    let lines = if is_cjk(body) {
        wrap_chars(body, width - 2)
    } else {
        wrap(body, width - 2)
    };
    for l in lines {
        let _ = writeln!(out, "  {l}");
    }
    out.push('\n');
}

fn in_set(c: Option<&RuleConfig>) -> String {
    match c {
        Some(c) if c.enabled => {
            let scope = if c.scope.is_everywhere() {
                String::new()
            } else {
                format!(", only {}", c.scope.describe())
            };
            format!("enabled at severity {}{scope}", c.severity)
        }
        _ => "disabled".to_string(),
    }
}

fn kind(r: &Rule) -> &'static str {
    match r.check {
        Check::Host(_) => "per host",
        Check::Estate(_) => "across hosts (after grouping)",
        Check::Source(_) => "per source",
        Check::Disconnected(_) => "per host not connected",
        Check::Engine => "raised by the engine",
    }
}

fn text_one(r: &Rule, c: Option<&RuleConfig>, set: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(r, Lang::En));
    let _ = writeln!(
        out,
        "Category: {}   Default severity: {}   Runs: {}",
        r.category,
        r.severity,
        kind(r)
    );
    let _ = writeln!(out, "In rule set `{}`: {}", set.name, in_set(c));
    if !r.needs.is_empty() {
        let needs: Vec<&str> = r.needs.iter().map(|d| d.as_str()).collect();
        let _ = writeln!(out, "Needs data: {}", needs.join(", "));
    }
    if !r.params.is_empty() {
        let _ = writeln!(out, "Rule-set parameters ([params]):");
        for p in r.params {
            let default = p.to_toml(&p.default_value());
            let _ = writeln!(out, "  {} = {default}   ({}; default)", p.name(), p.ty());
            if let Some(v) = set
                .params
                .to_toml()
                .into_iter()
                .find(|(n, _)| *n == p.name())
            {
                if v.1 != default {
                    let _ = writeln!(
                        out,
                        "  {} = {}   (in rule set `{}`)",
                        p.name(),
                        v.1,
                        set.name
                    );
                }
            }
            for l in wrap(p.doc(), WIDTH - 4) {
                let _ = writeln!(out, "    {l}");
            }
        }
    }
    out.push('\n');
    for (heading, field) in sections(Lang::En) {
        section(&mut out, &heading, r.english(field));
    }
    if let Some(fix) = r.fix {
        let _ = writeln!(
            out,
            "Fix script commands (remediation.sh / remediation.ps1)"
        );
        for c in fix.esxcli {
            let _ = writeln!(out, "  esxcli:   {c}");
        }
        for c in fix.powercli {
            let _ = writeln!(out, "  PowerCLI: {c}");
        }
        out.push('\n');
    }
    if !r.references.is_empty() {
        let _ = writeln!(out, "References");
        for x in r.references {
            let _ = writeln!(out, "  - {x}");
        }
        out.push('\n');
    }
    for lang in translations() {
        let _ = writeln!(out, "—— {} ——", lang.language().name);
        let _ = writeln!(out, "{}", title(r, lang));
        out.push('\n');
        for (heading, field) in sections(lang) {
            section(&mut out, &heading, r.doc(field, lang));
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn markdown_all(set: &RuleSet) -> String {
    let mut out = String::new();
    out.push_str("# vmkaudit rule reference\n\n");
    out.push_str(
        "<!-- Generated from the rule declarations in src/rules/. Do not edit by hand:\n     \
         regenerate with `cargo run -- rules --format markdown > docs/rules.md`\n     \
         or `UPDATE_RULE_DOCS=1 cargo test --test it rules::docs`. -->\n\n",
    );
    let _ = writeln!(
        out,
        "{} rules. Severities and the *Enabled* column are those of the built-in `{}` rule set; \
         `rules/stig.toml` and `rules/pre-upgrade.toml` change them. Every finding names its rule \
         ID; `vmkaudit rules ID` prints the same text in a terminal.\n",
        REGISTRY.len(),
        set.name
    );
    out.push_str("| ID | Name | Category | Severity | Enabled | Summary |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for r in REGISTRY {
        let c = set.config(r.id);
        let _ = writeln!(
            out,
            "| [{id}](#{anchor}) | `{}` | {} | {} | {} | {} |",
            r.name,
            r.category,
            severity_label(r, c),
            enabled_label(c),
            md_escape(r.summary),
            id = r.id,
            anchor = r.id.to_ascii_lowercase(),
        );
    }
    out.push('\n');
    for r in crate::rules::retired::RULES {
        let _ = writeln!(
            out,
            "Retired: {} (`{}`): {}. A rule set that names it is refused with this message.\n",
            r.id,
            r.name,
            md_escape(r.replaced_by)
        );
    }
    for (p, why) in crate::rules::retired::PARAMS {
        let _ = writeln!(out, "Retired parameter `{p}`: {}.\n", md_escape(why));
    }
    for r in REGISTRY {
        out.push_str(&markdown_one(r, set.config(r.id), set));
    }
    out.push_str(&rule_sets_doc());
    out
}

/// The rule-set reference: the file format with every declared parameter at its default, and
/// the parameter table.
fn rule_sets_doc() -> String {
    let (head, tail) = RULE_SETS_DOC
        .split_once(PARAMS_HERE)
        .expect("RULE_SETS_DOC has the params placeholder");
    let params = crate::rules::param::declared();
    let mut out = head.to_string();
    for p in &params {
        let _ = writeln!(
            out,
            "# {}\n{} = {}",
            crate::rules::param::used_by(p.name()).join(", "),
            p.name(),
            p.to_toml(&p.default_value())
        );
    }
    out.push('\n');
    out.push_str(tail);
    out.push_str(
        "\n### Parameters\n\nEvery `[params]` key, declared by the rule that reads it \
         (`vmkaudit rules ID` shows a rule's parameters and their value in a rule set).\n\n\
         | Key | Type | Default | Rules | Description |\n|---|---|---|---|---|\n",
    );
    for p in &params {
        let _ = writeln!(
            out,
            "| `{}` | {} | `{}` | {} | {} |",
            p.name(),
            md_escape(p.ty()),
            md_escape(&p.to_toml(&p.default_value())),
            crate::rules::param::used_by(p.name()).join(", "),
            md_escape(p.doc())
        );
    }
    out
}

/// Where [`rule_sets_doc`] writes the `[params]` lines.
const PARAMS_HERE: &str = "{params}\n";

/// The rule-set file format, appended to the generated reference.
const RULE_SETS_DOC: &str = r#"## Rule sets

A rule set is a TOML file (`--rules FILE`, or `[rules] file = ...` in the run configuration).
Three are built in and can be named instead of a file: `default` (periodic health checks, used
when none is given), `stig` (strict: the DISA STIG network controls as errors, SSH and SLP must
stay disabled, allowed networks no wider than /24) and `pre-upgrade` (only what must hold before
an ESXi upgrade: management reachable, vMotion possible on every host, consistent MTUs, valid and
unique addresses). `samples/lab-rules.toml` is an example of a site rule set for the sample lab.

```toml
extends = "default"          # a built-in set, or a .toml file relative to this one
name = "site"
description = "Our estate"
all_rules = true             # rules not mentioned stay enabled (false: only those enabled here)
enable = ["GW001"]           # by ID or name
disable = ["multihoming"]

[rules.MTU002]               # by ID or name
enabled = true
severity = "error"           # error, warning or info
clusters = ["prod-*"]        # globs, case-insensitive; a standalone host matches no cluster glob
hosts = ["esx*.example.com"]
exclude_clusters = ["lab-*"]
exclude_hosts = ["esx-test*"]

[params]                     # each key replaces the base's; the defaults:
{params}
[[waiver]]
rule = "SVC001"              # ID or name
host = "esx-07.example.com"  # glob; default: every host
object = "TSM-SSH"           # glob; default: every object
reason = "Vendor case 1234, approved by J. Doe"
expires = "2026-12-31"       # last day it applies; optional
```

- A file that `extends` another overrides it key by key: each `[params]` key replaces the base's
  value, `[rules.X]` settings replace the base's for that rule, waivers are added. Setting
  `all_rules` resets the base's `enable`/`disable` lists.
- Waived findings stay in `findings.json` with `waived = {reason, expires}` and are not counted
  in the summary or for `--fail-on`. From the day after `expires` the waiver no longer applies:
  the findings count again and COV004 names the expired waiver.
- Unknown keys, rule IDs or names, services, severities, networks and dates are errors that give
  file, line and column and, for near misses, "did you mean".
- The default `firewall_exempt_rulesets` are `dhcp`, `DHCPv6` and `dns`: client-side rulesets
  whose peers the host learns at run time (DHCP works by broadcast before the host has an address;
  DNS follows whatever resolvers it is given), so restricting them breaks the host rather than
  protecting it. Other client rulesets (`ntpClient`, `syslog`, `httpClient`, ...) can and should
  be restricted to their servers, so they are not exempt. Since vSphere 8.0 U2 some rulesets are
  system-owned and their allowed IPs cannot be changed (`IpListUserConfigurable = false`); DISA
  applies ESXI-80-000239 only to user-configurable ones. The inventory does not carry that flag,
  so add such rulesets to `firewall_exempt_rulesets` in a site rule set.
"#;

fn markdown_one(r: &Rule, c: Option<&RuleConfig>, set: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", r.id);
    let _ = writeln!(out, "**`{}`** — {}\n", r.name, r.summary);
    for lang in translations() {
        let _ = writeln!(out, "{}\n", r.doc(DocField::Summary, lang));
    }
    let _ = writeln!(
        out,
        "- Category: `{}`\n- Default severity: `{}`\n- Runs: {}\n- In rule set `{}`: {}",
        r.category,
        r.severity,
        kind(r),
        set.name,
        in_set(c)
    );
    if !r.needs.is_empty() {
        let needs: Vec<String> = r
            .needs
            .iter()
            .map(|d| format!("`{}`", d.as_str()))
            .collect();
        let _ = writeln!(out, "- Needs data: {}", needs.join(", "));
    }
    if !r.params.is_empty() {
        let _ = writeln!(out, "- Rule-set parameters:");
        for p in r.params {
            let _ = writeln!(
                out,
                "  - `{}` ({}; default `{}`): {}",
                p.name(),
                p.ty(),
                p.to_toml(&p.default_value()),
                p.doc()
            );
        }
    }
    out.push('\n');
    for (heading, field) in sections(Lang::En) {
        let _ = writeln!(out, "### {heading}\n\n{}\n", r.english(field));
    }
    if let Some(fix) = r.fix {
        out.push_str(
            "### Fix script commands\n\nWritten into `remediation.sh` (esxcli) and \
             `remediation.ps1` (PowerCLI) with the finding's values, for review; never run by \
             vmkaudit.\n\n```\n",
        );
        for c in fix.esxcli.iter().chain(fix.powercli) {
            let _ = writeln!(out, "{c}");
        }
        out.push_str("```\n\n");
    }
    if !r.references.is_empty() {
        out.push_str("### References\n\n");
        for x in r.references {
            let _ = writeln!(out, "- {x}");
        }
        out.push('\n');
    }
    for lang in translations() {
        for (heading, field) in sections(lang) {
            let _ = writeln!(out, "### {heading}\n\n{}\n", r.doc(field, lang));
        }
        if !r.params.is_empty() {
            let heading = msg!("describe.params", "Rule-set parameters").render(lang);
            let _ = writeln!(out, "### {heading}\n");
            for p in r.params {
                let _ = writeln!(out, "- `{}`: {}", p.name(), p.doc_in(lang));
            }
            out.push('\n');
        }
    }
    out
}

fn json_one(r: &Rule, c: Option<&RuleConfig>) -> serde_json::Value {
    let doc = |field: DocField| {
        let by_lang: serde_json::Map<String, serde_json::Value> = Lang::ALL
            .into_iter()
            .map(|lang| (lang.code().to_string(), r.doc(field, lang).into()))
            .collect();
        serde_json::Value::Object(by_lang)
    };
    json!({
        "id": r.id,
        "name": r.name,
        "category": r.category,
        "default_severity": r.severity,
        "severity": c.map_or(r.severity, |c| c.severity),
        "enabled": c.is_some_and(|c| c.enabled),
        "scope": c.map(|c| c.scope.describe()),
        "runs": kind(r),
        "needs": r.needs.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "params": r.params.iter().map(|p| json!({
            "name": p.name(),
            "type": p.ty(),
            "default": p.to_toml(&p.default_value()),
            "doc": p.doc(),
        })).collect::<Vec<_>>(),
        "summary": doc(DocField::Summary),
        "checks": doc(DocField::Checks),
        "why": doc(DocField::Why),
        "remediation": doc(DocField::Remediation),
        "references": r.references,
        "fix": r.fix.map(|f| json!({"esxcli": f.esxcli, "powercli": f.powercli})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_and_chars() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap_chars("管理网络", 4), ["管理", "网络"]);
        assert_eq!(
            wrap_chars("见 ESXI-80-000160 规则", 12),
            ["见", "ESXI-80-000160", "规则"]
        );
    }

    #[test]
    fn table_wraps_summaries_under_their_column() {
        let set = RuleSet::builtin_default();
        let narrow = table(&set, Some(110));
        let head = narrow.lines().find(|l| l.starts_with("ID ")).unwrap();
        let col = head.find("SUMMARY").unwrap();
        assert!(narrow.lines().all(|l| l.chars().count() <= 110), "{narrow}");
        let cont: Vec<&str> = narrow.lines().filter(|l| l.starts_with(' ')).collect();
        assert!(!cont.is_empty());
        assert!(
            cont.iter().all(|l| l.len() - l.trim_start().len() == col),
            "{narrow}"
        );
        let wide = table(&set, None);
        assert_eq!(
            wide.lines()
                .filter(|l| l.starts_with("GW") || l.starts_with("COV"))
                .count(),
            8
        );
    }

    #[test]
    fn unknown_rule_suggests() {
        let set = RuleSet::builtin_default();
        let err = describe(Some("GW01"), &set, RulesFormat::Text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown rule `GW01`"), "{err}");
        assert!(err.contains("did you mean"), "{err}");
    }
}
