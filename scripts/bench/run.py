#!/usr/bin/python3
"""Benchmark driver (called by scripts/bench.sh, which builds everything first).

Collection: starts the govmomi simulator fixture once on a generated scenario, warms it up, and
then measures, interleaved run by run so that load changes hit every column alike:
  vmkaudit   `vmkaudit collect` (release build), wall time of the process;
  bare HTTP  examples/bench_replay: the same POSTs vmkaudit sent (recorded with
             VMKAUDIT_DUMP_REQUESTS), bodies read whole and not parsed;
  pyVmomi    scripts/bench/pyvmomi_collect.py: the same retrieval with pyVmomi.
The simulator's CPU time per run is read from /proc/<pid>/stat around each run.

Collection with latency: the same simulator waiting --latency-ms (200) before each answer, as a
distant or busy vCenter does; one vCenter (vmkaudit with its streams, with one stream, and the
bare replay of the one-stream requests, sent one after the other) and --latency-sources (8)
vCenters of --latency-source-hosts (400) hosts collected at once against one of them alone.
Besides wall and CPU times, the requests each client sent one after the other ("in a row",
from the simulator's request log): with latency L no client can take less than that times L.

Evaluation and rendering: `vmkaudit check ESTATE -o DIR --format html,csv,json` per estate
size (a schema-2 inventory file, as `vmkaudit collect` writes it), wall time and peak RSS from
getrusage of the child (the same number as /usr/bin/time's "Maximum resident set size"); for the
--rvtools-sizes the same hosts as an RVTools export too, for the --parse-sizes the bare parse of
the file (examples/bench_parse) and the same hosts as a schema-1 inventory with its bare parse,
each run in alternation with the inventory file; with --rvtools-rows one big RVTools export.

Prints a Markdown table of medians and writes it, with every single run, to OUT_DIR.
"""

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PW_VAR = "VMKAUDIT_BENCH_PW"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


LAST_CPU = [0.0]


# GNU time (Debian package `time`), which starts the measured command from its own small
# process. A child that this driver forks itself inherits the driver's memory until it
# executes the command, and Linux counts that in the child's peak RSS (ru_maxrss): with the
# inventories this script has read, that was tens to hundreds of MiB that were not the
# measured program's.
GNU_TIME = "/usr/bin/time"


