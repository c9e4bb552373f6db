#!/usr/bin/env bash
# Many datagrams from few agents: N load agents (default 50) each do a real handshake with
# one `flamewire collect` on loopback and then send the DATA of a captured agent session
# (real Go profiles) as their own, re-sealed under their own keys, together at --rate
# datagrams/s (default 50,000), which the collector authenticates, decodes, merges and
# stores in SQLite. --mix keyframes (default): every window a heap keyframe (~65 KB), as
# when agents reconnect to a restarted collector; --mix deltas: small CPU and heap windows,
# several to a datagram, each changing most rows of its state; --mix cpu: CPU windows of 48
# samples each (240 ms of a service busy on two cores), touching a few rows of a large state. Prints, over the steady part of the run, the datagrams offered, read and
# dropped (by the collector, by reason, and by the kernel at full receive buffers), the
# windows decoded and stored per second, the collector's CPU and memory; the read rate as a
# ratio to the rate offered in the same run, and with --baseline BIN (another flamewire
# build) the same load against it first and the ratios. Goal (issue 9): 50,000 datagrams/s
# on this 2-core machine.
#
#   Tools/bench/datagrams.sh [--agents N] [--rate R] [--seconds S] [--mix keyframes|deltas|cpu] [--shards N] [--baseline BIN] [--baseline-shards M] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
agents=50; rate=50000; seconds=60; mix=keyframes; build=1; baseline=""; shards=""; baseline_shards=""
. "$here/lib/build.sh"
bench_args datagrams.sh 16 "agents:agents rate:rate seconds:seconds mix:mix baseline:baseline shards:shards baseline-shards:baseline_shards" "$@"
[[ -z "$baseline" || -x "$baseline" ]] || { echo "datagrams.sh: --baseline $baseline is not an executable" >&2; exit 2; }
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 15 ]] || { echo "datagrams.sh: --seconds takes a whole number of at least 15" >&2; exit 2; }
[[ "$mix" == keyframes || "$mix" == deltas || "$mix" == cpu ]] || { echo "datagrams.sh: --mix is keyframes, deltas or cpu" >&2; exit 2; }
out="$here/out"; mkdir -p "$out"
gen="$(bench_binary replay-bench "$here/load" "$here/load/.build-bench" "$out" "$root" "$build")"
if [[ $build -eq 1 ]]; then (cd "$root" && swift build -c release --product flamewire >"$out/datagrams-flamewire-build.log" 2>&1); fi
bin="$(cd "$root" && swift build -c release --show-bin-path)/flamewire"
bench_machine datagrams.sh
. "$here/lib/collector.sh"

results="$out/datagrams-results.tsv"
printf 'label\tagents\toffered_per_s\tread_per_s\tdropped_per_s\tkernel_drops_per_s\tdecoded_per_s\tstored_per_s\tcollector_core_pct\tpeak_mb\n' >"$results"
# run BIN LABEL [SHARDS]: one run against the collector BIN; appends a line to $results.
run() {
    local b="$1" label="$2" work="$out/datagrams-$2" n="${3:-}"
    rm -rf "$work"; mkdir -p "$work"
    "$gen" --write-allow "$work/agents.allow" --agents "$agents"
    start_collector "$b" "$work" "$label" "$work/agents.allow" "$n"
    "$gen" --collector 127.0.0.1:17300 --collector-key "$("$b" pubkey "$work/collector.key")" --agents "$agents" --rate "$rate" \
        --seconds "$seconds" --mix "$mix" --samples "$root/../shared/samples/go119" > >(sed -u "s/^/[$label] /" | tee "$work/gen.out") &
    local genpid=$!
    until grep -q "sending for" "$work/gen.out" 2>/dev/null; do sleep 0.5; kill -0 $genpid 2>/dev/null || break; done
    # The steady part: from 5 s after the start to 5 s before the end.
    local span=$(( ${seconds%.*} - 10 ))
    sleep 5
    local t0 c0 r0 x0 k0 d0 s0 t1 c1 r1 x1 k1 d1 s1
    t0=$(date +%s.%N); c0=$(cpu_seconds $collector); r0=$(metric flamewire_datagrams_received_total); x0=$(metric flamewire_datagrams_dropped_total)
    k0=$(rcvbuf_errors); d0=$(metric flamewire_windows_decoded_total); s0=$(metric flamewire_windows_stored_total)
    sleep "$span"
    t1=$(date +%s.%N); c1=$(cpu_seconds $collector); r1=$(metric flamewire_datagrams_received_total); x1=$(metric flamewire_datagrams_dropped_total)
    k1=$(rcvbuf_errors); d1=$(metric flamewire_windows_decoded_total); s1=$(metric flamewire_windows_stored_total)
    local rc=0
    wait $genpid || rc=$?
    local peak; peak=$(peak_mb $collector)
    curl -sf "http://$collector_http/metrics" | awk -v l="$label" '/^flamewire_datagrams_dropped_total/ && $2 > 0 { split($1, p, "\""); d = d (d == "" ? "" : ", ") p[2] " " $2 }
        END { printf "datagrams.sh: [%s] dropped by the collector over the whole run, by reason: %s\n", l, (d == "" ? "none" : d) > "/dev/stderr" }' || true
    stop_collector
    [[ $rc -eq 0 ]] || echo "datagrams.sh: [$label] the generator failed (exit $rc): not every agent sent all it had" >&2
    echo "$t0 $t1 $c0 $c1 $r0 $r1 $x0 $x1 $k0 $k1 $d0 $d1 $s0 $s1 $peak $rate $agents $label" | awk -v OFS='\t' '{
        t = $2 - $1; cpu = ($4 - $3) / t * 100; read = ($6 - $5) / t; drop = ($8 - $7) / t; kernel = ($10 - $9) / t
        decoded = ($12 - $11) / t; stored = ($14 - $13) / t
        printf "datagrams.sh: [%s] over %.0f s: %.0f datagrams/s offered, %.0f read (%.3f of offered; goal 50,000/s), %.0f dropped by the collector, %.0f by the kernel at full receive buffers\n", $18, t, $16, read, read / $16, drop, kernel > "/dev/stderr"
        printf "datagrams.sh: [%s] windows %.0f decoded/s, %.0f stored/s; collector %.0f %% of one core (%.1f µs per datagram read), %.1f MB peak\n", $18, decoded, stored, cpu, (read > 0 ? ($4 - $3) / ($6 - $5) * 1e6 : 0), $15 > "/dev/stderr"
        print $18, $17, $16, read, drop, kernel, decoded, stored, cpu, $15 }' >>"$results"
}

[[ -n "$baseline" ]] && run "$baseline" baseline "$baseline_shards"
run "$bin" this "$shards"
if [[ -n "$baseline" ]]; then
    awk -F'\t' 'NR == 2 { b = $4; bd = $7; bc = $9 } NR == 3 && b > 0 && bd > 0 && bc > 0 {
        printf "datagrams.sh: this build / baseline: %.2f× the datagrams read per second, %.2f× the windows decoded per second, %.2f× the collector CPU per datagram read\n", $4 / b, $7 / bd, ($9 / $4) / (bc / b) }' "$results"
fi
echo "datagrams.sh: results in $results"
