#!/usr/bin/env bash
# Session receive benchmark: the collector's receive path for sealed DATA datagrams of real
# windows (datagrams/s and µs per datagram against the goal of ≥ 200,000 datagrams/s), where
# the time goes (header parsing, ChaCha20-Poly1305 open, the replay check, reassembly and
# window decoding, each as a ratio to the open measured in the same run), and resident
# memory under a flood of garbage DATA datagrams, every one of which must be counted dropped.
#
#   Tools/bench/session.sh [--runs N] [--heap N] [--cpu N] [--flood N] [--no-build] [--samples DIR]
#
#   --runs      timed passes over the captured datagrams, the median counts (default 31)
#   --heap      heap snapshots played, heap-001.. (default 6)
#   --cpu       CPU windows played, cpu-01.. (default 6)
#   --flood     garbage datagrams of each kind (default 1000000; 0 skips the flood)
#   --no-build  use the existing binary instead of `swift build -c release`
#   --samples   the Go profiles (default ../shared/samples/go119)
#
# Builds Tools/bench/session (a package depending on the main package's modules through
# the main package's library products) in release mode in Tools/bench/session/.build-bench. Raw figures go
# to Tools/bench/out/session-results.tsv. A miss is flagged "MISSES GOAL"; the exit status is
# non-zero only when the build fails, a window is not decoded or a garbage datagram is not
# counted as dropped.
set -euo pipefail

die() { echo "session.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$here/session"
scratch="$pkg/.build-bench"   # ignored by git (.build-*/)
out="$here/out"               # ignored by git
samples="$root/../shared/samples/go119"
build=1
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs|--heap|--cpu|--flood)
            [[ $# -ge 2 ]] || die "$1 needs a value"; args+=("$1" "$2"); shift 2 ;;
        --samples) [[ $# -ge 2 ]] || die "--samples needs a value"; samples="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ -d "$samples" ]] || die "no samples at $samples (pass --samples DIR)"
command -v swift >/dev/null || die "swift is not on PATH"
mkdir -p "$out"

if [[ $build -eq 1 ]]; then
    # Pin the dependencies to the main package's resolution (no network when SwiftPM's cache has them).
    if [[ -f "$root/Package.resolved" ]]; then cp "$root/Package.resolved" "$pkg/Package.resolved"; fi
    echo "session.sh: building session-bench (release; log: Tools/bench/out/session-build.log)"
    swift build --package-path "$pkg" --scratch-path "$scratch" -c release --product session-bench >"$out/session-build.log" 2>&1 || {
        echo "session.sh: release build failed; first errors:" >&2
        grep -E 'error:' "$out/session-build.log" | sort -u | head -n 10 >&2 || tail -n 20 "$out/session-build.log" >&2
        exit 2
    }
fi
bin="$(swift build --package-path "$pkg" --scratch-path "$scratch" -c release --show-bin-path)/session-bench"
[[ -x "$bin" ]] || die "no session-bench binary at $bin (run without --no-build)"

echo "session.sh: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" --samples "$samples" --tsv "$out/session-results.tsv" "${args[@]}"
