#!/usr/bin/env bash
# Session receive benchmark: the collector's receive path for sealed DATA datagrams of real
# windows (datagrams/s and µs per datagram against the goal of ≥ 200,000 datagrams/s), where
# the time goes (header parsing, ChaCha20-Poly1305 open, the replay check, reassembly and
# window decoding, each as a ratio to the open measured in the same run), the open of
# full-size datagrams through swift-crypto against libcrypto (TransportKeys) as a ratio from
# one run, the replay window's check and commit alone, and resident memory under a flood
# of garbage DATA datagrams, every one of which must be counted dropped.
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
        -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ -d "$samples" ]] || die "no samples at $samples (pass --samples DIR)"
command -v swift >/dev/null || die "swift is not on PATH"
mkdir -p "$out"

. "$here/lib/build.sh"
bin="$(bench_binary session-bench "$pkg" "$scratch" "$out" "$root" "$build")"
bench_machine session.sh
"$bin" --samples "$samples" --tsv "$out/session-results.tsv" "${args[@]}"
