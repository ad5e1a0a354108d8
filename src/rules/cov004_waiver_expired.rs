//! COV004 waiver-expired: a waiver of the rule set has expired.

use crate::findings::{Category, Severity};
use crate::rules::{Check, Doc, Rule};

pub static RULE: Rule = Rule {
    id: "COV004",
    name: "waiver-expired",
    category: Category::Coverage,
    severity: Severity::Warning,
    summary: Doc {
        en: "A waiver in the rule set has expired: it no longer applies and its findings are reported again.",
        zh: "规则集中的某项豁免已过期：它不再生效，相关发现项将重新报告。",
    },
    checks: Doc {
        en: "Raised by the engine for every `[[waiver]]` whose `expires` date is before the day \
             of the run. The finding's host is the waiver's host glob and its object the \
             waiver's object (none when the waiver covers every object); the message names the rule.",
        zh: "对 `expires` 日期早于运行当天的每个 `[[waiver]]`，由引擎生成。发现项的主机为该豁免的主机通配符，\
             对象为该豁免的对象（豁免覆盖所有对象时为空）；消息中注明规则。",
    },
    why: Doc {
        en: "Waivers are temporary, approved exceptions. When one runs out, someone has to fix \
             the findings or renew the approval; silently dropping it would hide that decision.",
        zh: "豁免是经过批准的临时例外。豁免到期后，需要有人修复相关问题或重新审批；悄无声息地失效会掩盖这一决策。",
    },
    remediation: Doc {
        en: "Fix the waived findings, or renew the waiver by setting a new `expires = \
             \"YYYY-MM-DD\"` (with the approval noted in `reason`), or delete the waiver.",
        zh: "修复被豁免的发现项，或设置新的 `expires = \"YYYY-MM-DD\"` 续期（并在 `reason` 中注明审批信息），\
             或删除该豁免。",
    },
    references: &["vmkaudit documentation: rule sets and waivers"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};
