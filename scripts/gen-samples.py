#!/usr/bin/env python3
"""Generate the vmkaudit sample lab (Python 3 standard library only; deterministic).

Writes, under samples/:
  lab-inventory.json         the whole lab as a vmkaudit inventory file (schema_version 2)
  RVTools_tabvSC_VMK.csv     the same lab as RVTools' vSC_VMK tab would export it
  powercli-vmk.csv           the same lab as `Get-VMHostNetworkAdapter -VMKernel | Export-Csv`
  expected-findings.json     the planted faults and the hosts that must stay clean

The lab and every planted fault are described in samples/README.md; keep the two in step.
All addresses are private (RFC 1918 / RFC 4193) and used as data only.

Usage: python3 scripts/gen-samples.py [--check]
  --check  do not write; exit 1 if any sample file differs from what would be written.
"""

import csv
import io
import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "samples"
DOMAIN = "corp.example"

# --- rule-set parameters the lab is built for (documented in samples/README.md) -------------
EXPECTED_VLAN = {
    "management": 10,
    "vmotion": 20,
    "vsan": 30,
    "faultToleranceLogging": 40,
    "vSphereReplication": 50,
    "vSphereReplicationNFC": 50,
}
BACKUP_VLAN = 60  # vSphereBackupNFC: no expected VLAN in the rule set
ADMIN_NET = "10.8.0.0/24"  # jump hosts, NTP, syslog, backup proxies
MGMT_NET = {"sh": "10.16.10.0/24", "bj": "10.32.10.0/24"}

COLLECTED_AT = "2026-11-20T02:00:00+08:00"

SITES = {
    "sh": {
        "datacenter": "DC-Shanghai",
        "vcenter": "vc-sh-01." + DOMAIN,
        "net": "10.16",
        "mgmt_pg": "Management Network",
        "product": "VMware vCenter Server 8.0.2 build-22617221",
    },
    "bj": {
        "datacenter": "DC-Beijing",
        "vcenter": "vc-bj-01." + DOMAIN,
        "net": "10.32",
        "mgmt_pg": "管理网络",
        "product": "VMware vCenter Server 8.0.3 build-24022515",
    },
}
FAILED_VCENTER = "vc-bj-02." + DOMAIN

ESXI = {
    "7.0.3": "21930508",
    "8.0.2": "22380479",
    "8.0.3": "24022510",
}

# Clusters: name, site, letter, host count, ESXi version, distributed switch, vmk layout.
CLUSTERS = [
    {
        "name": "CL-SH-Prod",
        "site": "sh",
        "letter": "a",
        "count": 16,
        "octet": 100,
        "version": "8.0.2",
        "dvs": "DVS-SH-Prod",
        "layout": [
            ("vmotion", "dvPG-SH-Prod-vMotion", "vmotion"),
            ("vsan", "dvPG-SH-Prod-vSAN", "defaultTcpipStack"),
        ],
    },
    {
        "name": "CL-SH-DB",
        "site": "sh",
        "letter": "b",
        "count": 12,
        "octet": 200,
        "version": "7.0.3",
        "dvs": "DVS-SH-DB",
        "layout": [
            ("vmotion", "dvPG-SH-DB-vMotion", "vmotion"),
            ("faultToleranceLogging", "dvPG-SH-DB-FT", "defaultTcpipStack"),
            ("vSphereReplication", "dvPG-SH-DB-Replication", "defaultTcpipStack"),
        ],
    },
    {
        "name": "CL-BJ-Prod",
        "site": "bj",
        "letter": "c",
        "count": 14,
        "octet": 100,
        "version": "8.0.3",
        "dvs": "DVS-BJ-Prod",
        "layout": [
            ("vmotion", "DPG-BJ-vMotion", "defaultTcpipStack"),
            ("vsan", "DPG-BJ-vSAN", "defaultTcpipStack"),
        ],
    },
]

# Third octet of each service's subnet (same number as its VLAN).
SUBNET = {
    "management": 10,
    "vmotion": 20,
    "vsan": 30,
    "faultToleranceLogging": 40,
    "vSphereReplication": 50,
}

# Services each layout entry carries (replication comes with its NFC traffic: an allowed pair).
SERVICES = {
    "vSphereReplication": ["vSphereReplication", "vSphereReplicationNFC"],
}

_host_seq = [0]


