#include "sensors/pulse/pulse_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace farmgate::sensors::pulse {
namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, so that a failing close (a full disk on some filesystems) is seen.
  int close() {
    const int fd = std::exchange(fd_, -1);
    return fd >= 0 ? ::close(fd) : 0;
  }

 private:
  int fd_;
};

const config::Device& device_of(const config::PulseSource& source, const config::Config& config) {
  const config::Device* d = config.find_device(source.device);
  if (d == nullptr || config.find_kind(d->kind) == nullptr) {
    throw std::invalid_argument("pulse source '" + source.name + "': device '" + source.device +
                                "' or its kind is not configured");
  }
  return *d;
}

std::string unit_of(const config::Config& config, const config::Device& d,
                    const std::string& metric) {
  const config::MetricSpec* spec = config.find_kind(d.kind)->find_metric(metric);
  return spec == nullptr ? std::string() : spec->unit;
}

std::string join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

}  // namespace

PulseSource::PulseSource(const config::PulseSource& source, const config::Config& config,
                         PulseServices services, PulseOpener open, Millis retry)
    : cfg_(source),
      device_(device_of(source, config)),
      rate_unit_(unit_of(config, device_, source.rate)),
      total_unit_(unit_of(config, device_, source.total)),
      calibrator_(config),
      total_path_(join(join(config.data_dir, "pulse"), source.name + ".total")),
      health_name_("pulse/" + source.name),
      s_(services),
      open_(std::move(open)),
      retry_(retry),
      edges_metric_(s_.metrics.counter("farmgate_pulse_edges_total",
                                       "Rising edges counted on pulse flow meter lines",
                                       {{"source", source.name}})),
      glitches_metric_(
          s_.metrics.counter("farmgate_pulse_glitches_total",
                             "Edges closer than debounce to the previous one, not counted",
                             {{"source", source.name}})),
      litres_metric_(s_.metrics.gauge("farmgate_pulse_litres_total",
                                      "The pulse flow meter's litre total as last published",
                                      {{"source", source.name}})) {}

PulseSource::~PulseSource() {
  stop();
}

Result<void> PulseSource::start() {
  if (counting_.joinable()) throw std::logic_error("PulseSource::start: already started");
  double total = 0;
  if (auto saved = load_total(); saved) {
    total = *saved;
  } else {
    raise(Severity::warning, "pulse_total_unreadable",
          "the saved litre total of " + cfg_.name + " could not be read (" + saved.error().message +
              "); counting restarts from 0");
  }
  // A line that cannot be opened yet (the chip not probed at boot, a line another program
  // holds) is not a start-up error: the counting thread retries it like a line that failed.
  auto input = open_(cfg_, "farmgate:" + cfg_.name);
  input_failed_ = false;
  if (input) {
    input_ = std::move(input).value();
  } else {
    input_.reset();
    set_input_failed(input.error().message);
  }
  const CounterSettings settings{cfg_.k_factor, cfg_.interval, cfg_.debounce, cfg_.idle_after};
  {
    std::lock_guard lock(mu_);
    counter_.emplace(settings, total, s_.clock.steady_now());
    stopping_ = false;
    queue_.clear();
  }
  saved_total_ = total;
  last_save_ = s_.clock.steady_now();
  litres_metric_.set(total);
  if (input_) {
    s_.health.set(health_name_, Health::Status::up, "counting on " + input_->describe());
    s_.log.info(health_name_,
                "counting on " + input_->describe() + " from " + std::to_string(total) + " L");
  }
  counting_ = std::thread([this] { count_loop(); });
  publishing_ = std::thread([this] { publish_loop(); });
  return {};
}

void PulseSource::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (counting_.joinable()) counting_.join();
  if (publishing_.joinable()) publishing_.join();
  input_.reset();
  std::optional<double> total;
  {
    std::lock_guard lock(mu_);
    if (counter_) total = counter_->total_l();
  }
  if (total && *total != saved_total_) save_total(*total);
}

double PulseSource::total_l() const {
  std::lock_guard lock(mu_);
  return counter_ ? counter_->total_l() : 0;
}

void PulseSource::count_loop() {
  std::vector<SteadyTime> edges;
  while (true) {
    SteadyTime due;
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      if (!input_) {
        // A failed line: try again every retry_, or leave at once on stop().
        lock.unlock();
        auto input = open_(cfg_, "farmgate:" + cfg_.name);
        if (!input) {
          set_input_failed(input.error().message);
          lock.lock();
          wake_.wait_for(lock, retry_, [this] { return stopping_; });
          continue;
        }
        input_ = std::move(input).value();
        if (std::exchange(input_failed_, false)) {
          raise(Severity::info, "pulse_input_recovered",
                cfg_.name + ": counting again on " + input_->describe());
        }
        s_.health.set(health_name_, Health::Status::up, "counting on " + input_->describe());
        continue;
      }
      due = counter_->next_due();
    }
    const auto left = std::chrono::ceil<Millis>(due - s_.clock.steady_now());
    edges.clear();
    auto waited = input_->wait(std::clamp(left, Millis{0}, kPoll), edges);
    if (!waited) {
      input_.reset();
      set_input_failed(waited.error().message);
      continue;
    }
    std::uint64_t counted = 0, glitches = 0;
    bool queued = false;
    {
      std::lock_guard lock(mu_);
      const std::uint64_t counted_before = counter_->counted();
      const std::uint64_t glitches_before = counter_->glitches();
      const auto push = [&](const FlowSample& s) {
        queue_.push_back(Pending{
            s, s_.clock.now(), s_.clock.synchronised() ? Quality::good : Quality::clock_unsynced});
        if (queue_.size() > kQueueMax) queue_.pop_front();
        queued = true;
      };
      for (SteadyTime at : edges) {
        if (auto s = counter_->edge(at)) push(*s);
      }
      if (auto s = counter_->tick(s_.clock.steady_now())) push(*s);
      counted = counter_->counted() - counted_before;
      glitches = counter_->glitches() - glitches_before;
    }
    if (counted > 0) edges_metric_.inc(counted);
    if (glitches > 0) glitches_metric_.inc(glitches);
    if (queued) wake_.notify_all();
  }
}

