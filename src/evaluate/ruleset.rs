//! Rule sets (`rules/*.toml`): which rules run, how severe they are, where they apply, their
//! parameters and the waivers.
//!
//! Parsed like cargo-deny: plain serde structs that reject unknown keys, then a validate step
//! that keeps spans, so every error names file, line and column, and a misspelt key, rule ID or
//! rule name gets a "did you mean". A rule set may `extends` a built-in set (`default`, `stig`,
//! `pre-upgrade`) or another file; its settings override the base's key by key, its waivers add
//! to the base's. Every rule not mentioned is enabled at its default severity unless the set says
//! `all_rules = false`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_spanned::Spanned;

use crate::error::{did_you_mean, toml_error, Error, Location, Result};
use crate::findings::Severity;
use crate::model::Host;
use crate::rules::param::Value;
use crate::rules::{Params, Rule, REGISTRY};

/// The built-in rule sets, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../rules/default.toml")),
    ("stig", include_str!("../../rules/stig.toml")),
    ("pre-upgrade", include_str!("../../rules/pre-upgrade.toml")),
];

/// How deep `extends` may chain.
const MAX_EXTENDS: usize = 8;

/// A validated rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub name: String,
    pub description: Option<String>,
    /// `built-in` or the file's path.
    pub origin: String,
    /// One entry per rule of the registry, in registry order.
    pub rules: Vec<RuleConfig>,
    pub params: Params,
    pub waivers: Vec<Waiver>,
}

/// How one rule is configured in a rule set.
#[derive(Debug, Clone)]
pub struct RuleConfig {
    pub rule: &'static Rule,
    pub enabled: bool,
    pub severity: Severity,
    pub scope: Scope,
}

/// Where a rule applies: cluster and host globs (case-insensitive). Empty include lists mean
/// "everywhere"; a standalone host matches no cluster glob.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub clusters: Vec<String>,
    pub hosts: Vec<String>,
    pub exclude_clusters: Vec<String>,
    pub exclude_hosts: Vec<String>,
    compiled: Option<CompiledScope>,
}

#[derive(Debug, Clone)]
struct CompiledScope {
    clusters: GlobSet,
    hosts: GlobSet,
    exclude_clusters: GlobSet,
    exclude_hosts: GlobSet,
}

impl Scope {
    /// Whether the rule applies to `host`.
    pub fn includes(&self, host: &Host) -> bool {
        self.includes_names(&host.name, host.cluster.as_deref())
    }

    pub fn includes_names(&self, host: &str, cluster: Option<&str>) -> bool {
        let Some(c) = &self.compiled else {
            return true;
        };
        let in_cluster = |set: &GlobSet| cluster.is_some_and(|name| set.is_match(name));
        (self.clusters.is_empty() || in_cluster(&c.clusters))
            && (self.hosts.is_empty() || c.hosts.is_match(host))
            && !in_cluster(&c.exclude_clusters)
            && !c.exclude_hosts.is_match(host)
    }

    /// Whether the scope is "everywhere".
    pub fn is_everywhere(&self) -> bool {
        self.compiled.is_none()
    }

    /// A human description, e.g. `clusters prod-*; not hosts esx-lab*`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |label: &str, v: &[String]| {
            if !v.is_empty() {
                parts.push(format!("{label} {}", v.join(", ")));
            }
        };
        add("clusters", &self.clusters);
        add("hosts", &self.hosts);
        add("not clusters", &self.exclude_clusters);
        add("not hosts", &self.exclude_hosts);
        if parts.is_empty() {
            "everywhere".into()
        } else {
            parts.join("; ")
        }
    }
}

/// A waiver: findings of `rule` on hosts matching `host` (and `object`) are kept but marked
/// waived, until `expires`.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: &'static str,
    /// Host glob (`*` when the waiver names none).
    pub host: String,
    /// Object glob (`vmk1`, `ssh*`); `None` matches every object.
    pub object: Option<String>,
    pub reason: String,
    /// Last day the waiver applies.
    pub expires: Option<chrono::NaiveDate>,
    host_matcher: GlobMatcher,
    object_matcher: Option<GlobMatcher>,
}

impl Waiver {
    pub fn matches(&self, rule: &str, host: &str, object: Option<&str>) -> bool {
        self.rule == rule
            && self.host_matcher.is_match(host)
            && match &self.object_matcher {
                None => true,
                Some(m) => object.is_some_and(|o| m.is_match(o)),
            }
    }

