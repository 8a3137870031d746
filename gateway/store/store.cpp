#include "gateway/store/store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "gateway/store/schema.h"
#include "gateway/uplink/line_protocol.h"

namespace farmgate::store {
namespace {

constexpr auto kRetryAfterError = std::chrono::seconds(1);

double seconds_since(SteadyTime start, const Clock& clock) {
  return std::chrono::duration<double>(clock.steady_now() - start).count();
}

}  // namespace

struct Store::Statements {
  sqlite::Stmt begin, commit, rollback;
  sqlite::Stmt find_series, insert_series;
  sqlite::Stmt insert_reading, insert_outbox, insert_event, set_journal_seq;
  sqlite::Stmt insert_run, close_run, set_alive;
  sqlite::Stmt add_minute;
};

namespace {

std::int64_t minute_of(std::int64_t ms) {
  return ms / 60000;
}

// Groups readings by minute, then zone, kind and metric (not by the Reading's address).
struct MinuteKeyLess {
  bool operator()(const std::pair<std::int64_t, const Reading*>& a,
                  const std::pair<std::int64_t, const Reading*>& b) const {
    return std::tie(a.first, a.second->zone, a.second->kind, a.second->metric) <
           std::tie(b.first, b.second->zone, b.second->kind, b.second->metric);
  }
};

// What one commit adds to a zone_minute row.
struct MinuteSum {
  std::int64_t n = 0;
  double total = 0;
  double lo = 0;
  double hi = 0;

