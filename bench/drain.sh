#!/usr/bin/env bash
# Backlog drain: how fast farmgate delivers a queued outbox to InfluxDB, against what the same
# InfluxDB accepts from a plain batched writer on this machine.
#
#   bench/drain.sh [--points N] [--rounds R]        (defaults 100000, 5)
#
# 1. farmgate ingests N messages (QoS 1, 1,000 devices) while its InfluxDB uplink points at a port
#    where nothing listens: N outbox lines (points) queue up. farmgate is stopped.
# 2. The N lines are exported from the outbox with sqlite3 and cut into batches of 5,000.
# 3. A private influxd (Debian's 1.6) starts on that port. R rounds of, each into a fresh database:
#      plain writer        one curl process POSTing the batches back to back on one connection
#      plain writer, gzip  the same with the bodies gzipped beforehand (compression not timed)
#      farmgate, gzip      started again with the outbox cursor moved back to 0 (sqlite3); timed
#                          from its start to its last acknowledged batch, once
#                          farmgate_uplink_points_total reaches N (gzip on, as farm.yaml ships)
#      farmgate            the same with gzip off
#    The order turns each round. Every run is checked by counting its database's points; the
#    medians are compared. influxd's CPU time is shown per run: it is what bounds the drain.
# influxd runs on CPU $BENCH_BROKER_CPU (0), farmgate and curl on $BENCH_FARMGATE_CPU (1).
# Target: farmgate ≥ 80 % of the plain writer's points/s.
# BENCH_PERF=1 records a perf profile of each farmgate drain (perf-<db>.data beside its data).
source "$(dirname "$0")/lib.sh"

points=100000
rounds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --points) points=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) print_help; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

bench_init drain
start_mosquitto false
influx_port=$(free_port)
influx_url=http://127.0.0.1:$influx_port
data=$WORK/farmgate
config_gzip=$WORK/bench-gzip.yaml
config_plain=$WORK/bench-nogzip.yaml
"$BENCH_DIR/gen-config.sh" --devices 1000 --qos 1 --gzip true >"$config_gzip"
"$BENCH_DIR/gen-config.sh" --devices 1000 --qos 1 --gzip false >"$config_plain"
points_m='farmgate_uplink_points_total{uplink="influx"}'
backlog_m='farmgate_outbox_backlog{uplink="influx"}'

# 1. Fill the outbox with InfluxDB down.
say "queueing $points points with InfluxDB down"
start_farmgate "$config_gzip" "$data" "$influx_url" farm
sim_run "$WORK/sim.json" --client-id bench-sim --qos 1 --rate 0 --count "$points" --devices 1000 \
  --start-ts "$(sim_start_ts)" --drain-timeout-s 120
r=$(wait_metric farmgate_store_readings_total $((3 * points)) 120)
case "$r" in timeout*) die "farmgate did not commit $points messages ($r)" ;; esac
# What /metrics says about the queue while InfluxDB is down (the uplink is backing off).
gauge_down=$(metric "$backlog_m")
stop_pid "$FG_PID"
queued=$(sqlite3 "$data/farmgate.db" "SELECT count(*) FROM outbox WHERE id > (SELECT delivered FROM uplink_cursor WHERE name = 'influx')")
[ "$queued" = "$points" ] || die "expected $points queued lines, found $queued"

# 2. The same lines for the plain writer.
mkdir -p "$WORK/batches"
sqlite3 "$data/farmgate.db" 'SELECT line FROM outbox ORDER BY id' >"$WORK/lines.txt"
split -l 5000 -d -a 4 "$WORK/lines.txt" "$WORK/batches/b"
nbatches=$(find "$WORK/batches" -type f -name 'b*' ! -name '*.gz' | wc -l)
# Compressed ahead of time (not timed): what a writer with ready-made gzip bodies sends.
for f in "$WORK"/batches/b*; do gzip -c "$f" >"$f.gz"; done
bytes=$(stat -c %s "$WORK/lines.txt")
say "$points lines, $bytes bytes, $nbatches batches of ≤ 5000"

