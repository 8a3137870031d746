#include "gateway/store/reader.h"

#include <algorithm>
#include <map>

namespace farmgate::store {

Result<std::unique_ptr<Reader>> Reader::open(const std::string& path, std::size_t queue_max,
                                             Access access) {
  auto db = sqlite::Db::open(path, /*read_only=*/access == Access::read_only);
  if (!db) return db.error();
  return std::unique_ptr<Reader>(new Reader(std::move(db).value(), queue_max));
}

Reader::Reader(sqlite::Db db, std::size_t queue_max)
    : db_(std::move(db)), queue_max_(std::max<std::size_t>(queue_max, 1)) {
  thread_ = std::thread([this] { run(); });
}

Reader::~Reader() {
  stop();
}

bool Reader::post(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_max_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void Reader::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Reader::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job(db_);
  }
}

namespace {

Error sql_error(const Error& e) {
  return make_error("sqlite", e.message);
}

bool has_ack_columns(sqlite::Db& db) {
  auto st = sqlite::Stmt::prepare(db,
                                  "SELECT 1 FROM pragma_table_info('events') "
                                  "WHERE name = 'acked_by'");
  if (!st) return false;
  auto row = st->step();
  return row.ok() && *row;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    const auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<Series> query_series(sqlite::Db& db, const std::string& zone, const std::string& metric,
                            std::int64_t from_ms, std::int64_t to_ms, int points) {
  const auto dot = metric.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == metric.size()) {
    return make_error("bad_metric", "a metric is written kind.metric, e.g. soil.moisture");
  }
  const std::string kind = metric.substr(0, dot);
  const std::string name = metric.substr(dot + 1);
  Series out;
  if (to_ms <= from_ms || points < 1) return out;
  // Ceiling division: `points` buckets always cover the whole range.
  const std::int64_t width = std::max<std::int64_t>(1, (to_ms - from_ms + points - 1) / points);
  {
    auto st = sqlite::Stmt::prepare(
        db, "SELECT unit FROM series WHERE zone = ?1 AND kind = ?2 AND metric = ?3 LIMIT 1");
    if (!st) return sql_error(st.error());
    st->bind(1, zone).bind(2, kind).bind(3, name);
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) return out;
    out.unit = st->text(0);
  }
  if (width >= 60000) {
    // Buckets of a minute or more: from the per-minute sums (zone_minute), a row per minute
    // instead of every reading. A minute counts in the bucket its start falls in; the first
    // bucket also takes the minute `from` falls in.
    auto st = sqlite::Stmt::prepare(
        db,
        "SELECT minute, n, total, lo, hi FROM zone_minute WHERE zone = ?1 AND kind = ?2 AND "
        "metric = ?3 AND minute >= ?4 AND minute <= ?5 ORDER BY minute");
    if (!st) return sql_error(st.error());
    st->bind(1, zone)
        .bind(2, kind)
        .bind(3, name)
        .bind(4, from_ms / 60000)
        .bind(5, (to_ms - 1) / 60000);
    struct Bucket {
      std::int64_t n = 0;
      double total = 0, lo = 0, hi = 0;
    };
    std::map<std::int64_t, Bucket> buckets;
    for (;;) {
      auto row = st->step();
      if (!row) return sql_error(row.error());
      if (!*row) break;
      const std::int64_t start = st->int64(0) * 60000;
      const std::int64_t b = start <= from_ms ? 0 : (start - from_ms) / width;
      Bucket& k = buckets[b];
      const std::int64_t n = st->int64(1);
      k.lo = k.n == 0 ? st->real(3) : std::min(k.lo, st->real(3));
      k.hi = k.n == 0 ? st->real(4) : std::max(k.hi, st->real(4));
      k.n += n;
      k.total += st->real(2);
    }
    for (const auto& [b, k] : buckets) {
      if (k.n == 0) continue;
      out.points.push_back(
          SeriesPoint{from_ms + b * width, k.total / static_cast<double>(k.n), k.lo, k.hi});
    }
    return out;
  }
  // ts first: readings are keyed (ts, series), so the range is one index range scan.
  auto st = sqlite::Stmt::prepare(db,
                                  "SELECT (r.ts - ?1) / ?2 AS b, AVG(r.value), MIN(r.value), "
                                  "MAX(r.value) FROM readings r "
                                  "WHERE r.ts >= ?1 AND r.ts < ?3 AND r.series IN "
                                  "(SELECT id FROM series WHERE zone = ?4 AND kind = ?5 AND "
                                  "metric = ?6) GROUP BY b ORDER BY b");
  if (!st) return sql_error(st.error());
  st->bind(1, from_ms).bind(2, width).bind(3, to_ms).bind(4, zone).bind(5, kind).bind(6, name);
  for (;;) {
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    out.points.push_back(
        SeriesPoint{from_ms + st->int64(0) * width, st->real(1), st->real(2), st->real(3)});
  }
  return out;
}