  void add(double v) {
    lo = n == 0 ? v : std::min(lo, v);
    hi = n == 0 ? v : std::max(hi, v);
    total += v;
    ++n;
  }
};

}  // namespace

Store::Store(StoreOptions options, sqlite::Db db, Clock& clock, Metrics& metrics, Logger& log,
             EventSink& events)
    : options_(std::move(options)),
      db_(std::move(db)),
      clock_(clock),
      log_(log),
      events_(events),
      committed_readings_(metrics.counter("farmgate_store_readings_total",
                                          "Readings committed to the local store")),
      commit_errors_(metrics.counter("farmgate_store_commit_errors_total",
                                     "Store transactions that failed and will be retried")),
      batch_seconds_(metrics.histogram("farmgate_store_batch_seconds",
                                       "Time to write and commit one store transaction",
                                       {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})),
      batch_size_(metrics.histogram("farmgate_store_batch_readings",
                                    "Readings per store transaction",
                                    {1, 10, 100, 500, 1000, 2000, 5000})) {
  metrics.gauge_fn("farmgate_store_queue_readings", "Readings waiting for the store thread", {},
                   [this] {
                     std::lock_guard lock(mu_);
                     return static_cast<double>(queued_readings_);
                   });
}

Result<std::unique_ptr<Store>> Store::open(StoreOptions options, Clock& clock, Metrics& metrics,
                                           Logger& log, EventSink& events) {
  std::error_code ec;
  const auto parent = std::filesystem::path(options.config.path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto db = sqlite::Db::open(options.config.path);
  if (!db) return db.error();
  if (auto r = migrate(*db); !r) return r.error();
  std::unique_ptr<Store> store(
      new Store(std::move(options), std::move(*db), clock, metrics, log, events));
  if (auto r = store->prepare(); !r) return r.error();
  return store;
}

Result<void> Store::prepare() {
  auto make = [this](const char* sql) { return sqlite::Stmt::prepare(db_, sql); };
  auto begin = make("BEGIN IMMEDIATE");
  auto commit = make("COMMIT");
  auto rollback = make("ROLLBACK");
  auto find_series = make("SELECT id FROM series WHERE device=?1 AND zone=?2 AND metric=?3");
  auto insert_series =
      make("INSERT INTO series(kind, device, zone, metric, unit) VALUES(?1, ?2, ?3, ?4, ?5)");
  // A replayed reading has the same series and time as the stored one: keep the first.
  auto insert_reading =
      make("INSERT OR IGNORE INTO readings(series, ts, value, quality) VALUES(?1, ?2, ?3, ?4)");
  auto insert_outbox = make("INSERT INTO outbox(line, created) VALUES(?1, ?2)");
  auto insert_event =
      make("INSERT INTO events(ts, severity, code, source, message) VALUES(?1, ?2, ?3, ?4, ?5)");
  auto set_journal_seq = make("UPDATE meta SET value=?1 WHERE key='journal_seq'");
  // The supervisor's id when it is free (it always is, unless the log was edited by hand).
  auto insert_run = make(
      "INSERT INTO irrigation_runs(id, zone, actuators, start_ms, end_ms, reason, who, "
      "requested_ms, granted_ms, outcome, detail, volume_l) "
      "VALUES((SELECT CASE WHEN ?12 > 0 AND NOT EXISTS(SELECT 1 FROM irrigation_runs WHERE "
      "id=?12) THEN ?12 END), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  auto set_alive = make(
      "INSERT INTO meta(key, value) VALUES('alive_ms', ?1) "
      "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
  // One run per zone at a time: zone and start name the open row.
  auto close_run = make(
      "UPDATE irrigation_runs SET end_ms=?3, outcome=?4, detail=?5, volume_l=?6, granted_ms=?7 "
      "WHERE zone=?1 AND start_ms=?2 AND end_ms IS NULL");
  auto add_minute = make(
      "INSERT INTO zone_minute(zone, kind, metric, minute, n, total, lo, hi) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(zone, kind, metric, minute) DO UPDATE "
      "SET n = n + excluded.n, total = total + excluded.total, lo = min(lo, excluded.lo), "
      "hi = max(hi, excluded.hi)");
  for (auto* r :
       {&begin, &commit, &rollback, &find_series, &insert_series, &insert_reading, &insert_outbox,
        &insert_event, &set_journal_seq, &insert_run, &close_run, &set_alive, &add_minute}) {
    if (!*r) return r->error();
  }
  st_.reset(new Statements{
      std::move(*begin), std::move(*commit), std::move(*rollback), std::move(*find_series),
      std::move(*insert_series), std::move(*insert_reading), std::move(*insert_outbox),
      std::move(*insert_event), std::move(*set_journal_seq), std::move(*insert_run),
      std::move(*close_run), std::move(*set_alive), std::move(*add_minute)});

  auto seq = sqlite::Stmt::prepare(db_, "SELECT value FROM meta WHERE key='journal_seq'");
  if (!seq) return seq.error();
  if (auto row = seq->step(); !row) return row.error();
  committed_seq_ = static_cast<std::uint64_t>(seq->int64(0));

  auto bounds = sqlite::Stmt::prepare(
      db_,
      "SELECT coalesce(min(id), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE "
      "name='outbox'), 0) FROM outbox");
  if (!bounds) return bounds.error();
  if (auto row = bounds->step(); !row) return row.error();
  outbox_max_id_ = bounds->int64(1);
  outbox_min_id_ = bounds->int64(0) > 0 ? bounds->int64(0) : outbox_max_id_ + 1;
  outbox_newest_ = outbox_max_id_;

  // Cursors of uplinks no longer configured would hold back pruning for ever.
  std::string keep = "DELETE FROM uplink_cursor WHERE name NOT IN (''";
  for (std::size_t i = 0; i < options_.uplinks.size(); ++i) keep += ",?" + std::to_string(i + 1);
  keep += ")";
  auto drop = sqlite::Stmt::prepare(db_, keep);
  if (!drop) return drop.error();
  for (std::size_t i = 0; i < options_.uplinks.size(); ++i) {
    drop->bind(static_cast<int>(i + 1), options_.uplinks[i]);
  }
  if (auto r = drop->run(); !r) return r.error();
  auto add = sqlite::Stmt::prepare(
      db_, "INSERT OR IGNORE INTO uplink_cursor(name, delivered) VALUES(?1, ?2)");
  if (!add) return add.error();
  for (const auto& name : options_.uplinks) {
    // A new uplink starts at the current end: it gets what arrives from now on, not history.
    add->bind(1, name).bind(2, outbox_max_id_);
    if (auto r = add->run(); !r) return r.error();
  }
  return {};
}

Store::~Store() {
  stop();
}

std::uint64_t Store::committed_seq() const {
  std::lock_guard lock(mu_);
  return committed_seq_;
}

void Store::start(CommitHook on_commit) {
  on_commit_ = std::move(on_commit);
  next_maintenance_ = clock_.steady_now();
  thread_ = std::thread([this] { run(); });
}

void Store::stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Store::submit(std::uint64_t seq, ReadingBatch batch) {
  std::unique_lock lock(mu_);
  room_.wait(lock, [&] {
    return queued_readings_ < options_.config.queue_max || stopping_ || !thread_.joinable();
  });
  queued_readings_ += batch.size();
  queue_.emplace_back(std::make_pair(seq, std::move(batch)));
  ++submitted_;
  if (queued_readings_ >= options_.config.batch_max)
    wake_.notify_one();
  else if (queue_.size() == 1)
    wake_.notify_one();  // starts the batch_interval clock
}

void Store::submit(Event event, std::function<void(std::int64_t)> on_stored) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(EventItem{std::move(event), std::move(on_stored)});
  ++submitted_;
  wake_.notify_one();
}

void Store::submit(IrrigationRun run) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(std::move(run));
  ++submitted_;
  wake_.notify_one();
}

void Store::submit_write(std::function<void(sqlite::Db&)> task) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(std::move(task));
  ++submitted_;
  wake_.notify_one();
}

