// HistoryReader: reads stored readings back out of the SQLite store, in time order, for tools
// that replay the past (`farmgate replay`). It is a separate, read-only connection: it never
// takes the write lock, and each chunk is its own short read transaction, so the running
// daemon's commits and WAL checkpoints are never held up for longer than one chunk takes.
//
// Readings come in chunks of `chunk_rows` (keyset pagination on the (ts, series) primary key),
// so a month of readings streams through a few MB of memory instead of being loaded at once.
//
// Thread-safety: one thread at a time (it owns one SQLite connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/reading.h"
#include "core/result.h"
#include "core/time.h"
#include "gateway/store/sqlite.h"

namespace farmgate::store {

class HistoryReader {
 public:
  // Opens the store file read-only. Errors: "sqlite_open" (no such file, not a database),
  // "schema" (a store too old to be keyed by time, or from a newer farmgate).
  static Result<HistoryReader> open(const std::string& path);

  // Starts a pass over the readings with from <= time < to.
  void seek(Timestamp from, Timestamp to);
  // The next readings in (time, series) order, at most `chunk_rows`; empty when the range is
  // exhausted.
  Result<std::vector<Reading>> next(std::size_t chunk_rows = 10'000);

  // The mean of a metric's values that are at least `min_value`, over [from, to); nullopt when
  // there are none. Replay uses it for a flow meter's rate while water was flowing.
  Result<std::optional<double>> mean_at_least(const std::string& device, const std::string& metric,
                                              double min_value, Timestamp from, Timestamp to);

 private:
  struct SeriesInfo {
    std::string kind, device, zone, metric, unit;
  };
  explicit HistoryReader(sqlite::Db db) : db_(std::move(db)) {}
  Result<void> load_series();

  sqlite::Db db_;
  std::unordered_map<std::int64_t, SeriesInfo> series_;
  // The pass: the last (ts, series) returned, and the end of the range.
  std::int64_t after_ts_ = 0;
  std::int64_t after_series_ = -1;
  std::int64_t to_ms_ = 0;
};

}  // namespace farmgate::store
