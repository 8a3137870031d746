#include "gateway/replay.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

#include <boost/json.hpp>

namespace farmgate::gateway {
namespace {

constexpr const char* kRulePrefix = "rule:";

// The engine says what it does at info level for every firing: in a replay that is the report's
// job. Warnings and errors still reach the person running it.
class QuietLogger final : public Logger {
 public:
  explicit QuietLogger(Logger& out) : out_(out) {}
  void log(LogLevel level, std::string_view component, std::string_view message) override {
    if (level == LogLevel::warning || level == LogLevel::error) out_.log(level, component, message);
  }

 private:
  Logger& out_;
};

std::string rule_of(const std::string& who) {
  return who.starts_with(kRulePrefix) ? who.substr(5) : who;
}

std::string local_text(Timestamp t, const rules::SiteTime& site) {
  const rules::LocalTime l = site.to_local(t);
  const auto offset_min = std::chrono::duration_cast<std::chrono::minutes>(site.utc_offset(t));
  const long m = offset_min.count();
  const long a = m < 0 ? -m : m;
  char buf[64];
  if (a % 60 == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d %c%02ld", l.year, l.month, l.day,
                  l.hour, l.minute, m < 0 ? '-' : '+', a / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d %c%02ld:%02ld", l.year, l.month, l.day,
                  l.hour, l.minute, m < 0 ? '-' : '+', a / 60, a % 60);
  }
  return buf;
}

std::string duration_text(Millis d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return std::to_string(s) + "s";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

std::string litres_text(double l) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", l);
  return buf;
}

const char* kind_name(ReplayAction::Kind k) {
  switch (k) {
    case ReplayAction::Kind::irrigate:
      return "irrigate";
    case ReplayAction::Kind::refused:
      return "refused";
    case ReplayAction::Kind::stop:
      return "stop";
    case ReplayAction::Kind::alarm:
      return "alarm";
    case ReplayAction::Kind::publish:
      return "publish";
  }
  return "?";
}

double minutes_of(Millis d) {
  return static_cast<double>(d.count()) / 60'000.0;
}

}  // namespace

// ---- ReplayActions
// -------------------------------------------------------------------------------

ReplayActions::ReplayActions(const config::Config& config, Clock& clock)
    : config_(config), clock_(clock) {
  for (const config::Actuator& a : config.actuators) actuators_[a.id] = Actuator{&a, std::nullopt};
}

ReplayActions::Actuator* ReplayActions::valve_of(const std::string& zone) {
  for (auto& [id, a] : actuators_) {
    if (a.cfg->type == config::ActuatorType::valve && a.cfg->zone == zone) return &a;
  }
  return nullptr;
}

ReplayActions::Actuator* ReplayActions::pump_of(const std::string& line) {
  for (auto& [id, a] : actuators_) {
    if (a.cfg->type == config::ActuatorType::pump && a.cfg->line == line) return &a;
  }
  return nullptr;
}

