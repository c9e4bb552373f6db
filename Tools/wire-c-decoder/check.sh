#!/bin/sh
# Builds the independent C decoder and runs it over every test vector of
# Protocol/vectors/, comparing its output with the *.expected.txt files byte for byte,
# then checks that it refuses what it must refuse and that no truncation or single-byte
# change of any vector makes it crash (`wire-c-decoder sweep`), verifies the handshake
# vectors (`wire-c-decoder handshake-vectors`: Noise IK/IKpsk2, mac1, transport keys, the
# sealed DATA datagram; OpenSSL), and receives the sealed CONTROL datagrams of
# control-1.txt (`wire-c-decoder control`: §11.1-§11.2, compared with control-1.expected.txt;
# `sweep control`: no truncation or one-byte change of one is accepted, no payload changed
# and sealed again crashes the frame parser).
#
#   check.sh              build into .build-c/ and check
#   check.sh --sanitize   build into .build-c-asan/ with AddressSanitizer and
#                         UndefinedBehaviorSanitizer (leak checks on) and check
#
# Exit status 0 when everything matches, 1 on any difference, failure or crash.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vec="$root/Protocol/vectors"
case "${1:-}" in
--sanitize)
    out=.build-c-asan
    CFLAGS="${CFLAGS:-} -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
    export CFLAGS
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    export ASAN_OPTIONS UBSAN_OPTIONS
    ;;
"") out=.build-c ;;
*)
    echo "usage: check.sh [--sanitize]" >&2
    exit 2
    ;;
esac
bin="$here/$out/wire-c-decoder"
OUT=$out "$here/build.sh" || {
    echo "check.sh: build failed" >&2
    exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wire-c-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
runs=0

# expect EXPECTED_FILE ARGS...: the decoder's output must equal EXPECTED_FILE; an expected
# file that holds the single line "rejected" means the decoder must refuse the input.
expect() {
    expected=$1
    shift
    runs=$((runs + 1))
    (cd "$vec" && "$bin" "$@") >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ "$(cat "$vec/$expected")" = rejected ]; then
        if [ "$status" -ne 1 ] || [ ! -s "$tmp/err" ]; then
            echo "FAIL $expected: wire-c-decoder $* exited with $status instead of refusing the input" >&2
            cat "$tmp/err" >&2
            failures=$((failures + 1))
        else
            echo "ok   $expected (refused: $(head -n 1 "$tmp/err" | sed 's/^wire-c-decoder: [^:]*: //'))"
        fi
    elif [ "$status" -ne 0 ]; then
        echo "FAIL $expected: wire-c-decoder $* exited with $status:" >&2
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
        echo "ok   rejects $why: $(head -n 1 "$tmp/err" | sed 's/^wire-c-decoder: [^:]*: //')"
    fi
}

# sweep ARGS...: every truncation and single-byte change of the last file must be decoded
# or refused, never crash (each runs in a child process; sanitizer reports are crashes).
sweep() {
    runs=$((runs + 1))
    if (cd "$vec" && ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$bin" sweep "$@") >"$tmp/sweep" 2>&1; then
        echo "ok   $(tail -n 1 "$tmp/sweep")"
    else
        echo "FAIL sweep $*:" >&2
        head -n 25 "$tmp/sweep" >&2
        failures=$((failures + 1))
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
# One bundle carrying several windows of different streams (datagram layer v2, §6.3): lines
# 1 and 4 lost, rebuilt from parity; the same output with nothing lost.
expect bundle-1.datagrams.expected.txt datagrams --drop 1,4 bundle-1.datagrams.hex
expect bundle-1.datagrams.expected.txt datagrams bundle-1.datagrams.hex
# A window received again is a duplicate: no change (§4.5).
expect demo-2.expected.txt windows demo-1.window.hex demo-2.window.hex demo-2.window.hex
# Protobuf rules, stream labels as a map (edge-*.window.hex, see README.md).
for f in "$vec"/edge-*.window.hex; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .window.hex)
    expect "$name.expected.txt" windows "$name.window.hex"
done
# Hand-built deltas against demo-1 (README.md): context-coded frames, base functions by
# rank, templates naming earlier definitions, redefined and removed-then-redefined stacks.
for name in context-1 baseref-1 template-1 template-2 varint-bits-1 redefine-1 redefine-2; do
    expect "$name.expected.txt" windows demo-1.window.hex "$name.window.hex"
done
# Datagrams whose address does (address-1, seq modulo 2^32) or does not (address-2, -3)
# match the window inside (§6.5 addressMismatch).
for name in address-1 address-2 address-3; do
    expect "$name.datagrams.expected.txt" datagrams "$name.datagrams.hex"
done
# Sealed CONTROL datagrams (§11.1-§11.2): frames decoded, or refused (truncated,
# unauthenticated, malformed) as each vector says; refusals are output, status 0.
expect control-1.expected.txt control control-1.txt

# Negative checks: what the spec says a receiver must refuse.
reject "a delta without its base" windows demo-2.window.hex
grep -v '^#' "$vec/demo-1.window.hex" | sed '$d' >"$tmp/truncated.window.hex"
reject "a truncated window" windows "$tmp/truncated.window.hex"
reject "too few symbols to rebuild the block" datagrams --drop 0,1,2,3,4 bulk-1.datagrams.hex
reject "too few symbols to rebuild the bundle" datagrams --drop 0,1,2,3,4,5,6,7 bundle-1.datagrams.hex
# bad_directory NAME: a copy of NAME.datagrams.hex whose source symbol 0 of block 0 (symbols
# are in clear under NullProtection) has its first byte, the directory's window count,
# set to 0; nothing is dropped, so the (now stale) parity is not used. badDirectory (§6.3).
bad_directory() {
    awk 'BEGIN { done = 0 } {
        line = $0; gsub(/[ \t\r]/, "", line)
        if (!done && line != "" && substr(line, 1, 1) != "#" && substr(line, 35, 4) == "0000") {
            $0 = substr(line, 1, 46) "00" substr(line, 49); done = 1
        }
    } { print }' "$vec/$1.datagrams.hex" >"$tmp/$1-bad-directory.datagrams.hex"
    reject "$1 with a directory of 0 windows" datagrams "$tmp/$1-bad-directory.datagrams.hex"
}
bad_directory bulk-1
bad_directory bundle-1

