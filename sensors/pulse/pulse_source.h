// PulseSource: one pulse flow meter on a GPIO line (config sources[] of type gpio_pulse), as a
// sensors::Source. Its readings are the device's `rate` (L/min) and `total` (litres) metrics —
// what lines[].flow and the safety supervisor's flow checks read — every `interval` and at once
// when the water starts or stops (pulse_counter.h has the arithmetic). They are calibrated and
// range checked by the same Calibrator as every source (sensors/calibration.h): a rate above the
// kind's max is refused, which usually means a wrong k_factor or a noisy line.
//
// The litre total survives restarts: it is saved in <data_dir>/pulse/<name>.total (written to a
// temporary file, synced and renamed over the old one) at most every save_interval and at stop(),
// and read back by start(). The store's readings would not do: the source would need the store,
// and the last stored total can be older than the last saved one. After a power cut the total
// restarts from the last save, up to save_interval behind; consumers of the counter (FlowWatch)
// already treat a counter that goes back as a restart.
//
// Threads: start() opens the line and starts two threads. The counting thread waits for edges
// (never longer than kPoll, so stop() is prompt) and never blocks on anything else: the kernel
// keeps only 16 edges per line, so a slow store must not hold it up. The publishing thread hands
// readings to the ReadingSink (which may block) and saves the total. A line that fails (unplugged
// chip, lost request) is reopened every kRetry; meanwhile health is down and an alarm is raised.
// start() and stop() are called from the owner thread; after stop() nothing more is handed over.
// stop() joins both threads (a publish under way finishes first) and saves the total on the
// caller's thread: one small file write and fsync.
//
// Self-metrics (label source=<name>): farmgate_pulse_edges_total, farmgate_pulse_glitches_total,
// farmgate_pulse_refused_total{reason: out_of_range, unknown_metric, store}, and
// farmgate_pulse_litres_total (gauge).
// Events (source pulse/<name>): pulse_input_failed (alarm), pulse_input_recovered (info),
// pulse_reading_refused (warning, once until a reading is accepted again), pulse_total_unreadable
// (warning: the saved total could not be read; counting restarts from 0).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sink.h"
#include "sensors/calibration.h"
#include "sensors/pulse/pulse_counter.h"
#include "sensors/pulse/pulse_input.h"
#include "sensors/source.h"

namespace farmgate::sensors::pulse {

// What a pulse source needs from the gateway; each must outlive the source.
struct PulseServices {
  ReadingSink& sink;
  EventSink& events;
  Health& health;
  Metrics& metrics;
  const Clock& clock;
  Logger& log;
};

class PulseSource final : public Source {
 public:
  static constexpr Millis kPoll{200};    // longest wait for edges: bounds stop()
  static constexpr Millis kRetry{5000};  // between attempts to reopen a failed line

  // `source` must be one of `config.pulse_sources` (the config is copied from; it need not
  // outlive the source). The total is kept under config.data_dir.
  // `retry` is kRetry but for tests. Throws std::invalid_argument when the source's device or its
  // kind is not in `config` (a config that loaded never has that).
  PulseSource(const config::PulseSource& source, const config::Config& config,
              PulseServices services, PulseOpener open = open_gpio_pulse_input,
              Millis retry = kRetry);
  ~PulseSource() override;
  PulseSource(const PulseSource&) = delete;
  PulseSource& operator=(const PulseSource&) = delete;

  const std::string& name() const override { return cfg_.name; }
  // Reads the saved total, opens the line and starts the threads. A line that cannot be opened
  // raises pulse_input_failed and is retried every kRetry, as one that fails later; start()
  // itself always succeeds. Starting a started source is a programming error.
  Result<void> start() override;
  // Stops both threads, then saves the total.
  void stop() override;

  // The litre total now (counted so far plus what was saved). Any thread.
  double total_l() const;
  // Where the total is saved.
  const std::string& total_path() const { return total_path_; }

 private:
  // A reading made by the counting thread, stamped then rather than when the sink takes it.
  struct Pending {
    FlowSample sample;
    Timestamp time;
    Quality quality;
  };

  void count_loop();
  void publish_loop();
  void publish(const Pending& pending);
  void set_input_failed(const std::string& why);
  void save_total(double litres);
  Result<double> load_total() const;
  void raise(Severity severity, std::string code, std::string message);

  const config::PulseSource cfg_;
  const config::Device device_;
  const std::string rate_unit_;
  const std::string total_unit_;
  const Calibrator calibrator_;
  const std::string total_path_;
  const std::string health_name_;
  PulseServices s_;
  const PulseOpener open_;
  const Millis retry_;

  Counter& edges_metric_;
  Counter& glitches_metric_;
  Gauge& litres_metric_;

  std::unique_ptr<PulseInput> input_;    // counting thread only, once started
  std::optional<PulseCounter> counter_;  // guarded by mu_
  bool input_failed_ = false;            // counting thread only
  bool refusing_ = false;                // publishing thread only
  std::optional<SteadyTime> last_save_;  // publishing thread only, then stop()
  double saved_total_ = -1;              // publishing thread only, then stop()

  mutable std::mutex mu_;
  std::condition_variable wake_;
  static constexpr std::size_t kQueueMax = 64;  // readings waiting while the sink is slow
  std::deque<Pending> queue_;                   // guarded by mu_; oldest dropped past kQueueMax
  bool stopping_ = false;                       // guarded by mu_
  std::thread counting_;
  std::thread publishing_;
};

}  // namespace farmgate::sensors::pulse
