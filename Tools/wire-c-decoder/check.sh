#!/bin/sh
# Builds the independent C decoder and runs it over every test vector of
# Protocol/vectors/, comparing its output with the *.expected.txt files byte for byte.
# Exit status 0 when everything matches, 1 on any difference or failure.
# CFLAGS is passed to the build (e.g. CFLAGS='-g -fsanitize=address,undefined').
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vec="$root/Protocol/vectors"
bin="$here/.build-c/wire-c-decoder"
"$here/build.sh" || { echo "check.sh: build failed" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wire-c-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
runs=0

# expect EXPECTED_FILE ARGS...: the decoder's output must equal EXPECTED_FILE.
expect() {
    expected=$1
    shift
    runs=$((runs + 1))
    if ! (cd "$vec" && "$bin" "$@") >"$tmp/out" 2>"$tmp/err"; then
        echo "FAIL $expected: wire-c-decoder $* exited with an error:" >&2
        cat "$tmp/err" >&2
        failures=$((failures + 1))
    elif ! diff -u "$vec/$expected" "$tmp/out" >"$tmp/diff"; then
        echo "FAIL $expected: output differs (wire-c-decoder $*):" >&2
        head -n 40 "$tmp/diff" >&2
        failures=$((failures + 1))
    else
        echo "ok   $expected"
    fi
}

# reject WHY ARGS...: the decoder must fail cleanly (status 1, an error message, no crash).
reject() {
    why=$1
    shift
    runs=$((runs + 1))
    (cd "$vec" && "$bin" "$@") >/dev/null 2>"$tmp/err"
    status=$?
    if [ "$status" -ne 1 ] || [ ! -s "$tmp/err" ]; then
        echo "FAIL reject ($why): wire-c-decoder $* exited with $status" >&2
        cat "$tmp/err" >&2
        failures=$((failures + 1))
    else
        echo "ok   rejects $why: $(head -n 1 "$tmp/err")"
    fi
}

expect demo-1.expected.txt windows demo-1.window.hex
expect demo-2.expected.txt windows demo-1.window.hex demo-2.window.hex
expect demo-3.expected.txt windows demo-1.window.hex demo-2.window.hex demo-3.window.hex
expect demo-1.snappy.expected.txt windows demo-1.snappy.hex
expect demo-2.expected.txt windows demo-1.snappy.hex demo-2.window.hex
expect heap-1.expected.txt windows heap-1.window.hex
expect heap-2.expected.txt windows heap-1.window.hex heap-2.window.hex
expect collision-1.expected.txt windows --hash-bits 8 collision-1.window.hex
expect collision-2.expected.txt windows --hash-bits 8 collision-1.window.hex collision-2.window.hex
expect bulk-1.datagrams.expected.txt datagrams --drop 0,2,3 bulk-1.datagrams.hex
expect bulk-1.datagrams.expected.txt datagrams bulk-1.datagrams.hex

# Negative checks: what the spec says a receiver must refuse.
reject "a delta without its base" windows demo-2.window.hex
grep -v '^#' "$vec/demo-1.window.hex" | sed '$d' >"$tmp/truncated.window.hex"
reject "a truncated window" windows "$tmp/truncated.window.hex"
reject "too few symbols to rebuild the block" datagrams --drop 0,1,2,3,4 bulk-1.datagrams.hex

if [ "$failures" -ne 0 ]; then
    echo "check.sh: $failures of $runs checks failed" >&2
    exit 1
fi
echo "check.sh: all $runs checks passed"
