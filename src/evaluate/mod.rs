//! Evaluation: run the rule set over the inventory and produce the findings.
//!
//! PLACEHOLDER (foundation step): the rule engine and catalog land with the rule-engine issue.
//! Until then this produces no rule findings, only the summary counts.

use std::path::Path;

use crate::error::Result;
use crate::findings::{summarize, FindingsFile, SCHEMA_VERSION};
use crate::i18n::Lang;
use crate::model::Inventory;

/// A rule set (`rules/*.toml`).
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub name: String,
}

impl RuleSet {
    pub fn builtin_default() -> RuleSet {
        RuleSet {
            name: "default".into(),
        }
    }

    pub fn load(path: &Path) -> Result<RuleSet> {
        crate::fsutil::read_text(path)?;
        Ok(RuleSet {
            name: path.display().to_string(),
        })
    }
}

/// Evaluate `inv` against `rules`.
pub fn evaluate(
    inv: &Inventory,
    rules: &RuleSet,
    lang: Lang,
    now: chrono::DateTime<chrono::Local>,
) -> FindingsFile {
    let findings = Vec::new();
    FindingsFile {
        schema_version: SCHEMA_VERSION,
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        rule_set: Some(rules.name.clone()),
        checked_rules: Vec::new(),
        language: Some(lang.code().to_string()),
        sources: inv.sources.clone(),
        summary: summarize(&findings, inv.hosts.len(), inv.vmk_count(), Vec::new()),
        findings,
        previous_run: None,
        resolved: Vec::new(),
    }
}