Result<std::uint64_t> ReplayActions::irrigate(const std::string& zone, Millis duration,
                                              const std::string& who) {
  settle();
  const Timestamp now = clock_.now();
  const std::string rule = rule_of(who);
  const auto refuse = [&](const std::string& code, const std::string& message) -> Error {
    // One line for a refusal the engine retries every minute for the same reason.
    auto same = std::find_if(actions_.rbegin(), actions_.rend(), [&](const ReplayAction& a) {
      return a.rule == rule && a.zone == zone &&
             (a.kind == ReplayAction::Kind::refused || a.kind == ReplayAction::Kind::irrigate);
    });
    if (same != actions_.rend() && same->kind == ReplayAction::Kind::refused &&
        same->code == code) {
      ++same->repeats;
    } else {
      ReplayAction a;
      a.kind = ReplayAction::Kind::refused;
      a.at = now;
      a.rule = rule;
      a.zone = zone;
      a.requested = duration;
      a.code = code;
      a.detail = message;
      actions_.push_back(std::move(a));
    }
    return make_error(code, message);
  };

  Actuator* v = valve_of(zone);
  if (v == nullptr)
    return refuse("unknown_zone", "unknown_zone: no valve waters zone '" + zone + "'");
  if (duration <= Millis{0}) return refuse("invalid", "invalid: duration must be positive");
  if (zone_running(zone)) return refuse("busy", "busy: zone " + zone + " is already being watered");
  const std::string& line = v->cfg->line;
  const config::Line* l = config_.find_line(line);
  const std::size_t max_open = l ? l->max_open_valves : 1;
  std::string open;
  std::size_t open_count = 0;
  for (const Run& r : runs_) {
    if (r.line != line) continue;
    ++open_count;
    const Actuator* ov = valve_of(r.zone);
    open += (open.empty() ? "" : ", ") + (ov ? ov->cfg->id : r.zone);
  }
  if (open_count >= max_open) {
    return refuse("max_open_valves", "max_open_valves: line " + line + " already has " +
                                         std::to_string(open_count) + " open valve" +
                                         (open_count == 1 ? "" : "s") + " (" + open + ")");
  }
  Actuator* p = pump_of(line);
  const bool pump_running = open_count > 0;
  for (Actuator* a : {p, v}) {
    if (a == nullptr || (a == p && pump_running) || !a->off_since) continue;
    const Millis rested = now - *a->off_since;
    if (rested < a->cfg->min_off) {
      return refuse("min_off", "min_off: " + a->cfg->id + " rested " + duration_text(rested) +
                                   " of " + duration_text(a->cfg->min_off));
    }
  }
  Millis granted = std::min(duration, v->cfg->max_runtime);
  if (p != nullptr) granted = std::min(granted, p->cfg->max_runtime);

  ReplayAction a;
  a.kind = ReplayAction::Kind::irrigate;
  a.at = now;
  a.rule = rule;
  a.zone = zone;
  a.requested = duration;
  a.granted = granted;
  a.ran = granted;
  actions_.push_back(std::move(a));
  runs_.push_back(Run{zone, line, now + granted, actions_.size() - 1, next_id_});
  return next_id_++;
}

void ReplayActions::end_run(std::size_t i, Timestamp at, std::string why) {
  const Run run = runs_[i];
  runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(i));
  ReplayAction& a = actions_[run.action];
  a.ran = at - a.at;
  a.detail = std::move(why);
  if (Actuator* v = valve_of(run.zone)) v->off_since = at;
  const bool line_busy =
      std::any_of(runs_.begin(), runs_.end(), [&](const Run& r) { return r.line == run.line; });
  if (!line_busy) {
    if (Actuator* p = pump_of(run.line)) p->off_since = at;
  }
}

Result<void> ReplayActions::stop(const std::string& zone, const std::string& why,
                                 const std::string& who) {
  settle();
  const Timestamp now = clock_.now();
  // A stop by `until` is part of the run's line; any other stop is an action of its own.
  if (!why.starts_with("until: ")) {
    ReplayAction a;
    a.kind = ReplayAction::Kind::stop;
    a.at = now;
    a.rule = rule_of(who);
    a.zone = zone;
    a.detail = why;
    actions_.push_back(std::move(a));
  }
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    if (runs_[i].zone == zone) {
      end_run(i, now, why.starts_with("until: ") ? "until " + why.substr(7) : why);
      return {};
    }
  }
  return make_error("not_running", "not_running: zone " + zone + " is not being watered");
}

bool ReplayActions::zone_running(const std::string& zone) const {
  const Timestamp now = clock_.now();
  return std::any_of(runs_.begin(), runs_.end(),
                     [&](const Run& r) { return r.zone == zone && r.ends > now; });
}

bool ReplayActions::run_active(std::uint64_t run_id) const {
  const Timestamp now = clock_.now();
  return std::any_of(runs_.begin(), runs_.end(),
                     [&](const Run& r) { return r.id == run_id && r.ends > now; });
}

