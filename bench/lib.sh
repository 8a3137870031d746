# bench/lib.sh: what the benchmark scripts share. Sourced, not run.
#
# Starts private servers (Mosquitto, influxd, farmgate) on loopback ports that are free, in one
# temporary directory, each pinned to a CPU with taskset, and stops every one of them by PID when
# the script exits (trap). Nothing else on the machine is touched.
#
# Environment:
#   FARMGATE_BUILD_DIR  build tree with the binaries (default: <repo>/build-bench)
#   BENCH_KEEP=1        keep the temporary directory (logs, databases) after the run
#   BENCH_FARMGATE_CPU  CPU for farmgate and the plain subscribers/writers (default 1)
#   BENCH_BROKER_CPU    CPU for Mosquitto, influxd and the simulator (default 0)

# Many variables here are set for the scripts that source this file.
# shellcheck disable=SC2034

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${FARMGATE_BUILD_DIR:-$REPO/build-bench}
FARMGATE=$BUILD/gateway/farmgate
SIM=$BUILD/sensors/sim/farmgate-sim
PAHO_COUNT=$BUILD/bench/farmgate_paho_count
FG_CPU=${BENCH_FARMGATE_CPU:-1}
BROKER_CPU=${BENCH_BROKER_CPU:-0}
CLK_TCK=$(getconf CLK_TCK)

PIDS=()
CLEAN_DIRS=()  # directories outside $WORK to remove at the end
USED_PORTS=" "
WORK=""

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
now() { echo "$EPOCHREALTIME"; }  # bash 5 builtin: no process per call
# Arithmetic on decimals: calc 'EXPR' (awk, so no bc needed).
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
fmt0() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
fmt1() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }

bench_init() {
  local name=$1
  for bin in "$FARMGATE" "$SIM"; do
    [ -x "$bin" ] || die "$bin is missing; build first (see bench/README.md)"
  done
  for tool in mosquitto influxd curl sqlite3 taskset ss; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/farmgate-bench-$name.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  say "$name: work dir $WORK; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Stops one process we started: SIGTERM, up to 15 s, then SIGKILL.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "PID $pid did not stop on SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  if [ -n "$WORK" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
      say "kept $WORK ${CLEAN_DIRS[*]} (logs and data)"
    else
      rm -rf "$WORK" "${CLEAN_DIRS[@]}"
    fi
  fi
  exit $rc
}

# A loopback TCP port below the kernel's ephemeral range (so no outgoing connection holds it),
# that no socket uses and this script has not handed out yet.
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % (EPHEMERAL_LOW - 20000)))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htan "sport = :$p")" ]; then
      USED_PORTS="$USED_PORTS$p "
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or later is needed (EPOCHREALTIME)"

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 300); do
    [ -n "$(ss -Htln "sport = :$port")" ] && return 0
    sleep 0.1
  done
  die "$what did not listen on port $port"
}

# spawn CPU LOG cmd...: starts cmd pinned to CPU, output to LOG; its PID in $SPAWNED.
spawn() {
  local cpu=$1 log=$2
  shift 2
  taskset -c "$cpu" "$@" >"$log" 2>&1 &
  SPAWNED=$!
  PIDS+=("$SPAWNED")
}

# CPU time (user + system, all threads) a process has used so far, in clock ticks; pure bash,
# so that polling loops do not disturb what they measure.
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat") 2>/dev/null || { echo 0; return 0; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}
cpu_seconds() { calc "$(cpu_ticks "$1") / $CLK_TCK"; }

# --- Mosquitto ------------------------------------------------------------------------------

# start_mosquitto [persistence true|false]: sets MQTT_PORT, MQTT_URL, MOSQ_PID.
start_mosquitto() {
  local persistence=${1:-false}
  MQTT_PORT=$(free_port)
  local dir=$WORK/mosquitto
  mkdir -p "$dir"
  cat >"$dir/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence $persistence
persistence_location $dir/
log_dest file $dir/mosquitto.log
log_type error
log_type warning
max_queued_messages 1000000
max_queued_bytes 0
max_inflight_messages 0
max_inflight_bytes 0
memory_limit 0
set_tcp_nodelay true
CONF
  spawn "$BROKER_CPU" "$dir/stdout.log" mosquitto -c "$dir/mosquitto.conf"
  MOSQ_PID=$SPAWNED
  wait_port "$MQTT_PORT" mosquitto
  MQTT_URL=tcp://127.0.0.1:$MQTT_PORT
}

# --- influxd (Debian's InfluxDB 1.6) --------------------------------------------------------

