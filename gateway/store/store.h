// Store: the SQLite store, run on its own thread. It owns the write connection; everything else
// hands it work through submit() and hears back through the on_commit hook.
//
// Readings are committed in batches (group commit): a transaction closes when it holds
// `batch_max` readings or when its oldest reading has waited `batch_interval`. In the same
// transaction each message becomes one InfluxDB line in the outbox (when uplinks are configured)
// and the ingest journal's sequence number is recorded, so a replay after a crash is exact.
//
// Irrigation runs (submit(IrrigationRun)) are written in the same transactions: a run without an
// end inserts its row; the same run with its end completes that row (found by zone and start, so
// the store keeps no state about open runs) and, when uplinks are configured, adds one
// `irrigation` line to the outbox: tags site, zone, actuator (the valve), fields duration_s,
// reason and volume_l (when known), stamped with the run's start.
//
// Crash recovery: every commit and every maintenance pass records when the gateway was last
// alive (meta 'alive_ms'; at most maintenance_interval old). recover_runs(), called once between
// open() and start(), closes the runs a crash or power cut left open: outcome "interrupted", the
// end estimated as the last moment farmgate was known alive (never past start + granted, which
// the device's own auto-off enforces), and the volume from the line's flow meter readings.
//
// Maintenance runs on the same thread: delivered outbox lines are pruned, the backlog is held
// under `outbox_max_rows` by evicting the oldest lines (counted per uplink and alarmed), and raw
// readings past `retention` are deleted.
//
// Thread-safety: submit(), flush() and the accessors may be called from any thread; start() and
// stop() from the owner. The on_commit hook runs on the store thread and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/reading.h"
#include "core/result.h"
#include "core/run.h"
#include "gateway/store/sqlite.h"

namespace farmgate::store {

struct StoreOptions {
  config::StoreConfig config;        // path must be set
  std::string site;                  // the `site` tag upstream
  std::vector<std::string> uplinks;  // names of the configured uplinks (each has a cursor)
};

// Where a zone's water is counted: its line's flow meter (config::FlowCheck).
struct ZoneMeter {
  std::string device;
  std::string rate;   // L/min readings
  std::string total;  // litre counter readings; empty = integrate the rate
};

struct RunRecovery {
  std::vector<IrrigationRun> interrupted;  // the runs closed now, as closed
  std::vector<IrrigationRun> last;         // the newest closed run of each zone
  std::uint64_t max_id = 0;                // the highest run id in the log
};

class Store {
 public:
  // Called on the store thread after each commit with the highest journal sequence committed.
  using CommitHook = std::function<void(std::uint64_t committed_seq)>;

  // Opens the database file and migrates it. Alarms (evictions) go to `events`.
  static Result<std::unique_ptr<Store>> open(StoreOptions options, Clock& clock, Metrics& metrics,
                                             Logger& log, EventSink& events);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The last journal sequence number known committed; replay starts after it.
  std::uint64_t committed_seq() const;

  // Before start(), on the owner thread. `meters` maps a zone to its flow meter, if any.
  Result<RunRecovery> recover_runs(const std::map<std::string, ZoneMeter>& meters);

  void start(CommitHook on_commit);
  // Commits everything submitted, then ends the thread.
  void stop();

  // Queues a batch under its journal sequence number. Sequence numbers must grow. Blocks while
  // `queue_max` readings are already waiting: that is how ingest slows down to what the disk
  // can take instead of buffering without bound.
  void submit(std::uint64_t seq, ReadingBatch batch);
  // `on_stored` (optional) gets the event's row id on the store thread once it is committed;
  // it must only hand off.
  void submit(Event event, std::function<void(std::int64_t id)> on_stored = {});
  // Opens (no end) or closes (end set) a run in the run log. Never blocks for long.
  void submit(IrrigationRun run);
  // A small write of someone else's (an alarm acknowledgement), run on the store thread inside
  // the next transaction. It must be idempotent: a transaction that fails is retried whole.
  void submit_write(std::function<void(sqlite::Db&)> task);

  // Waits until everything submitted before the call is committed. For shutdown and tests.
  void flush();

  const std::string& path() const { return options_.config.path; }
  // The newest outbox line id committed so far. Any thread.
  std::int64_t outbox_newest_id() const { return outbox_newest_.load(); }

 private:
  struct EventItem {
    Event event;
    std::function<void(std::int64_t)> on_stored;
  };
  using Item = std::variant<std::pair<std::uint64_t, ReadingBatch>, EventItem, IrrigationRun,
                            std::function<void(sqlite::Db&)>>;

  Store(StoreOptions options, sqlite::Db db, Clock& clock, Metrics& metrics, Logger& log,
        EventSink& events);
  Result<void> prepare();
  void run();
  Result<void> commit(std::vector<Item>& items);
  Result<std::int64_t> series_id(const Reading& r);
  Result<void> record_run(const IrrigationRun& run, std::string& line, std::int64_t now_ms);
  Result<std::optional<double>> volume_between(const ZoneMeter& meter, std::int64_t from_ms,
                                               std::int64_t to_ms);
  void maintain();
  Result<void> prune_and_evict();
  Result<void> apply_retention();

  StoreOptions options_;
  sqlite::Db db_;
  Clock& clock_;
  Logger& log_;
  EventSink& events_;
  CommitHook on_commit_;

  struct Statements;
  std::unique_ptr<Statements> st_;
  std::unordered_map<std::string, std::int64_t> series_cache_;
  std::int64_t outbox_min_id_ = 1;  // smallest id possibly still in the outbox
  std::int64_t outbox_max_id_ = 0;
  std::atomic<std::int64_t> outbox_newest_{0};  // outbox_max_id_, for other threads
  SteadyTime next_maintenance_{};

  mutable std::mutex mu_;
  std::condition_variable wake_;       // the store thread waits on it for work
  std::condition_variable room_;       // submitters wait on it for queue space
  std::condition_variable committed_;  // flush() waits on it
  std::deque<Item> queue_;
  std::size_t queued_readings_ = 0;
  std::uint64_t submitted_ = 0;  // items ever submitted
  std::uint64_t done_ = 0;       // items ever committed (or dropped after an error)
  std::uint64_t committed_seq_ = 0;
  bool flush_requested_ = false;
  bool stopping_ = false;
  std::thread thread_;

  Counter& committed_readings_;
  Counter& commit_errors_;
  Histogram& batch_seconds_;
  Histogram& batch_size_;
};

}  // namespace farmgate::store