void ReplayActions::alarm(Severity s, const std::string& code, const std::string& message) {
  ReplayAction a;
  a.kind = ReplayAction::Kind::alarm;
  a.at = clock_.now();
  a.rule = code.starts_with(kRulePrefix) ? code.substr(5) : "";
  a.code = code;
  a.severity = s;
  a.detail = message;
  actions_.push_back(std::move(a));
}

void ReplayActions::publish(const std::string& topic, const std::string& payload, bool) {
  ReplayAction a;
  a.kind = ReplayAction::Kind::publish;
  a.at = clock_.now();
  a.code = topic;
  a.detail = payload;
  actions_.push_back(std::move(a));
}

void ReplayActions::settle() {
  const Timestamp now = clock_.now();
  // Earliest first, so that a pump shared by two runs is off from the later end.
  for (;;) {
    auto due = std::min_element(runs_.begin(), runs_.end(),
                                [](const Run& a, const Run& b) { return a.ends < b.ends; });
    if (due == runs_.end() || due->ends > now) return;
    end_run(static_cast<std::size_t>(due - runs_.begin()), due->ends, "");
  }
}

std::vector<ReplayAction> ReplayActions::finish(Timestamp end) {
  settle();
  for (const Run& r : runs_) {
    ReplayAction& a = actions_[r.action];
    a.ran = std::min(end, r.ends) - a.at;
    a.running_at_end = r.ends > end;
  }
  runs_.clear();
  return std::move(actions_);
}

// ---- the replay
// ----------------------------------------------------------------------------------

Result<ReplayReport> replay(const config::Config& config, store::HistoryReader& reader,
                            const ReplayOptions& options, Logger& log) {
  ReplayReport report;
  report.from = options.from;
  report.to = options.to;
  QuietLogger quiet(log);
  FakeClock clock(options.from);
  ReplayActions sink(config, clock);
  rules::Engine engine(config, clock, sink, quiet);
  const Millis tick = std::max(options.tick, Millis{1});

  const auto move_to = [&](Timestamp t) {
    if (t > clock.now()) clock.advance(t - clock.now());
    sink.settle();
  };
  Timestamp next_tick = options.from;
  reader.seek(options.from, options.to);
  for (;;) {
    auto chunk = reader.next(std::max<std::size_t>(options.chunk_rows, 1));
    if (!chunk) return chunk.error();
    if (chunk->empty()) break;
    for (const Reading& r : *chunk) {
      // The ticks the daemon would have run before this reading arrived.
      for (; next_tick <= r.time; next_tick += tick) {
        move_to(next_tick);
        engine.tick();
      }
      move_to(r.time);
      engine.on_reading(r);
      ++report.readings;
    }
  }
  for (; next_tick < options.to; next_tick += tick) {
    move_to(next_tick);
    engine.tick();
  }
  move_to(options.to);
  report.actions = sink.finish(options.to);

  // Measured rates while water flowed: the estimate's L/min per line.
  for (const config::Line& l : config.lines) {
    if (l.flow.meter.empty()) continue;
    auto mean = reader.mean_at_least(l.flow.meter, l.flow.rate, l.flow.min_lpm,
                                     options.to - std::chrono::days{90}, options.to);
    if (!mean) return mean.error();
    if (*mean) report.line_lpm[l.id] = **mean;
  }
  const auto line_of_zone = [&](const std::string& zone) -> const config::Actuator* {
    for (const auto& a : config.actuators) {
      if (a.type == config::ActuatorType::valve && a.zone == zone) return &a;
    }
    return nullptr;
  };
  for (const config::Zone& z : config.zones) {
    if (line_of_zone(z.id) != nullptr) {
      ZoneSummary zs;
      zs.zone = z.id;
      report.zones.push_back(std::move(zs));
    }
  }
  for (ReplayAction& a : report.actions) {
    if (a.kind == ReplayAction::Kind::alarm) ++report.alarms[a.code];
    auto zs = std::find_if(report.zones.begin(), report.zones.end(),
                           [&](const ZoneSummary& s) { return s.zone == a.zone; });
    if (a.kind == ReplayAction::Kind::refused && zs != report.zones.end()) {
      zs->refused += a.repeats;
    }
    if (a.kind != ReplayAction::Kind::irrigate) continue;
    const config::Actuator* v = line_of_zone(a.zone);
    if (v != nullptr) {
      if (auto rate = report.line_lpm.find(v->line); rate != report.line_lpm.end()) {
        a.litres = minutes_of(a.ran) * rate->second;
      }
    }
    if (zs == report.zones.end()) continue;
    ++zs->runs;
    zs->watered += a.ran;
  }
  for (ZoneSummary& zs : report.zones) {
    const config::Actuator* v = line_of_zone(zs.zone);
    if (auto rate = report.line_lpm.find(v->line); rate != report.line_lpm.end()) {
      zs.litres = minutes_of(zs.watered) * rate->second;
    }
  }
  return report;
}