# start_influxd HTTP_PORT: a fresh influxd on that port; sets INFLUX_PID, INFLUX_URL.
start_influxd() {
  local port=$1 rpc
  rpc=$(free_port)
  local dir=$WORK/influxdb
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[continuous_queries]
  enabled = false
CONF
  spawn "$BROKER_CPU" "$dir/influxd.log" influxd -config "$dir/influxdb.conf"
  INFLUX_PID=$SPAWNED
  INFLUX_URL=http://127.0.0.1:$port
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$INFLUX_URL/ping")" = 204 ] && return 0
    sleep 0.1
  done
  die "influxd did not answer on $INFLUX_URL (log: $dir/influxd.log)"
}

influx_query() {  # influx_query DB 'QUERY' -> JSON
  curl -s -G "$INFLUX_URL/query" --data-urlencode "db=$1" --data-urlencode "q=$2"
}
influx_create_db() {
  curl -s -o /dev/null -XPOST "$INFLUX_URL/query" --data-urlencode "q=CREATE DATABASE \"$1\""
}
# Points in DB's soil measurement (count of one field: one per line).
influx_count() {
  influx_query "$1" 'SELECT count("moisture") FROM "soil"' |
    sed -n 's/.*"values":\[\[[^,]*,\([0-9]*\)\]\].*/\1/p'
}

# --- farmgate -------------------------------------------------------------------------------

# start_farmgate CONFIG DATA_DIR [INFLUX_URL [INFLUX_DB]]: sets FG_PID, FG_HTTP. Returns once
# farmgate's subscription is live (a probe on an unknown topic under farm/ is counted).
start_farmgate() {
  local config=$1 data=$2 influx=${3:-} db=${4:-farm}
  local port
  port=$(free_port)
  FG_HTTP=127.0.0.1:$port
  mkdir -p "$data"
  spawn "$FG_CPU" "$data/farmgate.log" env FARMGATE_MQTT_URL="$MQTT_URL" \
    FARMGATE_DATA_DIR="$data" FARMGATE_HTTP_LISTEN="$FG_HTTP" FARMGATE_SITE=bench-farm \
    FARMGATE_INFLUX_URL="$influx" FARMGATE_INFLUX_DB="$db" "$FARMGATE" run --config "$config"
  FG_PID=$SPAWNED
  for _ in $(seq 300); do
    [ "$(metric 'farmgate_mqtt_connected')" = 1 ] && break
    kill -0 "$FG_PID" 2>/dev/null || die "farmgate exited; see $data/farmgate.log"
    sleep 0.1
  done
  local probe='farmgate_ingest_rejected_total{source="field",reason="unknown_topic"}'
  for _ in $(seq 100); do
    mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t farm/bench-probe -m '{}'
    sleep 0.1
    [ "$(metric "$probe")" != 0 ] && return 0
  done
  die "farmgate did not subscribe; see $data/farmgate.log"
}

# metrics_snapshot: farmgate's /metrics, or nothing while it is not listening (never fails).
metrics_snapshot() { curl -s "http://$FG_HTTP/metrics" || true; }
# metric 'NAME{labels}': its value on farmgate's /metrics (exact series name), or 0.
metric() {
  metrics_snapshot | awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}
from_snapshot() {  # from_snapshot FILE 'NAME{labels}'
  awk -v m="$2" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }' "$1"
}

# wait_metric 'NAME{labels}' TARGET TIMEOUT_S: polls every 0.25 s until the value reaches TARGET;
# prints the time (epoch s) it was first seen there, or "timeout:<value>".
wait_metric() {
  local m=$1 target=$2 timeout=$3 v start
  start=$(now)
  for (( ; ; )); do
    v=$(metric "$m")
    if awk -v v="$v" -v t="$target" 'BEGIN { exit !(v + 0 >= t + 0) }'; then
      now
      return 0
    fi
    if awk -v a="$(now)" -v b="$start" -v t="$timeout" 'BEGIN { exit !(a - b > t) }'; then
      echo "timeout:$v"
      return 0
    fi
    sleep 0.25
  done
}

# The simulator, pinned with the broker. sim_run LOG args...: blocks; JSON summary in LOG.
sim_run() {
  local log=$1
  shift
  taskset -c "$BROKER_CPU" "$SIM" --url "$MQTT_URL" --quiet "$@" >"$log" 2>"$log.err"
}
sim_field() { sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p" "$1"; }

# Epoch ms for simulated readings: a week back, minute-aligned, so stamps are inside retention
# and never "in the future".
sim_start_ts() { echo $((($(date +%s) - 7 * 86400) / 60 * 60 * 1000)); }

# The calling script's header comment, as its --help.
print_help() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
