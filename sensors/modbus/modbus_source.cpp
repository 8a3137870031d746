#include "sensors/modbus/modbus_source.h"

#include <algorithm>
#include <chrono>

namespace farmgate::sensors::modbus {
namespace {

constexpr Millis kBackoffMin = std::chrono::seconds{1};
constexpr Millis kBackoffMax = std::chrono::seconds{30};
constexpr auto kLogEvery = std::chrono::minutes{1};

std::string describe(const config::ModbusDevice& d) {
  return d.device + " (slave " + std::to_string(d.slave) + ")";
}

}  // namespace

struct ModbusSource::Device {
  Device(const config::ModbusDevice& c, const config::Config& config, Metrics& m)
      : cfg(c),
        decoder(c, config),
        polls(m.counter("farmgate_modbus_polls_total", "Modbus polls the device answered",
                        {{"device", c.device}})),
        poll_failures(m.counter("farmgate_modbus_poll_failures_total",
                                "Modbus polls the device did not answer", {{"device", c.device}})),
        readings(m.counter("farmgate_modbus_readings_total", "Readings handed on from Modbus",
                           {{"device", c.device}})),
        consecutive(m.gauge("farmgate_modbus_consecutive_failures", "Modbus polls failed in a row",
                            {{"device", c.device}})),
        last_success(m.gauge("farmgate_modbus_last_success_timestamp_seconds",
                             "When the device last answered (Unix time; 0 = not yet)",
                             {{"device", c.device}})),
        offline_gauge(m.gauge("farmgate_modbus_device_offline",
                              "1 while the device is declared offline", {{"device", c.device}})) {}

  const config::ModbusDevice& cfg;
  DeviceDecoder decoder;
  SteadyTime due{};
  std::size_t failures = 0;  // in a row
  bool offline = false;
  Timestamp offline_since{};
  Counter& polls;
  Counter& poll_failures;
  Counter& readings;
  Gauge& consecutive;
  Gauge& last_success;
  Gauge& offline_gauge;
};

// At most one line a minute per key, with the count of lines it held back. Worker thread only.
class ModbusSource::LogLimiter {
 public:
  LogLimiter(Logger& log, Clock& clock, std::string component)
      : log_(log), clock_(clock), component_(std::move(component)) {}

  void log(LogLevel level, const std::string& key, const std::string& line) {
    Muted& m = muted_[key];
    const SteadyTime now = clock_.steady_now();
    if (m.last && now - *m.last < kLogEvery) {
      ++m.count;
      return;
    }
    std::string text = line;
    if (m.count > 0) text += " [" + std::to_string(m.count) + " more like it in the last minute]";
    m.last = now;
    m.count = 0;
    log_.log(level, component_, text);
  }