// ---- output ------------------------------------------------------------------------------------

void write_text(const ReplayReport& report, const rules::SiteTime& site, std::ostream& out) {
  for (const ReplayAction& a : report.actions) {
    std::string who = a.rule.empty() ? "rules" : "rule " + a.rule;
    std::string what;
    switch (a.kind) {
      case ReplayAction::Kind::irrigate: {
        what = "irrigate " + a.zone + " " + duration_text(a.requested) + " (";
        if (a.granted < a.requested) what += "granted " + duration_text(a.granted) + ", ";
        if (a.running_at_end) {
          what += "still running at the end of the range after " + duration_text(a.ran);
        } else if (!a.detail.empty()) {
          what += "stopped after " + duration_text(a.ran) + ": " + a.detail;
        } else {
          what += "ran " + duration_text(a.ran);
        }
        what += ")";
        if (a.litres) what += " ~" + litres_text(*a.litres) + " L";
        break;
      }
      case ReplayAction::Kind::refused:
        what = "irrigate " + a.zone + " " + duration_text(a.requested) + " refused: " + a.detail;
        if (a.repeats > 1) what += " (" + std::to_string(a.repeats) + " times)";
        break;
      case ReplayAction::Kind::stop:
        what = "stop " + a.zone + ": " + a.detail;
        break;
      case ReplayAction::Kind::alarm:
        what = std::string("alarm ") + to_string(a.severity) + " " +
               (a.rule.empty() ? a.code + ": " : "") + a.detail;
        break;
      case ReplayAction::Kind::publish:
        who = "rules";
        what = "publish " + a.code + " " + a.detail;
        break;
    }
    out << local_text(a.at, site) << "  " << who << "  " << what << "\n";
  }
  if (report.actions.empty()) out << "no actions\n";
  out << "\nreplayed " << report.readings << " readings from " << local_text(report.from, site)
      << " to " << local_text(report.to, site) << "\n";
  char row[160];
  std::snprintf(row, sizeof row, "%-12s %6s %9s %12s %8s\n", "zone", "runs", "minutes",
                "litres(est)", "refused");
  out << row;
  for (const ZoneSummary& z : report.zones) {
    char minutes[32];
    std::snprintf(minutes, sizeof minutes, "%.1f", minutes_of(z.watered));
    std::snprintf(row, sizeof row, "%-12s %6d %9s %12s %8d\n", z.zone.c_str(), z.runs, minutes,
                  z.litres ? litres_text(*z.litres).c_str() : "-", z.refused);
    out << row;
  }
  for (const auto& [line, lpm] : report.line_lpm) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", lpm);
    out << "line " << line << ": " << rate
        << " L/min (mean measured flow while watering, last 90 days)\n";
  }
  if (report.alarms.empty()) {
    out << "alarms: none\n";
  } else {
    out << "alarms:";
    for (const auto& [code, n] : report.alarms) out << " " << code << " x" << n;
    out << "\n";
  }
}

