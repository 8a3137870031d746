#include "gateway/daemon.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "core/clock.h"
#include "core/health.h"
#include "core/metrics.h"
#include "gateway/actuation.h"
#include "gateway/commands.h"
#include "gateway/events.h"
#include "gateway/field_sources.h"
#include "gateway/http/api/routes.h"
#include "gateway/http/auth/auth_routes.h"
#include "gateway/http/auth/session_access.h"
#include "gateway/http/ops_routes.h"
#include "gateway/http/server.h"
#include "gateway/http/static_files.h"
#include "gateway/ingest.h"
#include "gateway/mqtt_client.h"
#include "gateway/ocop/routes.h"
#include "gateway/ocop/service.h"
#include "gateway/rule_actions.h"
#include "gateway/run_log.h"
#include "gateway/store/journal.h"
#include "gateway/store/store.h"
#include "gateway/systemd_notify.h"
#include "gateway/uplink/uplink.h"
#include "gateway/web_api.h"
#include "rules/check.h"
#include "rules/engine.h"
#include "rules/et_runtime.h"
#include "rules/schedules.h"
#include "rules/site_time.h"
#include "sensors/mqtt_json_source.h"

namespace farmgate::gateway {
namespace {

// Each zone with a valve, and the flow meter of its line, for closing interrupted runs.
std::map<std::string, store::ZoneMeter> zone_meters(const config::Config& c) {
  std::map<std::string, store::ZoneMeter> out;
  for (const auto& a : c.actuators) {
    const config::Line* line = c.find_line(a.line);
    if (a.type != config::ActuatorType::valve || line == nullptr || line->flow.meter.empty()) {
      continue;
    }
    out[a.zone] = {line->flow.meter, line->flow.rate, line->flow.total};
  }
  return out;
}

// The devices whose readings something on the event loop reacts to: flow meters (the
// supervisor), the devices of zones with a valve (their zone state) and, when there are rules,
// every device (what rules read, and the sensor health they judge it by).
std::set<std::string, std::less<>> live_devices(const config::Config& c) {
  std::set<std::string, std::less<>> out;
  if (!c.rules.empty()) {
    for (const auto& d : c.devices) out.insert(d.id);
  }
  std::set<std::string> valved;
  for (const auto& a : c.actuators) {
    if (a.type == config::ActuatorType::valve) valved.insert(a.zone);
  }
  for (const auto& d : c.devices) {
    if (valved.contains(d.zone)) out.insert(d.id);
  }
  for (const auto& l : c.lines) {
    if (!l.flow.meter.empty()) out.insert(l.flow.meter);
  }
  if (!c.weather.device.empty()) out.insert(c.weather.device);
  return out;
}

// One running configuration: everything that a reload rebuilds.
class Instance {
 public:
  Instance(const config::Config& config, boost::asio::io_context& io, Clock& clock, Logger& log)
      : config_(config), io_(io), clock_(clock), log_(log), events_(config.site, log, metrics_) {}

