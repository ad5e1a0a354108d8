#!/usr/bin/env python3
"""Generate a deterministic synthetic estate (vmkaudit inventory file) for benchmarks.

    scripts/gen-estate.py [--schema 1] HOSTS OUTPUT.json
    scripts/gen-estate.py --scenario HOSTS SCENARIO.json
    scripts/gen-estate.py --rvtools HOSTS [--vmks N] RVTools_tabvSC_VMK.csv


Hosts are spread over vCenters of at most 2,500 hosts, clusters of 25; each host has three vmks
(management on a standard switch, vMotion and vSAN on a distributed switch), a vmotion TCP/IP
stack and a firewall with a dozen rulesets. About one host in 40 carries a fault, rotating over a
list of fault kinds, so every kind of rule has work to do. No randomness: the same arguments give
byte-identical output.

The inventory file is written in schema version 2, every host with everything `vmkaudit
collect` records (host services, physical NICs, lockdown mode, routes, each vmk's teaming,
port-group security and iSCSI binding); --schema 1 writes the version-1 form (what vmkaudit
wrote before schema 2: none of those), which vmkaudit still reads.

With --scenario the same hosts (at most 2,500: one vCenter) are written as a scenario for the
govmomi simulator fixture (tests/vcsim/main.go): one datacenter, its distributed switch with a
vMotion and a vSAN port group per cluster, the clusters and their hosts. The benchmark
(scripts/bench.sh) collects it over HTTPS.

With --rvtools the same hosts are written as RVTools' vSC_VMK tab exported as CSV (UTF-8 with a
byte-order mark, as RVTools writes it): one row per vmk with what that format carries (no
services, stacks, switches, VLANs or firewall; a disconnected host's rows are there like any
other). --vmks N stops after N rows (hosts are added until then), for a 1,000,000-row export.
"""
import csv
import json
import sys

FAULTS = [
    "mtu_small",        # vSAN vmk MTU 1500 in a 9000 cluster
    "mtu_above_switch", # vMotion vmk MTU 9000 on a 1500 switch
    "mgmt_shared",      # management vmk also carries vMotion
    "dup_ip",           # vSAN IP equal to the previous host's
    "two_gateways",     # vmk override on the default stack
    "fw_all_ip",        # sshServer enabled, all IPs
    "dhcp_vmotion",     # DHCP on the vMotion vmk
    "disconnected",     # not connected
]

RULESETS = [
    ("sshServer", False), ("vSphereClient", True), ("webAccess", True), ("nfc", True),
    ("vMotion", True), ("vsanvp", True), ("CIMHttpServer", True), ("snmp", False),
    ("dhcp", True), ("dns", True), ("ntpClient", True), ("syslog", True),
]


