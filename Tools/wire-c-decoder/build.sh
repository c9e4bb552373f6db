#!/bin/sh
# Builds the independent C decoder into Tools/wire-c-decoder/.build-c/ (git-ignored), or
# into the directory named by OUT. Needs Debian protobuf-c-compiler, libprotobuf-c-dev,
# libsnappy-dev, libssl-dev (handshake-vectors) and a C99 compiler. Extra compiler flags: CFLAGS, e.g.
#   OUT=.build-c-asan CFLAGS='-g -O1 -fsanitize=address,undefined' build.sh
#
# The protobuf code is generated from Protocol/flamewire.proto on every build, never
# committed, in two variants:
# - flamewire.pb-c.*: the schema as written. The decoder uses its descriptors to check a
#   payload with protobuf's parsing rules (field types, UTF-8 of `string` fields).
# - flamewire_bytes.pb-c.*: the same schema with every `string` field declared `bytes`
#   (package flamewire.wirebytes). `string` and `bytes` have the same wire encoding, and
#   protobuf-c hands `string` fields over as NUL-terminated C strings, which would cut a
#   string containing U+0000 short; `bytes` keeps the length. The payload is unpacked
#   with this variant.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case "${OUT:-.build-c}" in
/*) out=${OUT} ;;
*) out="$here/${OUT:-.build-c}" ;;
esac
cc=${CC:-cc}
for tool in protoc-c "$cc"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "build.sh: $tool not found (apt-get install protobuf-c-compiler libprotobuf-c-dev libsnappy-dev libssl-dev gcc)" >&2
        exit 1
    }
done
mkdir -p "$out/gen"
proto="$root/Protocol/flamewire.proto"
cp "$proto" "$out/gen/flamewire.proto"
string_fields='^[[:space:]]*(repeated[[:space:]]+)?string[[:space:]]'
sed -E -e 's/^package flamewire\.wire;/package flamewire.wirebytes;/' \
    -e 's/^([[:space:]]*(repeated[[:space:]]+)?)string([[:space:]])/\1bytes\3/' \
    "$proto" >"$out/gen/flamewire_bytes.proto"
if grep -Eq "$string_fields" "$out/gen/flamewire_bytes.proto" ||
    ! grep -q '^package flamewire\.wirebytes;' "$out/gen/flamewire_bytes.proto" ||
    [ "$(grep -Ec "$string_fields" "$proto")" -eq 0 ]; then
    echo "build.sh: cannot derive the bytes variant of flamewire.proto (layout changed?)" >&2
    exit 1
fi
(cd "$out/gen" && protoc-c --proto_path=. --c_out=. flamewire.proto flamewire_bytes.proto)
# shellcheck disable=SC2086 # CFLAGS is a list of flags
"$cc" -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Wno-unused-parameter ${CFLAGS:-} \
    -I"$out/gen" -I"$here" "$here/wire-c-decoder.c" "$here/wire-c-handshake.c" \
    "$out/gen/flamewire.pb-c.c" "$out/gen/flamewire_bytes.pb-c.c" \
    -lprotobuf-c -lsnappy -lcrypto -o "$out/wire-c-decoder.tmp"
mv "$out/wire-c-decoder.tmp" "$out/wire-c-decoder"