  Result<void> start() {
    std::vector<std::string> uplink_names;
    for (const auto& u : config_.uplinks) uplink_names.push_back(u.name);
    auto store = store::Store::open({config_.store, config_.site, uplink_names}, clock_, metrics_,
                                    log_, events_);
    if (!store) return store.error();
    store_ = std::move(*store);
    std::size_t replayed = 0;
    auto journal = store::Journal::open(config_.store.journal_dir, store_->committed_seq(),
                                        [&](std::uint64_t seq, ReadingBatch batch) {
                                          ++replayed;
                                          store_->submit(seq, std::move(batch));
                                        });
    if (!journal) return journal.error();
    journal_ = std::move(*journal);
    // Before the store thread starts: runs a crash left open are closed, with an alarm below.
    auto recovery = store_->recover_runs(zone_meters(config_));
    if (!recovery) return recovery.error();
    if (replayed > 0) {
      log_.info("store", "replaying " + std::to_string(replayed) +
                             " journal records that were not committed before the last stop");
    }
    store_->start([this](std::uint64_t committed) {
      journal_->release(committed);
      for (auto& u : uplinks_) u->notify(store_->outbox_newest_id());
    });
    health_.set("store", Health::Status::up, config_.store.path);

    for (const auto& u : config_.uplinks) {
      auto uplink =
          std::make_unique<uplink::Uplink>(u, config_.store.path, clock_, metrics_, log_, events_);
      uplink->report_health_to(health_);
      if (auto r = uplink->start(); !r) return r.error();
      uplinks_.push_back(std::move(uplink));
    }

    bus_ = std::make_unique<PahoBus>(io_, config_.mqtt, config_.site, metrics_, log_, health_);
    events_.attach(store_.get(), bus_.get());
    ingest_ = std::make_unique<Ingest>(*journal_, *store_, live_devices(config_),
                                       [this](const ReadingBatch& batch) {
                                         boost::asio::post(io_, [this, batch] { on_live(batch); });
                                       });
    for (const auto& s : config_.mqtt_sources) {
      auto source =
          sensors::MqttJsonSource::create(s, config_, *bus_, *ingest_, clock_, metrics_, log_);
      if (!source) return source.error();
      if (auto r = (*source)->start(); !r) return r.error();
      sources_.push_back(std::move(*source));
    }
    auto field = make_field_sources(
        config_, SourceDeps{*bus_, *ingest_, events_, health_, metrics_, clock_, log_});
    if (!field) return field.error();
    for (auto& source : field->sources) {
      // A sensor that cannot start (an unplugged adapter, a GPIO line taken) must not keep the
      // pumps' supervisor and the rest of the farm down: say so loudly and go on without it.
      if (auto r = source->start(); !r) {
        events_.raise(Event{Severity::alarm, "source_failed", "sensors/" + source->name(),
                            "sensor source " + source->name() + " did not start: " +
                                r.error().message + "; fix it and restart farmgate",
                            clock_.now()});
        continue;
      }
      if (source.get() == field->cameras) cameras_ = field->cameras;
      sources_.push_back(std::move(source));
    }
    run_fanout_.cameras = cameras_;
    // Actuators subscribe before the bus connects; the supervisor drives everything off as soon
    // as the broker answers, before it accepts any command.
    run_log_ = std::make_unique<RunLog>(config_.site, config_.actuators, *store_, *bus_, clock_);
    run_log_->restore(recovery->last);
    run_fanout_.next = run_log_.get();
    actuation_ = std::make_unique<Actuation>(config_, io_, *bus_, health_, clock_, events_, log_,
                                             &run_fanout_);
    actuation_->supervisor().set_next_run_id(recovery->max_id + 1);
    if (auto r = actuation_->start(); !r) return r.error();
    // Rules after the actuators they drive, before the sources that feed them.
    rule_actions_ = std::make_unique<RuleActions>(actuation_->supervisor(), events_, *bus_, clock_);
    engine_ = std::make_unique<rules::Engine>(config_, clock_, *rule_actions_, log_);
    schedules_ = std::make_unique<rules::Schedules>(
        config_, clock_, *rule_actions_, log_, engine_->history(),
        [this](const std::string& zone) { return engine_->zone_inputs_bad(zone); });
    auto site_time = rules::SiteTime::load(config_.timezone);
    if (!site_time) return site_time.error();
    // ET0 and the zones' balances are stored and sent upstream as readings of device "et";
    // a few per hour, so the journal write on the event loop is negligible.
    et_ = std::make_unique<rules::EtRuntime>(
        config_, std::move(*site_time), clock_, *rule_actions_, log_, [this](const Reading& r) {
          if (auto a = ingest_->accept({r}); !a) {
            log_.error("et", "cannot store " + r.metric + ": " + a.error().message);
          }
        });
    run_fanout_.on_finished = [this](const actuators::RunRecord& run) {
      // Whoever started it, the water is in the soil now; without a meter, the nominal flow.
      if (et_) et_->on_run_finished(run.zone, run.volume_l.value_or(nominal_litres(run)));
    };
    tick_rules();
    commands_ =
        std::make_unique<Commands>(config_.site, *bus_, io_, actuation_->supervisor(), log_);
    commands_->subscribe();
    if (auto r = bus_->start(); !r) return r.error();
    // Raised once the bus exists, so they are sent as soon as the broker answers.
    for (const auto& run : recovery->interrupted) {
      events_.raise(Event{Severity::alarm, "run_interrupted", "actuators",
                          "the run " + std::to_string(run.id) + " of zone " + run.zone +
                              " was cut short: farmgate stopped unexpectedly (crash or power "
                              "cut); every pump and valve is switched off at start",
                          clock_.now()});
    }

    http_ = std::make_unique<http::HttpServer>(io_, config_.http, log_, metrics_);
    http::register_ops_routes(*http_, health_, metrics_);
    if (auto r = start_web(); !r) return r;
    if (auto r = http_->start(); !r) return r.error();
    return {};
  }

  // Reverse order. Sources first so nothing new arrives; the store commits what it holds.
  void stop() {
    for (auto& s : sources_) s->stop();
    rules_timer_.cancel();
    // No rule, program or ET zone acts while the actuators go to their safe state.
    et_.reset();
    schedules_.reset();
    engine_.reset();
    if (commands_) commands_->stop();
    if (actuation_) actuation_->stop();
    if (bus_) bus_->stop();
    events_.tap(nullptr);
    ping_timer_.cancel();
    ocop_timer_.cancel();
    if (web_) web_->shutdown();
    if (http_) http_->stop();
    if (ocop_) ocop_->stop();
    events_.detach();
    if (store_) store_->stop();
    for (auto& u : uplinks_) u->stop();
  }