def run_timed(cmd, env=None):
    """Run `cmd`; return (wall seconds, peak RSS in KiB, exit code, stdout, stderr).

    The child's CPU time (user + system seconds) is left in LAST_CPU[0]. The peak RSS is the
    command's own, as GNU time reports it (its "Maximum resident set size"); without GNU time
    it is wait4's, which includes this driver's memory at the fork (a warning says so)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        timed = os.access(GNU_TIME, os.X_OK)
        full = [GNU_TIME, "-f", "%M", "-o", peak.name] + list(cmd) if timed else cmd
        start = time.monotonic()
        proc = subprocess.Popen(full, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        # wait4's rusage covers the child and what it waited for (time's command): CPU times.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        LAST_CPU[0] = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        maxrss = usage.ru_maxrss
        if timed:
            lines = peak.read().split()
            # GNU time writes "Command exited with non-zero status N" before the number.
            maxrss = int(lines[-1]) if lines and lines[-1].isdigit() else maxrss
        elif not WARNED_RSS[0]:
            WARNED_RSS[0] = True
            log("warning: %s not found (Debian package `time`): peak RSS includes this "
                "driver's memory" % GNU_TIME)
        out.seek(0)
        err.seek(0)
        return (wall, maxrss, proc.returncode,
                out.read().decode(errors="replace"), err.read().decode(errors="replace"))


WARNED_RSS = [False]


class Sim:
    """The simulator fixture, serving `scenario` until stopped."""

    def __init__(self, fixture, scenario, workdir, options=(), name="sim"):
        d = os.path.join(workdir, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        # Every request the simulator answers, with its arrival time (`-log`).
        self.log = os.path.join(d, "requests.log")
        self.proc = subprocess.Popen(
            [fixture, "-scenario", scenario, "-dir", d, "-log", self.log] + list(options),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the simulator fixture did not start")
        banner = json.loads(line)
        self.url, self.ca, self.user = banner["url"], banner["ca_file"], banner["user"]

    def mark(self):
        """Where the request log ends now: the start of the next run's requests."""
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def in_a_row(self, mark, latency_s):
        """The requests since `mark` that were sent one after the other: the most requests
        whose waits (the `latency_s` each spends in the simulator before it is served) do not
        overlap. With a latency L, no client can take less than that number times L."""
        with open(self.log) as f:
            f.seek(mark)
            arrivals = sorted(json.loads(line)["arrived"] for line in f)
        row, free = 0, float("-inf")
        for t in arrivals:
            # A millisecond of slack for the clock readings of two requests in a row.
            if t >= free - 0.001:
                row += 1
                free = t + latency_s
        return row, len(arrivals)

    def cpu(self):
        """User + system CPU seconds the simulator has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def bench_collect(args, out):
    scenario = scenario_file(args, args.collect_hosts)
    log("collection: starting the simulator with %d hosts" % args.collect_hosts)
    t0 = time.monotonic()
    sim = Sim(args.fixture, scenario, args.work)
    log("  simulator ready in %.1f s at %s" % (time.monotonic() - t0, sim.url))
    env = client_env(args)
    inv = os.path.join(args.work, "collected.json")
    collect = [args.vmkaudit, "collect", "-q", "--vcenter", sim.url, "--user", sim.user,
               "--password-env", PW_VAR, "--ca-file", sim.ca, "-o", inv]
    dump = os.path.join(args.work, "requests.jsonl")
    try:
        # Warm-up run, which also records the requests for the replay.
        if os.path.exists(dump):
            os.remove(dump)
        # The requests of one stream: the bare replay sends them one after the other (the
        # collectors of several streams could not be replayed: their IDs are per session).
        wall, _, rc, _, err = run_timed(collect, env=dict(env, VMKAUDIT_DUMP_REQUESTS=dump,
                                                          VMKAUDIT_STREAMS="1"))
        if rc != 0:
            raise SystemExit("vmkaudit collect failed (%d): %s" % (rc, err))
        with open(inv) as f:
            hosts = len(json.load(f)["hosts"])
        if hosts != args.collect_hosts:
            raise SystemExit("vmkaudit collected %d hosts, expected %d" % (hosts, args.collect_hosts))
        with open(dump) as f:
            requests = sum(1 for _ in f)
            f.seek(0)
            first = json.loads([l for l in f if "<maxObjects>" in l][-1])["envelope"]
        max_objects = first.split("<maxObjects>")[1].split("<")[0]
        log("  warm-up: vmkaudit %.2f s, %d requests, maxObjects %s" % (wall, requests, max_objects))
        replay = [args.replay, sim.url, sim.ca, dump, PW_VAR, "1"]
        pyv = [sys.executable, os.path.join(ROOT, "scripts/bench/pyvmomi_collect.py"),
               sim.url, sim.user, PW_VAR, sim.ca, max_objects, "1"]
        run_timed(replay, env=env)  # warm the replay path too
        cols = {"vmkaudit": [], "bare": [], "pyvmomi": []}
        sim_cpu = {"vmkaudit": [], "bare": [], "pyvmomi": []}
        client_cpu = {"vmkaudit": [], "bare": [], "pyvmomi": []}
        rss = []
        resp_bytes = None
        for i in range(args.runs):
            for name in ("vmkaudit", "bare", "pyvmomi"):
                if name == "pyvmomi" and i >= args.pyvmomi_runs:
                    continue
                c0 = sim.cpu()
                if name == "vmkaudit":
                    wall, maxrss, rc, text, err = run_timed(collect, env=env)
                    rss.append(maxrss)
                elif name == "bare":
                    wall, _, rc, text, err = run_timed(replay, env=env)
                    resp_bytes = int(text.split()[1]) if rc == 0 else resp_bytes
                else:
                    wall, _, rc, text, err = run_timed(pyv, env=env)
                    if rc == 0 and int(text.split()[1]) != args.collect_hosts:
                        raise SystemExit("pyVmomi read %s hosts" % text.split()[1])
                if rc != 0:
                    raise SystemExit("%s failed (%d): %s" % (name, rc, err[-2000:]))
                cols[name].append(wall)
                client_cpu[name].append(LAST_CPU[0])
                sim_cpu[name].append(sim.cpu() - c0)
                log("  run %d %-8s %.3f s (client CPU %.2f s, simulator CPU %.2f s, load %.1f)"
                    % (i + 1, name, wall, LAST_CPU[0], sim_cpu[name][-1], os.getloadavg()[0]))
    finally:
        sim.stop()
    res = {
        "hosts": args.collect_hosts,
        "requests": requests,
        "max_objects": int(max_objects),
        "response_bytes": resp_bytes,
        "runs": cols,
        "sim_cpu": sim_cpu,
        "client_cpu": client_cpu,
        "median_client_cpu": {k: median(v) for k, v in client_cpu.items()},
        "vmkaudit_max_rss_kib": rss,
        "median": {k: median(v) for k, v in cols.items()},
        "median_sim_cpu": {k: median(v) for k, v in sim_cpu.items()},
    }
    out["collect"] = res
    return res


def client_env(args):
    """The environment of the measured clients: no VMKAUDIT_* settings, no proxy."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VMKAUDIT_") and k not in ("RUST_LOG", "HTTPS_PROXY", "https_proxy",
                                                          "ALL_PROXY", "all_proxy")}
    env[PW_VAR] = "bench-pw"
    if args.max_objects:
        env["VMKAUDIT_MAX_OBJECTS"] = str(args.max_objects)
    return env


