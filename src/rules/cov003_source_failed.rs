//! COV003 source-failed: a source could not be collected.

use crate::findings::{Category, Severity};
use crate::i18n::Msg;
use crate::model::Source;
use crate::msg;
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    id: "COV003",
    name: "source-failed",
    category: Category::Coverage,
    severity: Severity::Warning,
    summary: "A source (vCenter, ESXi host or file) could not be collected: its hosts are missing from the report.",
    checks: "Raised by the engine for every inventory source that carries an error. The \
        finding's host is the source's name (its URL or file path). Object: none.",
    why: "A vCenter that could not be reached leaves all its hosts unchecked; without this \
        finding the report would look complete.",
    remediation: "Check the source's address, credentials (environment variable or password file), \
        CA certificate and network path, then run vmkaudit again.",
    fix: None,
    checklist: "Every source was collected",
    references: &["vmkaudit documentation: sources and credentials"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Source(check),
};

/// The message and remediation of COV003 for source `name`, which failed with `err`.
pub fn messages(name: &str, err: &str) -> (Msg, Msg) {
    (
        msg!(
            "COV003.message",
            "Source {name} could not be collected: {err}. Its hosts are missing from this report.",
            name,
            err,
        ),
        msg!(
            "COV003.fix",
            "Check the address, credentials and certificate of {name} and that it is reachable, then run vmkaudit again.",
            name,
        ),
    )
}

fn check(source: &Source) -> Option<(Msg, Msg)> {
    let err = source.error.as_deref()?;
    Some(messages(&source.name, err))
}