# 3. InfluxDB up.
start_influxd "$influx_port"
rows=()
row() {  # row WHO SECONDS DB NOTE
  local n
  n=$(influx_count "$3")
  rows+=("$(printf '%-22s %8s %10s %9s  %s' "$1" "$(fmt1 "$(calc "$2 * 1000")")" \
    "$(fmt0 "$(calc "$points / $2")")" "$n" "$4")")
  printf '%s\n' "${rows[-1]}" >&2
  [ "$n" = "$points" ] || say "WARNING: $3 holds $n points, not $points"
}

plain_writer() {  # plain_writer DB [gzip]: sets SECONDS_TAKEN
  local db=$1 gz=${2:-} args=() first=1 t0 t1 codes f
  influx_create_db "$db"
  for f in "$WORK"/batches/b*; do
    case "$f" in *.gz) continue ;; esac
    [ $first = 1 ] || args+=(--next)
    first=0
    if [ -n "$gz" ]; then
      args+=(-H 'Content-Encoding: gzip' --data-binary "@$f.gz")
    else
      args+=(--data-binary "@$f")
    fi
    args+=(-s -o /dev/null -w '%{http_code} %{time_total}\n'
      -H 'Content-Type: text/plain; charset=utf-8' "$influx_url/write?db=$db&precision=ms")
  done
  local i0
  i0=$(cpu_ticks "$INFLUX_PID")
  t0=$(now)
  codes=$(taskset -c "$FG_CPU" curl "${args[@]}")
  t1=$(now)
  INFLUX_CPU_MS=$(((($(cpu_ticks "$INFLUX_PID") - i0) * 1000) / CLK_TCK))
  [ "$(grep -c '^204 ' <<<"$codes")" = "$nbatches" ] || die "plain writer: not every batch got 204: $codes"
  SECONDS_TAKEN=$(calc "$t1 - $t0")
  IN_REQUESTS=$(awk '{ s += $2 } END { printf "%.0f", 1000 * s }' <<<"$codes")
}

# farmgate_drain CONFIG DB: sets SECONDS_TAKEN, from farmgate's start until all are delivered.
farmgate_drain() {
  local config=$1 db=$2 t0 t i0
  influx_create_db "$db"
  FG_HTTP=127.0.0.1:$(free_port)
  i0=$(cpu_ticks "$INFLUX_PID")
  t0=$(now)
  spawn "$FG_CPU" "$data/farmgate-$db.log" env FARMGATE_MQTT_URL="$MQTT_URL" \
    FARMGATE_DATA_DIR="$data" FARMGATE_HTTP_LISTEN="$FG_HTTP" FARMGATE_SITE=bench-farm \
    FARMGATE_INFLUX_URL="$influx_url" FARMGATE_INFLUX_DB="$db" "$FARMGATE" run --config "$config"
  FG_PID=$SPAWNED
  local perf_pid=""
  if [ "${BENCH_PERF:-0}" = 1 ]; then
    perf record -F 2999 -g -p "$FG_PID" -o "$data/perf-$db.data" >"$data/perf-$db.log" 2>&1 &
    perf_pid=$!
    PIDS+=("$perf_pid")
  fi
  # Polled at 4 Hz only, so as not to compete with the drain; the end is farmgate's own stamp
  # of the last acknowledged batch (farmgate_uplink_last_success_timestamp_seconds, in ms).
  for (( ; ; )); do
    t=$(now)
    [ "$(metric "$points_m")" -ge "$points" ] 2>/dev/null && break
    kill -0 "$FG_PID" 2>/dev/null || die "farmgate exited; see $data/farmgate-$db.log"
    [ $(( ${t%.*} - ${t0%.*} )) -gt 120 ] && die "drain into $db timed out"
    sleep 0.25
  done
  INFLUX_CPU_MS=$(((($(cpu_ticks "$INFLUX_PID") - i0) * 1000) / CLK_TCK))
  FG_CPU_MS=$((($(cpu_ticks "$FG_PID") * 1000) / CLK_TCK))
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  metrics_snapshot >"$data/metrics-$db.txt"
  [ "$(from_snapshot "$data/metrics-$db.txt" "$backlog_m")" = 0 ] ||
    say "WARNING: backlog not 0 after $points points"
  stop_pid "$FG_PID"
  t=$(from_snapshot "$data/metrics-$db.txt" 'farmgate_uplink_last_success_timestamp_seconds{uplink="influx"}')
  SECONDS_TAKEN=$(calc "$t - $t0")
}