void Store::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = submitted_;
  if (!thread_.joinable()) return;
  flush_requested_ = true;
  wake_.notify_one();
  committed_.wait(lock, [&] { return done_ >= target || !thread_.joinable(); });
}

void Store::run() {
  maintain();  // a backlog or retention left over from the last run is handled at once
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Wait for work, then for the batch to fill or its first item to have waited long enough.
      wake_.wait_until(lock,
                       std::chrono::steady_clock::now() + options_.config.maintenance_interval,
                       [&] { return !queue_.empty() || stopping_; });
      if (!queue_.empty() && !stopping_ && !flush_requested_) {
        const auto deadline = std::chrono::steady_clock::now() + options_.config.batch_interval;
        wake_.wait_until(lock, deadline, [&] {
          return queued_readings_ >= options_.config.batch_max || stopping_ || flush_requested_;
        });
      }
      std::size_t readings = 0;
      while (!queue_.empty() && readings < options_.config.batch_max) {
        if (auto* r = std::get_if<0>(&queue_.front())) readings += r->second.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (queue_.empty()) flush_requested_ = false;
      if (batch.empty() && stopping_) break;
    }
    if (!batch.empty()) {
      const auto started = clock_.steady_now();
      auto r = commit(batch);
      if (!r) {
        commit_errors_.inc();
        log_.error("store", "commit failed, will retry: " + r.error().message);
        // Put the work back in front, in order; the journal still holds it too.
        std::unique_lock lock(mu_);
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
        batch.clear();
        if (stopping_) break;  // give up; the journal replays it at the next start
        wake_.wait_for(lock, kRetryAfterError, [&] { return stopping_; });
        continue;
      }
      batch_seconds_.observe(seconds_since(started, clock_));
    }
    if (clock_.steady_now() >= next_maintenance_) maintain();
  }
  std::lock_guard lock(mu_);
  committed_.notify_all();
}

