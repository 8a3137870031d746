#include "gateway/store/history_reader.h"

#include "gateway/store/schema.h"

namespace farmgate::store {

Result<HistoryReader> HistoryReader::open(const std::string& path) {
  auto db = sqlite::Db::open(path, /*read_only=*/true);
  if (!db) return db.error();
  int version = 0;
  {
    auto st = sqlite::Stmt::prepare(*db, "PRAGMA user_version");
    if (!st) return st.error();
    auto row = st->step();
    if (!row) return make_error("sqlite_open", path + ": " + row.error().message);
    version = static_cast<int>(st->int64(0));
  }
  // Version 2 keyed readings by time, which the chunked scan relies on.
  if (version < 2 || version > kSchemaVersion) {
    return make_error("schema", path + " has store schema version " + std::to_string(version) +
                                    "; replay reads versions 2 to " +
                                    std::to_string(kSchemaVersion) +
                                    (version < 2 ? " (start the gateway once to migrate it)" : ""));
  }
  HistoryReader reader(std::move(db).value());
  if (auto r = reader.load_series(); !r) return r.error();
  return reader;
}

Result<void> HistoryReader::load_series() {
  auto st = sqlite::Stmt::prepare(db_, "SELECT id, kind, device, zone, metric, unit FROM series");
  if (!st) return st.error();
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    series_[st->int64(0)] =
        SeriesInfo{st->text(1), st->text(2), st->text(3), st->text(4), st->text(5)};
  }
  return {};
}

void HistoryReader::seek(Timestamp from, Timestamp to) {
  after_ts_ = to_epoch_ms(from);
  after_series_ = -1;  // series ids are positive: (from, -1) comes before every row at `from`
  to_ms_ = to_epoch_ms(to);
}

Result<std::vector<Reading>> HistoryReader::next(std::size_t chunk_rows) {
  std::vector<Reading> out;
  if (after_ts_ >= to_ms_) return out;
  // A fresh statement per chunk: the read transaction ends with it, so a long replay never pins
  // the WAL (the daemon's checkpoints could not complete past an open reader).
  auto st = sqlite::Stmt::prepare(db_,
                                  "SELECT ts, series, value, quality FROM readings "
                                  "WHERE ts >= ?1 AND ts < ?3 AND (ts, series) > (?1, ?2) "
                                  "ORDER BY ts, series LIMIT ?4");
  if (!st) return st.error();
  st->bind(1, after_ts_).bind(2, after_series_).bind(3, to_ms_);
  st->bind(4, static_cast<std::int64_t>(chunk_rows));
  out.reserve(chunk_rows);
  bool reloaded = false;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::int64_t ts = st->int64(0);
    const std::int64_t id = st->int64(1);
    after_ts_ = ts;
    after_series_ = id;
    auto it = series_.find(id);
    if (it == series_.end() && !reloaded) {
      // A series the daemon created after we opened: learn it once per chunk.
      reloaded = true;
      if (auto r = load_series(); !r) return r.error();
      it = series_.find(id);
    }
    if (it == series_.end()) continue;  // cannot happen with the foreign key; skip, do not guess
    const SeriesInfo& s = it->second;
    out.push_back(Reading{s.device, s.zone, s.kind, s.metric, st->real(2), s.unit,
                          from_epoch_ms(ts),
                          st->int64(3) == 0 ? Quality::good : Quality::clock_unsynced});
  }
  if (out.size() < chunk_rows) after_ts_ = to_ms_;  // exhausted
  return out;
}

Result<std::optional<double>> HistoryReader::mean_at_least(const std::string& device,
                                                           const std::string& metric,
                                                           double min_value, Timestamp from,
                                                           Timestamp to) {
  auto st = sqlite::Stmt::prepare(db_,
                                  "SELECT avg(r.value) FROM readings r "
                                  "JOIN series s ON s.id = r.series "
                                  "WHERE r.ts >= ?1 AND r.ts < ?2 AND s.device = ?3 "
                                  "AND s.metric = ?4 AND r.value >= ?5");
  if (!st) return st.error();
  st->bind(1, to_epoch_ms(from)).bind(2, to_epoch_ms(to)).bind(3, device).bind(4, metric);
  st->bind(5, min_value);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row || st->is_null(0)) return std::optional<double>{};
  return std::optional<double>{st->real(0)};
}

}  // namespace farmgate::store