  Health& health() { return health_; }

 private:
  // The REST API with its users and sessions, the live stream and the phone page.
  Result<void> start_web() {
    auto access = http::auth::SessionAccess::open(config_.store.path, clock_, log_);
    if (!access) return access.error();
    access_ = std::move(*access);
    http::auth::register_auth_routes(*http_, *access_);
    auto reader = store::Reader::open(config_.store.path);
    if (!reader) return reader.error();
    web_ = std::make_unique<WebApi>(
        config_, io_, actuation_->supervisor(), *run_log_, *store_, std::move(*reader),
        WebApi::Sources{&engine_->history(), schedules_.get(), cameras_}, clock_);
    http::api::register_api_routes(*http_, *access_, *web_);
    auto tz = rules::SiteTime::load(config_.timezone);
    if (!tz) return tz.error();
    auto ocop = ocop::OcopService::open(config_, std::move(*tz), clock_);
    if (!ocop) return ocop.error();
    ocop_ = std::move(*ocop);
    ocop::register_ocop_routes(*http_, *access_, *ocop_);
    import_runs();
    run_log_->on_zone_changed([this](const std::string& zone) { web_->zone_changed(zone); });
    run_fanout_.on_run = [this](const actuators::RunRecord& run) { web_->run_changed(run); };
    alarm_fanout_.web = web_.get();
    alarm_fanout_.cameras = cameras_;
    events_.tap(&alarm_fanout_);
    if (!config_.http.web_dir.empty()) {
      if (auto r = http::register_static_files(*http_, config_.http.web_dir); !r) {
        log_.warn("http", "no phone page: " + r.error().message);
      }
    }
    ping_stream();
    return {};
  }

  // Finished runs go into the diaries of the lots they watered (Ledger::import_runs) within a
  // minute, whether or not anyone looks: `farmgate export diary`, which only reads, sees them.
  // The routes import too, before they answer.
  void import_runs() {
    const bool queued = ocop_->post([this](ocop::Ledger& ledger, std::int64_t now) {
      if (auto r = ledger.import_runs(now); !r) {
        log_.warn("ocop",
                  "cannot add the finished runs to the lots' diaries: " + r.error().message);
      }
    });
    (void)queued;  // a full queue is busy importing already
    ocop_timer_.expires_after(std::chrono::minutes(1));
    ocop_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && ocop_) import_runs();
    });
  }

  void ping_stream() {
    ping_timer_.expires_after(http::api::SseHub::kPingEvery);
    ping_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || !web_) return;
      web_->hub().ping();
      ping_stream();
    });
  }

  // On the event loop: readings of the live devices, once durable.
  void on_live(const ReadingBatch& batch) {
    for (const auto& r : batch) {
      if (actuation_) actuation_->supervisor().on_reading(r);
      if (run_log_) run_log_->on_reading(r);
      if (engine_) engine_->on_reading(r);
      if (et_) et_->on_reading(r);
    }
  }

  // Every second: `for` holds, time-of-day conditions and staleness need no reading to change.
  void tick_rules() {
    if (!engine_) return;
    engine_->tick();
    schedules_->tick();
    et_->tick();
    rules_timer_.expires_after(std::chrono::seconds(1));
    rules_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick_rules();
    });
  }

  const config::Config& config_;
  boost::asio::io_context& io_;
  Clock& clock_;
  Logger& log_;
  Metrics metrics_;
  Health health_;
  EventHub events_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Journal> journal_;
  std::vector<std::unique_ptr<uplink::Uplink>> uplinks_;
  std::unique_ptr<PahoBus> bus_;
  // Runs go to the run log, and their water to the ET balances.
  struct RunFanout final : actuators::SupervisorObserver {
    void run_started(const actuators::RunRecord& r) override {
      next->run_started(r);
      if (on_run) on_run(r);
      if (cameras) cameras->on_run(r.zone, true);
    }
    void run_finished(const actuators::RunRecord& r) override {
      next->run_finished(r);
      if (on_finished) on_finished(r);
      if (on_run) on_run(r);
      if (cameras) cameras->on_run(r.zone, false);
    }
    void actuator_changed(const actuators::ActuatorState& s) override { next->actuator_changed(s); }
    actuators::SupervisorObserver* next = nullptr;
    std::function<void(const actuators::RunRecord&)> on_finished;
    std::function<void(const actuators::RunRecord&)> on_run;  // started or finished
    sensors::camera::CameraFleet* cameras = nullptr;          // a picture at each start and end
  };
  // Alarms go to the phone page's live stream and make the cameras take a picture.
  struct AlarmFanout final : EventSink {
    void raise(Event e) override {
      if (cameras) cameras->on_alarm(e);
      if (web) web->raise(std::move(e));
    }
    EventSink* web = nullptr;
    sensors::camera::CameraFleet* cameras = nullptr;
  };
  AlarmFanout alarm_fanout_;
  // The litres a run without a flow meter delivered, from its zone's nominal flow (agronomy).
  double nominal_litres(const actuators::RunRecord& run) const {
    for (const auto& a : config_.agronomy) {
      if (a.zone != run.zone) continue;
      const double minutes =
          std::chrono::duration<double, std::ratio<60>>(run.end - run.start).count();
      return std::max(minutes, 0.0) * a.flow_lpm;
    }
    return 0;
  }

  std::unique_ptr<RunLog> run_log_;  // outlives actuation_, which reports to it until stopped
  RunFanout run_fanout_;
  std::unique_ptr<Actuation> actuation_;
  std::unique_ptr<Commands> commands_;  // destroyed before the supervisor it calls
  std::unique_ptr<RuleActions> rule_actions_;
  std::unique_ptr<rules::Engine> engine_;  // destroyed before the actions it calls
  std::unique_ptr<rules::Schedules> schedules_;
  std::unique_ptr<rules::EtRuntime> et_;
  boost::asio::steady_timer rules_timer_{io_};
  std::unique_ptr<Ingest> ingest_;
  std::vector<std::unique_ptr<sensors::Source>> sources_;
  sensors::camera::CameraFleet* cameras_ = nullptr;    // among sources_, when it started
  std::unique_ptr<http::auth::SessionAccess> access_;  // outlives the server that asks it
  std::unique_ptr<WebApi> web_;                        // likewise
  std::unique_ptr<ocop::OcopService> ocop_;            // likewise
  boost::asio::steady_timer ocop_timer_{io_};
  std::unique_ptr<http::HttpServer> http_;
  boost::asio::steady_timer ping_timer_{io_};
};

}  // namespace