    /// Expired when `today` is after the expiry date.
    pub fn expired(&self, today: chrono::NaiveDate) -> bool {
        self.expires.is_some_and(|d| today > d)
    }
}

// ---------------------------------------------------------------------------------------------
// The file format.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// A built-in set's name or a `.toml` path relative to this file.
    #[serde(default)]
    extends: Option<Spanned<String>>,
    /// Enable every rule this file does not mention (default true).
    #[serde(default)]
    all_rules: Option<bool>,
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawRule>,
    /// Each key is a parameter some rule declares ([`crate::rules::Param`]); the values are
    /// read by the declarations.
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<IgnoredAny>>,
    #[serde(default)]
    waiver: Vec<RawWaiver>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    severity: Option<Spanned<String>>,
    #[serde(default)]
    clusters: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    hosts: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude_clusters: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude_hosts: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: Spanned<String>,
    #[serde(default)]
    host: Option<Spanned<String>>,
    #[serde(default)]
    object: Option<Spanned<String>>,
    reason: Spanned<String>,
    /// `"YYYY-MM-DD"` or a TOML date literal (`2026-03-01`).
    #[serde(default)]
    expires: Option<Spanned<toml::Value>>,
}

/// One file's validated settings, before merging with its base.
#[derive(Debug, Default)]
struct Layer {
    name: Option<String>,
    description: Option<String>,
    all_rules: Option<bool>,
    enabled: BTreeMap<&'static str, bool>,
    severity: BTreeMap<&'static str, Severity>,
    scope: BTreeMap<&'static str, Scope>,
    /// The parameters this file sets (with its bases').
    params: BTreeMap<&'static str, Value>,
    waivers: Vec<Waiver>,
}

impl RuleSet {
    /// The built-in `rules/default.toml`.
    pub fn builtin_default() -> RuleSet {
        RuleSet::builtin("default").expect("built-in default rule set is valid")
    }

    /// A built-in rule set by name (`default`, `stig`, `pre-upgrade`).
    pub fn builtin(name: &str) -> Result<RuleSet> {
        let (key, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| Error::Usage(unknown_builtin(name)))?;
        let path = PathBuf::from(format!("rules/{key}.toml"));
        let layer = load_layer(&path, text, None, 0)?;
        Ok(RuleSet::from_layer(layer, key, "built-in".into()))
    }

    /// Load a rule set file; a path that does not exist but names a built-in set (`stig`,
    /// `pre-upgrade`, `default`) loads that one.
    pub fn load(path: &Path) -> Result<RuleSet> {
        if !path.exists() {
            if let Some(name) = path.to_str() {
                if BUILTIN.iter().any(|(n, _)| *n == name) {
                    return RuleSet::builtin(name);
                }
                if !name.contains(['/', '\\']) && !name.ends_with(".toml") {
                    return Err(Error::Usage(format!(
                        "rule set `{name}`: no such file, and {}",
                        unknown_builtin(name)
                    )));
                }
            }
        }
        let text = crate::fsutil::read_text(path)?;
        RuleSet::parse(path, &text)
    }

    /// Parse rule set `text` read from `path` (used for locations and relative `extends`).
    pub fn parse(path: &Path, text: &str) -> Result<RuleSet> {
        let base = path.parent().map(Path::to_path_buf);
        let layer = load_layer(path, text, base.as_deref(), 0)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "rules".into());
        Ok(RuleSet::from_layer(
            layer,
            &stem,
            path.display().to_string(),
        ))
    }

    fn from_layer(layer: Layer, fallback_name: &str, origin: String) -> RuleSet {
        let all = layer.all_rules.unwrap_or(true);
        let rules = REGISTRY
            .iter()
            .map(|&rule| RuleConfig {
                rule,
                enabled: layer.enabled.get(rule.id).copied().unwrap_or(all),
                severity: layer
                    .severity
                    .get(rule.id)
                    .copied()
                    .unwrap_or(rule.severity),
                scope: layer.scope.get(rule.id).cloned().unwrap_or_default(),
            })
            .collect();
        let mut params = Params::default();
        for (name, value) in layer.params {
            params.set(name, value);
        }
        RuleSet {
            name: layer.name.unwrap_or_else(|| fallback_name.to_string()),
            description: layer.description,
            origin,
            rules,
            params,
            waivers: layer.waivers,
        }
    }

    /// The configuration of rule `id`.
    pub fn config(&self, id: &str) -> Option<&RuleConfig> {
        self.rules.iter().find(|c| c.rule.id == id)
    }

    /// The enabled rules, in registry order.
    pub fn enabled(&self) -> impl Iterator<Item = &RuleConfig> {
        self.rules.iter().filter(|c| c.enabled)
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.config(id).is_some_and(|c| c.enabled)
    }
}

