// Ledger: the OCOP tables of the gateway's SQLite file (lots, lot_zones, lot_entries; schema
// version 6), and the rules a lot's diary keeps:
//   - only officers and admins create lots (the route checks the role; the ledger takes the
//     lot as given and validates it);
//   - diary entries and harvests are appended, never edited: each carries the hash of the one
//     before (lot.h), so the record can show that nothing was changed afterwards;
//   - irrigation entries come from the run log only (import_runs), never typed in;
//   - a harvest dated inside a pesticide's pre-harvest interval (applied + phi_days > harvest
//     date, on any of the lot's zones) is refused unless the caller may override and gives a
//     reason; the override (who, why) is part of the harvest's entry;
//   - a final harvest closes the lot: nothing more is added to it after that;
//   - when uplinks are configured, each harvest adds one `harvest` line to the outbox in the
//     same transaction (tags site, lot, product; fields quantity_kg, grade, yield_kg_ha, final,
//     hash; stamped with the time it was recorded), so the upstream database holds the chain's
//     heads too.
//
// Errors carry a machine-readable code the API maps to a status:
//   "bad_input" 400 (the message says which field and why), "not_found" 404, "exists" 409 (lot
//   code taken), "closed" 409 (the lot had its final harvest), "pre_harvest_interval" 409 (the
//   message names the pesticide, when it was applied and the first day harvest is allowed),
//   "forbidden" 403 (an override by someone who may not), "sqlite" 500.
//
// Synchronous SQLite on a connection the caller owns: one thread at a time, never the
// io_context thread (the daemon runs it on its OCOP worker; `farmgate export` directly). Writes
// are BEGIN IMMEDIATE transactions and wait on SQLite's busy timeout while the store writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "gateway/ocop/lot.h"
#include "gateway/store/sqlite.h"
#include "rules/site_time.h"

namespace farmgate::ocop {

struct LedgerOptions {
  // The configured zones and their areas (config::Zone::area_m2, 0 = not given): a lot's zones
  // must be among them, and a zone given without an area takes the configured one.
  std::vector<LotZone> zones;
  std::string site;     // the `site` tag of harvest lines upstream
  bool outbox = false;  // uplinks are configured: write harvest lines to the outbox
};

// What a person gives to create a lot. Zones' area_m2 may be 0 to take the configured area.
struct NewLot {
  std::string code, product, variety, gtin;  // gtin: "" or 8/12/13/14 digits
  int ocop_stars = 0;
  std::vector<LotZone> zones;
  std::string planted, expected_harvest, notes;
};

// A diary entry or a harvest as a person records it (kind must not be irrigation). The
// irrigation-only fields and the hashes of Entry are the ledger's to fill.
struct NewEntry {
  EntryKind kind = EntryKind::other;
  std::string date, zone, material, active_ingredient;
  std::optional<double> amount;
  std::string unit;
  int phi_days = 0;
  std::string note;
  double quantity_kg = 0;
  std::string grade;
  bool final_harvest = false;
  std::string override_reason;  // harvest only: asks to record it inside a PHI
};

struct Actor {
  std::string name;
  bool may_override = false;  // officer or admin
};

class Ledger {
 public:
  // `db` must be migrated (store::migrate), and writable for the writing calls; `tz` gives
  // "today" and runs' dates. Both borrowed.
  Ledger(sqlite::Db& db, const rules::SiteTime& tz, LedgerOptions options);

  // Validates (code, product 1-100 characters, zones known, areas > 0, dates valid and in
  // order, planted not after today, stars 0 or 3-5, GTIN) and stores the lot with its hash.
  Result<Lot> create_lot(const NewLot& lot, const std::string& who, std::int64_t now_ms);
  // Every lot, the newest planting first.
  Result<std::vector<Lot>> lots();
  Result<std::optional<Lot>> lot(const std::string& code);
  // The lot's entries in seq order (the chain's order).
  Result<std::vector<Entry>> entries(const std::string& code);
  // The lot and its entries read in one snapshot, so an entry appended meanwhile cannot make
  // the pair look like a broken chain. nullopt for no such lot.
  struct LotEntries {
    Lot lot;
    std::vector<Entry> entries;
  };
  Result<std::optional<LotEntries>> read(const std::string& code);
  // The lots whose zones include `zone`, or all when it is empty, with their entries dated in
  // [from, to] (YYYY-MM-DD, inclusive; "" = unbounded), for the diary export. By lot, then seq.
  Result<std::vector<Entry>> entries_between(const std::string& zone, const std::string& from,
                                             const std::string& to);

  // Appends a diary entry or a harvest. Checks: the lot exists and is open; kind is not
  // irrigation; date valid, not before planting, not after today; zone "" or one of the
  // lot's; pesticide needs material or active ingredient and phi_days 0-365; amount >= 0;
  // harvest needs quantity_kg > 0; texts at most 200 characters; then the pre-harvest interval
  // (see above). A final harvest closes the lot.
  Result<Entry> add_entry(const std::string& code, const NewEntry& entry, const Actor& who,
                          std::int64_t now_ms);

  // Adds an irrigation entry to every open lot for each finished run (end set) of the run log
  // on one of its zones that started on or after its planting date and is not in it yet
  // (once per lot and run: safe to call again, from another process too). Entry date: the
  // run's local start date; who: the run's `who`, or "farmgate". Returns how many were added.
  Result<int> import_runs(std::int64_t now_ms);

  // The lot and its entries, checked (lot.h verify_chain). "not_found" for no such lot.
  Result<ChainCheck> verify(const std::string& code);

  sqlite::Db& db() { return db_; }
  const rules::SiteTime& tz() const { return tz_; }

 private:
  sqlite::Db& db_;
  const rules::SiteTime& tz_;
  LedgerOptions options_;
};

// Today's site-local date, YYYY-MM-DD.
std::string local_date(const rules::SiteTime& tz, std::int64_t ms);

}  // namespace farmgate::ocop
