# Shared by the benchmark scripts that run `flamewire collect` against a load generator
# (load.sh, datagrams.sh): reading a process's CPU and memory, the machine's UDP receive
# drops and the collector's metrics, and starting and stopping the collector.

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
# Minor page faults: pages the kernel zeroed for the process (memory growing, or malloc
# handing pages back and taking them again).
minor_faults() { awk '{ print $10 }' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
peak_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# Datagrams dropped because a socket's receive buffer was full, machine-wide (loopback: the collector's).
rcvbuf_errors() { awk '/^Udp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; n = 1 } else print $c }' /proc/net/snmp; }

# metric NAME: the sum of every series of one of the collector's metrics (0 when absent).
metric() { curl -sf "http://$collector_http/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f\n", s }'; }

collector=""
collector_prefix=()
collector_extra=()
collector_http="127.0.0.1:17380"
# Waits for the collector's graceful stop (it finishes its writes), so the next run's ports are free.
trap '[[ -n "$collector" ]] && { kill $collector 2>/dev/null; wait $collector 2>/dev/null; } || true' EXIT

# start_collector BIN WORK LABEL ALLOW [SHARDS]: a fresh collector on 127.0.0.1:17300 with a
# new key ($WORK/collector.key) and the allow file ALLOW, storing in $WORK/load.db; sets
# $collector to its PID and returns when /healthz answers (exit 2 if it does not start).
# A command to run it under may be in the array collector_prefix (e.g. taskset), more
# `collect` arguments in the array collector_extra.
start_collector() {
    local b="$1" work="$2" label="$3" allow="$4" n="${5:-}" sharding=() i=0
    [[ -n "$n" ]] && sharding=(--shards "$n")
    "$b" keygen "$work/collector.key" >/dev/null
    "${collector_prefix[@]}" "$b" collect --listen 127.0.0.1:17300 --key "$work/collector.key" --allow-file "$allow" --data "$work/load.db" \
        --http "$collector_http" "${sharding[@]}" "${collector_extra[@]}" >"$work/collect.out" 2>"$work/collect.log" &
    collector=$!
    until curl -sf "http://$collector_http/healthz" >/dev/null; do
        sleep 0.2; i=$((i + 1))
        if ! kill -0 $collector 2>/dev/null || [[ $i -gt 100 ]]; then
            echo "the $label collector did not start; its log:" >&2; tail -n 5 "$work/collect.log" >&2; exit 2
        fi
    done
}

# stop_collector: a graceful stop, waited for.
stop_collector() { kill $collector 2>/dev/null || true; wait $collector 2>/dev/null || true; collector=""; }