fn unknown_builtin(name: &str) -> String {
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    let hint = did_you_mean(name, names.iter().copied());
    format!(
        "`{name}` is not a built-in rule set (built-in: {}){hint}",
        names.join(", ")
    )
}

/// Parse and validate one file, merged over its `extends` base.
fn load_layer(path: &Path, text: &str, dir: Option<&Path>, depth: usize) -> Result<Layer> {
    let raw: RawSet = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    let v = Validator { path, text };
    let base = match &raw.extends {
        None => Layer::default(),
        Some(ext) => {
            if depth >= MAX_EXTENDS {
                return Err(v.err(
                    ext.span(),
                    format!("`extends` chains more than {MAX_EXTENDS} rule sets (a cycle?)"),
                ));
            }
            let target = ext.get_ref().trim();
            if target.ends_with(".toml") {
                let p = dir.map_or_else(|| PathBuf::from(target), |d| d.join(target));
                let t = crate::fsutil::read_text(&p).map_err(|e| {
                    v.err(ext.span(), format!("cannot read the base rule set: {e}"))
                })?;
                load_layer(&p, &t, p.parent(), depth + 1)?
            } else {
                let (key, t) = BUILTIN
                    .iter()
                    .find(|(n, _)| *n == target)
                    .ok_or_else(|| v.err(ext.span(), unknown_builtin(target)))?;
                let p = PathBuf::from(format!("rules/{key}.toml"));
                load_layer(&p, t, None, depth + 1)?
            }
        }
    };
    let own = v.layer(raw)?;
    Ok(merge(base, own))
}