Result<void> Store::commit(std::vector<Item>& items) {
  if (auto r = st_->begin.run(); !r) return r;
  const bool outbox = !options_.uplinks.empty();
  std::uint64_t max_seq = 0;
  std::size_t readings = 0;
  std::string line;
  std::vector<std::pair<const Item*, std::int64_t>> stored_events;  // told after the commit
  // The readings this commit stores, summed per zone, kind, metric and minute (zone_minute). A
  // few rows per commit however many devices: keyed by the first reading of each group.
  std::map<std::pair<std::int64_t, const Reading*>, MinuteSum, MinuteKeyLess> minutes;
  auto fail = [this](Error e) -> Result<void> {
    (void)st_->rollback.run();
    return e;
  };
  const std::int64_t now_ms = to_epoch_ms(clock_.now());
  for (auto& item : items) {
    if (auto* ingest = std::get_if<0>(&item)) {
      auto& [seq, batch] = *ingest;
      max_seq = std::max(max_seq, seq);
      if (batch.empty()) continue;
      lineproto::Point point;
      for (const auto& r : batch) {
        auto id = series_id(r);
        if (!id) return fail(id.error());
        st_->insert_reading.bind(1, *id)
            .bind(2, to_epoch_ms(r.time))
            .bind(3, r.value)
            .bind(4, static_cast<int>(r.quality));
        if (auto s = st_->insert_reading.run(); !s) return fail(s.error());
        // A replayed reading that was stored before is ignored above, and must not count twice.
        if (db_.changes() > 0) minutes[{minute_of(to_epoch_ms(r.time)), &r}].add(r.value);
        point.fields.emplace_back(r.metric, r.value);
      }
      readings += batch.size();
      if (!outbox) continue;
      const Reading& first = batch.front();
      point.measurement = first.kind;
      point.tags = {{"site", options_.site}, {"zone", first.zone}, {"device", first.device}};
      point.time = first.time;
      line.clear();
      if (auto e = lineproto::encode(point, line); !e) {
        // The decoder only lets through what encodes; this is a bug, not bad input.
        log_.error("store", "cannot encode a reading for upstream: " + e.error().message);
        continue;
      }
      if (!line.empty() && line.back() == '\n') line.pop_back();
      st_->insert_outbox.bind(1, std::string_view(line)).bind(2, now_ms);
      if (auto s = st_->insert_outbox.run(); !s) return fail(s.error());
      outbox_max_id_ = db_.last_insert_rowid();
    } else if (auto* rec = std::get_if<2>(&item)) {
      if (auto s = record_run(*rec, line, now_ms); !s) return fail(s.error());
    } else if (auto* task = std::get_if<3>(&item)) {
      (*task)(db_);
    } else {
      const auto& e = std::get<1>(item).event;
      st_->insert_event.bind(1, to_epoch_ms(e.time))
          .bind(2, std::string_view(to_string(e.severity)))
          .bind(3, std::string_view(e.code))
          .bind(4, std::string_view(e.source))
          .bind(5, std::string_view(e.message));
      if (auto s = st_->insert_event.run(); !s) return fail(s.error());
      if (std::get<1>(item).on_stored) stored_events.emplace_back(&item, db_.last_insert_rowid());
    }
  }
  for (const auto& [key, sum] : minutes) {
    const Reading& r = *key.second;
    st_->add_minute.bind(1, std::string_view(r.zone))
        .bind(2, std::string_view(r.kind))
        .bind(3, std::string_view(r.metric))
        .bind(4, key.first)
        .bind(5, sum.n)
        .bind(6, sum.total)
        .bind(7, sum.lo)
        .bind(8, sum.hi);
    if (auto s = st_->add_minute.run(); !s) return fail(s.error());
  }
  if (max_seq > 0) {
    st_->set_journal_seq.bind(1, static_cast<std::int64_t>(max_seq));
    if (auto s = st_->set_journal_seq.run(); !s) return fail(s.error());
  }
  st_->set_alive.bind(1, now_ms);
  if (auto s = st_->set_alive.run(); !s) return fail(s.error());
  if (auto r = st_->commit.run(); !r) return fail(r.error());

  // Evict before anyone hears of the commit, so the bound holds whenever flush() returns.
  if (outbox && outbox_max_id_ - outbox_min_id_ + 1 >
                    static_cast<std::int64_t>(options_.config.outbox_max_rows)) {
    if (auto r = prune_and_evict(); !r)
      log_.error("store", "outbox eviction: " + r.error().message);
  }
  committed_readings_.inc(readings);
  batch_size_.observe(static_cast<double>(readings));
  std::uint64_t seq_now;
  {
    std::lock_guard lock(mu_);
    committed_seq_ = std::max(committed_seq_, max_seq);
    seq_now = committed_seq_;
  }
  outbox_newest_ = outbox_max_id_;
  // The hook runs before flush() returns, so whoever flushed also sees its effects.
  if (on_commit_) on_commit_(seq_now);
  for (const auto& [item, id] : stored_events) std::get<1>(*item).on_stored(id);
  {
    std::lock_guard lock(mu_);
    for (const auto& item : items) {
      if (auto* ingest = std::get_if<0>(&item)) queued_readings_ -= ingest->second.size();
    }
    done_ += items.size();
  }
  items.clear();
  room_.notify_all();
  committed_.notify_all();
  return {};
}