Result<std::vector<IrrigationRun>> query_runs(sqlite::Db& db, const std::string& zone,
                                              std::int64_t from_ms, std::int64_t to_ms, int limit) {
  auto st = sqlite::Stmt::prepare(
      db,
      "SELECT id, zone, actuators, start_ms, end_ms, reason, who, requested_ms, granted_ms, "
      "outcome, detail, volume_l FROM irrigation_runs "
      "WHERE start_ms >= ?1 AND start_ms < ?2 AND (?3 = '' OR zone = ?3) "
      "ORDER BY start_ms DESC, id DESC LIMIT ?4");
  if (!st) return sql_error(st.error());
  st->bind(1, from_ms).bind(2, to_ms).bind(3, zone).bind(4, limit);
  std::vector<IrrigationRun> out;
  for (;;) {
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    IrrigationRun r;
    r.id = static_cast<std::uint64_t>(st->int64(0));
    r.zone = st->text(1);
    r.actuators = split_commas(st->text(2));
    r.start = from_epoch_ms(st->int64(3));
    if (!st->is_null(4)) r.end = from_epoch_ms(st->int64(4));
    r.reason = st->text(5);
    r.who = st->text(6);
    r.requested = Millis{st->int64(7)};
    r.granted = Millis{st->int64(8)};
    r.outcome = st->text(9);
    r.detail = st->text(10);
    if (!st->is_null(11)) r.volume_l = st->real(11);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// A row of "SELECT id, ts, severity, code, source, message, acked_by, acked_ms FROM events".
Alarm alarm_of(const sqlite::Stmt& st) {
  Alarm a;
  a.id = st.int64(0);
  a.ts = st.int64(1);
  a.severity = st.text(2);
  a.code = st.text(3);
  a.source = st.text(4);
  a.message = st.text(5);
  if (!st.is_null(6)) a.acked_by = st.text(6);
  if (!st.is_null(7)) a.acked_ms = st.int64(7);
  return a;
}

}  // namespace

Result<std::vector<Alarm>> query_alarms(sqlite::Db& db, bool active_only, int limit) {
  const bool ack = has_ack_columns(db);
  std::string sql = "SELECT id, ts, severity, code, source, message, ";
  sql += ack ? "acked_by, acked_ms" : "NULL, NULL";
  sql += " FROM events WHERE severity != 'info'";
  if (active_only && ack) sql += " AND acked_by IS NULL";
  sql += " ORDER BY ts DESC, id DESC LIMIT ?1";
  auto st = sqlite::Stmt::prepare(db, sql);
  if (!st) return sql_error(st.error());
  st->bind(1, limit);
  std::vector<Alarm> out;
  for (;;) {
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    out.push_back(alarm_of(*st));
  }
  return out;
}

Result<Alarm> ack_alarm(sqlite::Db& db, std::int64_t id, const std::string& who,
                        std::int64_t now_ms) {
  {
    auto st = sqlite::Stmt::prepare(db,
                                    "UPDATE events SET acked_by = ?2, acked_ms = ?3 "
                                    "WHERE id = ?1 AND severity != 'info' AND acked_by IS NULL");
    if (!st) return sql_error(st.error());
    st->bind(1, id).bind(2, who).bind(3, now_ms);
    if (auto r = st->run(); !r) return sql_error(r.error());
  }
  auto st = sqlite::Stmt::prepare(db,
                                  "SELECT id, ts, severity, code, source, message, acked_by, "
                                  "acked_ms FROM events WHERE id = ?1 AND severity != 'info'");
  if (!st) return sql_error(st.error());
  st->bind(1, id);
  auto row = st->step();
  if (!row) return sql_error(row.error());
  if (!*row) return make_error("not_found", "no alarm " + std::to_string(id));
  return alarm_of(*st);
}

}  // namespace farmgate::store
