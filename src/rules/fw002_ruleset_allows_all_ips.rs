//! FW002 ruleset-allows-all-ips: an enabled firewall ruleset accepts every IP address.

use crate::findings::{Category, Severity};
use crate::rules::{net, Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

pub static RULE: Rule = Rule {
    id: "FW002",
    name: "ruleset-allows-all-ips",
    category: Category::Firewall,
    severity: Severity::Warning,
    summary: Doc {
        en: "An enabled firewall ruleset accepts connections from all IP addresses.",
        zh: "已启用的防火墙规则集接受来自所有 IP 地址的连接。",
    },
    checks: Doc {
        en: "Reports every enabled ruleset with \"Allow connections from any IP address\" set, \
             except the rulesets listed in `firewall_exempt_rulesets`. By default these are \
             `dhcp`, `DHCPv6` and `dns`: client-side rulesets whose peers the host only learns at \
             run time, so restricting them breaks the host. Rulesets that vSphere 8.0 U2+ makes \
             system-owned (allowed IPs not user-configurable, which DISA does not count) can be \
             added there. Object: the ruleset key.",
        zh: "报告每个启用了“允许来自任何 IP 地址的连接”的已启用规则集，`firewall_exempt_rulesets` 中列出的规则集\
             除外。默认豁免 `dhcp`、`DHCPv6` 和 `dns`：这些客户端规则集的对端只有在运行时才能确定，限制它们\
             只会让主机无法正常工作。vSphere 8.0 U2 起归系统所有的规则集（允许的 IP 不可由用户配置，DISA 不将其\
             计为不合规）也可以加入该列表。对象：规则集名称。",
    },
    why: Doc {
        en: "A ruleset open to any address exposes the service (SSH, CIM, vMotion, NFC, SNMP...) \
             to every network that can reach the host. Restricting it to the management or \
             service networks that need it shrinks the attack surface.",
        zh: "对任意地址开放的规则集会把相应服务（SSH、CIM、vMotion、NFC、SNMP 等）暴露给所有能访问该主机的网络。\
             将其限制为确实需要访问的管理网络或业务网络，可以缩小攻击面。",
    },
    remediation: Doc {
        en: "Restrict the ruleset: `esxcli network firewall ruleset set -r <ruleset> \
             --allowed-all false` and `esxcli network firewall ruleset allowedip add -r <ruleset> \
             -i <network/prefix>` (vSphere Client: Host > Configure > Firewall > Edit > untick \
             \"Allow connections from any IP address\"; PowerCLI via Get-EsxCli -V2 \
             network.firewall.ruleset.set with allowedall = $false).",
        zh: "限制规则集：`esxcli network firewall ruleset set -r <规则集> --allowed-all false`，再执行 \
             `esxcli network firewall ruleset allowedip add -r <规则集> -i <网络/前缀>`（vSphere Client：主机 > \
             配置 > 防火墙 > 编辑 > 取消勾选“允许来自任何 IP 地址的连接”；PowerCLI 可通过 Get-EsxCli -V2 的 \
             network.firewall.ruleset.set 设置 allowedall = $false）。",
    },
    references: &["DISA STIG ESXI-80-000239", "DISA STIG ESXI-70-000056"],
    needs: &[Data::Firewall],
    params: &["firewall_exempt_rulesets"],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    net::enabled_rulesets(ctx.host, |r| {
        r.all_ip && !ctx.params.firewall_exempt_rulesets.contains(r.key.trim())
    })
        .into_iter()
        .map(|r| {
            let key = &r.key;
            ctx.hit(
                Some(key),
                text!(
                    "Firewall ruleset {key} is enabled and accepts connections from any IP address.",
                    "防火墙规则集 {key} 已启用，并接受来自任何 IP 地址的连接。"
                ),
                text!(
                    "Allow only the networks that need it: esxcli network firewall ruleset set -r {key} --allowed-all false; esxcli network firewall ruleset allowedip add -r {key} -i <network/prefix>. If {key} is not needed, disable it: esxcli network firewall ruleset set -r {key} -e false.",
                    "只允许确实需要的网络访问：esxcli network firewall ruleset set -r {key} --allowed-all false；esxcli network firewall ruleset allowedip add -r {key} -i <网络/前缀>。如果不需要 {key}，请将其禁用：esxcli network firewall ruleset set -r {key} -e false。"
                ),
            )
        })
        .collect()
}
