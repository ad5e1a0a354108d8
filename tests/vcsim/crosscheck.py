#!/usr/bin/python3
"""Cross-check a vmkaudit inventory with pyVmomi, an independent vSphere client.

Reads the same endpoint with pyVmomi (Debian's python3-pyvmomi), maps every host's vmks, TCP/IP
stacks, switches and firewall with its own code, and compares that with the inventory file
vmkaudit wrote. Prints the differences and exits 1 when there are any, 0 when both agree.

usage: crosscheck.py URL USER PASSWORD_ENV_VAR CA_FILE INVENTORY_JSON
"""

import json
import os
import ssl
import sys
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim


def norm(v):
    return v if v not in ("", None) else None


def placement(host):
    cluster = None
    datacenter = None
    p = host.parent
    while p is not None:
        if isinstance(p, vim.ClusterComputeResource):
            cluster = p.name
        if isinstance(p, vim.Datacenter):
            datacenter = p.name
            break
        p = p.parent
    return cluster, datacenter


def collect(si):
    content = si.RetrieveContent()
    esxi = content.about.apiType == "HostAgent"
    dvs_by_uuid = {}
    pg_by_key = {}
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.DistributedVirtualSwitch, vim.dvs.DistributedVirtualPortgroup], True
    )
    for obj in view.view:
        if isinstance(obj, vim.DistributedVirtualSwitch):
            dvs_by_uuid[obj.uuid] = (obj.name, getattr(obj.config, "maxMtu", None))
        else:
            vlan = getattr(obj.config.defaultPortConfig, "vlan", None)
            vlan_id = vlan.vlanId if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec) else None
            pg_by_key[obj.key] = (obj.name, vlan_id)
    view.Destroy()

    hosts = {}
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    for h in view.view:
        cluster, datacenter = placement(h)
        net = h.config.network
        proxies = {p.dvsUuid: p for p in (net.proxySwitch or [])}
        pgs = {p.spec.name: p.spec for p in (net.portgroup or [])}
        selected = {}
        for nc in (h.config.virtualNicManagerInfo.netConfig or []):
            for sv in (nc.selectedVnic or []):
                selected.setdefault(sv, set()).add(nc.nicType)
        vmks = {}
        for vn in net.vnic or []:
            spec = vn.spec
            rec = {
                "ipv4": norm(spec.ip.ipAddress),
                "netmask": norm(spec.ip.subnetMask),
                "dhcp": bool(spec.ip.dhcp),
                "mtu": spec.mtu,
                "mac": norm(spec.mac),
                "netstack": spec.netStackInstanceKey or "defaultTcpipStack",
                "gateway": norm(spec.ipRouteSpec.ipRouteConfig.defaultGateway) if spec.ipRouteSpec else None,
                "services": sorted(t for t in {x for k, v in selected.items() for x in v}
                                   if "%s.%s" % (t, vn.key) in selected),
            }
            if spec.distributedVirtualPort is not None:
                dvp = spec.distributedVirtualPort
                name = dvs_by_uuid.get(dvp.switchUuid, (None,))[0]
                if name is None and dvp.switchUuid in proxies:
                    name = proxies[dvp.switchUuid].dvsName
                pg = pg_by_key.get(dvp.portgroupKey, (None, None))
                rec.update(switch=name, switch_kind="distributed", portgroup=pg[0], vlan=pg[1])
            else:
                pgspec = pgs.get(vn.portgroup)
                rec.update(switch=pgspec.vswitchName if pgspec else None, switch_kind="standard",
                           portgroup=norm(vn.portgroup), vlan=pgspec.vlanId if pgspec else None)
            vmks[vn.device] = rec
        stacks = {n.key: norm(n.ipRouteConfig.defaultGateway) for n in (net.netStackInstance or [])}
        switches = {s.name: s.spec.mtu for s in (net.vswitch or [])}
        for p in net.proxySwitch or []:
            name, mtu = dvs_by_uuid.get(p.dvsUuid, (p.dvsName, p.mtu))
            switches[name] = mtu if mtu is not None else p.mtu
        fw = h.config.firewall
        firewall = None
        if fw is not None:
            firewall = {
                "incoming_blocked": fw.defaultPolicy.incomingBlocked,
                "outgoing_blocked": fw.defaultPolicy.outgoingBlocked,
                "rulesets": {
                    r.key: {
                        "enabled": r.enabled,
                        "all_ip": r.allowedHosts.allIp if r.allowedHosts else True,
                        "ips": sorted(r.allowedHosts.ipAddress or []) if r.allowedHosts else [],
                        "nets": sorted("%s/%d" % (n.network, n.prefixLength)
                                       for n in (r.allowedHosts.ipNetwork or [])) if r.allowedHosts else [],
                    }
                    for r in (fw.ruleset or [])
                },
            }
        hosts[h.name] = {
            "cluster": cluster,
            "datacenter": None if esxi else datacenter,
            "connection_state": str(h.runtime.connectionState),
            "version": h.summary.config.product.version,
            "build": h.summary.config.product.build,
            "vmks": vmks,
            "netstacks": stacks,
            "switches": switches,
            "firewall": firewall,
        }
    view.Destroy()
    return hosts


def from_inventory(inv):
    hosts = {}
    for h in inv["hosts"]:
        fw = h.get("firewall")
        hosts[h["name"]] = {
            "cluster": h.get("cluster"),
            "datacenter": h.get("datacenter"),
            "connection_state": h.get("connection_state"),
            "version": h.get("version"),
            "build": h.get("build"),
            "vmks": {
                v["device"]: {
                    "ipv4": v.get("ipv4"), "netmask": v.get("netmask"), "dhcp": v.get("dhcp"),
                    "mtu": v.get("mtu"), "mac": v.get("mac"), "netstack": v.get("netstack"),
                    "gateway": v.get("gateway"), "services": sorted(v.get("services") or []),
                    "switch": v.get("switch"), "switch_kind": v.get("switch_kind"),
                    "portgroup": v.get("portgroup"), "vlan": v.get("vlan"),
                }
                for v in h["vmks"]
            },
            "netstacks": {n["key"]: n.get("gateway") for n in (h.get("netstacks") or [])},
            "switches": {s["name"]: s.get("mtu") for s in (h.get("switches") or [])},
            "firewall": None if fw is None else {
                "incoming_blocked": fw["incoming_blocked"],
                "outgoing_blocked": fw["outgoing_blocked"],
                "rulesets": {
                    r["key"]: {"enabled": r["enabled"], "all_ip": r["all_ip"],
                               "ips": sorted(r["allowed_ips"]), "nets": sorted(r["allowed_networks"])}
                    for r in fw["rulesets"]
                },
            },
        }
    return hosts


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            out += diff(a.get(k, "<absent>"), b.get(k, "<absent>"), "%s/%s" % (path, k))
    elif a != b:
        out.append("%s: pyVmomi %r, vmkaudit %r" % (path, a, b))
    return out


def main():
    url, user, pw_var, ca_file, inv_path = sys.argv[1:6]
    u = urlparse(url)
    ctx = ssl.create_default_context(cafile=ca_file)
    si = SmartConnect(host=u.hostname, port=u.port or 443, user=user, pwd=os.environ[pw_var], sslContext=ctx)
    try:
        seen = collect(si)
    finally:
        Disconnect(si)
    with open(inv_path) as f:
        got = from_inventory(json.load(f))
    problems = diff(seen, got)
    for p in problems:
        print(p)
    print("crosscheck: %d hosts, %d differences" % (len(seen), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
