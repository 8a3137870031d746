// Exports for extension officers and the commune economic office (`farmgate export` and
// GET /api/v1/export/{kind}), as CSV that Excel opens with Vietnamese intact (http/csv.h:
// UTF-8 with a byte order mark, CRLF, formula-safe) or as JSON.
//
// Kinds and their rows (column headers in Vietnamese or English, by `lang`):
//   readings    one per stored reading: time (site-local ISO 8601 with offset), zone, device,
//               kind, metric, value, unit
//   irrigation  one per run of the run log: id, zone, start, end, minutes, volume_l, reason,
//               who, outcome
//   lots        one per lot: code, product, variety, GTIN, OCOP stars, zones, area (ha),
//               planted, expected harvest, closed, harvested kg, yield (kg/ha), water (m³),
//               chain verified
//   diary       one per diary entry and harvest: lot, seq, date, kind, zone, material, active
//               ingredient, amount, unit, PHI days, quantity kg, grade, note, the officer
//               who allowed a harvest inside a PHI and why, who, hash
//   season      the season report: per product, lots, area (ha), harvested kg, yield (kg/ha),
//               water (m³) and water per kg (L/kg), for harvests dated in the range
// Numbers are written with a '.' decimal point whatever the language, which is what Excel's CSV
// import and every script expect.
//
// Times from people (--from, ?from=) are read by rules::parse_time_arg.
//
// Range: readings and irrigation by instant [from_ms, to_ms); lots by planting date; diary
// and season by entry date; the dates are the local dates of from_ms and to_ms - 1.
// `zone` narrows every kind to the lots or series of that zone; `lot` narrows diary to one lot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "gateway/ocop/ledger.h"

namespace farmgate::ocop {

enum class ExportKind { readings, irrigation, lots, diary, season };
std::optional<ExportKind> parse_export_kind(std::string_view s);
const char* to_string(ExportKind k);

enum class Format { csv, json };

struct ExportQuery {
  ExportKind kind = ExportKind::lots;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;  // exclusive; must be > from_ms
  std::string zone;        // "" = all
  std::string lot;         // "" = all (diary only)
  Format format = Format::csv;
  Lang lang = Lang::vi;
  // Readings only: refuse rather than build an answer of more rows than this ("too_large",
  // the message says how many there would be and to narrow the range).
  std::size_t max_rows = 2'000'000;
};

struct ExportResult {
  std::string body;
  std::string content_type;  // "text/csv; charset=utf-8" or "application/json"
  std::string file_name;     // "farmgate-diary-2026-06-01-2026-06-30.csv", for downloads
};

// Reads through the ledger's connection (read-only use; a read-only connection is fine).
// Errors: "bad_input" (to_ms <= from_ms), "too_large", "sqlite".
Result<ExportResult> run_export(Ledger& ledger, const ExportQuery& query);

}  // namespace farmgate::ocop