# Handshake vectors (Protocol/handshake.md, SPEC.md §6.4): both Noise cases rebuilt with
# OpenSSL primitives, mac1, transport keys, and the sealed DATA datagram opened (one line per case).
runs=$((runs + 1))
if (cd "$vec" && "$bin" handshake-vectors handshake-1.txt) >"$tmp/hs" 2>"$tmp/err" &&
    grep -q '^ok   \[ik\] ' "$tmp/hs" && grep -q '^ok   \[ikpsk2\] ' "$tmp/hs"; then
    grep '^ok   ' "$tmp/hs"
else
    echo "FAIL handshake-1.txt: wire-c-decoder handshake-vectors handshake-1.txt:" >&2
    cat "$tmp/hs" "$tmp/err" >&2
    failures=$((failures + 1))
fi
# tamper NAME DIGIT: a copy of handshake-1.txt with hex digit DIGIT (1-based; 0 = the last) of
# every `NAME = ` value (but `-`) changed; the decoder must refuse it.
tamper() {
    awk -v name="$1" -v pos="$2" 'index($0, name " = ") == 1 && $0 != name " = -" {
        v = substr($0, length(name) + 4); p = pos == 0 ? length(v) : pos
        c = substr(v, p, 1) == "0" ? "1" : "0"
        $0 = name " = " substr(v, 1, p - 1) c substr(v, p + 1)
    } { print }' "$vec/handshake-1.txt" >"$tmp/tampered-$1-$2.txt"
    reject "handshake-1.txt with $1 changed at hex digit $2" handshake-vectors "$tmp/tampered-$1-$2.txt"
}
tamper agent_static_public 1
tamper initiation 80           # the encrypted static key
tamper initiation 230          # mac1
tamper response 100            # the encrypted empty payload
tamper response 120            # mac1
tamper timestamp 0
tamper psk 1                   # [ikpsk2] only
tamper handshake_hash 1
tamper agent_send_key 1
tamper collector_send_key 0
tamper data_plain 0            # the symbol
tamper data_sealed 20          # the packet number
tamper data_sealed 0           # the tag
# An ill-formed CONTROL vector file is refused (status 1), not decoded: a payload that is
# not what its datagram opens to, a key of 31 bytes, a `from` that names neither side.
# control_edit NAME RE REPLACEMENT WHY: a copy of control-1.txt whose first line matching RE
# has that match replaced; the decoder must refuse it.
control_edit() {
    awk -v re="$2" -v by="$3" '!done && $0 ~ re { sub(re, by); done = 1 } { print }' \
        "$vec/control-1.txt" >"$tmp/control-$1.txt"
    reject "control-1.txt with $4" control "$tmp/control-$1.txt"
}
control_edit payload '^payload = 01' 'payload = 02' "a payload its datagram does not open to"
control_edit key '^key = ..' 'key = ' "a key of 31 bytes"
control_edit from '^from = .*' 'from = both' "from = both"

# Robustness: no input makes the decoder crash.
sweep windows demo-1.window.hex
sweep windows demo-1.window.hex demo-2.window.hex
sweep windows demo-1.window.hex demo-2.window.hex demo-3.window.hex
sweep windows demo-1.snappy.hex
sweep windows heap-1.window.hex
sweep windows heap-1.window.hex heap-2.window.hex
sweep windows --hash-bits 8 collision-1.window.hex
sweep windows --hash-bits 8 collision-1.window.hex collision-2.window.hex
sweep datagrams --drop 0,2,3 bulk-1.datagrams.hex
sweep windows demo-1.window.hex context-1.window.hex
sweep windows demo-1.window.hex template-1.window.hex
sweep windows demo-1.window.hex redefine-1.window.hex
sweep datagrams address-2.datagrams.hex
sweep datagrams bundle-1.datagrams.hex
sweep control control-1.txt

if [ "$failures" -ne 0 ]; then
    echo "check.sh: $failures of $runs checks failed" >&2
    exit 1
fi
echo "check.sh: all $runs checks passed"
