//! COV002 check-not-run: a check could not run on a host for lack of data.

use crate::findings::{Category, Severity};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    id: "COV002",
    name: "check-not-run",
    category: Category::Coverage,
    severity: Severity::Info,
    summary: "A check could not run on a host because the source did not provide the data (e.g. firewall from an RVTools import).",
    checks: "Raised by the engine once per host and missing kind of data: `netstacks`, \
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
    why: "An export that lacks firewall or switch data cannot prove those settings are right. \
        Saying what was not checked keeps a clean report from being read as a clean \
        estate.",
    remediation: "Collect live from vCenter (`vmkaudit collect --vcenter https://<vcenter> ...` or a \
        `[[vcenter]]` source in the run configuration), which reads every kind of data, \
        then run vmkaudit again.",
    checklist: "Every check could run",
    references: &["vmkaudit documentation: sources and the data each one provides"],
    needs: &[],
    params: &[],
    active: None,
    check: Check::Engine,
};
