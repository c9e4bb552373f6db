# Installs the Debian packages FlameWire needs, only when something is missing.
# Source this file and call `ensure_deps build` (building and rendering), `ensure_deps demo`
# (the build and Go, for the sample service) or `ensure_deps test` (everything the tests use).

flamewire_packages_build=(pkg-config zlib1g-dev libsnappy-dev libssl-dev libsqlite3-dev)
flamewire_packages_demo=(golang-go python3)
flamewire_packages_test=(golang-go chromium chromium-driver python3-selenium python3-pytest libxml2-utils
                         protobuf-compiler libprotobuf-c-dev protobuf-c-compiler libssl-dev time python3-cryptography openssl curl linux-perf nftables iproute2
                         clickhouse-server)

ensure_deps() {
    local want=("${flamewire_packages_build[@]}")
    if [ "${1:-build}" = demo ]; then want+=("${flamewire_packages_demo[@]}"); fi
    if [ "${1:-build}" = test ]; then want+=("${flamewire_packages_demo[@]}" "${flamewire_packages_test[@]}"); fi
    local missing=()
    local p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing missing packages: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; else
            echo "error: swift is not installed (Swift 6 toolchain expected at /opt/swift)" >&2; return 1
        fi
    fi
}
