#!/usr/bin/python3
"""Benchmark helper: the bulk retrieval `vmkaudit collect` does, written with pyVmomi.

Debian's python3-pyvmomi; run with /usr/bin/python3. Logs in, reads the inventory structure
(folders, datacenters, compute resources, distributed switches and port groups) and then every
HostSystem through container views with RetrievePropertiesEx / ContinueRetrievePropertiesEx,
asking for the same properties with the same maxObjects as vmkaudit, and logs out. pyVmomi
deserialises every answer into its objects; nothing else is done with them.

usage: pyvmomi_collect.py URL USER PASSWORD_ENV_VAR CA_FILE MAX_OBJECTS [RUNS]
Prints one line per run: `<seconds> <hosts>`.
"""

import os
import ssl
import sys
import time
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

HOST_PROPERTIES = [
    "name", "parent", "runtime.connectionState", "summary.config.product", "config.network",
    "config.virtualNicManagerInfo", "config.firewall",
]
ENTITY = ["name", "parent"]


def retrieve(pc, view, props, max_objects):
    """Every object of `view`, with `props` ({type: [paths]}), page by page."""
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
            obj=view, skip=True,
            selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                name="traverseView", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=t, pathSet=p)
                 for t, p in props])
    opts = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=max_objects)
    out = []
    res = pc.RetrievePropertiesEx([spec], opts)
    while res is not None:
        out.extend(res.objects)
        if not res.token:
            break
        res = pc.ContinueRetrievePropertiesEx(res.token)
    return out


def collect(url, user, password, ca_file, max_objects):
    u = urlparse(url)
    ctx = ssl.create_default_context(cafile=ca_file)
    si = SmartConnect(host=u.hostname, port=u.port or 443, user=user, pwd=password,
                      sslContext=ctx)
    try:
        content = si.RetrieveContent()
        pc = content.propertyCollector
        vm = content.viewManager
        view = vm.CreateContainerView(content.rootFolder, [
            vim.Folder, vim.Datacenter, vim.ComputeResource, vim.DistributedVirtualSwitch,
            vim.dvs.DistributedVirtualPortgroup], True)
        retrieve(pc, view, [
            (vim.Folder, ENTITY), (vim.Datacenter, ENTITY), (vim.ComputeResource, ENTITY),
            (vim.DistributedVirtualSwitch, ["name", "uuid", "config.maxMtu"]),
            (vim.dvs.DistributedVirtualPortgroup, ["name", "key", "config.defaultPortConfig"]),
        ], max_objects)
        view.Destroy()
        view = vm.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        hosts = retrieve(pc, view, [(vim.HostSystem, HOST_PROPERTIES)], max_objects)
        view.Destroy()
        return len(hosts)
    finally:
        Disconnect(si)


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    url, user, pw_var, ca_file, max_objects = sys.argv[1:6]
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    password = os.environ[pw_var]
    for _ in range(runs):
        start = time.monotonic()
        n = collect(url, user, password, ca_file, int(max_objects))
        print("%.4f %d" % (time.monotonic() - start, n), flush=True)


if __name__ == "__main__":
    main()
