#!/usr/bin/env bash
# Footprint with 1,000 devices reporting: farmgate's peak RSS (VmHWM) and the bytes it writes to
# disk per reading. QoS 1, uplink to a private influxd, so the outbox is written, delivered and
# pruned as on a farm. Phases, in order:
#   burst       N messages as fast as the broker delivers them (default 300,000: 300 readings per
#               series, so that the store has history and its B-trees are past the "everything
#               fits in a few pages" start). Peak RSS here is the worst case: ingest queues full.
#   restart     farmgate is restarted and sent one message: the maintenance that follows the first
#               commit prunes the delivered outbox (what it would otherwise do within
#               maintenance_interval); its writes are counted against the burst's readings
#   1-per-min   every device reports once a minute (16.7 msg/s, a real farm's rate) for S s
#   1-per-s     every device reports once a second (1,000 msg/s) for S s
#
#   bench/footprint.sh [--burst N] [--seconds S]        (defaults 300000, 30)
#
# Per phase: readings committed, /proc/PID/io write_bytes (what farmgate sent towards the disk:
# journal, SQLite WAL, checkpoints) and wchar (bytes passed to write/pwrite) per reading, and the
# growth of the data directory (farmgate.db + -wal + -shm + journal/) per reading. VmHWM and VmRSS
# from /proc/PID/status after each phase (the restarted process has its own VmHWM).
# Target: VmHWM < 25 MB with 1,000 devices reporting.
source "$(dirname "$0")/lib.sh"

burst=300000
seconds=30
while [ $# -gt 0 ]; do
  case "$1" in
    --burst) burst=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) print_help; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

bench_init footprint
start_mosquitto false
start_influxd "$(free_port)"
influx_create_db farm
data=$WORK/farmgate
config=$WORK/bench.yaml
"$BENCH_DIR/gen-config.sh" --devices 1000 --qos 1 >"$config"
start_farmgate "$config" "$data" "$INFLUX_URL" farm

io_field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$FG_PID/io"; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$FG_PID/status"; }
dir_bytes() {  # the store and journal files, apparent size
  du -sb --apparent-size "$data/farmgate.db" "$data/farmgate.db-wal" "$data/farmgate.db-shm" \
    "$data/journal" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

rows=()
next_ts=$(sim_start_ts)
# phase NAME SIM_ARGS...: runs the simulator to completion, waits until every reading is
# committed and the uplink has caught up, and records the deltas.
phase() {
  local name=$1
  shift
  local r0 w0 c0 d0 t0 r1 w1 c1 d1 t1 published want log=$WORK/sim-$name.json
  r0=$(metric farmgate_store_readings_total)
  w0=$(io_field write_bytes)
  c0=$(io_field wchar)
  d0=$(dir_bytes)
  t0=$(now)
  say "phase $name: farmgate-sim $*"
  sim_run "$log" --client-id "bench-sim-$name" --qos 1 --devices 1000 --start-ts "$next_ts" "$@" \
    --drain-timeout-s 120
  published=$(sim_field "$log" published)
  want=$((r0 + 3 * published))
  r=$(wait_metric farmgate_store_readings_total "$want" 120)
  case "$r" in timeout*) die "phase $name: farmgate did not commit every reading ($r)" ;; esac
  # Let the uplink deliver what the phase queued, so its reads and cursor writes count here.
  for _ in $(seq 100); do
    [ "$(metric 'farmgate_outbox_backlog{uplink="influx"}')" = 0 ] && break
    sleep 0.1
  done
  t1=$(now)
  r1=$(metric farmgate_store_readings_total)
  w1=$(io_field write_bytes)
  c1=$(io_field wchar)
  d1=$(dir_bytes)
  local n=$((r1 - r0))
  rows+=("$(printf '%-11s %9s %9s %7s %10s %10s %10s %9s %9s %9s' "$name" "$published" "$n" \
    "$(fmt1 "$(calc "$t1 - $t0")")" "$(fmt0 "$(calc "($w1 - $w0) / $n")")" \
    "$(fmt0 "$(calc "($c1 - $c0) / $n")")" "$(fmt0 "$(calc "($d1 - $d0) / $n")")" \
    "$(status_kb VmHWM)" "$(status_kb VmRSS)" "$(status_kb RssAnon)")")
  printf '%s\n' "${rows[-1]}" >&2
  # The next phase's readings start one interval after this one's last.
  next_ts=$(($(sim_field "$log" last_ts) + 60000))
}

