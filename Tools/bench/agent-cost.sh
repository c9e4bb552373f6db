#!/usr/bin/env bash
# Agent cost benchmark: what `flamewire agent` costs beside a service, and what its pprof
# fetches cost the service. The sample Go service runs throughout; the service's own CPU is
# measured first with no agent (the baseline), then with an agent pulling all six types at a
# fixed 240 ms interval, then at 480 ms, each for --seconds, against a collector on loopback.
# Prints the agent's CPU (% of one core, from /proc utime+stime), its peak RSS (VmHWM), and
# the service's CPU with the agent against the baseline measured in the same run.
# Goals (issue 9): under 2 % of one core at 240 ms with all six types, under 1 % at 480 ms,
# under 50 MB RSS. With --baseline BIN (another build's flamewire, such as the previous
# commit's), each interval runs that agent too, alternating --rounds times with this build's,
# and prints this build's CPU against the baseline's measured in the same run.
#
#   Tools/bench/agent-cost.sh [--seconds N] [--intervals "240ms 480ms"] [--baseline BIN] [--rounds N] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
seconds=30
intervals="240ms 480ms"
baseline=""
rounds=1
build=1
. "$here/lib/build.sh"
bench_args agent-cost.sh 15 "seconds:seconds intervals:intervals baseline:baseline rounds:rounds" "$@"
[[ -z "$baseline" || -x "$baseline" ]] || { echo "agent-cost.sh: no executable baseline at $baseline" >&2; exit 2; }
. Tools/lib/deps.sh
ensure_deps demo
out="$here/out/agent-cost"
rm -rf "$out"; mkdir -p "$out"
if [[ $build -eq 1 ]]; then swift build -c release --product flamewire >"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 2; }; fi
bin="$(swift build -c release --show-bin-path)/flamewire"
(cd Samples/go-service && HOME="$out" GOCACHE="$out/gocache" GOPATH="$out/gopath" GOFLAGS= GOTOOLCHAIN=local go build -o "$out/sample-service" .)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# CPU seconds (user + system) of a process, from /proc/PID/stat.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

"$bin" keygen "$out/agent.key" >/dev/null
"$bin" keygen "$out/collector.key" >/dev/null
"$out/sample-service" -addr 127.0.0.1:16160 -workers 1 >"$out/service.log" 2>&1 &
service=$!; pids+=($service)
for _ in $(seq 50); do grep -q READY "$out/service.log" && break; sleep 0.1; done
"$bin" collect --listen 127.0.0.1:17100 --key "$out/collector.key" --allow "$("$bin" pubkey "$out/agent.key")" >"$out/collect.out" 2>"$out/collect.log" &
pids+=($!)
sleep 1

echo "agent-cost.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); ${seconds}s per run"
s0=$(cpu_seconds "$service"); sleep "$seconds"; s1=$(cpu_seconds "$service")
base=$(echo "$s0 $s1 $seconds" | awk '{ printf "%.4f", ($2 - $1) / $3 }')
echo "  service alone:                          $(echo "$base" | awk '{ printf "%.1f", $1 * 100 }') % of one core"

# One agent run of BIN at INTERVAL for --seconds: prints "agent% service% rssKB".
run_agent() {
    local bin="$1" interval="$2" tag="$3"
    "$bin" agent --pprof http://127.0.0.1:16160/debug/pprof --types all --collector 127.0.0.1:17100 \
        --key "$out/agent.key" --collector-key "$("$bin" pubkey "$out/collector.key")" --service bench \
        --min-interval "$interval" --max-interval "$interval" --dscp 0 >"$out/agent-$tag.out" 2>"$out/agent-$tag.log" &
    local agent=$!
    sleep 3  # past start-up (handshake, first keyframes)
    local a0 s0 a1 s1 rss
    a0=$(cpu_seconds "$agent"); s0=$(cpu_seconds "$service")
    sleep "$seconds"
    a1=$(cpu_seconds "$agent"); s1=$(cpu_seconds "$service")
    rss=$(awk '/VmHWM/ { print $2 }' "/proc/$agent/status")
    kill -TERM "$agent"; wait "$agent" || true
    echo "$a0 $a1 $s0 $s1 $seconds $rss" | awk '{ printf "%.4f %.4f %d\n", ($2 - $1) / $5 * 100, ($4 - $3) / $5, $6 }'
}

for interval in $intervals; do
    goal=$([[ "$interval" == "240ms" ]] && echo 2 || echo 1)
    cur=(); basel=()
    for round in $(seq "$rounds"); do
        if [[ -n "$baseline" ]]; then
            read -r a s r < <(run_agent "$baseline" "$interval" "$interval-baseline-$round")
            basel+=("$a")
            echo "  baseline agent at $interval (round $round):   $(printf '%.2f' "$a") % of one core"
        fi
        read -r a s r < <(run_agent "$bin" "$interval" "$interval-$round")
        cur+=("$a")
        echo "$a $s $base $r $interval" | awk -v goal="$goal" '{
            printf "  agent at %s, all six types:           %.2f %% of one core (goal < %d %%%s), peak RSS %.1f MB (goal < 50%s)\n",
                   $5, $1, goal, $1 < goal ? "" : ": MISSES GOAL", $4 / 1024, $4 / 1024 < 50 ? "" : ": MISSES GOAL"
            printf "  service with the agent at %s:         %.1f %% of one core, %.3f x alone (+%.1f points: the fetches)\n",
                   $5, $2 * 100, $2 / $3, ($2 - $3) * 100 }'
        tail -n 3 "$out/agent-$interval-$round.out" | sed 's/^/    agent: /'
    done
    if [[ -n "$baseline" ]]; then
        echo "${cur[*]} | ${basel[*]}" | awk -v iv="$interval" '{
            n = 0; m = 0; side = 0
            for (i = 1; i <= NF; i++) { if ($i == "|") { side = 1; continue }; if (side) { b += $i; m++ } else { c += $i; n++ } }
            printf "  at %s: this build %.2f %%, baseline %.2f %% of one core (mean of %d runs each): %.2f x the baseline\n", iv, c / n, b / m, n, (c / n) / (b / m) }'
    fi
done