requests() {  # requests DB: "N requests, X ms in requests"
  local f=$data/metrics-$1.txt
  printf '%s requests, %s ms in requests' \
    "$(from_snapshot "$f" 'farmgate_uplink_request_seconds_count{uplink="influx"}')" \
    "$(fmt0 "$(calc "1000 * $(from_snapshot "$f" 'farmgate_uplink_request_seconds_sum{uplink="influx"}')")")"
}

# Each kind of run `rounds` times, interleaved, each into a fresh database; the median counts.
declare -A secs
kinds=(plain plain_gz farmgate_gz farmgate)
run_kind() {  # run_kind KIND ROUND
  local k=$1 r=$2
  case "$k" in
    plain)
      plain_writer "plain_r$r"
      row "plain writer" "$SECONDS_TAKEN" "plain_r$r" "curl, $nbatches POSTs on one connection, no gzip; $IN_REQUESTS ms in requests; influxd CPU $INFLUX_CPU_MS ms" ;;
    plain_gz)
      plain_writer "plaingz_r$r" gzip
      row "plain writer, gzip" "$SECONDS_TAKEN" "plaingz_r$r" "the same, bodies gzipped beforehand (untimed); $IN_REQUESTS ms in requests; influxd CPU $INFLUX_CPU_MS ms" ;;
    farmgate_gz)
      sqlite3 "$data/farmgate.db" "UPDATE uplink_cursor SET delivered = 0 WHERE name = 'influx'"
      farmgate_drain "$config_gzip" "farmgz_r$r"
      row "farmgate, gzip" "$SECONDS_TAKEN" "farmgz_r$r" "from process start; $(requests "farmgz_r$r"); influxd CPU $INFLUX_CPU_MS ms; farmgate CPU $FG_CPU_MS ms" ;;
    farmgate)
      sqlite3 "$data/farmgate.db" "UPDATE uplink_cursor SET delivered = 0 WHERE name = 'influx'"
      farmgate_drain "$config_plain" "farm_r$r"
      row "farmgate, no gzip" "$SECONDS_TAKEN" "farm_r$r" "from process start; $(requests "farm_r$r"); influxd CPU $INFLUX_CPU_MS ms; farmgate CPU $FG_CPU_MS ms" ;;
  esac
  secs[$k]+="$SECONDS_TAKEN "
}
# The order turns by one kind each round, so that no kind always follows the same one (influxd
# still digests the previous run's points for a while).
for ((r = 1; r <= rounds; r++)); do
  say "round $r of $rounds"
  for ((i = 0; i < ${#kinds[@]}; i++)); do run_kind "${kinds[(i + r - 1) % ${#kinds[@]}]}" "$r"; done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A rate
for k in "${kinds[@]}"; do rate[$k]=$(calc "$points / $(median "${secs[$k]}")"); done
pct() { fmt0 "$(calc "100 * ${rate[$1]} / ${rate[$2]}")"; }

echo
echo "Backlog drain, $points points ($bytes bytes of line protocol), $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %8s %10s %9s  %s\n' run ms points/s "in db" note
printf '%s\n' "${rows[@]}"
echo "farmgate_outbox_backlog while InfluxDB was down, with $points lines queued: $gauge_down"
echo "medians of $rounds rounds, points/s: plain writer $(fmt0 "${rate[plain]}"), plain writer with gzip $(fmt0 "${rate[plain_gz]}"), farmgate $(fmt0 "${rate[farmgate]}"), farmgate with gzip $(fmt0 "${rate[farmgate_gz]}")"
echo "farmgate without gzip: $(pct farmgate plain) % of the plain writer (target ≥ 80 %)"
echo "farmgate with gzip (as farm.yaml ships): $(pct farmgate_gz plain) % of the plain writer, $(pct farmgate_gz plain_gz) % of the plain writer sending gzip"
