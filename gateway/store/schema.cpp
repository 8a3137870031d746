#include "gateway/store/schema.h"

#include <string>

namespace farmgate::store {
namespace {

// Index i holds the SQL that takes the schema from version i to i+1. Append only; never edit a
// step that has shipped.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL, device TEXT NOT NULL, zone TEXT NOT NULL, metric TEXT NOT NULL,
  unit TEXT NOT NULL,
  UNIQUE(device, zone, metric));
CREATE TABLE readings(
  series INTEGER NOT NULL REFERENCES series(id),
  ts INTEGER NOT NULL,
  value REAL NOT NULL,
  quality INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(series, ts)) WITHOUT ROWID;
CREATE TABLE outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  line TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE uplink_cursor(
  name TEXT PRIMARY KEY,
  delivered INTEGER NOT NULL DEFAULT 0,
  evicted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE dead_letter(
  id INTEGER PRIMARY KEY,
  uplink TEXT NOT NULL,
  first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,
  status INTEGER NOT NULL, error TEXT NOT NULL, body TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL, severity TEXT NOT NULL, code TEXT NOT NULL,
  source TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX events_ts ON events(ts);
INSERT INTO meta(key, value) VALUES ('journal_seq', 0);
)sql",
    // 2: readings keyed by (ts, series). Keyed by series first, a transaction of N readings from
    // N series touched N leaf pages: one 4 KiB page written (twice, WAL and checkpoint) per
    // reading, measured at 6-10 kB of disk writes per reading with 1,000 devices. Keyed by time,
    // new readings append to the newest pages. Retention becomes one range delete; a per-series
    // time range scans every series' rows in that range, cheap at farm scale (a handful of series).
    R"sql(
CREATE TABLE readings_by_time(
  ts INTEGER NOT NULL,
  series INTEGER NOT NULL REFERENCES series(id),
  value REAL NOT NULL,
  quality INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(ts, series)) WITHOUT ROWID;
INSERT INTO readings_by_time(ts, series, value, quality)
  SELECT ts, series, value, quality FROM readings;
DROP TABLE readings;
ALTER TABLE readings_by_time RENAME TO readings;
)sql",
    // 3: the irrigation run log. A run is inserted when it starts (end_ms NULL) and completed
    // when it ends; an open row after a crash is the run the restart has to close.
    R"sql(
CREATE TABLE irrigation_runs(
  id INTEGER PRIMARY KEY,
  zone TEXT NOT NULL,
  actuators TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  reason TEXT NOT NULL,
  who TEXT NOT NULL,
  requested_ms INTEGER NOT NULL DEFAULT 0,
  granted_ms INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  volume_l REAL);
CREATE INDEX irrigation_runs_start ON irrigation_runs(start_ms);
CREATE INDEX irrigation_runs_open ON irrigation_runs(zone) WHERE end_ms IS NULL;
)sql",
    // 4: users, login sessions, API tokens and the audit log of the web API (gateway/http/auth/),
    // and who acknowledged an alarm. Session ids and tokens are stored as SHA-256 hashes (hex),
    // so a copied database file lets nobody in; passwords as Argon2id strings.
    R"sql(
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  pw_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE sessions(
  id_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user);
CREATE TABLE api_tokens(
  id_hash TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  user TEXT NOT NULL,
  role TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_ms INTEGER) WITHOUT ROWID;
CREATE TABLE audit(
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  user TEXT NOT NULL,
  remote TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  action TEXT NOT NULL,
  status INTEGER NOT NULL,
  detail TEXT NOT NULL DEFAULT '');
CREATE INDEX audit_ts ON audit(ts);
ALTER TABLE events ADD COLUMN acked_by TEXT;
ALTER TABLE events ADD COLUMN acked_ms INTEGER;
)sql",
    // 5: per zone and minute, the count, sum, least and greatest of each metric's readings, so
    // that a week's chart reads ~10,000 small rows instead of scanning every reading of the week
    // (readings are keyed by time first). Kept by the store in the readings' own transaction;
    // filled from what is already stored by kZoneMinutesFromReadings, run after this step.
    R"sql(
