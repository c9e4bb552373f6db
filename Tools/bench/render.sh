#!/usr/bin/env bash
# Render benchmark: `flamewire render IN -o OUT.svg` on synthetic folded inputs of 10k, 100k
# and 1M distinct stacks (Tools/gen-folded), with wall time, peak RSS and SVG size against
# the targets; with FLAMEGRAPH_PL set, flamegraph.pl on the same inputs for ratios.
#
#   Tools/bench/render.sh [--sizes 10k,100k,1M] [--seed N] [--runs N] [--no-build]
#                         [--flamewire PATH] [--pl-sizes 10k,100k]
#
#   --sizes      inputs to render (default 10k,100k,1M)
#   --seed       generator seed (default 1); inputs are cached per seed and generator source
#   --runs       runs per input, the fastest counts (default 3; inputs over 256 MB run once)
#   --no-build   use the existing release binary instead of `swift build -c release`
#   --flamewire  use this binary (implies --no-build)
#   --pl-sizes   inputs flamegraph.pl renders too, when FLAMEGRAPH_PL is set (default 10k,100k)
#
# Environment: FLAMEGRAPH_PL=path/to/flamegraph.pl (optional; never shipped here).
# Outputs (inputs, SVGs, results.tsv) go to Tools/bench/out/, which git ignores.
set -euo pipefail

die() { echo "render.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
sizes="10k,100k,1M"
pl_sizes="10k,100k"
seed=1
runs=""
build=1
flamewire=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) [[ $# -ge 2 ]] || die "--sizes needs a value"; sizes="$2"; shift 2 ;;
        --pl-sizes) [[ $# -ge 2 ]] || die "--pl-sizes needs a value"; pl_sizes="$2"; shift 2 ;;
        --seed) [[ $# -ge 2 ]] || die "--seed needs a value"; seed="$2"; shift 2 ;;
        --runs) [[ $# -ge 2 ]] || die "--runs needs a value"; runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --flamewire) [[ $# -ge 2 ]] || die "--flamewire needs a value"; flamewire="$2"; build=0; shift 2 ;;
        -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$seed" =~ ^[0-9]+$ ]] || die "--seed must be a whole number, got '$seed'"
[[ -z "$runs" || ( "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 && "$runs" -le 100 ) ]] || die "--runs must be 1..100, got '$runs'"
IFS=',' read -r -a size_list <<< "$sizes"
for s in "${size_list[@]}"; do [[ "$s" =~ ^[0-9]+[kM]?$ ]] || die "bad size '$s' in --sizes (use e.g. 10k,100k,1M)"; done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing; install it with: apt-get install -y time"
command -v python3 >/dev/null || die "python3 is needed for the report"
if [[ -n "${FLAMEGRAPH_PL:-}" ]]; then
    [[ -f "$FLAMEGRAPH_PL" ]] || die "FLAMEGRAPH_PL=$FLAMEGRAPH_PL is not a file"
    command -v perl >/dev/null || die "FLAMEGRAPH_PL is set but perl is not installed"
fi
mkdir -p "$out/inputs" "$out/svg"

# 1. The binary.
if [[ -z "$flamewire" ]]; then
    if [[ $build -eq 1 ]]; then
        echo "render.sh: building flamewire (swift build -c release --product flamewire; log: Tools/bench/out/build.log)"
        (cd "$root" && swift build -c release --product flamewire) >"$out/build.log" 2>&1 || {
            echo "render.sh: release build failed; first errors:" >&2
            grep -E 'error:' "$out/build.log" | sort -u | head -n 10 >&2 || tail -n 20 "$out/build.log" >&2
            exit 2
        }
    fi
    flamewire="$(cd "$root" && swift build -c release --show-bin-path)/flamewire"
fi
[[ -x "$flamewire" ]] || die "no flamewire binary at $flamewire (build it, or pass --flamewire PATH)"

# 2. Inputs, cached by size, seed and generator source.
gen="$root/Tools/gen-folded/gen-folded.sh"
gen_hash="$(sha256sum "$root/Tools/gen-folded/gen-folded.c" | cut -c1-12)"
input_for() { echo "$out/inputs/folded-$1-seed$seed-$gen_hash.txt"; }
for s in "${size_list[@]}"; do
    f="$(input_for "$s")"
    if [[ ! -s "$f" ]]; then
        echo "render.sh: generating $s stacks (seed $seed) -> ${f#"$root"/}"
        rm -f "$out/inputs/folded-$s-seed$seed-"*.txt  # stale: made by an older generator
        "$gen" --stacks "$s" --seed "$seed" -o "$f.tmp" || die "gen-folded failed for $s"
        mv -f "$f.tmp" "$f"
    fi
done

# 3. Runs. One line per measurement: tool size input_bytes seconds peak_rss_kb output_bytes.
results="$out/results.tsv"
: > "$results"
measure() {  # measure TOOL SIZE INPUT OUTPUT RUNS CMD... ; the best time and the largest RSS count
    local tool="$1" size="$2" in="$3" svg="$4" n="$5"
    shift 5
    local best="" rss_max=0 i t0 t1 secs rss
    for ((i = 1; i <= n; i++)); do
        t0="$EPOCHREALTIME"
        if ! /usr/bin/time -f '%M' -o "$out/time.txt" "$@" >"$out/run.log" 2>&1; then
            echo "render.sh: $tool failed on $size:" >&2
            tail -n 5 "$out/run.log" >&2
            return 1
        fi
        t1="$EPOCHREALTIME"
        secs="$(python3 -c "print(f'{$t1 - $t0:.4f}')")"
        rss="$(tail -n 1 "$out/time.txt")"
        [[ "$rss" =~ ^[0-9]+$ ]] || die "could not read peak RSS from /usr/bin/time: $(cat "$out/time.txt")"
        if [[ -z "$best" ]] || python3 -c "import sys; sys.exit(0 if $secs < $best else 1)"; then best="$secs"; fi
        ((rss > rss_max)) && rss_max="$rss"
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$(stat -c %s "$in")" "$best" "$rss_max" "$(stat -c %s "$svg")" >> "$results"
}

failed=0
for s in "${size_list[@]}"; do
    in="$(input_for "$s")"
    svg="$out/svg/flamewire-$s.svg"
    n="${runs:-3}"
    if [[ -z "$runs" && "$(stat -c %s "$in")" -gt 268435456 ]]; then n=1; fi
    echo "render.sh: flamewire render $s ($n run(s))"
    measure flamewire "$s" "$in" "$svg" "$n" "$flamewire" render "$in" -o "$svg" || failed=1
    if [[ -n "${FLAMEGRAPH_PL:-}" && ",$pl_sizes," == *",$s,"* ]]; then
        plsvg="$out/svg/flamegraph-pl-$s.svg"
        echo "render.sh: perl flamegraph.pl $s (1 run)"
        measure flamegraph.pl "$s" "$in" "$plsvg" 1 sh -c 'exec perl "$1" "$2" > "$3"' sh "$FLAMEGRAPH_PL" "$in" "$plsvg" || failed=1
    fi
done

# 4. Report.
python3 "$here/report.py" render "$results"
[[ $failed -eq 0 ]] || { echo "render.sh: some runs failed (see above)" >&2; exit 1; }
