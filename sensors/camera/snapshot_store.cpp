#include "sensors/camera/snapshot_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

namespace farmgate::sensors::camera {
namespace fs = std::filesystem;

namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

// A prepared statement, reset after each use so that it can be bound again.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    return *this;
  }

  explicit operator bool() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }

  void bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement on every way out of a scope.
struct ResetOnExit {
  Statement& s;
  ~ResetOnExit() { s.reset(); }
};

struct CloseFd {
  int fd;
  ~CloseFd() {
    if (fd >= 0) ::close(fd);
  }
};

constexpr const char* kColumns =
    "camera, zone, time_ms, path, bytes, width, height, canopy, reason";

Error db_error(sqlite3* db, const std::string& what) {
  return make_error("snapshot_index", what + ": " + sqlite3_errmsg(db));
}

Error io_error(const std::string& what, int err) {
  return make_error("snapshot_io", what + ": " + std::strerror(err));
}

bool safe_component(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (const char c : s) {
    if (c == '/' || c == '\0') return false;
  }
  return true;
}

// Writes the whole buffer, flushed, under `tmp`, then renames it to `dest`.
Result<void> write_file(const fs::path& tmp, const fs::path& dest,
                        std::span<const std::uint8_t> bytes) {
  CloseFd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)};
  if (f.fd < 0) return io_error("cannot create " + tmp.string(), errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return io_error("cannot write " + tmp.string(), err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot flush " + tmp.string(), err);
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename " + tmp.string(), err);
  }
  return {};
}

}  // namespace