fn merge(base: Layer, own: Layer) -> Layer {
    let mut enabled = base.enabled;
    // A child that switches `all_rules` restarts from its own default for unmentioned rules.
    if own.all_rules.is_some() {
        enabled.clear();
    }
    enabled.extend(own.enabled);
    let mut severity = base.severity;
    severity.extend(own.severity);
    let mut scope = base.scope;
    scope.extend(own.scope);
    let mut waivers = base.waivers;
    waivers.extend(own.waivers);
    // A later layer's key replaces the earlier one's.
    let mut params = base.params;
    params.extend(own.params);
    Layer {
        name: own.name.or(base.name),
        description: own.description.or(base.description),
        all_rules: own.all_rules.or(base.all_rules),
        enabled,
        severity,
        scope,
        params,
        waivers,
    }
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Validator<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        Error::input(
            Location::from_offset(self.path, self.text, span.start),
            message,
        )
    }

    fn rule(&self, key: &Spanned<String>) -> Result<&'static Rule> {
        crate::rules::find(key.get_ref()).ok_or_else(|| {
            if let Some(r) = crate::rules::retired::rule(key.get_ref()) {
                return self.err(
                    key.span(),
                    crate::rules::retired::rule_message(key.get_ref(), r),
                );
            }
            let hint = did_you_mean(key.get_ref(), crate::rules::all_keys());
            self.err(
                key.span(),
                format!(
                    "unknown rule `{}` (see `vmkaudit rules` for the IDs and names){hint}",
                    key.get_ref()
                ),
            )
        })
    }

    fn globs(&self, list: &[Spanned<String>]) -> Result<Vec<String>> {
        list.iter()
            .map(|g| {
                glob(g.get_ref())
                    .map(|_| g.get_ref().clone())
                    .map_err(|e| self.err(g.span(), format!("bad glob `{}`: {e}", g.get_ref())))
            })
            .collect()
    }

    fn layer(&self, raw: RawSet) -> Result<Layer> {
        let mut layer = Layer {
            name: raw.name,
            description: raw.description,
            all_rules: raw.all_rules,
            ..Layer::default()
        };
        let mut listed: BTreeMap<&'static str, (bool, Range<usize>)> = BTreeMap::new();
        for (list, on) in [(&raw.enable, true), (&raw.disable, false)] {
            for key in list {
                let rule = self.rule(key)?;
                if let Some((prev, _)) = listed.get(rule.id) {
                    if *prev != on {
                        return Err(self.err(
                            key.span(),
                            format!("rule {} is both in `enable` and in `disable`", rule.id),
                        ));
                    }
                }
                listed.insert(rule.id, (on, key.span()));
                layer.enabled.insert(rule.id, on);
            }
        }
        for (key, rr) in &raw.rules {
            let rule = self.rule(key)?;
            if let Some(on) = rr.enabled {
                if let Some((prev, _)) = listed.get(rule.id) {
                    if *prev != on {
                        return Err(self.err(
                            key.span(),
                            format!(
                                "rule {} is {} in the `{}` list but has `enabled = {on}` here",
                                rule.id,
                                if *prev { "enabled" } else { "disabled" },
                                if *prev { "enable" } else { "disable" },
                            ),
                        ));
                    }
                }
                layer.enabled.insert(rule.id, on);
            }
            if let Some(sev) = &rr.severity {
                let s = Severity::parse(sev.get_ref().trim()).ok_or_else(|| {
                    let hint = did_you_mean(sev.get_ref(), ["error", "warning", "info"]);
                    self.err(
                        sev.span(),
                        format!(
                            "unknown severity `{}` (expected error, warning or info){hint}",
                            sev.get_ref()
                        ),
                    )
                })?;
                layer.severity.insert(rule.id, s);
            }
            let lists = [
                &rr.clusters,
                &rr.hosts,
                &rr.exclude_clusters,
                &rr.exclude_hosts,
            ];
            if lists.iter().any(|l| l.is_some()) {
                let get = |l: &Option<Vec<Spanned<String>>>| -> Result<Vec<String>> {
                    l.as_deref().map_or(Ok(Vec::new()), |l| self.globs(l))
                };
                let scope = make_scope(
                    get(&rr.clusters)?,
                    get(&rr.hosts)?,
                    get(&rr.exclude_clusters)?,
                    get(&rr.exclude_hosts)?,
                );
                layer.scope.insert(rule.id, scope);
            }
        }
        self.params(&raw.params, &mut layer)?;
        for w in &raw.waiver {
            layer.waivers.push(self.waiver(w)?);
        }
        Ok(layer)
    }

    /// Every `[params]` key, read and validated by the parameter declared under that name.
    fn params(
        &self,
        raw: &BTreeMap<Spanned<String>, Spanned<IgnoredAny>>,
        layer: &mut Layer,
    ) -> Result<()> {
        for (key, value) in raw {
            let param = crate::rules::param::find(key.get_ref())
                .ok_or_else(|| self.err(key.span(), crate::rules::param::unknown(key.get_ref())))?;
            let v = param.read_from(self.path, self.text, value.span())?;
            layer.params.insert(param.name(), v);
        }
        Ok(())
    }

    fn waiver(&self, w: &RawWaiver) -> Result<Waiver> {
        let rule = self.rule(&w.rule)?;
        let host = w
            .host
            .as_ref()
            .map_or_else(|| "*".to_string(), |h| h.get_ref().trim().to_string());
        let host_matcher = glob(&host).map_err(|e| {
            let span = w.host.as_ref().map_or(w.rule.span(), |h| h.span());
            self.err(span, format!("bad host glob `{host}`: {e}"))
        })?;
        let (object, object_matcher) = match &w.object {
            None => (None, None),
            Some(o) => {
                let m = glob(o.get_ref())
                    .map_err(|e| self.err(o.span(), format!("bad object glob: {e}")))?;
                (Some(o.get_ref().clone()), Some(m))
            }
        };
        if w.reason.get_ref().trim().is_empty() {
            return Err(self.err(w.reason.span(), "a waiver needs a `reason`"));
        }
        let expires = match &w.expires {
            None => None,
            Some(d) => {
                let text = match d.get_ref() {
                    toml::Value::String(s) => s.trim().to_string(),
                    other => other.to_string(),
                };
                Some(
                    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                        self.err(
                            d.span(),
                            format!("`{text}` is not a date (expected YYYY-MM-DD)"),
                        )
                    })?,
                )
            }
        };
        Ok(Waiver {
            rule: rule.id,
            host,
            object,
            reason: w.reason.get_ref().trim().to_string(),
            expires,
            host_matcher,
            object_matcher,
        })
    }
}

