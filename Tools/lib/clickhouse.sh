# A private ClickHouse server on loopback for tests and benchmarks (Debian's
# clickhouse-server, 18.16): data, logs and config under one directory, nothing under /etc
# or /var, nothing listening beyond 127.0.0.1. Source this file, then
#   clickhouse_start DIR HTTP_PORT      starts it (or reuses one already answering there)
#   clickhouse_stop DIR                 stops what clickhouse_start started
# and FLAMEWIRE_CLICKHOUSE_URL points at it.

clickhouse_start() {
    local dir="$1" port="${2:-18123}"
    local url="http://127.0.0.1:$port"
    if curl -sf "$url/ping" >/dev/null 2>&1; then
        export FLAMEWIRE_CLICKHOUSE_URL="$url"
        return 0
    fi
    if ! command -v clickhouse-server >/dev/null 2>&1 && [ ! -x /usr/sbin/clickhouse-server ]; then
        echo "error: clickhouse-server is not installed (apt-get install clickhouse-server)" >&2
        return 1
    fi
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/log"
    dir="$(cd "$dir" && pwd)"
    cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><log_queries>0</log_queries></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
    cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><size>100M</size><count>2</count></logger>
  <http_port>$port</http_port>
  <tcp_port>$((port + 1))</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_concurrent_queries>64</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
XML
    local server=clickhouse-server
    command -v clickhouse-server >/dev/null 2>&1 || server=/usr/sbin/clickhouse-server
    "$server" --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
    echo $! >"$dir/pid"
    local i
    for i in $(seq 1 150); do
        if curl -sf "$url/ping" >/dev/null 2>&1; then
            export FLAMEWIRE_CLICKHOUSE_URL="$url"
            return 0
        fi
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then break; fi
        sleep 0.2
    done
    echo "error: ClickHouse did not start on 127.0.0.1:$port; its log:" >&2
    tail -20 "$dir/log/stdout.log" "$dir/log/error.log" >&2 2>/dev/null || true
    return 1
}

clickhouse_stop() {
    local dir="$1"
    [ -f "$dir/pid" ] || return 0
    local pid
    pid="$(cat "$dir/pid")"
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/pid"
}
