//! Evaluation: run a rule set over an inventory and produce `findings.json`.
//!
//! The engine resolves the enabled rules of the [`RuleSet`], raises COV003 for every source that
//! could not be collected, then checks every host in parallel (rayon): a host that is not
//! connected gets COV001 and nothing else; otherwise each per-host rule in scope runs, unless the
//! host lacks data the rule needs, which is reported once per host and data kind as COV002 (or
//! once per imported file and data kind, when the file provides it for none of its hosts). The
//! estate-wide rules (duplicates, cluster and subnet majorities) run after that over the eligible
//! hosts. Findings get their severity from the rule set, text in the requested language, and are
//! marked waived by the rule set's waivers (expired waivers raise COV004 instead). The output is
//! sorted with [`crate::findings::sort_findings`], so it does not depend on thread timing.

mod describe;
mod ruleset;

pub use crate::rules::Params;
pub use describe::{describe, RulesFormat};
pub use ruleset::{RuleConfig, RuleSet, Scope, Waiver, BUILTIN};

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::findings::{
    sort_findings, summarize, Finding, FindingsFile, NotChecked, Reason, Subject, Waived,
    SCHEMA_VERSION,
};
use crate::i18n::Lang;
use crate::model::{Inventory, Source, SourceKind};
use crate::rules::{ids, Check, Data, EstateCtx, Hit, HostCtx, Rule};

