// Outbox: one uplink's view of the store's outbox table, through its own SQLite connection on the
// store's file. It reads the lines after the uplink's cursor, moves the cursor once the server
// has acknowledged them, and moves refused batches to dead_letter.
//
// Belongs to one thread at a time (the uplink's thread once started); SQLite connections are not
// shared. The store writes the same tables from its own thread and connection: it appends outbox
// rows (ids only grow: AUTOINCREMENT), deletes rows every uplink has delivered, and evicts the
// oldest rows past its bound. Rows missing between the cursor and the first remaining id were
// evicted (or their ids were never used): reading simply continues after the gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "gateway/store/sqlite.h"

namespace farmgate::uplink {

struct OutboxRow {
  std::int64_t id = 0;
  std::string line;  // one line-protocol line, as the store wrote it (trailing '\n' or not)
};

class Outbox {
 public:
  // Opens the store's database file (the schema must exist: the store migrates it first). The
  // store creates each configured uplink's cursor row at start (a new uplink begins at the end of
  // the outbox); if there is none, as in tests or tools, it is created here at 0, so the uplink
  // gets whatever the outbox still holds.
  static Result<Outbox> open(const std::string& db_path, const std::string& uplink_name);

  // The oldest rows after the cursor, in id order: at most `max_rows`, and no more than
  // `max_bytes` of lines unless the first row alone is bigger (it is still returned, alone).
  Result<std::vector<OutboxRow>> read_batch(std::size_t max_rows, std::size_t max_bytes);

  // The cursor: the last outbox id the server acknowledged (or that was skipped or quarantined),
  // as of the last read_batch/advance/quarantine.
  std::int64_t delivered() const { return delivered_; }

  // Moves the cursor forward to `last_id`; never backwards.
  Result<void> advance(std::int64_t last_id);

  // Keeps a refused batch in dead_letter and moves the cursor past it, in one transaction.
  // Returns the dead_letter row's id.
  Result<std::int64_t> quarantine(std::int64_t first_id, std::int64_t last_id, int status,
                                  std::string_view error, std::string_view body, Timestamp now);

  // The highest id the outbox has ever handed out (from sqlite_sequence); 0 for an empty one.
  Result<std::int64_t> newest_id();

  // Lines waiting for this uplink: newest_id() - delivered(). An upper bound: evicted rows and
  // unused ids count until the cursor passes them.
  Result<std::int64_t> backlog();

  const std::string& name() const { return name_; }

 private:
  Outbox(sqlite::Db db, std::string name) : db_(std::move(db)), name_(std::move(name)) {}
  Result<void> prepare();
  Result<void> refresh_cursor();

  sqlite::Db db_;  // first: destroyed after the statements that use it
  std::string name_;
  std::int64_t delivered_ = 0;
  // Prepared once in open().
  sqlite::Stmt cursor_;
  sqlite::Stmt rows_;
  sqlite::Stmt advance_;
  sqlite::Stmt dead_letter_;
  sqlite::Stmt newest_;
};

}  // namespace farmgate::uplink