Result<void> Store::record_run(const IrrigationRun& run, std::string& line, std::int64_t now_ms) {
  auto bind_volume = [&run](sqlite::Stmt& st, int index) {
    if (run.volume_l)
      st.bind(index, *run.volume_l);
    else
      st.bind_null(index);
  };
  const std::int64_t start_ms = to_epoch_ms(run.start);
  bool closed = false;
  if (run.end) {
    st_->close_run.bind(1, std::string_view(run.zone))
        .bind(2, start_ms)
        .bind(3, to_epoch_ms(*run.end))
        .bind(4, std::string_view(run.outcome))
        .bind(5, std::string_view(run.detail))
        .bind(7, static_cast<std::int64_t>(run.granted.count()));
    bind_volume(st_->close_run, 6);
    if (auto s = st_->close_run.run(); !s) return s;
    closed = db_.changes() > 0;
  }
  if (!closed) {
    // A new run, or the end of one whose start was never recorded: the whole row.
    std::string actuators;
    for (const auto& a : run.actuators) {
      if (!actuators.empty()) actuators += ',';
      actuators += a;
    }
    st_->insert_run.bind(1, std::string_view(run.zone))
        .bind(2, std::string_view(actuators))
        .bind(3, start_ms)
        .bind(5, std::string_view(run.reason))
        .bind(6, std::string_view(run.who))
        .bind(7, static_cast<std::int64_t>(run.requested.count()))
        .bind(8, static_cast<std::int64_t>(run.granted.count()))
        .bind(9, std::string_view(run.outcome))
        .bind(10, std::string_view(run.detail))
        .bind(12, static_cast<std::int64_t>(run.id));
    if (run.end)
      st_->insert_run.bind(4, to_epoch_ms(*run.end));
    else
      st_->insert_run.bind_null(4);
    bind_volume(st_->insert_run, 11);
    if (auto s = st_->insert_run.run(); !s) return s;
  }
  if (!run.end || options_.uplinks.empty()) return {};

  lineproto::Point point;
  point.measurement = "irrigation";
  point.tags = {{"site", options_.site},
                {"zone", run.zone},
                {"actuator", run.actuators.empty() ? std::string() : run.actuators.front()}};
  const auto duration = std::max(Millis{0}, *run.end - run.start);
  point.fields.emplace_back("duration_s", std::chrono::duration<double>(duration).count());
  point.fields.emplace_back("reason", run.reason);
  if (run.volume_l) point.fields.emplace_back("volume_l", *run.volume_l);
  point.time = run.start;
  line.clear();
  if (auto e = lineproto::encode(point, line); !e) {
    // A zone or valve id the protocol cannot carry; the run stays in the local log.
    log_.error("store", "cannot encode an irrigation run for upstream: " + e.error().message);
    return {};
  }
  if (!line.empty() && line.back() == '\n') line.pop_back();
  st_->insert_outbox.bind(1, std::string_view(line)).bind(2, now_ms);
  if (auto s = st_->insert_outbox.run(); !s) return s;
  outbox_max_id_ = db_.last_insert_rowid();
  return {};
}

