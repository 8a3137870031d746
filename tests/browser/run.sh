#!/usr/bin/env bash
# The phone page end to end in a real browser: starts a private Mosquitto, the farm simulator and
# farmgate (config/examples/demo.yaml) on loopback ports picked at run time, adds a farmer, a
# viewer and an extension officer (OCOP lots), and runs tests/browser/phone.spec.mjs (Debian's
# chromium driven by playwright-core).
#   tests/browser/run.sh [FARMGATE [FARMGATE_SIM [OUT_DIR]]]   (default: build/gateway/farmgate, ...)
# Screenshots (360×800) go to $FARMGATE_E2E_OUT, else OUT_DIR (CTest: <build>/tests/browser/
# browser-screenshots), else build/browser-screenshots; with the processes' logs when it fails. Exit 0: passed; 1: failed; 77: skipped (no chromium or no
# web/node_modules/playwright-core), the code CTest treats as "skip".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
farmgate=$(realpath "${1:-$repo/build/gateway/farmgate}")
sim=$(realpath "${2:-$repo/build/sensors/sim/farmgate-sim}")
chromium=${FARMGATE_CHROMIUM:-/usr/bin/chromium}
out=${FARMGATE_E2E_OUT:-${3:-$repo/build/browser-screenshots}}

log() { printf 'run.sh: %s\n' "$*"; }

if [ ! -x "$chromium" ]; then
  log "no chromium at $chromium (scripts/install-deps test): skipped"
  exit 77
fi
if [ ! -d "$repo/web/node_modules/playwright-core" ]; then
  log "no web/node_modules/playwright-core (cd web && npm ci): skipped"
  exit 77
fi
for f in "$farmgate" "$sim"; do
  [ -x "$f" ] || { log "not built: $f"; exit 1; }
done
[ -f "$repo/web/dist/index.html" ] || { log "web/dist is not built (cd web && npm run build)"; exit 1; }
command -v mosquitto >/dev/null || { log "mosquitto not installed (scripts/install-deps test)"; exit 1; }

mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.log
tmp=$(mktemp -d)

# A loopback port nobody listens on, starting somewhere random so that runs side by side (CI,
# several developers on one machine) rarely race for the same one.
free_port() {
  local p=$((20000 + RANDOM % 20000))
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

pids=()
status=1
cleanup() {
  trap - INT TERM EXIT
  # Newest first, each waited for: farmgate says goodbye to a broker that is still there.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    cp "$tmp"/*.log "$out"/ 2>/dev/null || true
    log "FAILED; logs and screenshots in $out"
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mqtt_port=$(free_port)
http_port=$(free_port)
modbus_port=$(free_port)
camera_port=$(free_port)
mkdir -p "$tmp/mosquitto"
cat >"$tmp/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
user $(id -un)
persistence false
max_queued_messages 10000
log_dest file $tmp/mosquitto.log
CONF
mosquitto -c "$tmp/mosquitto.conf" 2>>"$tmp/mosquitto.log" & pids+=($!)
wait_port "$mqtt_port" || { log "mosquitto did not start"; exit 1; }

# demo.yaml with one change: the pump may start right away. Its min_off (2 min) also counts
# from farmgate's start, and the test should not sit out two minutes before it may water.
sed -e 's/min_off: 2m/min_off: 0s/' "$repo/config/examples/demo.yaml" >"$tmp/farmgate.yaml"
grep -q 'min_off: 0s' "$tmp/farmgate.yaml" || { log "demo.yaml has no pump min_off: 2m any more"; exit 1; }

export FARMGATE_MQTT_URL=tcp://127.0.0.1:$mqtt_port
export FARMGATE_DATA_DIR=$tmp/data
export FARMGATE_HTTP_LISTEN=127.0.0.1:$http_port
export FARMGATE_WEB_DIR=$repo/web/dist
export FARMGATE_SITE=e2e-farm
export FARMGATE_SIM_MODBUS_URL=tcp://127.0.0.1:$modbus_port
export FARMGATE_SIM_CAMERA_URL=http://127.0.0.1:$camera_port/snapshot/z1.jpg
unset FARMGATE_INFLUX_URL
mkdir -p "$FARMGATE_DATA_DIR"
"$farmgate" check --config "$tmp/farmgate.yaml"

# The soil starts at 40 %, above the rules' start_below 30, so nothing waters by itself.
"$sim" --url "$FARMGATE_MQTT_URL" --client-id "e2e-sim-$$" --qos 1 --interval-ms 2000 --speed 1 \
  --relays pump,valve-z1,valve-z2 --moisture-start 40 --modbus-port "$modbus_port" \
  --camera-port "$camera_port" --quiet >"$tmp/sim.log" 2>&1 & pids+=($!)
# The probe and the camera answer before farmgate first asks, so /healthz comes up "up".
wait_port "$modbus_port" && wait_port "$camera_port" || { log "the simulator did not start"; exit 1; }

farmer_pw="ruong-lua-$RANDOM$RANDOM"
viewer_pw="xem-thoi-$RANDOM$RANDOM"
officer_pw="khuyen-nong-$RANDOM$RANDOM"
echo "$farmer_pw" | "$farmgate" user add nong-dan --role farmer --config "$tmp/farmgate.yaml" >/dev/null
echo "$viewer_pw" | "$farmgate" user add khach --role viewer --config "$tmp/farmgate.yaml" >/dev/null
echo "$officer_pw" | "$farmgate" user add can-bo --role officer --config "$tmp/farmgate.yaml" >/dev/null

"$farmgate" run --config "$tmp/farmgate.yaml" >"$tmp/farmgate.log" 2>&1 & pids+=($!)
base=http://127.0.0.1:$http_port
for _ in $(seq 100); do
  curl -sf "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$base/healthz" >/dev/null || { log "farmgate did not come up"; exit 1; }

log "farmgate on $base, broker on :$mqtt_port; screenshots in $out"
if FG_BASE=$base FG_FARMER=nong-dan FG_FARMER_PW=$farmer_pw FG_VIEWER=khach FG_VIEWER_PW=$viewer_pw \
  FG_OFFICER=can-bo FG_OFFICER_PW=$officer_pw \
  FG_CHROMIUM=$chromium FG_OUT=$out \
  node "$repo/tests/browser/phone.spec.mjs"; then
  status=0
fi
