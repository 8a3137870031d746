#!/usr/bin/env bash
# Sustained MQTT ingest: how many messages (and readings, 3 per message) per second farmgate takes
# from Mosquitto into SQLite and the outbox, at QoS 0 and QoS 1, with 1,000 devices reporting.
#
#   bench/ingest.sh [--messages N] [--qos "0 1"] [--devices 1000]
#
# For each QoS, three subscribers in turn receive the same N messages from farmgate-sim (unpaced,
# --rate 0) through a private Mosquitto:
#   mosquitto_sub   libmosquitto, output to /dev/null: the broker's own delivery rate
#   paho_count      bench/paho_count.cpp: Paho C++ as farmgate uses it, counting only
#   farmgate        the daemon, uplink configured (to a closed port, so the outbox fills and
#                   nothing is sent): timed until every reading is committed to SQLite
# The subscriber runs on CPU $BENCH_FARMGATE_CPU (1), broker and simulator on $BENCH_BROKER_CPU
# (0). "CPU %" is the process's user+system time over the run's wall time: 100 % = one core.
# Target: ≥ 50,000 readings/s at QoS 0, ≥ 20,000 readings/s at QoS 1, bounded by the broker.
# BENCH_DATA_BASE=/dev/shm puts farmgate's data directory on tmpfs (to see what the disk costs);
# BENCH_PERF=1 records a perf profile of farmgate (perf.data in its data directory).
source "$(dirname "$0")/lib.sh"

messages=300000
qos_list="0 1"
devices=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages=$2; shift 2 ;;
    --qos) qos_list=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    -h|--help) print_help; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

bench_init ingest
start_mosquitto false
closed_port=$(free_port)  # the uplink's InfluxDB: nobody listens here
start_ts=$(sim_start_ts)
run=0
rows=()

# sim_background LOG QOS: starts the simulator for $messages; sets SIM_PID, SIM_T0.
sim_background() {
  local log=$1 q=$2
  run=$((run + 1))
  SIM_T0=$(now)
  (
    TIMEFORMAT='%U %S'
    { time sim_run "$log" --client-id "bench-sim-$run" --qos "$q" --rate 0 --count "$messages" \
      --devices "$devices" --start-ts $((start_ts + run * 86400000 / 10)) --drain-timeout-s 120; } \
      2>"$log.cpu"
  ) &
  SIM_PID=$!
}
sim_cpu() { awk '{ print $1 + $2 }' "$1.cpu"; }

# row QOS SUBSCRIBER RECEIVED SECONDS SUB_CPU_S BROKER_CPU_S SIM_CPU_S PUBLISHED NOTE
row() {
  local q=$1 who=$2 n=$3 secs=$4 sub_cpu=$5 mosq_cpu=$6 sim_cpu=$7 published=$8 note=${9:-}
  local rate
  rate=$(calc "$n / $secs")
  rows+=("$(printf '%-3s %-14s %9s %8s %9s %11s %6s %8s %8s %8s  %s' "$q" "$who" "$n" \
    "$(fmt1 "$secs")" "$(fmt0 "$rate")" "$(fmt0 "$(calc "$rate * 3")")" \
    "$((published - n))" "$(fmt0 "$(calc "100 * $sub_cpu / $secs")")" \
    "$(fmt0 "$(calc "100 * $mosq_cpu / $secs")")" "$(fmt0 "$(calc "100 * $sim_cpu / $secs")")" "$note")")
  printf '%s\n' "${rows[-1]}" >&2
}

