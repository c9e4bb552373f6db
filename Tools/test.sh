#!/usr/bin/env bash
# Runs every FlameWire test on a fresh machine: installs what is missing, builds once,
# then runs the Swift tests (unit, golden, Go interop), the browser test and the fuzzers.
#   Tools/test.sh            everything
#   FUZZ_SECONDS=0 Tools/test.sh   skip the fuzzers
set -euo pipefail
cd "$(dirname "$0")/.."
. Tools/lib/deps.sh
ensure_deps test
artifacts="${FLAMEWIRE_ARTIFACTS:-$PWD/artifacts}"
mkdir -p "$artifacts"
export FLAMEWIRE_ARTIFACTS="$artifacts"

echo "== build"
swift build --build-tests
bin="$(swift build --show-bin-path)/flamewire"

echo "== swift test"
swift test --skip-build

echo "== browser test (headless Chromium)"
if [ -f ../shared/samples/go119/cpu10s-1.pb.gz ]; then src=../shared/samples/go119/cpu10s-1.pb.gz; else src=Samples/profiles/cpu-10s.pb.gz; fi
"$bin" render "$src" --title "Browser test: Go CPU profile" -o "$artifacts/browser-cpu.svg"
FLAMEWIRE_SVG="$artifacts/browser-cpu.svg" /usr/bin/python3 -m pytest -q Tests/browser

fuzz_seconds="${FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" != 0 ] && [ -x Tools/fuzz/run.sh ]; then
    echo "== fuzz (${fuzz_seconds}s per target)"
    Tools/fuzz/run.sh "$fuzz_seconds"
fi
echo "== all tests passed"
