#!/usr/bin/env bash
# The officers' readings export (issue 7): how long it takes and how much memory it needs, for
# `farmgate export readings` (its own process) and GET /api/v1/export/readings (inside the
# gateway, which must keep running on a Pi with 1 GB).
#
#   bench/export.sh [--devices 10] [--interval-s 10] [--days 7]
#
# farmgate_series_bench fill writes DAYS of readings for DEVICES soil probes (3 metrics each,
# every INTERVAL_S seconds) straight into a store file with the gateway's schema. Then:
#   cli-1d / cli-all   `farmgate export readings --format csv` of the last day / everything,
#                      under /usr/bin/time: wall time and peak RSS of that process;
#   api-1d             the last day through GET /api/v1/export/readings?format=csv as an officer
#                      (within the API's 300,000-reading cap): wall time, and farmgate's peak RSS
#                      (VmHWM) before and after.
: "${BENCH_FARMGATE_CPU:=0}" "${BENCH_BROKER_CPU:=1}"
source "$(dirname "$0")/lib.sh"
SERIES_BENCH=${BENCH_TOOLS_DIR:-$BUILD/bench}/farmgate_series_bench

devices=10
interval=10
days=7
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) devices=$2; shift 2 ;;
    --interval-s) interval=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    -h|--help) print_help; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -x "$SERIES_BENCH" ] || die "$SERIES_BENCH is missing; build farmgate_series_bench"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt install time)"

bench_init export
start_mosquitto false
dir=$WORK/store
mkdir -p "$dir"
say "filling $days days for $devices devices every $interval s"
"$SERIES_BENCH" fill --db "$dir/farmgate.db" --devices "$devices" --interval-s "$interval" \
  --days "$days" >"$dir/fill.json" || die "fill failed"
say "$(cat "$dir/fill.json")"
to=$(sed -n 's/.*"to_ms":\([0-9]*\).*/\1/p' "$dir/fill.json")
from=$(sed -n 's/.*"from_ms":\([0-9]*\).*/\1/p' "$dir/fill.json")
day_from=$((to - 86400000))

config=$dir/export.yaml
"$BENCH_DIR/gen-config.sh" --devices "$devices" --qos 0 >"$config"
printf 'bench-password-1\n' | FARMGATE_DATA_DIR=$dir "$FARMGATE" user add can-bo --role officer \
  --config "$config" >/dev/null || die "farmgate user add failed"
token=$(FARMGATE_DATA_DIR=$dir "$FARMGATE" user token can-bo --label export --config "$config" \
  2>/dev/null) || die "farmgate user token failed"

rows=()
# cli NAME FROM TO: one `farmgate export` run under /usr/bin/time.
cli() {
  local name=$1 f=$2 t=$3 out=$dir/$1.csv
  FARMGATE_DATA_DIR=$dir taskset -c "$FG_CPU" /usr/bin/time -f '%e %M' -o "$dir/$name.time" \
    "$FARMGATE" export readings --config "$config" --from "$f" --to "$t" --format csv >"$out" ||
    die "farmgate export failed: $(cat "$dir/$name.time")"
  local lines secs kb
  lines=$(($(wc -l <"$out") - 1))
  read -r secs kb <"$dir/$name.time"
  rows+=("$(printf '%-8s %10s %10s %10s %12s' "$name" "$lines" "$(fmt1 "$(calc "$(stat -c %s "$out") / 1048576")")" \
    "$secs" "$(fmt1 "$(calc "$kb / 1024")")")")
}
say "farmgate export (CLI)"
cli cli-1d "$day_from" "$to"
cli cli-all "$from" "$((to + 1))"

say "GET /api/v1/export/readings (farmgate on CPU $FG_CPU)"
start_farmgate "$config" "$dir"
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$FG_PID/status"; }
before=$(hwm)
t0=$(now)
code=$(curl -s -o "$dir/api-1d.csv" -w '%{http_code}' -H "Authorization: Bearer $token" \
  "http://$FG_HTTP/api/v1/export/readings?format=csv&from=$day_from&to=$to")
t1=$(now)
[ "$code" = 200 ] || die "the API answered $code: $(head -c 300 "$dir/api-1d.csv")"
after=$(hwm)
lines=$(($(wc -l <"$dir/api-1d.csv") - 1))
rows+=("$(printf '%-8s %10s %10s %10s %12s' api-1d "$lines" \
  "$(fmt1 "$(calc "$(stat -c %s "$dir/api-1d.csv") / 1048576")")" "$(fmt1 "$(calc "$t1 - $t0")")" \
  "$(fmt1 "$(calc "$before / 1024")") → $(fmt1 "$(calc "$after / 1024")")")")
stop_pid "$FG_PID"

printf '\n%-8s %10s %10s %10s %12s\n' export rows MiB seconds "peak RSS MiB"
printf '%s\n' "${rows[@]}"
