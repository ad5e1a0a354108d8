//! COV001 host-not-connected: a host is not connected, so nothing was checked on it.

use crate::findings::{Category, Severity};
use crate::i18n::Msg;
use crate::model::Host;
use crate::msg;
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    id: "COV001",
    name: "host-not-connected",
    category: Category::Coverage,
    severity: Severity::Info,
    summary:
        "A host is not connected (disconnected or not responding): none of its vmks were checked.",
    checks: "Raised by the engine for every host whose vSphere connection state is not \
        `connected`. No other rule runs on such a host; the finding's `not_checked` lists \
        the rules that were skipped. Object: none.",
    why: "The configuration vCenter holds for a disconnected host may be stale, and the host \
        itself may be down or isolated. The report must say it was not checked rather \
        than count it as healthy.",
    remediation:
        "Reconnect the host (vSphere Client: right-click > Connection > Connect; PowerCLI: \
        `Get-VMHost <host> | Set-VMHost -State Connected`) or remove it from inventory if it \
        was retired, then run vmkaudit again.",
    fix: None,
    checklist: "Every host is connected",
    references: &["vSphere vCenter Server and Host Management: Reconnect a managed host"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Disconnected(check),
};

/// The message and remediation of COV001 for host `name` in connection state `state`.
pub fn messages(name: &str, state: &str) -> (Msg, Msg) {
    (
        msg!(
            "COV001.message",
            "Host {name} is {state} in vCenter, so its configuration could not be read: none of its vmks were checked.",
            name,
            state,
        ),
        msg!(
            "COV001.fix",
            "Reconnect the host (vSphere Client: right-click the host > Connection > Connect; PowerCLI: Get-VMHost {name} | Set-VMHost -State Connected), then run vmkaudit again.",
            name,
        ),
    )
}

fn check(host: &Host) -> Option<(Msg, Msg)> {
    let state = host.connection_state.as_deref().unwrap_or("unknown");
    Some(messages(&host.name, state))
}
