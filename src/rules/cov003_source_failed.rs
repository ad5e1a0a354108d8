//! COV003 source-failed: a source could not be collected.

use crate::findings::{Category, Severity};
use crate::rules::{Check, Doc, Rule};

pub static RULE: Rule = Rule {
    id: "COV003",
    name: "source-failed",
    category: Category::Coverage,
    severity: Severity::Warning,
    summary: Doc {
        en: "A source (vCenter, ESXi host or file) could not be collected: its hosts are missing from the report.",
        zh: "某个数据源（vCenter、ESXi 主机或文件）无法收集：其主机未出现在报告中。",
    },
    checks: Doc {
        en: "Raised by the engine for every inventory source that carries an error. The \
             finding's host is the source's name (its URL or file path). Object: none.",
        zh: "对每个带有错误信息的清单数据源，由引擎生成。发现项的主机为数据源名称（其 URL 或文件路径）。对象：无。",
    },
    why: Doc {
        en: "A vCenter that could not be reached leaves all its hosts unchecked; without this \
             finding the report would look complete.",
        zh: "无法连接的 vCenter 会导致其所有主机都未被检查；没有这条发现项，报告看起来就像是完整的。",
    },
    remediation: Doc {
        en: "Check the source's address, credentials (environment variable or password file), \
             CA certificate and network path, then run vmkaudit again.",
        zh: "请检查数据源的地址、凭据（环境变量或密码文件）、CA 证书和网络路径，然后重新运行 vmkaudit。",
    },
    references: &["vmkaudit documentation: sources and credentials"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};
