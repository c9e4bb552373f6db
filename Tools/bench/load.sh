#!/usr/bin/env bash
# Load generator: N agents (real sessions on their own UDP sockets, in one process) each
# sending a CPU and a heap window once a second to one `flamewire collect` on loopback,
# which decodes and stores them in SQLite. Prints windows offered and decoded per second,
# the collector's CPU (% of one core, and ms per stored window) and memory per agent
# session; with --baseline BIN (another build of flamewire) the same load against it first,
# in the same run, and the ratios. Goal (issue 9): 1,000 agents, about 2,000 windows/s
# decoded and stored, on this 2-core machine, within 4 GB.
#
# With --pin CPU the collector runs on that CPU alone and the generator on the others, so
# the collector's capacity per core shows apart from the generator's share. --shards N runs
# this build's collector on N shards (`collect --shards`; default: its own default, the
# machine's cores); --baseline-shards M the baseline's, so `--baseline BIN --shards 2
# --baseline-shards 1` with BIN this very build compares one core's decoding with two.
# --baseline-args "ARGS" adds `collect` arguments to the baseline's run only (with BIN this
# build, `--baseline-args --no-pace` compares overload control off and on). The agents send
# once a second, or at the collector's PACE when it asks for longer (SPEC.md §11.6).
#
#   Tools/bench/load.sh [--agents N] [--seconds S] [--baseline BIN] [--shards N] [--baseline-shards M] [--baseline-args ARGS] [--pin CPU] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
agents=1000; seconds=20; build=1; baseline=""; pin=""; shards=""; baseline_shards=""; baseline_args=""
. "$here/lib/build.sh"
bench_args load.sh 19 "agents:agents seconds:seconds baseline:baseline pin:pin shards:shards baseline-shards:baseline_shards baseline-args:baseline_args" "$@"
[[ -z "$baseline" || -x "$baseline" ]] || { echo "load.sh: --baseline $baseline is not an executable" >&2; exit 2; }
collector_cpus=(); generator_cpus=()
if [[ -n "$pin" ]]; then
    [[ "$pin" =~ ^[0-9]+$ && "$pin" -lt "$(nproc)" && "$(nproc)" -gt 1 ]] || { echo "load.sh: --pin takes a CPU number below $(nproc), and needs two CPUs" >&2; exit 2; }
    others=$(seq 0 $(($(nproc) - 1)) | grep -vx "$pin" | paste -sd,)
    collector_cpus=(taskset -c "$pin"); generator_cpus=(taskset -c "$others")
fi
out="$here/out"; mkdir -p "$out"
gen="$(bench_binary load-bench "$here/load" "$here/load/.build-bench" "$out" "$root" "$build")"
if [[ $build -eq 1 ]]; then (cd "$root" && swift build -c release --product flamewire >"$out/load-flamewire-build.log" 2>&1); fi
bin="$(cd "$root" && swift build -c release --show-bin-path)/flamewire"
ulimit -n 65536 2>/dev/null || ulimit -n 8192 || true
bench_machine load.sh
. "$here/lib/collector.sh"
collector_prefix=("${collector_cpus[@]}")
stored() { metric flamewire_windows_stored_total; }

# run BIN LABEL: one load run against the collector BIN; appends a result line to $results.
results="$out/load-results.tsv"
printf 'label\tagents\toffered_per_s\tstored_per_s\tcollector_core_pct\tms_per_window\tpeak_mb\tkb_per_agent\n' >"$results"
run() {
    local b="$1" label="$2" work="$out/load-$2" n="${3:-}"
    rm -rf "$work"; mkdir -p "$work"
    "$gen" --write-allow "$work/agents.allow" --agents "$agents"
    start_collector "$b" "$work" "$label" "$work/agents.allow" "$n"
    local idle_rss; idle_rss=$(rss_mb $collector)
    "${generator_cpus[@]}" "$gen" --collector 127.0.0.1:17300 --collector-key "$("$b" pubkey "$work/collector.key")" --agents "$agents" --seconds "$seconds" \
        --samples "$root/../shared/samples/go119" > >(sed -u "s/^/[$label] /" | tee "$work/gen.out") &
    local genpid=$!
    # Measure the collector over the steady part (after the warm-up line).
    until grep -q "warmed up" "$work/gen.out" 2>/dev/null; do sleep 0.5; kill -0 $genpid 2>/dev/null || break; done
    sleep 3
    local c0 w0 t0 c1 w1 t1 peak
    c0=$(cpu_seconds $collector); w0=$(stored); t0=$(date +%s.%N); d0=$(rcvbuf_errors); f0=$(minor_faults $collector); m0=$(rss_mb $collector)
    sleep "$seconds"
    c1=$(cpu_seconds $collector); w1=$(stored); t1=$(date +%s.%N); d1=$(rcvbuf_errors); f1=$(minor_faults $collector); m1=$(rss_mb $collector)
    echo "load.sh: [$label] datagrams the kernel dropped at full UDP receive buffers meanwhile (UdpRcvbufErrors, whole machine): $((d1 - d0))" >&2
    echo "load.sh: [$label] collector page faults meanwhile: $((f1 - f0)) ($(( (f1 - f0) * 4 / 1024 )) MB of zeroed pages; resident memory $m0 → $m1 MB)" >&2
    peak=$(peak_mb $collector)
    curl -sf http://127.0.0.1:17380/metrics | awk -v l="$label" '/^flamewire_shard_agents/ { split($1, p, "\""); per = per (per == "" ? "" : ", ") "shard " p[2] ": " $2 }
        /^flamewire_datagrams_forwarded_total/ { f = $2 } END { if (per != "") printf "load.sh: [%s] agents per shard: %s; datagrams forwarded between shards: %d\n", l, per, f > "/dev/stderr" }' || true
    wait $genpid || true
    stop_collector
    local offered; offered=$(sed -n 's/.*(\([0-9.]*\) windows\/s offered).*/\1/p' "$work/gen.out")
    echo "$c0 $c1 $w0 $w1 $t0 $t1 $idle_rss $peak $agents ${offered:-0} $label" | awk -v OFS='\t' '{
        t = $6 - $5; cpu = ($2 - $1) / t * 100; rate = ($4 - $3) / t
        ms = rate > 0 ? ($2 - $1) / ($4 - $3) * 1000 : 0
        printf "load.sh: [%s] collector %.0f %% of one core, %.2f ms per stored window; stored %.0f windows/s of %.0f offered (goal about 2,000 for 1,000 agents)\n", $11, cpu, ms, rate, $10 > "/dev/stderr"
        printf "load.sh: [%s] collector memory %.1f MB peak (%.1f MB before the agents): %.1f KB per agent session (goal: 1,000 within 4 GB)\n", $11, $8, $7, ($8 - $7) * 1024 / $9 > "/dev/stderr"
        print $11, $9, $10, rate, cpu, ms, $8, ($8 - $7) * 1024 / $9 }' >>"$results"
}

if [[ -n "$baseline" ]]; then
    read -r -a collector_extra <<<"$baseline_args"
    run "$baseline" baseline "$baseline_shards"
    collector_extra=()
fi
run "$bin" this "$shards"
if [[ -n "$baseline" ]]; then
    awk -F'\t' 'NR == 2 { b = $6; bs = $4 } NR == 3 && b > 0 && bs > 0 {
        printf "load.sh: this build / baseline: %.2f× the collector time per stored window, %.2f× the windows stored per second\n", $6 / b, $4 / bs }' "$results"
fi
echo "load.sh: results in $results"
