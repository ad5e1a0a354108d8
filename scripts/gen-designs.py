#!/usr/bin/env python3
"""Generate the supported-design fixtures (Python 3 standard library only; deterministic).

Writes tests/fixtures/designs/<n>-<name>/inventory.json: one small vmkaudit inventory
(schema_version 2) per network design VMware documents as supported, each host fully populated
(TCP/IP stacks with their static routes, switches, teaming, security policy, iSCSI binding, host
services, physical NICs, lockdown mode, firewall) so that every rule sees a healthy host. The
test `designs::` (tests/it/designs.rs) evaluates each of them, and all of them as one estate,
with every rule of the default, stig and pre-upgrade sets enabled, and fails on any warning or
error: a report that flags a supported design is a false alarm. tests/fixtures/designs/README.md
describes the designs and their sources.

scripts/gen-samples.py imports `design_clusters()` from here to put the same designs, healthy,
into the sample lab.

Usage: python3 scripts/gen-designs.py [--check]
  --check  do not write; exit 1 if any fixture differs from what would be written.
"""

import ipaddress
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "designs"
DOMAIN = "design.example"
VCENTER = "https://vc-designs.design.example/sdk"
ADMIN_NET = "10.250.0.0/24"  # jump hosts, NTP, syslog, backup proxies
VERSION, BUILD = "8.0.3", "24022510"

# Host services as a hardened ESXi 8 reports them: shells, SLP and CIM stopped with policy off.
HOST_SERVICES = [
    ("TSM", "ESXi Shell", False, "off"),
    ("TSM-SSH", "SSH", False, "off"),
    ("ntpd", "NTP Daemon", True, "on"),
    ("sfcbd-watchdog", "CIM Server", False, "off"),
    ("slpd", "slpd", False, "off"),
]


def netmask(prefix):
    return str(ipaddress.IPv4Network("0.0.0.0/%d" % prefix).netmask)


def ruleset(key, label, enabled, all_ip, networks, ports, configurable=True):
    return {
        "key": key,
        "label": label,
        "enabled": enabled,
        "all_ip": all_ip,
        "allowed_ips": [],
        "allowed_networks": list(networks),
        "ip_list_user_configurable": configurable,
        "user_controllable": True,
        "rules": [{"direction": d, "protocol": p, "port": n} for d, p, n in ports],
    }


def firewall(mgmt_nets):
    mgmt = [ADMIN_NET] + list(mgmt_nets)
    return {
        "incoming_blocked": True,
        "outgoing_blocked": True,
        "rulesets": [
            ruleset("CIMSLP", "CIM SLP", False, True, [],
                    [("inbound", "udp", 427), ("inbound", "tcp", 427)]),
            ruleset("dns", "DNS Client", True, True, [],
                    [("outbound", "udp", 53), ("outbound", "tcp", 53)], configurable=False),
            ruleset("nfc", "NFC", True, False, mgmt, [("inbound", "tcp", 902)]),
            ruleset("ntpClient", "NTP Client", True, False, [ADMIN_NET],
                    [("outbound", "udp", 123)]),
            ruleset("sshServer", "SSH Server", False, True, [], [("inbound", "tcp", 22)]),
            ruleset("syslog", "syslog", True, False, [ADMIN_NET],
                    [("outbound", "udp", 514), ("outbound", "tcp", 514)]),
            ruleset("vSphereClient", "vSphere Web Client", True, False, mgmt,
                    [("inbound", "tcp", 902), ("inbound", "tcp", 443)]),
            ruleset("webAccess", "vSphere Web Access", True, False, mgmt,
                    [("inbound", "tcp", 80)]),
        ],
    }


