// Helpers shared by the uplink tests: a temporary directory, a migrated store database with a
// "store" connection to add and evict outbox rows, an EventSink that records, and waiting on a
// condition. Test-only; each helper belongs to the test's thread unless it says otherwise.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/event.h"
#include "gateway/store/schema.h"
#include "gateway/store/sqlite.h"

namespace farmgate::uplink::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "farmgate-uplink-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The store's side of the database: creates the schema and writes outbox rows, from the test
// thread, on its own connection (as the store thread does).
class StoreDb {
 public:
  explicit StoreDb(const std::string& path) : db_(open(path)) {}

  std::int64_t insert(const std::string& line, std::int64_t created_ms = 0) {
    auto s = sqlite::Stmt::prepare(db_, "INSERT INTO outbox(line, created) VALUES(?1, ?2)");
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(s->bind(1, line).bind(2, created_ms).run().ok());
    return db_.last_insert_rowid();
  }
  // Lines "m,n=<i> v=<i> <i>" numbered from `first`, without the newline.
  std::vector<std::string> insert_numbered(int first, int count) {
    std::vector<std::string> lines;
    for (int i = first; i < first + count; ++i) {
      lines.push_back("m,n=" + std::to_string(i) + " v=" + std::to_string(i) + " " +
                      std::to_string(1'767'225'600'000 + i));
      insert(lines.back());
    }
    return lines;
  }
  void exec(const std::string& sql) { ASSERT_TRUE(db_.exec(sql).ok()) << sql; }
  std::int64_t scalar(const std::string& sql) {
    auto s = sqlite::Stmt::prepare(db_, sql);
    EXPECT_TRUE(s.ok()) << sql;
    auto row = s->step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return s->int64(0);
  }
  std::string text(const std::string& sql) {
    auto s = sqlite::Stmt::prepare(db_, sql);
    EXPECT_TRUE(s.ok()) << sql;
    auto row = s->step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return s->text(0);
  }
  std::int64_t cursor(const std::string& uplink) {
    return scalar("SELECT delivered FROM uplink_cursor WHERE name = '" + uplink + "'");
  }
  sqlite::Db& db() { return db_; }

 private:
  static sqlite::Db open(const std::string& path) {
    auto db = sqlite::Db::open(path);
    if (!db) throw std::runtime_error(db.error().message);
    if (auto r = store::migrate(*db); !r) throw std::runtime_error(r.error().message);
    return std::move(*db);
  }
  sqlite::Db db_;
};

// Thread-safe.
class RecordingEvents final : public EventSink {
 public:
  void raise(Event event) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<Event> with_code(const std::string& code) const {
    std::vector<Event> out;
    for (auto& e : events()) {
      if (e.code == code) out.push_back(e);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

// Waits until `done()` holds, checking every few milliseconds; false after `timeout`.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace farmgate::uplink::testing
