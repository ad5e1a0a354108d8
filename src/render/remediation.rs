//! The fix scripts: `remediation.sh` (esxcli, one block per host) and `remediation.ps1`
//! (PowerCLI), written from the findings for a person to review. vmkaudit never runs them.
//!
//! Every finding on a host that is not waived and is not a coverage fact gets a commented block:
//! the rule, severity, object and the finding's message as evidence, then the commands its rule's
//! fix template gave (`Finding::fix`, already quoted for each shell), or, without a safe fix,
//! the manual steps as comments. Comments pass through [`visible_line`](crate::render::controls::visible_line), so text from a
//! source can never end a comment line and become a command. The shell script runs one host's
//! block at a time and refuses to run on another host; the PowerShell script can be limited to
//! some hosts. Each command sets a value, so running a block again changes nothing more.

use std::fmt::Write;

use crate::findings::{Category, Finding, FindingsFile, Fix, Subject};
use crate::i18n::Lang;
use crate::msg;
use crate::render::controls::visible_line as visible;

/// File names of the fix scripts.
pub const REMEDIATION_SH: &str = "remediation.sh";
pub const REMEDIATION_PS1: &str = "remediation.ps1";

/// One host's findings, in report order.
struct HostBlock<'a> {
    host: &'a str,
    cluster: Option<&'a str>,
    findings: Vec<&'a Finding>,
}

fn host_blocks(ff: &FindingsFile) -> Vec<HostBlock<'_>> {
    let mut blocks: Vec<HostBlock<'_>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    for f in &ff.findings {
        let Subject::Host { host, cluster, .. } = &f.subject else {
            continue;
        };
        if f.waived.is_some() || f.category == Category::Coverage {
            continue;
        }
        let i = *index.entry(host.as_str()).or_insert_with(|| {
            blocks.push(HostBlock {
                host,
                cluster: cluster.as_deref(),
                findings: Vec::new(),
            });
            blocks.len() - 1
        });
        blocks[i].findings.push(f);
    }
    blocks.sort_by(|a, b| a.host.cmp(b.host));
    blocks
}

/// A comment line (`# ` and the text, every control character made visible).
fn comment(out: &mut String, text: &str) {
    comment_lines(out, "", text);
}

/// `text` as comment lines: each of its lines behind `# ` (after `indent`), with every other
/// control or line-separating character made visible, so nothing of it can leave the comment.
fn comment_lines(out: &mut String, indent: &str, text: &str) {
    for line in text.split('\n') {
        let _ = writeln!(out, "{indent}# {}", visible(line));
    }
}

fn header(out: &mut String, ff: &FindingsFile, lang: Lang, tool: &str, blocks: &[HostBlock]) {
    let with_fix = blocks
        .iter()
        .map(|b| b.findings.iter().filter(|f| f.fix.is_some()).count())
        .sum::<usize>();
    let manual = blocks.iter().map(|b| b.findings.len()).sum::<usize>() - with_fix;
    let rule_set = ff.rule_set.as_deref().unwrap_or("default");
    let generated = &ff.generated_at;
    let version = env!("CARGO_PKG_VERSION");
    let lines = [
        msg!(
            "remediation.generated",
            "vmkaudit {version} fix script ({tool}), generated {generated} from the findings of rule set {rule_set}.",
            version,
            tool,
            generated,
            rule_set,
        ),
        msg!(
            "remediation.not_run",
            "NOBODY HAS RUN THIS SCRIPT, and vmkaudit never runs it. Review every command before you run it."
        ),
        msg!(
            "remediation.changes",
            "What it changes: the settings in the blocks below, {with_fix} finding(s) with commands; {manual} finding(s) without a safe fix are listed with their manual steps and change nothing.",
            with_fix,
            manual,
        ),
        msg!(
            "remediation.idempotent",
            "Each command sets a value: running a block again changes nothing more."
        ),
    ];
    for l in lines {
        comment(out, &l.render(lang));
    }
}

fn finding_comment(out: &mut String, f: &Finding, lang: Lang, indent: &str) {
    let object = match &f.subject {
        Subject::Host {
            object: Some(o), ..
        } => format!(" {}", visible(o)),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{indent}# {} {}{object}: {}",
        f.rule,
        f.severity.as_str(),
        visible(&f.message)
    );
    if f.fix.is_none() {
        let manual =
            msg!("remediation.manual", "No safe automatic fix. Manual steps:").render(lang);
        let _ = writeln!(out, "{indent}# {manual} {}", visible(&f.remediation));
    }
}

/// Whether any finding of `b` has commands of the kind `pick` chooses.
fn has_commands(b: &HostBlock, pick: fn(&Fix) -> &Vec<String>) -> bool {
    b.findings
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| !pick(x).is_empty()))
}

/// The findings of `b`, each as its comment, then its commands of the kind `pick` chooses (one
/// per line), or `none` as a comment when its fix has none of that kind.
fn block_body(
    out: &mut String,
    b: &HostBlock,
    lang: Lang,
    indent: &str,
    pick: fn(&Fix) -> &Vec<String>,
    none: &str,
) {
    for f in &b.findings {
        finding_comment(out, f, lang, indent);
        let Some(fix) = &f.fix else {
            continue;
        };
        let commands = pick(fix);
        if commands.is_empty() {
            comment_lines(out, indent, none);
        }
        for c in commands {
            let _ = writeln!(out, "{indent}{c}");
        }
    }
}

