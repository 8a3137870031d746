// Reader: the web API's read side of the store. One thread with its own read-only SQLite
// connection and a bounded queue of jobs, so that no SQLite work runs on the io_context thread
// and the writer (Store) is never held up: each job is its own short read transaction in WAL
// mode. The query functions below take the connection a job is given.
//
// Threads: post() and stop() from any thread; jobs run on the reader thread, one at a time, in
// the order posted. A job answers by whatever means it captured (an http Responder).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "core/run.h"
#include "gateway/store/sqlite.h"

namespace farmgate::store {

class Reader {
 public:
  using Job = std::function<void(sqlite::Db&)>;

  // read_write is for small, rare writes of someone else's that must not wait on the store's
  // queue behind ingest (the OCOP ledger): they take SQLite's write lock between the store's
  // commits, waiting on its busy timeout.
  enum class Access { read_only, read_write };

  // Opens `path` (the Store must have created and migrated it) and starts the thread.
  static Result<std::unique_ptr<Reader>> open(const std::string& path, std::size_t queue_max = 64,
                                              Access access = Access::read_only);
  ~Reader();  // stop()s
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Queues a job. False when `queue_max` jobs are already waiting or the reader is stopped: the
  // caller answers "busy" (503) rather than queueing without bound.
  [[nodiscard]] bool post(Job job);
  // Runs the jobs already queued, then ends the thread. Idempotent.
  void stop();

 private:
  Reader(sqlite::Db db, std::size_t queue_max);
  void run();

  sqlite::Db db_;
  const std::size_t queue_max_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// --- Queries (on the reader thread, with the job's connection) ---

// A zone's metric ("<kind>.<metric>", e.g. "soil.moisture") over [from_ms, to_ms), averaged
// into at most `points` buckets of equal width. All devices of the zone with that kind and
// metric are pooled. Buckets of a minute or wider come from the per-minute sums (zone_minute),
// so a week costs the same however many devices report; their edges are then rounded to whole
// minutes. Errors: "bad_metric" (no '.'), "sqlite".
struct SeriesPoint {
  std::int64_t ts = 0;  // the bucket's start
  double avg = 0, min = 0, max = 0;
};
struct Series {
  std::string unit;  // "" when the zone has no such series
  std::vector<SeriesPoint> points;
};
Result<Series> query_series(sqlite::Db& db, const std::string& zone, const std::string& metric,
                            std::int64_t from_ms, std::int64_t to_ms, int points);

// Runs that started in [from_ms, to_ms), newest first; `zone` empty means every zone.
Result<std::vector<IrrigationRun>> query_runs(sqlite::Db& db, const std::string& zone,
                                              std::int64_t from_ms, std::int64_t to_ms, int limit);

// Alarms are the events with a severity above info.
struct Alarm {
  std::int64_t id = 0;
  std::int64_t ts = 0;
  std::string severity, code, source, message;
  std::optional<std::string> acked_by;
  std::optional<std::int64_t> acked_ms;
};
// Newest first; `active_only` leaves out the acknowledged ones. On a store older than schema 4
// (no acknowledgement columns) every alarm counts as unacknowledged.
Result<std::vector<Alarm>> query_alarms(sqlite::Db& db, bool active_only, int limit);

// Acknowledges an alarm; needs a writable connection. Acknowledging twice keeps the first
// acknowledgement and returns it. Errors: "not_found" (no such alarm), "sqlite".
Result<Alarm> ack_alarm(sqlite::Db& db, std::int64_t id, const std::string& who,
                        std::int64_t now_ms);

}  // namespace farmgate::store
