#!/usr/bin/env bash
# Store benchmark: SQLite append throughput of heap windows and flame-graph reads over long
# ranges (15 min, 1 h, everything) from checkpoints, against the same 1 h read replaying
# every window (a store without checkpoints) measured in the same run. Goals (issue 9): an
# hour of one stream at 240 ms (15,000 windows) under 1 s, a day under 5 s.
#
#   Tools/bench/store.sh [--hours H] [--interval-ms MS] [--baseline-hours H] [--no-build] [--samples DIR]
#
#   --hours           stream time appended (default 1; 24 for a day, which takes minutes)
#   --interval-ms     window interval (default 240)
#   --baseline-hours  hours put into the no-checkpoint baseline store (default 1)
#   --no-build        use the existing binary instead of `swift build -c release`
#   --samples         the Go profiles (default ../shared/samples/go119)
#
# Raw figures go to Tools/bench/out/store-results.tsv.
set -euo pipefail

die() { echo "store.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$here/store"
scratch="$pkg/.build-bench"   # ignored by git (.build-*/)
out="$here/out"               # ignored by git
samples="$root/../shared/samples/go119"
build=1
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --hours|--interval-ms|--baseline-hours)
            [[ $# -ge 2 ]] || die "$1 needs a value"; args+=("$1" "$2"); shift 2 ;;
        --samples) [[ $# -ge 2 ]] || die "--samples needs a value"; samples="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ -f "$samples/heap-015.pb.gz" ]] || die "no samples at $samples (pass --samples DIR)"
command -v swift >/dev/null || die "swift is not on PATH"
mkdir -p "$out"

. "$here/lib/build.sh"
bin="$(bench_binary store-bench "$pkg" "$scratch" "$out" "$root" "$build")"
bench_machine store.sh
"$bin" --samples "$samples" --tsv "$out/store-results.tsv" "${args[@]}"
