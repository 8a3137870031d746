#include "gateway/run_log.h"

#include <cmath>
#include <cstdio>

#include "core/health.h"

namespace farmgate::gateway {
namespace {

void append_key(std::string& out, std::string_view key) {
  if (out.back() != '{') out += ',';
  append_json_string(out, key);
  out += ':';
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  append_key(out, key);
  append_json_string(out, value);
}

void append_int(std::string& out, std::string_view key, std::int64_t value) {
  append_key(out, key);
  out += std::to_string(value);
}

void append_bool(std::string& out, std::string_view key, bool value) {
  append_key(out, key);
  out += value ? "true" : "false";
}

void append_number(std::string& out, std::string_view key, double value) {
  append_key(out, key);
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  out += buf;
}

void append_volume(std::string& out, const std::optional<double>& litres) {
  if (litres) return append_number(out, "volume_l", std::round(*litres * 10) / 10);
  append_key(out, "volume_l");
  out += "null";
}

const char* on_off(bool on) {
  return on ? "on" : "off";
}

}  // namespace

RunLog::RunLog(std::string site, const std::vector<config::Actuator>& actuators,
               store::Store& store, MqttBus& bus, Clock& clock)
    : clock_(clock),
      site_(std::move(site)),
      runs_topic_("farmgate/" + site_ + "/runs"),
      store_(store),
      bus_(bus) {
  std::map<std::string, std::string> pump_of_line;
  for (const auto& a : actuators) {
    if (a.type == config::ActuatorType::pump) pump_of_line.emplace(a.line, a.id);
  }
  for (const auto& a : actuators) {
    if (a.type != config::ActuatorType::valve || a.zone.empty()) continue;
    Zone& z = zones_[a.zone];
    if (!z.valve.empty()) continue;  // one valve per zone; the first one configured
    z.valve = a.id;
    if (auto p = pump_of_line.find(a.line); p != pump_of_line.end()) z.pump = p->second;
  }
}

void RunLog::restore(const std::vector<IrrigationRun>& last) {
  for (const auto& run : last) {
    auto z = zones_.find(run.zone);
    if (z == zones_.end()) continue;
    actuators::RunRecord r;
    r.id = run.id;
    r.zone = run.zone;
    r.actuators = run.actuators;
    r.start = run.start;
    r.end = run.end.value_or(run.start);
    r.reason = actuators::parse_run_reason(run.reason).value_or(actuators::RunReason::manual);
    r.who = run.who;
    r.outcome = run.outcome;
    r.volume_l = run.volume_l;
    z->second.last = std::move(r);
  }
}

std::optional<RunLog::ZoneView> RunLog::view(const std::string& zone) const {
  const auto z = zones_.find(zone);
  if (z == zones_.end()) return std::nullopt;
  const auto state = [this](const std::string& id) -> std::string {
    if (id.empty()) return "";
    const auto a = actuators_.find(id);
    if (a == actuators_.end() || !a->second.reported) return "unknown";
    return on_off(*a->second.reported);
  };
  return ZoneView{state(z->second.valve), state(z->second.pump), z->second.run, z->second.last,
                  z->second.readings};
}

void RunLog::on_reading(const Reading& r) {
  auto z = zones_.find(r.zone);
  if (r.zone.empty() || z == zones_.end()) return;
  z->second.readings[r.device][r.metric] = r;
  if (z->second.published.empty() ||
      clock_.steady_now() - z->second.published_at >= kReadingsEvery) {
    publish_zone(r.zone);
  }
}

IrrigationRun RunLog::to_store(const actuators::RunRecord& run) {
  IrrigationRun out;
  out.id = run.id;
  out.zone = run.zone;
  out.actuators = run.actuators;
  out.start = run.start;
  if (run.end != Timestamp{}) out.end = run.end;
  out.reason = actuators::to_string(run.reason);
  out.who = run.who;
  out.requested = run.requested;
  out.granted = run.granted;
  out.outcome = run.outcome;
  out.detail = run.detail;
  out.volume_l = run.volume_l;
  return out;
}

void RunLog::run_started(const actuators::RunRecord& run) {
  IrrigationRun open = to_store(run);
  open.end.reset();  // whatever the record says, this is the start
  store_.submit(std::move(open));
  bus_.publish(runs_topic_, run_json(run), 1, false);
  if (auto z = zones_.find(run.zone); z != zones_.end()) {
    z->second.run = run;
    publish_zone(run.zone);
  }
}

void RunLog::run_finished(const actuators::RunRecord& run) {
  IrrigationRun closed = to_store(run);
  if (!closed.end) closed.end = run.start;  // an end is what closes the row
  store_.submit(std::move(closed));
  bus_.publish(runs_topic_, run_json(run), 1, false);
  if (auto z = zones_.find(run.zone); z != zones_.end()) {
    if (z->second.run && z->second.run->id == run.id) z->second.run.reset();
    z->second.last = run;
    publish_zone(run.zone);
  }
}

void RunLog::actuator_changed(const actuators::ActuatorState& state) {
  actuators_[state.id] = state;
  for (const auto& [name, z] : zones_) {
    if (z.valve == state.id || z.pump == state.id) publish_zone(name);
  }
}

void RunLog::publish_zone(const std::string& zone) {
  auto z = zones_.find(zone);
  if (z == zones_.end()) return;
  std::string json = zone_state_json(zone);
  if (json == z->second.published) return;
  bus_.publish("farmgate/" + site_ + "/zones/" + zone + "/state", json, 1, true);
  z->second.published = std::move(json);
  z->second.published_at = clock_.steady_now();
  if (zone_changed_) zone_changed_(zone);
}

std::string RunLog::run_json(const actuators::RunRecord& run) const {
  std::string out = "{";
  append_field(out, "site", site_);
  append_int(out, "id", static_cast<std::int64_t>(run.id));
  append_field(out, "zone", run.zone);
  append_field(out, "line", run.line);
  append_key(out, "actuators");
  out += '[';
  for (std::size_t i = 0; i < run.actuators.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, run.actuators[i]);
  }
  out += ']';
  append_int(out, "start", to_epoch_ms(run.start));
  append_key(out, "end");
  out += run.end == Timestamp{} ? "null" : std::to_string(to_epoch_ms(run.end));
  append_field(out, "reason", actuators::to_string(run.reason));
  append_field(out, "who", run.who);
  append_int(out, "requested_ms", static_cast<std::int64_t>(run.requested.count()));
  append_int(out, "granted_ms", static_cast<std::int64_t>(run.granted.count()));
  append_field(out, "outcome", run.outcome);
  append_field(out, "detail", run.detail);
  append_volume(out, run.volume_l);
  out += '}';
  return out;
}