void write_json(const ReplayReport& report, const rules::SiteTime& site, std::ostream& out) {
  namespace json = boost::json;
  const auto seconds = [](Millis d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
  };
  json::array actions;
  for (const ReplayAction& a : report.actions) {
    json::object o;
    o["time"] = to_epoch_ms(a.at);
    o["local"] = local_text(a.at, site);
    o["kind"] = kind_name(a.kind);
    o["rule"] = a.rule;
    switch (a.kind) {
      case ReplayAction::Kind::irrigate:
        o["zone"] = a.zone;
        o["requested_s"] = seconds(a.requested);
        o["granted_s"] = seconds(a.granted);
        o["ran_s"] = seconds(a.ran);
        o["stopped_by"] = a.detail;
        o["running_at_end"] = a.running_at_end;
        o["litres"] = a.litres ? json::value(*a.litres) : json::value(nullptr);
        break;
      case ReplayAction::Kind::refused:
        o["zone"] = a.zone;
        o["requested_s"] = seconds(a.requested);
        o["code"] = a.code;
        o["reason"] = a.detail;
        o["times"] = a.repeats;
        break;
      case ReplayAction::Kind::stop:
        o["zone"] = a.zone;
        o["reason"] = a.detail;
        break;
      case ReplayAction::Kind::alarm:
        o["severity"] = to_string(a.severity);
        o["code"] = a.code;
        o["message"] = a.detail;
        break;
      case ReplayAction::Kind::publish:
        o["topic"] = a.code;
        o["payload"] = a.detail;
        break;
    }
    actions.push_back(std::move(o));
  }
  json::array zones;
  for (const ZoneSummary& z : report.zones) {
    zones.push_back(
        json::object{{"zone", z.zone},
                     {"runs", z.runs},
                     {"minutes", minutes_of(z.watered)},
                     {"litres", z.litres ? json::value(*z.litres) : json::value(nullptr)},
                     {"refused", z.refused}});
  }
  json::object alarms;
  for (const auto& [code, n] : report.alarms) alarms[code] = n;
  json::object lpm;
  for (const auto& [line, v] : report.line_lpm) lpm[line] = v;
  const json::object doc{{"from", to_epoch_ms(report.from)}, {"to", to_epoch_ms(report.to)},
                         {"timezone", site.zone()},          {"readings", report.readings},
                         {"actions", std::move(actions)},    {"zones", std::move(zones)},
                         {"alarms", std::move(alarms)},      {"line_lpm", std::move(lpm)}};
  out << json::serialize(doc) << "\n";
}

// ---- the command -------------------------------------------------------------------------------

int run_replay_command(const config::Config& config, std::string_view from_text,
                       std::string_view to_text, bool json, std::ostream& out, std::ostream& err,
                       Logger& log) {
  auto site = rules::SiteTime::load(config.timezone);
  if (!site) {
    err << "farmgate: timezone '" << config.timezone << "': " << site.error().message << "\n";
    return 1;
  }
  constexpr const char* kForms =
      "  times: 2026-11-01, 2026-11-01T05:00, 2026-11-01T05:00:00Z, +07:00 offsets, or epoch ms;\n"
      "  without Z or an offset they are the site's local time (";
  auto from = rules::parse_time_arg(from_text, *site);
  if (!from) {
    err << "farmgate: replay: --from " << from.error().message << "\n"
        << kForms << config.timezone << ")\n";
    return 2;
  }
  auto to = rules::parse_time_arg(to_text, *site);
  if (!to) {
    err << "farmgate: replay: --to " << to.error().message << "\n"
        << kForms << config.timezone << ")\n";
    return 2;
  }
  if (*to <= *from) {
    err << "farmgate: replay: --to (" << local_text(*to, *site) << ") must be after --from ("
        << local_text(*from, *site) << ")\n";
    return 2;
  }
  auto reader = store::HistoryReader::open(config.store.path);
  if (!reader) {
    err << "farmgate: replay: " << reader.error().message << "\n";
    return 1;
  }
  ReplayOptions options;
  options.from = *from;
  options.to = *to;
  auto report = replay(config, *reader, options, log);
  if (!report) {
    err << "farmgate: replay: reading " << config.store.path << ": " << report.error().message
        << "\n";
    return 1;
  }
  if (json) {
    write_json(*report, *site, out);
  } else {
    write_text(*report, *site, out);
  }
  return 0;
}

}  // namespace farmgate::gateway