fn glob(pattern: &str) -> std::result::Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern.trim())
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .map(|g: Glob| g.compile_matcher())
}

fn glob_set(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = GlobBuilder::new(p.trim()).case_insensitive(true).build() {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

fn make_scope(
    clusters: Vec<String>,
    hosts: Vec<String>,
    exclude_clusters: Vec<String>,
    exclude_hosts: Vec<String>,
) -> Scope {
    let everywhere = clusters.is_empty()
        && hosts.is_empty()
        && exclude_clusters.is_empty()
        && exclude_hosts.is_empty();
    let compiled = (!everywhere).then(|| CompiledScope {
        clusters: glob_set(&clusters),
        hosts: glob_set(&hosts),
        exclude_clusters: glob_set(&exclude_clusters),
        exclude_hosts: glob_set(&exclude_hosts),
    });
    Scope {
        clusters,
        hosts,
        exclude_clusters,
        exclude_hosts,
        compiled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_a_file_relative_to_the_child_and_merges_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.toml"),
            "name = \"base\"\ndisable = [\"SVC001\"]\n[rules.GW004]\nseverity = \"error\"\n\
             [params]\nfirewall_widest_prefix = 20\nservices_off = [\"slpd\"]\n\
             [[waiver]]\nrule = \"GW001\"\nreason = \"base\"\n",
        )
        .unwrap();
        let child = dir.path().join("site.toml");
        std::fs::write(
            &child,
            "extends = \"base.toml\"\n[rules.SVC001]\nenabled = true\n\
             [params]\nfirewall_widest_prefix = 24\n[[waiver]]\nrule = \"GW002\"\nreason = \"site\"\n",
        )
        .unwrap();
        let set = RuleSet::load(&child).unwrap();
        assert_eq!(set.name, "base");
        assert!(set.is_enabled("SVC001"));
        assert_eq!(set.config("GW004").unwrap().severity, Severity::Error);
        use crate::rules::fw003_allowed_network_too_wide::FIREWALL_WIDEST_PREFIX;
        use crate::rules::svc001_service_must_be_off::SERVICES_OFF;
        assert_eq!(*set.params.get(&FIREWALL_WIDEST_PREFIX), 24);
        assert_eq!(*set.params.get(&SERVICES_OFF), ["slpd"]);
        assert_eq!(set.waivers.len(), 2);
        assert_eq!(set.origin, child.display().to_string());
    }

    #[test]
    fn extends_cycles_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        std::fs::write(&a, "extends = \"b.toml\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "extends = \"a.toml\"\n").unwrap();
        let err = RuleSet::load(&a).unwrap_err().to_string();
        assert!(err.contains("a cycle?"), "{err}");
    }

    #[test]
    fn waiver_matching_and_expiry() {
        let set = RuleSet::parse(
            Path::new("w.toml"),
            "[[waiver]]\nrule = \"multihoming\"\nhost = \"ESX-*\"\nreason = \"r\"\nexpires = \"2026-03-01\"\n",
        )
        .unwrap();
        let w = &set.waivers[0];
        assert_eq!(w.rule, "ADDR002");
        assert!(w.matches("ADDR002", "esx-01", Some("vmk3")));
        assert!(w.matches("ADDR002", "esx-01", None));
        assert!(!w.matches("ADDR001", "esx-01", None));
        assert!(!w.matches("ADDR002", "host-01", None));
        let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert!(!w.expired(day("2026-03-01")));
        assert!(w.expired(day("2026-03-02")));
    }

    #[test]
    fn waiver_expiry_may_be_a_toml_date() {
        // TOML has date literals; `expires = 2026-03-01` (unquoted) is as natural as a string.
        let waiver = |expires: &str| {
            RuleSet::parse(
                Path::new("w.toml"),
                &format!("[[waiver]]\nrule = \"GW001\"\nreason = \"r\"\nexpires = {expires}\n"),
            )
        };
        let set = waiver("2026-03-01").unwrap();
        assert_eq!(
            set.waivers[0].expires,
            chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        // A date-time or a number is not a date: located, and says what is expected.
        for bad in ["2026-03-01T10:00:00", "20260301"] {
            let err = waiver(bad).unwrap_err().to_string();
            assert!(err.starts_with("w.toml:4:11:"), "{err}");
            assert!(err.contains("expected YYYY-MM-DD"), "{err}");
        }
    }
}
