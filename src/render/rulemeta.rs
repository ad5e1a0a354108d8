//! Rule metadata for the reports, from the rule declarations ([`crate::rules::REGISTRY`]) in the
//! report language: one-line summaries (tooltips, not-checked list) and checklist items.
//!
//! A rule's summary describes the problem it finds ("more than one default gateway..."); its
//! checklist item states what must hold ("one default gateway per TCP/IP stack"), so that "PASS"
//! reads right. An ID the registry does not know is shown as-is.

use crate::findings::{Category, Reason};
use crate::i18n::Lang;
use crate::rules::DocField;

/// The rule ID of "a check could not run" coverage findings.
pub const CHECK_NOT_RUN: &str = crate::rules::ids::CHECK_NOT_RUN;
/// The rule ID of "host not connected" coverage findings.
pub const HOST_NOT_CONNECTED: &str = crate::rules::ids::HOST_NOT_CONNECTED;

/// Whether rule `id` is a coverage rule (about what could be checked, not about the
/// configuration).
pub fn is_coverage(id: &str) -> bool {
    match crate::rules::find(id) {
        Some(r) => r.category == Category::Coverage,
        None => id.starts_with("COV"),
    }
}

/// Whether rule `id` checks hosts one by one (a host, estate or disconnected-host check), so
/// that it can pass or fail per host; not a check of sources (COV003) or one the engine raises
/// (COV002, COV004). An ID the registry does not know counts as one.
pub fn checks_hosts(id: &str) -> bool {
    crate::rules::find(id).is_none_or(|r| {
        matches!(
            r.check,
            crate::rules::Check::Host(_)
                | crate::rules::Check::Estate(_)
                | crate::rules::Check::Disconnected(_)
        )
    })
}

/// The catalog's one-line summary of rule `id` (the problem it finds) in `lang`.
pub fn summary(id: &str, lang: Lang) -> Option<String> {
    crate::rules::find(id).map(|r| r.doc(DocField::Summary, lang).to_string())
}

/// The checklist item of rule `id` in `lang` (what must hold for it to pass).
pub fn checklist_item(id: &str, lang: Lang) -> Option<String> {
    crate::rules::find(id).map(|r| r.doc(DocField::Checklist, lang).to_string())
}

/// A not-checked reason as words in `lang`, starting with a capital.
pub fn reason(reason: Reason, lang: Lang) -> String {
    let words = match reason {
        Reason::Missing(d) => d.label().render(lang),
        Reason::NotConnected => super::labels::label(lang, "reason_not_connected").to_string(),
    };
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_metadata_in_both_languages() {
        assert_eq!(
            checklist_item("MTU001", Lang::ZhCn).as_deref(),
            Some("vmk MTU 不超过所在交换机的 MTU")
        );
        assert_eq!(
            checklist_item("MTU001", Lang::En).as_deref(),
            Some("vmk MTU does not exceed its switch's MTU")
        );
        assert_eq!(summary("NOPE", Lang::En), None);
        assert_eq!(checklist_item("NOPE", Lang::ZhCn), None);
        assert!(is_coverage("COV002") && !is_coverage("GW001"));
        assert!(checks_hosts("GW001") && checks_hosts("MTU002") && checks_hosts("COV001"));
        assert!(!checks_hosts("COV003") && !checks_hosts("COV004"));
        let firewall = Reason::Missing(crate::rules::Data::Firewall);
        assert_eq!(reason(firewall, Lang::ZhCn), "主机防火墙配置");
        assert_eq!(reason(Reason::NotConnected, Lang::ZhCn), "主机未连接");
        assert_eq!(
            reason(firewall, Lang::En),
            "The host firewall configuration"
        );
    }
}
