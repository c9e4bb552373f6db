#!/usr/bin/env bash
# End to end through kernel loss: two network namespaces joined by a veth pair, with
# nftables dropping 12 % of the UDP datagrams at random in each direction
# (`numgen random mod 100 < 12`). In namespace A: the sample Go service and `flamewire
# agent`; in namespace B: `flamewire collect` on a SQLite file. The service's load stops
# after WORK seconds (it keeps serving pprof); the agent runs on, so its last windows hold
# the final counters. Checks that the collector's mutex and block totals (contentions and
# delay) over the service's own stacks (main.*) equal the service's final profiles exactly
# (stacks of pprof serving itself keep moving with every fetch, the agent's last ones
# included, so they are left out of the comparison); allocation totals within 1 % (Go's
# heap profile moves at each GC, which the pprof handler's allocations trigger); and that
# the CPU flame graph is valid SVG holding the service's functions.
#   Tools/netns-e2e.sh BIN    (BIN: the flamewire binary; run as root)
# Skips, with a message, only where network namespaces cannot be created.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="${FLAMEWIRE_ARTIFACTS:-$PWD/artifacts}/netns-e2e"
rm -rf "$work"; mkdir -p "$work"
a="fwa$$"; b="fwb$$"
if ! ip netns add "$a" 2>"$work/netns.err"; then
    echo "netns-e2e: SKIPPED: cannot create network namespaces here: $(cat "$work/netns.err")"
    exit 0
fi
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns add "$b"
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$a"
ip link set "vb$$" netns "$b"
ip -n "$a" addr add 10.79.0.1/30 dev "va$$"
ip -n "$b" addr add 10.79.0.2/30 dev "vb$$"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up
# 12 % random loss each way, in the kernel.
ip netns exec "$b" nft -f - <<'EOF'
table inet loss {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport 7000 numgen random mod 100 < 12 drop
    }
}
EOF
ip netns exec "$a" nft -f - <<'EOF'
table inet loss {
    chain input {
        type filter hook input priority 0; policy accept;
        udp sport 7000 numgen random mod 100 < 12 drop
    }
}
EOF

(cd Samples/go-service && HOME="$work" GOCACHE="$work/gocache" GOPATH="$work/gopath" GOFLAGS= GOTOOLCHAIN=local go build -o "$work/sample-service" .)
"$bin" keygen "$work/agent.key" >/dev/null
"$bin" keygen "$work/collector.key" >/dev/null
work_seconds=12; agent_seconds=24
ip netns exec "$a" "$work/sample-service" -addr 127.0.0.1:6060 -workers 2 -work-seconds $work_seconds >"$work/service.log" 2>&1 &
pids+=($!)
ip netns exec "$b" "$bin" collect --listen 10.79.0.2:7000 --key "$work/collector.key" --allow "$("$bin" pubkey "$work/agent.key")" \
    --data "$work/collector.db" --http 127.0.0.1:7080 --duration $((agent_seconds + 20))s >"$work/collect.out" 2>"$work/collect.log" &
collector=$!; pids+=($collector)
for _ in $(seq 50); do grep -q READY "$work/service.log" && grep -q "HTTP on" "$work/collect.log" && break; sleep 0.2; done
ip netns exec "$a" "$bin" agent --pprof http://127.0.0.1:6060/debug/pprof --types cpu,allocs,mutex,block --collector 10.79.0.2:7000 \
    --key "$work/agent.key" --collector-key "$("$bin" pubkey "$work/collector.key")" --service netns \
    --duration ${agent_seconds}s >"$work/agent.out" 2>"$work/agent.log" || { echo "netns-e2e: the agent failed:"; cat "$work/agent.log"; exit 1; }
sleep 1  # the last commits

fail=0
# Totals of one sample column of a pprof file, through flamewire itself; with a third
# argument, only of the stacks through the service's own code (main.*).
total() { "$bin" render "$1" --format folded --sample-index "$2" -o - | { if [ -n "${3:-}" ]; then grep 'main\.' || true; else cat; fi; } |
          awk '{ s += $NF } END { printf "%.0f", s }'; }
for spec in mutex:contentions mutex:delay block:contentions block:delay heap:alloc_objects heap:alloc_space; do
    type="${spec%%:*}"; column="${spec#*:}"
    path="$type"; [ "$type" = heap ] && path=allocs
    ip netns exec "$a" curl -sf -o "$work/direct-$type.pb.gz" "http://127.0.0.1:6060/debug/pprof/$path"
    ip netns exec "$b" curl -sf -o "$work/collected-$type.pb.gz" "http://127.0.0.1:7080/profile?type=$type&agg=last"
    own=""; [ "$type" = heap ] || own=main
    want=$(total "$work/direct-$type.pb.gz" "$column" $own); got=$(total "$work/collected-$type.pb.gz" "$column" $own)
    if [ "$type" = heap ]; then
        ok=$(awk -v w="$want" -v g="$got" 'BEGIN { d = w - g; if (d < 0) d = -d; print (w > 0 && d <= w / 100) ? 1 : 0 }')
    else
        ok=$([ "$want" = "$got" ] && [ "$want" != 0 ] && echo 1 || echo 0)
    fi
    echo "netns-e2e: $type $column: service $want, collector $got $([ "$ok" = 1 ] && echo ok || echo MISMATCH)"
    [ "$ok" = 1 ] || fail=1
done
ip netns exec "$b" curl -sf -o "$work/cpu.svg" "http://127.0.0.1:7080/flamegraph.svg?type=cpu"
if xmllint --noout "$work/cpu.svg" && grep -q "main\." "$work/cpu.svg"; then echo "netns-e2e: CPU flame graph is valid SVG with the service's functions"; else
    echo "netns-e2e: the CPU flame graph is not valid SVG or lacks main.* functions"; fail=1; fi
drops=$(ip netns exec "$b" nft list ruleset | grep -c drop || true)
echo "netns-e2e: agent: $(tr '\n' ' ' < "$work/agent.out")"
[ "$drops" -ge 1 ] || { echo "netns-e2e: the loss rule is missing"; fail=1; }
if [ "$fail" = 0 ]; then echo "netns-e2e: passed"; else echo "netns-e2e: FAILED (logs in $work)"; cat "$work/collect.log" | tail -5; exit 1; fi
