#!/usr/bin/env bash
# Capture-to-commit delay at the collector on loopback (no relay, so the path adds nothing):
# the sample Go service, `flamewire collect --data --window-log`, and an agent pulling all
# six types at a fixed 240 ms; per stored window, its capture end (agent clock) to the
# commit that made it durable (collector clock, the same machine). Prints p50/p90/p99/max
# for this build and, with --baseline BIN (another build of flamewire, for example the
# previous commit's), for that one in the same run, alternating, with the ratios.
#
#   Tools/bench/commit-delay.sh [--seconds 20] [--runs 2] [--baseline BIN] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
seconds=20 runs=2 baseline="" build=1
. "$here/lib/build.sh"
bench_args commit-delay.sh 10 "seconds:seconds runs:runs baseline:baseline" "$@"
. Tools/lib/deps.sh
ensure_deps demo
out="$here/out/commit-delay"
rm -rf "$out"; mkdir -p "$out"
if [[ $build -eq 1 ]]; then swift build -c release --product flamewire >"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 2; }; fi
bin="$(swift build -c release --show-bin-path)/flamewire"
[[ -z "$baseline" || -x "$baseline" ]] || { echo "commit-delay.sh: --baseline $baseline is not an executable" >&2; exit 2; }
(cd Samples/go-service && HOME="$out" GOCACHE="$out/gocache" GOPATH="$out/gopath" GOFLAGS= GOTOOLCHAIN=local go build -o "$out/sample-service" .)
"$bin" keygen "$out/agent.key" >/dev/null
"$bin" keygen "$out/collector.key" >/dev/null
bench_machine commit-delay.sh

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
"$out/sample-service" -addr 127.0.0.1:16170 -workers 1 >"$out/service.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q READY "$out/service.log" && break; sleep 0.1; done

# One run of BIN tagged TAG: the window log's delays, in ms, one per line, to $out/TAG.ms.
run() {
    local b="$1" tag="$2"
    rm -f "$out/$tag.db"* "$out/$tag.jsonl"
    "$b" collect --listen 127.0.0.1:17170 --key "$out/collector.key" --allow "$("$b" pubkey "$out/agent.key")" \
        --data "$out/$tag.db" --window-log "$out/$tag.jsonl" >"$out/$tag-collect.out" 2>"$out/$tag-collect.log" &
    local col=$!
    sleep 1
    "$b" agent --pprof http://127.0.0.1:16170/debug/pprof --types all --collector 127.0.0.1:17170 --key "$out/agent.key" \
        --collector-key "$("$b" pubkey "$out/collector.key")" --service delay --min-interval 240ms --max-interval 240ms --dscp 0 \
        --duration "${seconds}s" >"$out/$tag-agent.out" 2>"$out/$tag-agent.log"
    sleep 1
    kill -TERM "$col"; wait "$col" || true
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "capturedNanos" in r: print((r["storedNanos"] - r["capturedNanos"]) / 1e6)
' "$out/$tag.jsonl" >>"$out/${tag%-*}.ms"
}

for i in $(seq "$runs"); do
    [[ -n "$baseline" ]] && run "$baseline" "baseline-$i"
    run "$bin" "this-$i"
done
python3 - "$out" "$baseline" <<'PY'
import sys, os
out, baseline = sys.argv[1], sys.argv[2]
def stats(name):
    v = sorted(float(x) for x in open(os.path.join(out, name + ".ms")))
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    return len(v), q(.5), q(.9), q(.99), v[-1]
rows = [("this build", stats("this"))]
if baseline: rows.insert(0, ("baseline", stats("baseline")))
for name, (n, p50, p90, p99, mx) in rows:
    print(f"  {name:11s} {n:5d} windows, capture -> commit ms: p50 {p50:6.1f}  p90 {p90:6.1f}  p99 {p99:6.1f}  max {mx:6.1f}")
if baseline:
    b, t = rows[0][1], rows[1][1]
    print(f"  this / baseline: p50 {t[1] / b[1]:.2f}x  p90 {t[2] / b[2]:.2f}x  p99 {t[3] / b[3]:.2f}x")
PY
