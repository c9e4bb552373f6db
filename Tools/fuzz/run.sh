#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 30).
#
#   Tools/fuzz/run.sh [SECONDS]
#
# Environment:
#   FUZZ_TARGETS   which fuzzers, comma-separated (default:
#                  folded,pprof,datagram,bundle,fec,window,control,handshake)
#   FUZZ_CONFIG    swift build configuration, release or debug (default: release; debug
#                  builds faster but fuzzes about 10x slower)
#   FUZZ_SEED      libFuzzer -seed, for a reproducible mutation sequence (default: random)
#   SAMPLES_DIR    real pprof profiles for the pprof seed corpus (default: ../shared/samples/go119)
#
# Exit status: 0 when every fuzzer ran its time without a finding; 1 when a fuzzer found a
# crash, a broken invariant, a leak, a timeout or ran out of memory (the input is saved
# under Tools/fuzz/bin/artifacts-NAME/ and its path printed); 2 when a fuzzer could not be
# built or the arguments are wrong.
set -euo pipefail

die() { echo "fuzz: $*" >&2; exit 2; }

seconds="${1:-30}"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 1 && "$seconds" -le 86400 ]] || die "SECONDS must be a whole number from 1 to 86400, got '$seconds'"
[[ $# -le 1 ]] || die "usage: Tools/fuzz/run.sh [SECONDS]"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
config="${FUZZ_CONFIG:-release}"
[[ "$config" == release || "$config" == debug ]] || die "FUZZ_CONFIG must be release or debug, got '$config'"
IFS=',' read -r -a targets <<< "${FUZZ_TARGETS:-folded,pprof,datagram,bundle,fec,window,control,handshake}"
samples="${SAMPLES_DIR:-$root/../shared/samples/go119}"
scratch="$here/.build-fuzz"   # ignored by git (.build-*/)
work="$here/bin"              # ignored by git (Tools/fuzz/bin/)
mkdir -p "$work"
command -v swift >/dev/null || die "swift is not on PATH"

# Per-target settings: the largest input libFuzzer may make.
max_len_for() {
    case "$1" in
        pprof) echo 1048576 ;;   # 1 MiB: the Go samples inflate to a few hundred KB
        folded) echo 262144 ;;   # 256 KiB: room for a stack deeper than the 65,536-frame limit
        datagram) echo 131072 ;; # 128 KiB: a few bundles of 1400-byte datagrams, or one of 64 KiB symbols
        bundle) echo 65536 ;;    # 64 KiB: a directory of 255 entries and their windows, or up to 255 windows to bundle
        fec) echo 65536 ;;       # 64 KiB: k × size up to 255 × 1023 comes from a shorter input, repeated
        window) echo 262144 ;;   # 256 KiB: real keyframes of the small samples are 1–15 KB
        control) echo 4096 ;;    # 4 KiB: a CONTROL payload fits one 1472-byte datagram
        handshake) echo 2048 ;;  # 2 KiB: handshake datagrams are 145, 89 and 49 bytes
        *) die "unknown fuzz target '$1' (known: folded, pprof, datagram, bundle, fec, window, control, handshake)" ;;
    esac
}
# Per-target libFuzzer options beyond the common ones. The window decoder must not turn a
# payload into unbounded memory (SPEC.md §8): any single allocation over 512 MiB is a finding.
extra_args_for() {
    case "$1" in
        window) echo "-malloc_limit_mb=512" ;;
        *) echo "" ;;
    esac
}
for t in "${targets[@]}"; do max_len_for "$t" >/dev/null; done

# Pin the dependencies to the main package's resolution, so that no network is needed
# when SwiftPM's cache already holds them.
if [[ -f "$root/Package.resolved" ]]; then cp "$root/Package.resolved" "$here/Package.resolved"; fi

build_failed=()
built=()
for t in "${targets[@]}"; do
    log="$work/build-$t.log"
    echo "fuzz: building fuzz-$t ($config, -sanitize=fuzzer,address; log: ${log#"$root"/})"
    # `--sanitize=fuzzer` makes SwiftPM link libFuzzer's main instead of the target's. The
    # compile flags come from -Xswiftc because swiftc honours only the last -sanitize= it
    # is given: SwiftPM's separate `-sanitize=address -sanitize=fuzzer` would leave the
    # code without coverage instrumentation (then libFuzzer fuzzes blind).
    if swift build --package-path "$here" --scratch-path "$scratch" -c "$config" \
        --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address --product "fuzz-$t" >"$log" 2>&1; then
        built+=("$t")
    else
        echo "fuzz: building fuzz-$t failed; first errors:" >&2
        grep -E 'error:' "$log" | sort -u | head -n 10 >&2 || tail -n 20 "$log" >&2
        build_failed+=("$t")
    fi
