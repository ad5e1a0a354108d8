//! MTU004 mtu-out-of-range: a vmk's MTU is outside 1280..9000.

use crate::findings::{Category, Severity};
use crate::rules::net;
use crate::rules::{Check, Data, Doc, Hit, HostCtx, Rule};
use crate::text;

/// The smallest MTU IPv6 allows and the largest ESXi supports.
pub const MIN: u32 = 1280;
pub const MAX: u32 = 9000;

pub static RULE: Rule = Rule {
    id: "MTU004",
    name: "mtu-out-of-range",
    category: Category::Mtu,
    severity: Severity::Error,
    summary: Doc {
        en: "A vmk's MTU is outside 1280..9000.",
        zh: "VMkernel 适配器的 MTU 不在 1280..9000 范围内。",
    },
    checks: Doc {
        en: "Reports every vmk whose MTU is below 1280 or above 9000. Object: the vmk.",
        zh: "报告 MTU 小于 1280 或大于 9000 的每个 VMkernel 适配器。对象：该适配器。",
    },
    why: Doc {
        en: "ESXi supports VMkernel MTUs up to 9000; IPv6 needs at least 1280. A value outside \
             that range comes from a typo or a broken import and either fails to apply or \
             fragments every packet.",
        zh: "ESXi 支持的 VMkernel MTU 最大为 9000；IPv6 要求至少 1280。超出此范围的值通常来自输入错误或导入异常，\
             要么无法生效，要么导致每个数据包都被分片。",
    },
    remediation: Doc {
        en: "Set a supported MTU (1500, or 9000 for jumbo frames end to end): `esxcli network ip \
             interface set -i vmkN -m 1500` (PowerCLI: `Set-VMHostNetworkAdapter -Mtu 1500`).",
        zh: "设置受支持的 MTU（1500，或端到端启用巨型帧时为 9000）：`esxcli network ip interface set -i vmkN \
             -m 1500`（PowerCLI：`Set-VMHostNetworkAdapter -Mtu 1500`）。",
    },
    references: &["vSphere Networking: Jumbo frames (MTU up to 9000)"],
    needs: &[Data::Mtu],
    params: &[],
    active: None,
    check: Check::Host(check),
};

fn check(ctx: &HostCtx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for vmk in net::sorted_vmks(ctx.host) {
        let Some(mtu) = vmk.mtu else { continue };
        if (MIN..=MAX).contains(&mtu) {
            continue;
        }
        let dev = &vmk.device;
        hits.push(ctx.hit(
            Some(dev),
            text!(
                "{dev} has MTU {mtu}, outside the supported range {MIN}..{MAX}.",
                "{dev} 的 MTU 为 {mtu}，超出支持范围 {MIN}..{MAX}。"
            ),
            text!(
                "Set a supported MTU: esxcli network ip interface set -i {dev} -m 1500 (or 9000 where the network carries jumbo frames end to end).",
                "请设置受支持的 MTU：esxcli network ip interface set -i {dev} -m 1500（若网络端到端支持巨型帧，则为 9000）。"
            ),
        ));
    }
    hits
}
