#!/usr/bin/env bash
# Merge benchmark: `flamewire merge heap-0*.pb.gz -o X` against
# `go tool pprof -proto heap-0*.pb.gz > Y` on the real Go heap profiles, side by side.
#
#   Tools/bench/merge.sh [--runs N] [--no-build] [--flamewire PATH] [--samples DIR] [--glob PATTERN]
#
#   --runs       timed runs of each tool (default 10, after one warm-up)
#   --no-build   use the existing release binary instead of `swift build -c release`
#   --flamewire  use this binary (implies --no-build)
#   --samples    directory of pprof profiles (default ../shared/samples/go119)
#   --glob       which of them to merge (default 'heap-0*.pb.gz')
#
# Uses hyperfine when installed (apt-get install -y hyperfine), else a timed loop. Also
# records each tool's peak RSS, and checks with pprof that both outputs have the same
# totals for every sample type. Outputs go to Tools/bench/out/ (ignored by git).
set -euo pipefail

die() { echo "merge.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
runs=10
build=1
flamewire=""
samples="$root/../shared/samples/go119"
glob='heap-0*.pb.gz'
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) [[ $# -ge 2 ]] || die "--runs needs a value"; runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --flamewire) [[ $# -ge 2 ]] || die "--flamewire needs a value"; flamewire="$2"; build=0; shift 2 ;;
        --samples) [[ $# -ge 2 ]] || die "--samples needs a value"; samples="$2"; shift 2 ;;
        --glob) [[ $# -ge 2 ]] || die "--glob needs a value"; glob="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$runs" =~ ^[0-9]+$ && "$runs" -ge 2 && "$runs" -le 1000 ]] || die "--runs must be 2..1000, got '$runs'"
[[ -d "$samples" ]] || die "no sample directory at $samples"
shopt -s nullglob
# shellcheck disable=SC2206 # the glob is meant to expand here
inputs=("$samples"/$glob)
shopt -u nullglob
[[ ${#inputs[@]} -gt 0 ]] || die "no files match $samples/$glob"
go="$(command -v go || true)"
[[ -n "$go" ]] || die "go is not installed (apt-get install -y golang-go)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing; install it with: apt-get install -y time"
command -v python3 >/dev/null || die "python3 is needed for the report"
mkdir -p "$out"

if [[ -z "$flamewire" ]]; then
    if [[ $build -eq 1 ]]; then
        echo "merge.sh: building flamewire (swift build -c release --product flamewire; log: Tools/bench/out/build.log)"
        (cd "$root" && swift build -c release --product flamewire) >"$out/build.log" 2>&1 || {
            echo "merge.sh: release build failed; first errors:" >&2
            grep -E 'error:' "$out/build.log" | sort -u | head -n 10 >&2 || tail -n 20 "$out/build.log" >&2
            exit 2
        }
    fi
    flamewire="$(cd "$root" && swift build -c release --show-bin-path)/flamewire"
fi
[[ -x "$flamewire" ]] || die "no flamewire binary at $flamewire (build it, or pass --flamewire PATH)"

# Go's pprof gets a private HOME and build cache, so that it writes nothing of the user's.
gohome="$(mktemp -d)"
trap 'rm -rf "$gohome"' EXIT
export GOCACHE="$gohome/cache" GOPATH="$gohome/gopath"
gorun() { HOME="$gohome" PPROF_TMPDIR="$gohome" "$go" "$@"; }

x="$out/merge-flamewire.pb.gz"
y="$out/merge-pprof.pb.gz"
# Check that both work before timing them.
"$flamewire" merge "${inputs[@]}" -o "$x" 2>"$out/merge-flamewire.err" || { echo "merge.sh: flamewire merge failed:" >&2; tail -n 5 "$out/merge-flamewire.err" >&2; exit 1; }
gorun tool pprof -proto "${inputs[@]}" >"$y" 2>"$out/merge-pprof.err" || { echo "merge.sh: go tool pprof failed:" >&2; tail -n 5 "$out/merge-pprof.err" >&2; exit 1; }
echo "merge.sh: merging ${#inputs[@]} profiles ($(du -cb "${inputs[@]}" | tail -n 1 | cut -f1) bytes gzipped) from ${samples#"$root"/}/$glob"

q() { printf '%q ' "$@"; }
fw_cmd="$(q "$flamewire" merge "${inputs[@]}" -o "$x")"
go_cmd="$(q env HOME="$gohome" PPROF_TMPDIR="$gohome" "$go" tool pprof -proto "${inputs[@]}") > $(q "$y")"

results="$out/merge-results.tsv"
: > "$results"
peak_rss() { /usr/bin/time -f '%M' -o "$out/time.txt" sh -c "$1" >/dev/null 2>&1 || die "failed: $1"; tail -n 1 "$out/time.txt"; }
if command -v hyperfine >/dev/null; then
    echo "merge.sh: timing with hyperfine ($runs runs each, 1 warm-up)"
    hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$out/merge-hyperfine.json" \
        -n flamewire "$fw_cmd" -n "go tool pprof" "$go_cmd" >"$out/merge-hyperfine.txt" 2>&1 \
        || { tail -n 20 "$out/merge-hyperfine.txt" >&2; die "hyperfine failed"; }
    python3 - "$out/merge-hyperfine.json" >"$results.tmp" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("\t".join([r["command"], f'{r["mean"]:.6f}', f'{r["min"]:.6f}', f'{r["stddev"] or 0:.6f}', str(len(r["times"]))]))
EOF
else
    echo "merge.sh: hyperfine not installed; timing with a loop ($runs runs each, 1 warm-up)"
    : > "$results.tmp"
    for tool in flamewire "go tool pprof"; do
        cmd="$fw_cmd"; [[ "$tool" == flamewire ]] || cmd="$go_cmd"
        sh -c "$cmd" >/dev/null 2>&1 || die "failed: $cmd"
        times=()
        for ((i = 0; i < runs; i++)); do
            t0="$EPOCHREALTIME"; sh -c "$cmd" >/dev/null 2>&1 || die "failed: $cmd"; t1="$EPOCHREALTIME"
            times+=("$(python3 -c "print($t1 - $t0)")")
        done
        python3 - "$tool" "${times[@]}" >>"$results.tmp" <<'EOF'
import statistics, sys
t = [float(x) for x in sys.argv[2:]]
print("\t".join([sys.argv[1], f"{statistics.mean(t):.6f}", f"{min(t):.6f}", f"{statistics.stdev(t):.6f}", str(len(t))]))
EOF
    done
fi
while IFS=$'\t' read -r tool mean min sd n; do
    cmd="$fw_cmd"; file="$x"
    [[ "$tool" == flamewire ]] || { cmd="$go_cmd"; file="$y"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$mean" "$min" "$sd" "$n" "$(peak_rss "$cmd")" "$(stat -c %s "$file")" >> "$results"
done < "$results.tmp"
rm -f "$results.tmp"

python3 "$here/report.py" merge "$results"

# Same totals per sample type? (pprof -raw lists every sample's values.)
sum_raw() {
    gorun tool pprof -raw "$1" 2>/dev/null | python3 -c '
import re, sys
types, tot = None, None
for line in sys.stdin:
    if types is None and line.startswith("Samples:"):
        types = next(sys.stdin).split()
        tot = [0] * len(types)
        continue
    m = re.match(r"^\s+(-?\d+(?:\s+-?\d+)*):", line)
    if types is not None and m:
        for i, v in enumerate(m.group(1).split()):
            tot[i] += int(v)
    elif types is not None and line.startswith("Locations"):
        break
print(" ".join("%s=%d" % (t.replace("[dflt]", ""), v) for t, v in zip(types or [], tot or [])))
'
}
fw_tot="$(sum_raw "$x")"
go_tot="$(sum_raw "$y")"
echo
if [[ -n "$fw_tot" && "$fw_tot" == "$go_tot" ]]; then
    echo "totals: identical ($fw_tot)"
else
    echo "totals DIFFER: flamewire: ${fw_tot:-<pprof could not read it>}; pprof: $go_tot"
fi
