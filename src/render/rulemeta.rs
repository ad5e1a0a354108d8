//! Rule metadata for the reports: one-line summaries (tooltips, not-checked list) from the rule
//! catalog ([`crate::rules::REGISTRY`]), and the checklist wording of each rule.
//!
//! A rule's summary describes the problem it finds ("more than one default gateway..."); a
//! checklist item states what must hold ("one default gateway per TCP/IP stack"), so that
//! "PASS" reads right. The items below are that presentation, per rule ID; a unit test keeps
//! them complete for the catalog. An ID the catalog does not know is shown as-is.

use crate::findings::Category;
use crate::i18n::Lang;
use crate::rules::DocField;

/// `(id, short name, English checklist item, Chinese checklist item)`.
const ITEMS: &[(&str, &str, &str, &str)] = &[
    (
        "GW001",
        "multiple-default-gateways",
        "One default gateway per TCP/IP stack",
        "每个 TCP/IP 堆栈只有一个默认网关",
    ),
    (
        "GW002",
        "gateway-unreachable",
        "Stack gateway lies in a vmk subnet",
        "堆栈默认网关位于其 vmk 子网内",
    ),
    (
        "GW003",
        "override-gateway-outside-subnet",
        "vmk gateway override lies in the vmk's subnet",
        "vmk 网关覆盖位于该 vmk 的子网内",
    ),
    (
        "GW004",
        "management-stack-no-gateway",
        "Management stack has a default gateway",
        "管理堆栈配置了默认网关",
    ),
    (
        "SEP001",
        "management-shared",
        "Management vmk carries no other separated traffic",
        "管理 vmk 不承载其他需隔离的流量",
    ),
    (
        "SEP002",
        "multiple-traffic-types",
        "One separated traffic type per vmk",
        "每个 vmk 只承载一种需隔离的流量",
    ),
    (
        "SEP003",
        "traffic-shares-network",
        "Separated traffic types use different subnets, port groups and VLANs",
        "不同类型的流量使用不同的子网、端口组和 VLAN",
    ),
    (
        "SEP004",
        "unexpected-vlan",
        "Services are on their expected VLANs",
        "各服务位于预期的 VLAN",
    ),
    (
        "SEP005",
        "vmotion-missing",
        "Every host of a cluster has a vMotion vmk",
        "集群中每台主机都有 vMotion vmk",
    ),
    (
        "MTU001",
        "mtu-above-switch",
        "vmk MTU does not exceed its switch's MTU",
        "vmk MTU 不超过所在交换机的 MTU",
    ),
    (
        "MTU002",
        "cluster-mtu-mismatch",
        "Same MTU for a service across the cluster",
        "集群内同一服务的 MTU 一致",
    ),
    (
        "MTU003",
        "subnet-mtu-mismatch",
        "Same MTU within a subnet",
        "同一子网内 MTU 一致",
    ),
    (
        "MTU004",
        "mtu-out-of-range",
        "MTU within 1280..9000",
        "MTU 在 1280 至 9000 之间",
    ),
    (
        "FW001",
        "firewall-default-allow",
        "Firewall blocks by default",
        "防火墙默认阻止流量",
    ),
    (
        "FW002",
        "ruleset-allows-all-ips",
        "Enabled firewall rulesets are restricted to allowed IPs",
        "已启用的防火墙规则集限制了允许的 IP",
    ),
    (
        "FW003",
        "allowed-network-too-wide",
        "Firewall allowed networks are narrow and authorised",
        "防火墙允许的网络范围足够小且经过授权",
    ),
    (
        "FW004",
        "service-must-be-disabled",
        "Services that must stay disabled are disabled",
        "必须禁用的服务处于禁用状态",
    ),
    (
        "ADDR001",
        "duplicate-ip",
        "No duplicate vmk IPv4 address",
        "没有重复的 vmk IPv4 地址",
    ),
    (
        "ADDR002",
        "multihoming",
        "No two vmks of one stack in one subnet",
        "同一堆栈的 vmk 不在同一子网",
    ),
    (
        "ADDR003",
        "dhcp-on-service-vmk",
        "No DHCP on vMotion, vSAN, FT or storage vmks",
        "vMotion、vSAN、FT 和存储 vmk 不使用 DHCP",
    ),
    (
        "ADDR004",
        "invalid-address",
        "Valid IPv4 addresses and netmasks",
        "IPv4 地址和子网掩码有效",
    ),
    (
        "ADDR005",
        "service-subnets-unroutable",
        "A service's subnets can reach each other",
        "同一服务的各子网之间可以互通",
    ),
    (
        "COV001",
        "host-not-connected",
        "Every host is connected",
        "所有主机均已连接",
    ),
    (
        "COV002",
        "check-not-run",
        "Every check could run",
        "所有检查均已运行",
    ),
    (
        "COV003",
        "source-failed",
        "Every source was collected",
        "所有数据来源均已采集",
    ),
    (
        "COV004",
        "waiver-expired",
        "No expired waivers",
        "没有过期的豁免",
    ),
];

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

/// The catalog's one-line summary of rule `id` (the problem it finds) in `lang`.
pub fn summary(id: &str, lang: Lang) -> Option<String> {
    crate::rules::find(id).map(|r| r.doc(DocField::Summary, lang).to_string())
}

/// The checklist item of rule `id` in `lang` (what must hold for it to pass); the catalog
/// summary for a rule without one.
pub fn checklist_item(id: &str, lang: Lang) -> Option<String> {
    match ITEMS.iter().find(|r| r.0 == id) {
        Some(r) => Some(if lang.is_source() { r.2 } else { r.3 }.to_string()),
        None => summary(id, lang),
    }
}

/// A not-checked reason (a [`crate::rules::Data`] name or "host not connected") as words in
/// `lang`, starting with a capital; an unknown reason unchanged.
pub fn reason(reason: &str, lang: Lang) -> String {
    let words = if let Some(d) = crate::rules::Data::ALL
        .iter()
        .find(|d| d.as_str() == reason)
    {
        d.label().render(lang)
    } else if reason == "host not connected" {
        super::labels::label(lang, "reason_not_connected").to_string()
    } else {
        return reason.to_string();
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
    fn every_catalog_rule_has_a_checklist_item_in_both_languages() {
        for rule in crate::rules::REGISTRY {
            let item = ITEMS.iter().find(|r| r.0 == rule.id);
            let (_, name, en, zh) =
                item.unwrap_or_else(|| panic!("no checklist item for {}", rule.id));
            assert_eq!(*name, rule.name, "{}", rule.id);
            assert!(!en.is_empty() && !zh.is_empty(), "{}", rule.id);
        }
        assert_eq!(
            ITEMS.len(),
            crate::rules::REGISTRY.len(),
            "an item for a rule that is gone"
        );
        assert_eq!(
            checklist_item("MTU001", Lang::ZhCn).as_deref(),
            Some("vmk MTU 不超过所在交换机的 MTU")
        );
        assert_eq!(summary("NOPE", Lang::En), None);
        assert!(is_coverage("COV002") && !is_coverage("GW001"));
        assert_eq!(reason("firewall", Lang::ZhCn), "主机防火墙配置");
        assert_eq!(reason("host not connected", Lang::ZhCn), "主机未连接");
        assert_eq!(
            reason("firewall", Lang::En),
            "The host firewall configuration"
        );
        assert_eq!(reason("other", Lang::ZhCn), "other");
    }
}
