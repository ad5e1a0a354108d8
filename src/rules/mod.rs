//! The rule catalog: one rule per file, declared once, registered in one slice.
//!
//! PLACEHOLDER (foundation step): the catalog lands with the rule-engine issue.

use crate::cli::RulesFormat;
use crate::error::Result;
use crate::evaluate::RuleSet;

/// Text for `vmkaudit rules [ID]`.
pub fn describe(_id: Option<&str>, _set: &RuleSet, _format: RulesFormat) -> Result<String> {
    Ok(String::new())
}
