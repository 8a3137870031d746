#include "gateway/web_api.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "gateway/http/api/routes.h"
#include "gateway/http/json_text.h"

namespace farmgate::gateway {
namespace {

namespace json = boost::json;

json::value reading_json(const Reading& r) {
  return json::object{{"value", r.value}, {"unit", r.unit}, {"ts", to_epoch_ms(r.time)}};
}

json::value run_summary(const std::optional<actuators::RunRecord>& run, bool finished) {
  if (!run) return nullptr;
  json::object o{{"id", run->id}, {"start", to_epoch_ms(run->start)}};
  if (finished) {
    o["end"] = to_epoch_ms(run->end);
    o["outcome"] = run->outcome;
    o["volume_l"] = run->volume_l ? json::value(*run->volume_l) : json::value(nullptr);
  } else {
    o["granted_ms"] = run->granted.count();
    o["reason"] = actuators::to_string(run->reason);
    o["who"] = run->who;
  }
  return o;
}

}  // namespace

WebApi::WebApi(const config::Config& config, boost::asio::io_context& io,
               actuators::Supervisor& supervisor, RunLog& run_log, store::Store& store,
               std::unique_ptr<store::Reader> reader, Sources sources, Clock& clock)
    : config_(config),
      io_(io),
      supervisor_(supervisor),
      run_log_(run_log),
      store_(store),
      reader_(std::move(reader)),
      sources_(sources),
      clock_(clock) {}

WebApi::~WebApi() {
  shutdown();
}

void WebApi::shutdown() {
  *alive_ = false;
  hub_.close_all();
  if (reader_) reader_->stop();
}

void WebApi::on_io(std::function<void()> f) {
  std::weak_ptr<bool> alive = alive_;
  boost::asio::post(io_, [alive, f = std::move(f)] {
    if (auto a = alive.lock(); a && *a) f();
  });
}

std::vector<std::string> WebApi::zone_ids() const {
  std::vector<std::string> out;
  for (const auto& z : config_.zones) {
    if (run_log_.view(z.id)) out.push_back(z.id);
  }
  return out;
}

bool WebApi::zone_exists(const std::string& zone) const {
  return config_.find_zone(zone) != nullptr;
}

std::optional<std::string> WebApi::zone_json(const std::string& zone) const {
  const auto view = run_log_.view(zone);
  const config::Zone* cfg = config_.find_zone(zone);
  if (!view || cfg == nullptr) return std::nullopt;
  json::object o{{"id", zone}, {"name", cfg->name}};
  // The zone's soil moisture: the first device of the zone reporting it.
  std::optional<Reading> moisture;
  for (const auto& [device, metrics] : view->readings) {
    if (auto m = metrics.find("moisture"); m != metrics.end()) {
      moisture = m->second;
      break;
    }
  }
  o["moisture"] = moisture ? reading_json(*moisture) : json::value(nullptr);
  // Trend: the change over the last hour, at least half a percent point to count.
  json::value trend = nullptr;
  if (moisture && sources_.history != nullptr) {
    const Timestamp now = clock_.now();
    const auto w = sources_.history->window(rules::SeriesKey{moisture->device, "moisture"},
                                            now - Millis{3'600'000}, now);
    if (w.status == rules::DataStatus::ok && w.count >= 2) {
      const double d = w.last - w.first;
      trend = d > 0.5 ? "up" : d < -0.5 ? "down" : "flat";
    }
  }
  o["trend"] = trend;
  o["valve"] = view->valve;
  o["pump"] = view->pump.empty() ? "unknown" : view->pump;
  o["run"] = run_summary(view->run, false);
  o["last_run"] = run_summary(view->last, true);
  const auto next = sources_.schedules ? sources_.schedules->next_run(zone) : std::nullopt;
  o["next_run"] =
      next ? json::value(json::object{{"start", to_epoch_ms(next->at)}, {"program", next->program}})
           : json::value(nullptr);
  // Whether a camera looks at the zone; the page then asks for its snapshot.
  bool camera = false;
  for (const auto& c : config_.cameras) {
    const config::Device* d = config_.find_device(c.device);
    camera = camera || (d != nullptr && d->zone == zone);
  }
  o["camera"] = camera && sources_.cameras != nullptr;
  json::object readings;
  for (const auto& [device, metrics] : view->readings) {
    json::object m;
    for (const auto& [metric, r] : metrics) m[metric] = reading_json(r);
    readings[device] = std::move(m);
  }
  o["readings"] = std::move(readings);
  return http::to_json_text(o);
}

std::vector<http::api::ActuatorView> WebApi::actuators() const {
  std::vector<http::api::ActuatorView> out;
  for (const auto& a : supervisor_.actuators()) {
    out.push_back({a.id, config::to_string(a.type), a.line, a.zone,
                   a.reported ? (*a.reported ? "on" : "off") : "unknown", a.commanded_on, a.pending,
                   a.faulted});
  }
  return out;
}

Result<http::api::Grant> WebApi::irrigate(const std::string& zone, Millis duration,
                                          const std::string& who) {
  auto grant = supervisor_.irrigate(zone, duration, actuators::RunReason::manual, who);
  if (!grant) return grant.error();
  return http::api::Grant{grant->run_id, grant->duration};
}

Result<void> WebApi::stop(const std::string& zone, const std::string& who) {
  return supervisor_.stop_zone(zone, "stopped from the phone", who);
}

Millis WebApi::max_manual_run() const {
  // A manual run may ask for as long as a valve may stay open; the supervisor cuts it further.
  Millis longest{60'000};
  for (const auto& a : config_.actuators) {
    if (a.type == config::ActuatorType::valve) longest = std::max(longest, a.max_runtime);
  }
  return longest;
}

void WebApi::ack_alarm(std::int64_t id, const std::string& who,
                       std::function<void(Result<store::Alarm>)> done) {
  const std::int64_t now = to_epoch_ms(clock_.now());
  store_.submit_write([id, who, now, done = std::move(done)](sqlite::Db& db) {
    done(store::ack_alarm(db, id, who, now));
  });
}

void WebApi::raise(Event event) {
  on_io([this, event = std::move(event)] {
    store::Alarm a;
    a.id = event.id;
    a.ts = to_epoch_ms(event.time);
    a.severity = to_string(event.severity);
    a.code = event.code;
    a.source = event.source;
    a.message = event.message;
    hub_.publish("alarm", http::api::alarm_json(a));
  });
}

void WebApi::zone_changed(const std::string& zone) {
  if (hub_.subscribers() == 0) return;
  if (auto z = zone_json(zone)) hub_.publish("zone", *z);
}

void WebApi::run_changed(const actuators::RunRecord& run) {
  if (hub_.subscribers() == 0) return;
  hub_.publish("run", http::api::run_json(RunLog::to_store(run)));
}

Result<std::optional<http::api::SnapshotView>> WebApi::snapshot(const std::string& zone) const {
  if (sources_.cameras == nullptr) return std::optional<http::api::SnapshotView>{};
  auto latest = sources_.cameras->latest(zone);
  if (!latest) return latest.error();
  if (!*latest) return std::optional<http::api::SnapshotView>{};
  const auto& s = **latest;
  return std::optional<http::api::SnapshotView>(http::api::SnapshotView{
      s.camera, s.path.string(), to_epoch_ms(s.time), s.width, s.height, s.canopy_percent});
}

}  // namespace farmgate::gateway
