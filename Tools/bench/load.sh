#!/usr/bin/env bash
# Load generator: N agents (real sessions on their own UDP sockets, in one process) each
# sending a CPU and a heap window once a second to one `flamewire collect` on loopback,
# which decodes and stores them in SQLite. Prints windows offered and decoded per second,
# the collector's CPU (% of one core) and memory per agent session. Goal (issue 9): 1,000
# agents, about 2,000 windows/s decoded and stored, on this 2-core machine, within 4 GB.
#
#   Tools/bench/load.sh [--agents N] [--seconds S] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
agents=1000; seconds=20; build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --agents) agents="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "load.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
out="$here/out"; mkdir -p "$out"
work="$out/load"; rm -rf "$work"; mkdir -p "$work"
. "$here/lib/build.sh"
gen="$(bench_binary load-bench "$here/load" "$here/load/.build-bench" "$out" "$root" "$build")"
if [[ $build -eq 1 ]]; then (cd "$root" && swift build -c release --product flamewire >"$out/load-flamewire-build.log" 2>&1); fi
bin="$(cd "$root" && swift build -c release --show-bin-path)/flamewire"
ulimit -n 65536 2>/dev/null || ulimit -n 8192 || true
bench_machine load.sh
"$gen" --write-allow "$work/agents.allow" --agents "$agents"
"$bin" keygen "$work/collector.key" >/dev/null
"$bin" collect --listen 127.0.0.1:17300 --key "$work/collector.key" --allow-file "$work/agents.allow" --data "$work/load.db" \
    --http 127.0.0.1:17380 >"$work/collect.out" 2>"$work/collect.log" &
collector=$!
trap 'kill $collector 2>/dev/null || true' EXIT
sleep 1
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
idle_rss=$(rss_mb $collector)
stored() { curl -sf http://127.0.0.1:17380/metrics | awk '/^flamewire_windows_stored_total/ { print $2 }'; }
"$gen" --collector 127.0.0.1:17300 --collector-key "$("$bin" pubkey "$work/collector.key")" --agents "$agents" --seconds "$seconds" \
    --samples "$root/../shared/samples/go119" > >(tee "$work/gen.out") &
genpid=$!
# Measure the collector over the steady part (after the warm-up line).
until grep -q "warmed up" "$work/gen.out" 2>/dev/null; do sleep 0.5; kill -0 $genpid 2>/dev/null || break; done
sleep 3
c0=$(cpu_seconds $collector); w0=$(stored); t0=$(date +%s.%N)
sleep "$seconds"
c1=$(cpu_seconds $collector); w1=$(stored); t1=$(date +%s.%N)
peak=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$collector/status")
wait $genpid || true
echo "$c0 $c1 $w0 $w1 $t0 $t1 $idle_rss $peak $agents" | awk '{
    t = $6 - $5
    printf "load.sh: collector %.0f %% of one core; stored %.0f windows/s (goal about 2,000 for 1,000 agents)\n", ($2 - $1) / t * 100, ($4 - $3) / t
    printf "load.sh: collector memory %.1f MB peak (%.1f MB before the agents): %.1f KB per agent session (goal: 1,000 within 4 GB)\n", $8, $7, ($8 - $7) * 1024 / $9 }'
