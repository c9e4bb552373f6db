#!/usr/bin/env bash
# Regenerates the Swift code for the .proto files in Protocol/.
#
#   Tools/gen-proto.sh            regenerate every entry of the table below
#   Tools/gen-proto.sh --check    regenerate into a temp dir and fail if the checked-in
#                                 files differ (for CI: catches forgotten regenerations)
#
# Each entry of `protos` is PROTO:MODULE; Protocol/PROTO becomes
# Sources/MODULE/Generated/<PROTO without .proto>.pb.swift. Add a line to generate
# another schema. Generated types are internal: they are an implementation detail of
# their module, which converts them to the project's own model types.
#
# Needs `protoc` (Debian protobuf-compiler, installed with apt-get when missing) and
# `protoc-gen-swift` of the swift-protobuf version Package.swift uses. The plugin is
# taken from $PROTOC_GEN_SWIFT when set, else built once from the mirrored
# swift-protobuf into a cache outside the repository
# (${FLAMEWIRE_TOOL_CACHE:-${TMPDIR:-/tmp}/flamewire-protoc-gen-swift}).
set -euo pipefail
cd "$(dirname "$0")/.."

protos=(
    "profile.proto:Pprof"
    "flamewire.proto:WireCodec"
)

swift_protobuf_version="1.39.0"
swift_protobuf_mirror="${SWIFT_PROTOBUF_MIRROR:-/opt/swift-packages/apple/swift-protobuf.git}"
cache="${FLAMEWIRE_TOOL_CACHE:-${TMPDIR:-/tmp}/flamewire-protoc-gen-swift}"

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

ensure_protoc() {
    command -v protoc >/dev/null 2>&1 && return
    echo "installing protobuf-compiler (protoc)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends protobuf-compiler >&2
}

# Prints the path of a protoc-gen-swift of the right version, building it if needed.
plugin_path() {
    if [ -n "${PROTOC_GEN_SWIFT:-}" ]; then
        [ -x "$PROTOC_GEN_SWIFT" ] || { echo "error: PROTOC_GEN_SWIFT=$PROTOC_GEN_SWIFT is not executable" >&2; return 1; }
        check_plugin_version "$PROTOC_GEN_SWIFT"
        echo "$PROTOC_GEN_SWIFT"
        return
    fi
    local src="$cache/swift-protobuf-$swift_protobuf_version"
    local bin="$src/.build/release/protoc-gen-swift"
    if [ ! -x "$bin" ]; then
        if [ ! -d "$src/.git" ]; then
            mkdir -p "$cache"
            echo "cloning swift-protobuf $swift_protobuf_version from $swift_protobuf_mirror" >&2
            git -c advice.detachedHead=false clone -q --branch "$swift_protobuf_version" "$swift_protobuf_mirror" "$src" >&2
        fi
        echo "building protoc-gen-swift (about a minute)" >&2
        (cd "$src" && swift build -c release --product protoc-gen-swift >&2)
    fi
    check_plugin_version "$bin"
    echo "$bin"
}

check_plugin_version() {
    local v
    v="$("$1" --version 2>/dev/null || true)"
    case "$v" in
        *" $swift_protobuf_version") ;;
        *) echo "error: $1 reports '$v', expected protoc-gen-swift $swift_protobuf_version (the version Package.swift uses)" >&2
           return 1 ;;
    esac
}

ensure_protoc
plugin="$(plugin_path)"
out_root="Sources"
if [ "$check" = 1 ]; then
    out_root="$(mktemp -d)"
    trap 'rm -rf "$out_root"' EXIT
fi

status=0
for entry in "${protos[@]}"; do
    proto="${entry%%:*}"
    module="${entry#*:}"
    out="$out_root/$module/Generated"
    mkdir -p "$out"
    protoc --plugin="protoc-gen-swift=$plugin" \
        --proto_path=Protocol \
        --swift_opt=Visibility=Internal \
        --swift_opt=FileNaming=DropPath \
        --swift_out="$out" \
        "Protocol/$proto"
    generated="${proto%.proto}.pb.swift"
    if [ "$check" = 1 ]; then
        if ! cmp -s "$out/$generated" "Sources/$module/Generated/$generated"; then
            echo "out of date: Sources/$module/Generated/$generated (run Tools/gen-proto.sh)" >&2
            status=1
        fi
    else
        echo "wrote Sources/$module/Generated/$generated" >&2
    fi
done
exit $status
