#!/usr/bin/env bash
# The main job on one machine, all on loopback: the sample Go service (Samples/go-service),
# a collector, an impairment relay at 12 % loss and 320 ms RTT, and an agent pulling the
# service's CPU, heap, goroutine, mutex and block profiles through it. Runs about a minute
# with a progress line, then writes the collector's flame graphs and prints what crossed
# the link. Installs what is missing (apt), builds in release.
#   Tools/demo.sh                 60 s, output in out/demo/
#   DEMO_SECONDS=20 Tools/demo.sh
#   DEMO_STORE=clickhouse+http://127.0.0.1:8123/flamewire Tools/demo.sh   store in ClickHouse instead of SQLite
# Ports (loopback): DEMO_PPROF_PORT (16060), DEMO_COLLECTOR_PORT (17000), DEMO_RELAY_PORT (17001),
# DEMO_HTTP_PORT (17080: the collector's flame graphs, pprof and /metrics while it runs).
set -euo pipefail
cd "$(dirname "$0")/.."
. Tools/lib/deps.sh
ensure_deps demo
seconds="${DEMO_SECONDS:-60}"
pprof_port="${DEMO_PPROF_PORT:-16060}"
collector_port="${DEMO_COLLECTOR_PORT:-17000}"
relay_port="${DEMO_RELAY_PORT:-17001}"
http_port="${DEMO_HTTP_PORT:-17080}"
work="$PWD/out/demo"
rm -rf "$work"
mkdir -p "$work/profiles"

echo "demo: building flamewire (release) and the sample Go service" >&2
swift build -c release --product flamewire >&2
bin="$(swift build -c release --show-bin-path)/flamewire"
(cd Samples/go-service && HOME="$work" GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS= GOTOOLCHAIN=local \
    go build -o "$work/sample-service" .)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

"$bin" keygen "$work/agent.key" >/dev/null
"$bin" keygen "$work/collector.key" >/dev/null
agent_pub="$("$bin" pubkey "$work/agent.key")"
collector_pub="$("$bin" pubkey "$work/collector.key")"

"$work/sample-service" -addr "127.0.0.1:$pprof_port" -seconds $((seconds + 30)) >"$work/service.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q READY "$work/service.log" && break; sleep 0.1; done
grep -q READY "$work/service.log" || { echo "demo: the sample service did not start: $(cat "$work/service.log")" >&2; exit 1; }

store_args=(--data "$work/collector.db")
if [ -n "${DEMO_STORE:-}" ]; then store_args=(--store "$DEMO_STORE"); fi
"$bin" collect --listen "127.0.0.1:$collector_port" --key "$work/collector.key" --allow "$agent_pub" \
    "${store_args[@]}" --out "$work/profiles" --http "127.0.0.1:$http_port" --duration $((seconds + 8))s >"$work/collect.out" 2>"$work/collect.log" &
collect_pid=$!
pids+=($collect_pid)
"$bin" relay --listen "127.0.0.1:$relay_port" --forward "127.0.0.1:$collector_port" --loss 12% --delay 160ms \
    --duration $((seconds + 6))s --seed 1 >"$work/relay.out" 2>"$work/relay.log" &
relay_pid=$!
pids+=($relay_pid)
sleep 0.5
"$bin" agent --pprof "http://127.0.0.1:$pprof_port/debug/pprof" --collector "127.0.0.1:$relay_port" \
    --key "$work/agent.key" --collector-key "$collector_pub" --service sample --labels demo=1 \
    --duration "${seconds}s" >"$work/agent.out" 2>"$work/agent.log" &
agent_pid=$!
pids+=($agent_pid)

echo "demo: while it runs, the collector serves http://127.0.0.1:$http_port/ (flame graphs, pprof, folded, /metrics)" >&2
start=$(date +%s)
while kill -0 "$agent_pid" 2>/dev/null; do
    printf '\rdemo: agent -> relay (12 %% loss, 320 ms RTT) -> collector: %3d of %d s' $(( $(date +%s) - start )) "$seconds" >&2
    sleep 1
done
printf '\n' >&2
wait "$agent_pid" || { echo "demo: the agent failed:" >&2; cat "$work/agent.log" >&2; exit 1; }
wait "$relay_pid" || true
wait "$collect_pid" || { echo "demo: the collector failed:" >&2; cat "$work/collect.log" >&2; exit 1; }

echo "== agent"; cat "$work/agent.out"
echo "== relay"; cat "$work/relay.out"
echo "== collector"; cat "$work/collect.out"
svgs=$(ls "$work/profiles"/*.svg 2>/dev/null | wc -l)
[ "$svgs" -gt 0 ] || { echo "demo: the collector wrote no flame graphs" >&2; exit 1; }
echo "wrote $svgs flame graphs (and their pprof) to $work/profiles: open the SVGs in a browser (hover, click to zoom, Ctrl-F to search); the store is ${DEMO_STORE:-$work/collector.db} (flamewire collect ${DEMO_STORE:+--store }${DEMO_STORE:---data} reopens it); logs in $work"
