//! MTU004 mtu-out-of-range: a vmk's MTU is outside 1280..9000.

use crate::findings::{Category, Severity};
use crate::msg;
use crate::rules::net;
use crate::rules::{Check, Data, Hit, HostCtx, Rule};

/// The smallest MTU IPv6 allows and the largest ESXi supports.
pub const MIN: u32 = 1280;
pub const MAX: u32 = 9000;

pub static RULE: Rule = Rule {
    id: "MTU004",
    name: "mtu-out-of-range",
    category: Category::Mtu,
    severity: Severity::Error,
    summary: "A vmk's MTU is outside 1280..9000.",
    checks: "Reports every vmk whose MTU is below 1280 or above 9000. Object: the vmk.",
    why: "ESXi supports VMkernel MTUs up to 9000; IPv6 needs at least 1280. A value outside \
        that range comes from a typo or a broken import and either fails to apply or \
        fragments every packet.",
    remediation:
        "Set a supported MTU (1500, or 9000 for jumbo frames end to end): `esxcli network ip \
        interface set -i vmkN -m 1500` (PowerCLI: `Set-VMHostNetworkAdapter -Mtu 1500`).",
    fix: None,
    checklist: "MTU within 1280..9000",
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
            msg!(
                "MTU004.message",
                "{dev} has MTU {mtu}, outside the supported range {MIN}..{MAX}.",
                dev,
                mtu,
                MIN,
                MAX,
            ),
            msg!(
                "MTU004.fix",
                "Set a supported MTU: esxcli network ip interface set -i {dev} -m 1500 (or 9000 where the network carries jumbo frames end to end).",
                dev,
            ),
        ));
    }
    hits
}
