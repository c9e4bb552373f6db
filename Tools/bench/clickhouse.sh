#!/usr/bin/env bash
# Shared-store benchmark (issue 10): AGENTS agents × six streams (cpu, heap, allocs,
# goroutine, mutex, block from real Go profiles, a few percent of cells changing per window)
# at the default 240 ms interval inserted into ClickHouse and, as the baseline in the same
# run, into SQLite, batched as a collector's drains are; then the merged CPU and heap flame
# graphs over the whole range and over its last quarter read from each: insert throughput, query time, bytes moved
# from ClickHouse, disk, and a check that both stores give the same totals. Starts a private
# ClickHouse on loopback (Tools/lib/clickhouse.sh) unless FLAMEWIRE_CLICKHOUSE_URL names one.
#
#   Tools/bench/clickhouse.sh [--agents N] [--hours H] [--no-build] [--samples DIR]
#
#   --agents   agents (default 10)
#   --hours    stream time per agent (default 0.25; an hour of 10 agents is ~900k windows)
# Raw figures go to Tools/bench/out/clickhouse-results.tsv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
agents=10; hours=0.25; build=1; samples="$root/../shared/samples/go119"
. "$here/lib/build.sh"
bench_args clickhouse.sh 14 "agents:agents hours:hours samples:samples" "$@"
out="$here/out"; mkdir -p "$out"
bin="$(bench_binary clickhouse-bench "$here/clickhouse" "$here/clickhouse/.build-bench" "$out" "$root" "$build")"
. "$root/Tools/lib/clickhouse.sh"
chdir=""
if [[ -z "${FLAMEWIRE_CLICKHOUSE_URL:-}" ]]; then
    chdir="$(mktemp -d /tmp/flamewire-bench-clickhouse.XXXXXX)"
    trap 'clickhouse_stop "$chdir"; rm -rf "$chdir"' EXIT
    clickhouse_start "$chdir" 18323
fi
bench_machine clickhouse.sh
"$bin" --url "$FLAMEWIRE_CLICKHOUSE_URL" --agents "$agents" --hours "$hours" --samples "$samples" --tsv "$out/clickhouse-results.tsv"
