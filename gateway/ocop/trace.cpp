#include "gateway/ocop/trace.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

#include <boost/json.hpp>

#include "core/time.h"
#include "gateway/http/json_text.h"

namespace farmgate::ocop {
namespace {

namespace json = boost::json;

constexpr std::int64_t kMinuteMs = 60'000;

Error sql_error(const Error& e) {
  return make_error("sqlite", e.message);
}

std::chrono::year_month_day plus_days(std::chrono::year_month_day d, int days) {
  return std::chrono::year_month_day{std::chrono::sys_days{d} + std::chrono::days{days}};
}

// The instant local day `d` begins at the site.
Result<std::int64_t> day_start(const rules::SiteTime& tz, std::chrono::year_month_day d) {
  auto t =
      tz.from_local(static_cast<int>(d.year()), static_cast<int>(static_cast<unsigned>(d.month())),
                    static_cast<int>(static_cast<unsigned>(d.day())), 0, 0);
  if (!t) return t.error();
  return to_epoch_ms(*t);
}

// The first whole minute at or after `ms` (a ceiling, also for a stamp before 1970).
std::int64_t minute_at_or_after(std::int64_t ms) {
  std::int64_t q = ms / kMinuteMs;
  if (q * kMinuteMs < ms) ++q;
  return q;
}

// The kinds of device in `zone` that report `metric`: zone_minute is keyed (zone, kind, metric,
// minute), so naming the kind lets each query seek straight to its minutes instead of walking
// every metric the zone has.
Result<std::vector<std::string>> kinds_reporting(sqlite::Db& db, const std::string& zone,
                                                 const std::string& metric) {
  auto st = sqlite::Stmt::prepare(
      db, "SELECT DISTINCT kind FROM series WHERE zone = ?1 AND metric = ?2 ORDER BY kind");
  if (!st) return sql_error(st.error());
  st->bind(1, zone).bind(2, metric);
  std::vector<std::string> kinds;
  for (;;) {
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    kinds.push_back(st->text(0));
  }
  return kinds;
}

// Pools `metric` over the lot's zones and every kind of device in [from_ms, to_ms).
Result<Stats> soil_stats(sqlite::Db& db, const Lot& lot, const std::string& metric,
                         std::int64_t from_ms, std::int64_t to_ms) {
  auto st = sqlite::Stmt::prepare(
      db,
      "SELECT sum(n), sum(total), min(lo), max(hi), min(minute), max(minute) FROM zone_minute "
      "WHERE zone = ?1 AND kind = ?2 AND metric = ?3 AND minute >= ?4 AND minute < ?5");
  if (!st) return sql_error(st.error());
  Stats s;
  double total = 0;
  for (const LotZone& z : lot.zones) {
    auto kinds = kinds_reporting(db, z.zone, metric);
    if (!kinds) return kinds.error();
    for (const std::string& kind : *kinds) {
      st->reset();
      st->bind(1, z.zone)
          .bind(2, kind)
          .bind(3, metric)
          .bind(4, minute_at_or_after(from_ms))
          .bind(5, minute_at_or_after(to_ms));
      auto row = st->step();
      if (!row) return sql_error(row.error());
      if (!*row || st->is_null(0) || st->int64(0) <= 0) continue;
      const double lo = st->real(2), hi = st->real(3);
      const std::int64_t first = st->int64(4) * kMinuteMs, last = st->int64(5) * kMinuteMs;
      if (s.n == 0) {
        s.min = lo;
        s.max = hi;
        s.first_ms = first;
        s.last_ms = last;
      } else {
        s.min = std::min(s.min, lo);
        s.max = std::max(s.max, hi);
        s.first_ms = std::min(s.first_ms, first);
        s.last_ms = std::max(s.last_ms, last);
      }
      s.n += st->int64(0);
      total += st->real(1);
    }
  }
  if (s.n > 0) s.mean = total / static_cast<double>(s.n);
  return s;
}

// Canopy cover per 7-day bucket from planting. The buckets' edges are local midnights, so in a
// zone with summer time a bucket is still "planting + 7k days" and not 7 × 24 h.
Result<std::vector<WeekPoint>> canopy_weeks(sqlite::Db& db, const rules::SiteTime& tz,
                                            const Lot& lot, std::chrono::year_month_day planted,
                                            std::int64_t from_ms, std::int64_t to_ms) {
  const std::string metric = "canopy_cover";
  std::vector<std::int64_t> starts{from_ms};  // bucket k begins at starts[k]
  // Bounded, so a lot "planted" in year 1 by a hand-edited row cannot make this loop for ages.
  for (int k = 1; k < 10'000; ++k) {
    auto start = day_start(tz, plus_days(planted, 7 * k));
    if (!start) return make_error("sqlite", "lot " + lot.code + ": " + start.error().message);
    if (*start >= to_ms) break;
    starts.push_back(*start);
  }
  std::vector<std::int64_t> n(starts.size(), 0);
  std::vector<double> total(starts.size(), 0);

  auto st = sqlite::Stmt::prepare(
      db,
      "SELECT minute, n, total FROM zone_minute "
      "WHERE zone = ?1 AND kind = ?2 AND metric = ?3 AND minute >= ?4 AND minute < ?5");
  if (!st) return sql_error(st.error());
  for (const LotZone& z : lot.zones) {
    auto kinds = kinds_reporting(db, z.zone, metric);
    if (!kinds) return kinds.error();
    for (const std::string& kind : *kinds) {
      st->reset();
      st->bind(1, z.zone)
          .bind(2, kind)
          .bind(3, metric)
          .bind(4, minute_at_or_after(from_ms))
          .bind(5, minute_at_or_after(to_ms));
      for (;;) {
        auto row = st->step();
        if (!row) return sql_error(row.error());
        if (!*row) break;
        const std::int64_t ms = st->int64(0) * kMinuteMs;
        auto it = std::upper_bound(starts.begin(), starts.end(), ms);
        if (it == starts.begin()) continue;
        const auto k = static_cast<std::size_t>(it - starts.begin() - 1);
        n[k] += st->int64(1);
        total[k] += st->real(2);
      }
    }
  }
  std::vector<WeekPoint> weeks;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    if (n[k] <= 0) continue;
    weeks.push_back(WeekPoint{date_text(plus_days(planted, 7 * static_cast<int>(k))),
                              total[k] / static_cast<double>(n[k])});
  }
  return weeks;
}

// Derived figures are rounded for people, to two decimals but never below three significant
// digits (a drip line's 0.00336 L/kg must not read as 0); sums stay exact.
double round2(double v) {
  if (v == 0 || !std::isfinite(v)) return 0.0;
  const int decimals = std::max(2, 2 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  const double scale = std::pow(10.0, std::min(decimals, 12));
  return std::round(v * scale) / scale + 0.0;
}

json::value text_or_null(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

template <class T>
json::value or_null(const std::optional<T>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object lot_object(const Lot& lot) {
  json::object o;
  o["code"] = lot.code;
  o["product"] = lot.product;
  o["variety"] = lot.variety;
  o["gtin"] = text_or_null(lot.gtin);
  o["ocop_stars"] = lot.ocop_stars == 0 ? json::value(nullptr) : json::value(lot.ocop_stars);
  json::array zones;
  for (const LotZone& z : lot.zones)
    zones.push_back(json::object{{"zone", z.zone}, {"area_m2", z.area_m2}});
  o["zones"] = std::move(zones);
  o["area_m2"] = lot.area_m2();
  o["planted"] = lot.planted;
  o["expected_harvest"] = text_or_null(lot.expected_harvest);
  o["closed"] = text_or_null(lot.closed);
  o["notes"] = lot.notes;
  o["created_by"] = lot.created_by;
  o["created_at"] = lot.created_ms;
  o["entries"] = lot.entries;
  o["hash"] = lot.hash;
  o["head"] = lot.head;
  return o;
}

json::object entry_object(const Entry& e) {
  json::object o;
  o["lot"] = e.lot;
  o["seq"] = e.seq;
  o["kind"] = to_string(e.kind);
  o["date"] = e.date;
  o["zone"] = text_or_null(e.zone);
  o["material"] = e.material;
  o["active_ingredient"] = e.active_ingredient;
  o["amount"] = or_null(e.amount);
  o["unit"] = e.unit;
  o["phi_days"] = e.phi_days;
  json::value phi_until = nullptr;
  if (e.kind == EntryKind::pesticide && e.phi_days > 0) {
    if (auto d = parse_date(e.date)) phi_until = date_text(plus_days(*d, e.phi_days));
  }
  o["phi_until"] = std::move(phi_until);
  o["note"] = e.note;
  o["run_id"] = e.run_id == 0 ? json::value(nullptr) : json::value(e.run_id);
  o["start"] = e.start_ms == 0 ? json::value(nullptr) : json::value(e.start_ms);
  o["duration_s"] = e.duration_s;
  o["volume_l"] = or_null(e.volume_l);
  o["reason"] = e.reason;
  o["quantity_kg"] = e.quantity_kg;
  o["grade"] = e.grade;
  o["final"] = e.final_harvest;
  o["override_by"] = text_or_null(e.override_by);
  o["override_reason"] = e.override_reason;
  o["who"] = e.who;
  o["recorded_at"] = e.recorded_ms;
  o["prev_hash"] = e.prev_hash;
  o["hash"] = e.hash;
  return o;
}

json::object chain_object(const ChainCheck& c) {
  json::object o;
  o["ok"] = c.ok;
  o["entries"] = c.entries;
  o["broken_at"] = c.ok || c.broken_at < 0 ? json::value(nullptr) : json::value(c.broken_at);
  o["reason"] = c.reason;
  return o;
}

json::value stats_value(const Stats& s) {
  if (s.n <= 0) return nullptr;
  return json::object{{"n", s.n},     {"min", s.min},        {"mean", round2(s.mean)},
                      {"max", s.max}, {"first", s.first_ms}, {"last", s.last_ms}};
}

}  // namespace

Result<TraceRecord> build_trace(Ledger& ledger, const std::string& code, std::int64_t now_ms,
                                const std::string& url) {
  auto loaded = ledger.read(code);
  if (!loaded) return loaded.error();
  if (!*loaded) return make_error("not_found", "no lot '" + code + "'");

  TraceRecord r;
  r.lot = std::move((*loaded)->lot);
  r.entries = std::move((*loaded)->entries);
  r.url = url;
  // Checked on what is shown, not on a second read that could differ from it.
  r.chain = verify_chain(r.lot, r.entries);

  const rules::SiteTime& tz = ledger.tz();
  const auto planted = parse_date(r.lot.planted);
  if (!planted) {
    return make_error(
        "sqlite", "lot " + r.lot.code + " has an unreadable planting date '" + r.lot.planted + "'");
  }
  auto from = day_start(tz, *planted);
  if (!from) return make_error("sqlite", "lot " + r.lot.code + ": " + from.error().message);
  r.from_ms = *from;
  r.to_ms = now_ms;
  if (!r.lot.closed.empty()) {
    if (auto closed = parse_date(r.lot.closed)) {
      if (auto end = day_start(tz, plus_days(*closed, 1))) r.to_ms = *end;
    }
  }
  r.to_ms = std::max(r.to_ms, r.from_ms);

  double water = 0;
  bool water_known = false;
  for (const Entry& e : r.entries) {
    if (e.kind == EntryKind::irrigation) {
      ++r.irrigation_count;
      r.irrigation_minutes += static_cast<double>(e.duration_s) / 60.0;
      if (e.volume_l) {
        water += *e.volume_l;
        water_known = true;
      } else {
        ++r.runs_without_volume;
      }
    } else if (e.kind == EntryKind::harvest) {
      r.harvest_kg += e.quantity_kg;
    }
  }
  if (water_known) r.water_l = water;
  const double area = r.lot.area_m2();
  // No yield before the first harvest: 0 kg/ha would read as a failed crop.
  if (area > 0 && r.harvest_kg > 0) r.yield_kg_ha = r.harvest_kg / (area / 10'000.0);
  if (r.water_l && r.harvest_kg > 0) r.water_l_per_kg = *r.water_l / r.harvest_kg;

  auto moisture = soil_stats(ledger.db(), r.lot, "moisture", r.from_ms, r.to_ms);
  if (!moisture) return moisture.error();
  r.moisture = *moisture;
  auto temp = soil_stats(ledger.db(), r.lot, "temp_c", r.from_ms, r.to_ms);
  if (!temp) return temp.error();
  r.soil_temp = *temp;
  auto canopy = canopy_weeks(ledger.db(), tz, r.lot, *planted, r.from_ms, r.to_ms);
  if (!canopy) return canopy.error();
  r.canopy = std::move(*canopy);
  return r;
}

std::string trace_json(const TraceRecord& r) {
  json::object o;
  o["lot"] = lot_object(r.lot);

  // Calendar days, the planting day and the current (or closing) day both counted. The season
  // runs between local midnights, so this is exact wherever days are 24 h long (Vietnam); across
  // a summer-time change it can be one off within an hour of midnight.
  constexpr std::int64_t kDayMs = 86'400'000;
  const std::int64_t days = r.to_ms > r.from_ms ? (r.to_ms - r.from_ms + kDayMs - 1) / kDayMs : 0;
  o["season"] = json::object{{"from", r.from_ms}, {"to", r.to_ms}, {"days", days}};

  json::object water;
  water["irrigation_count"] = r.irrigation_count;
  water["irrigation_minutes"] = round2(r.irrigation_minutes);
  water["water_l"] = or_null(r.water_l);
  water["runs_without_volume"] = r.runs_without_volume;
  water["water_l_per_kg"] =
      r.water_l_per_kg ? json::value(round2(*r.water_l_per_kg)) : json::value(nullptr);
  o["water"] = std::move(water);

  o["soil"] =
      json::object{{"moisture", stats_value(r.moisture)}, {"temp_c", stats_value(r.soil_temp)}};
  json::array canopy;
  for (const WeekPoint& w : r.canopy) {
    canopy.push_back(json::object{{"week", w.week}, {"mean", round2(w.mean)}});
  }
  o["canopy"] = std::move(canopy);
  o["harvest"] = json::object{
      {"total_kg", r.harvest_kg},
      {"yield_kg_ha", r.yield_kg_ha ? json::value(round2(*r.yield_kg_ha)) : json::value(nullptr)}};

  json::array harvests, diary;
  for (const Entry& e : r.entries) {
    (e.kind == EntryKind::harvest ? harvests : diary).push_back(entry_object(e));
  }
  o["harvests"] = std::move(harvests);
  o["diary"] = std::move(diary);
  o["chain"] = chain_object(r.chain);
  o["url"] = text_or_null(r.url);
  return http::to_json_text(o);
}

std::string lot_json(const Lot& lot) {
  return http::to_json_text(lot_object(lot));
}

std::string entry_json(const Entry& entry) {
  return http::to_json_text(entry_object(entry));
}

std::string chain_json(const ChainCheck& chain) {
  return http::to_json_text(chain_object(chain));
}

}  // namespace farmgate::ocop
