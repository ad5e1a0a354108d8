//! COV001 host-not-connected: a host is not connected, so nothing was checked on it.

use crate::findings::{Category, Severity};
use crate::rules::{Check, Doc, Rule};

pub static RULE: Rule = Rule {
    id: "COV001",
    name: "host-not-connected",
    category: Category::Coverage,
    severity: Severity::Info,
    summary: Doc {
        en: "A host is not connected (disconnected or not responding): none of its vmks were checked.",
        zh: "主机未连接（已断开或无响应）：其 VMkernel 适配器均未检查。",
    },
    checks: Doc {
        en: "Raised by the engine for every host whose vSphere connection state is not \
             `connected`. No other rule runs on such a host; the finding's `not_checked` lists \
             the rules that were skipped. Object: none.",
        zh: "对 vSphere 连接状态不是 `connected` 的每台主机，由引擎生成。此类主机上不运行任何其他规则；发现项的 \
             `not_checked` 列出被跳过的规则。对象：无。",
    },
    why: Doc {
        en: "The configuration vCenter holds for a disconnected host may be stale, and the host \
             itself may be down or isolated. The report must say it was not checked rather \
             than count it as healthy.",
        zh: "vCenter 中保存的已断开主机的配置可能已经过时，主机本身也可能已宕机或被隔离。报告必须说明该主机未被\
             检查，而不是把它算作健康。",
    },
    remediation: Doc {
        en: "Reconnect the host (vSphere Client: right-click > Connection > Connect; PowerCLI: \
             `Get-VMHost <host> | Set-VMHost -State Connected`) or remove it from inventory if it \
             was retired, then run vmkaudit again.",
        zh: "重新连接主机（vSphere Client：右键单击 > 连接 > 连接；PowerCLI：`Get-VMHost <主机> | Set-VMHost \
             -State Connected`），如果主机已退役则将其从清单中移除，然后重新运行 vmkaudit。",
    },
    references: &["vSphere vCenter Server and Host Management: Reconnect a managed host"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};
