#include "gateway/daemon.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/health.h"
#include "core/metrics.h"
#include "gateway/actuation.h"
#include "gateway/commands.h"
#include "gateway/events.h"
#include "gateway/http/ops_routes.h"
#include "gateway/http/server.h"
#include "gateway/ingest.h"
#include "gateway/mqtt_client.h"
#include "gateway/run_log.h"
#include "gateway/store/journal.h"
#include "gateway/store/store.h"
#include "gateway/systemd_notify.h"
#include "gateway/uplink/uplink.h"
#include "sensors/mqtt_json_source.h"

namespace farmgate::gateway {
namespace {

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
      auto uplink = std::make_unique<uplink::Uplink>(u, config_.store.path, clock_, metrics_, log_,
                                                     events_);
      uplink->report_health_to(health_);
      if (auto r = uplink->start(); !r) return r.error();
      uplinks_.push_back(std::move(uplink));
    }

    bus_ = std::make_unique<PahoBus>(io_, config_.mqtt, config_.site, metrics_, log_, health_);
    events_.attach(store_.get(), bus_.get());
    ingest_ = std::make_unique<Ingest>(*journal_, *store_);
    for (const auto& s : config_.mqtt_sources) {
      auto source = sensors::MqttJsonSource::create(s, config_, *bus_, *ingest_, clock_, metrics_,
                                                    log_);
      if (!source) return source.error();
      if (auto r = (*source)->start(); !r) return r.error();
      sources_.push_back(std::move(*source));
    }
    // Actuators subscribe before the bus connects; the supervisor drives everything off as soon
    // as the broker answers, before it accepts any command.
    run_log_ = std::make_unique<RunLog>(config_.site, config_.actuators, *store_, *bus_);
    actuation_ = std::make_unique<Actuation>(config_, io_, *bus_, health_, clock_, events_, log_,
                                             run_log_.get());
    if (auto r = actuation_->start(); !r) return r.error();
    commands_ =
        std::make_unique<Commands>(config_.site, *bus_, io_, actuation_->supervisor(), log_);
    commands_->subscribe();
    if (auto r = bus_->start(); !r) return r.error();

    http_ = std::make_unique<http::HttpServer>(io_, config_.http, log_, metrics_);
    http::register_ops_routes(*http_, health_, metrics_);
    if (auto r = http_->start(); !r) return r.error();
    return {};
  }

  // Reverse order. Sources first so nothing new arrives; the store commits what it holds.
  void stop() {
    for (auto& s : sources_) s->stop();
    if (commands_) commands_->stop();
    if (actuation_) actuation_->stop();
    if (bus_) bus_->stop();
    if (http_) http_->stop();
    events_.detach();
    if (store_) store_->stop();
    for (auto& u : uplinks_) u->stop();
  }

  Health& health() { return health_; }

 private:
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
  std::unique_ptr<RunLog> run_log_;  // outlives actuation_, which reports to it until stopped
  std::unique_ptr<Actuation> actuation_;
  std::unique_ptr<Commands> commands_;  // destroyed before the supervisor it calls
  std::unique_ptr<Ingest> ingest_;
  std::vector<std::unique_ptr<sensors::Source>> sources_;
  std::unique_ptr<http::HttpServer> http_;
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
