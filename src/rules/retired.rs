//! Rules and parameters that were retired: a rule set (or `vmkaudit rules`) that names one gets
//! an error that says what replaced it, instead of a bare "unknown rule".
//!
//! A retired rule is not an alias of its replacement: the replacement looks at another object
//! (FW004 named firewall rulesets such as `sshServer`, SVC001 names host services such as
//! `TSM-SSH`), so a waiver, scope or parameter written for the old rule would silently mean
//! something else. Editing the rule set is one line, and the message says which.

/// A rule that no longer exists.
#[derive(Debug)]
pub struct RetiredRule {
    pub id: &'static str,
    pub name: &'static str,
    /// What replaced it and how to change a rule set (English; rule-set errors are English).
    pub replaced_by: &'static str,
}

/// Every retired rule.
pub static RULES: &[RetiredRule] = &[RetiredRule {
    id: "FW004",
    name: "service-must-be-disabled",
    replaced_by: "it was replaced by SVC001 (service-must-be-off), which checks the host \
        services themselves (TSM-SSH, TSM, slpd, sfcbd-watchdog running or starting with the \
        host) instead of firewall rulesets: write SVC001 instead, and in a waiver name the \
        service (object = \"TSM-SSH\") instead of the ruleset (sshServer)",
}];

/// Every retired `[params]` key and what replaced it.
pub static PARAMS: &[(&str, &str)] = &[(
    "disabled_rulesets",
    "it belonged to the retired FW004; SVC001 reads `services_off`, a list of host service \
     keys: sshServer → \"TSM-SSH\", CIMSLP → \"slpd\" (and \"sfcbd-watchdog\" for CIM), e.g. \
     services_off = [\"TSM-SSH\", \"TSM\", \"slpd\"]",
)];

/// The retired rule with this ID or name (case-insensitive).
pub fn rule(id_or_name: &str) -> Option<&'static RetiredRule> {
    let key = id_or_name.trim();
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// The error text for a rule set that names retired rule `r` as `key`.
pub fn rule_message(key: &str, r: &RetiredRule) -> String {
    format!("rule `{key}` ({}) was retired: {}", r.id, r.replaced_by)
}

/// What replaced the retired parameter `name`, if it is one.
pub fn param(name: &str) -> Option<&'static str> {
    PARAMS
        .iter()
        .find(|(n, _)| *n == name.trim())
        .map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_names_are_not_registered() {
        for r in RULES {
            assert!(crate::rules::find(r.id).is_none() && crate::rules::find(r.name).is_none());
            assert!(rule(&r.id.to_lowercase()).is_some() && rule(r.name).is_some());
        }
        for (p, _) in PARAMS {
            assert!(crate::rules::param::find(p).is_none(), "{p}");
        }
    }
}
