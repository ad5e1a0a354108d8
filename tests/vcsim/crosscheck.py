#!/usr/bin/python3
"""Cross-check a vmkaudit inventory with pyVmomi, an independent vSphere client.

Reads the same endpoint with pyVmomi (Debian's python3-pyvmomi), maps every host's vmks (with
teaming, security, VLAN specs, IPv6 settings, DV port overrides, NSX tunnel endpoints), TCP/IP
stacks with static routes, switches, firewall with rules, services, physical NICs and lockdown
mode with its own code, and compares that with the inventory file vmkaudit wrote. Prints the differences and exits 1 when there are any, 0 when both agree.

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


def vlan_of(v):
    """A distributed port setting's VLAN as the inventory writes it."""
    if isinstance(v, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        return v.vlanId
    if isinstance(v, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        return {"trunk": [[r.start, r.end] for r in v.vlanId]}
    if isinstance(v, vim.dvs.VmwareDistributedVirtualSwitch.PvlanSpec):
        return {"pvlan": v.pvlanId}
    return None


def dv_parts(setting, own_only):
    """(vlan, teaming, security) of a distributed port setting; a port's inherited parts None."""
    def part(name):
        p = getattr(setting, name, None) if setting is not None else None
        if p is None or (own_only and p.inherited is not False):
            return None
        return p
    vlan = part("vlan")
    t = part("uplinkTeamingPolicy")
    s = part("securityPolicy")
    teaming = None
    if t is not None:
        order = t.uplinkPortOrder
        teaming = {"policy": t.policy.value if t.policy else None,
                   "active": list(order.activeUplinkPort or []) if order else [],
                   "standby": list(order.standbyUplinkPort or []) if order else []}
    security = None
    if s is not None:
        val = lambda b: b.value if b is not None else None
        security = {"promiscuous": val(s.allowPromiscuous), "mac_changes": val(s.macChanges),
                    "forged_transmits": val(s.forgedTransmits)}
    return [vlan_of(vlan) if vlan is not None else None, teaming, security]


def static_routes(entries):
    out = []
    for r in entries:
        if r.prefixLength == 0 or r.gateway in ("0.0.0.0", "::", "", None):
            continue
        out.append({"network": "%s/%d" % (r.network, r.prefixLength), "gateway": r.gateway,
                    "device": norm(r.deviceName)})
    return sorted(out, key=lambda r: (r["network"], r["gateway"]))


def collect(si):
    content = si.RetrieveContent()
    esxi = content.about.apiType == "HostAgent"
    dvs_by_uuid = {}
    dvs_default = {}
    pg_by_key = {}
    ports = {}
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.DistributedVirtualSwitch, vim.dvs.DistributedVirtualPortgroup], True
    )
    for obj in view.view:
        if isinstance(obj, vim.DistributedVirtualSwitch):
            dvs_by_uuid[obj.uuid] = (obj.name, getattr(obj.config, "maxMtu", None))
            dvs_default[obj.uuid] = dv_parts(obj.config.defaultPortConfig, False)
        else:
            parts = dv_parts(obj.config.defaultPortConfig, False)
            pg_by_key[obj.key] = (obj.name, parts)
            pol = obj.config.policy
            if pol is not None and (pol.vlanOverrideAllowed or pol.uplinkTeamingOverrideAllowed
                                    or pol.securityPolicyOverrideAllowed):
                dvs = obj.config.distributedVirtualSwitch
                crit = vim.dvs.PortCriteria(portgroupKey=[obj.key], inside=True)
                for port in dvs.FetchDVPorts(crit):
                    if port.connectee is not None and port.connectee.type == "hostVmkVirtualNic":
                        ports[(port.dvsUuid, port.key)] = dv_parts(port.config.setting, True)
    view.Destroy()

    hosts = {}
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    for h in view.view:
        cluster, datacenter = placement(h)
        net = h.config.network
        proxies = {p.dvsUuid: p for p in (net.proxySwitch or [])}
        pgs = {p.spec.name: p for p in (net.portgroup or [])}
        # Per switch UUID: uplink port name -> physical NICs.
        uplinks = {}
        for p in net.proxySwitch or []:
            nic = {ps.uplinkPortKey: ps.pnicDevice for ps in (getattr(p.spec.backing, "pnicSpec", None) or [])}
            m = {kv.value: [nic[kv.key]] if kv.key in nic else [] for kv in (p.uplinkPort or [])}
            for lag in p.hostLag or []:
                m[lag.lagName] = [nic[kv.key] for kv in (lag.uplinkPort or []) if kv.key in nic]
            uplinks[p.dvsUuid] = m
        opaque = {n.opaqueNetworkId: n.opaqueNetworkName for n in (net.opaqueNetwork or [])}
        selected = {}
        for nc in (h.config.virtualNicManagerInfo.netConfig or []):
            for sv in (nc.selectedVnic or []):
                selected.setdefault(sv, set()).add(nc.nicType)
        vmks = {}
        vnics = [(vn, None) for vn in (net.vnic or [])]
        for osw in net.opaqueSwitch or []:
            vnics += [(vt, osw.name) for vt in (osw.vtep or [])]
        for vn, vtep_switch in vnics:
            spec = vn.spec
            v6 = spec.ip.ipV6Config
            route = spec.ipRouteSpec.ipRouteConfig if spec.ipRouteSpec else None
            rec = {
                "ipv4": norm(spec.ip.ipAddress),
                "netmask": norm(spec.ip.subnetMask),
                "dhcp": bool(spec.ip.dhcp),
                "mtu": spec.mtu,
                "mac": norm(spec.mac),
                "netstack": spec.netStackInstanceKey or "defaultTcpipStack",
                "gateway": norm(route.defaultGateway) if route else None,
                "ipv6": ["%s/%d" % (a.ipAddress, a.prefixLength) for a in ((v6.ipV6Address or []) if v6 else [])],
                "ipv6_gateway": norm(route.ipV6DefaultGateway) if route else None,
                "ipv6_dhcp": v6.dhcpV6Enabled if v6 else None,
                "ipv6_autoconf": v6.autoConfigurationEnabled if v6 else None,
                "teaming": None, "security": None, "iscsi_bound": None,
                "services": sorted(t for t in {x for k, v in selected.items() for x in v}
                                   if "%s.%s" % (t, vn.key) in selected),
            }
            if vtep_switch is not None:
                rec.update(switch=vtep_switch, switch_kind="nsx", portgroup=None, vlan=None)
            elif spec.distributedVirtualPort is not None:
                dvp = spec.distributedVirtualPort
                name = dvs_by_uuid.get(dvp.switchUuid, (None,))[0]
                if name is None and dvp.switchUuid in proxies:
                    name = proxies[dvp.switchUuid].dvsName
                pg = pg_by_key.get(dvp.portgroupKey)
                rec.update(switch=name, switch_kind="distributed", portgroup=None, vlan=None)
                if pg is not None:
                    parts = [o if o is not None else (p if p is not None else d) for o, p, d in
                             zip(ports.get((dvp.switchUuid, dvp.portKey), [None] * 3), pg[1],
                                 dvs_default.get(dvp.switchUuid, [None] * 3))]
                    teaming = parts[1]
                    if teaming is not None:
                        m = uplinks.get(dvp.switchUuid, {})
                        nics = lambda names: [n for u in names for n in m.get(u, [])]
                        teaming = dict(teaming, active=nics(teaming["active"]), standby=nics(teaming["standby"]))
                    rec.update(portgroup=pg[0], vlan=parts[0], teaming=teaming, security=parts[2])
            elif spec.opaqueNetwork is not None:
                nid = spec.opaqueNetwork.opaqueNetworkId
                rec.update(switch=None, switch_kind="nsx", portgroup=opaque.get(nid, nid), vlan=None)
            else:
                pg = pgs.get(vn.portgroup)
                rec.update(switch=pg.spec.vswitchName if pg else None, switch_kind="standard",
                           portgroup=norm(vn.portgroup), vlan=pg.spec.vlanId if pg else None)
                pol = pg.computedPolicy if pg else None
                if pol is not None and pol.nicTeaming is not None:
                    t = pol.nicTeaming
                    rec["teaming"] = {"policy": t.policy,
                                      "active": list(t.nicOrder.activeNic or []) if t.nicOrder else [],
                                      "standby": list(t.nicOrder.standbyNic or []) if t.nicOrder else []}
                if pol is not None and pol.security is not None:
                    s = pol.security
                    rec["security"] = {"promiscuous": s.allowPromiscuous, "mac_changes": s.macChanges,
                                       "forged_transmits": s.forgedTransmits}
            vmks[vn.device] = rec
        stacks = {}
        for n in net.netStackInstance or []:
            if n.routeTableConfig is not None:
                routes = static_routes(op.route for op in
                                       list(n.routeTableConfig.ipRoute or []) + list(n.routeTableConfig.ipv6Route or [])
                                       if op.changeOperation != "remove")
            elif n.key == "defaultTcpipStack" and net.routeTableInfo is not None:
                routes = static_routes(list(net.routeTableInfo.ipRoute or []) + list(net.routeTableInfo.ipv6Route or []))
            else:
                routes = None
            stacks[n.key] = {"gateway": norm(n.ipRouteConfig.defaultGateway), "routes": routes}
        switches = {s.name: s.spec.mtu for s in (net.vswitch or [])}
        for o in net.opaqueSwitch or []:
            switches[o.name] = None
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
                        "ip_list_user_configurable": getattr(r, "ipListUserConfigurable", None),
                        "user_controllable": getattr(r, "userControllable", None),
                        "rules": [{"direction": str(x.direction), "protocol": x.protocol, "port": x.port,
                                   "end_port": x.endPort if x.endPort not in (None, 0, x.port) else None}
                                  for x in (r.rule or [])],
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
            "services": None if h.config.service is None else sorted(
                ({"key": s.key, "label": norm(s.label), "running": s.running, "policy": s.policy}
                 for s in (h.config.service.service or [])), key=lambda s: s["key"]),
            "pnics": sorted(({"device": p.device, "link_up": p.linkSpeed is not None,
                              "speed_mbps": p.linkSpeed.speedMb if p.linkSpeed else None,
                              "duplex": ("full" if p.linkSpeed.duplex else "half") if p.linkSpeed else None}
                             for p in (net.pnic or [])), key=lambda p: p["device"]),
            "lockdown_mode": {"lockdownDisabled": "disabled", "lockdownNormal": "normal",
                              "lockdownStrict": "strict"}.get(h.config.lockdownMode),
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
                    "ipv6": v.get("ipv6") or [], "ipv6_gateway": v.get("ipv6_gateway"),
                    "ipv6_dhcp": v.get("ipv6_dhcp"), "ipv6_autoconf": v.get("ipv6_autoconf"),
                    "teaming": v.get("teaming"), "security": v.get("security"),
                    "iscsi_bound": v.get("iscsi_bound"),
                }
                for v in h["vmks"]
            },
            "netstacks": {n["key"]: {"gateway": n.get("gateway"), "routes": n.get("routes")}
                          for n in (h.get("netstacks") or [])},
            "switches": {s["name"]: s.get("mtu") for s in (h.get("switches") or [])},
            "firewall": None if fw is None else {
                "incoming_blocked": fw["incoming_blocked"],
                "outgoing_blocked": fw["outgoing_blocked"],
                "rulesets": {
                    r["key"]: {"enabled": r["enabled"], "all_ip": r["all_ip"],
                               "ips": sorted(r["allowed_ips"]), "nets": sorted(r["allowed_networks"]),
                               "ip_list_user_configurable": r.get("ip_list_user_configurable"),
                               "user_controllable": r.get("user_controllable"),
                               "rules": [dict({"end_port": None}, **x) for x in (r.get("rules") or [])]}
                    for r in fw["rulesets"]
                },
            },
            "services": None if h.get("services") is None else sorted(
                ({"key": s["key"], "label": s.get("label"), "running": s["running"], "policy": s["policy"]}
                 for s in h["services"]), key=lambda s: s["key"]),
            "pnics": sorted(({"device": p["device"], "link_up": p.get("link_up"), "speed_mbps": p.get("speed_mbps"),
                              "duplex": p.get("duplex")} for p in (h.get("pnics") or [])), key=lambda p: p["device"]),
            "lockdown_mode": h.get("lockdown_mode"),
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
