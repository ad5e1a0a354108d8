#!/bin/sh
# Benchmark vmkaudit at the largest estates (issue 7); see BENCHMARKS.md for the method.
#
#   scripts/bench.sh [run.py options]
#
# Builds the release binary, the bare-HTTP replay client (examples/bench_replay.rs), the bare
# inventory parse (examples/bench_parse.rs) and the
# govmomi simulator fixture (offline, like the tests), then runs scripts/bench/run.py, which
# generates the estates with scripts/gen-estate.py (deterministic), measures collection
# (vmkaudit, bare HTTP, pyVmomi against the same simulator) and evaluation + rendering
# (4,000 / 10,000 / 40,000 hosts), and prints a table of medians. Results also go to
# target/bench/results.{md,json}.
#
# Options (passed on): --runs N (default 5), --pyvmomi-runs N (3), --collect-hosts N (2500),
# --sizes 4000,10000,40000, --rvtools-sizes 40000 (sizes also checked as an RVTools export of
# the same hosts), --parse-sizes 40000 (sizes also measured as a bare parse and as a schema-1
# inventory), --rvtools-rows N (one RVTools export of N vmk rows, e.g. 1000000),
# --max-objects N, --latency-ms N (200; the rows collected from a simulator that waits N ms per
# request, 0 for none), --latency-sources N (8), --latency-source-hosts N (400),
# --latency-cases one,many (which latency rows), --latency-only (of the collection rows only those
# with latency), --skip-collect, --skip-check, --work DIR.
# A quick smoke run: scripts/bench.sh --runs 1 --pyvmomi-runs 1 --collect-hosts 50 --sizes 200
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$ROOT/target/bench
for a in "$@"; do
    case $a in --work=*) WORK=${a#--work=} ;; esac
done
mkdir -p "$WORK" target/vcsim-fixture

echo "building (release) ..." >&2
cargo build --release --quiet --bin vmkaudit --example bench_replay --example bench_parse
if [ ! -x target/vcsim-fixture/vcsim-fixture ] || [ tests/vcsim/main.go -nt target/vcsim-fixture/vcsim-fixture ]; then
    (cd tests/vcsim && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$ROOT/target/vcsim-fixture/gocache" \
        go build -o "$ROOT/target/vcsim-fixture/vcsim-fixture" .)
fi

exec /usr/bin/python3 scripts/bench/run.py \
    --vmkaudit "$ROOT/target/release/vmkaudit" \
    --replay "$ROOT/target/release/examples/bench_replay" \
    --parse "$ROOT/target/release/examples/bench_parse" \
    --fixture "$ROOT/target/vcsim-fixture/vcsim-fixture" \
    --work "$WORK" "$@"
