#include "gateway/uplink/outbox.h"

#include <algorithm>
#include <utility>

namespace farmgate::uplink {
namespace {

// Resets a statement when it goes out of scope: a SELECT left mid-way keeps its read
// transaction open, which stops the store's WAL checkpoints from reclaiming the log.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite::Stmt& s) : s_(s) {}
  ~ResetOnExit() { s_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite::Stmt& s_;
};

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite::Db& db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)db_.exec("ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result<void> begin() {
    // IMMEDIATE: take the write lock now (waiting on the busy timeout) rather than fail with
    // SQLITE_BUSY half-way through when the store is writing.
    if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) return r;
    open_ = true;
    return {};
  }
  Result<void> commit() {
    if (auto r = db_.exec("COMMIT"); !r) return r;
    open_ = false;
    return {};
  }

 private:
  sqlite::Db& db_;
  bool open_ = false;
};

}  // namespace

Result<Outbox> Outbox::open(const std::string& db_path, const std::string& uplink_name) {
  auto db = sqlite::Db::open(db_path);
  if (!db) return db.error();
  Outbox box(std::move(*db), uplink_name);
  if (auto r = box.prepare(); !r) {
    return make_error("outbox_open",
                      "cannot use the outbox in " + db_path +
                          " (has the store created the schema?): " + r.error().message);
  }
  auto insert = sqlite::Stmt::prepare(
      box.db_, "INSERT INTO uplink_cursor(name, delivered) VALUES(?1, 0) ON CONFLICT DO NOTHING");
  if (!insert) return insert.error();
  if (auto r = insert->bind(1, uplink_name).run(); !r) return r.error();
  if (auto r = box.refresh_cursor(); !r) return r.error();
  return box;
}

Result<void> Outbox::prepare() {
  struct Want {
    sqlite::Stmt* stmt;
    const char* sql;
  };
  const Want wants[] = {
      {&cursor_, "SELECT delivered FROM uplink_cursor WHERE name = ?1"},
      {&rows_, "SELECT id, line FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2"},
      // An upsert, so that a cursor row someone deleted comes back rather than the update
      // silently doing nothing; max() so that the cursor never moves back.
      {&advance_,
       "INSERT INTO uplink_cursor(name, delivered) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE "
       "SET delivered = max(delivered, excluded.delivered)"},
      {&dead_letter_,
       "INSERT INTO dead_letter(uplink, first_id, last_id, status, error, body, created) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&newest_, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"},
  };
  for (const auto& w : wants) {
    auto s = sqlite::Stmt::prepare(db_, w.sql);
    if (!s) return s.error();
    *w.stmt = std::move(*s);
  }
  return {};
}

Result<void> Outbox::refresh_cursor() {
  // The cursor row is ours, but reading it back keeps us right should the store (or a person
  // with sqlite3) ever move it forward.
  ResetOnExit reset(cursor_);
  cursor_.bind(1, name_);
  auto row = cursor_.step();
  if (!row) return row.error();
  if (*row) delivered_ = std::max(delivered_, cursor_.int64(0));
  return {};
}

Result<std::vector<OutboxRow>> Outbox::read_batch(std::size_t max_rows, std::size_t max_bytes) {
  if (auto r = refresh_cursor(); !r) return r.error();
  std::vector<OutboxRow> rows;
  if (max_rows == 0) return rows;
  ResetOnExit reset(rows_);
  rows_.bind(1, delivered_).bind(2, static_cast<std::int64_t>(max_rows));
  std::size_t bytes = 0;
  for (;;) {
    auto more = rows_.step();
    if (!more) return more.error();
    if (!*more) break;
    OutboxRow row{rows_.int64(0), rows_.text(1)};
    if (!rows.empty() && bytes + row.line.size() > max_bytes) break;
    bytes += row.line.size();
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<void> Outbox::advance(std::int64_t last_id) {
  if (last_id <= delivered_) return {};
  if (auto r = advance_.bind(1, name_).bind(2, last_id).run(); !r) return r;
  delivered_ = last_id;
  return {};
}

Result<std::int64_t> Outbox::quarantine(std::int64_t first_id, std::int64_t last_id, int status,
                                        std::string_view error, std::string_view body,
                                        Timestamp now) {
  Transaction txn(db_);
  if (auto r = txn.begin(); !r) return r.error();
  auto inserted = dead_letter_.bind(1, name_)
                      .bind(2, first_id)
                      .bind(3, last_id)
                      .bind(4, status)
                      .bind(5, error)
                      .bind(6, body)
                      .bind(7, to_epoch_ms(now))
                      .run();
  if (!inserted) return inserted.error();
  const std::int64_t dead_letter_id = db_.last_insert_rowid();
  if (auto r = advance_.bind(1, name_).bind(2, last_id).run(); !r) return r.error();
  if (auto r = txn.commit(); !r) return r.error();
  delivered_ = std::max(delivered_, last_id);
  return dead_letter_id;
}

Result<std::int64_t> Outbox::newest_id() {
  ResetOnExit reset(newest_);
  auto row = newest_.step();
  if (!row) return row.error();
  return *row ? newest_.int64(0) : std::int64_t{0};
}

Result<std::int64_t> Outbox::backlog() {
  if (auto r = refresh_cursor(); !r) return r.error();
  auto newest = newest_id();
  if (!newest) return newest.error();
  return std::max<std::int64_t>(0, *newest - delivered_);
}

}  // namespace farmgate::uplink
