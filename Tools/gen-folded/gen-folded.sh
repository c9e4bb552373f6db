#!/usr/bin/env bash
# Builds (when needed) and runs the synthetic folded-stack generator: gen-folded.sh --help.
# The binary goes to Tools/gen-folded/.build-gen/ (ignored by git via `.build-*/`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/gen-folded.c"
bin_dir="$here/.build-gen"
bin="$bin_dir/gen-folded"
if [[ ! -x "$bin" || "$src" -nt "$bin" ]]; then
    command -v "${CC:-cc}" >/dev/null || { echo "gen-folded: no C compiler (${CC:-cc}); install gcc" >&2; exit 2; }
    mkdir -p "$bin_dir"
    "${CC:-cc}" -std=c11 -O2 -Wall -Wextra -o "$bin.tmp.$$" "$src" || { echo "gen-folded: compiling $src failed" >&2; exit 2; }
    mv -f "$bin.tmp.$$" "$bin"
fi
exec "$bin" "$@"