Result<std::int64_t> Store::series_id(const Reading& r) {
  std::string key = r.device;
  key.append(1, '\0').append(r.zone).append(1, '\0').append(r.metric);
  if (auto it = series_cache_.find(key); it != series_cache_.end()) return it->second;
  st_->find_series.bind(1, std::string_view(r.device))
      .bind(2, std::string_view(r.zone))
      .bind(3, std::string_view(r.metric));
  auto row = st_->find_series.step();
  if (!row) return row.error();
  std::int64_t id = 0;
  if (*row) {
    id = st_->find_series.int64(0);
    st_->find_series.reset();
  } else {
    st_->find_series.reset();
    st_->insert_series.bind(1, std::string_view(r.kind))
        .bind(2, std::string_view(r.device))
        .bind(3, std::string_view(r.zone))
        .bind(4, std::string_view(r.metric))
        .bind(5, std::string_view(r.unit));
    if (auto s = st_->insert_series.run(); !s) return s.error();
    id = db_.last_insert_rowid();
  }
  series_cache_.emplace(std::move(key), id);
  return id;
}

void Store::maintain() {
  next_maintenance_ = clock_.steady_now() + options_.config.maintenance_interval;
  st_->set_alive.bind(1, to_epoch_ms(clock_.now()));
  if (auto r = st_->set_alive.run(); !r) log_.error("store", "alive mark: " + r.error().message);
  if (auto r = prune_and_evict(); !r) log_.error("store", "outbox pruning: " + r.error().message);
  if (auto r = apply_retention(); !r) log_.error("store", "retention: " + r.error().message);
}

Result<void> Store::prune_and_evict() {
  if (options_.uplinks.empty()) return {};
  auto cursors = sqlite::Stmt::prepare(db_, "SELECT name, delivered FROM uplink_cursor");
  if (!cursors) return cursors.error();
  std::vector<std::pair<std::string, std::int64_t>> delivered;
  for (;;) {
    auto row = cursors->step();
    if (!row) return row.error();
    if (!*row) break;
    delivered.emplace_back(cursors->text(0), cursors->int64(1));
  }
  std::int64_t min_delivered = outbox_max_id_;
  for (const auto& [name, id] : delivered) min_delivered = std::min(min_delivered, id);

  // Everything every uplink has delivered can go; past the bound, the oldest goes anyway.
  std::int64_t new_min = std::max(outbox_min_id_, min_delivered + 1);
  const auto bound = static_cast<std::int64_t>(options_.config.outbox_max_rows);
  const bool evicting = outbox_max_id_ - new_min + 1 > bound;
  if (evicting) new_min = outbox_max_id_ - bound + 1;
  if (new_min <= outbox_min_id_) return {};

  if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) return r;
  auto del = sqlite::Stmt::prepare(db_, "DELETE FROM outbox WHERE id < ?1");
  auto count =
      sqlite::Stmt::prepare(db_, "UPDATE uplink_cursor SET evicted = evicted + ?2 WHERE name = ?1");
  if (!del || !count) {
    (void)db_.exec("ROLLBACK");
    return del ? count.error() : del.error();
  }
  del->bind(1, new_min);
  if (auto r = del->run(); !r) {
    (void)db_.exec("ROLLBACK");
    return r;
  }
  std::vector<std::pair<std::string, std::int64_t>> lost;
  if (evicting) {
    for (const auto& [name, id] : delivered) {
      const std::int64_t from = std::max(id + 1, outbox_min_id_);
      if (from < new_min) {
        lost.emplace_back(name, new_min - from);
        count->bind(1, std::string_view(name)).bind(2, new_min - from);
        if (auto r = count->run(); !r) {
          (void)db_.exec("ROLLBACK");
          return r;
        }
      }
    }
  }
  if (auto r = db_.exec("COMMIT"); !r) {
    (void)db_.exec("ROLLBACK");
    return r;
  }
  outbox_min_id_ = new_min;
  for (const auto& [name, n] : lost) {
    events_.raise(Event{Severity::alarm, "outbox_evicted", "store",
                        "upstream backlog for uplink " + name + " is over " +
                            std::to_string(bound) + " lines: the oldest " + std::to_string(n) +
                            " were dropped and will not be sent (they stay in the local store)",
                        clock_.now()});
  }
  return {};
}

