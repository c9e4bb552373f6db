# Shared by the benchmark scripts: builds one bench package in release and prints its binary.
#   bench_binary NAME PKG SCRATCH OUT ROOT BUILD    (BUILD 0: reuse the last build)
# Pins the dependencies to the main package's resolution (no network when SwiftPM's cache
# has them); on a failed build prints the first errors and exits 2.
bench_binary() {
    local name="$1" pkg="$2" scratch="$3" out="$4" root="$5" build="$6"
    if [[ $build -eq 1 ]]; then
        if [[ -f "$root/Package.resolved" ]]; then cp "$root/Package.resolved" "$pkg/Package.resolved"; fi
        echo "$name: building $name (release; log: Tools/bench/out/$name-build.log)" >&2
        # SwiftPM keeps its build plan while the root manifest is unchanged, so a file added
        # to a path dependency (Tools/bench/capture) would not be compiled: plan again.
        rm -f "$scratch/release.yaml"
        swift build --package-path "$pkg" --scratch-path "$scratch" -c release --product "$name" >"$out/$name-build.log" 2>&1 || {
            echo "$name: release build failed; first errors:" >&2
            grep -E 'error:' "$out/$name-build.log" | sort -u | head -n 10 >&2 || tail -n 20 "$out/$name-build.log" >&2
            exit 2
        }
    fi
    local bin
    bin="$(swift build --package-path "$pkg" --scratch-path "$scratch" -c release --show-bin-path)/$name"
    [[ -x "$bin" ]] || { echo "$name: no binary at $bin (run without --no-build)" >&2; exit 2; }
    echo "$bin"
}

# One line about the machine the figures come from.
bench_machine() {
    echo "$1: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# The options every bench script parses: `bench_args NAME HELP "opt:var ..." "$@"` sets
# the variable `var` for each `--opt VALUE` given, `build=0` for --no-build, and prints the
# script's header (its lines 2 … HELP, comment marks dropped) for -h/--help; anything else
# is one line naming the script and exit 2.
bench_args() {
    local name="$1" help="$2" spec="$3" pair found
    shift 3
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --no-build) build=0; shift; continue ;;
            -h|--help) sed -n "2,${help}p" "${BASH_SOURCE[${#BASH_SOURCE[@]} - 1]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        esac
        found=""
        for pair in $spec; do
            if [[ "$1" == "--${pair%%:*}" ]]; then
                [[ $# -ge 2 ]] || { echo "$name: $1 needs a value" >&2; exit 2; }
                printf -v "${pair#*:}" '%s' "$2"
                found=1
                shift 2
                break
            fi
        done
        [[ -n "$found" ]] || { echo "$name: unknown argument '$1'" >&2; exit 2; }
    done
}