void PulseSource::set_input_failed(const std::string& why) {
  s_.health.set(health_name_, Health::Status::down, why);
  if (std::exchange(input_failed_, true)) return;
  raise(Severity::alarm, "pulse_input_failed",
        cfg_.name + ": the flow meter's GPIO line failed (" + why + "); retrying every " +
            std::to_string(retry_.count() / 1000) + " s");
}

void PulseSource::publish_loop() {
  while (true) {
    std::deque<Pending> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch.swap(queue_);
    }
    for (const Pending& pending : batch) publish(pending);
    const double total = batch.back().sample.total_l;
    const SteadyTime now = s_.clock.steady_now();
    if (total != saved_total_ && (!last_save_ || now - *last_save_ >= cfg_.save_interval)) {
      save_total(total);
    }
  }
}

void PulseSource::publish(const Pending& pending) {
  const FlowSample& sample = pending.sample;
  const Timestamp time = pending.time;
  const Quality quality = pending.quality;
  ReadingBatch batch{
      Reading{device_.id, device_.zone, device_.kind, cfg_.rate, sample.rate_lpm, rate_unit_, time,
              quality},
      Reading{device_.id, device_.zone, device_.kind, cfg_.total, sample.total_l, total_unit_, time,
              quality},
  };
  Result<void> done = calibrator_.apply(batch);
  std::string reason;  // the metric label: the calibrator's code, or "store"
  if (!done) {
    reason = done.error().code;
  } else if (done = s_.sink.accept(std::move(batch)); !done) {
    reason = "store";
  }
  if (!done) {
    s_.metrics
        .counter("farmgate_pulse_refused_total",
                 "Pulse flow meter readings refused (out of range) or not stored",
                 {{"source", cfg_.name}, {"reason", reason}})
        .inc();
    if (!std::exchange(refusing_, true)) {
      raise(Severity::warning, "pulse_reading_refused",
            cfg_.name + ": a reading was refused: " + done.error().message +
                (reason == "out_of_range" ? "; check k_factor and the wiring" : ""));
    }
    return;
  }
  refusing_ = false;
  litres_metric_.set(sample.total_l);
}

void PulseSource::save_total(double litres) {
  last_save_ = s_.clock.steady_now();
  const std::filesystem::path path(total_path_);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const std::string tmp = total_path_ + ".tmp";
  const auto fail = [&](const std::string& what, int err) {
    s_.log.error(health_name_, "cannot save the litre total to " + total_path_ + ": " + what +
                                   ": " + errno_text(err));
  };
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return fail("open " + tmp, errno);
    char text[64];
    const int n = std::snprintf(text, sizeof text, "%.6f\n", litres);
    if (::write(fd.get(), text, static_cast<std::size_t>(n)) != n) return fail("write", errno);
    if (::fsync(fd.get()) != 0) return fail("fsync", errno);
    if (fd.close() != 0) return fail("close", errno);
  }
  if (::rename(tmp.c_str(), total_path_.c_str()) != 0) return fail("rename", errno);
  // The rename itself is durable only once the directory is synced.
  Fd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) (void)::fsync(dir.get());
  saved_total_ = litres;
}

Result<double> PulseSource::load_total() const {
  std::ifstream in(total_path_);
  if (!in) {
    if (!std::filesystem::exists(total_path_)) return 0.0;  // a new meter
    return make_error("unreadable", "cannot open " + total_path_);
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  char* end = nullptr;
  const double litres = std::strtod(s.c_str(), &end);
  while (end != nullptr && (*end == '\n' || *end == ' ')) ++end;
  if (s.empty() || end == s.c_str() || *end != '\0' || !std::isfinite(litres) || litres < 0) {
    return make_error("corrupt", total_path_ + " does not hold a litre total");
  }
  return litres;
}

void PulseSource::raise(Severity severity, std::string code, std::string message) {
  if (severity == Severity::info) {
    s_.log.info(health_name_, message);
  } else {
    s_.log.warn(health_name_, message);
  }
  s_.events.raise(
      Event{severity, std::move(code), health_name_, std::move(message), s_.clock.now()});
}

}  // namespace farmgate::sensors::pulse