for q in $qos_list; do
  config=$WORK/bench-q$q.yaml
  "$BENCH_DIR/gen-config.sh" --devices "$devices" --qos "$q" >"$config"

  # 1. mosquitto_sub: the broker delivering to the lightest subscriber there is.
  say "QoS $q: mosquitto_sub, $messages messages"
  count_file=$WORK/mosquitto_sub-q$q.count
  taskset -c "$FG_CPU" sh -c "mosquitto_sub -h 127.0.0.1 -p $MQTT_PORT -q $q -t 'farm/#' \
    -C $messages -W 120 | wc -l >$count_file" &
  sub_pid=$!
  PIDS+=("$sub_pid")
  sleep 1  # mosquitto_sub says nothing when subscribed; a second is ample on loopback
  m0=$(cpu_seconds "$MOSQ_PID")
  sim_background "$WORK/sim-sub-q$q.json" "$q"
  wait "$sub_pid" || true
  t1=$(now)
  wait "$SIM_PID" || true
  # mosquitto_sub's CPU is not sampled (it is gone by now): "-".
  row "$q" mosquitto_sub "$(cat "$count_file")" "$(calc "$t1 - $SIM_T0")" 0 \
    "$(calc "$(cpu_seconds "$MOSQ_PID") - $m0")" "$(sim_cpu "$WORK/sim-sub-q$q.json")" \
    "$(sim_field "$WORK/sim-sub-q$q.json" published)" "sub CPU not sampled"

  # 2. Paho, counting only.
  if [ -x "$PAHO_COUNT" ]; then
    say "QoS $q: paho_count, $messages messages"
    ready=$WORK/paho-q$q.ready
    spawn "$FG_CPU" "$WORK/paho-q$q.json" "$PAHO_COUNT" --url "$MQTT_URL" --filter 'farm/#' \
      --qos "$q" --count "$messages" --client-id "bench-count-$q" --timeout-s 150 \
      --ready-file "$ready"
    paho_pid=$SPAWNED
    for _ in $(seq 100); do [ -e "$ready" ] && break; sleep 0.1; done
    m0=$(cpu_seconds "$MOSQ_PID")
    sim_background "$WORK/sim-paho-q$q.json" "$q"
    # CPU of the counter: sampled just before it exits (it prints, then disconnects).
    p_ticks=0
    while kill -0 "$paho_pid" 2>/dev/null; do
      c=$(cpu_ticks "$paho_pid")
      [ "$c" != 0 ] && p_ticks=$c
      [ -s "$WORK/paho-q$q.json" ] && break  # it prints its result just before leaving
      sleep 0.1
    done
    p_cpu=$(calc "$p_ticks / $CLK_TCK")
    wait "$paho_pid" || true
    wait "$SIM_PID" || true
    j=$WORK/paho-q$q.json
    row "$q" paho_count "$(sim_field "$j" received)" \
      "$(sed -n 's/.*"seconds": *\([0-9.]*\).*/\1/p' "$j")" "$p_cpu" \
      "$(calc "$(cpu_seconds "$MOSQ_PID") - $m0")" "$(sim_cpu "$WORK/sim-paho-q$q.json")" \
      "$(sim_field "$WORK/sim-paho-q$q.json" published)" "first→last message"
  fi

  # 3. farmgate.
  say "QoS $q: farmgate, $messages messages"
  data=${BENCH_DATA_BASE:-$WORK}/farmgate-q$q.$$
  [ -n "${BENCH_DATA_BASE:-}" ] && CLEAN_DIRS+=("$data")
  start_farmgate "$config" "$data" "http://127.0.0.1:$closed_port"
  accepted_m='farmgate_ingest_accepted_total{source="field"}'
  f0=$(cpu_ticks "$FG_PID")
  m0=$(cpu_ticks "$MOSQ_PID")
  a0=$(metric "$accepted_m")  # the probe messages are not counted here: they were refused
  perf_pid=""
  if [ "${BENCH_PERF:-0}" = 1 ]; then
    perf record -F 999 -g -p "$FG_PID" -o "$data/perf.data" >"$data/perf.log" 2>&1 &
    perf_pid=$!
    PIDS+=("$perf_pid")
  fi
  sim_background "$WORK/sim-fg-q$q.json" "$q"
  # Poll (4 Hz, one curl and one awk per poll) until the simulator is done, every accepted
  # reading is committed and nothing has moved for 2 s; the end is the first poll that saw the
  # final count, so the figure is good to ±0.25 s.
  last_n=-1
  t_end=$SIM_T0
  f_end=$(cpu_ticks "$FG_PID")
  m_end=$(cpu_ticks "$MOSQ_PID")
  max_queue=0
  deadline=$(calc "$SIM_T0 + 170")
  for (( ; ; )); do
    read -r n acc qr < <(metrics_snapshot | awk -v m="$accepted_m" '
      $1 == "farmgate_store_readings_total" { n = $2 }
      $1 == m { a = $2 }
      $1 == "farmgate_store_queue_readings" { q = $2 }
      END { print n + 0, a + 0, q + 0 }')
    t=$(now)
    [ "${qr%.*}" -gt "$max_queue" ] && max_queue=${qr%.*}
    if [ "$n" != "$last_n" ]; then
      last_n=$n
      t_end=$t
      f_end=$(cpu_ticks "$FG_PID")
      m_end=$(cpu_ticks "$MOSQ_PID")
    elif ! kill -0 "$SIM_PID" 2>/dev/null && [ "$n" = $((3 * (acc - a0))) ] &&
      [ $(( ${t%.*} - ${t_end%.*} )) -ge 3 ]; then
      break
    fi
    if [ "${t%.*}" -gt "${deadline%.*}" ]; then
      say "QoS $q: farmgate did not finish in time"
      break
    fi
    sleep 0.25
  done
  wait "$SIM_PID" || true
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  metrics_snapshot >"$data/metrics.txt"
  rss_hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$FG_PID/status")
  stop_pid "$FG_PID"
  stored=$(sqlite3 "$data/farmgate.db" 'SELECT count(*) FROM readings')
  lines=$(sqlite3 "$data/farmgate.db" 'SELECT count(*) FROM outbox')
  bsum=$(from_snapshot "$data/metrics.txt" farmgate_store_batch_readings_sum)
  bcnt=$(from_snapshot "$data/metrics.txt" farmgate_store_batch_readings_count)
  ssum=$(from_snapshot "$data/metrics.txt" farmgate_store_batch_seconds_sum)
  row "$q" farmgate "$((stored / 3))" "$(calc "$t_end - $SIM_T0")" \
    "$(calc "($f_end - $f0) / $CLK_TCK")" "$(calc "($m_end - $m0) / $CLK_TCK")" "$(sim_cpu "$WORK/sim-fg-q$q.json")" \
    "$(sim_field "$WORK/sim-fg-q$q.json" published)" \
    "committed; $lines outbox lines; peak store queue $max_queue readings; $(fmt0 "$(calc "$bsum / ($bcnt > 0 ? $bcnt : 1)")") readings/txn, $(fmt1 "$(calc "1000 * $ssum / ($bcnt > 0 ? $bcnt : 1)")") ms/txn; VmHWM $((rss_hwm / 1024)) MiB"
done

echo
echo "Ingest, $devices devices, $messages messages of 3 readings per run, $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-3s %-14s %9s %8s %9s %11s %6s %8s %8s %8s  %s\n' QoS subscriber messages seconds msgs/s \
  readings/s lost "sub CPU%" "mosq%" "sim%" note
printf '%s\n' "${rows[@]}"
echo "(lost = published by the simulator - received/committed; sub CPU% on CPU $FG_CPU, mosq% and sim% on CPU $BROKER_CPU)"
