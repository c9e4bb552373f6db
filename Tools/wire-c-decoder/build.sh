#!/bin/sh
# Builds the independent C decoder into Tools/wire-c-decoder/.build-c/ (git-ignored).
# Needs Debian protobuf-c-compiler, libprotobuf-c-dev, libsnappy-dev and a C99 compiler.
# The protobuf code is generated from Protocol/flamewire.proto on every build, never committed.
# Extra compiler flags: CFLAGS, e.g. CFLAGS='-g -fsanitize=address,undefined' build.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/.build-c"
mkdir -p "$out/gen"
for tool in protoc-c "${CC:-cc}"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool not found (apt-get install protobuf-c-compiler libprotobuf-c-dev libsnappy-dev gcc)" >&2; exit 1; }
done
protoc-c --proto_path="$root/Protocol" --c_out="$out/gen" "$root/Protocol/flamewire.proto"
"${CC:-cc}" -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Wno-unused-parameter ${CFLAGS:-} \
    -I"$out/gen" "$here/wire-c-decoder.c" "$out/gen/flamewire.pb-c.c" \
    -lprotobuf-c -lsnappy -o "$out/wire-c-decoder"