 private:
  struct Muted {
    std::optional<SteadyTime> last;
    std::uint64_t count = 0;
  };
  Logger& log_;
  Clock& clock_;
  std::string component_;
  std::map<std::string, Muted> muted_;
};

ModbusSource::ModbusSource(const config::ModbusSource& source, const config::Config& config,
                           ReadingSink& sink, EventSink& events, Health& health, Metrics& metrics,
                           Clock& clock, Logger& log)
    : source_(source),
      sink_(sink),
      events_(events),
      health_(health),
      metrics_(metrics),
      clock_(clock),
      log_(log),
      component_("modbus/" + source.name),
      link_(source),
      limiter_(std::make_unique<LogLimiter>(log, clock, component_)),
      backoff_(kBackoffMin),
      connected_(metrics.gauge("farmgate_modbus_connected", "1 while the Modbus bus is open",
                               {{"source", source.name}})),
      connects_(metrics.counter("farmgate_modbus_connects_total", "Times the Modbus bus was opened",
                                {{"source", source.name}})),
      requests_(metrics.counter("farmgate_modbus_requests_total", "Modbus read requests sent",
                                {{"source", source.name}})),
      store_errors_(metrics.counter("farmgate_modbus_store_errors_total",
                                    "Modbus polls the store could not take",
                                    {{"source", source.name}})) {
  devices_.reserve(source.devices.size());
  for (const auto& d : source.devices) {
    devices_.push_back(std::make_unique<Device>(d, config, metrics));
    // Registered up front so /metrics shows zeros, not gaps, for the common reasons.
    for (const char* reason : {"out_of_range", "not_finite"}) rejected(*devices_.back(), reason);
  }
  for (const char* reason : {"link", "timeout", "exception", "bad_frame"}) request_errors(reason);
}

ModbusSource::~ModbusSource() {
  stop();
}

Counter& ModbusSource::request_errors(const std::string& reason) {
  return metrics_.counter("farmgate_modbus_request_errors_total",
                          "Modbus requests that failed, by reason",
                          {{"source", source_.name}, {"reason", reason}});
}

Counter& ModbusSource::rejected(const Device& d, const std::string& reason) {
  return metrics_.counter("farmgate_modbus_rejected_total",
                          "Modbus polls whose values were refused, by reason",
                          {{"device", d.cfg.device}, {"reason", reason}});
}

Result<void> ModbusSource::start() {
  if (worker_.joinable()) return make_error("started", "source " + source_.name + " runs already");
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  if (!source_.tcp() && !source_.port.starts_with("/dev/serial/by-id/")) {
    log_.info(component_, source_.port +
                              ": ttyUSB numbers can change when adapters are plugged in another "
                              "order; /dev/serial/by-id/... names stay");
  }
  health_.set(component_, Health::Status::degraded, "opening " + link_.describe());
  last_status_ = Health::Status::degraded;
  worker_ = std::thread([this] { run(); });
  return {};
}

void ModbusSource::stop() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  health_.remove(component_);
}

bool ModbusSource::wait_until(SteadyTime t) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return false;
    const SteadyTime now = clock_.steady_now();
    if (now >= t) return true;
    wake_.wait_for(lock, t - now);
  }
}

void ModbusSource::run() {
  const SteadyTime start = clock_.steady_now();
  for (auto& d : devices_) d->due = start;
  while (!devices_.empty()) {
    Device* next = devices_.front().get();
    for (auto& d : devices_) {
      if (d->due < next->due) next = d.get();
    }
    if (!wait_until(next->due)) break;
    poll(*next);
    // Keep the cadence; after a stall, skip the polls that are already late instead of
    // bunching them up.
    const SteadyTime now = clock_.steady_now();
    next->due += next->cfg.interval;
    if (next->due <= now) {
      const auto late = (now - next->due) / next->cfg.interval + 1;
      next->due += late * next->cfg.interval;
    }
    update_health();
  }
  link_.close();
  connected_.set(0);
}

bool ModbusSource::connect() {
  if (clock_.steady_now() < reconnect_at_) return false;
  auto r = link_.connect();
  if (!r) {
    link_error_ = r.error().message;
    reconnect_at_ = clock_.steady_now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kBackoffMax);
    limiter_->log(LogLevel::warning, "link", link_error_);
    return false;
  }
  link_error_.clear();
  backoff_ = kBackoffMin;
  connects_.inc();
  connected_.set(1);
  log_.info(component_, "opened " + link_.describe());
  return true;
}

void ModbusSource::poll(Device& d) {
  if (!link_.connected() && !connect()) {
    failed(d, make_error("link",
                         link_error_.empty() ? link_.describe() + " is not open" : link_error_));
    return;
  }
  const auto& reads = d.decoder.reads();
  std::vector<std::vector<std::uint16_t>> words(reads.size());
  // A device already offline gets one attempt, so that it costs the others one timeout a poll.
  const int attempts = d.offline ? 1 : 1 + source_.retries;
  for (std::size_t i = 0; i < reads.size(); ++i) {
    std::optional<Error> last;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (last_request_ && !wait_until(*last_request_ + source_.frame_gap)) return;
      if (!link_.connected() && !connect()) break;
      requests_.inc();
      auto r = link_.read(d.cfg.slave, reads[i], words[i]);
      last_request_ = clock_.steady_now();
      if (r) {
        last.reset();
        break;
      }
      last = r.error();
      request_errors(last->code).inc();
      if (last->code == "link") {
        link_.close();
        connected_.set(0);
        link_error_ = last->message;
      } else if (last->code == "exception") {
        break;  // asking again gets the same answer
      } else {
        link_.flush();  // a late answer must not pass for the next one
      }
    }
    if (last || !link_.connected()) {
      failed(d, last ? *last : make_error("link", link_error_));
      return;
    }
  }
  answered(d, words);
}

