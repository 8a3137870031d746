// Uplink: the framework that carries the outbox upstream for one configured uplink. It owns a
// thread, an Outbox (its own SQLite connection) and a sink (InfluxWriter unless a test gives
// another), and does the cross-cutting work once: batching, retry with jittered exponential
// backoff, Retry-After, shrinking batches on 413, dead letters, alarms and self-metrics.
//
// Delivery: lines are read in id order after the uplink's cursor; the cursor moves only after
// the server answered 2xx (or the batch was dead-lettered), so a crash or restart re-sends at most
// the batch in flight, which is harmless: the same series and time overwrite themselves.
//
// Threads: construct, start() and stop() from the thread that owns the daemon's lifecycle.
// notify() and delivered() may be called from any thread (notify() by the store after each
// commit). After stop() returns, the uplink's thread is gone and the sink is no longer called;
// an Uplink is started at most once. The Clock, Metrics, Logger and EventSink must outlive it.
//
// main() must call uplink_global_init() once, before any thread starts and before the first
// Uplink is created: it initialises libcurl, whose global setup is not thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"
#include "gateway/uplink/influx_writer.h"

namespace farmgate::uplink {

// Initialises libcurl for the whole process (curl_global_init). Call once from main(), before
// starting threads. Throws std::runtime_error if libcurl cannot initialise (start-up failure).
void uplink_global_init();

// The most bytes of lines put in one request (before gzip), whatever batch_max says.
inline constexpr std::size_t kMaxBatchBytes = 4 * 1024 * 1024;
// Consecutive failed attempts after which "uplink_unreachable" is raised.
inline constexpr int kUnreachableAfterFailures = 5;

class Uplink {
 public:
  // `db_path` is the store's SQLite file. `sink` null means an InfluxWriter built from `cfg`.
  Uplink(const config::UplinkConfig& cfg, std::string db_path, Clock& clock, Metrics& metrics,
         Logger& log, EventSink& events, std::unique_ptr<UplinkSink> sink = nullptr);
  ~Uplink();  // stops
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  // Optional, before start(): report as component "uplink/<name>" to /healthz — up while the
  // server takes writes, degraded while retrying (the data is safe in the outbox, so never down).
  // `health` must outlive the Uplink.
  void report_health_to(Health& health) { health_ = &health; }

  // Opens the outbox (the store must have migrated the file), builds the sink and starts the
  // thread. Expected failures: a bad config, an unusable database file.
  Result<void> start();

  // New lines were committed to the outbox: send them once enough are queued (batch_max) or the
  // first of them has waited batch_interval. Cheap and non-blocking; any thread. With a
  // FakeClock, notify() also makes the uplink look at the clock again.
  void notify();
  // The same, telling the newest outbox id too, so farmgate_outbox_backlog stays true while the
  // uplink thread sleeps through a long backoff.
  void notify(std::int64_t newest_id);

  // Wakes the thread, cancels an in-flight request (within about a second) and joins. Returns
  // within ~2 s even mid-backoff. Idempotent; any thread but the uplink's own.
  void stop();

  // The last outbox id delivered (acknowledged, skipped as evicted, or dead-lettered).
  std::int64_t delivered() const;

  const std::string& name() const { return cfg_.name; }

 private:
  struct Shared;  // what the metrics callbacks read; outlives this object if the registry does
  struct Loop;    // the thread's own state
  enum class Wake { stop, notified, timeout };

  void run();
  Wake wait(Millis d);
  bool sleep_for(Millis d);  // false when stopping
  void raise(Severity severity, const std::string& code, const std::string& message);
  void set_health(Health::Status status, const std::string& detail);

  const config::UplinkConfig cfg_;
  const std::string db_path_;
  const std::string source_;  // "uplink/<name>", for logs and events
  Clock& clock_;
  Metrics& metrics_;
  Logger& log_;
  EventSink& events_;
  Health* health_ = nullptr;
  std::unique_ptr<UplinkSink> sink_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Loop> loop_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  bool wake_ = false;  // guarded by mu_

  std::mutex lifecycle_mu_;  // serialises start() and stop()
  bool started_ = false;
  std::thread thread_;
};

}  // namespace farmgate::uplink