Daemon::Daemon(config::Config config, config::EnvLookup env, Logger& log)
    : config_(std::move(config)), env_(std::move(env)), log_(log) {}

int Daemon::run() {
  SystemClock clock;
  SystemdNotifier notify;
  uplink::uplink_global_init();
  for (;;) {
    boost::asio::io_context io;
    std::optional<config::Config> next;
    auto instance = std::make_unique<Instance>(config_, io, clock, log_);
    if (auto r = instance->start(); !r) {
      log_.error("farmgate", "cannot start: " + r.error().message);
      instance->stop();
      return 1;
    }

    boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    std::function<void(boost::system::error_code, int)> on_signal =
        [&](boost::system::error_code ec, int sig) {
          if (ec) return;
          if (sig != SIGHUP) {
            log_.info("farmgate", "stopping on signal " + std::to_string(sig));
            io.stop();
            return;
          }
          notify.status("reloading " + config_.source_file);
          auto loaded = config::load_config(config_.source_file, env_);
          if (auto* c = std::get_if<config::Config>(&loaded)) {
            if (auto errors = rules::check_rules(*c); !errors.empty()) loaded = std::move(errors);
          }
          if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) {
            log_.error("farmgate", "reload refused, keeping the running configuration; " +
                                       std::to_string(errors->size()) + " problem(s) in " +
                                       config_.source_file + ":");
            for (const auto& e : *errors) log_.error("farmgate", e.to_string());
            notify.status("running; last reload refused (see the log)");
            signals.async_wait(on_signal);
            return;
          }
          log_.info("farmgate", "reloading " + config_.source_file);
          notify.reloading();
          next = std::get<config::Config>(std::move(loaded));
          io.stop();
        };
    signals.async_wait(on_signal);

    // The watchdog is fed from the event loop itself, so a stuck loop gets the service restarted.
    boost::asio::steady_timer watchdog(io);
    std::function<void()> feed = [&] {
      notify.watchdog();
      watchdog.expires_after(notify.watchdog_interval().value_or(std::chrono::seconds(10)));
      watchdog.async_wait([&](boost::system::error_code ec) {
        if (!ec) feed();
      });
    };
    feed();

    notify.ready();
    notify.status("running");
    log_.info("farmgate", "running for site " + config_.site);
    io.run();

    notify.stopping();
    instance->stop();
    if (!next) return 0;
    config_ = std::move(*next);
  }
}

}  // namespace farmgate::gateway