Result<void> Store::apply_retention() {
  if (!clock_.synchronised()) return {};  // a clock in 1970 would make everything look young
  const std::int64_t cutoff = to_epoch_ms(clock_.now()) - options_.config.retention.count();
  // At most a day of readings per pass, so catching up on a long backlog never holds the store
  // thread (and ingest behind it) for long.
  auto del = sqlite::Stmt::prepare(
      db_, "DELETE FROM readings WHERE ts < ?1 AND ts < (SELECT min(ts) FROM readings) + 86400000");
  if (!del) return del.error();
  del->bind(1, cutoff);
  if (auto r = del->run(); !r) return r;
  auto minutes = sqlite::Stmt::prepare(db_, "DELETE FROM zone_minute WHERE minute < ?1");
  if (!minutes) return minutes.error();
  minutes->bind(1, minute_of(cutoff));
  return minutes->run();
}

}  // namespace farmgate::store

namespace farmgate::store {

Result<RunRecovery> Store::recover_runs(const std::map<std::string, ZoneMeter>& meters) {
  RunRecovery out;
  auto alive_q = sqlite::Stmt::prepare(db_, "SELECT value FROM meta WHERE key='alive_ms'");
  if (!alive_q) return alive_q.error();
  auto alive_row = alive_q->step();
  if (!alive_row) return alive_row.error();
  // -1: never marked (a database from before alive_ms existed); runs then end at their start.
  const std::int64_t alive = *alive_row && !alive_q->is_null(0) ? alive_q->int64(0) : -1;

  auto open_q = sqlite::Stmt::prepare(
      db_,
      "SELECT id, zone, actuators, start_ms, reason, who, requested_ms, granted_ms "
      "FROM irrigation_runs WHERE end_ms IS NULL ORDER BY id");
  if (!open_q) return open_q.error();
  for (;;) {
    auto row = open_q->step();
    if (!row) return row.error();
    if (!*row) break;
    IrrigationRun r;
    r.id = static_cast<std::uint64_t>(open_q->int64(0));
    r.zone = open_q->text(1);
    const std::string acts = open_q->text(2);
    for (std::size_t at = 0; at <= acts.size();) {
      const std::size_t comma = std::min(acts.find(',', at), acts.size());
      if (comma > at) r.actuators.push_back(acts.substr(at, comma - at));
      at = comma + 1;
    }
    const std::int64_t start = open_q->int64(3);
    r.start = from_epoch_ms(start);
    r.reason = open_q->text(4);
    r.who = open_q->text(5);
    r.requested = Millis{open_q->int64(6)};
    r.granted = Millis{open_q->int64(7)};
    std::int64_t end = std::max(alive, start);
    if (r.granted > Millis{0}) end = std::min(end, start + r.granted.count());
    r.end = from_epoch_ms(end);
    r.outcome = "interrupted";
    r.detail =
        "farmgate stopped unexpectedly (crash or power cut) during the run; the end is the last "
        "moment it was known running";
    if (auto m = meters.find(r.zone); m != meters.end()) {
      auto v = volume_between(m->second, start, end);
      if (!v) return v.error();
      r.volume_l = *v;
    }
    out.interrupted.push_back(std::move(r));
  }
  if (!out.interrupted.empty()) {
    if (auto r = st_->begin.run(); !r) return r.error();
    std::string line;
    const std::int64_t now_ms = to_epoch_ms(clock_.now());
    for (const auto& run : out.interrupted) {
      if (auto s = record_run(run, line, now_ms); !s) {
        (void)st_->rollback.run();
        return s.error();
      }
    }
    if (auto r = st_->commit.run(); !r) return r.error();
    outbox_newest_ = outbox_max_id_;
  }

  auto last_q = sqlite::Stmt::prepare(
      db_,
      "SELECT r.id, r.zone, r.actuators, r.start_ms, r.end_ms, r.reason, r.who, r.outcome, "
      "r.volume_l FROM irrigation_runs r "
      "WHERE r.id = (SELECT max(id) FROM irrigation_runs WHERE zone = r.zone AND end_ms IS "
      "NOT NULL) ORDER BY r.zone");
  if (!last_q) return last_q.error();
  for (;;) {
    auto row = last_q->step();
    if (!row) return row.error();
    if (!*row) break;
    IrrigationRun r;
    r.id = static_cast<std::uint64_t>(last_q->int64(0));
    r.zone = last_q->text(1);
    r.start = from_epoch_ms(last_q->int64(3));
    r.end = from_epoch_ms(last_q->int64(4));
    r.reason = last_q->text(5);
    r.who = last_q->text(6);
    r.outcome = last_q->text(7);
    if (!last_q->is_null(8)) r.volume_l = last_q->real(8);
    out.last.push_back(std::move(r));
  }
  auto max_q = sqlite::Stmt::prepare(db_, "SELECT coalesce(max(id), 0) FROM irrigation_runs");
  if (!max_q) return max_q.error();
  if (auto row = max_q->step(); !row) return row.error();
  out.max_id = static_cast<std::uint64_t>(max_q->int64(0));
  return out;
}

Result<std::optional<double>> Store::volume_between(const ZoneMeter& meter, std::int64_t from_ms,
                                                    std::int64_t to_ms) {
  const std::string& metric = meter.total.empty() ? meter.rate : meter.total;
  // The counter's last value at or before each end; the rate's readings in between.
  auto q = sqlite::Stmt::prepare(
      db_, meter.total.empty()
               ? "SELECT r.ts, r.value FROM readings r JOIN series s ON s.id = r.series "
                 "WHERE s.device=?1 AND s.metric=?2 AND r.ts BETWEEN ?3 AND ?4 ORDER BY r.ts"
               : "SELECT r.ts, r.value FROM readings r JOIN series s ON s.id = r.series "
                 "WHERE s.device=?1 AND s.metric=?2 AND r.ts <= ?4 AND r.ts >= ?3 - 600000 "
                 "ORDER BY r.ts");
  if (!q) return q.error();
  q->bind(1, std::string_view(meter.device))
      .bind(2, std::string_view(metric))
      .bind(3, from_ms)
      .bind(4, to_ms);
  std::vector<std::pair<std::int64_t, double>> points;
  for (;;) {
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    points.emplace_back(q->int64(0), q->real(1));
  }
  if (points.empty()) return std::optional<double>{};
  double litres = 0;
  if (meter.total.empty()) {
    // Each rate held until the next reading, at most five minutes (as FlowWatch counts it).
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::int64_t next = i + 1 < points.size() ? points[i + 1].first : to_ms;
      const auto held = std::min<std::int64_t>(next - points[i].first, 300'000);
      litres += points[i].second * static_cast<double>(held) / 60'000.0;
    }
    return std::optional<double>(litres);
  }
  // The counter: its growth from the last value at or before the start, resets skipped.
  std::optional<double> prev;
  for (const auto& [ts, v] : points) {
    if (prev && v >= *prev && ts > from_ms) litres += v - *prev;
    prev = v;
  }
  return std::optional<double>(litres);
}

}  // namespace farmgate::store
