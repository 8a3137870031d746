#!/usr/bin/env bash
# Web API throughput: GET /api/v1/zones with an API token over keep-alive connections, first with
# nothing else to do, then while farmgate ingests 10,000 readings/s (ingest.sh's setup: 1,000
# devices, QoS 0, 3 readings per message, uplink to a closed port so the outbox fills too).
#
#   bench/api.sh [--connections "1 8 32"] [--duration-s 10] [--rate 3334] [--devices 1000]
#                [--interval-ms 60000]
#
# farmgate is pinned to CPU $BENCH_FARMGATE_CPU (default here 0: one core for all its threads);
# the load generator (farmgate_api_load), the simulator and Mosquitto share CPU
# $BENCH_BROKER_CPU (default here 1). --rate is messages/s from farmgate-sim (3 readings each);
# --interval-ms is the simulator's time between two reports of a device: with few devices, give
# 1000 so that 10,000 readings/s do not run the simulated clock past now within the run.
# The answer lists every device's newest readings, so its size grows with --devices (about
# 180 B per device): --devices 10 is a farm, 1000 is ingest.sh's load.
# "fg ms/req" is farmgate's CPU time per request while alone (other work on the machine does not
# inflate it the way it inflates latency): 1000 / it is the req/s a dedicated core would serve.
# For each connection count: req/s and p50/p90/p99 latency over --duration-s after a 1 s
# warm-up; under ingest, the readings committed per second in the same window and the store
# queue's peak (sampled at 2 Hz): ingest keeps up when it commits what is published and the
# queue does not grow. At the end the simulator is stopped and the script waits for every
# accepted reading to be committed (lost = published - accepted by farmgate).
# BENCH_PERF=1 records a perf profile of farmgate over the runs without ingest ($data/perf.data).
# Target (issue 5): 2,000 req/s on one core while ingesting 10,000 readings/s.
: "${BENCH_FARMGATE_CPU:=0}" "${BENCH_BROKER_CPU:=1}"
source "$(dirname "$0")/lib.sh"
LOAD_CPU=$BROKER_CPU
API_LOAD=${BENCH_TOOLS_DIR:-$BUILD/bench}/farmgate_api_load

connections="1 8 32"
duration=10
rate=3334
devices=1000
interval_ms=60000
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections=$2; shift 2 ;;
    --duration-s) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --interval-ms) interval_ms=$2; shift 2 ;;
    -h|--help) print_help; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$API_LOAD" ] || die "$API_LOAD is missing; build farmgate_api_load (bench/api.cmake)"

bench_init api
start_mosquitto false
closed_port=$(free_port)
config=$WORK/api.yaml
data=$WORK/farmgate
mkdir -p "$data"
"$BENCH_DIR/gen-config.sh" --devices "$devices" --qos 0 >"$config"
# A zone is listed once it has a valve (the run log's view): farm.yaml's pump and two valves,
# on MQTT relays that nobody plays (their state reads "unknown", as on a farm whose relays are
# off line; the supervisor's "not responding" alarms are part of the load then).
cat >>"$config" <<YAML

actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: mqtt_relay}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: mqtt_relay}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 40m, driver: {type: mqtt_relay}}
lines:
  - {id: main}
YAML

# make_token CONFIG DATA: a viewer and its API token (printed), through the CLI an operator uses.
make_token() {
  printf 'bench-password-1\n' | FARMGATE_DATA_DIR=$2 "$FARMGATE" user add bench --role viewer \
    --config "$1" >/dev/null || die "farmgate user add failed"
  FARMGATE_DATA_DIR=$2 "$FARMGATE" user token bench --label api-bench --config "$1" 2>/dev/null ||
    die "farmgate user token failed"
}
token=$(make_token "$config" "$data")
start_farmgate "$config" "$data" "http://127.0.0.1:$closed_port"
auth="Authorization: Bearer $token"
# One message per device first, so that each zone's answer carries its moisture and trend.
sim_run "$WORK/sim-prime.json" --client-id bench-api-prime --qos 1 --rate 0 --count "$devices" \
  --devices "$devices" --start-ts "$(sim_start_ts)" || die "farmgate-sim failed"
case "$(wait_metric farmgate_store_readings_total $((3 * devices)) 30)" in
  timeout*) say "warning: the priming readings were not all committed within 30 s" ;;
esac
status=$(curl -s -o "$WORK/zones.json" -w '%{http_code}' -H "$auth" "http://$FG_HTTP/api/v1/zones")
[ "$status" = 200 ] || die "GET /api/v1/zones answered $status: $(cat "$WORK/zones.json")"
say "GET /api/v1/zones: $(wc -c <"$WORK/zones.json") bytes: $(head -c 160 "$WORK/zones.json")..."

committed_m=farmgate_store_readings_total
accepted_m='farmgate_ingest_accepted_total{source="field"}'
# counters: "committed accepted queue" from one /metrics snapshot.
counters() {
  metrics_snapshot | awk -v a="$accepted_m" '
    $1 == "farmgate_store_readings_total" { n = $2 }
    $1 == a { m = $2 }
    $1 == "farmgate_store_queue_readings" { q = $2 }
    END { printf "%d %d %d\n", n, m, q }'
}

