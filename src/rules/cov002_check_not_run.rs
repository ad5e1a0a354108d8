//! COV002 check-not-run: a check could not run on a host for lack of data.

use crate::findings::{Category, Severity};
use crate::rules::{Check, Doc, Rule};

pub static RULE: Rule = Rule {
    id: "COV002",
    name: "check-not-run",
    category: Category::Coverage,
    severity: Severity::Info,
    summary: Doc {
        en: "A check could not run on a host because the source did not provide the data (e.g. firewall from an RVTools import).",
        zh: "由于数据源未提供所需数据（例如 RVTools 导入中没有防火墙信息），某项检查无法在主机上运行。",
    },
    checks: Doc {
        en: "Raised by the engine once per host and missing kind of data: `netstacks`, \
             `switches` or `firewall` missing for the host (the rules that need it do not run \
             there), or `services`, `vlan`, `mtu` or `ipv4` (address and netmask) unknown for some vmks (the rules skip those \
             vmks). The message names the vmks and the rules; when a live source refused the \
             vSphere property (`not_collected` in the inventory), it also names the property and \
             the missing privilege. Data that an imported RVTools or PowerCLI file provides for \
             none of its hosts (its format does not carry it, or a column the checks need is \
             missing or empty) is one finding on the file instead, not one per host: its host is \
             the file, and its message says for how many hosts which rules could not run and \
             why; the report lists those rules under each host's details and the checklist shows \
             them as not checked. `not_checked` lists the rule IDs and the summary counts the \
             hosts per rule. Object: the kind of data.",
        zh: "由引擎对每台主机、每种缺失的数据各生成一条：主机缺少 `netstacks`、`switches` 或 `firewall`（需要这些\
             数据的规则不会在该主机上运行），或部分适配器的 `services`、`vlan`、`mtu`、`ipv4`（地址和子网掩码）未知（规则会跳过这些\
             适配器）。消息中列出相关适配器和规则；若实时数据源拒绝提供该 vSphere 属性（清单中的 `not_collected`），消息还会列出该属性及缺少的权限。\
             导入的 RVTools 或 PowerCLI 文件对其所有主机都未提供的数据（其格式不包含该数据，或检查所需的列缺失或为空）\
             只针对该文件生成一条发现项，而不是每台主机一条：发现项的主机为该文件，消息说明哪些规则在多少台主机上无法运行及其原因；\
             报告在每台主机的详细信息中列出这些规则，检查清单将其显示为未检查。`not_checked` 列出规则 ID，摘要按规则统计主机数量。对象：缺失\
             的数据种类。",
    },
    why: Doc {
        en: "An export that lacks firewall or switch data cannot prove those settings are right. \
             Saying what was not checked keeps a clean report from being read as a clean \
             estate.",
        zh: "缺少防火墙或交换机数据的导出文件无法证明这些设置是正确的。注明哪些内容未检查，可以避免把“报告无问题”\
             误读为“环境无问题”。",
    },
    remediation: Doc {
        en: "Collect live from vCenter (`vmkaudit collect --vcenter https://<vcenter> ...` or a \
             `[[vcenter]]` source in the run configuration), which reads every kind of data, \
             then run vmkaudit again.",
        zh: "通过 vCenter 实时收集（`vmkaudit collect --vcenter https://<vcenter> ...`，或在运行配置中添加 \
             `[[vcenter]]` 数据源），即可读取所有类型的数据，然后重新运行 vmkaudit。",
    },
    references: &["vmkaudit documentation: sources and the data each one provides"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};