def scenario_file(args, hosts):
    path = os.path.join(args.work, "scenario-%d.json" % hosts)
    if not os.path.exists(path):
        subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts/gen-estate.py"),
                               "--scenario", str(hosts), path])
    return path


def bench_latency(args, out):
    """Collection from simulators that wait --latency-ms before every answer: one vCenter of
    --collect-hosts hosts (vmkaudit with its default streams, with one stream, and the bare
    replay of the one-stream exchange: the sequential requests), then --latency-sources
    vCenters of --latency-source-hosts hosts at once against one of them alone."""
    lat = ["-latency", "%dms" % args.latency_ms]
    env = client_env(args)
    res = {"latency_ms": args.latency_ms}

    def collect_cmd(sims, ca, inv):
        cmd = [args.vmkaudit, "collect", "-q", "--user", sims[0].user, "--password-env", PW_VAR,
               "--ca-file", ca, "-o", inv]
        for s in sims:
            cmd[2:2] = ["--vcenter", s.url]
        return cmd

    def requests_of(cmd, extra_env, expect_hosts):
        dump = os.path.join(args.work, "requests-latency.jsonl")
        if os.path.exists(dump):
            os.remove(dump)
        _, _, rc, _, err = run_timed(cmd, env=dict(env, VMKAUDIT_DUMP_REQUESTS=dump, **extra_env))
        if rc != 0:
            raise SystemExit("vmkaudit collect failed (%d): %s" % (rc, err[-2000:]))
        with open(cmd[cmd.index("-o") + 1]) as f:
            hosts = len(json.load(f)["hosts"])
        if hosts != expect_hosts:
            raise SystemExit("vmkaudit collected %d hosts, expected %d" % (hosts, expect_hosts))
        with open(dump) as f:
            return sum(1 for _ in f), dump

    if "one" in args.latency_cases:
        bench_latency_one(args, res, lat, env, collect_cmd, requests_of)
    if "many" in args.latency_cases:
        bench_latency_many(args, res, lat, env, collect_cmd, requests_of)
    out["latency"] = res
    return res