/// `remediation.sh`: esxcli commands, one function per host, run as `sh remediation.sh HOST`
/// on that host.
pub fn remediation_sh(ff: &FindingsFile, lang: Lang) -> String {
    let blocks = host_blocks(ff);
    // Values from the inventory are single-quoted on purpose (literal, never expanded), so
    // shellcheck's notes on `$`/backquotes and typographic quotes inside single quotes are
    // switched off for this file.
    let mut out = String::from("#!/bin/sh\n# shellcheck disable=SC1112,SC2016\n");
    header(&mut out, ff, lang, "esxcli", &blocks);
    for l in [
        msg!(
            "remediation.sh.usage",
            "Usage: copy it to the host and run it there (ESXi Shell or SSH):"
        ),
        msg!(
            "remediation.sh.run",
            "  sh remediation.sh HOST    runs the commands for HOST; refuses on any other host"
        ),
        msg!(
            "remediation.sh.list",
            "  sh remediation.sh --list  lists the hosts with commands"
        ),
    ] {
        comment(&mut out, &l.render(lang));
    }
    out.push_str("set -eu\n\n");
    let no_esxcli = msg!(
        "remediation.sh.no_esxcli",
        "No esxcli command can make this change: see remediation.ps1."
    )
    .render(lang);
    let pick: fn(&Fix) -> &Vec<String> = |x| &x.esxcli;
    let mut cases = Vec::new();
    for (n, b) in blocks.iter().enumerate() {
        let _ = writeln!(
            out,
            "# ===== {} (cluster {}) =====",
            visible(b.host),
            visible(b.cluster.unwrap_or("-"))
        );
        if !has_commands(b, pick) {
            block_body(&mut out, b, lang, "", pick, &no_esxcli);
            out.push('\n');
            continue;
        }
        let function = format!("fix_host_{}", n + 1);
        let _ = writeln!(out, "{function}() {{");
        block_body(&mut out, b, lang, "    ", pick, &no_esxcli);
        out.push_str("}\n\n");
        cases.push((b.host, function));
    }
    let quoted = |h: &str| crate::rules::fix::sh_quote(h);
    out.push_str("case \"${1:-}\" in\n");
    out.push_str("    --list)\n");
    for (host, _) in &cases {
        let _ = writeln!(out, "        echo {}", quoted(host));
    }
    out.push_str("        exit 0 ;;\n");
    for (host, function) in &cases {
        let _ = writeln!(out, "    {})", quoted(host));
        let _ = writeln!(out, "        want={} run={function} ;;", quoted(host));
    }
    let no_host = msg!(
        "remediation.sh.no_host",
        "name the host to fix (sh remediation.sh --list shows them)"
    )
    .render(lang);
    let no_commands = msg!(
        "remediation.sh.no_commands",
        "no commands for this host in this script"
    )
    .render(lang);
    let other_host = msg!(
        "remediation.sh.other_host",
        "this host is not the one named; run the script on that host"
    )
    .render(lang);
    let _ = writeln!(
        out,
        "    '')\n        echo {} >&2\n        exit 2 ;;",
        quoted(&no_host)
    );
    let _ = writeln!(
        out,
        "    *)\n        echo \"$1: \"{} >&2\n        exit 2 ;;\nesac",
        quoted(&no_commands)
    );
    out.push_str(
        "fqdn=$(esxcli system hostname get | sed -n 's/^ *Fully Qualified Domain Name: //p')\n\
         short=$(esxcli system hostname get | sed -n 's/^ *Host Name: //p')\n",
    );
    let _ = writeln!(
        out,
        "if [ \"$fqdn\" != \"$want\" ] && [ \"$short\" != \"$want\" ]; then\n    echo \"$want: \"{} >&2\n    exit 2\nfi\n\"$run\"",
        quoted(&other_host)
    );
    out
}

/// `remediation.ps1`: PowerCLI commands, one block per host, run in a session connected to
/// vCenter; `-OnlyHost` limits it to some hosts.
pub fn remediation_ps1(ff: &FindingsFile, lang: Lang) -> String {
    let blocks = host_blocks(ff);
    let mut out = String::new();
    header(&mut out, ff, lang, "PowerCLI", &blocks);
    let usage = msg!(
        "remediation.ps1.usage",
        "Usage: Connect-VIServer first, then run it; -OnlyHost NAME[,NAME] limits it to those hosts."
    );
    comment(&mut out, &usage.render(lang));
    out.push_str(
        "#Requires -Modules VMware.VimAutomation.Core\n\
         param(\n    [string[]]$OnlyHost = @()\n)\n\
         $ErrorActionPreference = 'Stop'\n\
         if (-not $global:DefaultVIServer) { throw 'Connect-VIServer first.' }\n\
         function Test-Selected([string]$Name) { (-not $OnlyHost) -or ($OnlyHost -contains $Name) }\n\n",
    );
    let q = crate::rules::fix::ps_quote;
    let no_powercli = msg!(
        "remediation.ps1.no_powercli",
        "No PowerCLI command for this change: see remediation.sh."
    )
    .render(lang);
    let pick: fn(&Fix) -> &Vec<String> = |x| &x.powercli;
    for b in &blocks {
        let _ = writeln!(
            out,
            "# ===== {} (cluster {}) =====",
            visible(b.host),
            visible(b.cluster.unwrap_or("-"))
        );
        if b.host.chars().any(char::is_control) {
            // No `Get-VMHost -Name` for a name that cannot be written safely: comments only.
            for f in &b.findings {
                finding_comment(&mut out, f, lang, "");
            }
            out.push('\n');
            continue;
        }
        if !has_commands(b, pick) {
            block_body(&mut out, b, lang, "", pick, &no_powercli);
            out.push('\n');
            continue;
        }
        let _ = writeln!(out, "if (Test-Selected {}) {{", q(b.host));
        let _ = writeln!(out, "    $vmhost = Get-VMHost -Name {}", q(b.host));
        block_body(&mut out, b, lang, "    ", pick, &no_powercli);
        out.push_str("}\n\n");
    }
    out
}