done

# Seed corpora: the committed seeds, plus for pprof every real sample both gzipped and raw.
seed_dirs_for() {
    local t="$1"
    echo "$here/corpus/$t"
    if [[ "$t" == pprof && -d "$samples" ]]; then
        local d="$work/seeds-pprof-samples"
        if [[ ! -d "$d" ]]; then
            mkdir -p "$d.tmp"
            local f n
            for f in "$samples"/*.pb.gz; do
                n="$(basename "$f" .gz)"
                cp "$f" "$d.tmp/$n.gz"
                gzip -dc "$f" > "$d.tmp/$n"
            done
            rm -rf "$d" && mv "$d.tmp" "$d"
        fi
        echo "$d"
    fi
}

# libFuzzer reports crashes itself; Swift's backtracer would symbolicate for up to a
# minute per crash (and keep the log open while it does).
export SWIFT_BACKTRACE=enable=no

found=()
bin_dir="$(swift build --package-path "$here" --scratch-path "$scratch" -c "$config" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address --show-bin-path 2>/dev/null)" \
    || die "swift build --show-bin-path failed"
for t in "${built[@]}"; do
    exe="$bin_dir/fuzz-$t"
    corpus="$work/corpus-$t"        # grows across runs; the committed seeds stay untouched
    artifacts="$work/artifacts-$t"
    log="$work/fuzz-$t.log"
    mkdir -p "$corpus" "$artifacts"
    mapfile -t seeds < <(seed_dirs_for "$t")
    args=(-max_total_time="$seconds" -max_len="$(max_len_for "$t")" -rss_limit_mb=4096 -timeout=10
          -artifact_prefix="$artifacts/" -print_final_stats=1)
    read -r -a extra <<< "$(extra_args_for "$t")"
    args+=("${extra[@]}")
    [[ -n "${FUZZ_SEED:-}" ]] && args+=(-seed="$FUZZ_SEED")
    echo "fuzz: running fuzz-$t for ${seconds}s (seeds: ${seeds[*]#"$root"/}; log: ${log#"$root"/})"
    rc=0
    # The outer timeout only guards against a hung process; libFuzzer stops itself.
    timeout -k 10 $((seconds * 2 + 300)) "$exe" "${args[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
    stats="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 | sed -E 's/^#([0-9]+)[[:space:]]+[A-Z]+[[:space:]]+/runs \1, /; s/[[:space:]]+(lim|exec\/s):.*$//' || true)"
    eps="$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+)/\1/p' "$log")"
    rss="$(sed -nE 's/^stat::peak_rss_mb:[[:space:]]*([0-9]+)/\1/p' "$log")"
    if [[ $rc -eq 0 ]]; then
        echo "fuzz: fuzz-$t OK: ${stats:-no stats}, ${eps:-?} execs/s, peak RSS ${rss:-?} MB"
    else
        unit="$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)"
        reason="$(grep -m1 -E 'ERROR: |Fatal error|invariant broken|==ERROR' "$log" || true)"
        echo "fuzz: fuzz-$t FOUND A PROBLEM (exit $rc): ${reason:-see the log}" >&2
        if [[ -n "$unit" ]]; then
            echo "fuzz:   input: $unit" >&2
            echo "fuzz:   reproduce: $exe $unit" >&2
        else
            echo "fuzz:   no input was saved; see $log" >&2
        fi
        found+=("$t")
    fi
done

if [[ ${#found[@]} -gt 0 ]]; then
    echo "fuzz: findings in: ${found[*]}" >&2
    exit 1
fi
if [[ ${#build_failed[@]} -gt 0 ]]; then
    echo "fuzz: could not build: ${build_failed[*]} (see $work/build-*.log)" >&2
    exit 2
fi
echo "fuzz: all fuzzers ran ${seconds}s without findings"
