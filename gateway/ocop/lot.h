// OCOP lots and their production diary (nhật ký sản xuất), as plain values: what the ledger
// stores, the API and exports show, and the traceability record sums up. See docs/ocop.md.
//
// A lot is one product grown on one or more zones over a season: planted on a date, harvested
// one or more times, closed by its final harvest. Its diary entries and harvests form one list
// in the order they were recorded (seq 1, 2, ...), and each carries the SHA-256 of the one
// before it (the first carries the lot's own hash): a row edited later no longer matches its
// hash, and the record says so (verify_chain).
//
// Dates are site-local calendar dates, "YYYY-MM-DD": a farmer writes "sprayed on 12 June", not
// an instant. Times of irrigation runs are epoch milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace farmgate::ocop {

// The language of pages, CSV headers and export labels: Vietnamese first, English for visitors.
enum class Lang { vi, en };

struct LotZone {
  std::string zone;
  double area_m2 = 0;  // > 0
};

struct Lot {
  std::string code;              // valid_lot_code(); unique; the GS1 batch/lot number
  std::string product;           // "Bưởi da xanh", "Lúa ST25"
  std::string variety;           // may be ""
  std::string gtin;              // "" or 14 digits with a valid check digit (normalize_gtin)
  int ocop_stars = 0;            // 0 = not rated; else 3, 4 or 5
  std::vector<LotZone> zones;    // at least one, each zone once
  std::string planted;           // YYYY-MM-DD
  std::string expected_harvest;  // "" or YYYY-MM-DD, not before planted
  std::string closed;            // "" while open; the date of the final harvest
  std::string notes;
  std::string created_by;
  std::int64_t created_ms = 0;
  std::string hash;          // lot_hash(): the chain's first link
  std::string head;          // the hash of the newest entry (= hash while there is none)
  std::int64_t entries = 0;  // how many entries the chain has

  double area_m2() const;  // the sum of its zones' areas
};

enum class EntryKind { fertiliser, pesticide, pruning, irrigation, other, harvest };
const char* to_string(EntryKind k);  // "fertiliser", ..., "harvest"
std::optional<EntryKind> parse_entry_kind(std::string_view s);

struct Entry {
  std::string lot;
  std::int64_t seq = 0;  // 1, 2, ... within the lot, in the order recorded
  EntryKind kind = EntryKind::other;
  std::string date;  // YYYY-MM-DD: when the work was done (irrigation: the run's start)
  std::string zone;  // "" = the whole lot
  // Fertiliser and pesticide: the product as sold ("NPK 20-20-15", "Regent 800WG"), the
  // pesticide's active ingredient ("fipronil") and the dose.
  std::string material;
  std::string active_ingredient;
  std::optional<double> amount;
  std::string unit;  // "kg", "ml/bình 16 L", ...
  int phi_days = 0;  // pesticide: its pre-harvest interval (thời gian cách ly), days
  std::string note;
  // Irrigation, filled from the run log (never typed in).
  std::int64_t run_id = 0;
  std::int64_t start_ms = 0;
  std::int64_t duration_s = 0;
  std::optional<double> volume_l;  // when the zone's line has a flow meter
  std::string reason;              // the run's reason: "rule:dry-z1", "manual", ...
  // Harvest.
  double quantity_kg = 0;
  std::string grade;           // "loại 1", "A", ...; may be ""
  bool final_harvest = false;  // closes the lot
  std::string override_by;     // an officer who allowed a harvest inside a pre-harvest interval
  std::string override_reason;
  // Who recorded it (a user, "token:<name>", or "farmgate" for an automatic entry) and when.
  std::string who;
  std::int64_t recorded_ms = 0;
  std::string prev_hash, hash;
};

// 1-20 characters of [A-Za-z0-9._-], starting with a letter or digit: fits GS1's AI (10) and a
// URL path segment unchanged.
bool valid_lot_code(std::string_view code);
// A calendar date "YYYY-MM-DD" that exists (no 30 February); nullopt for anything else.
std::optional<std::chrono::year_month_day> parse_date(std::string_view date);
bool valid_date(std::string_view date);
// "YYYY-MM-DD".
std::string date_text(std::chrono::year_month_day date);
// `date` plus `days` (may be negative), as YYYY-MM-DD. `date` must be valid_date().
std::string add_days(std::string_view date, int days);
// A GTIN-8, -12, -13 or -14 with a correct check digit, as 14 digits (left-padded with zeros).
// Errors ("bad_gtin"): not 8/12/13/14 digits, or a wrong check digit (the message gives the
// right one).
Result<std::string> normalize_gtin(std::string_view gtin);

// The hash chain (SHA-256, lowercase hex). Every field a person could change is hashed, in a
// fixed order with unambiguous separators; numbers in their shortest exact form, so a value
// read back from SQLite hashes the same. Lot::closed, head and entries are left out: they
// follow from the entries.
std::string lot_hash(const Lot& lot);
// sha256(entry.prev_hash, then the entry's fields). entry.hash itself is not an input.
std::string entry_hash(const Entry& entry);

struct ChainCheck {
  bool ok = true;
  std::int64_t entries = 0;  // how many were checked
  // When !ok: the first entry that does not verify (0 = the lot record itself), and why, for a
  // person: "entry 3 (pesticide, 2026-06-01) was changed after it was recorded".
  std::int64_t broken_at = -1;
  std::string reason;
};
// Checks the lot's hash, each entry's link to the one before, each entry's own hash, that seq
// runs 1..n without gaps, and that the lot's head and entry count match the last entry (so a
// deleted last entry shows). `entries` in seq order.
ChainCheck verify_chain(const Lot& lot, const std::vector<Entry>& entries);

}  // namespace farmgate::ocop