def bench_latency_one(args, res, lat, env, collect_cmd, requests_of):
    """One vCenter of --collect-hosts hosts: streams, one stream, the bare sequential replay."""
    log("latency: one vCenter of %d hosts, %d ms per request" % (args.collect_hosts, args.latency_ms))
    sim = Sim(args.fixture, scenario_file(args, args.collect_hosts), args.work, lat, "sim-lat")
    try:
        inv = os.path.join(args.work, "collected-latency.json")
        cmd = collect_cmd([sim], sim.ca, inv)
        n_streams, _ = requests_of(cmd, {}, args.collect_hosts)
        n_seq, dump = requests_of(cmd, {"VMKAUDIT_STREAMS": "1"}, args.collect_hosts)
        seq_dump = os.path.join(args.work, "requests-sequential.jsonl")
        shutil.copy(dump, seq_dump)
        replay = [args.replay, sim.url, sim.ca, seq_dump, PW_VAR, "1"]
        cols = {"streams": [], "one_stream": [], "bare": []}
        row = {k: [] for k in cols}
        ccpu = {k: [] for k in cols}
        scpu = {k: [] for k in cols}
        rss = {k: [] for k in cols}
        for i in range(args.runs):
            for name in cols:
                mark, c0 = sim.mark(), sim.cpu()
                if name == "bare":
                    wall, maxrss, rc, _, err = run_timed(replay, env=env)
                else:
                    extra = {"VMKAUDIT_STREAMS": "1"} if name == "one_stream" else {}
                    wall, maxrss, rc, _, err = run_timed(cmd, env=dict(env, **extra))
                if rc != 0:
                    raise SystemExit("%s failed (%d): %s" % (name, rc, err[-2000:]))
                cols[name].append(wall)
                rss[name].append(maxrss)
                ccpu[name].append(LAST_CPU[0])
                scpu[name].append(sim.cpu() - c0)
                in_row, sent = sim.in_a_row(mark, args.latency_ms / 1000.0)
                row[name].append(in_row)
                log("  run %d %-10s %.3f s (%d requests, %d in a row; client CPU %.2f s, "
                    "simulator CPU %.2f s, %.0f MiB, load %.1f)"
                    % (i + 1, name, wall, sent, in_row, LAST_CPU[0], scpu[name][-1],
                       maxrss / 1024, os.getloadavg()[0]))
    finally:
        sim.stop()
    res["one"] = {"hosts": args.collect_hosts, "requests": {"streams": n_streams, "sequential": n_seq},
                  "runs": cols, "median": {k: median(v) for k, v in cols.items()},
                  "in_a_row": row, "client_cpu": ccpu, "sim_cpu": scpu, "max_rss_kib": rss,
                  "median_rss_mib": {k: median(v) / 1024 for k, v in rss.items()},
                  "median_in_a_row": {k: median(v) for k, v in row.items()},
                  "median_client_cpu": {k: median(v) for k, v in ccpu.items()},
                  "median_sim_cpu": {k: median(v) for k, v in scpu.items()}}


def bench_latency_many(args, res, lat, env, collect_cmd, requests_of):
    """--latency-sources vCenters of --latency-source-hosts hosts at once against one alone."""
    n, each = args.latency_sources, args.latency_source_hosts
    log("latency: %d vCenters of %d hosts at once, %d ms per request" % (n, each, args.latency_ms))
    sims = []
    try:
        scen = scenario_file(args, each)
        for k in range(n):
            sims.append(Sim(args.fixture, scen, args.work, lat, "sim-lat-%d" % k))
        bundle = os.path.join(args.work, "ca-bundle.pem")
        with open(bundle, "w") as f:
            for s in sims:
                with open(s.ca) as c:
                    f.write(c.read())
        inv = os.path.join(args.work, "collected-many.json")
        one = collect_cmd(sims[:1], bundle, inv)
        many = collect_cmd(sims, bundle, inv)
        requests_of(one, {}, each)
        requests_of(many, {}, each * n)
        cols = {"all": [], "one": []}
        ccpu = {k: [] for k in cols}
        scpu = {k: [] for k in cols}
        rss = {k: [] for k in cols}
        for i in range(args.runs):
            for name, c in (("all", many), ("one", one)):
                c0 = sum(s.cpu() for s in sims)
                wall, maxrss, rc, _, err = run_timed(c, env=env)
                if rc != 0:
                    raise SystemExit("vmkaudit collect failed (%d): %s" % (rc, err[-2000:]))
                cols[name].append(wall)
                ccpu[name].append(LAST_CPU[0])
                scpu[name].append(sum(s.cpu() for s in sims) - c0)
                rss[name].append(maxrss)
                log("  run %d %-4s %.3f s (client CPU %.2f s, simulators' CPU %.2f s, %.0f MiB, "
                    "load %.1f)" % (i + 1, name, wall, LAST_CPU[0], scpu[name][-1], maxrss / 1024,
                                    os.getloadavg()[0]))
    finally:
        for s in sims:
            s.stop()
    res["many"] = {"sources": n, "hosts_each": each, "runs": cols, "max_rss_kib": rss["all"],
                   "max_rss_kib_by_case": rss, "client_cpu": ccpu, "sim_cpu": scpu,
                   "median_client_cpu": {k: median(v) for k, v in ccpu.items()},
                   "median_sim_cpu": {k: median(v) for k, v in scpu.items()},
                   "median": {k: median(v) for k, v in cols.items()}}