/// What checking one host gives.
#[derive(Default)]
struct HostResult {
    raised: Vec<Raised>,
    /// The (rule, reason) pairs not checked.
    not_checked: Vec<(&'static str, Reason)>,
    /// Data its file source provides for no host, with the rules that could not use it here:
    /// reported once per source ([`FileGaps`]).
    gaps: Vec<(Data, Vec<&'static str>)>,
}

/// The per-host results summed over hosts, in host order.
#[derive(Default)]
struct HostTally {
    raised: Vec<Raised>,
    /// How many hosts each (rule, reason) could not check.
    not_checked: FxHashMap<(&'static str, Reason), usize>,
    /// (file source, data) → (hosts, rules not checked).
    gaps: FxHashMap<(usize, Data), (usize, Vec<&'static str>)>,
}

impl HostTally {
    /// Add the result of host `host`.
    fn add(mut self, host: &crate::model::Host, r: HostResult, file_gaps: &FileGaps) -> Self {
        self.raised.extend(r.raised);
        for key in r.not_checked {
            *self.not_checked.entry(key).or_default() += 1;
        }
        for (data, ids) in r.gaps {
            let source = file_gaps
                .source_of(host)
                .expect("gaps come from a file source");
            Self::add_gap(&mut self.gaps, (source, data), 1, ids);
        }
        self
    }

    fn add_gap(
        gaps: &mut FxHashMap<(usize, Data), (usize, Vec<&'static str>)>,
        key: (usize, Data),
        hosts: usize,
        ids: Vec<&'static str>,
    ) {
        let fact = gaps.entry(key).or_default();
        fact.0 += hosts;
        for id in ids {
            if !fact.1.contains(&id) {
                fact.1.push(id);
            }
        }
    }

    /// `self` followed by `later` (the hosts after `self`'s).
    fn merge(mut self, later: Self) -> Self {
        self.raised.extend(later.raised);
        for (key, n) in later.not_checked {
            *self.not_checked.entry(key).or_default() += n;
        }
        for (key, (hosts, ids)) in later.gaps {
            Self::add_gap(&mut self.gaps, key, hosts, ids);
        }
        self
    }
}

/// What a raised finding is on, before the host's names are looked up.
enum On {
    /// Index of the host in `Inventory::hosts`.
    Host(usize),
    /// A source that could not be collected (COV003), by name.
    Source(String),
}

/// A finding before language selection and waivers.
struct Raised {
    rule: &'static Rule,
    on: On,
    object: Option<String>,
    message: crate::i18n::Msg,
    remediation: crate::i18n::Msg,
    not_checked: Vec<String>,
}

impl Raised {
    fn on_host(rule: &'static Rule, hit: Hit) -> Raised {
        Raised {
            rule,
            on: On::Host(hit.host),
            object: hit.object,
            message: hit.message,
            remediation: hit.remediation,
            not_checked: Vec::new(),
        }
    }
}

/// Evaluate `inv` against `rules`; messages in `lang`; `now` stamps the file and decides which
/// waivers have expired.
pub fn evaluate(
    inv: &Inventory,
    rules: &RuleSet,
    lang: Lang,
    now: chrono::DateTime<chrono::Local>,
) -> FindingsFile {
    let enabled: Vec<&RuleConfig> = rules.enabled().collect();
    let mut raised: Vec<Raised> = Vec::new();
    let mut not_checked: BTreeMap<(&'static str, Reason), usize> = BTreeMap::new();

    // Checks of each source (COV003, on the source's name). Raised for every rule that has
    // one; the rule set's enabling and scopes apply below, as for every finding.
    for r in crate::rules::REGISTRY {
        let Check::Source(check) = r.check else {
            continue;
        };
        for s in &inv.sources {
            if let Some((message, remediation)) = check(s) {
                raised.push(Raised {
                    rule: r,
                    on: On::Source(s.name.clone()),
                    object: None,
                    message,
                    remediation,
                    not_checked: Vec::new(),
                });
            }
        }
    }

    // Per host, in parallel; and the estate-wide rules (independent of the per-host checks)
    // at the same time, so that the cores stay busy while a long estate rule runs.
    let file_gaps = FileGaps::of(inv);
    let (per_host, estate) = rayon::join(
        || {
            // Summed as the hosts are checked, not kept per host (40,000 hosts' lists of
            // rules not checked are tens of megabytes).
            inv.hosts
                .par_iter()
                .enumerate()
                .fold(HostTally::default, |tally, (index, host)| {
                    let gaps = file_gaps.of_host(host);
                    let result = check_host(index, host, &enabled, &rules.params, gaps);
                    tally.add(host, result, &file_gaps)
                })
                .reduce(HostTally::default, HostTally::merge)
        },
        || estate_rules(inv, &enabled, rules),
    );
    raised.extend(per_host.raised);
    for (key, n) in per_host.not_checked {
        *not_checked.entry(key).or_default() += n;
    }
    // (file source, data) → (hosts, rules not checked)
    let gap_facts: BTreeMap<(usize, Data), (usize, Vec<&'static str>)> =
        per_host.gaps.into_iter().collect();
    for ((source, data), (hosts, mut ids)) in gap_facts {
        // In rule-set order, as on a host.
        ids.sort_by_key(|id| enabled.iter().position(|c| c.rule.id == *id));
        let ids = ids.into_iter().map(str::to_string).collect();
        raised.push(file_gap_fact(&inv.sources[source], data, hosts, ids));
    }

    raised.extend(estate.into_iter().flatten());

    // Turn into findings.
    let today = now.date_naive();
    let mut findings: Vec<Finding> = Vec::with_capacity(raised.len());
    for r in raised {
        let Some(cfg) = rules.config(r.rule.id).filter(|c| c.enabled) else {
            continue;
        };
        let subject = match r.on {
            On::Source(source) => Subject::Source {
                source,
                object: r.object.clone(),
            },
            On::Host(index) => {
                let h = &inv.hosts[index];
                if !cfg.scope.includes(h) {
                    continue;
                }
                Subject::Host {
                    host: h.name.clone(),
                    cluster: h.cluster.clone(),
                    object: r.object,
                }
            }
        };
        let waived = rules
            .waivers
            .iter()
            .filter(|w| !w.expired(today))
            .find(|w| w.matches(r.rule.id, subject.name(), subject.object()))
            .map(|w| Waived {
                reason: w.reason.clone(),
                expires: w.expires.map(|d| d.format("%Y-%m-%d").to_string()),
            });
        let fix = match (&subject, r.rule.fix) {
            (Subject::Host { object, .. }, Some(template)) => template.fill(&|name| match name {
                "object" => object.clone(),
                _ => r
                    .message
                    .text_arg(name)
                    .or_else(|| r.remediation.text_arg(name))
                    .map(str::to_string),
            }),
            _ => None,
        };
        findings.push(Finding {
            rule: r.rule.id.to_string(),
            category: r.rule.category,
            severity: cfg.severity,
            subject,
            message: r.message.render(lang),
            remediation: r.remediation.render(lang),
            references: r.rule.reference_list(),
            waived,
            status: None,
            not_checked: r.not_checked,
            fix,
        });
    }

    // Expired waivers: COV004.
    if let Some(cfg) = rules.config(ids::WAIVER_EXPIRED).filter(|c| c.enabled) {
        for w in rules.waivers.iter().filter(|w| w.expired(today)) {
            let (id, host, reason) = (w.rule, &w.host, &w.reason);
            let date = w
                .expires
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let object = w.object.as_deref().unwrap_or("*");
            let (message, remediation) = crate::rules::cov004_waiver_expired::messages(
                id,
                host,
                object,
                &date,
                reason,
                &rules.origin,
            );
            findings.push(Finding {
                rule: ids::WAIVER_EXPIRED.to_string(),
                category: cfg.rule.category,
                severity: cfg.severity,
                subject: Subject::Waiver {
                    rule: w.rule.to_string(),
                    host_glob: w.host.clone(),
                    object_glob: w.object.clone(),
                },
                message: message.render(lang),
                remediation: remediation.render(lang),
                references: cfg.rule.reference_list(),
                waived: None,
                status: None,
                not_checked: Vec::new(),
                fix: None,
            });
        }
    }

    sort_findings(&mut findings);
    // A host listed by two sources (a vCenter and a file) yields the same findings twice.
    findings.dedup();
    let not_checked = not_checked
        .into_iter()
        .map(|((rule, reason), hosts)| NotChecked {
            rule: rule.to_string(),
            reason,
            hosts,
        })
        .collect();
    FindingsFile {
        schema_version: SCHEMA_VERSION,
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        rule_set: Some(rules.name.clone()),
        checked_rules: enabled.iter().map(|c| c.rule.id.to_string()).collect(),
        language: Some(lang.code().to_string()),
        sources: inv.sources.clone(),
        summary: summarize(&findings, &inv.hosts, inv.vmk_count(), not_checked),
        findings,
        previous_run: None,
        resolved: Vec::new(),
        drift: None,
        trend: Vec::new(),
    }
}

/// Estate-wide rules, after grouping. They see every connected host with the data they need:
/// the scope limits where findings are reported (in [`evaluate`]), not the peers a host is
/// compared with (a duplicate address or a cluster majority involves hosts outside the scope
/// too). The estate rules are independent of each other: they run in parallel, and their hits
/// come in rule order.
fn estate_rules(inv: &Inventory, enabled: &[&RuleConfig], rules: &RuleSet) -> Vec<Vec<Raised>> {
    enabled
        .par_iter()
        .filter_map(|cfg| match cfg.rule.check {
            Check::Estate(check) => Some((cfg, check)),
            _ => None,
        })
        .map(|(cfg, check)| {
            let hosts: Vec<usize> = inv
                .hosts
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    h.is_connected()
                        && cfg
                            .rule
                            .needs
                            .iter()
                            .all(|d| !d.host_level() || !d.lacks(h))
                })
                .map(|(i, _)| i)
                .collect();
            let ctx = EstateCtx {
                inventory: inv,
                hosts: &hosts,
                params: &rules.params,
            };
            check(&ctx)
                .into_iter()
                .map(|hit| Raised::on_host(cfg.rule, hit))
                .collect()
        })
        .collect()
}

fn rule(id: &str) -> &'static Rule {
    crate::rules::find(id).expect("coverage rules are registered")
}

/// The kinds of data each imported file (an RVTools or PowerCLI source) provides for none of
/// its hosts: what its format does not carry (RVTools has no firewall), or what the file lacks
/// (a column left out of the export); for a live source (vCenter, ESXi), the kinds live
/// collection never reads ([`Data::read_live`]: the iSCSI port binding); and for a source read
/// from an inventory file of an earlier schema version, the kinds that version does not record
/// ([`Data::not_in_schema`]). Such a gap is one fact about the source, reported once as a COV002
/// on it that says for how many hosts which checks could not run, instead of one COV002 per
/// host (160,000 for a 40,000-host RVTools export, 200,000 for a 40,000-host schema-1
/// inventory, 2,500 for a vCenter). A gap on some hosts only, and any other gap of a live
/// source (a property refused on every host), stays per host: it depends on the hosts, not
/// on the kind of source.
struct FileGaps<'a> {
    /// Source name → (index in `Inventory::sources`, the data it provides for no host).
    sources: HashMap<&'a str, (usize, Vec<Data>)>,
}

impl<'a> FileGaps<'a> {
    fn of(inv: &'a Inventory) -> Self {
        let mut provided: HashMap<&str, (usize, [bool; Data::ALL.len()])> = inv
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                matches!(
                    s.kind,
                    SourceKind::Rvtools
                        | SourceKind::Powercli
                        | SourceKind::Vcenter
                        | SourceKind::Esxi
                ) || s
                    .schema_version
                    .is_some_and(|v| v < crate::model::SCHEMA_VERSION)
            })
            .map(|(i, s)| (s.name.as_str(), (i, [false; Data::ALL.len()])))
            .collect();
        for h in inv.hosts.iter().filter(|h| h.is_connected()) {
            let Some((_, seen)) = h.source.as_deref().and_then(|s| provided.get_mut(s)) else {
                continue;
            };
            for (k, data) in Data::ALL.iter().enumerate() {
                if !seen[k] {
                    seen[k] = data.provided_on(h);
                }
            }
        }
        let sources = provided
            .into_iter()
            .map(|(name, (i, seen))| {
                let source = &inv.sources[i];
                let file = matches!(source.kind, SourceKind::Rvtools | SourceKind::Powercli);
                let live = matches!(source.kind, SourceKind::Vcenter | SourceKind::Esxi);
                let gaps = Data::ALL
                    .iter()
                    .zip(seen)
                    // An export format's gap is the file's; a live source's only for what live
                    // collection never reads; an inventory file's for what its schema version
                    // does not record.
                    .filter(|(d, seen)| {
                        !*seen
                            && (file
                                || live && !d.read_live()
                                || d.not_in_schema(source.schema_version))
                    })
                    .map(|(d, _)| *d)
                    .collect();
                (name, (i, gaps))
            })
            .collect();
        FileGaps { sources }
    }

    /// The data `host`'s file source provides for no host.
    fn of_host(&self, host: &crate::model::Host) -> &[Data] {
        host.source
            .as_deref()
            .and_then(|s| self.sources.get(s))
            .map_or(&[], |(_, gaps)| gaps.as_slice())
    }

    /// The index of `host`'s file source in `Inventory::sources`.
    fn source_of(&self, host: &crate::model::Host) -> Option<usize> {
        self.sources.get(host.source.as_deref()?).map(|(i, _)| *i)
    }
}

/// The COV002 on file `source` for `data` it provides for none of its hosts: the rules
/// `not_checked` could not check it on `hosts` hosts.
fn file_gap_fact(source: &Source, data: Data, hosts: usize, not_checked: Vec<String>) -> Raised {
    let (message, remediation) =
        crate::rules::cov002_check_not_run::file_messages(source, data, hosts, &not_checked);
    Raised {
        rule: rule(ids::CHECK_NOT_RUN),
        on: On::Source(source.name.clone()),
        object: Some(data.as_str().to_string()),
        message,
        remediation,
        not_checked,
    }
}

/// Check one host: COV001, COV002 and every per-host rule. Returns the raised findings and the
/// (rule, data kind) pairs that could not be checked.
fn check_host(
    index: usize,
    host: &crate::model::Host,
    enabled: &[&RuleConfig],
    params: &Params,
    file_gaps: &[Data],
) -> HostResult {
    let mut out = Vec::new();
    let mut nc = Vec::new();
    let mut gaps = Vec::new();
    let in_scope: Vec<&RuleConfig> = enabled
        .iter()
        .copied()
        .filter(|c| c.scope.includes(host))
        .collect();
    if !host.is_connected() {
        let skipped: Vec<String> = in_scope
            .iter()
            .filter(|c| c.rule.check.reads_configuration())
            .map(|c| {
                nc.push((c.rule.id, Reason::NotConnected));
                c.rule.id.to_string()
            })
            .collect();
        // The rules that check a host that is not connected (COV001), instead of every other.
        for r in crate::rules::REGISTRY {
            let Check::Disconnected(check) = r.check else {
                continue;
            };
            if let Some((message, remediation)) = check(host) {
                out.push(Raised {
                    rule: r,
                    on: On::Host(index),
                    object: None,
                    message,
                    remediation,
                    not_checked: skipped.clone(),
                });
            }
        }
        return HostResult {
            raised: out,
            not_checked: nc,
            gaps,
        };
    }
    // Whether COV002 is reported for this host at all (its scope).
    let coverage_in_scope = in_scope.iter().any(|c| c.rule.id == ids::CHECK_NOT_RUN);

    // Which data is missing, and which rules it keeps from checking.
    let mut missing_host_level: Vec<Data> = Vec::new();
    for data in Data::ALL {
        if !data.lacks(host) {
            continue;
        }
        if data.host_level() {
            missing_host_level.push(data);
        }
        let rules: Vec<&'static str> = in_scope
            .iter()
            .filter(|c| c.rule.needs.contains(&data) && c.rule.is_active(params))
            .map(|c| c.rule.id)
            .collect();
        if rules.is_empty() {
            continue;
        }
        nc.extend(rules.iter().map(|&id| (id, Reason::Missing(data))));
        if file_gaps.contains(&data) {
            if coverage_in_scope {
                gaps.push((data, rules));
            }
            continue;
        }
        let rules: Vec<String> = rules.into_iter().map(str::to_string).collect();
        let (message, remediation) = crate::rules::cov002_check_not_run::host_messages(
            host,
            data,
            &rules,
            &data.missing_on(host),
        );
        out.push(Raised {
            rule: rule(ids::CHECK_NOT_RUN),
            on: On::Host(index),
            object: Some(data.as_str().to_string()),
            message,
            remediation,
            not_checked: rules,
        });
    }

    let ctx = HostCtx {
        index,
        host,
        params,
    };
    for cfg in &in_scope {
        let Check::Host(check) = cfg.rule.check else {
            continue;
        };
        if cfg
            .rule
            .needs
            .iter()
            .any(|d| missing_host_level.contains(d))
        {
            continue;
        }
        out.extend(
            check(&ctx)
                .into_iter()
                .map(|hit| Raised::on_host(cfg.rule, hit)),
        );
    }
    HostResult {
        raised: out,
        not_checked: nc,
        gaps,
    }
}