void ModbusSource::failed(Device& d, const Error& why) {
  ++d.failures;
  d.poll_failures.inc();
  d.consecutive.set(static_cast<double>(d.failures));
  if (!d.offline) {
    limiter_->log(LogLevel::warning, d.cfg.device + "/" + why.code,
                  describe(d.cfg) + " did not answer (" + why.code + "): " + why.message);
  }
  if (d.offline || d.failures < source_.offline_after) return;
  d.offline = true;
  d.offline_since = clock_.now();
  d.offline_gauge.set(1);
  const std::string message = describe(d.cfg) + " on " + link_.describe() +
                              " stopped answering: " + std::to_string(d.failures) +
                              " polls failed in a row (last: " + why.message + ")";
  log_.error(component_, message);
  events_.raise(Event{Severity::alarm, "modbus_device_offline", component_, message, clock_.now()});
}

void ModbusSource::answered(Device& d, const std::vector<std::vector<std::uint16_t>>& words) {
  const Timestamp now = clock_.now();
  if (d.offline) {
    const auto away = std::chrono::duration_cast<std::chrono::seconds>(now - d.offline_since);
    const std::string message = describe(d.cfg) + " answers again after " +
                                std::to_string(d.failures) + " failed polls (offline " +
                                std::to_string(away.count()) + " s)";
    log_.info(component_, message);
    events_.raise(Event{Severity::info, "modbus_device_online", component_, message, now});
    d.offline = false;
    d.offline_gauge.set(0);
  }
  d.failures = 0;
  d.consecutive.set(0);
  d.polls.inc();
  d.last_success.set(static_cast<double>(to_epoch_ms(now)) / 1000.0);

  auto batch = d.decoder.decode(words, now, clock_.synchronised());
  if (!batch) {
    rejected(d, batch.error().code).inc();
    limiter_->log(LogLevel::warning, d.cfg.device + "/" + batch.error().code,
                  "refused a poll of " + describe(d.cfg) + " (" + batch.error().code +
                      "): " + batch.error().message);
    return;
  }
  const std::size_t n = batch->size();
  // The device keeps its values; the next poll is the retry, so a store error drops this one.
  auto stored = sink_.accept(std::move(batch).value());
  if (!stored) {
    store_errors_.inc();
    limiter_->log(LogLevel::error, "store",
                  "could not store a poll of " + describe(d.cfg) + ": " + stored.error().message);
    return;
  }
  d.readings.inc(n);
}

void ModbusSource::update_health() {
  Health::Status status = Health::Status::up;
  std::string detail;
  std::size_t offline = 0;
  std::string names;
  for (const auto& d : devices_) {
    if (!d->offline) continue;
    ++offline;
    if (offline <= 3) names += (names.empty() ? "" : ", ") + d->cfg.device;
  }
  if (!link_.connected() && !link_error_.empty()) {
    status = Health::Status::down;
    detail = link_error_;
  } else if (offline > 0) {
    status = offline == devices_.size() ? Health::Status::down : Health::Status::degraded;
    detail = std::to_string(offline) + " of " + std::to_string(devices_.size()) +
             " devices offline on " + link_.describe() + ": " + names +
             (offline > 3 ? ", ..." : "");
  } else {
    detail = "polling " + std::to_string(devices_.size()) + " devices on " + link_.describe();
  }
  if (status == last_status_ && detail == last_detail_) return;
  last_status_ = status;
  last_detail_ = detail;
  health_.set(component_, status, detail);
}

}  // namespace farmgate::sensors::modbus