rows=()
# load INGEST CONNS: one farmgate_api_load run, a result row (and ingest figures if any).
load() {
  local ingest=$1 c=$2 out=$WORK/load-${1//\//_}-$2.json qlog=$WORK/queue-${1//\//_}-$2.log
  local f0 f1 n0 n1 t0 t1 poll_pid
  read -r n0 _ _ < <(counters)
  f0=$(cpu_ticks "$FG_PID")
  t0=$(now)
  # The store queue at 2 Hz while the load runs (one /metrics request each: 0.1 % of the load).
  ( while :; do counters >>"$qlog"; sleep 0.5; done ) &
  poll_pid=$!
  PIDS+=("$poll_pid")
  taskset -c "$LOAD_CPU" "$API_LOAD" --port "${FG_HTTP##*:}" --target /api/v1/zones \
    --header "$auth" --connections "$c" --duration-s "$duration" --warmup-s 1 >"$out" ||
    say "farmgate_api_load: no 2xx answer (see $out)"
  t1=$(now)
  f1=$(cpu_ticks "$FG_PID")
  kill "$poll_pid" 2>/dev/null; wait "$poll_pid" 2>/dev/null || true
  read -r n1 _ _ < <(counters)
  local j
  j=$(cat "$out")
  field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$j"; }
  local ingest_cols="-" per_req="-"
  [ "$ingest" = none ] && per_req=$(awk -v t="$((f1 - f0))" -v k="$CLK_TCK" -v n="$(field completed)" \
    'BEGIN { printf "%.3f", (n > 0 ? 1000 * t / k / n : 0) }')
  if [ "$ingest" != none ]; then
    local qmax
    qmax=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$qlog")
    ingest_cols="$(fmt0 "$(calc "($n1 - $n0) / ($t1 - $t0)")") committed/s, store queue peak $qmax"
  fi
  rows+=("$(printf '%-9s %5s %9s %9s %8s %8s %8s %8s %6s %6s %5s %9s  %s' "$ingest" "$c" \
    "$(field requests)" "$(fmt0 "$(field rps)")" "$(field p50_ms)" "$(field p90_ms)" \
    "$(field p99_ms)" "$(field max_ms)" "$(field non_2xx)" "$(field errors)" \
    "$(fmt0 "$(calc "100 * ($f1 - $f0) / $CLK_TCK / ($t1 - $t0)")")" "$per_req" "$ingest_cols")")
  printf '%s\n' "${rows[-1]}" >&2
}

perf_pid=""
if [ "${BENCH_PERF:-0}" = 1 ]; then
  perf record -F 999 -g -p "$FG_PID" -o "$data/perf.data" >"$data/perf.log" 2>&1 &
  perf_pid=$!
  PIDS+=("$perf_pid")
fi
for c in $connections; do
  say "alone: $c connection(s), ${duration} s"
  load none "$c"
done
[ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }

say "ingest: farmgate-sim --rate $rate --devices $devices (QoS 0) on CPU $BROKER_CPU"
read -r _ a_start _ < <(counters)
spawn "$BROKER_CPU" "$WORK/sim.json" "$SIM" --url "$MQTT_URL" --quiet --client-id bench-api-sim \
  --qos 0 --rate "$rate" --devices "$devices" --interval-ms "$interval_ms" \
  --start-ts "$(sim_start_ts)"
sim_pid=$SPAWNED
sim_t0=$(now)
sleep 3  # the simulator connects and the rate settles; what follows is measured, not this
for c in $connections; do
  say "with ingest: $c connection(s), ${duration} s"
  load "${rate}msg/s" "$c"
done
stop_pid "$sim_pid"
sim_t1=$(now)
published=$(sim_field "$WORK/sim.json" published)
# Every accepted reading committed: how long the backlog left when the simulator stopped took.
drained=""
while awk -v a="$(now)" -v b="$sim_t1" 'BEGIN { exit !(a - b < 60) }'; do
  read -r committed accepted _ < <(counters)
  if [ "$committed" -ge $((3 * accepted)) ]; then
    drained=$(calc "$(now) - $sim_t1")
    break
  fi
  sleep 0.25
done
accepted=$((accepted - a_start))
echo
echo "API GET /api/v1/zones, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$devices devices (answer $(wc -c <"$WORK/zones.json") B); farmgate on CPU $FG_CPU; farmgate_api_load, farmgate-sim and Mosquitto on CPU $BROKER_CPU; ${duration} s per row after 1 s warm-up; API token auth"
printf '%-9s %5s %9s %9s %8s %8s %8s %8s %6s %6s %5s %9s  %s\n' ingest conns requests req/s \
  p50_ms p90_ms p99_ms max_ms non2xx errors "fg%" "fg ms/req" "ingest in the same window"
printf '%s\n' "${rows[@]}"
echo "ingest: simulator published ${published:-?} messages in $(fmt1 "$(calc "$sim_t1 - $sim_t0")") s" \
  "($(fmt0 "$(calc "${published:-0} / ($sim_t1 - $sim_t0)")") msg/s = $(fmt0 "$(calc "3 * ${published:-0} / ($sim_t1 - $sim_t0)")") readings/s);" \
  "farmgate accepted $accepted, lost $((${published:-0} - accepted));" \
  "every accepted reading committed $([ -n "$drained" ] && echo "$(fmt1 "$drained") s after the simulator stopped" || echo "NOT within 60 s ($committed committed)")"
