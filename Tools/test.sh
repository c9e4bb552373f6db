#!/usr/bin/env bash
# Runs every FlameWire test on a fresh machine: installs what is missing, builds once,
# then runs the Swift tests (unit, golden, Go interop, sessions over simulated links and real
# loopback UDP), the acceptance runs of `flamewire simulate` (release build), a 10 s run of
# the demo (README command one), the end-to-end run through kernel loss between two network
# namespaces, the browser test and the fuzzers. A private ClickHouse server on loopback
# (FLAMEWIRE_TEST_CLICKHOUSE_PORT, 18123) holds the shared store's tests.
#   Tools/test.sh            everything
#   FUZZ_SECONDS=0 Tools/test.sh   skip the fuzzers
#   ACCEPTANCE_SEEDS=1 Tools/test.sh   one seed per acceptance scenario instead of five
set -euo pipefail
cd "$(dirname "$0")/.."
. Tools/lib/deps.sh
ensure_deps test
artifacts="${FLAMEWIRE_ARTIFACTS:-$PWD/artifacts}"
mkdir -p "$artifacts"
export FLAMEWIRE_ARTIFACTS="$artifacts"

echo "== ClickHouse on loopback (the shared store's tests; Debian's clickhouse-server)"
. Tools/lib/clickhouse.sh
clickhouse_dir="$(mktemp -d /tmp/flamewire-test-clickhouse.XXXXXX)"
trap 'clickhouse_stop "$clickhouse_dir"; rm -rf "$clickhouse_dir"' EXIT
clickhouse_start "$clickhouse_dir" "${FLAMEWIRE_TEST_CLICKHOUSE_PORT:-18123}"
echo "ClickHouse $(curl -s "$FLAMEWIRE_CLICKHOUSE_URL/?query=SELECT%20version()") at $FLAMEWIRE_CLICKHOUSE_URL"

echo "== build"
swift build --build-tests
bin="$(swift build --show-bin-path)/flamewire"

echo "== swift test"
swift test --skip-build

echo "== acceptance: flamewire simulate on the issue's links, five seeds each (release build)"
swift build -c release --product flamewire
release_bin="$(swift build -c release --show-bin-path)/flamewire"
/usr/bin/python3 Tools/acceptance/simulate.py "$release_bin" --seeds "${ACCEPTANCE_SEEDS:-1,2,3,4,5}" --out "$artifacts/acceptance"

echo "== demo: README command one, 10 s (sample Go service, collector, relay at 12 % loss, agent)"
DEMO_SECONDS=10 bash Tools/demo.sh

echo "== kernel loss: sample service and agent in one network namespace, collector in another, nftables dropping 12 % each way"
bash Tools/netns-e2e.sh "$release_bin"

echo "== browser test (headless Chromium)"
if [ -f ../shared/samples/go119/cpu10s-1.pb.gz ]; then src=../shared/samples/go119/cpu10s-1.pb.gz; else src=Samples/profiles/cpu-10s.pb.gz; fi
"$bin" render "$src" --title "Browser test: Go CPU profile" -o "$artifacts/browser-cpu.svg"
# The collector's index page over the demo's store, served the way an operator reopens it.
"$release_bin" collect --listen 127.0.0.1:0 --key out/demo/collector.key --allow "$("$release_bin" pubkey out/demo/agent.key)" \
    --data out/demo/collector.db --http 127.0.0.1:17480 --duration 180s >"$artifacts/index-collect.out" 2>"$artifacts/index-collect.log" &
index_collector=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:17480/healthz >/dev/null && break; sleep 0.1; done
FLAMEWIRE_SVG="$artifacts/browser-cpu.svg" FLAMEWIRE_COLLECTOR_URL=http://127.0.0.1:17480 /usr/bin/python3 -m pytest -q Tests/browser
kill "$index_collector" 2>/dev/null || true

fuzz_seconds="${FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" != 0 ] && [ -x Tools/fuzz/run.sh ]; then
    echo "== fuzz (${fuzz_seconds}s per target)"
    Tools/fuzz/run.sh "$fuzz_seconds"
fi
echo "== all tests passed"