class Host:
    """One ESXi host under construction."""

    seq = 0

    def __init__(self, name, cluster, datacenter, mgmt, mgmt_gw, pnics=4, speed=25000,
                 mgmt_pg="Management Network", mgmt_vlan=10, mgmt_services=("management",),
                 extra_mgmt_nets=()):
        Host.seq += 1
        self.idx = Host.seq
        self.h = {
            "name": "%s.%s" % (name, DOMAIN),
            "cluster": cluster,
            "datacenter": datacenter,
            "source": VCENTER,
            "connection_state": "connected",
            "version": VERSION,
            "build": BUILD,
            "vmks": [],
            "netstacks": [
                {"key": "defaultTcpipStack", "gateway": mgmt_gw, "routes": []},
                {"key": "vmotion", "gateway": None, "routes": []},
                {"key": "vSphereProvisioning", "gateway": None, "routes": []},
            ],
            "switches": [],
            "firewall": None,
            "services": [
                {"key": k, "label": label, "running": running, "policy": policy}
                for k, label, running, policy in HOST_SERVICES
            ],
            "pnics": [
                {"device": "vmnic%d" % i, "link_up": True, "speed_mbps": speed, "duplex": "full"}
                for i in range(pnics)
            ],
            "lockdown_mode": "normal",
        }
        mgmt_net = str(ipaddress.IPv4Interface(mgmt).network)
        self.h["firewall"] = firewall([mgmt_net] + list(extra_mgmt_nets))
        self.switch("vSwitch0", "standard", 1500, ["vmnic0", "vmnic1"])
        self.vmk("vmk0", mgmt_pg, "vSwitch0", mgmt_vlan, mgmt, 1500, "defaultTcpipStack",
                 list(mgmt_services), active=["vmnic0"], standby=["vmnic1"])

    def switch(self, name, kind, mtu, uplinks):
        self.h["switches"].append({"name": name, "kind": kind, "mtu": mtu, "uplinks": uplinks})
        return self

    def vmk(self, device, pg, switch, vlan, iface, mtu, stack, services, gateway=None,
            active=(), standby=(), iscsi_bound=False):
        addr = ipaddress.IPv4Interface(iface)
        kind = next(s["kind"] for s in self.h["switches"] if s["name"] == switch)
        n = len(self.h["vmks"])
        self.h["vmks"].append({
            "device": device,
            "portgroup": pg,
            "switch": switch,
            "switch_kind": kind,
            "vlan": vlan,
            "ipv4": str(addr.ip),
            "netmask": netmask(addr.network.prefixlen),
            "dhcp": False,
            "mtu": mtu,
            "netstack": stack,
            "gateway": gateway,
            "services": services,
            "mac": "00:50:56:6%x:%02x:%02x" % (self.idx // 256, self.idx % 256, n),
            "teaming": {
                "policy": "failover_explicit" if not standby else "loadbalance_srcid",
                "active": list(active),
                "standby": list(standby),
            },
            "security": {"promiscuous": False, "mac_changes": False, "forged_transmits": False},
            "iscsi_bound": iscsi_bound,
        })
        return self

    def stack(self, key):
        return next(n for n in self.h["netstacks"] if n["key"] == key)

    def route(self, stack, network, gateway, device=None):
        self.stack(stack)["routes"].append(
            {"network": network, "gateway": gateway, "device": device})
        return self


def ip(net, host_octet, prefix=24):
    """`10.1.31.0` + 12 -> `10.1.31.12/24`."""
    return "%s/%d" % (ipaddress.IPv4Address(net) + host_octet, prefix)


# --- the designs ------------------------------------------------------------------------------
# Each returns a list of Host. Host names are unique across designs and all addresses are
# distinct (design 8 reuses its non-routed subnets and addresses on purpose), so that all the
# designs together are one healthy estate too.


def d1_routed_overrides():
    """Routed vSAN and vMotion with per-vmk gateway overrides (vSphere 6.5+, vSAN 7+): two
    racks, each with its own management, vMotion and vSAN subnets; every host overrides the
    default gateway of its vMotion and vSAN vmks with its rack's gateway in that vmk's subnet."""
    hosts = []
    for rack in (1, 2):
        for n in (1, 2):
            o = 10 + n
            name = "d1-r%d-esx%02d" % (rack, n)
            h = Host(name, "D1-Routed", "DC-D1", ip("10.1.%d.0" % (10 + rack), o),
                     "10.1.%d.1" % (10 + rack), extra_mgmt_nets=["10.1.11.0/24", "10.1.12.0/24"])
            h.switch("DVS-D1", "distributed", 9000, ["vmnic2", "vmnic3"])
            h.vmk("vmk1", "dvPG-D1-R%d-vMotion" % rack, "DVS-D1", 20 + rack,
                  ip("10.1.%d.0" % (20 + rack), o), 9000, "defaultTcpipStack", ["vmotion"],
                  gateway="10.1.%d.1" % (20 + rack), active=["vmnic3"], standby=["vmnic2"])
            h.vmk("vmk2", "dvPG-D1-R%d-vSAN" % rack, "DVS-D1", 30 + rack,
                  ip("10.1.%d.0" % (30 + rack), o), 9000, "defaultTcpipStack", ["vsan"],
                  gateway="10.1.%d.1" % (30 + rack), active=["vmnic2"], standby=["vmnic3"])
            hosts.append(h)
    return hosts


def d2_l3_stacks():
    """L3 vMotion and provisioning on their own TCP/IP stacks, each stack with its rack's
    gateway in the vmk's subnet."""
    hosts = []
    for rack in (1, 2):
        for n in (1, 2):
            o = 10 + n
            h = Host("d2-r%d-esx%02d" % (rack, n), "D2-L3-Stacks", "DC-D2",
                     ip("10.2.%d.0" % (10 + rack), o), "10.2.%d.1" % (10 + rack),
                     extra_mgmt_nets=["10.2.11.0/24", "10.2.12.0/24"])
            h.switch("DVS-D2", "distributed", 9000, ["vmnic2", "vmnic3"])
            h.vmk("vmk1", "dvPG-D2-R%d-vMotion" % rack, "DVS-D2", 20 + rack,
                  ip("10.2.%d.0" % (20 + rack), o), 9000, "vmotion", ["vmotion"],
                  active=["vmnic2"], standby=["vmnic3"])
            h.vmk("vmk2", "dvPG-D2-R%d-Provisioning" % rack, "DVS-D2", 40 + rack,
                  ip("10.2.%d.0" % (40 + rack), o), 9000, "vSphereProvisioning",
                  ["vSphereProvisioning"], active=["vmnic3"], standby=["vmnic2"])
            h.stack("vmotion")["gateway"] = "10.2.%d.1" % (20 + rack)
            h.stack("vSphereProvisioning")["gateway"] = "10.2.%d.1" % (40 + rack)
            hosts.append(h)
    return hosts


def d3_multi_nic_vmotion():
    """Multi-NIC vMotion: two vMotion vmks per host in one subnet, each active on one uplink and
    standby on the other (KB 2007467); cluster D3-Stack on the vmotion stack, cluster
    D3-Default on the default stack with provisioning on the same vmks."""
    hosts = []
    for c, (cluster, stack, services, sub) in enumerate([
        ("D3-Stack", "vmotion", ["vmotion"], 20),
        ("D3-Default", "defaultTcpipStack", ["vmotion", "vSphereProvisioning"], 120),
    ]):
        for n in (1, 2):
            o = 10 + n
            mg = 10 + 100 * c
            h = Host("d3-%s-esx%02d" % ("stk" if c == 0 else "def", n), cluster, "DC-D3",
                     ip("10.3.%d.0" % mg, o), "10.3.%d.1" % mg)
            dvs = "DVS-%s" % cluster
            h.switch(dvs, "distributed", 9000, ["vmnic2", "vmnic3"])
            for i, (a, s) in enumerate([("vmnic2", "vmnic3"), ("vmnic3", "vmnic2")], start=1):
                h.vmk("vmk%d" % i, "dvPG-%s-vMotion-%d" % (cluster, i), dvs, sub,
                      ip("10.3.%d.0" % sub, 10 * i + n), 9000, stack, list(services),
                      active=[a], standby=[s])
            hosts.append(h)
    return hosts


def d4_iscsi_port_binding():
    """iSCSI port binding: two vmks per host in one subnet bound to the software iSCSI adapter,
    each with exactly one active uplink and no standby (KB 2045040, KB 2038869)."""
    hosts = []
    for n in (1, 2, 3):
        o = 10 + n
        h = Host("d4-esx%02d" % n, "D4-iSCSI", "DC-D4", ip("10.4.10.0", o), "10.4.10.1")
        h.switch("DVS-D4", "distributed", 9000, ["vmnic2", "vmnic3"])
        h.vmk("vmk1", "dvPG-D4-vMotion", "DVS-D4", 20, ip("10.4.20.0", o), 9000, "vmotion",
              ["vmotion"], active=["vmnic2"], standby=["vmnic3"])
        h.vmk("vmk2", "dvPG-D4-iSCSI-A", "DVS-D4", 50, ip("10.4.50.0", o), 9000,
              "defaultTcpipStack", [], active=["vmnic2"], iscsi_bound=True)
        h.vmk("vmk3", "dvPG-D4-iSCSI-B", "DVS-D4", 50, ip("10.4.50.0", 100 + o), 9000,
              "defaultTcpipStack", [], active=["vmnic3"], iscsi_bound=True)
        hosts.append(h)
    return hosts


def witness(name, datacenter, net, peer_mgmt):
    """A vSAN witness appliance (a standalone host in vCenter): management on vSwitch0 (two
    vNICs), the witness vmk1 tagged vsan on witnessSwitch in its own subnet, MTU 1500; static
    routes to the data sites are added by the design."""
    w = Host(name, None, datacenter, ip("%s.10.0" % net, 10), "%s.10.1" % net, pnics=3,
             speed=10000, extra_mgmt_nets=peer_mgmt)
    w.switch("witnessSwitch", "standard", 1500, ["vmnic2"])
    w.vmk("vmk1", "witnessPg", "witnessSwitch", 0, ip("%s.30.0" % net, 10), 1500,
          "defaultTcpipStack", ["vsan"], active=["vmnic2"])
    return w


def d5_stretched_vsan():
    """Stretched vSAN with static routes: the vSAN vmks of the two data sites and of the witness
    appliance are in three different subnets on the default stack, joined by static routes
    through each site's vSAN gateway (vSAN planning guide: stretched cluster and witness
    networks); L3 vMotion between the sites on the vmotion stack."""
    sites = {"a": 5, "b": 55}
    witness_vsan = "10.59.30.0/24"
    hosts = []
    for site, s in sites.items():
        other = sites["b" if site == "a" else "a"]
        for n in (1, 2):
            o = 10 + n
            h = Host("d5-%s-esx%02d" % (site, n), "D5-Stretched", "DC-D5",
                     ip("10.%d.10.0" % s, o), "10.%d.10.1" % s,
                     extra_mgmt_nets=["10.5.10.0/24", "10.55.10.0/24", "10.59.10.0/24"])
            h.switch("DVS-D5", "distributed", 9000, ["vmnic2", "vmnic3"])
            h.vmk("vmk1", "dvPG-D5-%s-vMotion" % site.upper(), "DVS-D5", 20,
                  ip("10.%d.20.0" % s, o), 9000, "vmotion", ["vmotion"],
                  active=["vmnic3"], standby=["vmnic2"])
            h.stack("vmotion")["gateway"] = "10.%d.20.1" % s
            h.vmk("vmk2", "dvPG-D5-%s-vSAN" % site.upper(), "DVS-D5", 30,
                  ip("10.%d.30.0" % s, o), 9000, "defaultTcpipStack", ["vsan"],
                  active=["vmnic2"], standby=["vmnic3"])
            h.route("defaultTcpipStack", "10.%d.30.0/24" % other, "10.%d.30.1" % s)
            h.route("defaultTcpipStack", witness_vsan, "10.%d.30.1" % s)
            hosts.append(h)
    w = witness("d5-witness", "DC-D5-Witness", "10.59", ["10.5.10.0/24", "10.55.10.0/24"])
    for s in sites.values():
        w.route("defaultTcpipStack", "10.%d.30.0/24" % s, "10.59.30.1")
    hosts.append(w)
    return hosts


def d6_two_node_direct():
    """2-node vSAN, direct connect, with witness traffic separation: vsanWitness tagged on the
    management vmk (the witness is reached through the management gateway), vSAN and vMotion
    on back-to-back links without gateway (vSAN 2-node guide)."""
    hosts = []
    for n in (1, 2):
        h = Host("d6-esx%02d" % n, "D6-ROBO", "DC-D6", ip("10.6.10.0", 10 + n), "10.6.10.1",
                 mgmt_services=("management", "vsanWitness"),
                 extra_mgmt_nets=["10.60.10.0/24"])
        h.switch("vSwitch1", "standard", 9000, ["vmnic2", "vmnic3"])
        h.vmk("vmk1", "vSAN-Direct", "vSwitch1", 3001, ip("192.168.106.0", n), 9000,
              "defaultTcpipStack", ["vsan"], active=["vmnic2"], standby=["vmnic3"])
        h.vmk("vmk2", "vMotion-Direct", "vSwitch1", 3002, ip("192.168.107.0", n), 9000,
              "vmotion", ["vmotion"], active=["vmnic3"], standby=["vmnic2"])
        hosts.append(h)
    w = witness("d6-witness", "DC-D6-Witness", "10.60", ["10.6.10.0/24"])
    w.route("defaultTcpipStack", "10.6.10.0/24", "10.60.30.1")
    hosts.append(w)
    return hosts


def d7_ab_fabrics():
    """A/B storage fabrics: NVMe/TCP (cluster D7-NVMe) and iSCSI without port binding (cluster
    D7-iSCSI), two vmks per host in two subnets without a gateway, each on its own VLAN with one
    active uplink: a host reaches its peers and targets fabric by fabric."""
    hosts = []
    for c, (cluster, services, base) in enumerate([
        ("D7-NVMe", ["nvmeTcp"], 70),
        ("D7-iSCSI", [], 80),
    ]):
        for n in (1, 2):
            o = 10 + n
            mg = 10 + c
            h = Host("d7-%s-esx%02d" % ("nvme" if c == 0 else "iscsi", n), cluster, "DC-D7",
                     ip("10.7.%d.0" % mg, o), "10.7.%d.1" % mg)
            dvs = "DVS-%s" % cluster
            h.switch(dvs, "distributed", 9000, ["vmnic2", "vmnic3"])
            h.vmk("vmk1", "dvPG-%s-vMotion" % cluster, dvs, 20 + c, ip("10.7.%d.0" % (20 + c), o),
                  9000, "vmotion", ["vmotion"], active=["vmnic2"], standby=["vmnic3"])
            for i, (fabric, nic) in enumerate([("A", "vmnic2"), ("B", "vmnic3")]):
                sub = base + 1 + i
                h.vmk("vmk%d" % (2 + i), "dvPG-%s-%s" % (cluster, fabric), dvs, sub,
                      ip("10.7.%d.0" % sub, o), 9000, "defaultTcpipStack", list(services),
                      active=[nic])
            hosts.append(h)
    return hosts


def d8_reused_subnet():
    """One non-routed subnet reused per cluster: clusters D8-A and D8-B each put vMotion in
    192.168.20.0/24 and vSAN in 192.168.30.0/24, with the same addresses, on their own
    distributed switch and VLANs, and different MTUs: isolated networks that only share a
    number."""
    hosts = []
    for c, (cluster, mtu) in enumerate([("D8-A", 9000), ("D8-B", 1500)]):
        for n in (1, 2):
            o = 10 + n
            h = Host("d8-%s-esx%02d" % ("ab"[c], n), cluster, "DC-D8",
                     ip("10.8.%d.0" % (10 + c), o), "10.8.%d.1" % (10 + c))
            dvs = "DVS-%s" % cluster
            h.switch(dvs, "distributed", mtu, ["vmnic2", "vmnic3"])
            h.vmk("vmk1", "dvPG-%s-vMotion" % cluster, dvs, 20 + 100 * c,
                  ip("192.168.20.0", o), mtu, "vmotion", ["vmotion"],
                  active=["vmnic2"], standby=["vmnic3"])
            h.vmk("vmk2", "dvPG-%s-vSAN" % cluster, dvs, 30 + 100 * c,
                  ip("192.168.30.0", o), mtu, "defaultTcpipStack", ["vsan"],
                  active=["vmnic3"], standby=["vmnic2"])
            hosts.append(h)
    return hosts


DESIGNS = [
    ("1-routed-overrides", d1_routed_overrides),
    ("2-l3-stacks", d2_l3_stacks),
    ("3-multi-nic-vmotion", d3_multi_nic_vmotion),
    ("4-iscsi-port-binding", d4_iscsi_port_binding),
    ("5-stretched-vsan", d5_stretched_vsan),
    ("6-two-node-direct", d6_two_node_direct),
    ("7-ab-fabrics", d7_ab_fabrics),
    ("8-reused-subnet", d8_reused_subnet),
]


def design_hosts():
    """(design directory name, [host dict]) for every design, built afresh."""
    Host.seq = 0
    return [(name, [h.h for h in build()]) for name, build in DESIGNS]


def inventory(hosts):
    return {
        "schema_version": 2,
        "collected_at": "2026-11-20T02:00:00Z",
        "sources": [{"name": VCENTER, "kind": "vcenter", "collected_at": "2026-11-20T02:00:00Z",
                     "product": "VMware vCenter Server 8.0.3 build-24022515"}],
        "hosts": hosts,
    }


def main(argv):
    check = "--check" in argv[1:]
    stale = []
    for name, hosts in design_hosts():
        path = OUT / name / "inventory.json"
        data = (json.dumps(inventory(hosts), indent=2) + "\n").encode()
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if stale:
        print("out of date (run scripts/gen-designs.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
