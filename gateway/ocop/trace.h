// The traceability record of one lot (hồ sơ truy xuất): what an extension officer or a buyer
// reads to trust the product. The lot, its season summary from the store's own data, its
// diary and harvests, and whether the hash chain verifies.
//
// The season runs from the planting date's local midnight to the end of the closing date (or
// now while the lot is open). Soil statistics pool the lot's zones from the per-minute sums
// (zone_minute), so they cover what the store still keeps: readings older than the store's
// retention are gone, and the record says from when its statistics start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "gateway/ocop/ledger.h"
#include "gateway/ocop/lot.h"

namespace farmgate::ocop {

struct Stats {
  std::int64_t n = 0;  // readings; 0 = none (min/mean/max meaningless)
  double min = 0, mean = 0, max = 0;
  std::int64_t first_ms = 0, last_ms = 0;  // the first and last minute with data
};

struct WeekPoint {
  std::string week;  // YYYY-MM-DD, the local date the 7-day bucket starts (planting + 7k)
  double mean = 0;
};

struct TraceRecord {
  Lot lot;
  std::vector<Entry> entries;  // seq order
  ChainCheck chain;
  std::int64_t from_ms = 0, to_ms = 0;  // the season
  // Water: the lot's irrigation entries.
  int irrigation_count = 0;
  double irrigation_minutes = 0;
  std::optional<double> water_l;  // the sum of known volumes; nullopt when none is known
  int runs_without_volume = 0;    // runs whose volume is not known (no flow meter)
  // Soil over the season, all the lot's zones pooled: metric "moisture" (%) and "temp_c" (°C)
  // of any kind; canopy cover (%, metric "canopy_cover", camera) per week where a camera exists.
  Stats moisture, soil_temp;
  std::vector<WeekPoint> canopy;
  // Harvests.
  double harvest_kg = 0;
  std::optional<double> yield_kg_ha;     // harvest_kg / area in hectares; none before a harvest
  std::optional<double> water_l_per_kg;  // water_l / harvest_kg
  std::string url;  // the lot's public URL (qr.h lot_url), "" when none is configured
};

// Builds the record on the ledger's connection. Errors: "not_found", "sqlite".
Result<TraceRecord> build_trace(Ledger& ledger, const std::string& code, std::int64_t now_ms,
                                const std::string& url);

// The record as JSON (docs/openapi.yaml, LotRecord): {"lot":{...},"season":{...},"soil":{...},
// "canopy":[...],"water":{...},"harvests":[...],"diary":[...],"chain":{...},"url":...}.
std::string trace_json(const TraceRecord& record);
// One lot (as in GET /api/v1/lots), one entry and a chain check as JSON objects' text, shared
// with the routes.
std::string lot_json(const Lot& lot);
std::string entry_json(const Entry& entry);
// {"ok","entries","broken_at","reason"}: broken_at null while the chain verifies.
std::string chain_json(const ChainCheck& chain);

}  // namespace farmgate::ocop
