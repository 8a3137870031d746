#!/usr/bin/env bash
# Reaction time: a reading arrives at the broker → farmgate's rule fires → the valve's command is
# on the wire. farmgate_reaction (bench/reaction.cpp) plays the relays, publishes a dry reading,
# times the cmnd/valve-z1/POWER ON it gets back, stops the run and re-arms the rule; N times.
#
#   bench/reaction.sh [--samples N]        (default 500)
#
# Both timestamps are taken in farmgate_reaction, so the figure includes two broker hops.
# Mosquitto on CPU $BENCH_BROKER_CPU (0), farmgate and the bench client on $BENCH_FARMGATE_CPU (1).
# Target: p99 under 5 ms.
source "$(dirname "$0")/lib.sh"

samples=500
while [ $# -gt 0 ]; do
  case "$1" in
    --samples) samples=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
REACTION=$BUILD/bench/farmgate_reaction
[ -x "$REACTION" ] || die "$REACTION is missing; build first (see bench/README.md)"

bench_init reaction
start_mosquitto false
data=$WORK/farmgate
mkdir -p "$data"
config=$WORK/reaction.yaml
# One zone watered by a rule as soon as its probe reads dry; no hold, no cooldown and no delays,
# so that each sample starts from a quiet line within a few milliseconds.
cat >"$config" <<YAML
site: bench
data_dir: $data
mqtt: {url: "$MQTT_URL", client_id: farmgate-bench, reconnect_min: 250ms}
http: {listen: "127.0.0.1:$(free_port)"}
zones: [{id: z1}]
kinds:
  soil:
    moisture: {unit: "%", min: 0, max: 100}
devices: [{id: probe-z1, kind: soil, zone: z1}]
sources: [{name: field, type: mqtt_json, topic: "farm/{zone}/{device}/telemetry", qos: 1}]
actuators:
  - {id: pump, type: pump, line: main, max_runtime: 30m, driver: {type: mqtt_relay}}
  - {id: valve-z1, type: valve, line: main, zone: z1, max_runtime: 40m, driver: {type: mqtt_relay}}
lines:
  - {id: main, pump_start_delay: 0s, valve_close_delay: 0s}
rules:
  - name: dry
    when: probe-z1.moisture < 30
    then: {irrigate: {zone: z1, for: 10m}}
YAML
"$FARMGATE" check --config "$config" >/dev/null
say "farmgate_reaction: $samples samples"
taskset -c "$FG_CPU" "$REACTION" --url "$MQTT_URL" --site bench --samples "$samples" \
  >"$WORK/result.json" 2>"$WORK/reaction.log" &
bench_pid=$!
PIDS+=("$bench_pid")
spawn "$FG_CPU" "$data/farmgate.log" "$FARMGATE" run --config "$config"
wait "$bench_pid" || die "farmgate_reaction failed: $(cat "$WORK/reaction.log")"
cat "$WORK/result.json"