phase burst --rate 0 --count "$burst"
burst_hwm_kb=$(status_kb VmHWM)
burst_readings=$(metric farmgate_store_readings_total)

# Restart: the maintenance after the first commit prunes the delivered outbox. Counted until
# farmgate has written nothing for 2 s.
d0=$(dir_bytes)
stop_pid "$FG_PID"
# What the stop itself wrote (final commit, WAL checkpoint on close) is not visible after exit;
# it is part of the files' growth only.
t0=$(now)
start_farmgate "$config" "$data" "$INFLUX_URL" farm
sim_run "$WORK/sim-restart.json" --client-id bench-sim-restart --qos 1 --devices 1000 \
  --start-ts "$next_ts" --rate 0 --count 1
next_ts=$((next_ts + 60000))
last_w=-1
for _ in $(seq 300); do
  w=$(io_field write_bytes)
  [ "$w" = "$last_w" ] && break
  last_w=$w
  sleep 2
done
rows+=("$(printf '%-11s %9s %9s %7s %10s %10s %10s %9s %9s %9s' restart - "$burst_readings" \
  "$(fmt1 "$(calc "$(now) - $t0")")" "$(fmt0 "$(calc "$(io_field write_bytes) / $burst_readings")")" \
  "$(fmt0 "$(calc "$(io_field wchar) / $burst_readings")")" \
  "$(fmt0 "$(calc "($(dir_bytes) - $d0) / $burst_readings")")" "$(status_kb VmHWM)" \
  "$(status_kb VmRSS)" "$(status_kb RssAnon)")")
printf '%s\n' "${rows[-1]}" >&2

phase 1-per-min --rate 16.667 --count $((1000 * seconds / 60))
phase 1-per-s --rate 1000 --count $((1000 * seconds))

hwm_kb=$(status_kb VmHWM)
sqlite3 "$data/farmgate.db" "SELECT name, sum(pgsize), count(*) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 4" \
  >"$WORK/dbstat.txt" 2>/dev/null || true
stored=$(sqlite3 "$data/farmgate.db" 'SELECT count(*) FROM readings')
in_influx=$(influx_count farm)
smaps=$(awk '/^(Rss|Pss|Pss_Anon|Pss_File):/ { printf "%s %s kB, ", $1, $2 }' "/proc/$FG_PID/smaps_rollup")
stop_pid "$FG_PID"

echo
echo "Footprint, 1,000 devices, QoS 1, uplink to a local influxd, $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %9s %9s %7s %10s %10s %10s %9s %9s %9s\n' phase messages readings seconds \
  "disk B/r" "write B/r" "files B/r" "VmHWM kB" "VmRSS kB" "anon kB"
printf '%s\n' "${rows[@]}"
echo "(disk B/r = /proc/PID/io write_bytes per reading; write B/r = wchar per reading;"
echo " files B/r = growth of farmgate.db + -wal + -shm + journal/ per reading;"
echo " anon kB = RssAnon, the part of VmRSS that is not shared-library or file pages)"
verdict() { [ "$1" -lt 24414 ] && echo met || echo "NOT met"; }
echo "peak RSS (VmHWM), target < 25 MB = 24414 kB:"
echo "  steady reporting (1-per-min, then 1-per-s, after a restart): $hwm_kb kB: $(verdict "$hwm_kb")"
echo "  burst (ingest at full speed, store queue full):               $burst_hwm_kb kB: $(verdict "$burst_hwm_kb")"
echo "at the end: ${smaps%, } (Pss counts shared-library pages shared with other processes in part)"
echo "store: $stored readings; InfluxDB: $in_influx points (messages)"
echo "largest tables (name, bytes, pages):"
sed 's/^/  /' "$WORK/dbstat.txt"