std::string file_stamp(Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

struct SnapshotStore::Db {
  DbHandle db;
  Statement insert;
  Statement latest;
  Statement list;
  Statement total;
  Statement erase;
};

SnapshotStore::SnapshotStore(fs::path data_dir, std::unique_ptr<Db> db)
    : data_dir_(std::move(data_dir)), db_(std::move(db)) {}

SnapshotStore::~SnapshotStore() = default;

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::open(const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir / "snapshots", ec);
  if (ec) {
    return make_error("snapshot_io",
                      "cannot create " + (data_dir / "snapshots").string() + ": " + ec.message());
  }
  const fs::path file = data_dir / "snapshots.db";
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<Db>();
  db->db.reset(raw);
  if (rc != SQLITE_OK) return db_error(raw, "cannot open " + file.string());
  sqlite3_busy_timeout(raw, 5000);
  // The rows only describe files that are already flushed; a lost last commit after a power cut
  // leaves an orphan file, not a wrong row, so NORMAL is enough under WAL.
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS snapshots("
      "  id INTEGER PRIMARY KEY,"
      "  camera TEXT NOT NULL, zone TEXT NOT NULL, time_ms INTEGER NOT NULL,"
      "  path TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL,"
      "  width INTEGER NOT NULL, height INTEGER NOT NULL, canopy REAL NOT NULL,"
      "  reason TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS snapshots_by_camera ON snapshots(camera, time_ms);"
      "CREATE INDEX IF NOT EXISTS snapshots_by_zone ON snapshots(zone, time_ms);";
  if (sqlite3_exec(raw, schema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return db_error(raw, "cannot create the snapshot index in " + file.string());
  }
  const std::string cols = kColumns;
  db->insert =
      Statement(raw, ("INSERT INTO snapshots(" + cols + ") VALUES(?,?,?,?,?,?,?,?,?)").c_str());
  db->latest = Statement(raw, ("SELECT " + cols +
                               " FROM snapshots WHERE zone = ? ORDER BY time_ms DESC, id DESC "
                               "LIMIT 1")
                                  .c_str());
  db->list = Statement(
      raw,
      ("SELECT " + cols + ", id FROM snapshots WHERE camera = ? ORDER BY time_ms, id").c_str());
  db->total = Statement(raw, "SELECT COALESCE(SUM(bytes), 0) FROM snapshots WHERE camera = ?");
  db->erase = Statement(raw, "DELETE FROM snapshots WHERE id = ?");
  if (!db->insert || !db->latest || !db->list || !db->total || !db->erase) {
    return db_error(raw, "cannot prepare the snapshot index statements");
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(data_dir, std::move(db)));
}

namespace {

SnapshotInfo row_to_info(const Statement& s, const fs::path& data_dir) {
  SnapshotInfo info;
  info.camera = s.text(0);
  info.zone = s.text(1);
  info.time = from_epoch_ms(s.int64(2));
  info.path = data_dir / s.text(3);
  info.bytes = static_cast<std::uint64_t>(s.int64(4));
  info.width = static_cast<int>(s.int64(5));
  info.height = static_cast<int>(s.int64(6));
  info.canopy_percent = s.real(7);
  info.reason = s.text(8);
  return info;
}

}  // namespace

Result<SnapshotInfo> SnapshotStore::add(SnapshotInfo info, std::span<const std::uint8_t> jpeg) {
  if (!safe_component(info.camera)) {
    return make_error("bad_camera", "camera name '" + info.camera + "' cannot name a folder");
  }
  const fs::path dir = data_dir_ / "snapshots" / info.camera;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("snapshot_io", "cannot create " + dir.string() + ": " + ec.message());

  std::lock_guard lock(mu_);
  const std::string stamp = file_stamp(info.time);
  fs::path name = fs::path(stamp + ".jpg");
  for (int i = 1; fs::exists(dir / name, ec) && i < 1000; ++i) {
    name = fs::path(stamp + "-" + std::to_string(i) + ".jpg");
  }
  const fs::path dest = dir / name;
  if (auto w = write_file(dir / (name.string() + ".tmp"), dest, jpeg); !w) return w.error();

  const fs::path relative = fs::path("snapshots") / info.camera / name;
  Statement& s = db_->insert;
  ResetOnExit reset{s};
  s.bind(1, info.camera);
  s.bind(2, info.zone);
  s.bind(3, to_epoch_ms(info.time));
  s.bind(4, relative.string());
  s.bind(5, static_cast<std::int64_t>(jpeg.size()));
  s.bind(6, static_cast<std::int64_t>(info.width));
  s.bind(7, static_cast<std::int64_t>(info.height));
  s.bind(8, info.canopy_percent);
  s.bind(9, info.reason);
  if (s.step() != SQLITE_DONE) {
    auto err = db_error(db_->db.get(), "cannot index " + dest.string());
    fs::remove(dest, ec);
    return err;
  }
  info.path = dest;
  info.bytes = jpeg.size();
  return info;
}

Result<PruneResult> SnapshotStore::prune(std::string_view camera, Timestamp now, Millis keep,
                                         std::uint64_t max_total_bytes) {
  std::lock_guard lock(mu_);
  struct Row {
    std::int64_t id;
    std::int64_t time_ms;
    std::string path;
    std::uint64_t bytes;
  };
  std::vector<Row> rows;
  {
    Statement& s = db_->list;
    ResetOnExit reset{s};
    s.bind(1, camera);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      rows.push_back({s.int64(9), s.int64(2), s.text(3), static_cast<std::uint64_t>(s.int64(4))});
    }
    if (rc != SQLITE_DONE) return db_error(db_->db.get(), "cannot list snapshots");
  }
  std::uint64_t total = 0;
  for (const Row& r : rows) total += r.bytes;
  const std::int64_t cutoff = keep == Millis::max() ? std::numeric_limits<std::int64_t>::min()
                                                    : to_epoch_ms(now) - keep.count();
  PruneResult out;
  // rows are oldest first; the last (newest) one is never deleted.
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.time_ms >= cutoff && total <= max_total_bytes) break;
    const fs::path file = data_dir_ / r.path;
    // The file goes first: a row without a file is harmless to latest() readers for a moment,
    // a file without a row would never be deleted.
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      return io_error("cannot delete " + file.string(), errno);
    }
    Statement& s = db_->erase;
    ResetOnExit reset{s};
    s.bind(1, r.id);
    if (s.step() != SQLITE_DONE) return db_error(db_->db.get(), "cannot unindex " + r.path);
    total -= r.bytes;
    ++out.files;
    out.bytes += r.bytes;
  }
  return out;
}

Result<std::optional<SnapshotInfo>> SnapshotStore::latest(std::string_view zone) const {
  std::lock_guard lock(mu_);
  Statement& s = db_->latest;
  ResetOnExit reset{s};
  s.bind(1, zone);
  const int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<SnapshotInfo>(row_to_info(s, data_dir_));
  if (rc == SQLITE_DONE) return std::optional<SnapshotInfo>();
  return db_error(db_->db.get(), "cannot read the latest snapshot");
}

Result<std::vector<SnapshotInfo>> SnapshotStore::list(std::string_view camera) const {
  std::lock_guard lock(mu_);
  Statement& s = db_->list;
  ResetOnExit reset{s};
  s.bind(1, camera);
  std::vector<SnapshotInfo> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(row_to_info(s, data_dir_));
  if (rc != SQLITE_DONE) return db_error(db_->db.get(), "cannot list snapshots");
  return out;
}

Result<std::uint64_t> SnapshotStore::total_bytes(std::string_view camera) const {
  std::lock_guard lock(mu_);
  Statement& s = db_->total;
  ResetOnExit reset{s};
  s.bind(1, camera);
  if (s.step() != SQLITE_ROW) return db_error(db_->db.get(), "cannot sum snapshot sizes");
  return static_cast<std::uint64_t>(s.int64(0));
}

}  // namespace farmgate::sensors::camera
