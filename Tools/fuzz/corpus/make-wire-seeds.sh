#!/usr/bin/env bash
# Regenerates the seed corpora of the wire and session fuzzers,
# Tools/fuzz/corpus/{datagram,fec,window,control,handshake}/, from the fixed stream in
# Sources/WireFuzzSupport, a few Go samples, the protocol test vectors and the in-memory
# sessions of Sources/SessionFuzzSupport. Builds the `wire-seeds` executable of the fuzz
# package (debug, no sanitizers) in Tools/fuzz/.build-seeds/ and runs it. Files whose
# bytes did not change are left alone.
#
#   Tools/fuzz/corpus/make-wire-seeds.sh
#
# Environment: SAMPLES_DIR (default ../shared/samples/go119).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fuzz="$(cd "$here/.." && pwd)"
root="$(cd "$fuzz/../.." && pwd)"
samples="${SAMPLES_DIR:-$root/../shared/samples/go119}"
[[ -d "$samples" ]] || { echo "make-wire-seeds: no samples at $samples (set SAMPLES_DIR)" >&2; exit 2; }
if [[ -f "$root/Package.resolved" ]]; then cp "$root/Package.resolved" "$fuzz/Package.resolved"; fi
scratch="$fuzz/.build-seeds"   # ignored by git (.build-*/)
echo "make-wire-seeds: building wire-seeds (debug; log: Tools/fuzz/bin/build-wire-seeds.log)"
mkdir -p "$fuzz/bin"
swift build --package-path "$fuzz" --scratch-path "$scratch" --product wire-seeds >"$fuzz/bin/build-wire-seeds.log" 2>&1 || {
    grep -E 'error:' "$fuzz/bin/build-wire-seeds.log" | sort -u | head -n 10 >&2 || tail -n 20 "$fuzz/bin/build-wire-seeds.log" >&2
    exit 2
}
bin="$(swift build --package-path "$fuzz" --scratch-path "$scratch" --show-bin-path)"
"$bin/wire-seeds" "$here" "$samples" "$root/Protocol/vectors"
