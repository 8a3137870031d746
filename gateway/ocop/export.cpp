#include "gateway/ocop/export.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json.hpp>

#include "core/time.h"
#include "gateway/http/csv.h"
#include "gateway/http/json_text.h"

namespace farmgate::ocop {
namespace {

namespace json = boost::json;

Error sql_error(const Error& e) {
  return make_error("sqlite", e.message);
}

// ---- cells and tables --------------------------------------------------------------------------

// A value with a code for programs (JSON) and a word for people (CSV, in the export's language).
struct Coded {
  std::string code, label;
};
using Names = std::vector<std::string>;
using Cell = std::variant<std::monostate, std::string, double, std::int64_t, bool, Coded, Names>;

struct Column {
  const char* key;  // the JSON key
  const char* en;
  const char* vi;
};

// The shortest decimal that reads back as `v`, never in exponent form: spreadsheets in a
// Vietnamese locale mangle "1e+05", and a '.' decimal point whatever the language.
std::string number_text(double v) {
  if (!std::isfinite(v)) return "";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v + 0.0, std::chars_format::fixed);
  if (ec != std::errc()) return "";
  return std::string(buf, end);
}

double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale + 0.0;
}

Cell text_or_null(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

// Rows go straight into the CSV text or the JSON array as they are read, so a large readings
// export is not held twice.
class Table {
 public:
  Table(const ExportQuery& q, std::vector<Column> columns)
      : format_(q.format), lang_(q.lang), columns_(std::move(columns)) {
    if (format_ == Format::csv) {
      std::vector<std::string> head;
      for (const Column& c : columns_) head.emplace_back(lang_ == Lang::vi ? c.vi : c.en);
      csv_.row(head);
    }
  }

  void row(std::vector<Cell> cells) {
    if (format_ == Format::csv) {
      std::vector<std::string> fields;
      fields.reserve(cells.size());
      for (const Cell& c : cells) fields.push_back(csv_text(c));
      csv_.row(fields);
      return;
    }
    json::object o;
    for (std::size_t i = 0; i < cells.size() && i < columns_.size(); ++i) {
      o[columns_[i].key] = json_value(cells[i]);
    }
    // Each row is printed as it comes: a JSON tree of two million readings would not fit in a
    // Pi's memory, its text does.
    if (rows_ > 0) json_ += ',';
    json_ += http::to_json_text(o);
    ++rows_;
  }

  std::string finish(ExportKind kind, const std::string& from, const std::string& to) {
    if (format_ == Format::csv) return csv_.take();
    json::object head;
    head["kind"] = to_string(kind);
    head["from"] = from;
    head["to"] = to;
    std::string doc = http::to_json_text(head);  // {"kind":..,"to":".."}
    doc.pop_back();
    doc += ",\"rows\":[";
    doc += json_;
    doc += "]}\n";
    return doc;
  }

 private:
  std::string csv_text(const Cell& c) const {
    struct Visit {
      Lang lang;
      std::string operator()(std::monostate) const { return ""; }
      std::string operator()(const std::string& s) const { return s; }
      std::string operator()(double v) const { return number_text(v); }
      std::string operator()(std::int64_t v) const { return std::to_string(v); }
      std::string operator()(bool b) const {
        if (lang == Lang::vi) return b ? "có" : "không";
        return b ? "yes" : "no";
      }
      std::string operator()(const Coded& c) const { return c.label; }
      std::string operator()(const Names& n) const {
        std::string out;
        for (const auto& s : n) out += (out.empty() ? "" : ", ") + s;
        return out;
      }
    };
    return std::visit(Visit{lang_}, c);
  }

  static json::value json_value(const Cell& c) {
    struct Visit {
      json::value operator()(std::monostate) const { return nullptr; }
      json::value operator()(const std::string& s) const { return json::value(s); }
      json::value operator()(double v) const {
        return std::isfinite(v) ? json::value(v) : json::value(nullptr);
      }
      json::value operator()(std::int64_t v) const { return json::value(v); }
      json::value operator()(bool b) const { return json::value(b); }
      json::value operator()(const Coded& c) const { return json::value(c.code); }
      json::value operator()(const Names& n) const {
        json::array a;
        for (const auto& s : n) a.emplace_back(s);
        return a;
      }
    };
    return std::visit(Visit{}, c);
  }

  Format format_;
  Lang lang_;
  std::vector<Column> columns_;
  http::CsvWriter csv_;
  std::string json_;  // the rows' objects, comma-separated
  std::size_t rows_ = 0;
};

// ---- time --------------------------------------------------------------------------------------

// "2026-06-01T06:30:00+07:00": local wall-clock time with the offset that makes it an instant.
std::string local_iso(const rules::SiteTime& tz, std::int64_t ms) {
  const Timestamp t = from_epoch_ms(ms);
  const rules::LocalTime l = tz.to_local(t);
  const long offset_min =
      static_cast<long>(std::chrono::duration_cast<std::chrono::minutes>(tz.utc_offset(t)).count());
  const long a = offset_min < 0 ? -offset_min : offset_min;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", l.year, l.month,
                l.day, l.hour, l.minute, l.second, offset_min < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

std::string local_date_of(const rules::SiteTime& tz, std::int64_t ms) {
  const rules::LocalTime l = tz.to_local(from_epoch_ms(ms));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", l.year, l.month, l.day);
  return buf;
}

bool in_dates(const std::string& date, const std::string& from, const std::string& to) {
  // YYYY-MM-DD compares as text in calendar order.
  return date >= from && date <= to;
}

bool has_zone(const Lot& lot, const std::string& zone) {
  if (zone.empty()) return true;
  return std::any_of(lot.zones.begin(), lot.zones.end(),
                     [&](const LotZone& z) { return z.zone == zone; });
}

struct Range {
  std::int64_t from_ms, to_ms;
  std::string from_date, to_date;  // local dates of from_ms and to_ms - 1
};

const char* kind_label(EntryKind k, Lang lang) {
  if (lang == Lang::en) return to_string(k);
  switch (k) {
    case EntryKind::fertiliser:
      return "bón phân";
    case EntryKind::pesticide:
      return "phun thuốc BVTV";
    case EntryKind::pruning:
      return "tỉa cành";
    case EntryKind::irrigation:
      return "tưới";
    case EntryKind::other:
      return "khác";
    case EntryKind::harvest:
      return "thu hoạch";
  }
  return "khác";
}

// ---- the kinds ---------------------------------------------------------------------------------

Result<void> export_readings(Ledger& ledger, const ExportQuery& q, const Range& r, Table& table) {
  constexpr const char* kWhere =
      " FROM readings r JOIN series s ON s.id = r.series "
      "WHERE r.ts >= ?1 AND r.ts < ?2 AND (?3 = '' OR s.zone = ?3)";
  {
    // Counted first, so a year of every sensor is refused before it is built in memory.
    auto count = sqlite::Stmt::prepare(ledger.db(), std::string("SELECT count(*)") + kWhere);
    if (!count) return sql_error(count.error());
    count->bind(1, r.from_ms).bind(2, r.to_ms).bind(3, q.zone);
    auto row = count->step();
    if (!row) return sql_error(row.error());
    const auto n = static_cast<std::size_t>(*row ? count->int64(0) : 0);
    if (n > q.max_rows) {
      return make_error("too_large", "the readings export would have " + std::to_string(n) +
                                         " rows, more than " + std::to_string(q.max_rows) +
                                         "; narrow the time range or pick one zone");
    }
  }
  auto st = sqlite::Stmt::prepare(
      ledger.db(), std::string("SELECT r.ts, s.zone, s.device, s.kind, s.metric, r.value, s.unit") +
                       kWhere + " ORDER BY r.ts, r.series");
  if (!st) return sql_error(st.error());
  st->bind(1, r.from_ms).bind(2, r.to_ms).bind(3, q.zone);
  for (;;) {
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    table.row({local_iso(ledger.tz(), st->int64(0)), text_or_null(st->text(1)), st->text(2),
               st->text(3), st->text(4), st->real(5), st->text(6)});
  }
  return {};
}

Result<void> export_irrigation(Ledger& ledger, const ExportQuery& q, const Range& r, Table& table) {
  auto st = sqlite::Stmt::prepare(
      ledger.db(),
      "SELECT id, zone, start_ms, end_ms, volume_l, reason, who, outcome FROM irrigation_runs "
      "WHERE start_ms >= ?1 AND start_ms < ?2 AND (?3 = '' OR zone = ?3) "
      "ORDER BY start_ms, id");
  if (!st) return sql_error(st.error());
  st->bind(1, r.from_ms).bind(2, r.to_ms).bind(3, q.zone);
  for (;;) {
    auto row = st->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    const std::int64_t start = st->int64(2);
    Cell end, minutes, volume;
    if (!st->is_null(3)) {
      end = local_iso(ledger.tz(), st->int64(3));
      minutes = round_to(static_cast<double>(st->int64(3) - start) / 60'000.0, 2);
    }
    if (!st->is_null(4)) volume = st->real(4);
    table.row({st->int64(0), st->text(1), local_iso(ledger.tz(), start), std::move(end),
               std::move(minutes), std::move(volume), st->text(5), st->text(6), st->text(7)});
  }
  return {};
}

struct LotSums {
  double harvest_kg = 0;
  double water_l = 0;
  bool water_known = false;
};

LotSums sums_of(const std::vector<Entry>& entries) {
  LotSums s;
  for (const Entry& e : entries) {
    if (e.kind == EntryKind::harvest) s.harvest_kg += e.quantity_kg;
    if (e.kind == EntryKind::irrigation && e.volume_l) {
      s.water_l += *e.volume_l;
      s.water_known = true;
    }
  }
  return s;
}

Result<void> export_lots(Ledger& ledger, const ExportQuery& q, const Range& r, Table& table) {
  auto lots = ledger.lots();
  if (!lots) return lots.error();
  std::vector<Lot> picked;
  for (Lot& lot : *lots) {
    if (has_zone(lot, q.zone) && in_dates(lot.planted, r.from_date, r.to_date)) {
      picked.push_back(std::move(lot));
    }
  }
  // Oldest planting first, as a season reads down a spreadsheet.
  std::stable_sort(picked.begin(), picked.end(), [](const Lot& a, const Lot& b) {
    return a.planted != b.planted ? a.planted < b.planted : a.code < b.code;
  });
  for (const Lot& lot : picked) {
    // The lot read again with its entries in one snapshot: an entry appended since lots() must
    // not read as a broken chain.
    auto read_back = ledger.read(lot.code);
    if (!read_back) return read_back.error();
    if (!*read_back) continue;  // deleted meanwhile: only by hand, and then not exported
    const auto& entries = (*read_back)->entries;
    const bool verified = verify_chain((*read_back)->lot, entries).ok;
    const LotSums s = sums_of(entries);
    Names zones;
    for (const LotZone& z : lot.zones) zones.push_back(z.zone);
    const double area_ha = lot.area_m2() / 10'000.0;
    Cell yield;
    if (area_ha > 0 && s.harvest_kg > 0) yield = round_to(s.harvest_kg / area_ha, 2);
    Cell water;
    if (s.water_known) water = round_to(s.water_l / 1000.0, 3);
    Cell stars;
    if (lot.ocop_stars > 0) stars = static_cast<std::int64_t>(lot.ocop_stars);
    table.row({lot.code, lot.product, lot.variety, text_or_null(lot.gtin), std::move(stars),
               std::move(zones), round_to(area_ha, 4), lot.planted,
               text_or_null(lot.expected_harvest), text_or_null(lot.closed),
               round_to(s.harvest_kg, 3), std::move(yield), std::move(water), verified});
  }
  return {};
}

Result<void> export_diary(Ledger& ledger, const ExportQuery& q, const Range& r, Table& table) {
  auto entries = ledger.entries_between(q.zone, r.from_date, r.to_date);
  if (!entries) return entries.error();
  for (const Entry& e : *entries) {
    if (!q.lot.empty() && e.lot != q.lot) continue;
    Cell amount, unit = text_or_null(e.unit), note = text_or_null(e.note);
    if (e.amount) amount = *e.amount;
    if (e.kind == EntryKind::irrigation) {
      // An irrigation entry's dose is its water: the column an officer sums.
      if (e.volume_l) {
        amount = round_to(*e.volume_l, 3);
        unit = std::string("L");
      }
      if (e.note.empty()) {
        const std::string minutes =
            number_text(round_to(static_cast<double>(e.duration_s) / 60.0, 1));
        note = minutes + (q.lang == Lang::vi ? " phút" : " min") +
               (e.reason.empty() ? "" : " (" + e.reason + ")");
      }
    }
    Cell phi, quantity;
    if (e.kind == EntryKind::pesticide) phi = static_cast<std::int64_t>(e.phi_days);
    if (e.kind == EntryKind::harvest) quantity = e.quantity_kg;
    table.row({e.lot, e.seq, e.date, Coded{to_string(e.kind), kind_label(e.kind, q.lang)},
               text_or_null(e.zone), text_or_null(e.material), text_or_null(e.active_ingredient),
               std::move(amount), std::move(unit), std::move(phi), std::move(quantity),
               text_or_null(e.grade), std::move(note), text_or_null(e.override_by),
               text_or_null(e.override_reason), e.who, e.hash});
  }
  return {};
}

Result<void> export_season(Ledger& ledger, const ExportQuery& q, const Range& r, Table& table) {
  auto lots = ledger.lots();
  if (!lots) return lots.error();
  std::map<std::string, const Lot*> by_code;
  for (const Lot& lot : *lots) by_code[lot.code] = &lot;
  // The zone narrows the lots; the dates narrow harvests and the water counted against them.
  auto entries = ledger.entries_between(q.zone, r.from_date, r.to_date);
  if (!entries) return entries.error();

  struct PerLot {
    double kg = 0, water_l = 0;
    bool harvested = false, water_known = false;
  };
  std::map<std::string, PerLot> per_lot;
  for (const Entry& e : *entries) {
    if (!by_code.count(e.lot)) continue;
    PerLot& p = per_lot[e.lot];
    if (e.kind == EntryKind::harvest) {
      p.kg += e.quantity_kg;
      p.harvested = true;
    } else if (e.kind == EntryKind::irrigation && e.volume_l) {
      p.water_l += *e.volume_l;
      p.water_known = true;
    }
  }
  struct PerProduct {
    std::int64_t lots = 0;
    double area_m2 = 0, kg = 0, water_l = 0;
    bool water_known = false;
  };
  std::map<std::string, PerProduct> products;  // by name: the report reads alphabetically
  for (const auto& [code, p] : per_lot) {
    if (!p.harvested) continue;
    const Lot& lot = *by_code[code];
    PerProduct& g = products[lot.product];
    ++g.lots;
    g.area_m2 += lot.area_m2();
    g.kg += p.kg;
    g.water_l += p.water_l;
    g.water_known = g.water_known || p.water_known;
  }
  for (const auto& [product, g] : products) {
    const double area_ha = g.area_m2 / 10'000.0;
    Cell yield, water, per_kg;
    if (area_ha > 0) yield = round_to(g.kg / area_ha, 2);
    if (g.water_known) {
      water = round_to(g.water_l / 1000.0, 3);
      if (g.kg > 0) per_kg = round_to(g.water_l / g.kg, 2);
    }
    table.row({product, g.lots, round_to(area_ha, 4), round_to(g.kg, 3), std::move(yield),
               std::move(water), std::move(per_kg)});
  }
  return {};
}

std::vector<Column> columns_of(ExportKind k) {
  switch (k) {
    case ExportKind::readings:
      return {{"time", "Time", "Thời gian"},    {"zone", "Zone", "Khu"},
              {"device", "Device", "Thiết bị"}, {"kind", "Kind", "Loại thiết bị"},
              {"metric", "Metric", "Chỉ số"},   {"value", "Value", "Giá trị"},
              {"unit", "Unit", "Đơn vị"}};
    case ExportKind::irrigation:
      return {{"id", "Run", "Mã lần tưới"},      {"zone", "Zone", "Khu"},
              {"start", "Start", "Bắt đầu"},     {"end", "End", "Kết thúc"},
              {"minutes", "Minutes", "Số phút"}, {"volume_l", "Water (L)", "Lượng nước (L)"},
              {"reason", "Reason", "Lý do"},     {"who", "Started by", "Người thực hiện"},
              {"outcome", "Outcome", "Kết quả"}};
    case ExportKind::lots:
      return {{"code", "Lot", "Mã lô"},
              {"product", "Product", "Sản phẩm"},
              {"variety", "Variety", "Giống"},
              {"gtin", "GTIN", "GTIN"},
              {"ocop_stars", "OCOP stars", "Hạng OCOP (sao)"},
              {"zones", "Zones", "Khu"},
              {"area_ha", "Area (ha)", "Diện tích (ha)"},
              {"planted", "Planted", "Ngày trồng"},
              {"expected_harvest", "Expected harvest", "Dự kiến thu hoạch"},
              {"closed", "Closed", "Ngày kết thúc"},
              {"harvest_kg", "Harvested (kg)", "Sản lượng (kg)"},
              {"yield_kg_ha", "Yield (kg/ha)", "Năng suất (kg/ha)"},
              {"water_m3", "Water (m³)", "Nước (m³)"},
              {"chain_ok", "Record intact", "Hồ sơ nguyên vẹn"}};
    case ExportKind::diary:
      return {{"lot", "Lot", "Mã lô"},
              {"seq", "No.", "STT"},
              {"date", "Date", "Ngày"},
              {"kind", "Kind of work", "Loại công việc"},
              {"zone", "Zone", "Khu"},
              {"material", "Material", "Vật tư"},
              {"active_ingredient", "Active ingredient", "Hoạt chất"},
              {"amount", "Amount", "Liều lượng"},
              {"unit", "Unit", "Đơn vị"},
              {"phi_days", "Pre-harvest interval (days)", "Thời gian cách ly (ngày)"},
              {"quantity_kg", "Quantity (kg)", "Sản lượng (kg)"},
              {"grade", "Grade", "Phân loại"},
              {"note", "Note", "Ghi chú"},
              {"override_by", "Allowed inside the PHI by",
               "Cán bộ cho thu hoạch trong thời gian cách ly"},
              {"override_reason", "Reason allowed", "Lý do cho phép"},
              {"who", "Recorded by", "Người ghi"},
              {"hash", "Hash", "Mã băm"}};
    case ExportKind::season:
      return {{"product", "Product", "Sản phẩm"},
              {"lots", "Lots", "Số lô"},
              {"area_ha", "Area (ha)", "Diện tích (ha)"},
              {"harvest_kg", "Harvested (kg)", "Sản lượng (kg)"},
              {"yield_kg_ha", "Yield (kg/ha)", "Năng suất (kg/ha)"},
              {"water_m3", "Water (m³)", "Nước (m³)"},
              {"water_l_per_kg", "Water per kg (L/kg)", "Nước/kg (L/kg)"}};
  }
  return {};
}

}  // namespace

std::optional<ExportKind> parse_export_kind(std::string_view s) {
  for (ExportKind k : {ExportKind::readings, ExportKind::irrigation, ExportKind::lots,
                       ExportKind::diary, ExportKind::season}) {
    if (s == to_string(k)) return k;
  }
  return std::nullopt;
}

const char* to_string(ExportKind k) {
  switch (k) {
    case ExportKind::readings:
      return "readings";
    case ExportKind::irrigation:
      return "irrigation";
    case ExportKind::lots:
      return "lots";
    case ExportKind::diary:
      return "diary";
    case ExportKind::season:
      return "season";
  }
  return "lots";
}

Result<ExportResult> run_export(Ledger& ledger, const ExportQuery& q) {
  if (q.to_ms <= q.from_ms) {
    return make_error("bad_input", "the export's end (" + local_iso(ledger.tz(), q.to_ms) +
                                       ") must be after its start (" +
                                       local_iso(ledger.tz(), q.from_ms) + ")");
  }
  const Range range{q.from_ms, q.to_ms, local_date_of(ledger.tz(), q.from_ms),
                    local_date_of(ledger.tz(), q.to_ms - 1)};
  Table table(q, columns_of(q.kind));
  Result<void> done;
  switch (q.kind) {
    case ExportKind::readings:
      done = export_readings(ledger, q, range, table);
      break;
    case ExportKind::irrigation:
      done = export_irrigation(ledger, q, range, table);
      break;
    case ExportKind::lots:
      done = export_lots(ledger, q, range, table);
      break;
    case ExportKind::diary:
      done = export_diary(ledger, q, range, table);
      break;
    case ExportKind::season:
      done = export_season(ledger, q, range, table);
      break;
  }
  if (!done) return done.error();

  ExportResult out;
  out.body =
      table.finish(q.kind, local_iso(ledger.tz(), q.from_ms), local_iso(ledger.tz(), q.to_ms));
  const bool csv = q.format == Format::csv;
  out.content_type = csv ? http::kCsvContentType : "application/json";
  out.file_name = std::string("farmgate-") + to_string(q.kind) + "-" + range.from_date + "-" +
                  range.to_date + (csv ? ".csv" : ".json");
  return out;
}

}  // namespace farmgate::ocop