def mac(host_index, vmk_index):
    return "00:50:56:6%x:%02x:%02x" % (host_index // 256, host_index % 256, vmk_index)


def vmk(device, pg, switch, kind, vlan, ip, mtu, netstack, services, mac_addr, ipv6=None):
    v = {
        "device": device,
        "portgroup": pg,
        "switch": switch,
        "switch_kind": kind,
        "vlan": vlan,
        "ipv4": ip,
        "netmask": "255.255.255.0",
        "dhcp": False,
        "mtu": mtu,
        "netstack": netstack,
        "gateway": None,
        "services": services,
        "mac": mac_addr,
    }
    if ipv6:
        v["ipv6"] = ipv6
    return v


def ruleset(key, label, enabled, all_ip, networks=()):
    return {
        "key": key,
        "label": label,
        "enabled": enabled,
        "all_ip": all_ip,
        "allowed_ips": [],
        "allowed_networks": list(networks),
    }


def firewall(site):
    mgmt = [ADMIN_NET, MGMT_NET[site]]
    return {
        "incoming_blocked": True,
        "outgoing_blocked": True,
        "rulesets": [
            ruleset("CIMSLP", "CIM SLP", False, True),
            ruleset("nfc", "NFC", True, False, mgmt),
            ruleset("ntpClient", "NTP Client", True, False, [ADMIN_NET]),
            ruleset("sshServer", "SSH Server", False, True),
            ruleset("syslog", "syslog", True, False, [ADMIN_NET]),
            ruleset("vSphereClient", "vSphere Web Client", True, False, mgmt),
            ruleset("webAccess", "vSphere Web Access", True, False, mgmt),
        ],
    }


def base_host(name, site, cluster, version, octet):
    """A host with vmk0 (management on vSwitch0) and the standard stacks and switches."""
    _host_seq[0] += 1
    idx = _host_seq[0]
    s = SITES[site]
    net = s["net"]
    ipv6 = ["fd00:%s:10::%d" % (net.split(".")[1], octet)] if site == "bj" else None
    h = {
        "name": name,
        "cluster": cluster,
        "datacenter": s["datacenter"],
        "source": "https://%s/sdk" % s["vcenter"],
        "connection_state": "connected",
        "version": version,
        "build": ESXI[version],
        "vmks": [
            vmk(
                "vmk0",
                s["mgmt_pg"],
                "vSwitch0",
                "standard",
                EXPECTED_VLAN["management"],
                "%s.10.%d" % (net, octet),
                1500,
                "defaultTcpipStack",
                ["management"],
                mac(idx, 0),
                ipv6,
            )
        ],
        "netstacks": [
            {"key": "defaultTcpipStack", "gateway": "%s.10.1" % net},
            {"key": "vmotion", "gateway": None},
            {"key": "vSphereProvisioning", "gateway": None},
        ],
        "switches": [
            {"name": "vSwitch0", "kind": "standard", "mtu": 1500, "uplinks": ["vmnic0", "vmnic1"]},
        ],
        "firewall": firewall(site),
    }
    h["_idx"] = idx
    h["_site"] = site
    return h


def cluster_hosts(c):
    hosts = []
    site = c["site"]
    net = SITES[site]["net"]
    for n in range(1, c["count"] + 1):
        octet = c["octet"] + n
        name = "esx-%s-%s%02d.%s" % (site, c["letter"], n, DOMAIN)
        h = base_host(name, site, c["name"], c["version"], octet)
        h["switches"].append(
            {"name": c["dvs"], "kind": "distributed", "mtu": 9000, "uplinks": ["vmnic2", "vmnic3"]}
        )
        for i, (svc, pg, stack) in enumerate(c["layout"], start=1):
            h["vmks"].append(
                vmk(
                    "vmk%d" % i,
                    pg,
                    c["dvs"],
                    "distributed",
                    EXPECTED_VLAN[svc],
                    "%s.%d.%d" % (net, SUBNET[svc], octet),
                    9000,
                    stack,
                    list(SERVICES.get(svc, [svc])),
                    mac(h["_idx"], i),
                )
            )
        hosts.append(h)
    return hosts


def standalone_hosts():
    s01 = base_host("esx-sh-s01." + DOMAIN, "sh", None, "8.0.3", 50)
    # A standalone host that can still be vMotion'd to/from the clusters: vMotion on its own
    # standard switch with jumbo frames, on the vmotion stack.
    s01["switches"].append(
        {"name": "vSwitch1", "kind": "standard", "mtu": 9000, "uplinks": ["vmnic2", "vmnic3"]}
    )
    s01["vmks"].append(
        vmk("vmk1", "vMotion", "vSwitch1", "standard", 20, "10.16.20.50", 9000, "vmotion",
            ["vmotion"], mac(s01["_idx"], 1))
    )
    bj1 = base_host("esx-bj-s01." + DOMAIN, "bj", None, "7.0.3", 51)
    bj2 = base_host("esx-bj-s02." + DOMAIN, "bj", None, "8.0.3", 52)
    return [s01, bj1, bj2]


def find(hosts, short):
    name = short + "." + DOMAIN
    for h in hosts:
        if h["name"] == name:
            return h
    raise KeyError(name)


def dev(h, device):
    for v in h["vmks"]:
        if v["device"] == device:
            return v
    raise KeyError(device)


def rs(h, key):
    for r in h["firewall"]["rulesets"]:
        if r["key"] == key:
            return r
    raise KeyError(key)


def plant(hosts):
    """Plant one fault per broken host. Returns (faults, notes) for expected-findings.json."""
    faults = []

    def fault(rule, short, obj, why):
        faults.append({"rule": rule, "host": short + "." + DOMAIN, "object": obj, "why": why})

    # --- gateway ---
    h = find(hosts, "esx-sh-a03")
    dev(h, "vmk2")["gateway"] = "10.16.30.1"
    fault("GW001", "esx-sh-a03", "vmk2",
          "vmk2 (vSAN) overrides the gateway with 10.16.30.1 on defaultTcpipStack, whose gateway is "
          "10.16.10.1; no other host of CL-SH-Prod routes vSAN by override")

    h = find(hosts, "esx-sh-a05")
    h["netstacks"][0]["gateway"] = "10.16.11.1"
    fault("GW002", "esx-sh-a05", None,
          "defaultTcpipStack gateway 10.16.11.1 (typo for 10.16.10.1) is outside 10.16.10.0/24 and 10.16.30.0/24")

    h = find(hosts, "esx-sh-a06")
    dev(h, "vmk1")["gateway"] = "10.16.21.1"
    fault("GW003", "esx-sh-a06", "vmk1",
          "vmk1 (vMotion, 10.16.20.106/24, vmotion stack without a gateway) overrides the gateway with 10.16.21.1")

    h = find(hosts, "esx-bj-s02")
    h["netstacks"][0]["gateway"] = None
    fault("GW004", "esx-bj-s02", None, "defaultTcpipStack has no default gateway")

    # --- separation ---
    h = find(hosts, "esx-sh-a07")
    dev(h, "vmk0")["services"] = ["management", "vSphereProvisioning"]
    fault("SEP001", "esx-sh-a07", "vmk0", "vmk0 carries management and vSphereProvisioning")

    h = find(hosts, "esx-bj-c03")
    dev(h, "vmk2")["services"] = ["vsan", "vSphereProvisioning"]
    fault("SEP002", "esx-bj-c03", "vmk2", "vmk2 carries vsan and vSphereProvisioning (not an allowed pair)")

    h = find(hosts, "esx-sh-a04")
    dev(h, "vmk2")["ipv4"] = "10.16.20.154"
    fault("SEP003", "esx-sh-a04", None,
          "vmk2 (vSAN, 10.16.20.154) sits in vmk1's vMotion subnet 10.16.20.0/24")

    h = find(hosts, "esx-bj-c05")
    v = dev(h, "vmk1")
    v["vlan"] = 21
    v["portgroup"] = "DPG-BJ-vMotion-21"
    fault("SEP004", "esx-bj-c05", "vmk1", "vmk1 (vMotion) is on VLAN 21; the rule set expects 20")

    h = find(hosts, "esx-bj-c08")
    dev(h, "vmk1")["services"] = []
    fault("SEP005", "esx-bj-c08", None,
          "vmk1 lost its vMotion tag (no vmk of the host carries vMotion; the rest of CL-BJ-Prod has one)")

    # --- mtu ---
    h = find(hosts, "esx-sh-b03")
    h["switches"].insert(
        1, {"name": "vSwitch1", "kind": "standard", "mtu": 1500, "uplinks": ["vmnic4", "vmnic5"]}
    )
    v = dev(h, "vmk2")
    v.update(portgroup="FT-Logging", switch="vSwitch1", switch_kind="standard")
    fault("MTU001", "esx-sh-b03", "vmk2",
          "vmk2 (FT logging) has MTU 9000 on standard vSwitch1 whose MTU is 1500")

    h = find(hosts, "esx-sh-a08")
    dev(h, "vmk2")["mtu"] = 1500
    fault("MTU002", "esx-sh-a08", "vmk2",
          "vmk2 (vSAN) has MTU 1500; every other vSAN vmk in CL-SH-Prod has 9000")
    fault("MTU003", "esx-sh-a08", "vmk2",
          "the same vmk2 is the only MTU 1500 adapter in 10.16.30.0/24 (the rest have 9000)")

    h = find(hosts, "esx-sh-b05")
    h["vmks"].append(
        vmk("vmk4", "dvPG-SH-DB-Backup", "DVS-SH-DB", "distributed", BACKUP_VLAN, "10.16.60.205",
            1200, "defaultTcpipStack", ["vSphereBackupNFC"], mac(h["_idx"], 4))
    )
    fault("MTU004", "esx-sh-b05", "vmk4", "vmk4 (backup NFC) has MTU 1200, below 1280")

    # --- firewall ---
    h = find(hosts, "esx-bj-c02")
    h["firewall"]["incoming_blocked"] = False
    fault("FW001", "esx-bj-c02", None, "the firewall's default policy allows incoming traffic")

    h = find(hosts, "esx-bj-c04")
    r = rs(h, "vSphereClient")
    r["all_ip"] = True
    r["allowed_networks"] = []
    fault("FW002", "esx-bj-c04", "vSphereClient", "vSphereClient is enabled and accepts all IP addresses")

    h = find(hosts, "esx-sh-a02")
    rs(h, "webAccess")["allowed_networks"] = ["10.0.0.0/8"]
    rs(h, "syslog")["allowed_networks"] = ["192.168.50.0/24"]
    fault("FW003", "esx-sh-a02", "webAccess", "webAccess allows 10.0.0.0/8: wider than /16")
    fault("FW003", "esx-sh-a02", "syslog",
          "syslog allows 192.168.50.0/24: outside the authorised management networks")

    h = find(hosts, "esx-sh-b06")
    r = rs(h, "sshServer")
    r.update(enabled=True, all_ip=False, allowed_networks=[ADMIN_NET])
    h["services"] = host_services(running={"TSM-SSH"})
    fault("SVC001", "esx-sh-b06", "TSM-SSH",
          "SSH (TSM-SSH) is running; its sshServer ruleset is restricted to the admin network, "
          "so not FW002/FW003")

    # --- addressing ---
    h = find(hosts, "esx-bj-c07")
    dev(h, "vmk1")["ipv4"] = "10.32.20.106"
    for short in ("esx-bj-c06", "esx-bj-c07"):
        fault("ADDR001", short, "vmk1", "vmk1 (vMotion) 10.32.20.106 is on both esx-bj-c06 and esx-bj-c07")

    h = find(hosts, "esx-sh-b01")
    h["vmks"].append(
        vmk("vmk4", "Management Network", "vSwitch0", "standard", 10, "10.16.10.241", 1500,
            "defaultTcpipStack", [], mac(h["_idx"], 4))
    )
    fault("ADDR002", "esx-sh-b01", None,
          "vmk4 (no services; added for an NFS mount) is in vmk0's subnet 10.16.10.0/24 on the same stack")

    h = find(hosts, "esx-sh-b02")
    dev(h, "vmk1")["dhcp"] = True
    fault("ADDR003", "esx-sh-b02", "vmk1", "vmk1 (vMotion) takes its address from DHCP")

    h = find(hosts, "esx-sh-b04")
    dev(h, "vmk3")["ipv4"] = "10.16.50.260"
    fault("ADDR004", "esx-sh-b04", "vmk3", "vmk3 (replication) has the invalid address 10.16.50.260")

    h = find(hosts, "esx-sh-a09")
    dev(h, "vmk1")["ipv4"] = "10.16.22.109"
    fault("ADDR005", "esx-sh-a09", "vmk1",
          "vmk1 (vMotion, vmotion stack without a gateway) is in 10.16.22.0/24; the rest of CL-SH-Prod is in 10.16.20.0/24")

    # --- coverage ---
    h = find(hosts, "esx-bj-s01")
    h["connection_state"] = "disconnected"
    # Stale data from before the disconnect; it carries a fault that must NOT be reported.
    rs(h, "sshServer").update(enabled=True, all_ip=False, allowed_networks=[ADMIN_NET])
    fault("COV001", "esx-bj-s01", None, "the host is disconnected (nothing else is checked on it)")

    h = find(hosts, "esx-sh-s01")
    h["firewall"] = None
    fault("COV002", "esx-sh-s01", None, "the firewall was not collected, so the firewall rules cannot run")

    faults.append({
        "rule": "COV003",
        "host": "https://%s/sdk" % FAILED_VCENTER,
        "object": None,
        "why": "the source vc-bj-02 could not be collected (recorded in the inventory's sources)",
    })
    return faults


def plant_network(hosts):
    """Plant the faults of the network rules' designs-aware checks (one per broken host), and
    record what the older faults now also trip. Returns the fault entries."""
    faults = []

    def fault(rule, short, obj, why):
        faults.append({"rule": rule, "host": short + "." + DOMAIN, "object": obj, "why": why})

    h = find(hosts, "esx-sh-a10")
    dev(h, "vmk0")["gateway"] = "10.16.10.254"
    fault("GW001", "esx-sh-a10", "vmk0",
          "vmk0 carries management and overrides the default stack's gateway 10.16.10.1 with 10.16.10.254")

    h = find(hosts, "esx-bj-c09")
    dev(h, "vmk2")["ipv4"] = "10.32.31.109"
    fault("ADDR005", "esx-bj-c09", "vmk2",
          "vmk2 (vSAN) is in 10.32.31.0/24; its vSAN traffic to the rest of CL-BJ-Prod (10.32.30.0/24) "
          "would leave through the management gateway 10.32.10.1 (no static route, override or own stack)")

    for short, bound in (("esx-sh-b07", False), ("esx-sh-b08", None)):
        h = find(hosts, short)
        for i, (n, nic) in enumerate(((4, "vmnic2"), (5, "vmnic3"))):
            v = vmk("vmk%d" % n, "dvPG-SH-DB-NFS-%s" % "AB"[i], "DVS-SH-DB", "distributed", 70,
                    "10.16.70.%d" % (100 + int(short[-2:]) + 50 * i), 9000, "defaultTcpipStack",
                    [], mac(h["_idx"], n))
            v.update(teaming={"policy": "failover_explicit", "active": [nic], "standby": []},
                     security={"promiscuous": False, "mac_changes": False,
                               "forged_transmits": False},
                     iscsi_bound=bound)
            h["vmks"].append(v)
    fault("ADDR002", "esx-sh-b07", None,
          "vmk4 and vmk5 (no services, NFS, not bound to iSCSI) share 10.16.70.0/24 on the default stack")
    fault("ADDR006", "esx-sh-b08", None,
          "vmk4 and vmk5 (no services) share 10.16.70.0/24 like iSCSI port binding; the binding is unknown (info)")

    # What older planted faults also trip under the designs-aware rules (same broken hosts).
    fault("SEP003", "esx-sh-b01", None,
          "the same vmk4 (no services: IP storage) shares vmk0's management subnet, port group and VLAN")
    fault("ADDR005", "esx-sh-a04", "vmk2",
          "the same vmk2 (vSAN moved into 10.16.20.0/24): its vSAN traffic to 10.16.30.0/24 would "
          "leave through the management gateway")
    return faults


# Host services as a hardened ESXi 8 reports them (config.service.service): the shells, SLP and
# CIM stopped with policy "off", NTP running with the host.
HOST_SERVICES = [
    ("TSM", "ESXi Shell", False, "off"),
    ("TSM-SSH", "SSH", False, "off"),
    ("ntpd", "NTP Daemon", True, "on"),
    ("sfcbd-watchdog", "CIM Server", False, "off"),
    ("slpd", "slpd", False, "off"),
]

FIREWALL_PORTS = {
    "CIMSLP": [("inbound", "udp", 427), ("inbound", "tcp", 427)],
    "nfc": [("inbound", "tcp", 902)],
    "ntpClient": [("outbound", "udp", 123)],
    "sshServer": [("inbound", "tcp", 22)],
    "syslog": [("outbound", "udp", 514), ("outbound", "tcp", 514)],
    "vSphereClient": [("inbound", "tcp", 902), ("inbound", "tcp", 443)],
    "webAccess": [("inbound", "tcp", 80)],
}


def schema2(h):
    """Fill the schema-2 fields a plant did not set: services, physical NICs, lockdown mode,
    routes, the vmks' teaming (first uplink of the switch active, the others standby), security
    policy and iSCSI binding, the firewall rules. A disconnected host has none of them."""
    connected = h["connection_state"] == "connected"
    h.setdefault("services", [
        {"key": k, "label": label, "running": running, "policy": policy}
        for k, label, running, policy in HOST_SERVICES
    ] if connected else None)
    uplinks = sorted({u for sw in (h["switches"] or []) for u in (sw.get("uplinks") or [])},
                     key=lambda n: int(n[len("vmnic"):]))
    h.setdefault("pnics", [
        {"device": u, "link_up": True, "speed_mbps": 25000, "duplex": "full"} for u in uplinks
    ] if connected else None)
    h.setdefault("lockdown_mode", "normal" if connected else None)
    for n in h["netstacks"] or []:
        n.setdefault("routes", [])
    switches = {sw["name"]: sw for sw in (h["switches"] or [])}
    for v in h["vmks"]:
        sw = switches.get(v["switch"])
        ups = (sw or {}).get("uplinks") or []
        v.setdefault("teaming", {"policy": "loadbalance_srcid", "active": ups[:1],
                                 "standby": ups[1:]} if ups else None)
        v.setdefault("security", {"promiscuous": False, "mac_changes": False,
                                  "forged_transmits": False} if sw else None)
        v.setdefault("iscsi_bound", False)
    if h["firewall"]:
        for r in h["firewall"]["rulesets"]:
            r.setdefault("rules", [
                {"direction": d, "protocol": p, "port": port}
                for d, p, port in FIREWALL_PORTS.get(r["key"], [])
            ])


def host_services(running=(), policy_on=()):
    """HOST_SERVICES with the services in `running` running and those in `policy_on` set to
    start with the host."""
    return [
        {"key": k, "label": label, "running": r or k in running,
         "policy": "on" if k in policy_on else policy}
        for k, label, r, policy in HOST_SERVICES
    ]


def plant_services_uplinks(hosts):
    """Plant the faults of the host-service, uplink and port-group rules (SVC, UPL, SEP006/007,
    SEP002 with backup NFC, FW002 by ip_list_user_configurable). Returns the faults."""
    faults = []

    def fault(rule, short, obj, why):
        faults.append({"rule": rule, "host": short + "." + DOMAIN, "object": obj, "why": why})

    def pnics(down=(), speeds=None):
        speeds = speeds or {}
        return [
            {"device": n, "link_up": n not in down,
             "speed_mbps": None if n in down else speeds.get(n, 25000),
             "duplex": None if n in down else "full"}
            for n in ("vmnic0", "vmnic1", "vmnic2", "vmnic3")
        ]

    # The lab keeps most hosts healthy: these faults go on hosts already broken by a rule of
    # another area (named in brackets), where they cannot change what that rule sees. Each host
    # gets its schema-2 defaults first (schema2 only fills what is unset, in the model's field
    # order), then the fault replaces one value.
    def host(short):
        h = find(hosts, short)
        schema2(h)
        return h

    host("esx-bj-c02")["lockdown_mode"] = "disabled"  # [FW001]
    fault("SVC002", "esx-bj-c02", None, "lockdown mode is disabled (info by default, error in stig)")

    find(hosts, "esx-sh-a02")["switches"][0]["uplinks"] = ["vmnic0"]  # [FW003]
    host("esx-sh-a02")
    fault("UPL001", "esx-sh-a02", "vmk0",
          "vSwitch0 has one uplink (vmnic0): the management network has no redundancy")

    host("esx-sh-b05")["pnics"] = pnics(down={"vmnic2", "vmnic3"})  # [MTU004]
    for d in ("vmk1", "vmk2", "vmk3", "vmk4"):
        fault("UPL002", "esx-sh-b05", d,
              "%s's uplinks vmnic2 and vmnic3 (DVS-SH-DB) are both link-down" % d)

    host("esx-bj-c04")["pnics"] = pnics(down={"vmnic2"})  # [FW002]
    for d in ("vmk1", "vmk2"):
        fault("UPL003", "esx-bj-c04", d,
              "%s's active uplink vmnic2 is down: it runs on its standby vmnic3" % d)

    h = find(hosts, "esx-sh-b03")  # [MTU001]
    h["vmks"].append(
        vmk("vmk4", "dvPG-SH-DB-iSCSI", "DVS-SH-DB", "distributed", 70, "10.16.70.203", 9000,
            "defaultTcpipStack", [], mac(h["_idx"], 4))
    )
    schema2(h)
    v = dev(h, "vmk4")
    v["teaming"] = {"policy": "loadbalance_srcid", "active": ["vmnic2", "vmnic3"], "standby": []}
    v["iscsi_bound"] = True
    fault("UPL004", "esx-sh-b03", "vmk4",
          "vmk4 is bound to the software iSCSI adapter with two active uplinks (KB 2045040)")

    h = host("esx-sh-a08")  # [MTU002, MTU003]
    h["pnics"] = pnics(speeds={"vmnic3": 10000})
    dev(h, "vmk1")["teaming"] = {"policy": "loadbalance_srcid", "active": ["vmnic2", "vmnic3"],
                                 "standby": []}
    fault("UPL005", "esx-sh-a08", "vmk1",
          "vmk1's active uplinks run at 25000 (vmnic2) and 10000 Mb/s (vmnic3)")

    # On the standard switch: a distributed port group's policy is the same on every host
    # (RVTools' dvPort tab has one row per port group), a standard one is per host.
    dev(host("esx-sh-a07"), "vmk0")["security"]["forged_transmits"] = True  # [SEP001]
    fault("SEP006", "esx-sh-a07", "vmk0", "vmk0's port group accepts forged transmits")

    h = find(hosts, "esx-bj-c08")  # [SEP005]
    h["vmks"].append(
        vmk("vmk3", "DPG-BJ-Backup", "DVS-BJ-Prod", "distributed", {"trunk": [[60, 61]]},
            "10.32.61.108", 9000, "defaultTcpipStack", ["vSphereBackupNFC"], mac(h["_idx"], 3))
    )
    fault("SEP007", "esx-bj-c08", "vmk3",
          "vmk3 (backup NFC) is on a VLAN trunk port group (60-61) instead of one VLAN")

    dev(find(hosts, "esx-bj-c05"), "vmk2")["services"] = ["vsan", "vSphereBackupNFC"]  # [SEP004]
    fault("SEP002", "esx-bj-c05", "vmk2", "vmk2 carries vsan and vSphereBackupNFC")

    # dns is exempt by name, but vSphere says its allowed IPs are the user's to set on b06
    # [SVC001] (so FW002 judges it) and system-owned on the healthy c09.
    for short, configurable in (("esx-sh-b06", True), ("esx-bj-c09", False)):
        r = ruleset("dns", "DNS Client", True, True)
        r["ip_list_user_configurable"] = configurable
        find(hosts, short)["firewall"]["rulesets"].insert(1, r)
    fault("FW002", "esx-sh-b06", "dns",
          "dns accepts all IP addresses and vSphere says its allowed IPs are user-configurable")
    return faults
# --- the supported designs (scripts/gen-designs.py), healthy, in DC-Shanghai -----------------
# The same hosts as tests/fixtures/designs/, moved into the lab: renamed esx-sh-<name>, in
# DC-Shanghai of vc-sh-01, with the lab's firewall, and VLANs and MTUs following the lab's
# network plan (management 10, vMotion 20, vSAN 30; vMotion and vSAN at MTU 9000), which the
# lab's rule set checks. Design 8's two clusters keep their one reused vMotion and vSAN subnet
# and addresses, on their own distributed switches.
PLAN_VLAN = {"management": 10, "vmotion": 20, "vsan": 30}
PLAN_MTU = {"vmotion": 9000, "vsan": 9000}


def load_designs():
    import importlib.util
    spec = importlib.util.spec_from_file_location("gen_designs", ROOT / "scripts" / "gen-designs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def design_hosts():
    """The design hosts for the lab (see above), in design order."""
    hosts = []
    for _, design in load_designs().design_hosts():
        for h in design:
            _host_seq[0] += 1
            short = h["name"].split(".")[0]
            h.update(
                name="esx-sh-%s.%s" % (short, DOMAIN),
                cluster=("SH-" + h["cluster"]) if h["cluster"] else None,
                datacenter=SITES["sh"]["datacenter"],
                source="https://%s/sdk" % SITES["sh"]["vcenter"],
                version="8.0.3",
                build=ESXI["8.0.3"],
                firewall=firewall("sh"),
            )
            h["_idx"], h["_site"] = _host_seq[0], "sh"
            switches = {sw["name"]: sw for sw in h["switches"]}
            for n, v in enumerate(h["vmks"]):
                v["mac"] = mac(h["_idx"], n)
                for svc in v["services"]:
                    if svc in PLAN_VLAN and svc != "management":
                        v["vlan"] = PLAN_VLAN[svc]
                    if svc in PLAN_MTU:
                        v["mtu"] = PLAN_MTU[svc]
                        sw = switches[v["switch"]]
                        sw["mtu"] = max(sw["mtu"], v["mtu"])
            hosts.append(h)
    return hosts


def inventory():
    _host_seq[0] = 0
    hosts = []
    for c in CLUSTERS:
        hosts.extend(cluster_hosts(c))
    hosts.extend(standalone_hosts())
    hosts.extend(design_hosts())
    faults = plant(hosts)
    faults += plant_services_uplinks(hosts)
    faults.extend(plant_network(hosts))
    for h in hosts:
        schema2(h)
    sources = [
        {
            "name": "https://%s/sdk" % s["vcenter"],
            "kind": "vcenter",
            "collected_at": COLLECTED_AT,
            "product": s["product"],
        }
        for s in SITES.values()
    ]
    sources.append({
        "name": "https://%s/sdk" % FAILED_VCENTER,
        "kind": "vcenter",
        "collected_at": COLLECTED_AT,
        "error": "cannot connect to %s:443: connection timed out after 30 s" % FAILED_VCENTER,
    })
    inv = {
        "schema_version": 2,
        "collected_at": COLLECTED_AT,
        "sources": sources,
        "hosts": hosts,
    }
    return inv, faults


def public(h):
    """The host as written to the inventory file (no generator bookkeeping)."""
    return {k: v for k, v in h.items() if not k.startswith("_")}


def exported_hosts(inv):
    """Hosts an export tool sees: connected ones (RVTools and PowerCLI get no config from a
    disconnected host)."""
    return [h for h in inv["hosts"] if h["connection_state"] == "connected"]


def fmt_bool(b):
    return "True" if b else "False"


def rvtools_vmk_rows(inv):
    """The rows of RVTools' vSC_VMK tab."""
    rows = []
    for h in exported_hosts(inv):
        vc, vc_uuid = rv_vcenter(h)
        # RVTools shows the host's default gateway (ipRouteConfig) on every vmk row.
        gw = next(n["gateway"] for n in h["netstacks"] if n["key"] == "defaultTcpipStack")
        for v in h["vmks"]:
            rows.append([h["name"], h["datacenter"], h["cluster"] or "", v["portgroup"], v["device"],
                         v["mac"], fmt_bool(v["dhcp"]), v["ipv4"], ", ".join(v.get("ipv6", [])),
                         v["netmask"], gw or "", "", v["mtu"], vc, vc_uuid])
    return rows


def rvtools_csv(inv):
    # RVTools writes UTF-8 with a byte-order mark (so Excel shows 管理网络 right).
    return rvtools_tab_csv(VMK_HEADER, rvtools_vmk_rows(inv))


# --- RVTools' whole export: the workbook and ExportAll2csv's one CSV per tab --------------
# Column names as RVTools 4.x writes them. Only the tabs vmkaudit reads (vSC_VMK, vSwitch,
# vPort, dvSwitch, dvPort, vNIC, vHost) are written, plus vInfo's header, which it ignores.

RVTOOLS_DIR = "rvtools-export"
RVTOOLS_XLSX = "RVTools_export.xlsx"
VMK_HEADER = ["Host", "Datacenter", "Cluster", "Port Group", "Device", "Mac Address", "DHCP",
              "IP Address", "IP 6 Address", "Subnet mask", "Gateway", "IP 6 Gateway", "MTU",
              "VI SDK Server", "VI SDK UUID"]


def rv_bool(b):
    return "True" if b else "False"


def rv_vlan(vlan):
    """A VLAN as RVTools shows it: the ID, trunk ranges `a-b,c`, or `PVLAN n`."""
    if isinstance(vlan, int):
        return vlan
    if "pvlan" in vlan:
        return "PVLAN %d" % vlan["pvlan"]
    return ",".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in vlan["trunk"])


def rv_vcenter(h):
    vc = h["source"].split("/")[2]
    return vc, str(uuid.uuid5(uuid.NAMESPACE_DNS, vc))


def rvtools_sheets(inv):
    """Every tab as (header, rows), rows as lists of str/int cells, in RVTools' tab order."""
    hosts = exported_hosts(inv)
    sheets = {"vInfo": (["VM", "Powerstate", "Host", "VI SDK Server", "VI SDK UUID"], [])}

    vhost_h = ["Host", "Datacenter", "Cluster", "Config status", "in Maintenance Mode", "# NICs",
               "ESX Version", "VI SDK Server", "VI SDK UUID"]
    vnic_h = ["Host", "Datacenter", "Cluster", "Network Device", "Driver", "Speed", "Duplex", "MAC",
              "Switch", "Uplink port", "PCI", "WakeOn", "VI SDK Server", "VI SDK UUID"]
    vswitch_h = ["Host", "Datacenter", "Cluster", "Switch", "# Ports", "Free Ports",
                 "Promiscuous Mode", "Mac Changes", "Forged Transmits", "Traffic Shaping", "Width",
                 "Peak", "Burst", "Policy", "Reverse Policy", "Notify Switch", "Rolling Order",
                 "Offload", "TSO", "Zero Copy Xmit", "MTU", "VI SDK Server", "VI SDK UUID"]
    vport_h = ["Host", "Datacenter", "Cluster", "Port Group", "Switch", "VLAN", "Promiscuous Mode",
               "Mac Changes", "Forged Transmits", "Traffic Shaping", "Width", "Peak", "Burst",
               "Policy", "Reverse Policy", "Notify Switch", "Rolling Order", "Offload", "TSO",
               "Zero Copy Xmit", "VI SDK Server", "VI SDK UUID"]
    dvswitch_h = ["Switch", "Datacenter", "Name", "Vendor", "Version", "Description", "Created",
                  "Host members", "Max Ports", "# Ports", "# VMs", "In Traffic Shaping", "In Avg",
                  "In Peak", "In Burst", "Out Traffic Shaping", "Out Avg", "Out Peak", "Out Burst",
                  "CDP Type", "CDP Operation", "LACP Name", "LACP Mode", "LACP Load Balance Alg.",
                  "Max MTU", "Contact", "Admin Name", "Object ID", "VI SDK Server", "VI SDK UUID"]
    dvport_h = ["Port", "Switch", "Type", "# Ports", "VLAN", "Speed", "Full Duplex", "Blocked",
                "Allow Promiscuous", "Mac Changes", "Active Uplink", "Standby Uplink", "Policy",
                "Forged Transmits", "In Traffic Shaping", "In Avg", "In Peak", "In Burst",
                "Out Traffic Shaping", "Out Avg", "Out Peak", "Out Burst", "Reverse Policy",
                "Notify Switch", "Rolling Order", "Check Beacon", "Live Port Moving", "Check Duplex",
                "Check Error %", "Check Speed", "Object ID", "VI SDK Server", "VI SDK UUID"]
    vhost, vnic, vswitch, vport, dvswitch, dvport = [], [], [], [], [], []
    dvs_seen, dvpg_seen = {}, set()
    for h in hosts:
        vc, vc_uuid = rv_vcenter(h)
        place = [h["datacenter"], h["cluster"] or ""]
        switches = {sw["name"]: sw for sw in h["switches"]}
        # The uplink port of each pnic on a distributed switch: dvUplink<n> in uplink order.
        uplink_of = {}
        for sw in h["switches"]:
            for i, u in enumerate(sw.get("uplinks") or []):
                uplink_of[u] = (sw["name"], "dvUplink%d" % (i + 1) if sw["kind"] == "distributed" else "")
        vhost.append([h["name"]] + place + ["green", "False", len(h["pnics"] or []),
                     "VMware ESXi %s build-%s" % (h["version"], h["build"]), vc, vc_uuid])
        for n, p in enumerate(h["pnics"] or []):
            sw, port = uplink_of.get(p["device"], ("", ""))
            vnic.append([h["name"]] + place + [
                p["device"], "nmlx5_core", p["speed_mbps"] if p["link_up"] else 0,
                rv_bool(p["link_up"] and p["duplex"] == "full"),
                "b8:ce:f6:%02x:%02x:%02x" % (h["_idx"] // 256, h["_idx"] % 256, n),
                sw, port, "0000:%02x:00.%d" % (0x3b + n // 2, n % 2), "False", vc, vc_uuid])
        for sw in h["switches"]:
            if sw["kind"] != "standard":
                continue
            vswitch.append([h["name"]] + place + [
                sw["name"], 128, 120, "False", "False", "False", "False", 0, 0, 0,
                "loadbalance_srcid", "True", "True", "False", "True", "True", "True", sw["mtu"],
                vc, vc_uuid])
        pgs_seen = set()
        for v in h["vmks"]:
            sw = switches.get(v["switch"])
            sec = v["security"] or {}
            team = v["teaming"] or {}
            cells = [rv_vlan(v["vlan"])] + [rv_bool(sec.get(k)) for k in
                                             ("promiscuous", "mac_changes", "forged_transmits")]
            if sw and sw["kind"] == "standard":
                if v["portgroup"] in pgs_seen:
                    continue
                pgs_seen.add(v["portgroup"])
                vport.append([h["name"]] + place + [v["portgroup"], sw["name"]] + cells + [
                    "False", 0, 0, 0, team.get("policy") or "loadbalance_srcid", "True", "True",
                    "False", "True", "True", "True", vc, vc_uuid])
            elif sw and sw["kind"] == "distributed":
                if (vc, sw["name"]) not in dvs_seen:
                    dvs_seen[(vc, sw["name"])] = [h["datacenter"], sw["mtu"], []]
                dvs_seen[(vc, sw["name"])][2].append(h["name"])
                if (vc, sw["name"], v["portgroup"]) in dvpg_seen:
                    continue
                dvpg_seen.add((vc, sw["name"], v["portgroup"]))
                # An uplink on no switch of the host has no uplink port: its name stands in
                # (and maps to no vmnic on import, as RVTools would leave it).
                ports = lambda names: ",".join(uplink_of.get(u, ("", u))[1] or u for u in names)
                dvport.append([v["portgroup"], sw["name"], "earlyBinding", 128, cells[0], 0, "False",
                               "False", cells[1], cells[2], ports(team.get("active", [])),
                               ports(team.get("standby", [])),
                               team.get("policy") or "loadbalance_srcid", cells[3], "False", 0, 0,
                               0, "False", 0, 0, 0, "True", "True", "False", "False", "False",
                               "False", "False", "minimum",
                               "dvportgroup-%d" % (1000 + len(dvport)), vc, vc_uuid])
    for (vc, name), (dc, mtu, members) in dvs_seen.items():
        dvswitch.append([name, dc, name, "VMware, Inc.", "8.0.0", "", "2024-03-01 10:00:00",
                         ", ".join(members), 2048, 512, 0, "False", 0, 0, 0, "False", 0, 0, 0,
                         "listen", "listen", "", "", "", mtu, "", "",
                         "dvs-%d" % (100 + len(dvswitch)), vc, str(uuid.uuid5(uuid.NAMESPACE_DNS, vc))])
    sheets["vHost"] = (vhost_h, vhost)
    sheets["vNIC"] = (vnic_h, vnic)
    sheets["vSwitch"] = (vswitch_h, vswitch)
    sheets["vPort"] = (vport_h, vport)
    sheets["dvSwitch"] = (dvswitch_h, dvswitch)
    sheets["dvPort"] = (dvport_h, dvport)
    sheets["vSC_VMK"] = (VMK_HEADER, rvtools_vmk_rows(inv))
    return sheets


def rvtools_tab_csv(header, rows):
    """One tab as ExportAll2csv writes it: UTF-8 with a byte-order mark, CRLF."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return "\ufeff" + buf.getvalue()


def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def col_letter(i):
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def xlsx_bytes(sheets):
    """A minimal .xlsx workbook (Office Open XML) of `sheets`: numbers as number cells, text
    as inline strings. Stored, not deflated, with fixed times: the same bytes every run."""
    import zipfile
    names = list(sheets)
    parts = {}
    parts["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join('<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1) for i in range(len(names)))
        + "</Types>")
    parts["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>")
    parts["xl/workbook.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (n, i + 1, i + 1) for i, n in enumerate(names))
        + "</sheets></workbook>")
    parts["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1) for i in range(len(names)))
        + "</Relationships>")
    for i, n in enumerate(names):
        header, rows = sheets[n]
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
        for r, row in enumerate([header] + rows, start=1):
            out.append('<row r="%d">' % r)
            for c, v in enumerate(row):
                ref = "%s%d" % (col_letter(c), r)
                if isinstance(v, int) and not isinstance(v, bool):
                    out.append('<c r="%s"><v>%d</v></c>' % (ref, v))
                elif v not in (None, ""):
                    space = ' xml:space="preserve"' if str(v) != str(v).strip() else ""
                    out.append('<c r="%s" t="inlineStr"><is><t%s>%s</t></is></c>'
                               % (ref, space, xml_text(str(v))))
            out.append("</row>")
        out.append("</sheetData></worksheet>")
        parts["xl/worksheets/sheet%d.xml" % (i + 1)] = "".join(out)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 20, 2, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


POWERCLI_TYPE = "#TYPE VMware.VimAutomation.ViCore.Impl.V1.Host.Networking.Nic.HostVMKernelVirtualNicImpl"
POWERCLI_SERVICE_COLUMNS = [
    ("VMotionEnabled", "vmotion"),
    ("FaultToleranceLoggingEnabled", "faultToleranceLogging"),
    ("ManagementTrafficEnabled", "management"),
    ("VsanTrafficEnabled", "vsan"),
    ("ProvisioningEnabled", "vSphereProvisioning"),
    ("VSphereReplicationEnabled", "vSphereReplication"),
    ("VSphereReplicationNFCEnabled", "vSphereReplicationNFC"),
    ("VSphereBackupNFCEnabled", "vSphereBackupNFC"),
]


def powercli_csv(inv):
    header = (["VMotionEnabled", "FaultToleranceLoggingEnabled", "ManagementTrafficEnabled",
               "IPv6", "AutomaticIPv6", "IPv6ThroughDhcp", "IPv6Enabled", "Mtu",
               "VsanTrafficEnabled", "ProvisioningEnabled", "VSphereReplicationEnabled",
               "VSphereReplicationNFCEnabled", "VSphereBackupNFCEnabled", "PortGroupName", "Id",
               "VMHostId", "VMHost", "VMHostUid", "DeviceName", "Mac", "DhcpEnabled", "IP",
               "SubnetMask", "Uid", "Name", "ExtensionData", "Client"])
    buf = io.StringIO()
    # Windows PowerShell's Export-Csv quotes every field.
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerow(header)
    for h in exported_hosts(inv):
        vc = h["source"].split("/")[2]
        host_id = "HostSystem-host-%d" % (1000 + h["_idx"])
        host_uid = "/VIServer=svc-vmkaudit@vsphere.local@%s:443/VMHost=%s/" % (vc, host_id)
        for v in h["vmks"]:
            svc = set(v["services"])
            nic_id = "key-vim.host.VirtualNic-%s" % v["device"]
            row = {name: fmt_bool(s in svc) for name, s in POWERCLI_SERVICE_COLUMNS}
            row.update({
                "IPv6": "System.String[]",
                "AutomaticIPv6": "False",
                "IPv6ThroughDhcp": "False",
                "IPv6Enabled": "True",
                "Mtu": str(v["mtu"]),
                "PortGroupName": v["portgroup"],
                "Id": nic_id,
                "VMHostId": host_id,
                "VMHost": h["name"],
                "VMHostUid": host_uid,
                "DeviceName": v["device"],
                "Mac": v["mac"],
                "DhcpEnabled": fmt_bool(v["dhcp"]),
                "IP": v["ipv4"],
                "SubnetMask": v["netmask"],
                "Uid": "%sHostVMKernelVirtualNic=%s/" % (host_uid, nic_id),
                "Name": v["device"],
                "ExtensionData": "VMware.Vim.HostVirtualNic",
                "Client": "VMware.VimAutomation.ViCore.Impl.V1.VimClient",
            })
            w.writerow([row[c] for c in header])
    return POWERCLI_TYPE + "\r\n" + buf.getvalue()


POWERCLI_EXTENDED = ["Cluster", "Datacenter", "VMHostVersion", "VMHostBuild", "ConnectionState",
                     "NetStack", "Gateway", "IPv6Addresses", "Distributed", "Switch", "VLanId",
                     "VlanConfiguration"]


def powercli_vlan_configuration(vlan):
    """A distributed port group's VlanConfiguration as PowerCLI prints it."""
    if isinstance(vlan, int):
        return "VLAN %d" % vlan
    if "pvlan" in vlan:
        return "Private VLAN %d" % vlan["pvlan"]
    return "VLAN Trunk [%s]" % ",".join(
        "%d" % a if a == b else "%d-%d" % (a, b) for a, b in vlan["trunk"])


def powercli_extended_csv(inv):
    """The extended export (docs/collect.md): Export-Csv -NoTypeInformation of the vmks with
    the calculated properties; Windows PowerShell quotes every field, a vSwitch port group's
    VLAN is VLanId, a distributed one's VlanConfiguration."""
    text = powercli_csv(inv).split("\r\n", 1)[1]
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0] + POWERCLI_EXTENDED
    vmks = [(h, v) for h in exported_hosts(inv) for v in h["vmks"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerow(header)
    for row, (h, v) in zip(rows[1:], vmks):
        distributed = v["switch_kind"] == "distributed"
        w.writerow(row + [
            h["cluster"] or "", h["datacenter"], h["version"], h["build"], "Connected",
            v["netstack"], v["gateway"] or "", " ".join(v.get("ipv6", [])),
            fmt_bool(distributed), v["switch"],
            "" if distributed else v["vlan"],
            powercli_vlan_configuration(v["vlan"]) if distributed else "",
        ])
    return buf.getvalue()


def expected(inv, faults):
    broken = {f["host"] for f in faults if f["rule"] not in ("COV001", "COV002")}
    healthy = [h["name"] for h in inv["hosts"] if h["name"] not in broken]
    return {
        "description": "Planted faults of samples/lab-inventory.json (see samples/README.md). "
                       "Each entry must be found (rule + host, and object unless it is null). "
                       "healthy_hosts must get no warning or error finding. "
                       "only_rules: every finding on that host must be one of these rules.",
        "faults": faults,
        "healthy_hosts": healthy,
        "only_rules": {"esx-bj-s01." + DOMAIN: ["COV001"]},
        "needs_waiver": [
            {
                "rule": "COV004",
                "host": "esx-sh-b06." + DOMAIN,
                "object": "TSM-SSH",
                "why": "only with a rule set holding an expired waiver, as samples/lab-rules.toml "
                       "does: rule SVC001, host esx-sh-b06.corp.example, object TSM-SSH, "
                       "expired 2026-01-31",
            }
        ],
    }


# --- a reference reading of the rule catalog (docs/rules.md), to prove the lab says what expected-findings says ---
# Deliberately strict where the rule text leaves room (management counts as separated traffic
# for SEP003; MTU002 is checked against the majority AND the expected MTUs), so a host that is
# clean here is clean under any reasonable reading, and each planted fault fires under both.

SEPARATED = {"vmotion", "faultToleranceLogging", "vsan", "vSphereReplication",
             "vSphereReplicationNFC", "vSphereProvisioning", "nvmeTcp", "nvmeRdma",
             "vSphereBackupNFC"}
ALLOWED_COMBOS = [{"vSphereReplication", "vSphereReplicationNFC"}, {"vmotion", "vSphereProvisioning"}]
SHARED_WITH_MGMT = {"vmotion", "faultToleranceLogging", "vsan", "vSphereReplication",
                    "vSphereReplicationNFC", "vSphereProvisioning", "vSphereBackupNFC"}
PEER_TO_PEER = {"vmotion", "vsan", "faultToleranceLogging", "vSphereProvisioning", "nvmeTcp",
                "nvmeRdma"}
DHCP_FORBIDDEN = {"vmotion", "vsan", "faultToleranceLogging", "nvmeTcp", "nvmeRdma"}
EXPECTED_MTU = {"management": 1500, "vmotion": 9000, "vsan": 9000, "faultToleranceLogging": 9000,
                "vSphereReplication": 9000, "vSphereReplicationNFC": 9000}
AUTHORISED = [ADMIN_NET, MGMT_NET["sh"], MGMT_NET["bj"]]
MAX_PREFIX = 16
SERVICES_OFF = {"TSM-SSH", "TSM", "slpd"}
FIREWALL_EXEMPT = {"dhcp", "DHCPv6", "dns"}


def user_configurable(r):
    """FW002/FW003 judge a ruleset whose allowed IPs the user can set: as vSphere says, or by
    the exempt list when it does not."""
    flag = r.get("ip_list_user_configurable")
    return flag if flag is not None else r["key"] not in FIREWALL_EXEMPT


def reference_findings(inv):
    import ipaddress
    from collections import Counter, defaultdict

    out = set()

    def net(v):
        try:
            return ipaddress.IPv4Interface("%s/%s" % (v["ipv4"], v["netmask"])).network
        except (ValueError, TypeError):
            return None

    def addr(s):
        try:
            return ipaddress.IPv4Address(s)
        except (ValueError, TypeError):
            return None

    def deviators(items):
        """items: [(key, value, finding)] -> findings whose value is not the majority's."""
        counts = Counter(v for _, v, _ in items)
        if len(counts) < 2:
            return []
        top = counts.most_common()
        if top[0][1] == top[1][1]:
            return [f for _, _, f in items]  # no majority: every one deviates
        return [f for _, v, f in items if v != top[0][0]]

    for s in inv["sources"]:
        if s.get("error"):
            out.add(("COV003", s["name"], None))
    live = []
    for h in inv["hosts"]:
        if h["connection_state"] != "connected":
            out.add(("COV001", h["name"], None))
            continue
        live.append(h)
        name = h["name"]
        stacks = {n["key"]: n for n in h["netstacks"]}
        switches = {s["name"]: s for s in h["switches"]}
        if h["firewall"] is None:
            out.add(("COV002", name, None))
        for key, st in stacks.items():
            on = [v for v in h["vmks"] if v["netstack"] == key]
            g = addr(st["gateway"])
            if g and on and not any(net(v) and g in net(v) for v in on):
                out.add(("GW002", name, key))
        if not stacks.get("defaultTcpipStack", {}).get("gateway"):
            out.add(("GW004", name, "defaultTcpipStack"))
        for v in h["vmks"]:
            d, svc, n = v["device"], set(v["services"]), net(v)
            if v["gateway"] and n and addr(v["gateway"]) not in n:
                out.add(("GW003", name, d))
            if "management" in svc and override(h, v):
                out.add(("GW001", name, d))
            if "management" in svc and (svc & SHARED_WITH_MGMT or v.get("iscsi_bound")):
                out.add(("SEP001", name, d))
            sep = svc & SEPARATED
            if len(sep) > 1 and not any(sep <= c for c in ALLOWED_COMBOS):
                out.add(("SEP002", name, d))
            for s in svc:
                if s in EXPECTED_VLAN and v["vlan"] != EXPECTED_VLAN[s]:
                    out.add(("SEP004", name, d))
            sw = switches.get(v["switch"])
            if sw and v["mtu"] > sw["mtu"]:
                out.add(("MTU001", name, d))
            if not 1280 <= v["mtu"] <= 9000:
                out.add(("MTU004", name, d))
            if v["dhcp"] and svc & DHCP_FORBIDDEN:
                out.add(("ADDR003", name, d))
            if addr(v["ipv4"]) is None or n is None:
                out.add(("ADDR004", name, d))
        vm = h["vmks"]
        for i in range(len(vm)):
            for j in range(i + 1, len(vm)):
                a, b = vm[i], vm[j]
                sa, sb = traffic_class(a), traffic_class(b)
                same_net = net(a) is not None and net(a) == net(b)
                same_vlan = a["vlan"] == b["vlan"] and a["switch"] and a["switch"] == b["switch"]
                if sa and sb and sa != sb and (same_net or a["portgroup"] == b["portgroup"]
                                               or same_vlan):
                    out.add(("SEP003", name, None))
                if a["netstack"] == b["netstack"] and same_net:
                    p = pair(a, b)
                    if p == "multihomed":
                        out.add(("ADDR002", name, None))
                    elif p == "unverified":
                        out.add(("ADDR006", name, None))
        fw = h["firewall"]
        if fw:
            if not (fw["incoming_blocked"] and fw["outgoing_blocked"]):
                out.add(("FW001", name, None))
            for r in fw["rulesets"]:
                if not r["enabled"] or not user_configurable(r):
                    continue
                if r["all_ip"]:
                    out.add(("FW002", name, r["key"]))
                else:
                    for cidr in r["allowed_networks"]:
                        nw = ipaddress.IPv4Network(cidr)
                        inside = any(nw.subnet_of(ipaddress.IPv4Network(a)) for a in AUTHORISED)
                        if nw.prefixlen < MAX_PREFIX or not inside:
                            out.add(("FW003", name, r["key"]))

    # Networks: a routed subnet (a gateway, override or static route's gateway in it) is one
    # address space; a non-routed one is told apart by VLAN and switch scope.
    routed = set()
    for h in live:
        stacks = {n["key"]: n for n in h["netstacks"]}
        for v in h["vmks"]:
            st = stacks[v["netstack"]]
            gws = [v["gateway"], st["gateway"]] + [r["gateway"] for r in st.get("routes") or []]
            if net(v) and any(addr(g) and addr(g) in net(v) for g in gws):
                routed.add(net(v))

    def segment(h, v):
        if net(v) is None or net(v) in routed or v["vlan"] is None or not v["switch"]:
            return None
        scope = (h["source"], h["datacenter"]) + (
            ("dvs", v["switch"]) if v["switch_kind"] != "standard"
            else ("host", h["cluster"] or h["name"]))
        return (str(v["vlan"]), scope)

    holders = defaultdict(list)
    by_cluster_svc = defaultdict(list)
    by_subnet = defaultdict(list)
    for h in live:
        for v in h["vmks"]:
            f = (h["name"], v["device"])
            seg = segment(h, v)
            if addr(v["ipv4"]):
                holders[v["ipv4"]].append((f, seg))
            if net(v):
                by_subnet[net(v)].append((seg, (f, v["mtu"], f)))
            for s in v["services"]:
                if h["cluster"]:
                    by_cluster_svc[(h["cluster"], s)].append((f, v["mtu"], f))
                if s in EXPECTED_MTU and v["mtu"] != EXPECTED_MTU[s] and h["cluster"]:
                    out.add(("MTU002", h["name"], v["device"]))
    members = defaultdict(list)
    for h in live:
        if h["cluster"]:
            members[h["cluster"]].append(h)
    for hs in members.values():
        if len(hs) > 1:
            out.update(("SEP005", h["name"], None) for h in hs
                       if not any("vmotion" in v["services"] or v["netstack"] == "vmotion"
                                  for v in h["vmks"]))
    def may_share(a, b):
        return a is None or b is None or a == b

    for ip, fs in holders.items():
        for f, seg in fs:
            if any(g != f and may_share(seg, sg) for g, sg in fs):
                out.add(("ADDR001",) + f)
    for items in by_cluster_svc.values():
        out.update(("MTU002", hn, d) for hn, d in deviators(items))
    for members in by_subnet.values():
        known = sorted({seg for seg, _ in members if seg is not None})
        unknown = [m for seg, m in members if seg is None]
        networks = [[m for seg, m in members if seg == k] + unknown for k in known] or [unknown]
        for items in networks:
            out.update(("MTU003", hn, d) for hn, d in deviators(items))
    out.update(("ADDR005", hn, d) for hn, d in unreachable_peers(live, net, addr))
    out.update(gateway_overrides_disagree(live, net, addr))
    return out | reference_services_uplinks(inv)


def reference_services_uplinks(inv):
    """SVC001/SVC002, UPL001-UPL005, SEP006 and SEP007 as docs/rules.md states them."""
    out = set()
    direct = {s["name"] for s in inv["sources"] if s["kind"] == "esxi"}
    for h in inv["hosts"]:
        if h["connection_state"] != "connected":
            continue
        name = h["name"]
        for s in h.get("services") or []:
            if s["key"] in SERVICES_OFF and (s["running"] or s["policy"] == "on"):
                out.add(("SVC001", name, s["key"]))
        if h.get("lockdown_mode") == "disabled" and h.get("source") not in direct:
            out.add(("SVC002", name, None))
        mgmt = [v for v in h["vmks"] if "management" in v["services"]]
        if mgmt and all(v.get("teaming") for v in mgmt):
            ups = {u for v in mgmt for u in v["teaming"]["active"] + v["teaming"]["standby"]}
            if len(ups) < 2:
                out.add(("UPL001", name, mgmt[0]["device"]))
        nics = {p["device"]: p for p in h.get("pnics") or []}

        def dead(u):
            return u not in nics or nics[u]["link_up"] is False

        for v in h["vmks"]:
            d, t = v["device"], v.get("teaming")
            if t and h.get("pnics") is not None:
                if all(dead(u) for u in t["active"] + t["standby"]):
                    out.add(("UPL002", name, d))
                elif all(dead(u) for u in t["active"]):
                    out.add(("UPL003", name, d))
                speeds = {nics[u]["speed_mbps"] for u in t["active"]
                          if u in nics and nics[u]["link_up"] and nics[u]["speed_mbps"]}
                if len(speeds) > 1:
                    out.add(("UPL005", name, d))
            if t and v.get("iscsi_bound") and (len(t["active"]) != 1 or t["standby"]):
                out.add(("UPL004", name, d))
            if v.get("switch_kind") == "nsx":
                continue
            sec = v.get("security") or {}
            if any(sec.get(k) for k in ("promiscuous", "mac_changes", "forged_transmits")):
                out.add(("SEP006", name, d))
            vlan = v.get("vlan")
            if vlan == 4095 or (isinstance(vlan, dict) and "trunk" in vlan):
                out.add(("SEP007", name, d))
    return out


def override(h, v):
    """The vmk's gateway override when it is a second gateway on its stack."""
    stack_gw = next(n["gateway"] for n in h["netstacks"] if n["key"] == v["netstack"])
    return v["gateway"] if v["gateway"] and v["gateway"] != stack_gw else None


def traffic_class(v):
    """SEP003: management plus separated services; a vmk without services is untagged IP
    storage."""
    if v["services"] == []:
        return {"untagged"}
    return set(v["services"]) & (SEPARATED | {"management"})


def pair(a, b):
    """ADDR002/ADDR006: two vmks of one stack in one subnet: supported, unverified or
    multihomed."""
    sa, sb = a["services"], b["services"]

    def multi_nic_vmotion(s):
        return "vmotion" in s and all(x in ("vmotion", "vSphereProvisioning") for x in s)

    if (multi_nic_vmotion(sa) and set(sa) == set(sb)) or (len(sa) == 1 and sa == sb):
        return "supported"
    if sa or sb:
        return "multihomed"
    ba, bb = a.get("iscsi_bound"), b.get("iscsi_bound")
    if ba is True and bb is True:
        return "supported"
    if ba is False or bb is False:
        return "multihomed"
    ta, tb = a.get("teaming"), b.get("teaming")
    if ta and tb:
        single = all(len(t["active"]) == 1 and not t["standby"] for t in (ta, tb))
        return "unverified" if single and ta["active"] != tb["active"] else "multihomed"
    return "unverified"


def unreachable_peers(live, net, addr):
    """ADDR005: per cluster and host-to-host service or storage fabric, each host must reach every network of
    the service (directly, or by a static route, an override, its own stack or a default-stack
    gateway in its own subnet); of two networks that cannot reach each other, the smaller one's
    hosts are reported (a tie: both). Yields (host, vmk)."""
    import ipaddress
    from collections import defaultdict

    def reach(h, v, dest):
        st = next(n for n in h["netstacks"] if n["key"] == v["netstack"])
        routes = st.get("routes")
        if any(ipaddress.ip_network(r["network"]).supernet_of(dest) and addr(r["gateway"])
               for r in routes or []):
            return "routed"
        if addr(v["gateway"]):
            return "routed"
        gw = addr(st["gateway"])
        if gw is None:
            return "unreachable"
        if v["netstack"] != "defaultTcpipStack" or routes is None or gw in net(v):
            return "routed"
        return "default"

    groups = defaultdict(list)
    for h in live:
        for v in h["vmks"]:
            for s in v["services"]:
                if h["cluster"] and s in PEER_TO_PEER and net(v):
                    groups[(h["cluster"], s)].append((h, v, net(v)))
    for members in groups.values():
        nets, own = defaultdict(set), defaultdict(list)
        for h, v, n in members:
            nets[n].add(h["name"])
            own[h["name"]].append((h, v, n))
        if len(nets) < 2:
            continue
        misses = {}
        for host, mine in own.items():
            for peer in nets:
                if any(n == peer for _, _, n in mine):
                    continue
                how = [(reach(h, v, peer), v) for h, v, _ in mine]
                if any(r == "routed" for r, _ in how):
                    continue
                misses[(host, peer)] = next((x for x in how if x[0] == "default"), how[0])
        for (host, peer), (_, v) in misses.items():
            sizes = [len(nets[n]) for _, _, n in own[host]
                     if any((q, n) in misses for q in nets[peer])]
            if sizes and len(nets[peer]) < max(sizes):
                continue
            yield host, v["device"]


def gateway_overrides_disagree(live, net, addr):
    """GW001 (gateway_overrides = consistent): per cluster and service (or `untagged`), vmks
    routed by an override in their own subnet and vmks without one: the smaller side is
    reported (a tie: the overrides)."""
    from collections import defaultdict
    groups = defaultdict(list)
    for h in live:
        if not h["cluster"]:
            continue
        for v in h["vmks"]:
            if "management" in v["services"]:
                continue
            gw = override(h, v)
            if gw and not (net(v) and addr(gw) in net(v)):
                continue
            keys = [s for s in v["services"] if s != "management"] or ["untagged"]
            for k in keys:
                groups[(h["cluster"], k)].append((h["name"], v["device"], gw is not None))
    for members in groups.values():
        with_ = [m for m in members if m[2]]
        without = [m for m in members if not m[2]]
        if with_ and without:
            for hn, d, _ in (with_ if len(with_) <= len(without) else without):
                yield ("GW001", hn, d)


def verify(inv, faults):
    """Fail unless the reference findings are exactly the planted faults."""
    found = reference_findings(inv)
    missing = []
    for f in faults:
        if not any(r == f["rule"] and h == f["host"] and (f["object"] is None or o == f["object"])
                   for r, h, o in found):
            missing.append(f)
    extra = [x for x in sorted(found, key=str)
             if not any(f["rule"] == x[0] and f["host"] == x[1]
                        and (f["object"] is None or f["object"] == x[2]) for f in faults)]
    if missing or extra:
        for f in missing:
            print("planted but not found: %(rule)s %(host)s %(object)s" % f, file=sys.stderr)
        for x in extra:
            print("found but not planted: %s %s %s" % x, file=sys.stderr)
        raise SystemExit(2)


def dumps(value):
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv[1:]
    inv, faults = inventory()
    verify(inv, faults)
    files = {
        "lab-inventory.json": dumps({**inv, "hosts": [public(h) for h in inv["hosts"]]}),
        "RVTools_tabvSC_VMK.csv": rvtools_csv(inv),
        "powercli-vmk.csv": powercli_csv(inv),
        "powercli-vmk-extended.csv": powercli_extended_csv(inv),
        "expected-findings.json": dumps(expected(inv, faults)),
    }
    sheets = rvtools_sheets(inv)
    for name, (header, rows) in sheets.items():
        files["%s/RVTools_tab%s.csv" % (RVTOOLS_DIR, name)] = rvtools_tab_csv(header, rows)
    files[RVTOOLS_XLSX] = xlsx_bytes(sheets)
    stale = []
    for name, text in files.items():
        path = OUT / name
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if stale:
        print("out of date (run scripts/gen-samples.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
