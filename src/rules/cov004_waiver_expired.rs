//! COV004 waiver-expired: a waiver of the rule set has expired.

use crate::findings::{Category, Severity};
use crate::i18n::Msg;
use crate::msg;
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    id: "COV004",
    name: "waiver-expired",
    category: Category::Coverage,
    severity: Severity::Warning,
    summary: "A waiver in the rule set has expired: it no longer applies and its findings are reported again.",
    checks: "Raised by the engine for every `[[waiver]]` whose `expires` date is before the day \
        of the run. The finding's host is the waiver's host glob and its object the \
        waiver's object (none when the waiver covers every object); the message names the rule.",
    why: "Waivers are temporary, approved exceptions. When one runs out, someone has to fix \
        the findings or renew the approval; silently dropping it would hide that decision.",
    remediation: "Fix the waived findings, or renew the waiver by setting a new `expires = \
        \"YYYY-MM-DD\"` (with the approval noted in `reason`), or delete the waiver.",
    fix: None,
    checklist: "No expired waivers",
    references: &["vmkaudit documentation: rule sets and waivers"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};

/// The message and remediation of COV004 for the waiver of rule `id` on hosts `host` (object
/// `object`) that expired on `date`; `origin` is the rule set that holds it.
pub fn messages(
    id: &str,
    host: &str,
    object: &str,
    date: &str,
    reason: &str,
    origin: &str,
) -> (Msg, Msg) {
    (
        msg!(
            "COV004.message",
            "The waiver for {id} on hosts `{host}` (object `{object}`) expired on {date} (reason given: {reason}). It no longer applies: its findings are reported again.",
            id,
            host,
            object,
            date,
            reason,
        ),
        msg!(
            "COV004.fix",
            "Fix the findings of {id} on these hosts, or, if the exception is still justified and approved, set a new `expires` date for this waiver in the rule set ({origin}).",
            id,
            origin,
        ),
    )
}
