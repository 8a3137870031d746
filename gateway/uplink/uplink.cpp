#include "gateway/uplink/uplink.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gateway/uplink/outbox.h"

namespace farmgate::uplink {
namespace {

// While nothing is queued the thread waits for notify(); this re-check is the safety net for
// lines added without one (another process, or a person replaying dead letters with sqlite3).
constexpr Millis kIdleRecheck = std::chrono::seconds(60);
// No single wait is longer than this, so that a huge configured value cannot overflow the
// condition variable's deadline.
constexpr Millis kLongestWait = std::chrono::hours(24);
constexpr Millis kLongestRetryAfter = std::chrono::hours(1);

const char* const kPointsTotal = "farmgate_uplink_points_total";
const char* const kRequestsTotal = "farmgate_uplink_requests_total";
const char* const kErrorsTotal = "farmgate_uplink_errors_total";
const char* const kDeadLetterTotal = "farmgate_uplink_dead_letter_batches_total";
const char* const kBacklog = "farmgate_outbox_backlog";
const char* const kRequestSeconds = "farmgate_uplink_request_seconds";
const char* const kLastSuccess = "farmgate_uplink_last_success_timestamp_seconds";

std::string join_lines(const std::vector<OutboxRow>& rows) {
  std::size_t size = 0;
  for (const auto& r : rows) size += r.line.size() + 1;
  std::string body;
  body.reserve(size);
  for (const auto& r : rows) {
    body += r.line;
    if (body.empty() || body.back() != '\n') body.push_back('\n');
  }
  return body;
}

std::string ids(const std::vector<OutboxRow>& rows) {
  return rows.size() == 1 ? "outbox id " + std::to_string(rows.front().id)
                          : "outbox ids " + std::to_string(rows.front().id) + "–" +
                                std::to_string(rows.back().id);
}

}  // namespace

void uplink_global_init() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("libcurl failed to initialise");
  }
}

struct Uplink::Shared {
  std::atomic<std::int64_t> newest{0};
  std::atomic<std::int64_t> delivered{0};
};

struct Uplink::Loop {
  Loop(Outbox box, std::size_t limit) : outbox(std::move(box)), batch_limit(limit) {}

  Outbox outbox;
  std::mt19937_64 rng{std::random_device{}()};
  std::size_t batch_limit;  // lines per request; halved on 413, for the rest of the run
  int failures = 0;         // failed attempts in a row, for backoff and "unreachable"
  int store_failures = 0;   // the same for our SQLite connection
  bool unreachable_alarmed = false;
  bool misconfigured_alarmed = false;
  // When the oldest undelivered line was first seen; a batch goes once it has waited
  // batch_interval or batch_max lines are queued.
  std::optional<SteadyTime> pending_since;
  // Send without waiting for batch_interval: a wait ran out (in real time), or lines were queued
  // at start() and have waited for an unknown time already (probably across a restart).
  bool due = false;
};