CREATE TABLE zone_minute(
  zone TEXT NOT NULL,
  kind TEXT NOT NULL,
  metric TEXT NOT NULL,
  minute INTEGER NOT NULL,
  n INTEGER NOT NULL,
  total REAL NOT NULL,
  lo REAL NOT NULL,
  hi REAL NOT NULL,
  PRIMARY KEY (zone, kind, metric, minute)) WITHOUT ROWID;
)sql",
    // 6: OCOP lots, their zones and their production diary (gateway/ocop/). A lot's diary
    // entries and harvests are one table, in the order they were recorded (seq), each carrying
    // the hash of the one before it (the lot's own hash for the first), so that an edit made
    // later shows. An irrigation entry names its run (run_id), imported once per lot.
    R"sql(
CREATE TABLE lots(
  code TEXT PRIMARY KEY,
  product TEXT NOT NULL,
  variety TEXT NOT NULL DEFAULT '',
  gtin TEXT NOT NULL DEFAULT '',
  ocop_stars INTEGER NOT NULL DEFAULT 0,
  planted TEXT NOT NULL,
  expected_harvest TEXT NOT NULL DEFAULT '',
  closed TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  hash TEXT NOT NULL,
  head TEXT NOT NULL,
  entries INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE lot_zones(
  lot TEXT NOT NULL,
  zone TEXT NOT NULL,
  area_m2 REAL NOT NULL,
  PRIMARY KEY (lot, zone)) WITHOUT ROWID;
CREATE INDEX lot_zones_zone ON lot_zones(zone);
CREATE TABLE lot_entries(
  lot TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  date TEXT NOT NULL,
  zone TEXT NOT NULL DEFAULT '',
  material TEXT NOT NULL DEFAULT '',
  active_ingredient TEXT NOT NULL DEFAULT '',
  amount REAL,
  unit TEXT NOT NULL DEFAULT '',
  phi_days INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  run_id INTEGER NOT NULL DEFAULT 0,
  start_ms INTEGER NOT NULL DEFAULT 0,
  duration_s INTEGER NOT NULL DEFAULT 0,
  volume_l REAL,
  reason TEXT NOT NULL DEFAULT '',
  quantity_kg REAL NOT NULL DEFAULT 0,
  grade TEXT NOT NULL DEFAULT '',
  final INTEGER NOT NULL DEFAULT 0,
  override_by TEXT NOT NULL DEFAULT '',
  override_reason TEXT NOT NULL DEFAULT '',
  who TEXT NOT NULL,
  recorded_ms INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (lot, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX lot_entries_run ON lot_entries(lot, run_id) WHERE run_id > 0;
CREATE INDEX lot_entries_date ON lot_entries(date);
)sql",
};

constexpr const char* kZoneMinutesFromReadings = R"sql(
DELETE FROM zone_minute;
INSERT INTO zone_minute
  SELECT s.zone, s.kind, s.metric, r.ts / 60000, count(*), sum(r.value), min(r.value),
         max(r.value)
  FROM readings r JOIN series s ON s.id = r.series
  GROUP BY s.zone, s.kind, s.metric, r.ts / 60000;
)sql";

constexpr int kSteps = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));
static_assert(kSteps == kSchemaVersion);

}  // namespace

Result<void> migrate(sqlite::Db& db) {
  int current = 0;
  {
    // Finalised before migrating: an open statement would keep DROP TABLE from running.
    auto version = sqlite::Stmt::prepare(db, "PRAGMA user_version");
    if (!version) return version.error();
    auto row = version->step();
    if (!row) return row.error();
    current = static_cast<int>(version->int64(0));
  }
  if (current > kSchemaVersion) {
    return make_error("schema_too_new", db.path() + " has schema version " +
                                            std::to_string(current) + "; this farmgate knows " +
                                            std::to_string(kSchemaVersion) + " at most");
  }
  for (int v = current; v < kSchemaVersion; ++v) {
    const std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[v] +
                            (v + 1 == 5 ? kZoneMinutesFromReadings : "") +
                            "PRAGMA user_version=" + std::to_string(v + 1) + ";COMMIT;";
    if (auto r = db.exec(sql); !r) {
      (void)db.exec("ROLLBACK");
      return make_error("migration", "schema migration " + std::to_string(v + 1) +
                                         " failed: " + r.error().message);
    }
  }
  return {};
}

Result<void> rebuild_zone_minutes(sqlite::Db& db) {
  return db.exec(std::string("BEGIN IMMEDIATE;") + kZoneMinutesFromReadings + "COMMIT;");
}

}  // namespace farmgate::store
