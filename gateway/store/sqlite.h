// Thin RAII handles over the SQLite C API: a connection (Db) and a prepared statement (Stmt).
// Errors come back as Result with SQLite's message. A Db and its Stmts belong to one thread at a
// time (SQLite's connections are not shared here); different connections on one file are fine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace farmgate::sqlite {

class Db {
 public:
  // Opens (creating if needed) a database file, in WAL mode with synchronous=NORMAL: a commit
  // survives a process crash at once and a power cut after the next checkpoint's fsync.
  static Result<Db> open(const std::string& path, bool read_only = false);

  Result<void> exec(const std::string& sql);
  sqlite3* get() const { return db_.get(); }
  std::int64_t last_insert_rowid() const;
  int changes() const;
  std::string path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
};

class Stmt {
 public:
  static Result<Stmt> prepare(Db& db, std::string_view sql);

  // Parameters are 1-based, as in SQLite.
  Stmt& bind(int index, std::int64_t v);
  Stmt& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Stmt& bind(int index, double v);
  Stmt& bind(int index, std::string_view v);  // copied by SQLite
  Stmt& bind_null(int index);

  // One step: true when a row is ready to read, false when done.
  Result<bool> step();
  // Steps to the end and resets, for statements that return no rows.
  Result<void> run();
  void reset();

  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const;
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  sqlite3* db_ = nullptr;
};

}  // namespace farmgate::sqlite
