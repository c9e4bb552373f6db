# Shared by the benchmark scripts: builds one bench package in release and prints its binary.
#   bench_binary NAME PKG SCRATCH OUT ROOT BUILD    (BUILD 0: reuse the last build)
# Pins the dependencies to the main package's resolution (no network when SwiftPM's cache
# has them); on a failed build prints the first errors and exits 2.
bench_binary() {
    local name="$1" pkg="$2" scratch="$3" out="$4" root="$5" build="$6"
    if [[ $build -eq 1 ]]; then
        if [[ -f "$root/Package.resolved" ]]; then cp "$root/Package.resolved" "$pkg/Package.resolved"; fi
        echo "$name: building $name (release; log: Tools/bench/out/$name-build.log)" >&2
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
