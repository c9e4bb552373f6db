#!/usr/bin/env bash
# The main job, runnable on a fresh machine: build flamewire and render a real Go CPU
# profile shipped in Samples/ as an interactive SVG flame graph.
#   Tools/demo.sh [OUTPUT.svg]
set -euo pipefail
cd "$(dirname "$0")/.."
. Tools/lib/deps.sh
ensure_deps build
out="${1:-out/cpu-flamegraph.svg}"
mkdir -p "$(dirname "$out")"
swift build -c release --product flamewire >&2
bin="$(swift build -c release --show-bin-path)/flamewire"
"$bin" inspect Samples/profiles/cpu-10s.pb.gz --top 5
"$bin" render Samples/profiles/cpu-10s.pb.gz --title "Sample Go service: CPU, 10 s" -o "$out"
"$bin" render Samples/profiles/heap.pb.gz --sample-index alloc_space -o "${out%.svg}-allocs.svg"
echo "wrote $out and ${out%.svg}-allocs.svg: open them in a browser (hover, click to zoom, Ctrl-F to search)"
