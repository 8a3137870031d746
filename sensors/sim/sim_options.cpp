#include "sensors/sim/sim_options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace farmgate::sim {
namespace {

// soil-z1 and soil-z2 (payloads.h), the soil probes of farm mode.
constexpr std::size_t kReferenceDeviceCount = 2;

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

Error bad(const std::string& message) {
  return make_error("usage", message);
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    auto comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

double SimOptions::effective_rate(std::size_t device_count) const {
  if (!speed) return rate;
  return static_cast<double>(device_count) * *speed * 1000.0 /
         static_cast<double>(interval.count());
}

double SimOptions::sim_speed(std::size_t device_count) const {
  if (speed) return *speed;
  return rate * static_cast<double>(interval.count()) / 1000.0 / static_cast<double>(device_count);
}

std::string usage() {
  return R"(usage: farmgate-sim [options]
Publishes simulated soil telemetry on farm/<zone>/<device>/telemetry and, on exit, prints one JSON
line: {"published": N, "good": G, "bad": {...}, "first_ts": ..., "last_ts": ...}.
  --url URL             broker (default tcp://127.0.0.1:1883)
  --client-id ID        MQTT client id; the broker keeps its session (default farmgate-sim)
  --qos 0|1             (default 0)
  --rate R              messages per second in total, 0 = as fast as possible (default 1)
  --count N             stop after N messages (default: run until SIGINT/SIGTERM)
  --devices N           load mode: soil-0001..soil-N over the zones (default: soil-z1, soil-z2)
  --zones z1,z2         zones for load mode (default z1,z2)
  --interval-ms MS      simulated time between two readings of a device (default 60000)
  --speed X             simulated time runs X times wall time (instead of --rate)
  --start-ts EPOCH_MS   simulated time of the first readings (default: now)
  --bad-every N         every Nth message is a bad payload, cycling through the bad kinds
  --seed S              random seed (default 1)
  --drain-timeout-s S   how long to wait for outstanding deliveries at the end, and the longest
                        stall (no delivery confirmed) tolerated before giving up (default 60)
  --connect-timeout-s S how long to keep trying the first connection (default 30)
  --max-inflight N      unacknowledged QoS 1 messages at once (default 500)
  --relays ID,ID        play these MQTT relays: answer cmnd/<id>/POWER on stat/<id>/POWER.
                        Without --devices this is farm mode: the pump and valves water the soil,
                        and a flow meter (farm/site/flow-main/telemetry) and a tank
                        (farm/site/tank-main/telemetry) report too; needs a paced run
  --quiet               no progress on stderr
  --help
Farm mode:
  --pump-relay ID       the pump's relay id (default pump)
  --valve-relays Z=ID,..  the valve relay of zone z1/z2 (default valve-z1, valve-z2)
  --flow-lpm X          what the pump delivers, split across open valves (default 20)
  --tank-litres X       tank capacity (default 2000)
  --moisture-start X    soil moisture at start, % (20-60, default 38; each zone differs a little)
  --tank-start-percent X  tank level at start (default 90)
  --tank-refill-lpm X   how fast the tank refills (default 2)
  --zone-area-m2 X      wetted area of a zone (default 12)
  --root-depth-m X      root depth of a zone (default 0.2); 12 m2 x 0.2 m: 24 L per moisture %
  --report-interval-ms MS  simulated time between flow and tank reports (default 10000); they
                        also report at once when the pump switches
  --fault NAME[:VALVE]@SECONDS  from that many simulated seconds after start: dry_well (pump
                        on, no flow), stuck_valve (the valve, default the first zone's, reports
                        ON but passes no water), leak (flow while all is off), burst (flow far
                        above normal); repeatable
Simulated Modbus probe and camera (any mode; both on 127.0.0.1; port 0 = any free port):
  --modbus-port P       a Modbus TCP "7-in-1" soil probe (registers as profile soil-7in1)
  --modbus-unit N       its unit id (default 1)
  --modbus-zone Z       the zone whose soil it reads (default z2)
  --camera-port P       an IP camera: GET /snapshot/<zone>.jpg, a 640x360 JPEG of the field
  --canopy-start X      green cover at start, % (default 40)
  --canopy-max X        the cover it grows towards, % (default 70)
  --canopy-days X       simulated days to close 63 % of that gap (default 12)
)";
}

Result<SimOptions> parse_options(const std::vector<std::string>& args) {
  SimOptions o;
  bool rate_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name.rfind("--", 0) != 0 && name != "-h") return bad("unexpected argument " + name);
    if (name == "--help" || name == "-h") {
      o.help = true;
      continue;
    }
    if (name == "--quiet") {
      o.quiet = true;
      continue;
    }
    std::string v;
    if (inline_value) {
      v = *inline_value;
    } else if (i + 1 < args.size()) {
      v = args[++i];
    } else {
      return bad(name + " needs a value");
    }
    auto invalid = [&] { return bad("invalid value for " + name + ": '" + v + "'"); };

    auto positive = [&](double& out) {
      double x = 0;
      if (!parse_number(v, x) || !std::isfinite(x) || x <= 0) return false;
      out = x;
      return true;
    };

    if (name == "--relays") {
      o.relays.clear();
      for (std::size_t start = 0; start <= v.size();) {
        const auto comma = std::min(v.find(',', start), v.size());
        if (comma == start) return invalid();
        o.relays.push_back(v.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (name == "--url") {
      if (v.empty()) return invalid();
      o.url = v;
    } else if (name == "--client-id") {
      if (v.empty()) return invalid();
      o.client_id = v;
    } else if (name == "--qos") {
      if (!parse_number(v, o.qos) || (o.qos != 0 && o.qos != 1)) return invalid();
    } else if (name == "--rate") {
      if (!parse_number(v, o.rate) || !std::isfinite(o.rate) || o.rate < 0) return invalid();
      rate_given = true;
    } else if (name == "--count") {
      std::uint64_t n = 0;
      if (!parse_number(v, n)) return invalid();
      o.count = n;
    } else if (name == "--devices") {
      if (!parse_number(v, o.devices) || o.devices < 1 || o.devices > 1'000'000) return invalid();
    } else if (name == "--zones") {
      o.zones = split_commas(v);
      for (const auto& z : o.zones) {
        if (z.empty() || z.find_first_of("/+#") != std::string::npos) return invalid();
      }
    } else if (name == "--interval-ms") {
      std::int64_t ms = 0;
      if (!parse_number(v, ms) || ms < 1) return invalid();
      o.interval = Millis{ms};
    } else if (name == "--speed") {
      double x = 0;
      if (!parse_number(v, x) || !std::isfinite(x) || x <= 0) return invalid();
      o.speed = x;
    } else if (name == "--start-ts") {
      std::int64_t ts = 0;
      if (!parse_number(v, ts) || ts < 0) return invalid();
      o.start_ts = ts;
    } else if (name == "--bad-every") {
      if (!parse_number(v, o.bad_every)) return invalid();
    } else if (name == "--seed") {
      if (!parse_number(v, o.seed)) return invalid();
    } else if (name == "--drain-timeout-s" || name == "--connect-timeout-s") {
      long s = 0;
      if (!parse_number(v, s) || s < 0) return invalid();
      (name == "--drain-timeout-s" ? o.drain_timeout : o.connect_timeout) = std::chrono::seconds{s};
    } else if (name == "--max-inflight") {
      if (!parse_number(v, o.max_inflight) || o.max_inflight < 1 || o.max_inflight > 65535) {
        return invalid();
      }
    } else if (name == "--pump-relay") {
      if (v.empty() || v.find_first_of("/+#") != std::string::npos) return invalid();
      o.farm.pump_id = v;
    } else if (name == "--valve-relays") {
      for (const auto& pair : split_commas(v)) {
        const auto eq = pair.find('=');
        if (eq == std::string::npos || eq + 1 == pair.size()) return invalid();
        const std::string zone = pair.substr(0, eq);
        auto it = std::find_if(o.farm.zones.begin(), o.farm.zones.end(),
                               [&](const FarmZone& z) { return z.zone == zone; });
        if (it == o.farm.zones.end()) return bad("--valve-relays: no zone " + zone);
        it->valve_id = pair.substr(eq + 1);
      }
    } else if (name == "--flow-lpm") {
      if (!positive(o.farm.flow_lpm)) return invalid();
    } else if (name == "--tank-litres") {
      if (!positive(o.farm.tank_litres)) return invalid();
    } else if (name == "--moisture-start") {
      double x = 0;
      if (!parse_number(v, x) || !(x >= 20 && x <= 60)) return invalid();
      o.farm.soil.moisture_start = x;
    } else if (name == "--tank-start-percent") {
      double x = 0;
      if (!parse_number(v, x) || !(x >= 0 && x <= 100)) return invalid();
      o.farm.tank_start_percent = x;
    } else if (name == "--tank-refill-lpm") {
      double x = 0;
      if (!parse_number(v, x) || !std::isfinite(x) || x < 0) return invalid();
      o.farm.tank_refill_lpm = x;
    } else if (name == "--zone-area-m2") {
      if (!positive(o.farm.zone_area_m2)) return invalid();
    } else if (name == "--root-depth-m") {
      if (!positive(o.farm.root_depth_m)) return invalid();
    } else if (name == "--report-interval-ms") {
      std::int64_t ms = 0;
      if (!parse_number(v, ms) || ms < 1) return invalid();
      o.report_interval = Millis{ms};
    } else if (name == "--modbus-port" || name == "--camera-port") {
      unsigned port = 0;
      if (!parse_number(v, port) || port > 65535) return invalid();
      (name == "--modbus-port" ? o.modbus_port : o.camera_port) = static_cast<unsigned short>(port);
    } else if (name == "--modbus-unit") {
      if (!parse_number(v, o.modbus_unit) || o.modbus_unit < 1 || o.modbus_unit > 247) {
        return invalid();
      }
    } else if (name == "--modbus-zone") {
      if (v.empty()) return invalid();
      o.modbus_zone = v;
    } else if (name == "--canopy-start" || name == "--canopy-max") {
      double x = 0;
      if (!parse_number(v, x) || !(x >= 0 && x <= 100)) return invalid();
      (name == "--canopy-start" ? o.canopy.start_percent : o.canopy.max_percent) = x;
    } else if (name == "--canopy-days") {
      if (!positive(o.canopy.growth_days)) return invalid();
    } else if (name == "--fault") {
      // NAME[:VALVE]@SECONDS
      const auto at = v.rfind('@');
      if (at == std::string::npos) return invalid();
      std::string what = v.substr(0, at);
      ScheduledFault f;
      if (const auto colon = what.find(':'); colon != std::string::npos) {
        f.valve = what.substr(colon + 1);
        what.resize(colon);
        if (f.valve.empty()) return invalid();
      }
      const auto kind = fault_from_name(what);
      double seconds = 0;
      if (!kind || !parse_number(std::string_view(v).substr(at + 1), seconds) ||
          !std::isfinite(seconds) || seconds < 0) {
        return invalid();
      }
      if (!f.valve.empty() && *kind != FaultKind::stuck_valve) return invalid();
      f.kind = *kind;
      f.after = Millis{static_cast<std::int64_t>(std::llround(seconds * 1000))};
      o.farm.faults.push_back(std::move(f));
    } else {
      return bad("unknown option " + name);
    }
  }
  if (rate_given && o.speed) return bad("--rate and --speed exclude each other");
  for (const auto& f : o.farm.faults) {
    if (f.valve.empty()) continue;
    if (std::none_of(o.farm.zones.begin(), o.farm.zones.end(),
                     [&](const FarmZone& z) { return z.valve_id == f.valve; })) {
      return bad("--fault stuck_valve: " + f.valve + " is not a valve relay");
    }
  }
  if (std::none_of(o.farm.zones.begin(), o.farm.zones.end(),
                   [&](const FarmZone& z) { return z.zone == o.modbus_zone; })) {
    return bad("--modbus-zone: no zone " + o.modbus_zone + " (the farm has z1, z2)");
  }
  if (o.canopy.start_percent > o.canopy.max_percent) {
    return bad("--canopy-start is above --canopy-max: the canopy would shrink");
  }
  // Relays switch in wall time; an unpaced run has no simulated time they could happen at.
  if (o.farm_mode() && o.sim_speed(kReferenceDeviceCount) <= 0) {
    return bad("--relays without --devices needs a paced run (--rate > 0 or --speed)");
  }
  return o;
}

}  // namespace farmgate::sim