Uplink::Uplink(const config::UplinkConfig& cfg, std::string db_path, Clock& clock, Metrics& metrics,
               Logger& log, EventSink& events, std::unique_ptr<UplinkSink> sink)
    : cfg_(cfg),
      db_path_(std::move(db_path)),
      source_("uplink/" + cfg.name),
      clock_(clock),
      metrics_(metrics),
      log_(log),
      events_(events),
      sink_(std::move(sink)),
      shared_(std::make_shared<Shared>()) {
  const Labels labels{{"uplink", cfg_.name}};
  // Registered up front so that every series shows (at 0) before anything happens.
  metrics_.counter(kPointsTotal, "Points the uplink's server acknowledged.", labels);
  for (const char* outcome : {"delivered", "retry", "reject"}) {
    metrics_.counter(kRequestsTotal, "Write requests by outcome.",
                     {{"uplink", cfg_.name}, {"outcome", outcome}});
  }
  metrics_.counter(kDeadLetterTotal, "Batches the server refused for good, kept in dead_letter.",
                   labels);
  metrics_.histogram(kRequestSeconds, "Duration of write requests.",
                     {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, labels);
  metrics_.gauge(kLastSuccess, "When the server last acknowledged a batch (Unix seconds).", labels);
  metrics_.gauge_fn(
      kBacklog, "Outbox lines not yet delivered by this uplink.", labels, [shared = shared_] {
        return static_cast<double>(
            std::max<std::int64_t>(0, shared->newest.load() - shared->delivered.load()));
      });
}

Uplink::~Uplink() {
  stop();
}

Result<void> Uplink::start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (started_) return make_error("uplink_state", source_ + " is already started");
  {
    std::lock_guard lock(mu_);
    if (stop_) return make_error("uplink_state", source_ + " was stopped; build a new one");
  }
  auto box = Outbox::open(db_path_, cfg_.name);
  if (!box) return box.error();
  if (!sink_) {
    auto writer = InfluxWriter::create(cfg_, clock_);
    if (!writer) return writer.error();
    log_.info(source_, "writing to " + (*writer)->endpoint());
    sink_ = std::move(*writer);
  }
  auto newest = box->newest_id();
  if (!newest) return newest.error();
  shared_->newest = *newest;
  shared_->delivered = box->delivered();
  log_.info(source_, "started at outbox id " + std::to_string(box->delivered()) + ", " +
                         std::to_string(std::max<std::int64_t>(0, *newest - box->delivered())) +
                         " lines queued");
  set_health(Health::Status::up, "started");
  loop_ = std::make_unique<Loop>(std::move(*box), std::max<std::size_t>(1, cfg_.batch_max));
  loop_->due = *newest > loop_->outbox.delivered();
  thread_ = std::thread([this] { run(); });
  started_ = true;
  return {};
}

void Uplink::notify() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void Uplink::notify(std::int64_t newest_id) {
  if (shared_) {
    std::int64_t cur = shared_->newest.load();
    while (cur < newest_id && !shared_->newest.compare_exchange_weak(cur, newest_id)) {
    }
  }
  notify();
}

void Uplink::stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (sink_) sink_->cancel();
  if (thread_.joinable()) thread_.join();
}

std::int64_t Uplink::delivered() const {
  return shared_->delivered.load();
}

Uplink::Wake Uplink::wait(Millis d) {
  std::unique_lock lock(mu_);
  const bool woken =
      cv_.wait_for(lock, std::clamp(d, Millis{0}, kLongestWait), [this] { return stop_ || wake_; });
  if (stop_) return Wake::stop;
  if (!woken) return Wake::timeout;
  wake_ = false;
  return Wake::notified;
}

bool Uplink::sleep_for(Millis d) {
  // The deadline is on the injected clock; a wait that runs its full length in real time ends
  // the sleep too, so a FakeClock nobody advances cannot hang the thread.
  const SteadyTime deadline = clock_.steady_now() + d;
  for (;;) {
    const SteadyTime now = clock_.steady_now();
    if (now >= deadline) return true;
    switch (wait(std::chrono::ceil<Millis>(deadline - now))) {
      case Wake::stop:
        return false;
      case Wake::timeout:
        return true;
      case Wake::notified:
        break;  // new lines don't cut a backoff short
    }
  }
}

void Uplink::raise(Severity severity, const std::string& code, const std::string& message) {
  events_.raise(Event{severity, code, source_, message, clock_.now()});
}

void Uplink::set_health(Health::Status status, const std::string& detail) {
  if (health_ != nullptr) health_->set(source_, status, detail);
}