void RunLog::append_actuator(std::string& out, const std::string& id) const {
  if (id.empty()) {
    out += "null";
    return;
  }
  out += '{';
  append_field(out, "id", id);
  const auto a = actuators_.find(id);
  const bool known = a != actuators_.end();
  const auto& reported = known ? a->second.reported : std::optional<bool>{};
  append_field(out, "state", reported ? on_off(*reported) : "unknown");
  append_field(out, "commanded", on_off(known && a->second.commanded_on));
  append_bool(out, "pending", known && a->second.pending);
  append_bool(out, "faulted", known && a->second.faulted);
  out += '}';
}

std::string RunLog::zone_state_json(const std::string& zone) const {
  const auto z = zones_.find(zone);
  if (z == zones_.end()) return {};
  std::string out = "{";
  append_field(out, "site", site_);
  append_field(out, "zone", zone);
  append_key(out, "valve");
  append_actuator(out, z->second.valve);
  append_key(out, "pump");
  append_actuator(out, z->second.pump);
  append_key(out, "run");
  if (const auto& r = z->second.run) {
    out += '{';
    append_int(out, "id", static_cast<std::int64_t>(r->id));
    append_int(out, "start", to_epoch_ms(r->start));
    append_field(out, "reason", actuators::to_string(r->reason));
    append_field(out, "who", r->who);
    append_int(out, "granted_ms", static_cast<std::int64_t>(r->granted.count()));
    out += '}';
  } else {
    out += "null";
  }
  append_key(out, "last_run");
  if (const auto& r = z->second.last) {
    out += '{';
    append_int(out, "id", static_cast<std::int64_t>(r->id));
    append_int(out, "start", to_epoch_ms(r->start));
    append_int(out, "end", to_epoch_ms(r->end));
    append_field(out, "reason", actuators::to_string(r->reason));
    append_field(out, "outcome", r->outcome);
    append_volume(out, r->volume_l);
    out += '}';
  } else {
    out += "null";
  }
  append_key(out, "readings");
  out += '{';
  for (const auto& [device, metrics] : z->second.readings) {
    append_key(out, device);
    out += '{';
    for (const auto& [metric, reading] : metrics) {
      append_key(out, metric);
      out += '{';
      append_number(out, "value", reading.value);
      append_field(out, "unit", reading.unit);
      append_int(out, "ts", to_epoch_ms(reading.time));
      out += '}';
    }
    out += '}';
  }
  out += "}}";
  return out;
}

}  // namespace farmgate::gateway
