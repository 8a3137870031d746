// The SQLite schema and its numbered migrations. migrate() brings any older database file up to
// the newest version inside one transaction per step, and refuses a file from a newer farmgate.
// Called once at start, by the store thread, before anything else touches the file.
//
// Tables (version 6):
//   meta(key PRIMARY KEY, value)            schema_version, journal_seq (last ingest journal
//                                           record committed), counters that must survive restarts
//   series(id, kind, device, zone, metric, unit)      one row per time series
//   readings(ts, series, value, quality)     raw readings; PRIMARY KEY (ts, series) (version 2;
//                                           version 1 had (series, ts)), so a replayed reading
//                                           is stored once and new rows append at the end
//   outbox(id AUTOINCREMENT, line, created)  InfluxDB line-protocol lines waiting to go upstream;
//                                           AUTOINCREMENT so ids never go back after deletions
//   uplink_cursor(name, delivered, evicted)  per uplink: last outbox id the server acknowledged,
//                                           and how many lines were evicted before it got them
//   dead_letter(...)                         batches an uplink server refused for good
//   events(id, ts, severity, code, source, message)   alarms and notable events
//   irrigation_runs(id, zone, actuators, start_ms, end_ms, reason, who, requested_ms,
//                   granted_ms, outcome, detail, volume_l)   the run log (version 3): one row
//                                           per run, inserted at its start with end_ms NULL and
//                                           outcome 'running'; actuators is a comma list, valve
//                                           first; volume_l NULL without a flow meter
//   users, sessions, api_tokens, audit       the web API's accounts and audit log (version 4;
//                                           see gateway/http/auth/); events gained acked_by,
//                                           acked_ms for alarm acknowledgement
//   zone_minute(zone, kind, metric, minute, n, total, lo, hi)   per zone, metric and minute
//                                           (ts / 60000): count, sum, least and greatest value
//                                           (version 5), for charts over days; PRIMARY KEY
//                                           (zone, kind, metric, minute)
//   lots, lot_zones, lot_entries             OCOP lots and their hash-chained production diary
//                                           and harvests (version 6; see gateway/ocop/ledger.h)
#pragma once

#include "core/result.h"
#include "gateway/store/sqlite.h"

namespace farmgate::store {

inline constexpr int kSchemaVersion = 6;

Result<void> migrate(sqlite::Db& db);

// Recomputes zone_minute from the stored readings, as migration 5 does once: for tools that write
// readings straight into a file (bench/series_bench.cpp). One transaction.
Result<void> rebuild_zone_minutes(sqlite::Db& db);

}  // namespace farmgate::store