def host(i):
    vc = i // 2500
    cl = i // 25
    n = i % 25
    mgmt_net = (10, 16 + vc, cl % 256)
    name = f"esx{i:05d}.vc{vc:02d}.example.com"
    fault = FAULTS[(i // 40) % len(FAULTS)] if i % 40 == 39 else None
    mgmt = {
        "device": "vmk0", "portgroup": "Management Network", "switch": "vSwitch0",
        "switch_kind": "standard", "vlan": 10,
        "ipv4": f"{mgmt_net[0]}.{mgmt_net[1]}.{mgmt_net[2]}.{10 + n}",
        "netmask": "255.255.255.0", "dhcp": False, "mtu": 1500,
        "netstack": "defaultTcpipStack", "gateway": None, "services": ["management"],
        "mac": f"00:50:56:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
    }
    vmotion = {
        "device": "vmk1", "portgroup": f"dvpg-vmotion-c{cl}", "switch": f"dvs-vc{vc:02d}",
        "switch_kind": "distributed", "vlan": 20,
        "ipv4": f"172.{16 + vc}.{cl % 256}.{10 + n}", "netmask": "255.255.255.0",
        "dhcp": False, "mtu": 9000, "netstack": "vmotion", "gateway": None,
        "services": ["vmotion"],
    }
    vsan_ip = i - 1 if fault == "dup_ip" else i
    vsan = {
        "device": "vmk2", "portgroup": f"dvpg-vsan-c{cl}", "switch": f"dvs-vc{vc:02d}",
        "switch_kind": "distributed", "vlan": 30,
        # 62,500 hosts per second octet (168 up to 40,000 hosts), so no address repeats.
        "ipv4": f"192.{168 + vsan_ip // 62500}.{vsan_ip % 250}.{(vsan_ip // 250) % 250 + 1}",
        "netmask": "255.255.0.0", "dhcp": False, "mtu": 9000,
        "netstack": "defaultTcpipStack", "gateway": None, "services": ["vsan"],
    }
    switches = [
        {"name": "vSwitch0", "kind": "standard", "mtu": 1500, "uplinks": ["vmnic0", "vmnic1"]},
        {"name": f"dvs-vc{vc:02d}", "kind": "distributed", "mtu": 9000,
         "uplinks": ["vmnic2", "vmnic3"]},
    ]
    rulesets = [
        {"key": k, "enabled": en, "all_ip": False, "allowed_ips": [],
         "allowed_networks": ["10.0.0.0/16"]}
        for k, en in RULESETS
    ]
    state = "connected"
    if fault == "mtu_small":
        vsan["mtu"] = 1500
    elif fault == "mtu_above_switch":
        switches[1]["mtu"] = 1500
    elif fault == "mgmt_shared":
        mgmt["services"].append("vmotion")
    elif fault == "two_gateways":
        vsan["gateway"] = "192.168.0.1"
    elif fault == "fw_all_ip":
        rulesets[0].update(enabled=True, all_ip=True, allowed_networks=[])
    elif fault == "dhcp_vmotion":
        vmotion["dhcp"] = True
    elif fault == "disconnected":
        state = "notResponding"
    return {
        "name": name, "cluster": f"vc{vc:02d}-cl{cl:04d}", "datacenter": f"DC{vc:02d}",
        "source": f"https://vc{vc:02d}.example.com/sdk", "connection_state": state,
        "version": "8.0.3", "build": "24022510",
        "vmks": [mgmt, vmotion, vsan],
        "netstacks": [
            {"key": "defaultTcpipStack",
             "gateway": f"{mgmt_net[0]}.{mgmt_net[1]}.{mgmt_net[2]}.1"},
            {"key": "vmotion", "gateway": f"172.{16 + vc}.{cl % 256}.1"},
        ],
        "switches": switches,
        "firewall": {"incoming_blocked": True, "outgoing_blocked": True, "rulesets": rulesets},
    }


RULESET_DETAIL = {
    "sshServer": ("SSH Server", [("inbound", "tcp", 22)]),
    "vSphereClient": ("vSphere Web Client", [("inbound", "tcp", 902), ("inbound", "tcp", 443)]),
    "webAccess": ("vSphere Web Access", [("inbound", "tcp", 80)]),
    "nfc": ("NFC", [("inbound", "tcp", 902)]),
    "vMotion": ("vMotion", [("inbound", "tcp", 8000), ("outbound", "tcp", 8000)]),
    "vsanvp": ("VSAN VASA Vendor Provider", [("inbound", "tcp", 8080), ("outbound", "tcp", 8080)]),
    "CIMHttpServer": ("CIM Server", [("inbound", "tcp", 5988)]),
    "snmp": ("SNMP Server", [("inbound", "udp", 161)]),
    "dhcp": ("DHCP Client", [("inbound", "udp", 68), ("outbound", "udp", 68)]),
    "dns": ("DNS Client", [("outbound", "udp", 53), ("outbound", "tcp", 53)]),
    "ntpClient": ("NTP Client", [("outbound", "udp", 123)]),
    "syslog": ("syslog", [("outbound", "udp", 514), ("outbound", "tcp", 514)]),
}

# Faults of the schema-2 data, one host in 40 (offset from the others) carrying one.
FAULTS2 = [
    "ssh_running",      # SSH service running and starting with the host
    "uplink_down",      # the management vmk's active uplink has no link (standby carries it)
    "lockdown_off",     # lockdown mode disabled
    "promiscuous",      # the vMotion port group accepts promiscuous mode
]


def schema2(h, i):
    """Add to host `h` (number `i`) what schema 2 records, as `vmkaudit collect` writes it."""
    fault = FAULTS2[(i // 40) % len(FAULTS2)] if i % 40 == 19 else None
    uplinks = {"vmk0": (["vmnic0"], ["vmnic1"]), "vmk1": (["vmnic2"], ["vmnic3"]),
               "vmk2": (["vmnic3"], ["vmnic2"])}
    for v in h["vmks"]:
        active, standby = uplinks[v["device"]]
        v.setdefault("mac", f"00:50:56:{(i >> 8) & 255:02x}:{i & 255:02x}:{int(v['device'][3:]):02x}")
        v["teaming"] = {"policy": "loadbalance_srcid", "active": active, "standby": standby}
        v["security"] = {"promiscuous": fault == "promiscuous" and v["device"] == "vmk1",
                         "mac_changes": False, "forged_transmits": False}
        v["iscsi_bound"] = False
    for s in h["netstacks"]:
        s["routes"] = []
    for r in h["firewall"]["rulesets"]:
        label, rules = RULESET_DETAIL[r["key"]]
        r["label"] = label
        r["ip_list_user_configurable"] = True
        r["user_controllable"] = True
        r["rules"] = [{"direction": d, "protocol": p, "port": n} for d, p, n in rules]
    ssh = fault == "ssh_running"
    h["services"] = [
        {"key": "TSM", "label": "ESXi Shell", "running": False, "policy": "off"},
        {"key": "TSM-SSH", "label": "SSH", "running": ssh, "policy": "on" if ssh else "off"},
        {"key": "ntpd", "label": "NTP Daemon", "running": True, "policy": "on"},
        {"key": "sfcbd-watchdog", "label": "CIM Server", "running": False, "policy": "off"},
        {"key": "slpd", "label": "slpd", "running": False, "policy": "off"},
    ]
    h["pnics"] = [
        {"device": f"vmnic{k}", "link_up": not (fault == "uplink_down" and k == 0),
         "speed_mbps": 25000, "duplex": "full"}
        for k in range(4)
    ]
    h["lockdown_mode"] = "disabled" if fault == "lockdown_off" else "normal"
    return h


# Fields of an inventory host that the simulator scenario does not take (placement comes from
# the scenario's nesting).
PLACEMENT = ("cluster", "datacenter", "source")


def scenario(n):
    if not 1 <= n <= 2500:
        sys.exit("a scenario is one vCenter: 1 to 2,500 hosts")
    clusters = {}
    for i in range(n):
        h = host(i)
        cl = h["cluster"]
        for k in PLACEMENT:
            del h[k]
        for r in h["firewall"]["rulesets"]:
            r["label"] = r["key"]
        clusters.setdefault(cl, []).append(h)
    portgroups = []
    for c in range((n + 24) // 25):
        portgroups.append({"name": f"dvpg-vmotion-c{c}", "vlan": 20})
        portgroups.append({"name": f"dvpg-vsan-c{c}", "vlan": 30})
    return {
        "mode": "vcenter",
        "user": "bench@vsphere.local",
        "password": "bench-pw",
        "datacenters": [{
            "name": "DC00",
            "dvs": [{"name": "dvs-vc00", "max_mtu": 9000, "portgroups": portgroups}],
            "clusters": [{"name": k, "hosts": v} for k, v in clusters.items()],
        }],
    }


RVTOOLS_COLUMNS = [
    "Host", "Datacenter", "Cluster", "Port Group", "Device", "Mac Address", "DHCP", "IP Address",
    "IP 6 Address", "Subnet mask", "Gateway", "IP 6 Gateway", "MTU", "VI SDK Server",
    "VI SDK UUID",
]


def rvtools(n, out, max_rows=None):
    """Write hosts 0..n (or as many as max_rows vmk rows need) as an RVTools vSC_VMK CSV."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(RVTOOLS_COLUMNS)
    rows = 0
    i = 0
    while (i < n) if max_rows is None else (rows < max_rows):
        h = host(i)
        gw = h["netstacks"][0]["gateway"]
        for v in h["vmks"]:
            if max_rows is not None and rows >= max_rows:
                break
            w.writerow([
                h["name"], h["datacenter"], h["cluster"], v["portgroup"], v["device"],
                v.get("mac", ""), "True" if v["dhcp"] else "False", v["ipv4"], "",
                v["netmask"], gw if v["device"] == "vmk0" else "", "", v["mtu"],
                h["source"].split("/")[2], "00000000-0000-0000-0000-%012d" % (i // 2500),
            ])
            rows += 1
        i += 1


def main():
    args = sys.argv[1:]
    max_rows = None
    if "--vmks" in args[:-1]:
        i = args.index("--vmks")
        max_rows = int(args[i + 1])
        del args[i:i + 2]
    if len(args) == 3 and args[0] == "--rvtools":
        with open(args[2], "w", encoding="utf-8-sig", newline="") as f:
            rvtools(int(args[1]), f, max_rows)
        return
    if len(args) == 3 and args[0] == "--scenario":
        with open(args[2], "w") as f:
            json.dump(scenario(int(args[1])), f, separators=(",", ":"))
        return
    version = 2
    if "--schema" in args[:-1]:
        i = args.index("--schema")
        version = int(args[i + 1])
        del args[i:i + 2]
        if version not in (1, 2):
            sys.exit("--schema: 1 or 2")
    if len(args) != 2:
        sys.exit(__doc__)
    n = int(args[0])
    vcs = (n + 2499) // 2500
    hosts = (host(i) for i in range(n))
    if version == 2:
        hosts = (schema2(host(i), i) for i in range(n))
    inv = {
        "schema_version": version,
        "collected_at": "2026-11-01T06:00:00+08:00",
        "sources": [{"name": f"https://vc{v:02d}.example.com/sdk", "kind": "vcenter",
                     "collected_at": "2026-11-01T06:00:00+08:00"} for v in range(vcs)],
        "hosts": list(hosts),
    }
    with open(args[1], "w") as f:
        json.dump(inv, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
