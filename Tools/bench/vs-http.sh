#!/usr/bin/env bash
# Side by side with what users run today: FlameWire against an HTTP POST of each full gzip
# profile (what pyroscope-go and similar agents do), on one kernel-path link of 320 ms RTT
# and 12 % random loss each way between two network namespaces (../shared/tools/jiolink.py,
# or $JIOLINK). Five runs of --seconds each, every one on a fresh link and a fresh sample
# Go service in namespace A, the receiver in namespace B:
#   heap: `flamewire agent --types heap` (snapshots at the adaptive interval) → `flamewire
#         collect`; then the HTTP uploader posting /debug/pprof/heap every --http-interval s;
#   cpu:  the same with Go CPU profiles of 1 s, back to back, on both sides.
# A third heap run pins FlameWire's interval to HTTP's (--http-interval), for bytes at the
# same cadence. Each service runs --warmup seconds (20) before it is profiled, allocating
# from --alloc-sites distinct stacks (4096: a heap profile of ~40 KB gzip, as a large
# service has; 0 leaves the sample's own few dozen).
# Prints for each p50/p99/max seconds from capture (the profile's end) to available at the
# receiver (FlameWire: committed to the store; HTTP: the whole body received), and IP bytes
# (both directions, as offered to the link) per profile and per second, with the issue's
# goals: p99 at most a tenth of HTTP's, heap bytes per profile at most a twentieth, CPU at
# most half. HTTP uses --cc (bbr by default; cubic is Linux's default). Run as root.
#
#   Tools/bench/vs-http.sh [--seconds N] [--http-interval SEC] [--cc bbr|cubic] [--warmup SEC]
#                          [--alloc-sites N] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
seconds=60; interval=1; cc=bbr; build=1; warmup=20; sites=4096
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --http-interval) interval="$2"; shift 2 ;;
        --cc) cc="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --alloc-sites) sites="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "vs-http.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
jiolink="${JIOLINK:-$root/../shared/tools/jiolink.py}"
[[ -f "$jiolink" ]] || { echo "vs-http.sh: no jiolink.py at $jiolink (set JIOLINK)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "vs-http.sh: run as root (network namespaces and TUN devices)" >&2; exit 2; }
grep -qw "$cc" /proc/sys/net/ipv4/tcp_available_congestion_control || modprobe "tcp_$cc" 2>/dev/null || {
    echo "vs-http.sh: TCP congestion control '$cc' is not available here ($(cat /proc/sys/net/ipv4/tcp_available_congestion_control))" >&2; exit 2; }
. Tools/lib/deps.sh
ensure_deps demo
. "$here/lib/build.sh"
out="$here/out/vs-http"
rm -rf "$out"; mkdir -p "$out"
if [[ $build -eq 1 ]]; then swift build -c release --product flamewire >"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 2; }; fi
bin="$(swift build -c release --show-bin-path)/flamewire"
(cd Samples/go-service && HOME="$out" GOCACHE="$out/gocache" GOPATH="$out/gopath" GOFLAGS= GOTOOLCHAIN=local go build -o "$out/sample-service" .)
"$bin" keygen "$out/agent.key" >/dev/null
"$bin" keygen "$out/collector.key" >/dev/null
bench_machine vs-http

a="vhA$$"; b="vhB$$"; pids=(); link=""
stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
    if [[ -n "$link" ]]; then kill "$link" 2>/dev/null || true; wait "$link" 2>/dev/null || true; link=""; fi
}
trap 'stop_all; ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true' EXIT INT TERM

# A fresh link (namespaces a and b, 10.77.NET.1 in a and .2 in b) and sample service in a.
start_link() {
    local dir="$1" net="$2"
    mkdir -p "$dir"
    python3 "$jiolink" --ns-a "$a" --ns-b "$b" --net "$net" --delay-ms 160 --loss 0.12 --seed "$net" \
        --max-seconds $((seconds + warmup + 180)) --stats "$dir/link.json" >"$dir/link.out" 2>&1 &
    link=$!
    for _ in $(seq 100); do grep -q READY "$dir/link.out" && break; sleep 0.1; done
    grep -q READY "$dir/link.out" || { echo "vs-http.sh: the link did not come up: $(cat "$dir/link.out")" >&2; exit 1; }
    ip netns exec "$a" "$out/sample-service" -addr 127.0.0.1:6060 -workers 2 -alloc-sites "$sites" >"$dir/service.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do grep -q READY "$dir/service.log" && break; sleep 0.1; done
    # Profiles of a service that has run a while (its heap profile has reached its size).
    sleep "$warmup"
}

# One FlameWire run: agent (extra flags in $3) in a, collector in b.
flamewire_run() {
    local kind="$1" dir="$2" flags="$3" net="$4"
    echo "vs-http: FlameWire $kind for ${seconds}s${flags:+ ($flags)}"
    start_link "$dir" "$net"
    : >"$dir/collect.log"
    ip netns exec "$b" "$bin" collect --listen "10.77.$net.2:7000" --key "$out/collector.key" --allow "$("$bin" pubkey "$out/agent.key")" \
        --window-log "$dir/windows.jsonl" >"$dir/collect.out" 2>"$dir/collect.log" &
    pids+=($!)
    for _ in $(seq 50); do grep -q "listening on" "$dir/collect.log" && break; sleep 0.1; done
    # shellcheck disable=SC2086
    ip netns exec "$a" "$bin" agent --pprof http://127.0.0.1:6060/debug/pprof --types "$kind" --collector "10.77.$net.2:7000" \
        --key "$out/agent.key" --collector-key "$("$bin" pubkey "$out/collector.key")" --service vs-http $flags \
        --duration "${seconds}s" >"$dir/agent.out" 2>"$dir/agent.log" || { echo "vs-http.sh: the agent failed:"; cat "$dir/agent.log"; exit 1; }
    sleep 1
    stop_all
}

# One HTTP run: the uploader in a, the receiver in b.
http_run() {
    local kind="$1" dir="$2" net="$3"
    echo "vs-http: HTTP POST $kind for ${seconds}s ($cc)"
    start_link "$dir" "$net"
    : >"$dir/receive.out"
    ip netns exec "$b" python3 "$here/vs-http/http_side.py" receive --listen "10.77.$net.2:8080" --log "$dir/received.jsonl" >"$dir/receive.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do grep -q READY "$dir/receive.out" && break; sleep 0.1; done
    ip netns exec "$a" python3 "$here/vs-http/http_side.py" upload --pprof http://127.0.0.1:6060/debug/pprof --type "$kind" \
        --to "http://10.77.$net.2:8080/ingest" --seconds "$seconds" --interval "$interval" --cc "$cc" --log "$dir/uploaded.jsonl" \
        >"$dir/upload.out" 2>"$dir/upload.log" || { echo "vs-http.sh: the uploader failed:"; cat "$dir/upload.log"; exit 1; }
    sleep 1
    stop_all
}

flamewire_run heap "$out/fw-heap" "" 71
flamewire_run heap "$out/fw-heap-same" "--min-interval ${interval}s --max-interval ${interval}s" 72
http_run heap "$out/http-heap" 73
flamewire_run cpu "$out/fw-cpu" "" 74
http_run cpu "$out/http-cpu" 75
python3 "$here/vs-http/report.py" "$out" "$seconds" "$interval" "$cc" | tee "$out/report.txt"
