#!/usr/bin/env bash
# Wire benchmark: bytes on the wire per profile type (keyframe, steady-state delta, with and
# without FEC) against gzip pprof, encode + decode time of one heap window, Reed–Solomon
# throughput per GF(2^8) kernel, each figure next to its target, and pprof decode time
# (ProfileReader against the generated protobuf messages, measured in the same run).
#
#   Tools/bench/wire.sh [--runs N] [--rs-runs N] [--only sizes,codec,fec,pprof] [--windows]
#                       [--no-build] [--samples DIR] [--profile-loop N]
#
#   --runs          timed runs of the codec benchmark, the median counts (default 101)
#   --rs-runs       samples per Reed–Solomon figure, the median counts (default 21)
#   --only          sections to run: sizes, codec, fec, pprof (default all four)
#   --windows       also print every window of every sequence
#   --no-build      use the existing binary instead of `swift build -c release`
#   --samples       the Go profiles (default ../shared/samples/go119)
#   --profile-loop  play the heap snapshots on one stream for N windows after the
#                   keyframe (each decoded and acknowledged) and exit, for `perf record`
#                   or callgrind (see Tools/README.md)
#
# Builds Tools/bench/wire (a package depending on the main one by path) in release mode in
# Tools/bench/wire/.build-bench. Raw figures go to Tools/bench/out/wire-results.tsv.
# Misses are flagged "MISSES TARGET"; the exit status is non-zero only when the build
# fails or a window does not round-trip.
set -euo pipefail

die() { echo "wire.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$here/wire"
scratch="$pkg/.build-bench"   # ignored by git (.build-*/)
out="$here/out"               # ignored by git
samples="$root/../shared/samples/go119"
build=1
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs|--rs-runs|--only|--profile-loop)
            [[ $# -ge 2 ]] || die "$1 needs a value"; args+=("$1" "$2"); shift 2 ;;
        --windows) args+=("$1"); shift ;;
        --samples) [[ $# -ge 2 ]] || die "--samples needs a value"; samples="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ -d "$samples" ]] || die "no samples at $samples (pass --samples DIR)"
command -v swift >/dev/null || die "swift is not on PATH"
mkdir -p "$out"

. "$here/lib/build.sh"
bin="$(bench_binary wire-bench "$pkg" "$scratch" "$out" "$root" "$build")"
bench_machine wire.sh
"$bin" --samples "$samples" --tsv "$out/wire-results.tsv" "${args[@]}"
