#!/usr/bin/env bash
# The phone page's 7-day chart: GET /api/v1/zones/z1/series?metric=soil.moisture&from=&to=
# &points=300 against a store holding 7 days of readings, through the real farmgate, then the
# same query in-process with what-if variants (bench/series_bench.cpp).
#
#   bench/series.sh [--cases "10:60 10:10 50:10"] [--requests 50] [--points 300]
#
# A case is DEVICES:INTERVAL_S: soil probes (moisture, temp_c, ec; over zones z1, z2 in turn)
# reporting every INTERVAL_S seconds for 7 days. farmgate_series_bench fill writes the store
# file directly, with the gateway's own schema (store::migrate), ending now; farmgate then runs on
# it (pinned to CPU $BENCH_FARMGATE_CPU, default here 0) and farmgate_api_load (CPU
# $BENCH_BROKER_CPU, default 1, with Mosquitto) sends the request --requests times, one at a time
# on one keep-alive connection, with an API token; every request is counted, the first (cold
# SQLite cache) too. farmgate is then stopped and farmgate_series_bench query times the shipped
# query and the what-ifs on the same file (see its header).
# Target (issue 5): a 7-day series request for one metric answers in under 50 ms.
: "${BENCH_FARMGATE_CPU:=0}" "${BENCH_BROKER_CPU:=1}"
source "$(dirname "$0")/lib.sh"
TOOLS=${BENCH_TOOLS_DIR:-$BUILD/bench}
API_LOAD=$TOOLS/farmgate_api_load
SERIES_BENCH=$TOOLS/farmgate_series_bench

cases="10:60 10:10 50:10"
requests=50
points=300
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --points) points=$2; shift 2 ;;
    -h|--help) print_help; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
for bin in "$API_LOAD" "$SERIES_BENCH"; do
  [ -x "$bin" ] || die "$bin is missing; build farmgate_api_load and farmgate_series_bench"
done

bench_init series
start_mosquitto false
http_rows=()
query_rows=()
for c in $cases; do
  devices=${c%%:*}
  interval=${c##*:}
  dir=$WORK/case-$devices-$interval
  mkdir -p "$dir"
  say "case $c: filling 7 days for $devices devices every $interval s"
  "$SERIES_BENCH" fill --db "$dir/farmgate.db" --devices "$devices" --interval-s "$interval" \
    --days 7 >"$dir/fill.json" || die "fill failed"
  from=$(sed -n 's/.*"from_ms":\([0-9]*\).*/\1/p' "$dir/fill.json")
  to=$(sed -n 's/.*"to_ms":\([0-9]*\).*/\1/p' "$dir/fill.json")
  rows=$(sed -n 's/.*"rows":\([0-9]*\).*/\1/p' "$dir/fill.json")
  bytes=$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' "$dir/fill.json")
  say "$(cat "$dir/fill.json")"

  config=$dir/series.yaml
  "$BENCH_DIR/gen-config.sh" --devices "$devices" --qos 0 >"$config"
  # The API knows a zone once it has a valve (farm.yaml's pump and valves; relays not played).
  cat >>"$config" <<YAML

actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: mqtt_relay}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: mqtt_relay}}
  - {id: valve-z2, type: valve, line: main, zone: z2, max_runtime: 40m, driver: {type: mqtt_relay}}
lines:
  - {id: main}
YAML
  printf 'bench-password-1\n' | FARMGATE_DATA_DIR=$dir "$FARMGATE" user add bench --role viewer \
    --config "$config" >/dev/null || die "farmgate user add failed"
  token=$(FARMGATE_DATA_DIR=$dir "$FARMGATE" user token bench --label series --config "$config" \
    2>/dev/null) || die "farmgate user token failed"
  start_farmgate "$config" "$dir"
  target="/api/v1/zones/z1/series?metric=soil.moisture&from=$from&to=$to&points=$points"
  taskset -c "$BROKER_CPU" "$API_LOAD" --port "${FG_HTTP##*:}" --target "$target" \
    --header "Authorization: Bearer $token" --connections 1 --requests "$requests" \
    >"$dir/http.json" || die "no 2xx answer: $(cat "$dir/http.json")"
  stop_pid "$FG_PID"
  j=$(cat "$dir/http.json")
  field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$j"; }
  npoints=$(grep -o '\],\[' <<<"$j" | wc -l)
  http_rows+=("$(printf '%8s %10s %10s %9s %8s %8s %8s %8s %8s %6s  %s' "$devices" "$interval" \
    "$rows" "$(fmt0 "$(calc "$bytes / 1048576")")" "$(field requests)" "$(field p50_ms)" \
    "$(field p90_ms)" "$(field p99_ms)" "$(field max_ms)" "$(field non_2xx)" \
    "$(fmt0 "$(field mean_body_bytes)") B answers")")
  printf '%s\n' "${http_rows[-1]}" >&2
  : "$npoints"

  say "case $c: in-process query variants"
  taskset -c "$FG_CPU" "$SERIES_BENCH" query --db "$dir/farmgate.db" --from "$from" --to "$to" \
    --points "$points" --repeat "$requests" >"$dir/query.json" 2>"$dir/query.log" ||
    die "series_bench query failed: $(cat "$dir/query.log")"
  while read -r line; do
    v=$(sed -n 's/.*"variant":"\([a-z_]*\)".*/\1/p' <<<"$line")
    q() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$line"; }
    plan=$(sed -n 's/.*"plan":"\(.*\)"}/\1/p' <<<"$line")
    # "index built in N ms", before the variant that built it.
    built=$(sed -n "s/^${v%%_*}.* built in \([0-9]*\) ms/\1 ms to build/p" "$dir/query.log" | head -1)
    [ "$v" = index_scan ] || built=""
    note=$built
    [ -n "$built" ] && [ -n "$plan" ] && note="$note; "
    query_rows+=("$(printf '%8s %10s %-10s %8s %8s %8s %8s %7s %11s  %s' "$devices" "$interval" \
      "$v" "$(q p50_ms)" "$(q p99_ms)" "$(q min_ms)" "$(q max_ms)" "$(q points)" \
      "$(q rows_in_range)" "$note$plan")")
    printf '%s\n' "${query_rows[-1]}" >&2
  done <"$dir/query.json"
  # The what-ifs grew the file; the next case starts from nothing anyway.
  rm -f "$dir"/farmgate.db*
done

echo
echo "Series, 7 days, z1 soil.moisture, $points points, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Through farmgate (CPU $FG_CPU), $requests requests one after another on one keep-alive connection (CPU $BROKER_CPU):"
printf '%8s %10s %10s %9s %8s %8s %8s %8s %8s %6s  %s\n' devices interval_s rows MiB requests \
  p50_ms p90_ms p99_ms max_ms non2xx note
printf '%s\n' "${http_rows[@]}"
echo
echo "In-process (farmgate_series_bench query, CPU $FG_CPU), $requests runs per variant:"
printf '%8s %10s %-10s %8s %8s %8s %8s %7s %11s  %s\n' devices interval_s variant p50_ms \
  p99_ms min_ms max_ms points "rows in range" "note / query plan"
printf '%s\n' "${query_rows[@]}"