def gen(args, what, path):
    """Generate an estate file with scripts/gen-estate.py unless it is there already."""
    if not os.path.exists(path):
        log("generating %s" % os.path.basename(path))
        subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts/gen-estate.py")]
                              + what + [path])
    return path


def count_vmks(path, kind):
    if kind == "inventory":
        with open(path) as f:
            hosts = json.load(f)["hosts"]
        return len(hosts), sum(len(h["vmks"]) for h in hosts)
    hosts = set()
    vmks = 0
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for row in rows:
            hosts.add(row[0])
            vmks += 1
    return len(hosts), vmks


def bench_check(args, out):
    """Check each estate size as an inventory file and, for the --rvtools-sizes, as an RVTools
    export of the same hosts, and for the --parse-sizes the bare parse of the inventory file
    (examples/bench_parse) and the same hosts as a schema-1 inventory (and its bare parse),
    run by run in alternation; then the --rvtools-rows export."""
    cases = []
    for n in args.sizes:
        inputs = [("inventory", gen(args, [str(n)],
                                    os.path.join(args.work, "estate-%d.s2.json" % n)))]
        if n in args.rvtools_sizes:
            inputs.append(("rvtools", gen(args, ["--rvtools", str(n)],
                                          os.path.join(args.work, "estate-%d.csv" % n))))
        if n in args.parse_sizes:
            inputs.append(("parse", inputs[0][1]))
            v1 = gen(args, ["--schema", "1", str(n)],
                     os.path.join(args.work, "estate-%d.s1.json" % n))
            inputs.append(("inventory-v1", v1))
            inputs.append(("parse-v1", v1))
        cases.append((n, inputs, args.runs))
    if args.rvtools_rows:
        path = gen(args, ["--rvtools", str(args.rvtools_rows), "--vmks", str(args.rvtools_rows)],
                   os.path.join(args.work, "rvtools-%d-rows.csv" % args.rvtools_rows))
        cases.append((None, [("rvtools", path)], 1))
    rows = []
    for n, inputs, runs in cases:
        res = {}
        for kind, estate in inputs:
            report = os.path.join(args.work, "report-%s" % os.path.basename(estate))
            if kind.startswith("parse"):
                report = None
                cmd = [args.parse, estate]
            else:
                shutil.rmtree(report, ignore_errors=True)
                cmd = [args.vmkaudit, "check", estate, "-o", report, "--format",
                       "html,csv,json", "-q"]
            if runs > 1:
                run_timed(cmd)  # warm the page cache
            res[kind] = (estate, report, cmd, [], [], [])
        for i in range(runs):
            for kind, (estate, report, cmd, walls, rsss, cpus) in res.items():
                wall, maxrss, rc, _, err = run_timed(cmd)
                if rc not in (0, 1):
                    raise SystemExit("%s failed (%d): %s" % (" ".join(cmd[:2]), rc, err[-2000:]))
                walls.append(wall)
                rsss.append(maxrss)
                cpus.append(LAST_CPU[0])
                log("  %s %s %s run %d: %.3f s, CPU %.2f s, %.0f MiB, load %.1f"
                    % ("parse" if report is None else "check", os.path.basename(estate), kind,
                       i + 1, wall, LAST_CPU[0], maxrss / 1024, os.getloadavg()[0]))
        for kind, (estate, report, cmd, walls, rsss, cpus) in res.items():
            hosts, vmks = count_vmks(estate, "rvtools" if kind == "rvtools" else "inventory")
            outputs = sorted(os.listdir(report)) if report else []
            rows.append({
                "hosts": hosts, "vmks": vmks, "input": kind,
                "input_bytes": os.path.getsize(estate), "runs": walls, "max_rss_kib": rsss,
                "cpu": cpus, "median_cpu_s": median(cpus),
                "median_s": median(walls), "median_rss_mib": median(rsss) / 1024,
                "outputs": {f: os.path.getsize(os.path.join(report, f)) for f in outputs},
            })
    out["check"] = rows
    return rows


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gib": round(mem_kib / 1048576, 1),
            "kernel": os.uname().release, "nice": os.nice(0),
            "load": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def table(res):
    lines = []
    m = res["machine"]
    lines.append("Machine: %d CPUs (%s), %.1f GiB RAM, Linux %s; %s; load average (1 min) %.2f at "
                 "start, %.2f at end; benchmark processes at nice %d"
                 % (m["nproc"], m["cpu"], m["memory_gib"], m["kernel"], m["date"], m["load"][0],
                    m["load_end"][0], m["nice"]))
    lines.append("")
    c = res.get("collect")
    if c:
        med = c["median"]
        lines.append("Collection: %d hosts from the simulator over HTTPS, %d requests, maxObjects %d, "
                     "%.1f MB of responses; medians of %d runs (pyVmomi %d)"
                     % (c["hosts"], c["requests"], c["max_objects"], (c["response_bytes"] or 0) / 1e6,
                        len(c["runs"]["vmkaudit"]), len(c["runs"]["pyvmomi"])))
        lines.append("")
        lines.append("| client | wall time (s) | client CPU (s) | simulator CPU (s) | wall vs bare HTTP | target |")
        lines.append("|---|---:|---:|---:|---:|---|")
        ccpu = c["median_client_cpu"]
        bare = med["bare"]
        ratio = med["vmkaudit"] / bare
        speedup = med["pyvmomi"] / med["vmkaudit"]
        lines.append("| vmkaudit collect | %.3f | %.2f | %.2f | %.2f x | <= 1.5 x bare: %s |"
                     % (med["vmkaudit"], ccpu["vmkaudit"], c["median_sim_cpu"]["vmkaudit"], ratio,
                        "met" if ratio <= 1.5 else "NOT met"))
        lines.append("| bare HTTP replay | %.3f | %.2f | %.2f | 1.00 x | |"
                     % (bare, ccpu["bare"], c["median_sim_cpu"]["bare"]))
        if c["runs"]["pyvmomi"]:
            lines.append("| pyVmomi | %.3f | %.2f | %.2f | %.2f x | vmkaudit >= 10 x faster: %.1f x, %s |"
                         % (med["pyvmomi"], ccpu["pyvmomi"], c["median_sim_cpu"]["pyvmomi"],
                            med["pyvmomi"] / bare, speedup, "met" if speedup >= 10 else "NOT met"))
        lines.append("")
    lt = res.get("latency")
    if lt:
        one, many = lt.get("one"), lt.get("many")
    if lt and one:
        med = one["median"]
        lines.append("Collection with %d ms per request (`vcsim-fixture -latency`): one vCenter of %d "
                     "hosts (%d requests with streams, %d in one sequence), and %d vCenters of %d "
                     "hosts at once; medians of %d runs"
                     % (lt["latency_ms"], one["hosts"], one["requests"]["streams"],
                        one["requests"]["sequential"], many["sources"], many["hosts_each"],
                        len(one["runs"]["bare"])))
        lines.append("")
        lines.append("| case | wall time (s) | requests in a row | client CPU (s) | simulator CPU (s) | peak RSS (MiB) | ratio | target |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
        row, ccpu, scpu = one["median_in_a_row"], one["median_client_cpu"], one["median_sim_cpu"]
        mem = one["median_rss_mib"]
        r = med["streams"] / med["bare"]
        lines.append("| %d hosts: vmkaudit collect (default streams) | %.3f | %g | %.2f | %.2f | %.0f | %.2f x bare | <= 0.5 x: %s |"
                     % (one["hosts"], med["streams"], row["streams"], ccpu["streams"],
                        scpu["streams"], mem["streams"], r, "met" if r <= 0.5 else "NOT met"))
        lines.append("| %d hosts: vmkaudit collect, one stream | %.3f | %g | %.2f | %.2f | %.0f | %.2f x bare | |"
                     % (one["hosts"], med["one_stream"], row["one_stream"], ccpu["one_stream"],
                        scpu["one_stream"], mem["one_stream"], med["one_stream"] / med["bare"]))
        lines.append("| %d hosts: bare HTTP replay, sequential | %.3f | %g | %.2f | %.2f | %.0f | 1.00 x | |"
                     % (one["hosts"], med["bare"], row["bare"], ccpu["bare"], scpu["bare"],
                        mem["bare"]))
    if lt and many:
        m = many["median"]
        mc, ms = many["median_client_cpu"], many["median_sim_cpu"]
        r = m["all"] / m["one"]
        lines.append("| %d x %d hosts at once: vmkaudit collect | %.3f | | %.2f | %.2f | %.0f | %.2f x one | <= 1.3 x: %s |"
                     % (many["sources"], many["hosts_each"], m["all"], mc["all"], ms["all"],
                        median(many["max_rss_kib"]) / 1024, r, "met" if r <= 1.3 else "NOT met"))
        lines.append("| one of them alone | %.3f | | %.2f | %.2f | %.0f | 1.00 x | |"
                     % (m["one"], mc["one"], ms["one"],
                        median(many["max_rss_kib_by_case"]["one"]) / 1024))
        lines.append("")
    rows = res.get("check")
    if rows:
        checks = [r for r in rows if not r["input"].startswith("parse")]
        names = {"inventory": "inventory", "inventory-v1": "inventory, schema 1",
                 "rvtools": "RVTools"}
        lines.append("Evaluation and rendering: `vmkaudit check ESTATE -o DIR --format html,csv,json`; "
                     "medians of %d runs (an RVTools export of the same hosts beside the inventory "
                     "file where measured, run in alternation with it)" % len(rows[0]["runs"]))
        lines.append("")
        lines.append("| hosts | vmks | input | input (MB) | wall (s) | CPU (s) | peak RSS (MiB) | report.html (MB) | wall us per host | target (40,000 hosts) |")
        lines.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|")
        for r in checks:
            target = ""
            if r["hosts"] == 40000 and r["input"] == "inventory":
                target = "<= 3 s: %s; <= 1.5 GiB: %s" % (
                    "met" if r["median_s"] <= 3 else "NOT met",
                    "met" if r["median_rss_mib"] <= 1536 else "NOT met")
            lines.append("| %d | %d | %s | %.1f | %.3f | %.2f | %.0f | %.1f | %.0f | %s |"
                         % (r["hosts"], r["vmks"], names[r["input"]],
                            r["input_bytes"] / 1e6, r["median_s"], r["median_cpu_s"],
                            r["median_rss_mib"], r["outputs"].get("report.html", 0) / 1e6,
                            r["median_s"] / r["hosts"] * 1e6, target))
        parsed = [(a, b) for a in rows for b in rows
                  if (a["input"], b["input"]) in (("inventory", "parse"),
                                                  ("inventory-v1", "parse-v1"))
                  and a["hosts"] == b["hosts"]]
        if parsed:
            lines.append("")
            lines.append("The check against a bare `serde_json` parse of the same file into the model "
                         "(`examples/bench_parse`, a process of its own, run in alternation):")
            lines.append("")
            lines.append("| hosts | input | file (MiB) | bare parse (s) | its peak RSS (MiB) | check (s) | check / parse | check's peak RSS / file | target |")
            lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---|")
            for a, b in parsed:
                ratio = a["median_s"] / b["median_s"]
                mib = a["input_bytes"] / 2**20
                rss = a["median_rss_mib"] / mib
                lines.append("| %d | %s | %.0f | %.3f | %.0f | %.3f | %.2f x | %.1f x | time <= 2 x: %s; RSS <= 4 x: %s |"
                             % (a["hosts"], names[a["input"]], mib, b["median_s"],
                                b["median_rss_mib"], a["median_s"], ratio, rss,
                                "met" if ratio <= 2 else "NOT met",
                                "met" if rss <= 4 else "NOT met"))
        pairs = [(a, b) for a in rows for b in rows
                 if a["input"] == "inventory" and b["input"] == "rvtools" and a["hosts"] == b["hosts"]]
        if pairs:
            lines.append("")
            lines.append("| hosts | RVTools / inventory file: wall | CPU | peak RSS | report.html | target |")
            lines.append("|---:|---:|---:|---:|---:|---|")
            for a, b in pairs:
                wall = b["median_s"] / a["median_s"]
                cpu = b["median_cpu_s"] / a["median_cpu_s"] if a["median_cpu_s"] else float("nan")
                rss = b["median_rss_mib"] / a["median_rss_mib"]
                html = b["outputs"].get("report.html", 0) / max(a["outputs"].get("report.html", 0), 1)
                lines.append("| %d | %.2f x | %.2f x | %.2f x | %.2f x | time and memory <= 1.5 x: %s; report.html <= 2 x: %s |"
                             % (a["hosts"], wall, cpu, rss, html,
                                "met" if wall <= 1.5 and rss <= 1.5 else "NOT met",
                                "met" if html <= 2 else "NOT met"))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vmkaudit", required=True)
    p.add_argument("--replay", required=True)
    p.add_argument("--parse", required=True, help="examples/bench_parse, the bare parse")
    p.add_argument("--fixture", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--pyvmomi-runs", type=int, default=3)
    p.add_argument("--collect-hosts", type=int, default=2500)
    p.add_argument("--max-objects", type=int, default=0, help="override vmkaudit's default")
    p.add_argument("--sizes", default="4000,10000,40000")
    p.add_argument("--rvtools-sizes", default="40000",
                   help="sizes also checked as an RVTools export of the same hosts")
    p.add_argument("--parse-sizes", default="40000",
                   help="sizes also measured as a bare parse, and as a schema-1 inventory")
    p.add_argument("--rvtools-rows", type=int, default=0,
                   help="also check one RVTools export of this many vmk rows (one run)")
    p.add_argument("--latency-ms", type=int, default=200,
                   help="per-request latency of the latency rows (0: no latency rows)")
    p.add_argument("--latency-sources", type=int, default=8)
    p.add_argument("--latency-source-hosts", type=int, default=400)
    p.add_argument("--latency-cases", default="one,many",
                   help="which latency rows: one (one vCenter), many (several at once), or both")
    p.add_argument("--latency-only", action="store_true",
                   help="of the collection rows, only those with latency")
    p.add_argument("--skip-collect", action="store_true")
    p.add_argument("--skip-check", action="store_true")
    args = p.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.rvtools_sizes = [int(s) for s in args.rvtools_sizes.split(",") if s]
    args.parse_sizes = [int(s) for s in args.parse_sizes.split(",") if s]
    os.makedirs(args.work, exist_ok=True)
    res = {"machine": machine()}
    args.latency_cases = [c for c in args.latency_cases.split(",") if c]
    if not args.skip_collect:
        if not args.latency_only:
            bench_collect(args, res)
        if args.latency_ms > 0:
            bench_latency(args, res)
    if not args.skip_check:
        bench_check(args, res)
    res["machine"]["load_end"] = os.getloadavg()
    text = table(res)
    print(text)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(args.work, "results.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