void Uplink::run() {
  // Nothing may escape the thread: an exception here would terminate the daemon.
  try {
    Loop& L = *loop_;
    const Labels labels{{"uplink", cfg_.name}};
    Counter& points = metrics_.counter(kPointsTotal, "", labels);
    Counter& delivered_requests =
        metrics_.counter(kRequestsTotal, "", {{"uplink", cfg_.name}, {"outcome", "delivered"}});
    Counter& retry_requests =
        metrics_.counter(kRequestsTotal, "", {{"uplink", cfg_.name}, {"outcome", "retry"}});
    Counter& reject_requests =
        metrics_.counter(kRequestsTotal, "", {{"uplink", cfg_.name}, {"outcome", "reject"}});
    Counter& dead_letters = metrics_.counter(kDeadLetterTotal, "", labels);
    Histogram& seconds = metrics_.histogram(kRequestSeconds, "", {}, labels);
    Gauge& last_success = metrics_.gauge(kLastSuccess, "", labels);
    auto error_counter = [&](const std::string& kind) -> Counter& {
      return metrics_.counter(kErrorsTotal, "Failed write attempts and local errors, by kind.",
                              {{"uplink", cfg_.name}, {"kind", kind.empty() ? "other" : kind}});
    };

    const Millis backoff_min = std::max(cfg_.backoff_min, Millis{1});
    const Millis backoff_max = std::max(cfg_.backoff_max, backoff_min);
    // Full jitter: uniform between backoff_min and an exponentially growing cap.
    auto backoff = [&](int failures) {
      const double factor = std::ldexp(1.0, std::clamp(failures - 1, 0, 40));
      const double cap = std::min(static_cast<double>(backoff_max.count()),
                                  static_cast<double>(backoff_min.count()) * factor);
      std::uniform_real_distribution<double> dist(static_cast<double>(backoff_min.count()), cap);
      return Millis{static_cast<std::int64_t>(dist(L.rng))};
    };
    bool healthy = true;  // as last reported, so that a healthy uplink does not take the lock
    auto report = [&](bool ok, const std::string& detail) {
      if (ok && healthy) return;
      healthy = ok;
      set_health(ok ? Health::Status::up : Health::Status::degraded, detail);
    };
    // Our own database failed (locked for long, disk full...): the data is safe where it is.
    auto store_failed = [&](const Error& e) {
      error_counter("store").inc();
      report(false, "outbox: " + e.message);
      if (L.store_failures++ == 0) log_.error(source_, "outbox: " + e.message);
      return sleep_for(backoff(L.store_failures));
    };
    auto publish_cursor = [&] { shared_->delivered = L.outbox.delivered(); };
    auto recovered = [&] {
      L.failures = 0;
      if (L.unreachable_alarmed || L.misconfigured_alarmed) {
        L.unreachable_alarmed = L.misconfigured_alarmed = false;
        log_.info(source_, "the server accepts writes again");
        raise(Severity::info, "uplink_recovered", cfg_.name + ": the server accepts writes again");
      }
    };

    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      auto newest = L.outbox.newest_id();
      if (!newest) {
        if (!store_failed(newest.error())) return;
        continue;
      }
      shared_->newest = *newest;
      const std::int64_t backlog = *newest - L.outbox.delivered();
      if (backlog <= 0) {
        L.pending_since.reset();
        L.due = false;
        if (wait(kIdleRecheck) == Wake::stop) return;
        continue;
      }

      const SteadyTime now = clock_.steady_now();
      if (!L.pending_since) L.pending_since = now;
      if (backlog < static_cast<std::int64_t>(L.batch_limit) && !L.due &&
          now - *L.pending_since < cfg_.batch_interval) {
        const auto left = std::chrono::ceil<Millis>(cfg_.batch_interval - (now - *L.pending_since));
        const Wake w = wait(left);
        if (w == Wake::stop) return;
        if (w == Wake::timeout) L.due = true;
        continue;
      }
      L.due = false;

      auto read = L.outbox.read_batch(L.batch_limit, kMaxBatchBytes);
      if (!read) {
        if (!store_failed(read.error())) return;
        continue;
      }
      L.store_failures = 0;
      std::vector<OutboxRow>& rows = *read;
      publish_cursor();
      if (rows.empty()) {
        // Every id up to `newest` is gone: evicted by the store (which raised outbox_evicted)
        // or never used. `newest` was read before the rows, so nothing newer is skipped.
        if (auto r = L.outbox.advance(*newest); !r) {
          if (!store_failed(r.error())) return;
          continue;
        }
        publish_cursor();
        L.pending_since.reset();
        continue;
      }

      const std::string body = join_lines(rows);
      const SteadyTime sent = clock_.steady_now();
      WriteOutcome o = sink_->write(body, rows.size());
      {
        std::lock_guard lock(mu_);
        // Stopped mid-request: whatever failed is retried by the next run. A 2xx still counts.
        if (stop_ && o.kind != WriteOutcome::Kind::delivered) return;
      }
      seconds.observe(std::chrono::duration<double>(clock_.steady_now() - sent).count());

      if (o.kind == WriteOutcome::Kind::retry && o.too_large()) {
        if (rows.size() > 1) {
          L.batch_limit = std::max<std::size_t>(1, rows.size() / 2);
          retry_requests.inc();
          error_counter("too_large").inc();
          log_.warn(source_, o.message + "; sending at most " + std::to_string(L.batch_limit) +
                                 " lines per request from now on");
          continue;  // at once, smaller: the server is there, it only wants less
        }
        o.kind = WriteOutcome::Kind::reject;
        o.message += " (a single line is larger than the server accepts)";
      }

      switch (o.kind) {
        case WriteOutcome::Kind::delivered: {
          delivered_requests.inc();
          points.inc(rows.size());
          last_success.set(static_cast<double>(to_epoch_ms(clock_.now())) / 1000.0);
          recovered();
          report(true, "delivering");
          // More lines were already there when this batch was read: they go at once.
          const bool more_waiting = rows.back().id < *newest;
          if (auto r = L.outbox.advance(rows.back().id); !r) {
            // Delivered but not recorded: the batch will be sent again, which is harmless.
            if (!store_failed(r.error())) return;
            continue;
          }
          publish_cursor();
          if (!more_waiting) L.pending_since.reset();
          break;
        }
        case WriteOutcome::Kind::reject: {
          reject_requests.inc();
          error_counter(o.error.empty() ? "rejected" : o.error).inc();
          auto kept = L.outbox.quarantine(rows.front().id, rows.back().id, o.status, o.message,
                                          body, clock_.now());
          if (!kept) {
            if (!store_failed(kept.error())) return;
            continue;
          }
          publish_cursor();
          dead_letters.inc();
          recovered();  // the server answered: it is reachable
          report(true, "delivering");
          const std::string what = cfg_.name + ": the server refused " +
                                   std::to_string(rows.size()) + " lines (" + ids(rows) +
                                   ") for good; kept in dead_letter row " + std::to_string(*kept) +
                                   ". " + o.message;
          log_.error(source_, what);
          raise(Severity::alarm, "uplink_dead_letter", what);
          break;
        }
        case WriteOutcome::Kind::retry: {
          retry_requests.inc();
          error_counter(o.error).inc();
          ++L.failures;
          report(false, "retrying: " + o.message);
          if (o.misconfigured()) {
            if (!L.misconfigured_alarmed) {
              L.misconfigured_alarmed = true;
              log_.error(source_, o.message);
              raise(Severity::alarm, "uplink_misconfigured",
                    cfg_.name + ": " + o.message + ". Lines stay in the outbox until it is fixed.");
            }
          } else if (L.failures >= kUnreachableAfterFailures && !L.unreachable_alarmed) {
            L.unreachable_alarmed = true;
            const std::string what =
                cfg_.name + ": " + std::to_string(L.failures) +
                " writes in a row failed; lines stay in the outbox (" +
                std::to_string(std::max<std::int64_t>(0, *newest - L.outbox.delivered())) +
                " queued). Last error: " + o.message;
            log_.error(source_, what);
            raise(Severity::alarm, "uplink_unreachable", what);
          } else if (L.failures == 1) {
            log_.warn(source_, o.message + "; retrying");
          }
          // The server's Retry-After is taken as given, up to an hour (or backoff_max if
          // longer), so that one odd header cannot stall the uplink for a day.
          const Millis delay = o.retry_after ? std::clamp(*o.retry_after, Millis{0},
                                                          std::max(backoff_max, kLongestRetryAfter))
                                             : backoff(L.failures);
          log_.debug(source_, "retrying in " + std::to_string(delay.count()) + " ms: " + o.message);
          if (!sleep_for(delay)) return;
          break;
        }
      }
    }
  } catch (const std::exception& e) {
    log_.error(source_, std::string("uplink thread failed: ") + e.what());
    raise(Severity::alarm, "uplink_failed",
          cfg_.name + " stopped sending after an internal error: " + e.what());
  } catch (...) {
    log_.error(source_, "uplink thread failed");
    raise(Severity::alarm, "uplink_failed", cfg_.name + " stopped sending after an internal error");
  }
}

}  // namespace farmgate::uplink
